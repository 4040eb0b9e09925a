"""Replay the trajectories of `golden/optimizer_features_golden.json` with lamina.

The fixture comes from `golden/make_optimizer_features_golden.py` (Keras 3 on JAX, float32):
20 calls of `apply` on a small problem whose gradients depend on the weights and the call
number (`gradient`, imported from that script so both sides compute the same inputs).
"""

import importlib.util
import json
import os

import numpy as np
import torch

from lamina import optimizers

_GOLDEN = os.path.join(os.path.dirname(__file__), "golden")
with open(os.path.join(_GOLDEN, "optimizer_features_golden.json")) as f:
    FIXTURE = json.load(f)
_spec = importlib.util.spec_from_file_location(
    "make_optimizer_features_golden", os.path.join(_GOLDEN, "make_optimizer_features_golden.py"))
_script = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_script)
PROBLEM = {key: [np.asarray(a, dtype="float32") for a in arrays]
           for key, arrays in FIXTURE["problem"].items()}


def cases(optimizer, **required):
    """The trajectories of `optimizer` whose kwargs contain every key in `required` (with a
    truthy value when given `True`, else that value)."""
    def wanted(kwargs):
        return all(key in kwargs and (kwargs[key] if value is True else kwargs[key] == value)
                   for key, value in required.items())
    return [c for c in FIXTURE["trajectories"] if c["optimizer"] == optimizer
            and wanted(c["kwargs"])]


def case_id(case):
    def short(value):
        return value["class_name"] if isinstance(value, dict) else value
    return f"{case['optimizer']}(" + ",".join(f"{k}={short(v)}" for k, v in
                                             case["kwargs"].items()) + ")"


def make_optimizer(case):
    """The case's optimizer, built through Keras' config form (schedules included)."""
    return optimizers.deserialize({"class_name": case["optimizer"], "config": case["kwargs"]})


def run(case, optimizer=None, convention="apply"):
    """Replay the case; return `(optimizer, params, weights after each call, iterations)`."""
    optimizer = optimizer or make_optimizer(case)
    params = [torch.nn.Parameter(torch.tensor(w)) for w in PROBLEM["weights"]]
    optimizer.build(params)
    history, iterations = [], []
    for call in range(len(case["weights"])):
        values = [p.detach().numpy() for p in params]
        grads = [torch.tensor(g) for g in
                 _script.gradient(values, PROBLEM["targets"], PROBLEM["coefs"], call)]
        if convention == "apply":
            optimizer.apply(grads, params)
        else:  # torch's convention
            for p, g in zip(params, grads):
                p.grad = g
            optimizer.step()
            optimizer.zero_grad()
        history.append([p.detach().clone() for p in params])
        iterations.append(int(optimizer.iterations))
    return optimizer, params, history, iterations


def check_case(case, convention="apply", rtol=1e-5, atol=1e-6):
    """Weights after every call, `iterations`, and every optimizer variable match Keras."""
    optimizer, _, history, iterations = run(case, convention=convention)
    for call, (got, expected) in enumerate(zip(history, case["weights"])):
        for g, e in zip(got, expected):
            torch.testing.assert_close(g, torch.tensor(e), rtol=rtol, atol=atol,
                                       msg=lambda m, call=call: f"call {call + 1}: {m}")
    assert iterations == case["iterations"]
    assert len(optimizer.variables) == len(case["variables"])
    for i, (got, expected) in enumerate(zip(optimizer.variables, case["variables"])):
        torch.testing.assert_close(got.double(), torch.tensor(expected, dtype=torch.float64),
                                   rtol=rtol, atol=atol, check_dtype=False,
                                   msg=lambda m, i=i: f"variable {i}: {m}")
    return optimizer
