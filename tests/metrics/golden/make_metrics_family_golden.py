"""Writes `metrics_family_golden.json`: Keras 3 results of the IoU, R2, hinge and correlation
metrics, the history keys `fit` logs for multi-output models, and the names in
`keras.metrics`.

Run with real Keras 3 (JAX backend) from the repository root:

    KERAS_BACKEND=jax /tmp/kenv/bin/python tests/metrics/golden/make_metrics_family_golden.py

Each metric case runs twice in Keras: once over the whole input (one `update_state`), and once
over two batches (results after each). Inputs and weights come from a seeded RNG and are
stored beside the results, so the tests never need Keras. Keras is imported inside `main()`.
"""

import json
import os
import warnings

import numpy as np

SPLIT = 5  # the first batch is `[:SPLIT]`, the second the rest


def _round(a, dtype="float32"):
    return np.round(np.asarray(a, "float64"), 4).astype(dtype)


def _inputs(rng):
    """Named `(y_true, y_pred)` pairs, 9 or 10 samples each."""
    labels = lambda n, k: rng.integers(0, k, n).astype("int32")  # noqa: E731
    onehot = lambda n, k: np.eye(k, dtype="float32")[rng.integers(0, k, n)]  # noqa: E731
    return {
        "sparse3": (labels(10, 3), labels(10, 3)),
        "sparse3_col": (labels(10, 3)[:, None], labels(10, 3)[:, None]),
        # segmentation maps with a "void" label (255) and labels out of range (-1, 3)
        "maps3": (rng.choice([0, 1, 2, 255, -1], (10, 3, 3)).astype("int32"),
                  rng.choice([0, 1, 2, 3], (10, 3, 3)).astype("int32")),
        "onehot4": (onehot(10, 4), _round(rng.dirichlet(np.ones(4), 10))),
        "onehot4_sparse_pred": (onehot(10, 4), labels(10, 4)),
        "binary": (labels(10, 2).astype("float32"), _round(rng.uniform(size=10))),
        "binary_col": (labels(10, 2)[:, None].astype("float32"),
                       _round(rng.uniform(size=(10, 1)))),
        "regression3": (_round(rng.normal(size=(10, 3))), _round(rng.normal(size=(10, 3)))),
        "regression1": (_round(rng.normal(size=(10,))), _round(rng.normal(size=(10, 1)))),
        "signs": (rng.choice([-1.0, 1.0], (10, 3)).astype("float32"),
                  _round(rng.normal(size=(10, 3)))),
        "zero_one": (rng.choice([0.0, 1.0], (10, 3)).astype("float32"),
                     _round(rng.normal(size=(10, 3)))),
        "onehot4_scores": (onehot(10, 4), _round(rng.normal(size=(10, 4)))),
        "correlated": (_round(rng.normal(size=(10, 5))), None),
    }


def _weights(rng):
    return {
        "float": _round(rng.uniform(0.0, 3.0, 10)),
        "int": rng.integers(0, 4, 10).astype("int32"),
        "maps": rng.integers(0, 3, (10, 3, 3)).astype("int32"),
        "float_col": _round(rng.uniform(0.0, 3.0, (10, 1))),
        "float_2d": _round(rng.uniform(0.0, 3.0, (10, 3))),
    }


# (class, config, input name, weight names); each case runs once per weight name.
_CASES = [
    ("IoU", {"num_classes": 3, "target_class_ids": [0]}, "sparse3", [None, "int", "float"]),
    ("IoU", {"num_classes": 3, "target_class_ids": [0, 2], "dtype": "float32"}, "sparse3",
     [None, "float"]),
    ("IoU", {"num_classes": 3, "target_class_ids": [1], "ignore_class": 0}, "sparse3_col",
     [None, "int"]),
    ("IoU", {"num_classes": 4, "target_class_ids": [1, 3], "sparse_y_true": False,
             "sparse_y_pred": False}, "onehot4", [None, "int"]),
    ("MeanIoU", {"num_classes": 3}, "sparse3", [None, "int"]),
    ("MeanIoU", {"num_classes": 3, "dtype": "float32"}, "sparse3_col", [None, "float"]),
    ("MeanIoU", {"num_classes": 3, "ignore_class": 255}, "maps3", [None, "maps"]),
    ("MeanIoU", {"num_classes": 3, "ignore_class": 1, "dtype": "float32"}, "maps3",
     [None, "maps"]),
    ("BinaryIoU", {}, "binary", [None, "int"]),
    ("BinaryIoU", {"target_class_ids": [1], "threshold": 0.3, "dtype": "float32"}, "binary_col",
     [None, "float", "float_col"]),
    ("BinaryIoU", {"target_class_ids": [0]}, "binary", [None]),
    ("OneHotIoU", {"num_classes": 4, "target_class_ids": [0, 2]}, "onehot4", [None, "int"]),
    ("OneHotIoU", {"num_classes": 4, "target_class_ids": [3], "sparse_y_pred": True},
     "onehot4_sparse_pred", [None]),
    ("OneHotMeanIoU", {"num_classes": 4}, "onehot4", [None, "int"]),
    ("OneHotMeanIoU", {"num_classes": 4, "dtype": "float32"}, "onehot4", [None, "float"]),
    ("R2Score", {}, "regression3", [None, "float", "float_2d"]),
    ("R2Score", {"class_aggregation": "variance_weighted_average"}, "regression3",
     [None, "float"]),
    ("R2Score", {"class_aggregation": None}, "regression3", [None, "float_col"]),
    ("R2Score", {"num_regressors": 2}, "regression3", [None, "float"]),
    ("R2Score", {"num_regressors": 29}, "regression3", [None]),  # = n - 1: plain R2
    ("R2Score", {"num_regressors": 40}, "regression3", [None]),  # > n - 1: plain R2
    ("R2Score", {}, "regression1", [None, "float"]),
    ("Hinge", {}, "signs", [None, "float"]),
    ("Hinge", {}, "zero_one", [None, "float"]),
    ("SquaredHinge", {}, "signs", [None, "float"]),
    ("SquaredHinge", {}, "zero_one", [None, "float_col"]),
    ("CategoricalHinge", {}, "onehot4_scores", [None, "float"]),
    ("PearsonCorrelation", {}, "correlated", [None, "float"]),
    ("PearsonCorrelation", {"axis": 0}, "correlated", [None]),
    ("ConcordanceCorrelation", {}, "correlated", [None, "float"]),
    ("ConcordanceCorrelation", {"axis": 0}, "correlated", [None]),
]

_FUNCTIONS = [("pearson_correlation", "correlated"), ("concordance_correlation", "correlated"),
              ("hinge", "zero_one"), ("squared_hinge", "signs"),
              ("categorical_hinge", "onehot4_scores")]

# compile(metrics=..., weighted_metrics=...) of a model with outputs "out_a" (3 softmax units,
# one-hot labels) and "out_b" (1 unit); "single" uses only "out_a".
_COMPILE_CASES = [
    ("two", ["acc", "mae"], None),
    ("two", [["acc", "mae"], ["mse"]], None),
    ("two", {"out_a": ["acc"], "out_b": "mae"}, None),
    ("two", {"out_b": ["mae"]}, ["mae", "mae"]),
    ("two", [["mae", "mae"], None], None),
    ("two", {"out_a": "acc"}, {"out_a": "acc", "out_b": ["mae", "mse"]}),
    ("two", [["categorical_accuracy", "MeanSquaredError"], ["mse"]], [None, ["mse"]]),
    ("two", [[{"class_name": "CategoricalAccuracy", "config": {"name": "cat"}}],
             [{"class_name": "MeanSquaredError", "config": {"name": "my_mse"}}]], None),
    ("two", None, {"out_a": ["acc", "acc"]}),
    ("single", ["acc", "mae"], ["acc"]),
    ("single", {"out_a": ["acc"]}, None),
]


def _model(keras, kind):
    inputs = keras.Input((4,), name="x")
    hidden = keras.layers.Dense(8, activation="relu")(inputs)
    out_a = keras.layers.Dense(3, activation="softmax", name="out_a")(hidden)
    if kind == "single":
        return keras.Model(inputs, out_a)
    return keras.Model(inputs, [out_a, keras.layers.Dense(1, name="out_b")(hidden)])


def _metric_from_spec(keras, spec):
    """The compile argument with config dicts turned into Keras metric objects."""
    if isinstance(spec, dict) and "class_name" in spec:
        return getattr(keras.metrics, spec["class_name"])(**spec["config"])
    if isinstance(spec, dict):
        return {key: _metric_from_spec(keras, value) for key, value in spec.items()}
    if isinstance(spec, list):
        return [_metric_from_spec(keras, value) for value in spec]
    return spec


def _history_keys(keras, kind, metrics, weighted_metrics):
    rng = np.random.default_rng(7)
    x = rng.normal(size=(16, 4)).astype("float32")
    y_a = np.eye(3, dtype="float32")[rng.integers(0, 3, 16)]
    y_b = rng.normal(size=(16, 1)).astype("float32")
    model = _model(keras, kind)
    single = kind == "single"
    model.compile("sgd", loss="categorical_crossentropy" if single else
                  ["categorical_crossentropy", "mse"],
                  metrics=_metric_from_spec(keras, metrics),
                  weighted_metrics=_metric_from_spec(keras, weighted_metrics))
    y = y_a if single else [y_a, y_b]
    history = model.fit(x[:12], y[:12] if single else [t[:12] for t in y], epochs=1, verbose=0,
                        sample_weight=np.ones(12, "float32"),
                        validation_data=(x[12:], y_a[12:] if single else [t[12:] for t in y]))
    return sorted(history.history)


def _compact(obj):
    """Floats to 9 significant digits: enough to round-trip float32 exactly."""
    if isinstance(obj, float):
        return float(f"{obj:.9g}")
    if isinstance(obj, dict):
        return {k: _compact(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_compact(v) for v in obj]
    return obj


def _value(result):
    array = np.asarray(result, "float64")
    return array.tolist() if array.ndim else float(array)


def main():
    os.environ.setdefault("KERAS_BACKEND", "jax")
    import keras

    rng = np.random.default_rng(2024)
    inputs = _inputs(rng)
    y = inputs["correlated"][0]
    inputs["correlated"] = (y, _round(y + rng.normal(scale=0.5, size=y.shape)))
    weights = _weights(rng)
    cases = []
    warnings.simplefilter("ignore")  # Keras warns about float weights with its int states
    for cls, config, name, weight_names in _CASES:
        y_true, y_pred = inputs[name]
        for weight_name in weight_names:
            weight = None if weight_name is None else weights[weight_name]
            metric = getattr(keras.metrics, cls)(**config)
            metric.update_state(y_true, y_pred, sample_weight=weight)
            one_shot = _value(metric.result())
            metric = getattr(keras.metrics, cls)(**config)
            results = []
            for part in (slice(0, SPLIT), slice(SPLIT, None)):
                metric.update_state(y_true[part], y_pred[part],
                                    sample_weight=None if weight is None else weight[part])
                results.append(_value(metric.result()))
            config_out = {k: v for k, v in metric.get_config().items() if k != "name"}
            cases.append({"cls": cls, "config": config, "inputs": name, "weights": weight_name,
                          "one_shot": one_shot, "results": results,
                          "keras_config": config_out})
    functions = [{"fn": fn, "inputs": name,
                  "expected": _value(getattr(keras.metrics, fn)(*inputs[name]))}
                 for fn, name in _FUNCTIONS]
    compile_cases = [{"model": kind, "metrics": metrics, "weighted_metrics": weighted,
                      "history_keys": _history_keys(keras, kind, metrics, weighted)}
                     for kind, metrics, weighted in _COMPILE_CASES]
    golden = {
        "keras_version": keras.__version__,
        "namespace": sorted(name for name in dir(keras.metrics) if not name.startswith("_")),
        "split": SPLIT,
        "inputs": {k: [t.tolist(), p.tolist()] for k, (t, p) in inputs.items()},
        "input_dtypes": {k: [str(t.dtype), str(p.dtype)] for k, (t, p) in inputs.items()},
        "weights": {k: w.tolist() for k, w in weights.items()},
        "weight_dtypes": {k: str(w.dtype) for k, w in weights.items()},
        "cases": cases,
        "functions": functions,
        "compile_cases": compile_cases,
    }
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "metrics_family_golden.json")
    with open(path, "w") as f:
        json.dump(_compact(golden), f, separators=(",", ":"))
    print(f"wrote {path}: {len(cases)} metric cases, {len(compile_cases)} compile cases")


if __name__ == "__main__":
    main()
