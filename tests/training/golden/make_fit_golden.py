"""Golden values for `fit`/`evaluate`/`predict` from real Keras 3 (JAX backend).

Run: KERAS_BACKEND=jax /tmp/kenv/bin/python tests/training/golden/make_fit_golden.py
Writes fit_golden.npz beside this script. A small MLP with fixed weights is trained without
shuffling, so every batch, loss and update is determined; lamina must reproduce the history,
the final weights and the evaluation.
"""

import json
from pathlib import Path

import keras
import numpy as np

rng = np.random.default_rng(7)
x = rng.normal(size=(50, 6)).astype("float32")
labels = rng.integers(0, 3, size=50)
y_cat = np.eye(3, dtype="float32")[labels]
y_bin = (x[:, :1] > 0).astype("float32")
w = {
    "k1": rng.normal(scale=0.5, size=(6, 8)).astype("float32"),
    "b1": rng.normal(scale=0.1, size=(8,)).astype("float32"),
    "k2": rng.normal(scale=0.5, size=(8, 3)).astype("float32"),
    "b2": rng.normal(scale=0.1, size=(3,)).astype("float32"),
    "k3": rng.normal(scale=0.5, size=(8, 1)).astype("float32"),
    "b3": rng.normal(scale=0.1, size=(1,)).astype("float32"),
}
sample_weight = rng.uniform(0.5, 2.0, size=50).astype("float32")
out = {"x": x, "labels": labels, "y_cat": y_cat, "y_bin": y_bin,
       "sample_weight": sample_weight, **w}
cases = {
    # name: (output, activation, loss, optimizer, metrics, fit kwargs)
    "softmax_cce_adam": ("cat", "softmax", "categorical_crossentropy", "adam", ["acc"], {}),
    "softmax_scce_sgd": ("sparse", "softmax", "sparse_categorical_crossentropy",
                         "sgd_momentum", ["accuracy"], {"use_sample_weight": True}),
    "logits_cce_rmsprop": ("cat", None, "cce_logits", "rmsprop", ["acc"], {}),
    "sigmoid_bce_adam": ("bin", "sigmoid", "binary_crossentropy", "adam", ["acc", "mse"],
                         {"validation_split": 0.2}),
    "relu_mse_adagrad": ("cat", "relu", "mse", "adagrad", ["mae"], {}),
    "huber_adadelta": ("cat", None, "huber", "adadelta", [], {"class_weight": True}),
}
meta = {}
for name, (kind, activation, loss, optimizer, metrics, fit_kwargs) in cases.items():
    units = 1 if kind == "bin" else 3
    model = keras.Sequential([
        keras.Input((6,)),
        keras.layers.Dense(8, activation="tanh"),
        keras.layers.Dense(units, activation=activation),
    ])
    k, b = ("k3", "b3") if kind == "bin" else ("k2", "b2")
    model.set_weights([w["k1"], w["b1"], w[k], w[b]])
    opt = {"adam": keras.optimizers.Adam(0.01),
           "sgd_momentum": keras.optimizers.SGD(0.1, momentum=0.9, nesterov=True),
           "rmsprop": keras.optimizers.RMSprop(0.01),
           "adagrad": keras.optimizers.Adagrad(0.1),
           "adadelta": keras.optimizers.Adadelta(1.0)}[optimizer]
    loss_obj = keras.losses.CategoricalCrossentropy(from_logits=True) if loss == "cce_logits" \
        else loss
    model.compile(optimizer=opt, loss=loss_obj, metrics=metrics)
    y = {"cat": y_cat, "sparse": labels, "bin": y_bin}[kind]
    kwargs = {"epochs": 3, "batch_size": 16, "shuffle": False, "verbose": 0}
    if fit_kwargs.get("use_sample_weight"):
        kwargs["sample_weight"] = sample_weight
    if fit_kwargs.get("class_weight"):
        kwargs["class_weight"] = {0: 0.5, 1: 2.0, 2: 1.0}
    if "validation_split" in fit_kwargs:
        kwargs["validation_split"] = fit_kwargs["validation_split"]
    history = model.fit(x, y, **kwargs)
    for i, value in enumerate(model.get_weights()):
        out[f"{name}/weight{i}"] = value
    out[f"{name}/predict"] = model.predict(x, verbose=0)
    evaluation = model.evaluate(x, y, verbose=0, return_dict=True)
    meta[name] = {"history": {k: [float(v) for v in vs] for k, vs in history.history.items()},
                  "evaluate": {k: float(v) for k, v in evaluation.items()}}
here = Path(__file__).parent
np.savez(here / "fit_golden.npz", **out)
(here / "fit_golden.json").write_text(json.dumps(meta, indent=1, sort_keys=True))
print("keras", keras.__version__, "wrote", len(cases), "cases")
