"""Golden values for lamina's LossScaleOptimizer and dtype policies, from real Keras 3.

Run: KERAS_BACKEND=jax /tmp/kenv/bin/python tests/mixed_precision/golden/make_mixed_golden.py
Writes `mixed_golden.json` beside this script. Keras' stateful `apply` does not run under JAX
(its `ops.cond` branches assign variables), so the trajectory uses `stateless_apply`, which
is the path Keras' JAX trainer takes.
"""

import json
import os

import keras
import numpy as np
from keras import ops

GRADS = [[1.0, -2.0, 0.5], [np.inf, 1.0, 1.0], [2.0, 2.0, -2.0], [np.nan, 0.0, 0.0],
         [8.0, -4.0, 1.0], [1.0, 1.0, 1.0], [-3.0, 0.5, 2.0], [0.25, -0.25, 4.0]]


def trajectory(inner):
    opt = keras.optimizers.LossScaleOptimizer(inner, initial_scale=16.0, dynamic_growth_steps=2)
    v = keras.Variable(np.array([1.0, -1.0, 0.5], "float32"))
    opt.build([v])
    names = [x.path for x in opt.variables]
    ov, tv = [x.value for x in opt.variables], [v.value]
    steps = []
    for g in GRADS:
        tv, ov = opt.stateless_apply(ov, [ops.array(g, "float32")], tv)
        values = {n: np.asarray(x).tolist() for n, x in zip(names, ov)}
        steps.append({"weights": np.asarray(tv[0]).tolist(), "variables": values})
    return {"names": names, "config": opt.get_config(), "steps": steps}


def main():
    out = {
        "grads": [[str(x) if not np.isfinite(x) else x for x in g] for g in GRADS],
        "sgd_momentum": trajectory(keras.optimizers.SGD(0.1, momentum=0.9)),
        "rmsprop": trajectory(keras.optimizers.RMSprop(0.01)),
        "policies": {
            name: {"compute": keras.DTypePolicy(name).compute_dtype,
                   "variable": keras.DTypePolicy(name).variable_dtype,
                   "serialized": keras.dtype_policies.serialize(keras.DTypePolicy(name))}
            for name in ("float32", "mixed_float16", "mixed_bfloat16", "bfloat16", "float64")},
        "dense_config_dtype": keras.layers.Dense(2, dtype="mixed_bfloat16").get_config()["dtype"],
    }
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "mixed_golden.json")
    with open(path, "w") as f:
        json.dump(out, f, indent=1)


if __name__ == "__main__":
    main()
