"""Writes `losses_golden.json`: Keras 3 loss values (and gradients) that lamina must reproduce.

Run with real Keras 3 (JAX backend) from the repository root:

    KERAS_BACKEND=jax /tmp/kenv/bin/python tests/losses/golden/make_losses_golden.py

Every input is generated here from a seeded RNG and stored beside the expected values, so the
tests never need Keras. Keras is imported inside `main()` only: pytest imports this file while
collecting doctests.
"""

import json
import os

import numpy as np

REDUCTIONS = ["sum_over_batch_size", "sum", None, "mean_with_sample_weight"]


def _inputs(rng):
    """Named arrays shared by the cases (float32, rounded so JSON holds them exactly)."""

    def r(a):
        return np.round(np.asarray(a, "float32"), 4).astype("float32")

    probs = rng.uniform(0.05, 1.0, (4, 5))
    probs[1] = [1.0, 0.0, 0.0, 0.0, 0.0]  # saturated: exact one-hot prediction
    probs[2] = [0.0, 0.0, 0.0, 0.0, 1.0]  # saturated, and wrong for its label
    binary_probs = rng.uniform(0.02, 0.98, (4, 3))
    binary_probs[0] = [0.0, 1.0, 1.0]  # saturated
    return {
        "reg_true": r(rng.normal(size=(4, 3))),
        "reg_pred": r(rng.normal(size=(4, 3))),
        "pos_true": r(rng.uniform(0.0, 3.0, (4, 3)) * (rng.uniform(size=(4, 3)) > 0.2)),
        "pos_pred": r(rng.uniform(-0.2, 3.0, (4, 3))),
        "dist_true": r(rng.dirichlet(np.ones(3), 4) * (rng.uniform(size=(4, 3)) > 0.2)),
        "dist_pred": r(np.concatenate([rng.dirichlet(np.ones(3), 3), [[0.0, 0.3, 0.7]]])),
        "bin_true": r(rng.integers(0, 2, (4, 3))),
        "pm1_true": r(2 * rng.integers(0, 2, (4, 3)) - 1),
        "soft_true": r(rng.uniform(0.0, 1.0, (4, 3))),
        "bin_probs": r(binary_probs),
        "bin_logits": r(rng.normal(scale=3.0, size=(4, 3))),
        "cat_true": r(np.eye(5)[[0, 0, 3, 2]]),
        "cat_probs": r(probs),
        "cat_logits": r(rng.normal(scale=2.0, size=(4, 5))),
        "sparse_true": np.array([0, 0, 3, 2], "float32"),
        "sparse_true_col": np.array([[0], [0], [3], [2]], "float32"),
        "sparse_ignore": np.array([0, -1, 3, -1], "float32"),
        "seq_true": r(rng.integers(0, 4, (2, 3))),
        "seq_probs": r(rng.uniform(0.05, 1.0, (2, 3, 4))),
        "seq_logits": r(rng.normal(size=(2, 3, 4))),
        "seq_weight": r(rng.uniform(0.0, 2.0, (2, 3))),
        "weight": np.array([1.0, 0.5, 2.0, 0.0], "float32"),
        "weight_col": np.array([[1.0], [0.5], [2.0], [0.25]], "float32"),
    }


# (class name, config, y_true key, y_pred key)
_CASES = [
    ("MeanSquaredError", {}, "reg_true", "reg_pred"),
    ("MeanAbsoluteError", {}, "reg_true", "reg_pred"),
    ("MeanAbsolutePercentageError", {}, "pos_true", "reg_pred"),
    ("MeanSquaredLogarithmicError", {}, "pos_true", "pos_pred"),
    ("Huber", {}, "reg_true", "reg_pred"),
    ("Huber", {"delta": 0.5}, "reg_true", "reg_pred"),
    ("LogCosh", {}, "reg_true", "reg_pred"),
    ("CosineSimilarity", {}, "reg_true", "reg_pred"),
    ("CosineSimilarity", {"axis": 0}, "reg_true", "reg_pred"),
    ("KLDivergence", {}, "dist_true", "dist_pred"),
    ("Poisson", {}, "pos_true", "pos_pred"),
    ("Hinge", {}, "bin_true", "reg_pred"),
    ("Hinge", {}, "pm1_true", "reg_pred"),
    ("Hinge", {}, "soft_true", "reg_pred"),
    ("SquaredHinge", {}, "bin_true", "reg_pred"),
    ("SquaredHinge", {}, "pm1_true", "reg_pred"),
    ("CategoricalHinge", {}, "cat_true", "cat_logits"),
    ("BinaryCrossentropy", {}, "bin_true", "bin_probs"),
    ("BinaryCrossentropy", {"label_smoothing": 0.2}, "bin_true", "bin_probs"),
    ("BinaryCrossentropy", {"from_logits": True}, "bin_true", "bin_logits"),
    ("BinaryCrossentropy", {"from_logits": True, "label_smoothing": 0.1}, "bin_true", "bin_logits"),
    ("BinaryCrossentropy", {"axis": 0}, "bin_true", "bin_probs"),
    ("BinaryCrossentropy", {}, "soft_true", "bin_probs"),
    ("CategoricalCrossentropy", {}, "cat_true", "cat_probs"),
    ("CategoricalCrossentropy", {"label_smoothing": 0.1}, "cat_true", "cat_probs"),
    ("CategoricalCrossentropy", {"from_logits": True}, "cat_true", "cat_logits"),
    ("CategoricalCrossentropy", {"from_logits": True, "label_smoothing": 0.2}, "cat_true",
     "cat_logits"),
    ("SparseCategoricalCrossentropy", {}, "sparse_true", "cat_probs"),
    ("SparseCategoricalCrossentropy", {}, "sparse_true_col", "cat_probs"),
    ("SparseCategoricalCrossentropy", {"from_logits": True}, "sparse_true", "cat_logits"),
    ("SparseCategoricalCrossentropy", {"from_logits": True}, "sparse_true_col", "cat_logits"),
    ("SparseCategoricalCrossentropy", {"ignore_class": -1}, "sparse_ignore", "cat_probs"),
    ("SparseCategoricalCrossentropy", {"from_logits": True, "ignore_class": -1},
     "sparse_ignore", "cat_logits"),
    ("SparseCategoricalCrossentropy", {"from_logits": True, "ignore_class": 0}, "sparse_true",
     "cat_logits"),
]

# Cases on sequences, (batch, time, classes): sample weights per time step.
_SEQ_CASES = [
    ("SparseCategoricalCrossentropy", {}, "seq_true", "seq_probs"),
    ("SparseCategoricalCrossentropy", {"from_logits": True}, "seq_true", "seq_logits"),
    ("MeanSquaredError", {}, "seq_probs", "seq_logits"),
]

# Functions whose raw per-sample output is compared, with keyword arguments.
_FUNCTIONS = [
    ("mean_squared_error", {}, "reg_true", "reg_pred"),
    ("mean_absolute_error", {}, "reg_true", "reg_pred"),
    ("mean_absolute_percentage_error", {}, "pos_true", "reg_pred"),
    ("mean_squared_logarithmic_error", {}, "pos_true", "pos_pred"),
    ("huber", {"delta": 2.0}, "reg_true", "reg_pred"),
    ("log_cosh", {}, "reg_true", "reg_pred"),
    ("cosine_similarity", {"axis": -1}, "reg_true", "reg_pred"),
    ("kl_divergence", {}, "dist_true", "dist_pred"),
    ("poisson", {}, "pos_true", "pos_pred"),
    ("hinge", {}, "bin_true", "reg_pred"),
    ("squared_hinge", {}, "pm1_true", "reg_pred"),
    ("categorical_hinge", {}, "cat_true", "cat_logits"),
    ("binary_crossentropy", {}, "bin_true", "bin_probs"),
    ("binary_crossentropy", {"from_logits": True, "label_smoothing": 0.3}, "bin_true",
     "bin_logits"),
    ("categorical_crossentropy", {"label_smoothing": 0.05}, "cat_true", "cat_probs"),
    ("categorical_crossentropy", {"from_logits": True, "axis": 0}, "cat_true", "cat_logits"),
    ("sparse_categorical_crossentropy", {}, "sparse_true", "cat_probs"),
    ("sparse_categorical_crossentropy", {"from_logits": True}, "sparse_true_col", "cat_logits"),
    ("sparse_categorical_crossentropy", {"from_logits": True}, "seq_true", "seq_logits"),
]

# Logits fed through softmax / sigmoid: the fused path must match Keras' clipped formula on the
# probabilities, in value and in gradient with respect to the logits. Rows 0-1 saturate.
_SOFTMAX_LOGITS = [
    [30.0, -30.0, 0.0, 0.0, 1.0],
    [100.0, 0.0, 0.0, -100.0, 0.0],
    [0.5, -1.0, 2.0, 0.1, -0.3],
    [-2.0, 3.0, 1.5, 0.0, 0.7],
]
_SPARSE_LABELS = [0, 3, 2, 1]  # row 1: the labelled class has probability ~0 (clipped)
_SIGMOID_LOGITS = [
    [30.0, -30.0, 100.0],
    [-100.0, 0.5, -2.0],
    [3.0, -0.7, 1.2],
    [6.0, -6.0, 0.0],
]
_SIGMOID_LABELS = [[1.0, 1.0, 0.0], [0.0, 1.0, 0.0], [1.0, 0.0, 1.0], [0.0, 1.0, 1.0]]


def _fused_cases(keras, jax, jnp):
    out = []
    weight = np.array([1.0, 2.0, 0.5, 1.0], "float32")
    logits = np.array(_SOFTMAX_LOGITS, "float32")
    onehot = np.eye(5, dtype="float32")[_SPARSE_LABELS]
    sparse = np.array(_SPARSE_LABELS, "float32")
    blogits = np.array(_SIGMOID_LOGITS, "float32")
    blabels = np.array(_SIGMOID_LABELS, "float32")
    specs = [
        ("CategoricalCrossentropy", {}, "softmax", onehot, logits),
        ("CategoricalCrossentropy", {"label_smoothing": 0.1}, "softmax", onehot, logits),
        ("SparseCategoricalCrossentropy", {}, "softmax", sparse, logits),
        ("BinaryCrossentropy", {}, "sigmoid", blabels, blogits),
        ("BinaryCrossentropy", {"label_smoothing": 0.2}, "sigmoid", blabels, blogits),
    ]
    for cls, config, activation, y_true, z in specs:
        for sample_weight in (None, weight):
            loss = getattr(keras.losses, cls)(**config)
            act = getattr(keras.activations, activation)

            def f(z_, loss=loss, act=act, y_true=y_true, sample_weight=sample_weight):
                return loss(y_true, act(z_), sample_weight=sample_weight)

            value, grad = jax.value_and_grad(f)(jnp.asarray(z))
            out.append({
                "cls": cls, "config": config, "activation": activation,
                "y_true": y_true.tolist(), "logits": z.tolist(),
                "sample_weight": None if sample_weight is None else sample_weight.tolist(),
                "value": float(value), "grad": np.asarray(grad).tolist(),
            })
    return out


def _compact(obj):
    """Floats to 9 significant digits: enough to round-trip float32 exactly."""
    if isinstance(obj, float):
        return float(f"{obj:.9g}")
    if isinstance(obj, dict):
        return {k: _compact(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_compact(v) for v in obj]
    return obj


def main():
    os.environ.setdefault("KERAS_BACKEND", "jax")
    import jax
    import jax.numpy as jnp
    import keras

    rng = np.random.default_rng(1234)
    arrays = _inputs(rng)
    classes = []
    for number, (cls, config, true_key, pred_key) in enumerate(_CASES):
        # "mean" runs Keras' "sum_over_batch_size" code path: checking it once is enough
        for reduction in REDUCTIONS + (["mean"] if number == 0 else []):
            for weight_key in (None, "weight", "weight_col"):
                loss = getattr(keras.losses, cls)(reduction=reduction, **config)
                sw = None if weight_key is None else arrays[weight_key]
                try:
                    value = loss(arrays[true_key], arrays[pred_key], sample_weight=sw)
                except (ValueError, TypeError):  # values that a (4,) weight cannot scale
                    continue
                classes.append({"cls": cls, "config": config, "reduction": reduction,
                                "y_true": true_key, "y_pred": pred_key,
                                "sample_weight": weight_key,
                                "expected": np.asarray(value).tolist()})
    for cls, config, true_key, pred_key in _SEQ_CASES:
        for reduction in REDUCTIONS:
            for weight_key in (None, "seq_weight"):
                loss = getattr(keras.losses, cls)(reduction=reduction, **config)
                sw = None if weight_key is None else arrays[weight_key]
                value = loss(arrays[true_key], arrays[pred_key], sample_weight=sw)
                classes.append({"cls": cls, "config": config, "reduction": reduction,
                                "y_true": true_key, "y_pred": pred_key,
                                "sample_weight": weight_key,
                                "expected": np.asarray(value).tolist()})
    functions = []
    for fn, kwargs, true_key, pred_key in _FUNCTIONS:
        value = getattr(keras.losses, fn)(arrays[true_key], arrays[pred_key], **kwargs)
        functions.append({"fn": fn, "kwargs": kwargs, "y_true": true_key, "y_pred": pred_key,
                          "expected": np.asarray(value).tolist()})
    golden = {
        "keras_version": keras.__version__,
        "arrays": {k: v.tolist() for k, v in arrays.items()},
        "classes": classes,
        "functions": functions,
        "fused": _fused_cases(keras, jax, jnp),
    }
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "losses_golden.json")
    with open(path, "w") as f:
        json.dump(_compact(golden), f, separators=(",", ":"))
    print(f"wrote {path}: {len(classes)} class cases, {len(functions)} function cases, "
          f"{len(golden['fused'])} fused cases")


if __name__ == "__main__":
    main()
