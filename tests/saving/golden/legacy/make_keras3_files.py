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

import architectures  # beside this script
import keras
import numpy as np
from keras import layers

HERE = os.path.dirname(os.path.abspath(__file__))
SHARD_GB = 1.2e-6  # about 1.2 KB per shard: three shards for `sharded_model`


def sharded_model():
    model = keras.Sequential([keras.Input(shape=(6,)), layers.Dense(32),
                              layers.BatchNormalization(), layers.Dense(8, activation="relu"),
                              layers.Dense(3)])
    rs = np.random.RandomState(26)  # random values everywhere, moving statistics included
    model.set_weights([rs.uniform(0.05, 0.4, w.shape) for w in model.get_weights()])
    return model, [rs.randn(3, 6)]


BUILDERS = architectures.builders(keras, seed=21)


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
