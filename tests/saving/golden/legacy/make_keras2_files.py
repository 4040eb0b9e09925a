"""Write small legacy `.h5` files with REAL Keras 2 (tf.keras 2.15), and their predictions.

Run from the repository root, in an environment with `tensorflow-cpu==2.15.*` (it ships
Keras 2.15), e.g.:
    python3.11 -m venv /tmp/tfenv && /tmp/tfenv/bin/pip install "tensorflow-cpu==2.15.*"
    /tmp/tfenv/bin/python tests/saving/golden/legacy/make_keras2_files.py

Everything goes into one zip, `keras2_files.zip` (HDF5 files are mostly padding: zipped
they take a tenth of the room; the tests read the members they need). For each model NAME it
holds `NAME.h5` (`model.save`, Keras 2's whole-model HDF5) and, in `predictions.npz`, the
fixed input(s) (`NAME/x0`, ...) and Keras' outputs (`NAME/y0`, ...).
`sequential_mlp_w.h5` holds weights only (`model.save_weights`, Keras 2's legacy weights
layout).
"""

import os
import shutil
import tempfile
import zipfile

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import architectures  # beside this script
import numpy as np
import tensorflow as tf
from tensorflow import keras
from tensorflow.keras import layers

HERE = os.path.dirname(os.path.abspath(__file__))


def layer_zoo():
    # Keras 2 spellings that Keras 3 dropped: Embedding's `input_length`, a Bidirectional
    # layer's nested config (with `time_major`), MultiHeadAttention's `query_shape`, ...
    tokens = keras.Input((10,), dtype="int32")
    x = layers.Embedding(50, 8, input_length=10)(tokens)
    x = layers.Bidirectional(layers.LSTM(4, return_sequences=True))(x)
    x = layers.TimeDistributed(layers.Dense(3))(x)
    x = layers.SimpleRNN(5, return_sequences=True)(x)
    x = layers.Conv1D(4, 3, padding="causal", dilation_rate=2)(x)
    x = layers.LayerNormalization()(x)
    x = layers.Add()([x, layers.MultiHeadAttention(2, 4)(x, x)])
    x = layers.GlobalMaxPooling1D()(x)
    x = layers.Dense(6, kernel_regularizer=keras.regularizers.l2(0.01), activation="gelu")(x)
    x = layers.Dropout(0.1)(layers.LeakyReLU(0.2)(x))
    model = keras.Model(tokens, layers.Activation("softmax")(x))
    rate = keras.optimizers.schedules.ExponentialDecay(0.01, 10, 0.9)
    model.compile(optimizer=keras.optimizers.RMSprop(learning_rate=rate),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    rs = np.random.RandomState(16)
    model.fit(rs.randint(1, 50, (8, 10)), rs.randint(0, 6, 8), verbose=0)
    return model, [rs.randint(1, 50, (3, 10))]


def conv_zoo():
    model = keras.Sequential([layers.Conv2D(3, 3, input_shape=(8, 8, 1)), layers.MaxPool2D(),
                              layers.DepthwiseConv2D(2), layers.SeparableConv2D(2, 2),
                              layers.Conv2DTranspose(2, 2), layers.GlobalAveragePooling2D(),
                              layers.Dense(2)])
    return model, [np.random.RandomState(17).randn(2, 8, 8, 1)]


BUILDERS = {**architectures.builders(keras, seed=11, keras2_style=True),
            "layer_zoo": layer_zoo, "conv_zoo": conv_zoo}
INTEGER_INPUTS = ("layer_zoo",)
WEIGHTS_ONLY = ("sequential_mlp",)


def main():
    keras.utils.set_random_seed(0)
    out = tempfile.mkdtemp(prefix="keras2-legacy-")
    arrays = {}
    for name, build in BUILDERS.items():
        model, inputs = build()
        inputs = [x.astype("int32" if name in INTEGER_INPUTS else "float32") for x in inputs]
        outputs = model.predict(inputs if len(inputs) > 1 else inputs[0], verbose=0)
        outputs = outputs if isinstance(outputs, list) else [outputs]
        model.save(os.path.join(out, f"{name}.h5"))
        if name in WEIGHTS_ONLY:
            model.save_weights(os.path.join(out, f"{name}_w.h5"))
        for i, x in enumerate(inputs):
            arrays[f"{name}/x{i}"] = x
        for i, y in enumerate(outputs):
            arrays[f"{name}/y{i}"] = np.asarray(y, dtype="float32")
        if getattr(model, "optimizer", None) is not None:
            arrays[f"{name}/iterations"] = np.asarray(int(model.optimizer.iterations.numpy()))
    arrays["tensorflow_version"] = np.asarray(tf.__version__)
    np.savez(os.path.join(out, "predictions.npz"), **arrays)
    with zipfile.ZipFile(os.path.join(HERE, "keras2_files.zip"), "w",
                         zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        for file in sorted(os.listdir(out)):
            archive.write(os.path.join(out, file), file)
    shutil.rmtree(out)


if __name__ == "__main__":
    main()
