"""Writes `losses_family_golden.json`: Keras 3 values for the rest of the loss family (focal
cross-entropies, generalized cross-entropy, Dice, Tversky, CTC, Circle) and for the awkward
arguments and sample-weight shapes of the others.

Run with real Keras 3 (JAX backend) from the repository root:

    KERAS_BACKEND=jax /tmp/kenv/bin/python tests/losses/golden/make_losses_family_golden.py

Inputs are generated here from a seeded RNG and stored beside the expected values, so the tests
never need Keras. Keras is imported inside `main()` only.
"""

import json
import os

import numpy as np

REDUCTIONS = ["sum_over_batch_size", "sum", None, "mean_with_sample_weight"]


def _r(a):
    return np.round(np.asarray(a, "float32"), 4).astype("float32")


def _inputs(rng):
    """Named arrays shared by the cases (float32, rounded so that JSON holds them exactly)."""
    bin_probs = rng.uniform(0.02, 0.98, (4, 3))
    bin_probs[0] = [0.0, 1.0, 1.0]  # saturated
    cat_probs = rng.uniform(0.05, 1.0, (4, 5))
    cat_probs[1] = [1.0, 0.0, 0.0, 0.0, 0.0]  # saturated
    embeddings = rng.normal(size=(6, 4))
    refs = rng.normal(size=(5, 4))
    seg_true = (rng.uniform(size=(2, 3, 3, 2)) > 0.5).astype("float32")
    seg_true[1, :, :, 1] = 0.0  # an empty mask
    # CTC: labels padded with 0 (the blank), of lengths 4, 2, 1 and 3 (with a repeat, 2 2)
    ctc_true = np.array([[1, 2, 3, 4], [3, 1, 0, 0], [4, 0, 0, 0], [2, 2, 1, 0]], "float32")
    return {
        "bin_true": _r(rng.integers(0, 2, (4, 3))),
        "soft_true": _r(rng.uniform(0.0, 1.0, (4, 3))),
        "bin_probs": _r(bin_probs),
        "bin_logits": _r(rng.normal(scale=3.0, size=(4, 3))),
        "cat_true": _r(np.eye(5)[[0, 0, 3, 2]]),
        "cat_probs": _r(cat_probs),
        "cat_logits": _r(rng.normal(scale=2.0, size=(4, 5))),
        "sparse_true": np.array([0, 0, 3, 2], "float32"),
        "sparse_true_col": np.array([[0], [0], [3], [2]], "float32"),
        "seq_true": np.array([[1, 3, 0], [2, -1, -1]], "float32"),
        "seq_probs": _r(rng.uniform(0.05, 1.0, (2, 3, 4))),
        "seq_logits": _r(rng.normal(size=(2, 3, 4))),
        "seq_weight": _r(rng.uniform(0.0, 2.0, (2, 3))),
        "seq_weight_col": _r(rng.uniform(0.0, 2.0, (2, 1))),
        "seg_true": seg_true,
        "seg_pred": _r(rng.uniform(0.0, 1.0, (2, 3, 3, 2))),
        "seg_weight": np.array([1.5, 0.5], "float32"),
        "reg_true": _r(rng.normal(size=(4, 3))),
        "reg_pred": _r(rng.normal(size=(4, 3))),
        "reg_true_col": _r(rng.normal(size=(4, 1))),
        "ctc_true": ctc_true,
        "ctc_logits": _r(rng.normal(scale=2.0, size=(4, 7, 5))),
        "emb": _r(embeddings / np.linalg.norm(embeddings, axis=1, keepdims=True)),
        "emb_labels": np.array([0, 1, 0, 2, 1, 0], "float32"),
        "emb_labels_lonely": np.array([0, 1, 0, 2, 1, 3], "float32"),  # 2 and 3: no positive
        "emb_weight": np.array([1.0, 0.5, 2.0, 0.0, 1.0, 3.0], "float32"),
        "ref_emb": _r(refs / np.linalg.norm(refs, axis=1, keepdims=True)),
        "ref_labels": np.array([1, 0, 2, 0, 1], "float32"),
        "weight": np.array([1.0, 0.5, 2.0, 0.0], "float32"),
        "weight_col": np.array([[1.0], [0.5], [2.0], [0.25]], "float32"),
        "scalar_weight": np.array(1.5, "float32"),
    }


# (class name, config, y_true key, y_pred key, sample-weight keys besides None)
_W = ("weight", "weight_col", "scalar_weight")
_CASES = [
    ("BinaryFocalCrossentropy", {}, "bin_true", "bin_probs", _W),
    ("BinaryFocalCrossentropy", {"apply_class_balancing": True}, "bin_true", "bin_probs", _W),
    ("BinaryFocalCrossentropy", {"apply_class_balancing": True, "alpha": 0.4, "gamma": 3.0,
                                 "from_logits": True}, "bin_true", "bin_logits", _W),
    ("BinaryFocalCrossentropy", {"label_smoothing": 0.1, "from_logits": True}, "bin_true",
     "bin_logits", _W),
    ("BinaryFocalCrossentropy", {"gamma": 0.0, "label_smoothing": 0.2}, "soft_true",
     "bin_probs", _W),
    ("BinaryFocalCrossentropy", {"axis": 0}, "bin_true", "bin_probs", ()),
    ("CategoricalFocalCrossentropy", {}, "cat_true", "cat_probs", _W),
    ("CategoricalFocalCrossentropy", {"alpha": [0.1, 0.2, 0.3, 0.2, 0.2], "gamma": 1.5},
     "cat_true", "cat_probs", _W),
    ("CategoricalFocalCrossentropy", {"from_logits": True, "label_smoothing": 0.2}, "cat_true",
     "cat_logits", _W),
    ("CategoricalFocalCrossentropy", {"from_logits": True, "axis": 0}, "cat_true",
     "cat_logits", ()),
    ("CategoricalGeneralizedCrossEntropy", {}, "sparse_true", "cat_probs", _W),
    ("CategoricalGeneralizedCrossEntropy", {"q": 0.8}, "sparse_true", "cat_probs", _W),
    ("Dice", {}, "seg_true", "seg_pred", ("seg_weight", "scalar_weight")),
    ("Dice", {"axis": [1, 2, 3]}, "seg_true", "seg_pred", ("seg_weight", "scalar_weight")),
    ("Dice", {"axis": [1, 2]}, "seg_true", "seg_pred", ()),
    ("Tversky", {}, "seg_true", "seg_pred", ("seg_weight",)),
    ("Tversky", {"alpha": 0.3, "beta": 0.7, "axis": [1, 2, 3]}, "seg_true", "seg_pred",
     ("seg_weight", "scalar_weight")),
    ("CTC", {}, "ctc_true", "ctc_logits", _W),
    ("Circle", {}, "emb_labels", "emb", ("emb_weight",)),
    ("Circle", {"gamma": 8.0, "margin": 0.25}, "emb_labels_lonely", "emb", ("emb_weight",)),
    ("Circle", {"gamma": 4.0, "remove_diagonal": False}, "emb_labels", "emb", ("emb_weight",)),
    # awkward arguments and weight shapes of the first losses
    ("SparseCategoricalCrossentropy", {"ignore_class": -1}, "seq_true", "seq_probs",
     ("seq_weight", "seq_weight_col", "scalar_weight")),
    ("SparseCategoricalCrossentropy", {"ignore_class": -1, "from_logits": True}, "seq_true",
     "seq_logits", ("seq_weight", "seq_weight_col")),
    ("SparseCategoricalCrossentropy", {"ignore_class": 0}, "sparse_true_col", "cat_probs",
     ("weight", "weight_col")),
    ("BinaryCrossentropy", {"label_smoothing": 0.3, "from_logits": True}, "bin_true",
     "bin_logits", ("weight_col", "scalar_weight")),
    ("CategoricalCrossentropy", {"label_smoothing": 0.3}, "cat_true", "cat_probs",
     ("scalar_weight",)),
    ("MeanSquaredError", {}, "reg_true_col", "reg_pred", _W),
    ("MeanAbsoluteError", {}, "reg_true", "reg_pred", ("weight",)),
    ("Huber", {"delta": 0.3}, "reg_true", "reg_pred", ("weight_col", "scalar_weight")),
]

# Functions whose raw per-sample output is compared: (fn, kwargs, y_true, y_pred, extra arrays)
_FUNCTIONS = [
    ("binary_focal_crossentropy", {}, "bin_true", "bin_probs", {}),
    ("binary_focal_crossentropy", {"apply_class_balancing": True, "alpha": 0.6, "gamma": 1.0,
                                   "from_logits": True, "label_smoothing": 0.1},
     "soft_true", "bin_logits", {}),
    ("categorical_focal_crossentropy", {"alpha": 0.5, "gamma": 3.0}, "cat_true", "cat_probs", {}),
    ("categorical_focal_crossentropy", {"from_logits": True}, "cat_true", "cat_logits", {}),
    ("categorical_generalized_cross_entropy", {"q": 0.3}, "sparse_true", "cat_probs", {}),
    ("dice", {}, "seg_true", "seg_pred", {}),
    ("dice", {"axis": [1, 2, 3]}, "seg_true", "seg_pred", {}),
    ("tversky", {"alpha": 0.8, "beta": 0.2, "axis": [1, 2]}, "seg_true", "seg_pred", {}),
    ("ctc", {}, "ctc_true", "ctc_logits", {}),
    ("circle", {}, "emb_labels", "emb", {}),
    ("circle", {"gamma": 16, "margin": 0.3}, "emb_labels", "emb",
     {"ref_labels": "ref_labels", "ref_embeddings": "ref_emb"}),
]


# Every built-in loss class: their default configs are compared key by key.
_ALL_CLASSES = [
    "BinaryCrossentropy", "BinaryFocalCrossentropy", "CTC", "CategoricalCrossentropy",
    "CategoricalFocalCrossentropy", "CategoricalGeneralizedCrossEntropy", "CategoricalHinge",
    "Circle", "CosineSimilarity", "Dice", "Hinge", "Huber", "KLDivergence", "LogCosh",
    "MeanAbsoluteError", "MeanAbsolutePercentageError", "MeanSquaredError",
    "MeanSquaredLogarithmicError", "Poisson", "SparseCategoricalCrossentropy", "SquaredHinge",
    "Tversky",
]


def _grad_cases(keras, jax, jnp, arrays):
    """Value and gradient with respect to logits, through `sigmoid`/`softmax` or from logits."""
    out = []
    weight = arrays["weight"]
    specs = [
        ("BinaryFocalCrossentropy", {"apply_class_balancing": True}, "sigmoid", "bin_true",
         "bin_logits"),
        ("BinaryFocalCrossentropy", {"from_logits": True, "gamma": 3.0}, None, "bin_true",
         "bin_logits"),
        ("CategoricalFocalCrossentropy", {}, "softmax", "cat_true", "cat_logits"),
        ("CategoricalFocalCrossentropy", {"from_logits": True, "label_smoothing": 0.1}, None,
         "cat_true", "cat_logits"),
        ("CTC", {}, None, "ctc_true", "ctc_logits"),
    ]
    for cls, config, activation, true_key, logits_key in specs:
        loss = getattr(keras.losses, cls)(**config)
        act = (lambda z: z) if activation is None else getattr(keras.activations, activation)
        y_true = arrays[true_key]

        def f(z, loss=loss, act=act, y_true=y_true):
            return loss(y_true, act(z), sample_weight=weight)

        value, grad = jax.value_and_grad(f)(jnp.asarray(arrays[logits_key]))
        out.append({"cls": cls, "config": config, "activation": activation,
                    "y_true": true_key, "logits": logits_key, "sample_weight": "weight",
                    "value": float(value), "grad": np.asarray(grad).tolist()})
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

    rng = np.random.default_rng(20240611)
    arrays = _inputs(rng)
    classes = []
    for number, (cls, config, true_key, pred_key, weights) in enumerate(_CASES):
        reductions = REDUCTIONS + (["mean", "none"] if number == 0 else [])
        for reduction in reductions:
            for weight_key in (None, *weights):
                loss = getattr(keras.losses, cls)(reduction=reduction, **config)
                sw = None if weight_key is None else arrays[weight_key]
                value = loss(arrays[true_key], arrays[pred_key], sample_weight=sw)
                classes.append({"cls": cls, "config": config, "reduction": reduction,
                                "y_true": true_key, "y_pred": pred_key,
                                "sample_weight": weight_key,
                                "expected": np.asarray(value).tolist()})
    functions = []
    for fn, kwargs, true_key, pred_key, extra in _FUNCTIONS:
        options = {**kwargs, **{k: arrays[v] for k, v in extra.items()}}
        value = getattr(keras.losses, fn)(arrays[true_key], arrays[pred_key], **options)
        functions.append({"fn": fn, "kwargs": kwargs, "arrays": extra, "y_true": true_key,
                          "y_pred": pred_key, "expected": np.asarray(value).tolist()})
    golden = {
        "keras_version": keras.__version__,
        "arrays": {k: v.tolist() for k, v in arrays.items()},
        "classes": classes,
        "functions": functions,
        "gradients": _grad_cases(keras, jax, jnp, arrays),
        "configs": {cls: getattr(keras.losses, cls)().get_config() for cls in _ALL_CLASSES},
    }
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "losses_family_golden.json")
    with open(path, "w") as f:
        json.dump(_compact(golden), f, separators=(",", ":"))
    print(f"wrote {path}: {len(classes)} class cases, {len(functions)} function cases, "
          f"{len(golden['gradients'])} gradient cases, {os.path.getsize(path)} bytes")


if __name__ == "__main__":
    main()
