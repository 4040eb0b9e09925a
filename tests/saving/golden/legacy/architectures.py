"""The five architectures that every legacy-format fixture script builds, for any Keras.

`make_keras2_files.py` (tf.keras 2.15), `make_keras3_files.py` (Keras 3) and
`write_lamina_files.py` (lamina) each pass their own `keras` module, so the same models are
written by three libraries. Not a test module: imported by those scripts only.
"""

import numpy as np


def builders(keras, seed, keras2_style=False):
    """`{name: build}`, where `build()` returns `(model, [inputs])`; some models are compiled
    and trained a little first. Model `i` (in order) draws its data from `RandomState(seed
    + i)`. With `keras2_style`, the MLP takes `input_shape=` on its first layer (Keras 2's
    `batch_input_shape` in the saved config) instead of starting with `keras.Input`."""
    layers = keras.layers

    def sequential_mlp():
        if keras2_style:
            first = [layers.Dense(8, activation="relu", input_shape=(6,))]
        else:
            first = [keras.Input(shape=(6,)), layers.Dense(8, activation="relu")]
        model = keras.Sequential([*first, layers.Dropout(0.2),
                                  layers.Dense(3, activation="softmax")])
        rs = np.random.RandomState(seed)
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
        rs = np.random.RandomState(seed + 1)
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
        return model, [np.random.RandomState(seed + 2).randn(2, 8, 8, 2)]

    def lstm():
        model = keras.Sequential([keras.Input(shape=(5, 3)), layers.Masking(mask_value=0.0),
                                  layers.LSTM(4, return_sequences=True), layers.GRU(3)])
        x = np.random.RandomState(seed + 3).randn(3, 5, 3)
        x[0, 3:] = 0.0
        return model, [x]

    def batch_norm():
        model = keras.Sequential([keras.Input(shape=(4,)), layers.Dense(6),
                                  layers.BatchNormalization(), layers.Dense(2)])
        rs = np.random.RandomState(seed + 4)
        model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.05, momentum=0.9),
                      loss=keras.losses.MeanSquaredError(), metrics=["mae"])
        model.fit(rs.randn(32, 4), rs.randn(32, 2), epochs=2, batch_size=8, verbose=0)
        return model, [rs.randn(3, 4)]

    return {"sequential_mlp": sequential_mlp, "functional_two_io": functional_two_io,
            "cnn": cnn, "lstm": lstm, "batch_norm": batch_norm}
