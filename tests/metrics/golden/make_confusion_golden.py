"""Writes `confusion_golden.json`: Keras 3 results of the confusion-matrix metrics and F-scores.

Run with real Keras 3 (JAX backend) from the repository root:

    KERAS_BACKEND=jax /tmp/kenv/bin/python tests/metrics/golden/make_confusion_golden.py

Each case is one metric config on one input kind, updated once with the whole data set,
without and with sample weights; the fixture keeps the inputs, the results and Keras'
`get_config()` (and for the "edges" kind, the weighted state variables too). Predictions are rounded to multiples of 0.05 and include 0, 0.5 and 1, so many
fall exactly on a threshold and the tests check Keras' bucketing at the edges. Keras is
imported inside `main()` only: pytest imports this file while collecting doctests.
"""

import json
import os

import numpy as np

N = 12  # samples; the tests split them into batches of 5, 4 and 3


def _inputs():
    rng = np.random.default_rng(20240611)

    def grid(shape):
        return np.round(rng.integers(0, 21, shape) * 0.05, 2)

    binary_pred = grid((N, 1))
    binary_pred[:3, 0] = [0.0, 0.5, 1.0]
    multi_pred = grid((N, 3))
    multi_pred[0] = [0.0, 0.0, 0.0]  # a row with no positive prediction (F-scores)
    multi_pred[1] = [0.4, 0.4, 0.1]  # a tie for the top score
    multi_true = rng.integers(0, 2, (N, 3)).astype("float32")
    multi_true[2] = 0.0
    return {
        "binary": (rng.integers(0, 2, (N, 1)).astype("float32"), binary_pred),
        "multi": (multi_true, multi_pred),
        "logits": (multi_true, np.round(rng.normal(scale=2.0, size=(N, 3)), 2)),
        "sparse_1d": (rng.integers(0, 2, (N,)).astype("float32"), grid((N,))),
        # float32 values where Keras' bucketing of evenly spaced thresholds,
        # ceil(y_pred * (n - 1)) - 1, differs from an exact `y_pred > threshold`
        "edges": (np.array([[1.0], [1.0], [0.0], [1.0], [0.0], [1.0], [1.0], [0.0], [1.0], [0.0],
                            [1.0], [0.0]], "float32"),
                  np.array([[0.90000004], [0.1557789], [0.26633167], [0.3115578],
                            [0.51758796], [0.9], [0.0], [1.0], [0.5], [0.3], [0.31155780],
                            [0.15577890]], "float32")),
        "weights": np.round(rng.uniform(0.0, 2.0, N), 2).tolist(),
    }


# (class, positional args, config, input kind)
_CASES = [
    ("TruePositives", [], {}, "binary"),
    ("TruePositives", [], {"thresholds": [0.2, 0.5, 0.8]}, "multi"),
    ("FalsePositives", [], {"thresholds": [0.7, 0.1, 0.45]}, "multi"),
    ("FalsePositives", [], {}, "sparse_1d"),
    ("TrueNegatives", [], {"thresholds": [0.0, 0.5, 1.0]}, "binary"),
    ("TrueNegatives", [], {}, "multi"),
    ("FalseNegatives", [], {"thresholds": [0.0, 0.25, 0.5, 0.75, 1.0]}, "multi"),
    ("FalseNegatives", [], {"thresholds": 0.35}, "binary"),
    ("Precision", [], {}, "binary"),
    ("Precision", [], {}, "multi"),
    ("Precision", [], {"thresholds": [0.3, 0.6]}, "multi"),
    ("Precision", [], {"thresholds": [0.0, 0.25, 0.5, 0.75, 1.0]}, "multi"),
    ("Precision", [], {"top_k": 2}, "multi"),
    ("Precision", [], {"class_id": 1}, "multi"),
    ("Precision", [], {"top_k": 1, "class_id": 0}, "multi"),
    ("Precision", [], {"thresholds": [0.5], "top_k": 2}, "multi"),
    ("Recall", [], {}, "binary"),
    ("Recall", [], {"thresholds": [0.9, 0.3]}, "multi"),
    ("Recall", [], {"thresholds": [0.0, 0.5, 1.0]}, "sparse_1d"),
    ("Recall", [], {"top_k": 2}, "multi"),
    ("Recall", [], {"class_id": 0}, "multi"),
    ("Recall", [], {"top_k": 2, "class_id": 1}, "multi"),
    ("SensitivityAtSpecificity", [0.5], {}, "binary"),
    ("SensitivityAtSpecificity", [0.3], {"num_thresholds": 11, "class_id": 1}, "multi"),
    ("SpecificityAtSensitivity", [0.6], {}, "multi"),
    ("SpecificityAtSensitivity", [0.5], {"num_thresholds": 1}, "binary"),
    ("PrecisionAtRecall", [0.5], {}, "binary"),
    ("PrecisionAtRecall", [0.8], {"num_thresholds": 21, "class_id": 2}, "multi"),
    ("RecallAtPrecision", [0.35], {}, "multi"),
    ("RecallAtPrecision", [0.4], {"num_thresholds": 11}, "binary"),
    ("AUC", [], {}, "binary"),
    ("AUC", [], {}, "multi"),
    ("AUC", [], {"num_thresholds": 21}, "multi"),
    ("AUC", [], {"num_thresholds": 11}, "binary"),
    ("AUC", [], {"curve": "PR"}, "multi"),
    ("AUC", [], {"curve": "PR", "num_thresholds": 11}, "binary"),
    ("AUC", [], {"curve": "PR", "summation_method": "majoring"}, "multi"),
    ("AUC", [], {"curve": "PR", "summation_method": "minoring"}, "binary"),
    ("AUC", [], {"summation_method": "minoring"}, "multi"),
    ("AUC", [], {"summation_method": "majoring", "num_thresholds": 11}, "multi"),
    ("AUC", [], {"curve": "PRGAIN"}, "multi"),
    ("AUC", [], {"thresholds": [0.1, 0.4, 0.9]}, "multi"),
    ("AUC", [], {"thresholds": [0.75, 0.25, 0.5]}, "binary"),
    ("AUC", [], {"thresholds": [0.3, 0.6], "curve": "PR"}, "multi"),
    ("AUC", [], {"multi_label": True}, "multi"),
    ("AUC", [], {"multi_label": True, "num_labels": 3, "curve": "PR"}, "multi"),
    ("AUC", [], {"multi_label": True, "label_weights": [0.5, 1.0, 2.0]}, "multi"),
    ("AUC", [], {"multi_label": True, "label_weights": [1.0, 0.0, 3.0], "curve": "PR"},
     "multi"),
    ("AUC", [], {"label_weights": [0.5, 1.0, 2.0]}, "multi"),
    ("AUC", [], {"multi_label": True, "thresholds": [0.2, 0.7]}, "multi"),
    ("AUC", [], {"from_logits": True}, "logits"),
    ("AUC", [], {"from_logits": True, "multi_label": True, "curve": "PR"}, "logits"),
    ("TruePositives", [], {"thresholds": [i / 10 for i in range(11)]}, "edges"),
    ("FalsePositives", [], {"thresholds": [i / 199 for i in range(200)]}, "edges"),
    ("AUC", [], {}, "edges"),
    ("AUC", [], {"curve": "PR"}, "edges"),
    ("SensitivityAtSpecificity", [0.4], {}, "edges"),
    ("F1Score", [], {}, "multi"),
    ("F1Score", [], {"average": "micro"}, "multi"),
    ("F1Score", [], {"average": "macro", "threshold": 0.5}, "multi"),
    ("F1Score", [], {"average": "weighted"}, "multi"),
    ("FBetaScore", [], {"beta": 2.0}, "multi"),
    ("FBetaScore", [], {"beta": 0.5, "average": "micro", "threshold": 0.3}, "multi"),
    ("FBetaScore", [], {"beta": 2.0, "average": "weighted", "threshold": 0.6}, "multi"),
    ("FBetaScore", [], {"average": "macro"}, "logits"),
]


def _plain(value):
    """JSON-friendly config values (Keras keeps `label_weights` as an array)."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if hasattr(value, "tolist"):
        return _plain(value.tolist())
    return value


def main():
    import keras

    data = _inputs()
    weights = np.asarray(data["weights"], "float32")
    cases = []
    for cls, args, config, kind in _CASES:
        y_true, y_pred = data[kind]
        results = []
        for weight in (None, weights):
            metric = getattr(keras.metrics, cls)(*args, **config)
            metric.update_state(y_true, y_pred, sample_weight=weight)
            results.append(np.asarray(metric.result(), "float64").tolist())
        state = ([np.asarray(v, "float64").tolist() for v in metric.variables]
                 if kind == "edges" else None)  # the counts behind the (weighted) result
        keras_config = _plain(getattr(keras.metrics, cls)(*args, **config).get_config())
        keras_config.pop("name")  # automatic names differ between runs
        cases.append({"cls": cls, "args": args, "config": config, "kind": kind,
                      "results": results, "state": state, "keras_config": keras_config})
    inputs = {kind: [np.asarray(a).tolist() for a in pair]
              for kind, pair in data.items() if kind != "weights"}
    out = {"inputs": inputs, "weights": data["weights"], "cases": cases}
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "confusion_golden.json")
    with open(path, "w") as handle:
        json.dump(out, handle, separators=(",", ":"))
    print(f"wrote {len(cases)} cases to {path}")


if __name__ == "__main__":
    main()
