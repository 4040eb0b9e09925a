"""Write small `.keras` files with lamina, and their predictions, for the Keras-side check.

Run by `check_lamina_files_in_keras.py` (or by hand) with lamina's environment:
    PYTHONPATH=src .venv/bin/python tests/saving/golden/write_lamina_files.py OUT_DIR

The same architectures as `make_keras_files.py`, built, trained a little and saved by
lamina. `OUT_DIR/predictions.npz` holds the inputs (`NAME/x0`, ...) and lamina's outputs.
"""

import os
import sys

import numpy as np

import lamina as keras
from lamina import layers


def sequential_mlp():
    model = keras.Sequential([keras.Input(shape=(6,)), layers.Dense(8, activation="relu"),
                              layers.Dropout(0.2), layers.Dense(3, activation="softmax")])
    return model, [np.random.RandomState(1).randn(4, 6)]


def functional_two_io():
    a = keras.Input(shape=(5,), name="a")
    b = keras.Input(shape=(3,), name="b")
    shared = layers.Dense(4, activation="tanh", name="shared")
    h = layers.Concatenate()([shared(layers.Dense(5)(a)), shared(layers.Dense(5)(b))])
    out1 = layers.Dense(2, name="out1")(h)
    out2 = layers.Dense(1, activation="sigmoid", name="out2")(layers.Add()([h, h]))
    model = keras.Model([a, b], [out1, out2])
    rs = np.random.RandomState(2)
    return model, [rs.randn(4, 5), rs.randn(4, 3)]


def cnn():
    model = keras.Sequential([
        keras.Input(shape=(8, 8, 2)),
        layers.Conv2D(4, 3, padding="same", activation="relu"),
        layers.MaxPooling2D(2),
        layers.Conv2D(3, 2, strides=2),
        layers.Flatten(),
        layers.Dense(2),
    ])
    return model, [np.random.RandomState(3).randn(2, 8, 8, 2)]


def lstm_masking():
    model = keras.Sequential([keras.Input(shape=(5, 3)), layers.Masking(mask_value=0.0),
                              layers.LSTM(4, return_sequences=True), layers.LSTM(2)])
    x = np.random.RandomState(4).randn(3, 5, 3)
    x[0, 3:] = 0.0
    x[2, 1] = 0.0
    return model, [x]


def batch_norm():
    model = keras.Sequential([keras.Input(shape=(4,)), layers.Dense(6),
                              layers.BatchNormalization(), layers.Dense(2)])
    rs = np.random.RandomState(5)
    model.compile(optimizer="sgd", loss="mse")
    model.fit(rs.randn(32, 4), rs.randn(32, 2), epochs=2, batch_size=8, verbose=0)
    return model, [rs.randn(3, 4)]


def nested():
    inner = keras.Sequential([keras.Input(shape=(4,)), layers.Dense(3, activation="relu"),
                              layers.Dense(3)], name="inner")
    x = keras.Input(shape=(4,))
    model = keras.Model(x, layers.Dense(2)(inner(x)))
    return model, [np.random.RandomState(6).randn(3, 4)]


def compiled_adam():
    model = keras.Sequential([keras.Input(shape=(3,)), layers.Dense(4, activation="relu"),
                              layers.Dense(1)])
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=0.01), loss="mse",
                  metrics=["mae"])
    rs = np.random.RandomState(7)
    model.fit(rs.randn(16, 3), rs.randn(16, 1), epochs=2, batch_size=4, verbose=0)
    return model, [rs.randn(3, 3)]


BUILDERS = {"sequential_mlp": sequential_mlp, "functional_two_io": functional_two_io,
            "cnn": cnn, "lstm_masking": lstm_masking, "batch_norm": batch_norm,
            "nested": nested, "compiled_adam": compiled_adam}


def main(out_dir):
    keras.utils.set_random_seed(0)
    os.makedirs(out_dir, exist_ok=True)
    arrays = {}
    for name, build in BUILDERS.items():
        model, inputs = build()
        inputs = [x.astype("float32") for x in inputs]
        outputs = model.predict(inputs if len(inputs) > 1 else inputs[0], verbose=0)
        outputs = outputs if isinstance(outputs, list) else [outputs]
        model.save(os.path.join(out_dir, f"{name}.keras"))
        if name == "compiled_adam":
            arrays[f"{name}/iterations"] = np.asarray(int(model.optimizer.iterations))
        for i, x in enumerate(inputs):
            arrays[f"{name}/x{i}"] = x
        for i, y in enumerate(outputs):
            arrays[f"{name}/y{i}"] = np.asarray(y, dtype="float32")
    np.savez(os.path.join(out_dir, "predictions.npz"), **arrays)


if __name__ == "__main__":
    main(sys.argv[1])
