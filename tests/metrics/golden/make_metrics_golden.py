"""Writes `metrics_golden.json`: Keras 3 metric results over two `update_state` calls.

Run with real Keras 3 (JAX backend) from the repository root:

    KERAS_BACKEND=jax /tmp/kenv/bin/python tests/metrics/golden/make_metrics_golden.py

Inputs come from a seeded RNG and are stored beside the results, so the tests never need
Keras. Keras is imported inside `main()` only: pytest imports this file while collecting
doctests.
"""

import json
import os

import numpy as np


def _round(a):
    return np.round(np.asarray(a, "float32"), 4).astype("float32")


def _batches(rng):
    """Two batches per input kind: (y_true, y_pred) pairs of different sizes."""

    def pair(make_true, make_pred):
        return [(make_true(n), make_pred(n)) for n in (4, 3)]

    probs = lambda n: _round(rng.dirichlet(np.ones(5), n))  # noqa: E731
    tied = lambda n: _round(np.tile([[0.3, 0.3, 0.1, 0.2, 0.1]], (n, 1)))  # noqa: E731
    return {
        "values": [(None, _round(rng.normal(size=(4,)))), (None, _round(rng.normal(size=(3,))))],
        "values_2d": [(None, _round(rng.normal(size=(4, 2)))),
                      (None, _round(rng.normal(size=(3, 2))))],
        "exact": pair(lambda n: _round(rng.integers(0, 3, (n, 1))),
                      lambda n: _round(rng.integers(0, 3, (n, 1)))),
        "binary": pair(lambda n: _round(rng.integers(0, 2, (n, 2))),
                       lambda n: _round(rng.uniform(size=(n, 2)))),
        "binary_logits": pair(lambda n: _round(rng.integers(0, 2, (n, 2))),
                              lambda n: _round(rng.normal(scale=3, size=(n, 2)))),
        "onehot": pair(lambda n: _round(np.eye(5)[rng.integers(0, 5, n)]), probs),
        "onehot_tied": pair(lambda n: _round(np.eye(5)[rng.integers(0, 5, n)]), tied),
        "onehot_logits": pair(lambda n: _round(np.eye(5)[rng.integers(0, 5, n)]),
                              lambda n: _round(rng.normal(size=(n, 5)))),
        "sparse": pair(lambda n: _round(rng.integers(0, 5, (n,))), probs),
        "sparse_col": pair(lambda n: _round(rng.integers(0, 5, (n, 1))), probs),
        "sparse_tied": pair(lambda n: _round(rng.integers(0, 5, (n,))), tied),
        "sparse_ignore": pair(lambda n: _round(rng.integers(-1, 5, (n,))), probs),
        "regression": pair(lambda n: _round(rng.normal(size=(n, 3))),
                           lambda n: _round(rng.normal(size=(n, 3)))),
        "positive": pair(lambda n: _round(rng.uniform(0.1, 3, (n, 3))),
                         lambda n: _round(rng.uniform(0.1, 3, (n, 3)))),
        "distribution": pair(lambda n: _round(rng.dirichlet(np.ones(3), n)),
                             lambda n: _round(rng.dirichlet(np.ones(3), n))),
    }


# (class, config, input kind); each runs with weights (None, w2) and (w1, w2).
_CASES = [
    ("Mean", {}, "values"),
    ("Mean", {}, "values_2d"),
    ("Sum", {}, "values"),
    ("Sum", {}, "values_2d"),
    ("Accuracy", {}, "exact"),
    ("BinaryAccuracy", {}, "binary"),
    ("BinaryAccuracy", {"threshold": 0.7}, "binary"),
    ("CategoricalAccuracy", {}, "onehot"),
    ("SparseCategoricalAccuracy", {}, "sparse"),
    ("SparseCategoricalAccuracy", {}, "sparse_col"),
    ("TopKCategoricalAccuracy", {"k": 2}, "onehot"),
    ("TopKCategoricalAccuracy", {"k": 1}, "onehot_tied"),
    ("SparseTopKCategoricalAccuracy", {"k": 2}, "sparse"),
    ("SparseTopKCategoricalAccuracy", {"k": 2}, "sparse_col"),
    ("SparseTopKCategoricalAccuracy", {"k": 1}, "sparse_tied"),
    ("MeanSquaredError", {}, "regression"),
    ("MeanAbsoluteError", {}, "regression"),
    ("RootMeanSquaredError", {}, "regression"),
    ("MeanAbsolutePercentageError", {}, "regression"),
    ("MeanSquaredLogarithmicError", {}, "positive"),
    ("CosineSimilarity", {}, "regression"),
    ("LogCoshError", {}, "regression"),
    ("KLDivergence", {}, "distribution"),
    ("Poisson", {}, "positive"),
    ("BinaryCrossentropy", {}, "binary"),
    ("BinaryCrossentropy", {"from_logits": True, "label_smoothing": 0.1}, "binary_logits"),
    ("CategoricalCrossentropy", {}, "onehot"),
    ("CategoricalCrossentropy", {"from_logits": True, "label_smoothing": 0.2}, "onehot_logits"),
    ("SparseCategoricalCrossentropy", {}, "sparse"),
    ("SparseCategoricalCrossentropy", {"from_logits": True}, "onehot_logits_sparse"),
    ("SparseCategoricalCrossentropy", {"ignore_class": -1}, "sparse_ignore"),
]

# Function forms: per-sample values on the first batch of a kind.
_FUNCTIONS = [
    ("binary_accuracy", {}, "binary"),
    ("binary_accuracy", {"threshold": 0.2}, "binary"),
    ("categorical_accuracy", {}, "onehot"),
    ("sparse_categorical_accuracy", {}, "sparse"),
    ("sparse_categorical_accuracy", {}, "sparse_col"),
    ("top_k_categorical_accuracy", {"k": 3}, "onehot"),
    ("sparse_top_k_categorical_accuracy", {"k": 3}, "sparse"),
    ("sparse_top_k_categorical_accuracy", {"k": 1}, "sparse_tied"),
]


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
    import keras

    rng = np.random.default_rng(4321)
    batches = _batches(rng)
    # integer labels matching the logits batches, for sparse CE from logits
    batches["onehot_logits_sparse"] = [(np.argmax(t, -1).astype("float32"), p)
                                       for t, p in batches["onehot_logits"]]
    weights = [_round(rng.uniform(0.0, 2.0, 4)), _round(rng.uniform(0.0, 2.0, 3))]
    cases = []
    for cls, config, kind in _CASES:
        for first_weight in (None, weights[0]):
            metric = getattr(keras.metrics, cls)(**config)
            results = []
            for (y_true, y_pred), sw in zip(batches[kind], (first_weight, weights[1])):
                if y_true is None:
                    metric.update_state(y_pred, sample_weight=sw)
                else:
                    metric.update_state(y_true, y_pred, sample_weight=sw)
                results.append(float(metric.result()))
            cases.append({"cls": cls, "config": config, "kind": kind,
                          "first_weighted": first_weight is not None, "results": results,
                          "keras_config": metric.get_config()})
    functions = []
    for fn, kwargs, kind in _FUNCTIONS:
        y_true, y_pred = batches[kind][0]
        value = getattr(keras.metrics, fn)(y_true, y_pred, **kwargs)
        functions.append({"fn": fn, "kwargs": kwargs, "kind": kind,
                          "expected": np.asarray(value).tolist()})
    golden = {
        "keras_version": keras.__version__,
        "batches": {k: [[None if t is None else t.tolist(), p.tolist()] for t, p in v]
                    for k, v in batches.items()},
        "weights": [w.tolist() for w in weights],
        "cases": cases,
        "functions": functions,
    }
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "metrics_golden.json")
    with open(path, "w") as f:
        json.dump(_compact(golden), f, separators=(",", ":"))
    print(f"wrote {path}: {len(cases)} metric cases, {len(functions)} function cases")


if __name__ == "__main__":
    main()
