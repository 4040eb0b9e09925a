"""Write `optimizers_golden.json`: weights after 3 update steps of real Keras 3 optimizers.

Run with Keras 3 and its JAX backend (never imported by lamina or its tests):

    KERAS_BACKEND=jax /tmp/kenv/bin/python tests/optimizers/golden/make_optimizers_golden.py

Every case starts from the same two float32 variables (a `(3, 4)` kernel and a `(4,)` bias),
applies the same three gradients with `apply_gradients`, and records the variables after
each step and the optimizer's slot variables (everything after `iteration` and
`learning_rate` in `optimizer.variables`) after the last step. The gradients hold a zero,
tiny entries (1e-6, 1e-4) where the placement of epsilon shows, and entries large enough
for the clipping cases to bite. A case with `"learning_rates"` sets
`optimizer.learning_rate` before each step.
"""

import json
import os

import numpy as np

CASES = [
    ("SGD", {}),
    ("SGD", {"learning_rate": 0.1, "momentum": 0.9}),
    ("SGD", {"learning_rate": 0.1, "momentum": 0.9, "nesterov": True}),
    ("SGD", {"learning_rate": 0.1, "momentum": 0.5, "clipnorm": 1.0}),
    ("SGD", {"learning_rate": 0.1, "momentum": 0.9, "weight_decay": 0.05}),
    ("SGD", {"learning_rate": 0.1, "clipvalue": 0.5}),
    ("SGD", {"learning_rate": 0.1, "global_clipnorm": 1.0}),
    ("SGD", {"learning_rate": 0.1, "loss_scale_factor": 8.0}),
    ("SGD", {"momentum": 0.9, "nesterov": True, "learning_rates": [0.1, 0.1, 0.02]}),
    ("Adam", {}),
    ("Adam", {"learning_rate": 0.1}),
    ("Adam", {"learning_rate": 0.1, "amsgrad": True}),
    ("Adam", {"learning_rate": 0.01, "beta_1": 0.5, "beta_2": 0.9, "epsilon": 1e-3}),
    ("Adam", {"learning_rate": 0.1, "clipnorm": 1.0}),
    ("Adam", {"learning_rate": 0.1, "weight_decay": 0.1}),
    ("Adam", {"learning_rate": 0.1, "global_clipnorm": 0.5, "amsgrad": True}),
    ("Adam", {"learning_rates": [0.1, 0.05, 0.2]}),
    ("RMSprop", {}),
    ("RMSprop", {"learning_rate": 0.01, "momentum": 0.5}),
    ("RMSprop", {"learning_rate": 0.01, "centered": True}),
    ("RMSprop", {"learning_rate": 0.01, "centered": True, "momentum": 0.9}),
    ("RMSprop", {"learning_rate": 0.01, "rho": 0.5, "clipvalue": 0.1}),
    ("RMSprop", {"learning_rate": 0.01, "weight_decay": 0.1, "epsilon": 1e-4}),
    ("RMSprop", {"momentum": 0.9, "learning_rates": [0.01, 0.01, 0.001]}),
    ("Adagrad", {}),
    ("Adagrad", {"learning_rate": 0.1}),
    ("Adagrad", {"learning_rate": 0.1, "initial_accumulator_value": 0.0}),
    ("Adagrad", {"learning_rate": 0.1, "epsilon": 1e-3, "clipnorm": 0.5}),
    ("Adagrad", {"learning_rate": 0.1, "weight_decay": 0.1}),
    ("Adadelta", {}),
    ("Adadelta", {"learning_rate": 1.0}),
    ("Adadelta", {"learning_rate": 1.0, "rho": 0.5, "epsilon": 1e-4}),
    ("Adadelta", {"learning_rate": 1.0, "weight_decay": 0.1}),
    ("Adadelta", {"learning_rates": [1.0, 0.5, 2.0]}),
]


def make_inputs():
    rng = np.random.default_rng(1234)
    weights = [rng.normal(size=(3, 4)), rng.normal(size=(4,))]
    grads = []
    for _ in range(3):
        kernel = rng.normal(scale=1.5, size=(3, 4))
        kernel[0, 0], kernel[0, 1], kernel[0, 2] = 0.0, 1e-6, -1e-4
        grads.append([kernel, rng.normal(scale=0.3, size=(4,))])
    as32 = lambda arrays: [np.asarray(a, dtype="float32") for a in arrays]  # noqa: E731
    return as32(weights), [as32(step) for step in grads]


def as_list(array):
    """Nested lists of the shortest decimals that read back as the same float32 values."""
    array = np.asarray(array, dtype="float32")
    if array.ndim == 0:
        return float(np.format_float_positional(array[()], unique=True, trim="-"))
    return [as_list(a) for a in array]


def run_case(keras, class_name, kwargs, weights, grads):
    kwargs = dict(kwargs)
    learning_rates = kwargs.pop("learning_rates", None)
    optimizer = getattr(keras.optimizers, class_name)(**kwargs)
    variables = [keras.Variable(w) for w in weights]
    steps = []
    for step, step_grads in enumerate(grads):
        if learning_rates is not None:
            optimizer.learning_rate = learning_rates[step]
        optimizer.apply_gradients(zip([keras.ops.convert_to_tensor(g) for g in step_grads],
                                      variables))
        steps.append([as_list(v) for v in variables])
    slots = [as_list(v) for v in optimizer.variables[2:]]
    return {"optimizer": class_name, "kwargs": kwargs, "learning_rates": learning_rates,
            "weights": steps, "slots": slots,
            "slot_names": [v.name for v in optimizer.variables[2:]]}


def main():
    import keras  # only here: the lamina test run imports this module for its doctests

    weights, grads = make_inputs()
    fixture = {
        "keras_version": keras.__version__,
        "initial_weights": [as_list(w) for w in weights],
        "grads": [[as_list(g) for g in step] for step in grads],
        "cases": [run_case(keras, name, kwargs, weights, grads) for name, kwargs in CASES],
    }
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "optimizers_golden.json")
    with open(path, "w") as f:
        json.dump(fixture, f, separators=(",", ":"))
    print(f"wrote {len(fixture['cases'])} cases to {path}")


if __name__ == "__main__":
    main()
