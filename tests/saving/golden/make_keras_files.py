"""Write small `.keras` files with real Keras 3 (JAX backend) and their predictions.

Run from the repository root:
    KERAS_BACKEND=jax /tmp/kenv/bin/python tests/saving/golden/make_keras_files.py

For each model NAME it writes `NAME.keras` and adds to `predictions.npz` the fixed input(s)
(`NAME/x0`, `NAME/x1`, ...) and Keras' outputs (`NAME/y0`, ...). lamina's tests load the files
and compare.
"""

import os

import keras
import numpy as np
from keras import layers

HERE = os.path.dirname(os.path.abspath(__file__))


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
    model = keras.Sequential([
        keras.Input(shape=(5, 3)),
        layers.Masking(mask_value=0.0),
        layers.LSTM(4, return_sequences=True),
        layers.LSTM(2),
    ])
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
    y = layers.Dense(2)(inner(x))
    model = keras.Model(x, y)
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


def main():
    keras.utils.set_random_seed(0)
    arrays = {}
    for name, build in BUILDERS.items():
        model, inputs = build()
        inputs = [x.astype("float32") for x in inputs]
        outputs = model.predict(inputs if len(inputs) > 1 else inputs[0], verbose=0)
        outputs = outputs if isinstance(outputs, list) else [outputs]
        model.save(os.path.join(HERE, f"{name}.keras"))
        for i, x in enumerate(inputs):
            arrays[f"{name}/x{i}"] = x
        for i, y in enumerate(outputs):
            arrays[f"{name}/y{i}"] = np.asarray(y, dtype="float32")
    np.savez(os.path.join(HERE, "predictions.npz"), **arrays)


if __name__ == "__main__":
    main()
