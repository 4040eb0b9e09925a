"""Metrics per output in `compile`: Keras 3's log keys (golden, from a real 2-output model
fitted one epoch), their values, weighted metrics, and the errors."""

import json
import pathlib

import numpy as np
import pytest
import torch

import lamina as keras
from lamina import metrics
from lamina.layers import Dense
from lamina.training.compile_utils import CompileMetrics, _log_name

GOLDEN = json.loads((pathlib.Path(__file__).parents[1] / "metrics" / "golden" /
                     "metrics_family_golden.json").read_text())


def two_outputs(single=False):
    inputs = keras.Input((4,), name="x")
    hidden = Dense(8, activation="relu")(inputs)
    out_a = Dense(3, activation="softmax", name="out_a")(hidden)
    if single:
        return keras.Model(inputs, out_a)
    return keras.Model(inputs, [out_a, Dense(1, name="out_b")(hidden)])


def data(n=16, seed=7):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 4)).astype("float32")
    y_a = np.eye(3, dtype="float32")[rng.integers(0, 3, n)]
    y_b = rng.normal(size=(n, 1)).astype("float32")
    return x, y_a, y_b


def fit_keys(metrics_arg, weighted_arg, single=False):
    x, y_a, y_b = data()
    model = two_outputs(single)
    model.compile("sgd", loss="categorical_crossentropy" if single else
                  ["categorical_crossentropy", "mse"],
                  metrics=metrics_arg, weighted_metrics=weighted_arg)
    y = y_a if single else [y_a, y_b]
    train = y[:12] if single else [t[:12] for t in y]
    val = y[12:] if single else [t[12:] for t in y]
    history = model.fit(x[:12], train, epochs=1, verbose=0,
                        sample_weight=np.ones(12, "float32"), validation_data=(x[12:], val))
    return sorted(history.history), model


@pytest.mark.parametrize("case", GOLDEN["compile_cases"],
                         ids=lambda c: f"{c['model']}-{c['metrics']}-{c['weighted_metrics']}")
def test_history_keys_match_keras(case):
    keys, _ = fit_keys(case["metrics"], case["weighted_metrics"], case["model"] == "single")
    assert keys == case["history_keys"]


def test_per_output_values_are_each_outputs_own_metric():
    x, y_a, y_b = data()
    model = two_outputs()
    model.compile("sgd", loss=["categorical_crossentropy", "mse"],
                  metrics={"out_a": ["acc", "mae"], "out_b": ["mae"]},
                  weighted_metrics=[None, ["mae"]])
    weights = np.linspace(0.0, 2.0, 16).astype("float32")
    logs = model.evaluate(x, [y_a, y_b], sample_weight=weights, return_dict=True, verbose=0)
    pred_a, pred_b = model.predict(x, verbose=0)
    assert logs["out_a_acc"] == pytest.approx(np.mean(pred_a.argmax(1) == y_a.argmax(1)))
    assert logs["out_a_mae"] == pytest.approx(np.abs(pred_a - y_a).mean(), rel=1e-5)
    errors = np.abs(pred_b - y_b)[:, 0]
    assert logs["out_b_mae"] == pytest.approx(errors.mean(), rel=1e-5)  # not weighted
    assert logs["out_b_weighted_mae"] == pytest.approx(
        (errors * weights).sum() / weights.sum(), rel=1e-5)


def test_flat_list_of_another_length_applies_to_every_output():
    keys, model = fit_keys(["mae"], None)
    assert keys == ["loss", "out_a_loss", "out_a_mae", "out_b_loss", "out_b_mae", "val_loss",
                    "val_out_a_loss", "val_out_a_mae", "val_out_b_loss", "val_out_b_mae"]
    shared = metrics.MeanSquaredError(name="err")
    keys, model = fit_keys([shared, "mae", "mse"], None)
    assert "out_a_err" in keys and "out_b_err" in keys
    first, second = model.metrics[3], model.metrics[6]
    assert (first.name, second.name) == ("out_a_err", "out_b_err")
    assert first is shared and second is not shared  # a copy: each output keeps its state


def test_recompiling_keeps_the_users_metric_name():
    shared = metrics.MeanSquaredError(name="err")
    keys, _ = fit_keys([None, [shared]], None)
    keys_again, _ = fit_keys([None, [shared]], None)
    assert "out_b_err" in keys and keys_again == keys


def test_a_metric_that_does_not_fit_the_output_names_both_shapes():
    x, y_a, y_b = data()
    model = two_outputs()
    model.compile("sgd", loss=["sparse_categorical_crossentropy", "mse"],
                  metrics=[["mae"], None])
    labels = y_a.argmax(1)
    with pytest.raises(ValueError, match=r"metric 'mae' \(MeanAbsoluteError\) does not fit "
                       r"output 'out_a': y_true.shape=\(16,\), y_pred.shape=\(16, 3\)"):
        model.fit(x, [labels, y_b], batch_size=16, verbose=0)


def test_metric_arguments_are_checked_at_compile():
    model = two_outputs()
    with pytest.raises(ValueError, match=r"`weighted_metrics` for unknown output\(s\) "
                       r"\['out_c'\]. The model's outputs are named \['out_a', 'out_b'\]"):
        model.compile("sgd", loss="mse", weighted_metrics={"out_c": "mae"})
    with pytest.raises(ValueError, match=r"`metrics` to have one entry per output \(2: "
                       r"\['out_a', 'out_b'\]\), or to be a flat list"):
        model.compile("sgd", loss="mse", metrics=[["mae"], ["mse"], ["acc"]])
    with pytest.raises(ValueError, match="Unknown metric: 'acuracy'. Did you mean 'accuracy'?"):
        model.compile("sgd", loss="mse", metrics={"out_a": ["acuracy"]})
    with pytest.raises(TypeError, match="expects `weighted_metrics` to be a list or a dict"):
        model.compile("sgd", loss="mse", weighted_metrics="mae")


def test_config_dicts_and_classes_are_metrics():
    compiled = CompileMetrics([{"class_name": "MeanIoU", "config": {"num_classes": 3}},
                               metrics.R2Score], None, ["out_a", "out_b"])
    assert [(index, weighted) for index, _, weighted in compiled._specs] == [(0, False),
                                                                             (1, False)]
    whole = CompileMetrics({"class_name": "Hinge", "config": {}}, None, ["out_a", "out_b"])
    assert [index for index, _, _ in whole._specs] == [0, 1]


def test_log_names_follow_keras_dedup_rules():
    taken = {}
    names = [_log_name("a_", "mae", False, taken), _log_name("a_", "mae", False, taken),
             _log_name("a_", "mae", False, taken), _log_name("a_", "mae", True, taken),
             _log_name("a_", "mae", True, taken), _log_name("b_", "mae", True, taken)]
    assert names == ["a_mae", "a_mae_1", "a_mae_2", "a_weighted_mae", "a_weighted_mae_1",
                     "b_mae"]


def test_errors_after_a_good_first_batch_are_not_blamed_on_shapes():
    compiled = CompileMetrics(["mae"], None, ["out"])
    y_true, y_pred = [torch.zeros(2, 3)], [torch.zeros(2, 3)]
    compiled.build(y_true, y_pred, "cpu")
    compiled.update_state(y_true, y_pred, [None])
    with pytest.raises(ValueError, match="`mean_absolute_error` expects") as caught:
        compiled.update_state(y_true, [torch.zeros(2, 4)], [None])
    assert "does not fit" not in str(caught.value)
