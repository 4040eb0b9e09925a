"""Write `optimizer_features_golden.json`: schedules, Adafactor, Ftrl, EMA and gradient
accumulation, as real Keras 3 computes them.

Run with Keras 3 and its JAX backend (never imported by lamina or its tests):

    KERAS_BACKEND=jax /tmp/kenv/bin/python tests/optimizers/golden/make_optimizer_features_golden.py

Two parts:

- `schedules`: each learning rate schedule's value (float32) at the steps in `STEPS`.
- `trajectories`: 20 calls of `optimizer.apply(grads, variables)` on a small fixed problem.
  Three float32 variables, shaped `(2, 3)`, `(3,)` and `(2, 2, 3)` (so Adafactor factors two
  of them), start at `initial_weights`; at call `k` (from 0) each gets the gradient
  `coef * (w - target) + 0.3 * sin(0.7 * k + arange(size))` (see `gradient`), which depends on
  the weights and on the call, so averaging over accumulated calls shows. The fixture holds
  the variables after each call, `optimizer.iterations` after each call, and every
  optimizer variable after the last call.
- `default_configs`: `get_config()` of `Adafactor()` and `Ftrl()`.
"""

import json
import os

import numpy as np

SHAPES = [(2, 3), (3,), (2, 2, 3)]
CALLS = 20
STEPS = list(range(41)) + [45, 50, 69, 70, 71, 99, 100, 101, 150, 1000, 12345]


SCHEDULES = [
    ("ExponentialDecay", {"initial_learning_rate": 0.1, "decay_steps": 10, "decay_rate": 0.9}),
    ("ExponentialDecay", {"initial_learning_rate": 0.1, "decay_steps": 10, "decay_rate": 0.5,
                          "staircase": True}),
    ("ExponentialDecay", {"initial_learning_rate": 2.0, "decay_steps": 2.5, "decay_rate": 0.99}),
    ("PiecewiseConstantDecay", {"boundaries": [10, 20, 35], "values": [1.0, 0.5, 0.1, 0.01]}),
    ("PiecewiseConstantDecay", {"boundaries": [0], "values": [0.3, 0.2]}),
    ("PolynomialDecay", {"initial_learning_rate": 0.1, "decay_steps": 30}),
    ("PolynomialDecay", {"initial_learning_rate": 0.1, "decay_steps": 30,
                         "end_learning_rate": 0.001, "power": 2.0}),
    ("PolynomialDecay", {"initial_learning_rate": 0.1, "decay_steps": 7,
                         "end_learning_rate": 0.01, "power": 0.5, "cycle": True}),
    ("InverseTimeDecay", {"initial_learning_rate": 0.1, "decay_steps": 5, "decay_rate": 0.5}),
    ("InverseTimeDecay", {"initial_learning_rate": 0.1, "decay_steps": 4, "decay_rate": 2.0,
                          "staircase": True}),
    ("CosineDecay", {"initial_learning_rate": 0.1, "decay_steps": 30}),
    ("CosineDecay", {"initial_learning_rate": 0.1, "decay_steps": 30, "alpha": 0.1}),
    ("CosineDecay", {"initial_learning_rate": 0.0, "decay_steps": 25, "warmup_target": 0.5,
                     "warmup_steps": 10}),
    ("CosineDecay", {"initial_learning_rate": 0.01, "decay_steps": 20, "alpha": 0.2,
                     "warmup_target": 0.1, "warmup_steps": 5}),
    ("CosineDecayRestarts", {"initial_learning_rate": 0.1, "first_decay_steps": 10}),
    ("CosineDecayRestarts", {"initial_learning_rate": 0.1, "first_decay_steps": 10,
                             "t_mul": 1.0, "m_mul": 0.5, "alpha": 0.1}),
    ("CosineDecayRestarts", {"initial_learning_rate": 1.0, "first_decay_steps": 6,
                             "t_mul": 1.5, "m_mul": 0.8, "alpha": 0.05}),
]

EXP = {"class_name": "ExponentialDecay",
       "config": {"initial_learning_rate": 0.1, "decay_steps": 5, "decay_rate": 0.5}}
PIECEWISE = {"class_name": "PiecewiseConstantDecay",
             "config": {"boundaries": [4, 12], "values": [0.2, 0.05, 0.01]}}
COSINE = {"class_name": "CosineDecay",
          "config": {"initial_learning_rate": 0.0, "decay_steps": 10, "warmup_target": 0.3,
                     "warmup_steps": 5}}

TRAJECTORIES = [
    ("Adafactor", {}),
    ("Adafactor", {"learning_rate": 0.5}),
    ("Adafactor", {"learning_rate": 0.5, "relative_step": False}),
    ("Adafactor", {"learning_rate": 0.05, "beta_2_decay": -0.5, "epsilon_2": 0.01,
                   "clip_threshold": 0.1}),
    ("Adafactor", {"learning_rate": EXP, "weight_decay": 0.1}),
    ("Ftrl", {}),
    ("Ftrl", {"learning_rate": 0.1}),
    ("Ftrl", {"learning_rate": 0.1, "learning_rate_power": -0.3, "initial_accumulator_value": 0.2,
              "l1_regularization_strength": 0.01, "l2_regularization_strength": 0.02,
              "l2_shrinkage_regularization_strength": 0.03, "beta": 0.5}),
    ("Ftrl", {"learning_rate": 0.5, "learning_rate_power": 0.0,
              "initial_accumulator_value": 0.0, "l1_regularization_strength": 0.3}),
    ("Ftrl", {"learning_rate": PIECEWISE, "clipvalue": 0.5}),
    ("Adam", {"learning_rate": 0.05, "use_ema": True, "ema_momentum": 0.9}),
    ("SGD", {"learning_rate": 0.1, "momentum": 0.9, "use_ema": True,
             "ema_overwrite_frequency": 3}),
    ("SGD", {"learning_rate": 0.1, "gradient_accumulation_steps": 3}),
    ("SGD", {"learning_rate": 0.1, "momentum": 0.5, "gradient_accumulation_steps": 2,
             "global_clipnorm": 1.0}),
    ("Adam", {"learning_rate": 0.05, "gradient_accumulation_steps": 4}),
    ("Adam", {"learning_rate": COSINE, "gradient_accumulation_steps": 2, "clipnorm": 0.5}),
    ("Adam", {"learning_rate": 0.05, "use_ema": True, "ema_momentum": 0.8,
              "ema_overwrite_frequency": 4, "gradient_accumulation_steps": 2}),
    ("Adam", {"learning_rate": EXP, "clipnorm": 1.0, "weight_decay": 0.05}),
    ("SGD", {"learning_rate": PIECEWISE, "momentum": 0.9, "nesterov": True,
             "global_clipnorm": 0.8, "weight_decay": 0.02}),
    ("RMSprop", {"learning_rate": COSINE, "clipnorm": 0.7, "weight_decay": 0.01,
                 "use_ema": True}),
]


def make_problem():
    rng = np.random.default_rng(2024)
    as32 = lambda arrays: [np.asarray(a, dtype="float32") for a in arrays]
    weights = as32(rng.normal(size=s) for s in SHAPES)
    targets = as32(rng.normal(size=s) for s in SHAPES)
    coefs = as32(rng.uniform(0.2, 2.0, size=s) for s in SHAPES)
    return weights, targets, coefs


def gradient(weights, targets, coefs, call):
    """The gradients at call `call` (from 0): float32 numpy arrays (also used by the test)."""
    grads = []
    for w, t, c in zip(weights, targets, coefs):
        wave = 0.3 * np.sin(0.7 * call + np.arange(w.size, dtype="float64")).reshape(w.shape)
        grads.append((c * (w - t) + wave.astype("float32")).astype("float32"))
    return grads


def as_list(array):
    """Nested lists of the shortest decimals that read back as the same float32 values."""
    array = np.asarray(array)
    if array.dtype.kind in "iu":
        return array.tolist()
    array = array.astype("float32")
    if array.ndim == 0:
        return float(np.format_float_positional(array[()], unique=True, trim="-"))
    return [as_list(a) for a in array]


def build_kwargs(keras, kwargs):
    kwargs = dict(kwargs)
    if isinstance(kwargs.get("learning_rate"), dict):
        spec = kwargs["learning_rate"]
        kwargs["learning_rate"] = getattr(keras.optimizers.schedules, spec["class_name"])(
            **spec["config"])
    return kwargs


def run_trajectory(keras, class_name, kwargs, problem):
    weights, targets, coefs = problem
    optimizer = getattr(keras.optimizers, class_name)(**build_kwargs(keras, kwargs))
    variables = [keras.Variable(w) for w in weights]
    history, iterations = [], []
    for call in range(CALLS):
        values = [np.asarray(v.numpy()) for v in variables]
        grads = gradient(values, targets, coefs, call)
        optimizer.apply([keras.ops.convert_to_tensor(g) for g in grads], variables)
        history.append([as_list(v.numpy()) for v in variables])
        iterations.append(int(np.asarray(optimizer.iterations)))
    return {"optimizer": class_name, "kwargs": kwargs, "weights": history,
            "iterations": iterations,
            "variables": [as_list(np.asarray(v.numpy())) for v in optimizer.variables],
            "variable_names": [v.name for v in optimizer.variables]}


def run_schedule(keras, class_name, kwargs):
    schedule = getattr(keras.optimizers.schedules, class_name)(**kwargs)
    values = [as_list(np.asarray(schedule(np.int32(step)), dtype="float32")) for step in STEPS]
    return {"schedule": class_name, "kwargs": kwargs, "values": values,
            "config": schedule.get_config()}


def main():
    import keras  # only here: the lamina test run never imports this module

    problem = make_problem()
    fixture = {
        "keras_version": keras.__version__,
        "steps": STEPS,
        "schedules": [run_schedule(keras, name, kwargs) for name, kwargs in SCHEDULES],
        "problem": {key: [as_list(a) for a in arrays]
                    for key, arrays in zip(("weights", "targets", "coefs"), problem)},
        "trajectories": [run_trajectory(keras, name, kwargs, problem)
                         for name, kwargs in TRAJECTORIES],
        "default_configs": {name: getattr(keras.optimizers, name)().get_config()
                            for name in ("Adafactor", "Ftrl")},
    }
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                        "optimizer_features_golden.json")
    with open(path, "w") as f:
        json.dump(fixture, f, separators=(",", ":"))
    print(f"wrote {len(fixture['schedules'])} schedules and {len(fixture['trajectories'])} "
          f"trajectories to {path} ({os.path.getsize(path)} bytes)")


if __name__ == "__main__":
    main()
