"""Golden values for the pooling layers, from real Keras 3 (JAX backend).

Run from the repository root:
    KERAS_BACKEND=jax /tmp/kenv/bin/python tests/layers/pooling/golden/make_pooling_golden.py
It writes `pooling_golden.npz` beside this file: for case `i`, `input_i` and `output_i` (and
`mask_i` where the call takes a mask), and `cases`, a JSON list of `[class_name, config]`.
"""

import json
import os

import numpy as np

os.environ.setdefault("KERAS_BACKEND", "jax")
import keras

CL, CF = "channels_last", "channels_first"
SHAPES = {1: {CL: (2, 7, 3), CF: (2, 3, 7)},
          2: {CL: (2, 5, 7, 3), CF: (2, 3, 5, 7)},
          3: {CL: (1, 5, 4, 6, 2), CF: (1, 2, 5, 4, 6)}}

# (class name, spatial rank, config); "same" with even pools and strides 1/2/3 is the hard part.
WINDOWED = [
    ({"pool_size": 2}, 1),
    ({"pool_size": 3, "strides": 2, "padding": "valid"}, 1),
    ({"pool_size": 2, "strides": 1, "padding": "same"}, 1),
    ({"pool_size": 2, "strides": 2, "padding": "same"}, 1),
    ({"pool_size": 3, "strides": 2, "padding": "same"}, 1),
    ({"pool_size": 4, "strides": 3, "padding": "same"}, 1),
    ({"pool_size": 4, "strides": 1, "padding": "same", "data_format": CF}, 1),
    ({"pool_size": (2, 2)}, 2),
    ({"pool_size": (3, 3), "strides": 2, "padding": "valid", "data_format": CF}, 2),
    ({"pool_size": (2, 2), "strides": 1, "padding": "same"}, 2),
    ({"pool_size": (2, 2), "strides": 2, "padding": "same"}, 2),
    ({"pool_size": (3, 3), "strides": 2, "padding": "same"}, 2),
    ({"pool_size": (2, 3), "strides": (2, 1), "padding": "same", "data_format": CF}, 2),
    ({"pool_size": (4, 2), "strides": (3, 3), "padding": "same"}, 2),
    ({"pool_size": (4, 4), "strides": (1, 2), "padding": "same", "data_format": CF}, 2),
    ({"pool_size": (2, 2, 2)}, 3),
    ({"pool_size": (2, 2, 2), "strides": 1, "padding": "same"}, 3),
    ({"pool_size": (3, 2, 4), "strides": (2, 1, 3), "padding": "same"}, 3),
    ({"pool_size": (2, 3, 2), "strides": (2, 2, 1), "padding": "same", "data_format": CF}, 3),
]


def cases():
    found = []
    for config, rank in WINDOWED:
        for mode in ("MaxPooling", "AveragePooling"):
            found.append((f"{mode}{rank}D", config, rank))
    for rank in (1, 2, 3):
        for mode in ("GlobalMaxPooling", "GlobalAveragePooling"):
            for config in ({}, {"keepdims": True}, {"data_format": CF},
                           {"data_format": CF, "keepdims": True}):
                found.append((f"{mode}{rank}D", config, rank))
    return found


def main():
    rng = np.random.default_rng(0)
    arrays, table = {}, []
    for i, (name, config, rank) in enumerate(cases()):
        x = rng.normal(size=SHAPES[rank][config.get("data_format", CL)]).astype("float32")
        layer = getattr(keras.layers, name)(**config)
        arrays[f"input_{i}"] = x
        arrays[f"output_{i}"] = np.asarray(layer(x))
        table.append([name, config])
    # GlobalAveragePooling1D with a mask: steps left out of the mean (both data formats).
    for config in ({}, {"data_format": CF, "keepdims": True}):
        i = len(table)
        x = rng.normal(size=SHAPES[1][config.get("data_format", CL)]).astype("float32")
        mask = np.array([[1, 0, 1, 1, 0, 0, 1], [0, 1, 1, 1, 1, 1, 0]], dtype=bool)
        layer = keras.layers.GlobalAveragePooling1D(**config)
        arrays[f"input_{i}"], arrays[f"mask_{i}"] = x, mask
        arrays[f"output_{i}"] = np.asarray(layer(x, mask=mask))
        table.append(["GlobalAveragePooling1D", config])
    arrays["cases"] = np.array(json.dumps(table))
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "pooling_golden.npz")
    np.savez_compressed(path, **arrays)
    print(f"wrote {len(table)} cases to {path}")


if __name__ == "__main__":
    main()
