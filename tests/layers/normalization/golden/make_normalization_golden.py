"""Write `normalization_golden.npz`: real Keras 3 outputs for lamina's normalization layers.

Run with real Keras (never under pytest, never imported by lamina):

    KERAS_BACKEND=jax /tmp/kenv/bin/python tests/layers/normalization/golden/make_normalization_golden.py

Each case `name` stores `name/config` (JSON: class, constructor kwargs, call kwargs), the input
`name/x` (and `name/mask`), the weights set before the call `name/w0, w1, ...` (Keras layout),
the output `name/y` and the weights after the call `name/after0, ...` (moving statistics).
Preprocessing `Normalization` cases store `name/adapt` (the data given to `adapt`, split into
`adapt_batches` batches when that config entry is > 0) and the adapted weights as `after*`.
"""

import json
import os

import keras
import numpy as np
from keras.src.layers.preprocessing import normalization as keras_normalization

# Keras' adapt() checks `isinstance(data, tf.data.Dataset)` before reaching its iterable-of-batches
# code, which needs TensorFlow installed; a stand-in class lets that code run without it.
keras_normalization.tf = type("tf", (), {"data": type("data", (), {"Dataset": type("D", (), {})})})

HERE = os.path.dirname(os.path.abspath(__file__))
rng = np.random.default_rng(1234)
arrays = {}


def normal(*shape, loc=0.0, scale=1.0):
    return rng.normal(loc, scale, size=shape).astype("float32")


def add_case(name, cls, kwargs, x, call=None, mask=None, weights="random"):
    layer = getattr(keras.layers, cls)(**kwargs)
    layer.build(x.shape)
    if weights == "random":  # gamma-like weights near 1, others near 0, variances positive
        values = []
        for w in layer.weights:
            shape = tuple(w.shape)
            if "variance" in w.name or "stddev" in w.name or w.name in ("gamma", "scale"):
                values.append(rng.uniform(0.5, 1.5, size=shape).astype("float32"))
            else:
                values.append(normal(*shape, scale=0.5))
        layer.set_weights(values)
    call = call or {}
    kw = dict(call)
    if mask is not None:
        kw["mask"] = mask
    before = [np.asarray(w) for w in layer.get_weights()]
    y = np.asarray(layer(x, **kw))
    arrays[f"{name}/config"] = np.array(json.dumps({"class": cls, "kwargs": kwargs,
                                                    "call": call}))
    arrays[f"{name}/x"] = x
    arrays[f"{name}/y"] = y
    if mask is not None:
        arrays[f"{name}/mask"] = mask
    for i, (b, a) in enumerate(zip(before, layer.get_weights())):
        arrays[f"{name}/w{i}"] = b
        arrays[f"{name}/after{i}"] = np.asarray(a)


def add_adapt_case(name, kwargs, data, x, batches=0):
    layer = keras.layers.Normalization(**kwargs)
    layer.adapt(np.array_split(data, batches) if batches else data)
    y = np.asarray(layer(x))
    arrays[f"{name}/config"] = np.array(json.dumps({"class": "Normalization", "kwargs": kwargs,
                                                    "adapt_batches": batches}))
    arrays[f"{name}/adapt"] = data
    arrays[f"{name}/x"] = x
    arrays[f"{name}/y"] = y
    for i, w in enumerate(layer.get_weights()):
        arrays[f"{name}/after{i}"] = np.asarray(w)


def add_fixed_case(name, kwargs, x):
    layer = keras.layers.Normalization(**kwargs)
    arrays[f"{name}/config"] = np.array(json.dumps({"class": "Normalization", "kwargs": kwargs}))
    arrays[f"{name}/x"] = x
    arrays[f"{name}/y"] = np.asarray(layer(x))


# BatchNormalization: training (output and updated moving statistics) and inference.
bn = {"momentum": 0.9}
add_case("bn_train_channels_last", "BatchNormalization", bn, normal(3, 4, 4, 5, loc=2.0),
         {"training": True})
add_case("bn_infer_channels_last", "BatchNormalization", bn, normal(3, 4, 4, 5, loc=2.0),
         {"training": False})
add_case("bn_train_channels_first", "BatchNormalization", {"axis": 1, "momentum": 0.8},
         normal(3, 5, 4, 4, scale=3.0), {"training": True})
add_case("bn_infer_channels_first", "BatchNormalization", {"axis": 1},
         normal(3, 5, 4, 4), {"training": False})
add_case("bn_train_axis2", "BatchNormalization", {"axis": 2, "epsilon": 1e-2},
         normal(2, 3, 4, 5), {"training": True})
add_case("bn_train_2d_plain", "BatchNormalization", {"center": False, "scale": False},
         normal(6, 3, loc=-1.0), {"training": True})
mask = rng.uniform(size=(3, 6)) > 0.4
mask[0, 0] = True
add_case("bn_train_masked", "BatchNormalization", {"momentum": 0.5}, normal(3, 6, 4, loc=1.0),
         {"training": True}, mask=mask)
add_case("bn_train_renorm", "BatchNormalization",
         {"renorm": True, "renorm_clipping": {"rmax": 1.2, "rmin": 0.8, "dmax": 0.3},
          "renorm_momentum": 0.7, "momentum": 0.6}, normal(8, 4, loc=0.5, scale=2.0),
         {"training": True})
add_case("bn_infer_renorm", "BatchNormalization", {"renorm": True}, normal(8, 4),
         {"training": False})

# LayerNormalization, RMSNormalization, GroupNormalization, UnitNormalization.
add_case("ln_last", "LayerNormalization", {}, normal(3, 4, 5, loc=1.0))
add_case("ln_trailing_pair", "LayerNormalization", {"axis": [-2, -1], "epsilon": 1e-5},
         normal(2, 3, 4))
add_case("ln_inner_axes", "LayerNormalization", {"axis": [1, 3]}, normal(2, 3, 4, 5))
add_case("ln_channels_first", "LayerNormalization", {"axis": 1, "center": False},
         normal(2, 4, 3, 3))
add_case("ln_rms_scaling", "LayerNormalization", {"rms_scaling": True}, normal(3, 6, loc=2.0))
add_case("ln_rms_scaling_inner", "LayerNormalization", {"rms_scaling": True, "axis": 1},
         normal(2, 4, 3))
add_case("rms_last", "RMSNormalization", {}, normal(3, 4, 5))
add_case("rms_pair", "RMSNormalization", {"axis": [2, 3], "epsilon": 1e-3}, normal(2, 3, 4, 2))
add_case("gn_channels_last", "GroupNormalization", {"groups": 2}, normal(2, 3, 3, 6, loc=1.0))
add_case("gn_channels_first", "GroupNormalization", {"groups": 3, "axis": 1},
         normal(2, 6, 3, 2))
add_case("gn_instance", "GroupNormalization", {"groups": -1, "scale": False}, normal(2, 5, 4))
add_case("gn_2d", "GroupNormalization", {"groups": 4, "epsilon": 1e-5}, normal(3, 8))
add_case("gn_sequence", "GroupNormalization", {"groups": 1}, normal(2, 7, 4))
x = normal(3, 4, 5)
x[0, 0] = 0.0
add_case("unit_last", "UnitNormalization", {}, x)
add_case("unit_pair", "UnitNormalization", {"axis": [1, 2]}, normal(2, 3, 4))

# Preprocessing Normalization: adapt (array, batches), fixed statistics, invert.
data = normal(20, 3, loc=5.0, scale=2.0)
add_adapt_case("norm_adapt_array", {}, data, normal(4, 3, loc=5.0))
add_adapt_case("norm_adapt_batches", {}, data, normal(4, 3, loc=5.0), batches=3)
add_adapt_case("norm_adapt_invert", {"invert": True}, data, normal(4, 3))
add_adapt_case("norm_adapt_none", {"axis": None}, normal(6, 2, 3, loc=-2.0), normal(2, 2, 3),
               batches=2)
add_adapt_case("norm_adapt_two_axes", {"axis": (1, 2)}, normal(7, 2, 3), normal(2, 2, 3))
add_adapt_case("norm_adapt_axis1", {"axis": 1}, normal(5, 3, 4), normal(2, 3, 4), batches=2)
add_fixed_case("norm_fixed", {"mean": [1.0, -2.0, 0.5], "variance": [4.0, 0.25, 1.0]},
               normal(4, 3))
add_fixed_case("norm_fixed_scalar", {"mean": 3.0, "variance": 2.0}, normal(2, 3, 2))
add_fixed_case("norm_fixed_invert", {"axis": (1, 2), "mean": [1.0, 2.0], "variance": [9.0, 0.0],
                                     "invert": True}, normal(2, 3, 2))

np.savez_compressed(os.path.join(HERE, "normalization_golden.npz"), **arrays)
print(f"wrote {len(arrays)} arrays, keras {keras.__version__}")
