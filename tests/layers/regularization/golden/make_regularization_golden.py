"""Write `regularization_golden.npz`: outputs and losses of real Keras 3 for the deterministic
regularization layers (`ActivityRegularization`; the random ones are the identity outside
training, which is what is recorded for them).

Run with the Keras venv (lamina and its tests never import keras):

    KERAS_BACKEND=jax /tmp/kenv/bin/python \
        tests/layers/regularization/golden/make_regularization_golden.py

`cases` (a JSON string) lists the cases; arrays are stored under `<case>/x`, `<case>/y` and
`<case>/loss` (the sum of `layer.losses` after the call).
"""

import json
import pathlib

import numpy as np
from keras import layers

RNG = np.random.default_rng(99)

CASES = [
    ("activity_l1", "ActivityRegularization", {"l1": 0.01}, (4, 3)),
    ("activity_l2", "ActivityRegularization", {"l2": 0.05}, (5, 2, 3)),
    ("activity_l1_l2", "ActivityRegularization", {"l1": 0.3, "l2": 0.02}, (2, 6)),
    ("activity_none", "ActivityRegularization", {}, (2, 6)),
    ("spatial_dropout_2d", "SpatialDropout2D", {"rate": 0.5}, (2, 3, 3, 2)),
    ("gaussian_noise", "GaussianNoise", {"stddev": 0.5}, (2, 3)),
    ("gaussian_dropout", "GaussianDropout", {"rate": 0.5}, (2, 3)),
    ("alpha_dropout", "AlphaDropout", {"rate": 0.5}, (2, 3)),
]


def main():
    arrays, index = {}, []
    for name, cls, config, shape in CASES:
        x = RNG.normal(size=shape).astype("float32")
        layer = getattr(layers, cls)(**config)
        y = np.asarray(layer(x, training=False))
        loss = float(sum(np.asarray(v) for v in layer.losses)) if layer.losses else 0.0
        arrays[f"{name}/x"] = x
        arrays[f"{name}/y"] = y
        arrays[f"{name}/loss"] = np.array(loss, "float32")
        index.append({"name": name, "class": cls, "config": config})
    arrays["cases"] = np.array(json.dumps(index))
    path = pathlib.Path(__file__).with_name("regularization_golden.npz")
    np.savez_compressed(path, **arrays)
    print(f"wrote {path} ({path.stat().st_size} bytes, {len(index)} cases)")


if __name__ == "__main__":
    main()
