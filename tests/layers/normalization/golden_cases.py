"""Load `golden/normalization_golden.npz` (real Keras 3 outputs; see the script beside it) and
replay a case through lamina."""

import json
import os

import numpy as np
import torch

import lamina as keras

PATH = os.path.join(os.path.dirname(__file__), "golden", "normalization_golden.npz")
with np.load(PATH, allow_pickle=False) as _file:
    ARRAYS = {key: _file[key] for key in _file.files}
CONFIGS = {key.split("/")[0]: json.loads(str(value)) for key, value in ARRAYS.items()
           if key.endswith("/config")}


def names(prefix):
    """The case names starting with `prefix` (e.g. `"bn_"`)."""
    return sorted(name for name in CONFIGS if name.startswith(prefix))


def indexed(name, stem):
    """`name/stem0`, `name/stem1`, ... as a list of arrays."""
    found, i = [], 0
    while f"{name}/{stem}{i}" in ARRAYS:
        found.append(ARRAYS[f"{name}/{stem}{i}"])
        i += 1
    return found


def run_case(name):
    """Build the lamina layer of case `name`, set Keras' weights, call it; check the output and
    the weights after the call (moving statistics) against Keras'."""
    config = CONFIGS[name]
    layer = getattr(keras.layers, config["class"])(**config["kwargs"])
    x = torch.from_numpy(ARRAYS[f"{name}/x"])
    layer.build(tuple(x.shape))
    layer.set_weights(indexed(name, "w"))
    kwargs = dict(config.get("call", {}))
    if f"{name}/mask" in ARRAYS:
        kwargs["mask"] = torch.from_numpy(ARRAYS[f"{name}/mask"])
    y = layer(x, **kwargs)
    np.testing.assert_allclose(y.detach().numpy(), ARRAYS[f"{name}/y"], atol=1e-5, rtol=1e-5)
    for got, want in zip(layer.get_weights(), indexed(name, "after"), strict=True):
        np.testing.assert_allclose(got, want, atol=1e-5, rtol=1e-5)
    return layer
