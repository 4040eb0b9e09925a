"""Golden values for the reshaping layers, from real Keras 3 (JAX backend).

Run from the repository root:
    KERAS_BACKEND=jax /tmp/kenv/bin/python tests/layers/reshaping/golden/make_reshaping_golden.py
It writes `reshaping_golden.npz` beside this file: for case `i`, `input_i` and `output_i`, and
`cases`, a JSON list of `[class_name, config]`.
"""

import json
import os

import numpy as np

os.environ.setdefault("KERAS_BACKEND", "jax")
import keras

CF = "channels_first"
CASES = [  # (class name, config, input shape)
    ("Permute", {"dims": (2, 1)}, (2, 3, 4)),
    ("Permute", {"dims": (3, 1, 2)}, (2, 3, 4, 5)),
    ("RepeatVector", {"n": 3}, (2, 4)),
    ("Cropping1D", {}, (2, 6, 3)),
    ("Cropping1D", {"cropping": (0, 2)}, (2, 6, 3)),
    ("Cropping1D", {"cropping": 2}, (2, 6, 3)),
    ("Cropping2D", {"cropping": ((1, 2), (0, 3))}, (2, 6, 7, 3)),
    ("Cropping2D", {"cropping": ((2, 0), (1, 1)), "data_format": CF}, (2, 3, 6, 7)),
    ("Cropping2D", {"cropping": 1}, (2, 6, 7, 3)),
    ("Cropping2D", {"cropping": (1, 2)}, (2, 6, 7, 3)),
    ("Cropping3D", {}, (1, 5, 4, 6, 2)),
    ("Cropping3D", {"cropping": ((1, 0), (0, 2), (2, 1))}, (1, 5, 4, 6, 2)),
    ("Cropping3D", {"cropping": (0, 1, (2, 0)), "data_format": CF}, (1, 2, 5, 4, 6)),
    ("ZeroPadding1D", {}, (2, 4, 3)),
    ("ZeroPadding1D", {"padding": (0, 2), "data_format": CF}, (2, 3, 4)),
    ("ZeroPadding2D", {}, (2, 3, 4, 2)),
    ("ZeroPadding2D", {"padding": ((1, 2), (0, 3))}, (2, 3, 4, 2)),
    ("ZeroPadding2D", {"padding": ((2, 0), (1, 1)), "data_format": CF}, (2, 2, 3, 4)),
    ("ZeroPadding2D", {"padding": (2, 1)}, (2, 3, 4, 2)),
    ("ZeroPadding3D", {}, (1, 2, 3, 2, 2)),
    ("ZeroPadding3D", {"padding": ((1, 0), (0, 2), (2, 1))}, (1, 2, 3, 2, 2)),
    ("ZeroPadding3D", {"padding": (1, (0, 1), 0), "data_format": CF}, (1, 2, 2, 3, 2)),
    ("UpSampling1D", {}, (2, 3, 2)),
    ("UpSampling1D", {"size": 3}, (2, 3, 2)),
    ("UpSampling2D", {}, (2, 3, 4, 2)),
    ("UpSampling2D", {"size": (2, 3), "data_format": CF}, (2, 2, 3, 4)),
    ("UpSampling2D", {"size": (2, 2), "interpolation": "bilinear"}, (2, 3, 5, 2)),
    ("UpSampling2D", {"size": (3, 2), "interpolation": "bilinear", "data_format": CF},
     (2, 2, 3, 5)),
    ("UpSampling2D", {"size": (1, 3), "interpolation": "bilinear"}, (2, 3, 5, 2)),
    ("UpSampling2D", {"size": (2, 3), "interpolation": "bicubic"}, (2, 3, 5, 2)),
    ("UpSampling2D", {"size": (3, 2), "interpolation": "bicubic", "data_format": CF},
     (2, 2, 4, 5)),
    ("UpSampling2D", {"size": (2, 2), "interpolation": "lanczos3"}, (2, 4, 5, 2)),
    ("UpSampling2D", {"size": (3, 2), "interpolation": "lanczos5", "data_format": CF},
     (2, 2, 6, 5)),
    ("UpSampling3D", {}, (1, 2, 3, 2, 2)),
    ("UpSampling3D", {"size": (1, 2, 3), "data_format": CF}, (1, 2, 2, 3, 2)),
]


def main():
    rng = np.random.default_rng(0)
    arrays, table = {}, []
    for i, (name, config, shape) in enumerate(CASES):
        x = rng.normal(size=shape).astype("float32")
        arrays[f"input_{i}"] = x
        arrays[f"output_{i}"] = np.asarray(getattr(keras.layers, name)(**config)(x))
        table.append([name, config])
    arrays["cases"] = np.array(json.dumps(table))
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "reshaping_golden.npz")
    np.savez_compressed(path, **arrays)
    print(f"wrote {len(table)} cases to {path}")


if __name__ == "__main__":
    main()
