"""Write `leaf_golden.json`: outputs of real Keras 3 for lamina's leaf modules.

Run with the Keras venv (never imported by lamina or its tests):

    KERAS_BACKEND=jax /tmp/kenv/bin/python tests/golden/make_leaf_golden.py

Covers every activation on a fixed input (with non-default arguments where they exist),
the STFT initializer, compute_fans, the regularizers and the constraints. `sparsemax` is left
out on purpose: Keras 3.15 sums the cumulative sums over the support instead of taking the
last one, so its outputs do not sum to 1 (lamina implements the published sparsemax).
"""

import json
import pathlib

X = [[-6.0, -3.0, -2.5, -1.0, -0.5, 0.0, 0.25, 0.5],
     [1.0, 1.5, 2.0, 3.0, 4.5, 6.0, 7.0, -0.75],
     [0.1, -0.1, 0.9, -0.9, 2.5, -4.0, 5.0, -1.5]]
W = [[0.3, -1.2, 2.0], [0.8, 0.1, -0.4], [-1.5, 0.6, 0.9], [0.2, 0.0, 1.1]]

ACTIVATIONS = [
    ("relu", {}), ("relu", {"negative_slope": 0.5}), ("relu", {"max_value": 5.0}),
    ("relu", {"max_value": 6.0}), ("relu", {"threshold": 2.0}),
    ("relu", {"threshold": -1.0}), ("relu", {"negative_slope": 0.1, "max_value": 4.0}),
    ("relu", {"negative_slope": 0.1, "max_value": 4.0, "threshold": 1.0}),
    ("relu", {"negative_slope": 0.2, "threshold": -1.0}),
    ("leaky_relu", {}), ("leaky_relu", {"negative_slope": 0.3}), ("relu6", {}),
    ("softmax", {}), ("softmax", {"axis": 0}), ("log_softmax", {}), ("log_softmax", {"axis": 0}),
    ("elu", {}), ("elu", {"alpha": 0.5}), ("selu", {}), ("celu", {}), ("celu", {"alpha": 2.0}),
    ("softplus", {}), ("softsign", {}), ("squareplus", {}), ("squareplus", {"b": 1.0}),
    ("sparse_plus", {}), ("silu", {}), ("swish", {}), ("gelu", {}), ("gelu", {"approximate": True}),
    ("glu", {}), ("mish", {}), ("tanh", {}), ("tanh_shrink", {}), ("hard_tanh", {}),
    ("hard_shrink", {}), ("hard_shrink", {"threshold": 1.0}), ("soft_shrink", {}),
    ("soft_shrink", {"threshold": 1.0}), ("threshold", {"threshold": 0.5, "default_value": -1.0}),
    ("sigmoid", {}), ("log_sigmoid", {}), ("hard_sigmoid", {}), ("sparse_sigmoid", {}),
    ("hard_silu", {}), ("hard_swish", {}), ("exponential", {}), ("linear", {}),
]
STFTS = [({}, (16, 1, 9)), ({"side": "imag"}, (16, 1, 9)),
         ({"window": "hamming", "scaling": "spectrum", "periodic": True}, (12, 1, 7)),
         ({"window": "blackman", "scaling": None}, (8, 1, 5)), ({"window": "bartlett"}, (8, 1, 5)),
         ({"window": None}, (8, 1, 5))]
FAN_SHAPES = [(), (7,), (5, 3), (3, 3, 16, 32), (2, 3, 4, 5, 6)]
REGULARIZERS = [("L1", {"l1": 0.3}), ("L2", {"l2": 0.2}), ("L1L2", {"l1": 0.1, "l2": 0.05}),
                ("OrthogonalRegularizer", {"factor": 0.5}),
                ("OrthogonalRegularizer", {"factor": 0.5, "mode": "columns"})]
CONSTRAINTS = [("MaxNorm", {"max_value": 1.5}), ("MaxNorm", {"max_value": 1.0, "axis": 1}),
               ("MaxNorm", {"max_value": 1.0, "axis": [0, 1]}), ("UnitNorm", {}),
               ("UnitNorm", {"axis": 1}), ("NonNeg", {}),
               ("MinMaxNorm", {"min_value": 1.9, "max_value": 2.1}),
               ("MinMaxNorm", {"min_value": 0.5, "max_value": 1.0, "rate": 0.3, "axis": 1})]


def main():
    import keras
    import numpy as np
    from keras.src.initializers.random_initializers import compute_fans

    x = np.array(X, dtype="float32")
    # A backend tensor, not a numpy array: Keras' numpy path of `normalize` mishandles axis=0.
    w = keras.ops.convert_to_tensor(np.array(W, dtype="float32"))
    out = {"keras_version": keras.__version__, "x": X, "w": W, "activations": [],
           "stft": [], "fans": [], "regularizers": [], "constraints": []}
    for name, kwargs in ACTIVATIONS:
        y = np.asarray(getattr(keras.activations, name)(x, **kwargs), dtype="float64")
        out["activations"].append({"name": name, "kwargs": kwargs, "y": y.tolist()})
    for kwargs, shape in STFTS:
        y = np.asarray(keras.initializers.STFT(**kwargs)(shape), dtype="float64")
        out["stft"].append({"kwargs": kwargs, "shape": shape, "y": y.tolist()})
    for shape in FAN_SHAPES:
        out["fans"].append({"shape": shape, "fans": list(compute_fans(shape))})
    for name, kwargs in REGULARIZERS:
        y = float(getattr(keras.regularizers, name)(**kwargs)(w))
        out["regularizers"].append({"name": name, "kwargs": kwargs, "y": y})
    for name, kwargs in CONSTRAINTS:
        y = np.asarray(getattr(keras.constraints, name)(**kwargs)(w), dtype="float64")
        out["constraints"].append({"name": name, "kwargs": kwargs, "y": y.tolist()})
    path = pathlib.Path(__file__).with_name("leaf_golden.json")
    path.write_text(json.dumps(out, indent=None, separators=(",", ":")) + "\n")
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
