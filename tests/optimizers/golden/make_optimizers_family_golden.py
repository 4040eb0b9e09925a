"""Write `optimizers_family_golden.json`: 20-step trajectories of Keras 3's AdamW, Adamax,
Nadam, Lion and Lamb on a small quadratic problem.

Run with Keras 3 and its JAX backend (never imported by lamina or its tests):

    KERAS_BACKEND=jax /tmp/kenv/bin/python tests/optimizers/golden/make_optimizers_family_golden.py

Three float32 variables (a `(3, 4)` kernel, a `(4,)` bias that starts at zero, so Lamb's
zero-norm branch is taken, and a `(2,)` vector) descend the separable quadratic
`sum(a * w ** 2 / 2 + c * w)`: each step's gradient `a * w + c` is computed from the current
weights in float32 (one multiply, then one add, each rounded, so numpy and torch agree
bit for bit). The fixture records the weights after steps 1-5, 10, 15 and 20, the optimizer's slot
variables (everything after `iteration` and `learning_rate`) after the last one, and each
class's default `get_config()`. A case with `"schedule"` uses
`keras.optimizers.schedules.ExponentialDecay(**schedule)` as its learning rate; a case with
`"exclude"` calls `exclude_from_weight_decay(var_names=exclude)` before the first step.
"""

import json
import os

import numpy as np

STEPS = 20
RECORDED_STEPS = [1, 2, 3, 4, 5, 10, 15, 20]  # the weights are kept after these steps
NAMES = ["kernel", "bias", "vector"]
SCHEDULE = {"initial_learning_rate": 0.1, "decay_steps": 5, "decay_rate": 0.5}

CASES = [
    ("AdamW", {}),
    ("AdamW", {"learning_rate": 0.05}),
    ("AdamW", {"learning_rate": 0.05, "weight_decay": 0.5, "amsgrad": True}),
    ("AdamW", {"learning_rate": 0.05, "weight_decay": 0.2, "clipnorm": 0.5}),
    ("AdamW", {"learning_rate": 0.05, "weight_decay": 0.2, "clipvalue": 0.3}),
    ("AdamW", {"learning_rate": 0.05, "weight_decay": 0.2, "global_clipnorm": 1.0}),
    ("AdamW", {"weight_decay": 0.3, "schedule": SCHEDULE}),
    ("AdamW", {"learning_rate": 0.05, "weight_decay": 0.5, "exclude": ["bias"]}),
    ("AdamW", {"learning_rate": 0.05, "weight_decay": 0.0, "beta_1": 0.5, "beta_2": 0.9,
               "epsilon": 1e-3}),
    ("Adamax", {}),
    ("Adamax", {"learning_rate": 0.05}),
    ("Adamax", {"learning_rate": 0.05, "beta_1": 0.5, "beta_2": 0.8, "epsilon": 1e-3}),
    ("Adamax", {"learning_rate": 0.05, "clipnorm": 0.5}),
    ("Adamax", {"learning_rate": 0.05, "clipvalue": 0.3}),
    ("Adamax", {"learning_rate": 0.05, "global_clipnorm": 1.0}),
    ("Adamax", {"learning_rate": 0.05, "weight_decay": 0.2}),
    ("Adamax", {"weight_decay": 0.1, "schedule": SCHEDULE}),
    ("Nadam", {}),
    ("Nadam", {"learning_rate": 0.05}),
    ("Nadam", {"learning_rate": 0.05, "beta_1": 0.5, "beta_2": 0.9, "epsilon": 1e-3}),
    ("Nadam", {"learning_rate": 0.05, "clipnorm": 0.5}),
    ("Nadam", {"learning_rate": 0.05, "clipvalue": 0.3}),
    ("Nadam", {"learning_rate": 0.05, "global_clipnorm": 1.0}),
    ("Nadam", {"learning_rate": 0.05, "weight_decay": 0.2}),
    ("Nadam", {"weight_decay": 0.1, "schedule": SCHEDULE}),
    ("Lion", {}),
    ("Lion", {"learning_rate": 0.02}),
    ("Lion", {"learning_rate": 0.02, "beta_1": 0.3, "beta_2": 0.5}),
    ("Lion", {"learning_rate": 0.02, "beta_1": 1.0}),
    ("Lion", {"learning_rate": 0.02, "clipnorm": 0.5}),
    ("Lion", {"learning_rate": 0.02, "clipvalue": 0.3}),
    ("Lion", {"learning_rate": 0.02, "global_clipnorm": 1.0}),
    ("Lion", {"learning_rate": 0.02, "weight_decay": 0.5}),
    ("Lion", {"weight_decay": 0.1, "schedule": SCHEDULE}),
    ("Lamb", {}),
    ("Lamb", {"learning_rate": 0.05}),
    ("Lamb", {"learning_rate": 0.05, "beta_1": 0.5, "beta_2": 0.9, "epsilon": 1e-3}),
    ("Lamb", {"learning_rate": 0.05, "clipnorm": 0.5}),
    ("Lamb", {"learning_rate": 0.05, "clipvalue": 0.3}),
    ("Lamb", {"learning_rate": 0.05, "global_clipnorm": 1.0}),
    ("Lamb", {"learning_rate": 0.05, "weight_decay": 0.2}),
    ("Lamb", {"weight_decay": 0.1, "schedule": SCHEDULE}),
]


def make_problem():
    """Initial weights, curvatures `a` and offsets `c`, all float32."""
    rng = np.random.default_rng(2024)
    shapes = [(3, 4), (4,), (2,)]
    weights = [rng.normal(size=shapes[0]), np.zeros(shapes[1]), 2.0 * rng.normal(size=shapes[2])]
    curvatures = [rng.uniform(0.5, 2.5, size=s) for s in shapes]
    offsets = [rng.normal(size=s) for s in shapes]
    as32 = lambda arrays: [np.asarray(a, dtype="float32") for a in arrays]  # noqa: E731
    return as32(weights), as32(curvatures), as32(offsets)


def gradient(w, a, c):
    """`a * w + c` in float32: the same two roundings in numpy and torch."""
    product = np.multiply(a, w, dtype="float32")
    return np.add(product, c, dtype="float32")


def as_list(array):
    """Nested lists of the shortest decimals that read back as the same float32 values."""
    array = np.asarray(array, dtype="float32")
    if array.ndim == 0:
        return float(np.format_float_positional(array[()], unique=True, trim="-"))
    return [as_list(a) for a in array]


def run_case(keras, class_name, kwargs, problem):
    weights, curvatures, offsets = problem
    kwargs = dict(kwargs)
    schedule, exclude = kwargs.pop("schedule", None), kwargs.pop("exclude", None)
    init_kwargs = dict(kwargs)
    if schedule is not None:
        init_kwargs["learning_rate"] = keras.optimizers.schedules.ExponentialDecay(**schedule)
    optimizer = getattr(keras.optimizers, class_name)(**init_kwargs)
    variables = [keras.Variable(w, name=n) for w, n in zip(weights, NAMES)]
    if exclude is not None:
        optimizer.exclude_from_weight_decay(var_names=exclude)
    steps = []
    for step in range(1, STEPS + 1):
        grads = [gradient(np.asarray(v), a, c) for v, a, c in zip(variables, curvatures,
                                                                  offsets)]
        optimizer.apply_gradients(zip([keras.ops.convert_to_tensor(g) for g in grads],
                                      variables))
        if step in RECORDED_STEPS:
            steps.append([as_list(v) for v in variables])
    first_slot = 1 if schedule is not None else 2  # no `learning_rate` variable then
    slots = optimizer.variables[first_slot:]
    return {"optimizer": class_name, "kwargs": kwargs, "schedule": schedule,
            "exclude": exclude, "weights": steps, "slots": [as_list(v) for v in slots],
            "slot_names": [v.name for v in slots]}


def main():
    import keras  # only here: the lamina test run imports this module for its doctests

    problem = make_problem()
    weights, curvatures, offsets = problem
    fixture = {
        "keras_version": keras.__version__,
        "steps": STEPS,
        "recorded_steps": RECORDED_STEPS,
        "names": NAMES,
        "initial_weights": [as_list(w) for w in weights],
        "curvatures": [as_list(a) for a in curvatures],
        "offsets": [as_list(c) for c in offsets],
        "default_configs": {name: getattr(keras.optimizers, name)().get_config()
                            for name in sorted({name for name, _ in CASES})},
        "cases": [run_case(keras, name, kwargs, problem) for name, kwargs in CASES],
    }
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                        "optimizers_family_golden.json")
    with open(path, "w") as f:
        json.dump(fixture, f, separators=(",", ":"))
    print(f"wrote {len(fixture['cases'])} cases to {path} ({os.path.getsize(path):,} bytes)")


if __name__ == "__main__":
    main()
