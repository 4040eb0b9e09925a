"""Write small legacy `.h5` files and sharded weights with real Keras 3 (JAX backend).

Run from the repository root:
    KERAS_BACKEND=jax /tmp/kenv/bin/python tests/saving/golden/legacy/make_keras3_files.py

Everything goes into one zip, `keras3_files.zip` (HDF5 files are mostly padding: zipped
they take a tenth of the room; the tests read the members they need). For each model NAME
it holds `NAME.h5` (`model.save("x.h5")`, Keras 3's legacy HDF5 writer) and, in
`predictions.npz`, the fixed input(s) (`NAME/x0`, ...) and Keras' outputs (`NAME/y0`, ...).
It also holds `sharded/model.weights.json` with its shards `sharded/model_0000N.weights.h5`
(`save_weights(..., max_shard_size=SHARD_GB)`, sized so that two layers' variables straddle
two shards) and that model's predictions (`sharded/...`).
"""

import os
import shutil
import tempfile
import zipfile

import keras
import numpy as np
from keras import layers

HERE = os.path.dirname(os.path.abspath(__file__))
SHARD_GB = 1.2e-6  # about 1.2 KB per shard: three shards for `sharded_model`


def sequential_mlp():
    model = keras.Sequential([keras.Input(shape=(6,)), layers.Dense(8, activation="relu"),
                              layers.Dropout(0.2), layers.Dense(3, activation="softmax")])
    rs = np.random.RandomState(21)
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
    rs = np.random.RandomState(22)
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
    return model, [np.random.RandomState(23).randn(2, 8, 8, 2)]


def lstm():
    model = keras.Sequential([
        keras.Input(shape=(5, 3)),
        layers.Masking(mask_value=0.0),
        layers.LSTM(4, return_sequences=True),
        layers.GRU(3),
    ])
    x = np.random.RandomState(24).randn(3, 5, 3)
    x[0, 3:] = 0.0
    return model, [x]


def batch_norm():
    model = keras.Sequential([keras.Input(shape=(4,)), layers.Dense(6),
                              layers.BatchNormalization(), layers.Dense(2)])
    rs = np.random.RandomState(25)
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.05, momentum=0.9),
                  loss=keras.losses.MeanSquaredError(), metrics=["mae"])
    model.fit(rs.randn(32, 4), rs.randn(32, 2), epochs=2, batch_size=8, verbose=0)
    return model, [rs.randn(3, 4)]


def sharded_model():
    model = keras.Sequential([keras.Input(shape=(6,)), layers.Dense(32),
                              layers.BatchNormalization(), layers.Dense(8, activation="relu"),
                              layers.Dense(3)])
    rs = np.random.RandomState(26)  # random values everywhere, moving statistics included
    model.set_weights([rs.uniform(0.05, 0.4, w.shape) for w in model.get_weights()])
    return model, [rs.randn(3, 6)]


BUILDERS = {"sequential_mlp": sequential_mlp, "functional_two_io": functional_two_io,
            "cnn": cnn, "lstm": lstm, "batch_norm": batch_norm}


def _record(arrays, name, model, inputs):
    inputs = [x.astype("float32") for x in inputs]
    outputs = model.predict(inputs if len(inputs) > 1 else inputs[0], verbose=0)
    outputs = outputs if isinstance(outputs, list) else [outputs]
    for i, x in enumerate(inputs):
        arrays[f"{name}/x{i}"] = x
    for i, y in enumerate(outputs):
        arrays[f"{name}/y{i}"] = np.asarray(y, dtype="float32")


def main():
    keras.utils.set_random_seed(0)
    out = tempfile.mkdtemp(prefix="keras3-legacy-")
    arrays = {}
    for name, build in BUILDERS.items():
        model, inputs = build()
        _record(arrays, name, model, inputs)
        model.save(os.path.join(out, f"{name}.h5"))
        if getattr(model, "optimizer", None) is not None:
            arrays[f"{name}/iterations"] = np.asarray(int(model.optimizer.iterations.numpy()))
    keras.backend.clear_session()  # automatic layer names from `dense`, as in lamina's tests
    model, inputs = sharded_model()
    _record(arrays, "sharded", model, inputs)
    os.makedirs(os.path.join(out, "sharded"))
    model.save_weights(os.path.join(out, "sharded", "model.weights.json"),
                       max_shard_size=SHARD_GB)
    arrays["keras_version"] = np.asarray(keras.__version__)
    np.savez(os.path.join(out, "predictions.npz"), **arrays)
    with zipfile.ZipFile(os.path.join(HERE, "keras3_files.zip"), "w",
                         zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        for folder, _, files in sorted(os.walk(out)):
            for file in sorted(files):
                path = os.path.join(folder, file)
                archive.write(path, os.path.relpath(path, out))
    shutil.rmtree(out)


if __name__ == "__main__":
    main()
