"""`fit`, `evaluate` and `predict` reproduce real Keras 3 end to end (golden values made by
`golden/make_fit_golden.py`): losses with clipping and fused softmax, sample and class weights,
validation_split, the loss tracker's batch-size weighting, and each optimizer's update."""

import json
from pathlib import Path

import numpy as np
import pytest

import lamina as keras

HERE = Path(__file__).parent / "golden"
ARRAYS = np.load(HERE / "fit_golden.npz")
META = json.loads((HERE / "fit_golden.json").read_text())

CASES = {
    "softmax_cce_adam": ("cat", "softmax", "categorical_crossentropy", "adam", ["acc"], {}),
    "softmax_scce_sgd": ("sparse", "softmax", "sparse_categorical_crossentropy",
                         "sgd_momentum", ["accuracy"], {"use_sample_weight": True}),
    "logits_cce_rmsprop": ("cat", None, "cce_logits", "rmsprop", ["acc"], {}),
    "sigmoid_bce_adam": ("bin", "sigmoid", "binary_crossentropy", "adam", ["acc", "mse"],
                         {"validation_split": 0.2}),
    "relu_mse_adagrad": ("cat", "relu", "mse", "adagrad", ["mae"], {}),
    "huber_adadelta": ("cat", None, "huber", "adadelta", [], {"class_weight": True}),
}


def build(name):
    kind, activation, loss, optimizer, metrics, options = CASES[name]
    units = 1 if kind == "bin" else 3
    model = keras.Sequential([
        keras.Input((6,)),
        keras.layers.Dense(8, activation="tanh"),
        keras.layers.Dense(units, activation=activation),
    ])
    k, b = ("k3", "b3") if kind == "bin" else ("k2", "b2")
    model.set_weights([ARRAYS["k1"], ARRAYS["b1"], ARRAYS[k], ARRAYS[b]])
    opt = {"adam": lambda: keras.optimizers.Adam(0.01),
           "sgd_momentum": lambda: keras.optimizers.SGD(0.1, momentum=0.9, nesterov=True),
           "rmsprop": lambda: keras.optimizers.RMSprop(0.01),
           "adagrad": lambda: keras.optimizers.Adagrad(0.1),
           "adadelta": lambda: keras.optimizers.Adadelta(1.0)}[optimizer]()
    loss_obj = keras.losses.CategoricalCrossentropy(from_logits=True) \
        if loss == "cce_logits" else loss
    model.compile(optimizer=opt, loss=loss_obj, metrics=metrics)
    y = {"cat": ARRAYS["y_cat"], "sparse": ARRAYS["labels"], "bin": ARRAYS["y_bin"]}[kind]
    kwargs = {"epochs": 3, "batch_size": 16, "shuffle": False, "verbose": 0}
    if options.get("use_sample_weight"):
        kwargs["sample_weight"] = ARRAYS["sample_weight"]
    if options.get("class_weight"):
        kwargs["class_weight"] = {0: 0.5, 1: 2.0, 2: 1.0}
    if "validation_split" in options:
        kwargs["validation_split"] = options["validation_split"]
    return model, y, kwargs


@pytest.mark.parametrize("name", sorted(CASES))
def test_fit_evaluate_predict_match_keras(name):
    model, y, kwargs = build(name)
    history = model.fit(ARRAYS["x"], y, **kwargs)
    expected = META[name]
    assert list(history.history) == list(expected["history"])  # same keys, same order
    for key, values in expected["history"].items():
        np.testing.assert_allclose(history.history[key], values, rtol=2e-5, atol=2e-6,
                                   err_msg=key)
    for i, weight in enumerate(model.get_weights()):
        np.testing.assert_allclose(weight, ARRAYS[f"{name}/weight{i}"], rtol=1e-4, atol=2e-6)
    np.testing.assert_allclose(model.predict(ARRAYS["x"], verbose=0), ARRAYS[f"{name}/predict"],
                               rtol=1e-4, atol=2e-6)
    result = model.evaluate(ARRAYS["x"], y, verbose=0, return_dict=True)
    assert set(result) == set(expected["evaluate"])
    for key, value in expected["evaluate"].items():
        assert result[key] == pytest.approx(value, rel=2e-5, abs=2e-6), key
