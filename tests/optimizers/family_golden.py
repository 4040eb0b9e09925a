"""Replay `golden/optimizers_family_golden.json` (AdamW, Adamax, Nadam, Lion, Lamb) in lamina.

The fixture comes from `golden/make_optimizers_family_golden.py`: 20 steps of real Keras 3
(JAX, float32) on a quadratic whose gradient `a * w + c` depends on the weights, so an error
in any step shows in every later one. `check_case` replays a case and compares the recorded
weights and the final slots at rtol 1e-5 (plus atol 1e-6 for entries near zero).
"""

import json
import os

import torch

from lamina import optimizers
from lamina.layers.variable import Variable

with open(os.path.join(os.path.dirname(__file__), "golden",
                       "optimizers_family_golden.json")) as f:
    FIXTURE = json.load(f)


def cases(class_name):
    """The fixture's cases for `class_name`."""
    return [c for c in FIXTURE["cases"] if c["optimizer"] == class_name]


def case_id(case):
    args = [f"{k}={v}" for k, v in case["kwargs"].items()]
    if case["schedule"]:
        args.append("learning_rate=ExponentialDecay")
    if case["exclude"]:
        args.append(f"exclude={case['exclude']}")
    return f"{case['optimizer']}({','.join(args)})"


def exponential_decay(optimizer_holder, initial_learning_rate, decay_steps, decay_rate):
    """Keras' `ExponentialDecay` as a plain callable reading the optimizer's `iterations`:
    `initial_learning_rate * decay_rate ** (iterations / decay_steps)`, in float32."""
    rate = torch.tensor(decay_rate, dtype=torch.float32)

    def learning_rate():
        step = optimizer_holder[0].iterations.to(torch.float32)
        return initial_learning_rate * torch.pow(rate, step / decay_steps)

    return learning_rate


def make_optimizer(case, schedule_object=False):
    kwargs = dict(case["kwargs"])
    holder = []
    if case["schedule"] and schedule_object:
        kwargs["learning_rate"] = optimizers.schedules.ExponentialDecay(**case["schedule"])
    elif case["schedule"]:
        kwargs["learning_rate"] = exponential_decay(holder, **case["schedule"])
    optimizer = getattr(optimizers, case["optimizer"])(**kwargs)
    holder.append(optimizer)
    return optimizer


def make_params():
    # Named as in the fixture: `exclude_from_weight_decay(var_names=...)` matches names.
    return [Variable(torch.tensor(w, dtype=torch.float32), name=name)
            for name, w in zip(FIXTURE["names"], FIXTURE["initial_weights"])]


def run(case, convention="apply_gradients", schedule_object=False):
    """Replay `case`; returns the optimizer and the weights after each recorded step.

    A case with a schedule gets lamina's `ExponentialDecay` when `schedule_object` is true,
    else a plain callable computing it (the base class's other learning-rate path).
    """
    optimizer = make_optimizer(case, schedule_object)
    params = make_params()
    if case["exclude"]:
        optimizer.exclude_from_weight_decay(var_names=case["exclude"])
    optimizer.build(params)
    curvatures = [torch.tensor(a) for a in FIXTURE["curvatures"]]
    offsets = [torch.tensor(c) for c in FIXTURE["offsets"]]
    history = []
    for step in range(1, FIXTURE["steps"] + 1):
        with torch.no_grad():  # a * w + c: one multiply, one add, as the fixture's numpy
            grads = [torch.add(torch.mul(a, p), c) for p, a, c in zip(params, curvatures,
                                                                     offsets)]
        if convention == "apply_gradients":
            optimizer.apply_gradients(zip(grads, params))
        else:  # the torch convention
            for p, g in zip(params, grads):
                p.grad = g
            optimizer.step()
            optimizer.zero_grad()
        if step in FIXTURE["recorded_steps"]:
            history.append([p.detach().clone() for p in params])
    return optimizer, history


def check_case(case, convention="apply_gradients", schedule_object=False):
    """Replay `case` and compare every recorded step and the final slots with Keras."""
    optimizer, history = run(case, convention, schedule_object)
    for step, got_step, expected_step in zip(FIXTURE["recorded_steps"], history,
                                             case["weights"]):
        for name, got, expected in zip(FIXTURE["names"], got_step, expected_step):
            torch.testing.assert_close(got, torch.tensor(expected), rtol=1e-5, atol=1e-6,
                                       msg=lambda m, n=name, s=step: f"{n} after step {s}: {m}")
    first_slot = 1 if case["schedule"] else 2  # no learning rate variable with a schedule
    slots = optimizer.variables[first_slot:]
    assert len(slots) == len(case["slots"])
    for slot_name, got, expected in zip(case["slot_names"], slots, case["slots"]):
        torch.testing.assert_close(got, torch.tensor(expected), rtol=1e-5, atol=1e-6,
                                   msg=lambda m, n=slot_name: f"slot {n}: {m}")
    assert int(optimizer.iterations) == FIXTURE["steps"]
    return optimizer
