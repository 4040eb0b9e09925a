"""Nadam: Keras 3's trajectories (momentum-cache schedule included), state, config, errors."""

import numpy as np
import pytest
import torch

from lamina import optimizers
from lamina.optimizers import Nadam
from tests.optimizers import family_golden

CASES = family_golden.cases("Nadam")


@pytest.mark.parametrize("case", CASES, ids=family_golden.case_id)
def test_trajectory_matches_keras(case):
    family_golden.check_case(case)


def test_step_from_dot_grad_matches_keras():
    family_golden.check_case(CASES[2], convention="step")


@pytest.mark.parametrize("case", [c for c in CASES if c["schedule"]], ids=family_golden.case_id)
def test_trajectory_with_keras_exponential_decay_object_matches_keras(case):
    family_golden.check_case(case, schedule_object=True)

def test_config_has_keras_keys_and_defaults():
    config = Nadam().get_config()
    keras_config = dict(family_golden.FIXTURE["default_configs"]["Nadam"])
    assert config.pop("learning_rate") == pytest.approx(keras_config.pop("learning_rate"))
    assert config == keras_config


def test_config_round_trip_and_lookup():
    config = Nadam(learning_rate=0.01, beta_1=0.5, global_clipnorm=2.0).get_config()
    assert Nadam.from_config(config).get_config() == config
    assert type(optimizers.get("nadam")) is Nadam


def keras_nadam_float64(w, grads, lr, beta_1, beta_2, epsilon):
    """Keras' Nadam written out in numpy; returns the weights and the cache's product."""
    m, v, product = 0 * w, 0 * w, 1.0
    for t, g in enumerate(grads, start=1):
        u_t = beta_1 * (1 - 0.5 * 0.96 ** t)
        u_next = beta_1 * (1 - 0.5 * 0.96 ** (t + 1))
        product *= u_t
        m = m + (g - m) * (1 - beta_1)
        v = v + (g * g - v) * (1 - beta_2)
        m_hat = u_next * m / (1 - product * u_next) + (1 - u_t) * g / (1 - product)
        w = w - lr * m_hat / (np.sqrt(v / (1 - beta_2 ** t)) + epsilon)
    return w, product


def test_float64_follows_the_formula():
    rng = np.random.default_rng(12)
    w = rng.normal(size=(4, 2))
    grads = [rng.normal(size=(4, 2)) * s for s in (1.0, 1e-3, 2.0, 0.5, 1.0)]
    param = torch.nn.Parameter(torch.tensor(w))
    opt = Nadam(learning_rate=0.25, beta_1=0.7, beta_2=0.95, epsilon=1e-4)
    for g in grads:
        opt.apply([torch.tensor(g)], [param])
    expected, product = keras_nadam_float64(w, grads, 0.25, 0.7, 0.95, 1e-4)
    np.testing.assert_allclose(param.detach().numpy(), expected, rtol=1e-12, atol=1e-12)
    u_product = opt.variables[-1]
    assert u_product.shape == () and u_product.dtype == torch.float64
    assert float(u_product) == pytest.approx(product, rel=1e-12)


def test_saved_state_resumes_the_schedule():
    # The cache's product is part of the saved state (as Keras' last variable): training
    # resumed from a store continues exactly as if never interrupted.
    gen = torch.Generator().manual_seed(3)
    weights = torch.randn(2, 3, generator=gen)
    grads = torch.randn(6, 2, 3, generator=gen)
    straight = torch.nn.Parameter(weights.clone())
    opt = Nadam(learning_rate=0.1)
    for g in grads:
        opt.apply([g], [straight])
    first = torch.nn.Parameter(weights.clone())
    opt = Nadam(learning_rate=0.1)
    for g in grads[:3]:
        opt.apply([g], [first])
    store = {}
    opt.save_own_variables(store)
    assert len(store) == 2 + 2 + 1  # iterations, learning_rate, m, v, the cache's product
    resumed = torch.nn.Parameter(first.detach().clone())
    opt = Nadam(learning_rate=0.1)
    opt.build([resumed])
    opt.load_own_variables(store)
    for g in grads[3:]:
        opt.apply([g], [resumed])
    torch.testing.assert_close(resumed.detach(), straight.detach(), rtol=0, atol=0)


def test_update_reads_nothing_back_from_the_device():
    # On the meta device any read of a value (`.item()`, `bool(tensor)`) raises.
    params = [torch.nn.Parameter(torch.empty(5, device="meta"))]
    opt = Nadam(weight_decay=0.1, global_clipnorm=1.0)
    opt.apply([torch.empty(5, device="meta")], params)
    assert opt.variables[-1].device.type == "meta"


@pytest.mark.parametrize("kwargs, message", [
    ({"learning_rate": -0.1}, r"`Nadam` expects `learning_rate` to be a non-negative float"),
    ({"beta_1": 1.0}, r"`Nadam` expects `beta_1` to be a float in \[0, 1\)"),
    ({"beta_2": "0.9"}, (r"`Nadam` expects `beta_2` to be a float in \[0, 1\). "
                        r"Received: beta_2='0.9' \(of type str\)")),
    ({"epsilon": float("inf")}, r"`Nadam` expects `epsilon` to be a non-negative float"),
])
def test_rejects_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        Nadam(**kwargs)
