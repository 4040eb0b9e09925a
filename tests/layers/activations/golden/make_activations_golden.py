"""Write `activations_golden.npz`: outputs of real Keras 3 activation layers.

Run with the Keras venv (lamina and its tests never import keras):

    KERAS_BACKEND=jax /tmp/kenv/bin/python \
        tests/layers/activations/golden/make_activations_golden.py

Each case is a layer class, its config, a seeded input (with values placed on the thresholds
and ceilings of ReLU), the weights set with `set_weights` (PReLU), an optional `mask` call
argument (Softmax) and the output. `cases` (a JSON string) lists them; the arrays are stored
under `<case>/x`, `<case>/w0`, `<case>/mask`, `<case>/y`.
"""

import json
import pathlib

import numpy as np
from keras import layers

RNG = np.random.default_rng(4321)
EDGES = np.array([-2.0, -1.0, -0.5, 0.0, 0.5, 1.0, 3.0, 4.0, 6.0, 7.5], "float32")

MASK_3D = np.array([[[True, False, True, True]], [[False, False, False, False]]])  # (2, 1, 4)
# (name, class, config, input shape or "edges", mask)
CASES = [
    ("relu", "ReLU", {}, "edges", None),
    ("relu_max", "ReLU", {"max_value": 6.0}, "edges", None),
    ("relu_max4", "ReLU", {"max_value": 4.0}, "edges", None),
    ("relu_slope", "ReLU", {"negative_slope": 0.2}, "edges", None),
    ("relu_threshold", "ReLU", {"threshold": 0.5}, "edges", None),
    ("relu_all_three", "ReLU", {"max_value": 4.0, "negative_slope": 0.1, "threshold": 1.0},
     "edges", None),
    ("relu_max_threshold", "ReLU", {"max_value": 3.0, "threshold": 0.5}, "edges", None),
    ("relu_slope_threshold", "ReLU", {"negative_slope": 0.3, "threshold": 2.0}, "edges", None),
    ("relu_random", "ReLU", {"max_value": 1.0, "negative_slope": 0.05, "threshold": 0.25},
     (3, 4, 5), None),
    ("leaky_relu", "LeakyReLU", {}, "edges", None),
    ("leaky_relu_slope", "LeakyReLU", {"negative_slope": 0.05}, (2, 3, 4), None),
    ("elu", "ELU", {}, "edges", None),
    ("elu_alpha", "ELU", {"alpha": 0.5}, (2, 3, 4), None),
    ("prelu", "PReLU", {}, (2, 3, 4), None),
    ("prelu_shared_1_2", "PReLU", {"shared_axes": [1, 2]}, (2, 3, 4, 5), None),
    ("prelu_shared_int", "PReLU", {"shared_axes": 1}, (2, 3, 4), None),
    ("prelu_shared_last", "PReLU", {"shared_axes": [3]}, (2, 2, 3, 4), None),
    ("softmax", "Softmax", {}, (3, 5), None),
    ("softmax_axis1", "Softmax", {"axis": 1}, (2, 3, 4), None),
    ("softmax_axes", "Softmax", {"axis": [1, 2]}, (2, 3, 4), None),
    ("softmax_axis_list1", "Softmax", {"axis": [1]}, (2, 3, 4), None),
    ("softmax_mask", "Softmax", {}, (2, 4), np.array([[True, False, True, True],
                                                      [False, True, False, False]])),
    ("softmax_mask_broadcast", "Softmax", {}, (2, 3, 4), MASK_3D),
    ("softmax_mask_float", "Softmax", {"axis": 1}, (2, 3),
     np.array([[1.0, 0.0, 0.7], [0.2, 0.9, 1.0]], "float32")),
]


def main():
    arrays, index = {}, []
    for name, cls, config, shape, mask in CASES:
        if shape == "edges":
            x = np.stack([EDGES, -EDGES[::-1]])
        else:
            x = RNG.normal(size=shape).astype("float32") * 2
        layer = getattr(layers, cls)(**config)
        layer.build(x.shape)
        weights = [RNG.uniform(-0.5, 1.5, size=w.shape).astype("float32")
                   for w in layer.get_weights()]
        layer.set_weights(weights)
        y = np.asarray(layer(x) if mask is None else layer(x, mask=mask))
        arrays[f"{name}/x"] = x
        for i, w in enumerate(weights):
            arrays[f"{name}/w{i}"] = w
        if mask is not None:
            arrays[f"{name}/mask"] = mask
        arrays[f"{name}/y"] = y
        index.append({"name": name, "class": cls, "config": config, "weights": len(weights),
                      "mask": mask is not None})
    arrays["cases"] = np.array(json.dumps(index))
    path = pathlib.Path(__file__).with_name("activations_golden.npz")
    np.savez_compressed(path, **arrays)
    print(f"wrote {path} ({path.stat().st_size} bytes, {len(index)} cases)")


if __name__ == "__main__":
    main()
