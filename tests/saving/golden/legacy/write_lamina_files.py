"""Write legacy `.h5` files and sharded weights with lamina, for the Keras-side check.

Run by `check_lamina_files_in_keras.py` (or by hand) with lamina's environment:
    PYTHONPATH=src .venv/bin/python tests/saving/golden/legacy/write_lamina_files.py OUT_DIR

The architectures of `make_keras3_files.py`, built, trained a little (some compiled) and
saved by lamina: `NAME.h5` (`model.save`, whole model), `NAME_w.h5` (`save_weights`, the
legacy weights layout) and `sharded/NAME.weights.json` with its shards (`save_weights(...,
max_shard_size=...)`). `OUT_DIR/predictions.npz` holds the inputs (`NAME/x0`, ...),
lamina's outputs (`NAME/y0`, ...) and the optimizer's `iterations` of compiled models.
"""

import os
import sys

import numpy as np

import lamina as keras
from lamina import layers

SHARD_GB = 2e-6  # a few KB: each model spans several shards


def sequential_mlp():
    model = keras.Sequential([keras.Input(shape=(6,)), layers.Dense(8, activation="relu"),
                              layers.Dropout(0.2), layers.Dense(3, activation="softmax")])
    rs = np.random.RandomState(31)
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=0.01),
                  loss="categorical_crossentropy", metrics=["accuracy"])
    y = keras.utils.to_categorical(rs.randint(0, 3, 16), 3)
    model.fit(rs.randn(16, 6), y, epochs=2, batch_size=8, verbose=0)
    return model, [rs.randn(4, 6)]


def functional_two_io():
    a = keras.Input(shape=(5,), name="a")
    b = keras.Input(shape=(3,), name="b")
    shared = layers.Dense(4, activation="tanh", name="shared")
    h = layers.Concatenate()([shared(layers.Dense(5, name="da")(a)),
                              shared(layers.Dense(5, name="db")(b))])
    out1 = layers.Dense(2, name="out1")(h)
    out2 = layers.Dense(1, activation="sigmoid", name="out2")(layers.Add()([h, h]))
    model = keras.Model([a, b], [out1, out2])
    rs = np.random.RandomState(32)
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
    return model, [np.random.RandomState(33).randn(2, 8, 8, 2)]


def lstm():
    model = keras.Sequential([keras.Input(shape=(5, 3)), layers.Masking(mask_value=0.0),
                              layers.LSTM(4, return_sequences=True), layers.GRU(3)])
    x = np.random.RandomState(34).randn(3, 5, 3)
    x[0, 3:] = 0.0
    return model, [x]


def batch_norm():
    model = keras.Sequential([keras.Input(shape=(4,)), layers.Dense(6),
                              layers.BatchNormalization(), layers.Dense(2)])
    rs = np.random.RandomState(35)
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.05, momentum=0.9),
                  loss=keras.losses.MeanSquaredError(), metrics=["mae"])
    model.fit(rs.randn(32, 4), rs.randn(32, 2), epochs=2, batch_size=8, verbose=0)
    return model, [rs.randn(3, 4)]


BUILDERS = {"sequential_mlp": sequential_mlp, "functional_two_io": functional_two_io,
            "cnn": cnn, "lstm": lstm, "batch_norm": batch_norm}


def main(out_dir):
    keras.utils.set_random_seed(0)
    os.makedirs(os.path.join(out_dir, "sharded"), exist_ok=True)
    arrays = {}
    for name, build in BUILDERS.items():
        model, inputs = build()
        inputs = [x.astype("float32") for x in inputs]
        outputs = model.predict(inputs if len(inputs) > 1 else inputs[0], verbose=0)
        outputs = outputs if isinstance(outputs, list) else [outputs]
        model.save(os.path.join(out_dir, f"{name}.h5"))
        model.save_weights(os.path.join(out_dir, f"{name}_w.h5"))
        model.save_weights(os.path.join(out_dir, "sharded", f"{name}.weights.json"),
                           max_shard_size=SHARD_GB)
        if model.compiled:
            arrays[f"{name}/iterations"] = np.asarray(int(model.optimizer.iterations))
        for i, x in enumerate(inputs):
            arrays[f"{name}/x{i}"] = x
        for i, y in enumerate(outputs):
            arrays[f"{name}/y{i}"] = np.asarray(y, dtype="float32")
    np.savez(os.path.join(out_dir, "predictions.npz"), **arrays)


if __name__ == "__main__":
    main(sys.argv[1])
