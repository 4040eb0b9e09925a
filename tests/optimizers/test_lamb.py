"""Lamb: Keras 3's trajectories, config and errors, and the trust ratio's branches."""

import numpy as np
import pytest
import torch

from lamina import optimizers
from lamina.optimizers import Lamb
from tests.optimizers import family_golden

CASES = family_golden.cases("Lamb")


@pytest.mark.parametrize("case", CASES, ids=family_golden.case_id)
def test_trajectory_matches_keras(case):
    # The fixture's bias starts at zero: its first step takes the ratio-of-1 branch.
    family_golden.check_case(case)


def test_step_from_dot_grad_matches_keras():
    family_golden.check_case(CASES[1], convention="step")


@pytest.mark.parametrize("case", [c for c in CASES if c["schedule"]], ids=family_golden.case_id)
def test_trajectory_with_keras_exponential_decay_object_matches_keras(case):
    family_golden.check_case(case, schedule_object=True)

def test_config_has_keras_keys_and_defaults():
    config = Lamb().get_config()
    keras_config = dict(family_golden.FIXTURE["default_configs"]["Lamb"])
    assert config.pop("learning_rate") == pytest.approx(keras_config.pop("learning_rate"))
    assert config == keras_config


def test_config_round_trip_and_lookup():
    config = Lamb(learning_rate=0.01, beta_1=0.8, epsilon=1e-6, clipnorm=1.0).get_config()
    assert Lamb.from_config(config).get_config() == config
    assert type(optimizers.get("lamb")) is Lamb


def keras_lamb_float64(weights, grads, lr, beta_1, beta_2, epsilon):
    """Keras' Lamb written out in numpy, one trust ratio per weight tensor."""
    weights = [w.copy() for w in weights]
    ms, vs = [0 * w for w in weights], [0 * w for w in weights]
    for t, step_grads in enumerate(grads, start=1):
        for i, g in enumerate(step_grads):
            ms[i] = ms[i] + (g - ms[i]) * (1 - beta_1)
            vs[i] = vs[i] + (g * g - vs[i]) * (1 - beta_2)
            r = (ms[i] / (1 - beta_1 ** t)) / (np.sqrt(vs[i] / (1 - beta_2 ** t)) + epsilon)
            w_norm, r_norm = np.linalg.norm(weights[i]), np.linalg.norm(r)
            ratio = w_norm / r_norm if w_norm > 0 and r_norm > 0 else 1.0
            weights[i] = weights[i] - ratio * lr * r
    return weights


def test_float64_follows_the_formula_with_both_unit_ratio_branches():
    rng = np.random.default_rng(14)
    # A zero weight (||w|| = 0) and a weight with zero gradients (||r|| = 0) take ratio 1.
    weights = [rng.normal(size=(3, 4)), np.zeros(4), rng.normal(size=(2,))]
    grads = [[rng.normal(size=(3, 4)), rng.normal(size=(4,)), np.zeros(2)] for _ in range(4)]
    params = [torch.nn.Parameter(torch.tensor(w)) for w in weights]
    opt = Lamb(learning_rate=0.125, beta_1=0.8, beta_2=0.9, epsilon=1e-4)
    for step_grads in grads:
        opt.apply([torch.tensor(g) for g in step_grads], params)
    expected = keras_lamb_float64(weights, grads, 0.125, 0.8, 0.9, 1e-4)
    for param, w in zip(params, expected):
        np.testing.assert_allclose(param.detach().numpy(), w, rtol=1e-12, atol=1e-12)
    np.testing.assert_array_equal(params[2].detach().numpy(), weights[2])


def test_update_reads_nothing_back_from_the_device():
    # On the meta device any read of a value (`.item()`, `bool(tensor)`) raises.
    params = [torch.nn.Parameter(torch.empty(3, device="meta")),
              torch.nn.Parameter(torch.empty(2, 2, device="meta"))]
    opt = Lamb(weight_decay=0.1, clipnorm=1.0)
    opt.apply([torch.empty(3, device="meta"), torch.empty(2, 2, device="meta")], params)
    assert opt.variables[2].device.type == "meta"


@pytest.mark.parametrize("kwargs, message", [
    ({"learning_rate": -0.1}, r"`Lamb` expects `learning_rate` to be a non-negative float"),
    ({"beta_1": -0.1}, r"`Lamb` expects `beta_1` to be a float in \[0, 1\)"),
    ({"beta_2": 1.0}, r"`Lamb` expects `beta_2` to be a float in \[0, 1\)"),
    ({"epsilon": -1e-7}, r"`Lamb` expects `epsilon` to be a non-negative float"),
])
def test_rejects_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        Lamb(**kwargs)
