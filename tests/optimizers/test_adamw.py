"""AdamW: Keras 3's trajectories, config and errors, and the decay fused into torch's kernel."""

import numpy as np
import pytest
import torch

from lamina import optimizers
from lamina.optimizers import Adam, AdamW, Optimizer
from tests.optimizers import family_golden

CASES = family_golden.cases("AdamW")


@pytest.mark.parametrize("case", CASES, ids=family_golden.case_id)
def test_trajectory_matches_keras(case):
    family_golden.check_case(case)


@pytest.mark.parametrize("case", CASES[:3], ids=family_golden.case_id)
def test_step_from_dot_grad_matches_keras(case):
    family_golden.check_case(case, convention="step")


@pytest.mark.parametrize("case", [c for c in CASES if c["schedule"]], ids=family_golden.case_id)
def test_trajectory_with_keras_exponential_decay_object_matches_keras(case):
    family_golden.check_case(case, schedule_object=True)

def test_config_has_keras_keys_and_defaults():
    config = AdamW().get_config()
    keras_config = dict(family_golden.FIXTURE["default_configs"]["AdamW"])
    # Keras reads its rate back from a float32 variable.
    assert config.pop("learning_rate") == pytest.approx(keras_config.pop("learning_rate"))
    assert config == keras_config
    assert config["name"] == "adam_w" and config["weight_decay"] == 0.004


def test_config_round_trip_and_lookup():
    opt = AdamW(learning_rate=0.01, weight_decay=0.1, amsgrad=True, clipnorm=1.0)
    config = opt.get_config()
    assert AdamW.from_config(config).get_config() == config
    assert type(optimizers.get("adamw")) is AdamW
    assert type(optimizers.get("AdamW")) is AdamW
    data = optimizers.serialize(opt)
    assert data["class_name"] == "AdamW" and data["module"] == "keras.optimizers"
    assert optimizers.deserialize(data).get_config() == config


def keras_adamw_float64(weights, grads, learning_rates, weight_decay, beta_1, beta_2,
                        epsilon, amsgrad):
    """Keras' AdamW written out in numpy: decay by the raw rate, then Adam's step."""
    w, m, v, v_hat = weights.copy(), 0 * weights, 0 * weights, 0 * weights
    for t, (g, lr) in enumerate(zip(grads, learning_rates), start=1):
        w = w - w * weight_decay * lr
        alpha = lr * np.sqrt(1 - beta_2 ** t) / (1 - beta_1 ** t)
        m += (g - m) * (1 - beta_1)
        v += (g * g - v) * (1 - beta_2)
        v_hat = np.maximum(v_hat, v)
        w -= alpha * m / (np.sqrt(v_hat if amsgrad else v) + epsilon)
    return w


@pytest.mark.parametrize("amsgrad", [False, True])
def test_float64_follows_the_formula_when_the_rate_changes(amsgrad):
    rng = np.random.default_rng(7)
    weights = rng.normal(size=(4, 3))
    grads = [rng.normal(size=(4, 3)) * s for s in (1.0, 1e-5, 0.4, 2.0)]
    rates = [0.1, 0.1, 0.025, 0.05]  # powers of two apart: exact in float32
    param = torch.nn.Parameter(torch.tensor(weights))
    opt = AdamW(weight_decay=0.3, epsilon=1e-5, amsgrad=amsgrad)
    for g, lr in zip(grads, rates):
        opt.learning_rate = lr
        opt.apply([torch.tensor(g)], [param])
    rates32 = [float(np.float32(lr)) for lr in rates]  # the rate lives in a float32 tensor
    expected = keras_adamw_float64(weights, grads, rates32, 0.3, 0.9, 0.999, 1e-5, amsgrad)
    # torch's kernel reads the corrected rate (and so the decay) as float32.
    np.testing.assert_allclose(param.detach().numpy(), expected, rtol=0, atol=1e-7)


def test_decay_in_the_kernel_equals_decay_before_it():
    # A constant rate decays inside torch's kernel; a callable rate (the same value) decays
    # with one multiply before it. Both are Keras' rule.
    gen = torch.Generator().manual_seed(0)
    weights = torch.randn(5, 6, generator=gen)
    grads = [torch.randn(5, 6, generator=gen) for _ in range(5)]
    results = []
    for learning_rate in (0.05, lambda: 0.05):
        param = torch.nn.Parameter(weights.clone())
        opt = AdamW(learning_rate=learning_rate, weight_decay=0.7)
        for g in grads:
            opt.apply([g], [param])
        results.append(param.detach())
    torch.testing.assert_close(results[0], results[1], rtol=2e-7, atol=1e-7)


def test_constant_rate_decays_in_the_kernel_without_a_separate_pass(monkeypatch):
    calls = []
    monkeypatch.setattr(Optimizer, "_decay", lambda self, *args: calls.append(args))
    params = [torch.nn.Parameter(torch.ones(3))]
    AdamW(learning_rate=0.1).apply([torch.ones(3)], params)
    assert calls == []  # decayed by torch's fused AdamW kernel
    AdamW(learning_rate=lambda: 0.1).apply([torch.ones(3)], params)
    assert len(calls) == 1  # a callable rate: the base class's list-wide decay

def test_zero_learning_rate_leaves_weights_unchanged():
    param = torch.nn.Parameter(torch.tensor([1.0, -2.0]))
    opt = AdamW(learning_rate=0.0, weight_decay=0.5)
    opt.apply([torch.tensor([0.3, 0.4])], [param])
    torch.testing.assert_close(param.detach(), torch.tensor([1.0, -2.0]), rtol=0, atol=0)


def test_zero_weight_decay_is_adam():
    gen = torch.Generator().manual_seed(1)
    weights, grads = torch.randn(7, generator=gen), torch.randn(3, 7, generator=gen)
    results = []
    for opt in (AdamW(learning_rate=0.1, weight_decay=0.0), Adam(learning_rate=0.1)):
        param = torch.nn.Parameter(weights.clone())
        for g in grads:
            opt.apply([g], [param])
        results.append(param.detach())
    torch.testing.assert_close(results[0], results[1], rtol=0, atol=0)


@pytest.mark.parametrize("kwargs, message", [
    ({"weight_decay": None}, (r"`AdamW` expects `weight_decay` to be a non-negative float "
                             r"\(AdamW without decay is Adam\). Received: weight_decay=None")),
    ({"weight_decay": -0.1}, (r"`AdamW` expects `weight_decay` to be a non-negative float. "
                             r"Received: weight_decay=-0.1")),
    ({"learning_rate": -1e-3}, r"`AdamW` expects `learning_rate` to be a non-negative float"),
    ({"beta_1": 1.0}, r"`AdamW` expects `beta_1` to be a float in \[0, 1\)"),
    ({"beta_2": -0.5}, r"`AdamW` expects `beta_2` to be a float in \[0, 1\)"),
    ({"clipnorm": 1.0, "global_clipnorm": 1.0}, r"`AdamW` accepts only one of `clipnorm`"),
])
def test_rejects_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        AdamW(**kwargs)
