"""Ftrl: Keras 3's trajectories, slots, config, the rule written out, and errors."""

import numpy as np
import pytest
import torch

from lamina import optimizers
from lamina.optimizers import Ftrl
from tests.optimizers import features_golden

CASES = features_golden.cases("Ftrl")


@pytest.mark.parametrize("case", CASES, ids=features_golden.case_id)
def test_trajectory_matches_keras(case):
    features_golden.check_case(case)


def test_step_from_dot_grad_matches_keras():
    features_golden.check_case(CASES[2], convention="step")


def test_config_has_keras_keys_and_defaults():
    config = Ftrl().get_config()
    keras_config = dict(features_golden.FIXTURE["default_configs"]["Ftrl"])
    assert config.pop("learning_rate") == pytest.approx(keras_config.pop("learning_rate"))
    assert config.pop("name") == "ftrl" and keras_config.pop("name").startswith("ftrl")
    assert config == keras_config


def test_config_round_trip_and_lookup():
    config = Ftrl(learning_rate=0.1, learning_rate_power=-0.2, initial_accumulator_value=0.0,
                  l1_regularization_strength=0.1, l2_regularization_strength=0.2,
                  l2_shrinkage_regularization_strength=0.3, beta=0.4,
                  gradient_accumulation_steps=2).get_config()
    assert Ftrl.from_config(config).get_config() == config
    assert type(optimizers.get("ftrl")) is Ftrl


def test_slots_are_accumulator_then_linear_per_weight():
    params = [torch.nn.Parameter(torch.ones(3, 4)), torch.nn.Parameter(torch.ones(4))]
    opt = Ftrl(initial_accumulator_value=0.5)
    opt.build(params)
    accumulator, linear, bias_accumulator, bias_linear = opt.variables[2:]
    assert accumulator.shape == (3, 4) and bias_linear.shape == (4,)
    assert (accumulator == 0.5).all() and (bias_accumulator == 0.5).all()
    assert (linear == 0).all() and (bias_linear == 0).all()


def ftrl_float64(weights, grads, lr, power, n0, l1, l2, shrinkage, beta):
    """Keras' Ftrl written out in numpy."""
    weights = [w.copy() for w in weights]
    ns = [np.full(w.shape, n0) for w in weights]
    zs = [np.zeros(w.shape) for w in weights]
    for step_grads in grads:
        for i, g in enumerate(step_grads):
            w, n = weights[i], ns[i]
            n_new = n + g ** 2
            zs[i] = zs[i] + (g + 2 * shrinkage * w) - (n_new ** -power - n ** -power) / lr * w
            q = n_new ** -power / lr + 2 * (l2 + beta / (2 * lr))
            weights[i] = (np.clip(zs[i], -l1, l1) - zs[i]) / q
            ns[i] = n_new
    return weights


@pytest.mark.parametrize("power, n0, l1, l2, shrinkage, beta", [
    (-0.5, 0.1, 0.0, 0.0, 0.0, 0.0),
    (-0.25, 0.5, 0.05, 0.1, 0.2, 1.0),
    (0.0, 0.0, 0.5, 0.0, 0.0, 0.0),  # a large l1: some weights are exactly zero
])
def test_float64_follows_the_formula(power, n0, l1, l2, shrinkage, beta):
    rng = np.random.default_rng(5)
    shapes = [(3, 4), (4,)]
    weights = [rng.normal(size=s) for s in shapes]
    grads = [[rng.normal(size=s) for s in shapes] for _ in range(4)]
    params = [torch.nn.Parameter(torch.tensor(w)) for w in weights]
    opt = Ftrl(learning_rate=0.25, learning_rate_power=power, initial_accumulator_value=n0,
               l1_regularization_strength=l1, l2_regularization_strength=l2,
               l2_shrinkage_regularization_strength=shrinkage, beta=beta)
    for step_grads in grads:
        opt.apply([torch.tensor(g) for g in step_grads], params)
    expected = ftrl_float64(weights, grads, 0.25, power, n0, l1, l2, shrinkage, beta)
    for param, w in zip(params, expected):
        np.testing.assert_allclose(param.detach().numpy(), w, rtol=1e-12, atol=1e-12)
    if l1 == 0.5:
        assert (params[0] == 0).any()


def test_update_reads_nothing_back_from_the_device():
    # On the meta device any read of a value (`.item()`, `bool(tensor)`) raises.
    params = [torch.nn.Parameter(torch.empty(3, device="meta")),
              torch.nn.Parameter(torch.empty(2, 2, device="meta"))]
    opt = Ftrl(l1_regularization_strength=0.1, l2_shrinkage_regularization_strength=0.1,
               beta=0.5, clipvalue=1.0)
    for _ in range(2):
        opt.apply([torch.empty(3, device="meta"), torch.empty(2, 2, device="meta")], params)
    assert opt.variables[2].device.type == "meta"


@pytest.mark.parametrize("kwargs, message", [
    ({"learning_rate": -0.1}, r"`Ftrl` expects `learning_rate` to be a non-negative"),
    ({"learning_rate_power": 0.5}, (r"`Ftrl` expects `learning_rate_power` to be a float <= 0. "
                                   r"Received: learning_rate_power=0.5 \(of type float\)")),
    ({"learning_rate_power": None}, r"`Ftrl` expects `learning_rate_power` to be a float <= 0"),
    ({"initial_accumulator_value": -0.1}, (r"`Ftrl` expects `initial_accumulator_value` to "
                                          r"be a non-negative float")),
    ({"l1_regularization_strength": -1.0}, (r"expects `l1_regularization_strength` to be a "
                                           r"non-negative float")),
    ({"l2_regularization_strength": -1.0}, (r"expects `l2_regularization_strength` to be a "
                                           r"non-negative float")),
    ({"l2_shrinkage_regularization_strength": -1.0},
     r"expects `l2_shrinkage_regularization_strength` to be a non-negative float"),
    ({"beta": -1.0}, r"`Ftrl` expects `beta` to be a non-negative float"),
])
def test_rejects_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        Ftrl(**kwargs)
