"""Adamax: Keras 3's trajectories, config and errors, and the rule against a formula."""

import numpy as np
import pytest
import torch

from lamina import optimizers
from lamina.optimizers import Adamax
from tests.optimizers import family_golden

CASES = family_golden.cases("Adamax")


@pytest.mark.parametrize("case", CASES, ids=family_golden.case_id)
def test_trajectory_matches_keras(case):
    family_golden.check_case(case)


def test_step_from_dot_grad_matches_keras():
    family_golden.check_case(CASES[1], convention="step")


@pytest.mark.parametrize("case", [c for c in CASES if c["schedule"]], ids=family_golden.case_id)
def test_trajectory_with_keras_exponential_decay_object_matches_keras(case):
    family_golden.check_case(case, schedule_object=True)

def test_config_has_keras_keys_and_defaults():
    config = Adamax().get_config()
    keras_config = dict(family_golden.FIXTURE["default_configs"]["Adamax"])
    assert config.pop("learning_rate") == pytest.approx(keras_config.pop("learning_rate"))
    assert config == keras_config


def test_config_round_trip_and_lookup():
    config = Adamax(learning_rate=0.01, beta_2=0.9, epsilon=1e-4, clipvalue=0.5).get_config()
    assert Adamax.from_config(config).get_config() == config
    assert type(optimizers.get("adamax")) is Adamax
    assert type(optimizers.get({"class_name": "Adamax", "config": config})) is Adamax


def test_float64_follows_the_formula():
    rng = np.random.default_rng(11)
    w = rng.normal(size=(3, 5))
    grads = [rng.normal(size=(3, 5)) * s for s in (1.0, 0.1, 3.0, 1e-4)]
    param = torch.nn.Parameter(torch.tensor(w))
    opt = Adamax(learning_rate=0.5, beta_1=0.8, beta_2=0.7, epsilon=1e-3)
    m, u = 0 * w, 0 * w
    for t, g in enumerate(grads, start=1):
        opt.apply([torch.tensor(g)], [param])
        m = m + (g - m) * 0.2
        u = np.maximum(0.7 * u, np.abs(g))
        w = w - 0.5 * m / ((1 - 0.8 ** t) * (u + 1e-3))
    np.testing.assert_allclose(param.detach().numpy(), w, rtol=1e-12, atol=1e-12)
    slots = [s.numpy() for s in opt.variables[2:]]
    np.testing.assert_allclose(slots[0], m, rtol=1e-12)
    np.testing.assert_allclose(slots[1], u, rtol=1e-12)


def test_update_reads_nothing_back_from_the_device():
    # On the meta device any read of a value (`.item()`, `bool(tensor)`) raises.
    params = [torch.nn.Parameter(torch.empty(3, 4, device="meta"))]
    opt = Adamax(learning_rate=lambda: torch.tensor(0.1), weight_decay=0.1, clipnorm=1.0)
    opt.apply([torch.empty(3, 4, device="meta")], params)
    assert opt.variables[1].device.type == "meta"


@pytest.mark.parametrize("kwargs, message", [
    ({"learning_rate": -0.1}, r"`Adamax` expects `learning_rate` to be a non-negative float"),
    ({"beta_1": 1.0}, (r"`Adamax` expects `beta_1` to be a float in \[0, 1\). "
                      r"Received: beta_1=1.0")),
    ({"beta_2": 1.5}, (r"`Adamax` expects `beta_2` to be a float in \[0, 1\]. "
                      r"Received: beta_2=1.5")),
    ({"epsilon": -1.0}, r"`Adamax` expects `epsilon` to be a non-negative float"),
])
def test_rejects_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        Adamax(**kwargs)
