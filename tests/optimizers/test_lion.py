"""Lion: Keras 3's trajectories, config and errors, and the rule against a formula."""

import numpy as np
import pytest
import torch

from lamina import optimizers
from lamina.optimizers import Lion
from tests.optimizers import family_golden

CASES = family_golden.cases("Lion")


@pytest.mark.parametrize("case", CASES, ids=family_golden.case_id)
def test_trajectory_matches_keras(case):
    family_golden.check_case(case)


def test_step_from_dot_grad_matches_keras():
    family_golden.check_case(CASES[1], convention="step")


@pytest.mark.parametrize("case", [c for c in CASES if c["schedule"]], ids=family_golden.case_id)
def test_trajectory_with_keras_exponential_decay_object_matches_keras(case):
    family_golden.check_case(case, schedule_object=True)

def test_config_has_keras_keys_and_defaults():
    config = Lion().get_config()
    keras_config = dict(family_golden.FIXTURE["default_configs"]["Lion"])
    assert config.pop("learning_rate") == pytest.approx(keras_config.pop("learning_rate"))
    assert config == keras_config
    assert (config["beta_1"], config["beta_2"]) == (0.9, 0.99)


def test_config_round_trip_and_lookup():
    config = Lion(learning_rate=1e-4, beta_1=1.0, weight_decay=0.1).get_config()
    assert Lion.from_config(config).get_config() == config
    assert type(optimizers.get("lion")) is Lion


def test_float64_follows_the_formula():
    rng = np.random.default_rng(13)
    w = rng.normal(size=(6,))
    grads = [rng.normal(size=(6,)) for _ in range(5)]
    param = torch.nn.Parameter(torch.tensor(w))
    opt = Lion(learning_rate=0.125, beta_1=0.6, beta_2=0.8)
    m = 0 * w
    for g in grads:
        opt.apply([torch.tensor(g)], [param])
        w = w - 0.125 * np.sign(0.6 * m + 0.4 * g)
        m = 0.8 * m + 0.2 * g
    np.testing.assert_allclose(param.detach().numpy(), w, rtol=0, atol=1e-15)
    np.testing.assert_allclose(opt.variables[2].numpy(), m, rtol=1e-12, atol=1e-15)


def test_update_reads_nothing_back_from_the_device():
    # On the meta device any read of a value (`.item()`, `bool(tensor)`) raises.
    params = [torch.nn.Parameter(torch.empty(2, 2, device="meta"))]
    opt = Lion(weight_decay=0.1, clipvalue=1.0)
    opt.apply([torch.empty(2, 2, device="meta")], params)
    assert opt.variables[2].device.type == "meta"


@pytest.mark.parametrize("kwargs, message", [
    ({"learning_rate": -0.1}, r"`Lion` expects `learning_rate` to be a non-negative float"),
    ({"beta_1": 0.0}, (r"`Lion` expects `beta_1` to be a float in \(0, 1\]. Received: "
                      r"beta_1=0.0 \(of type float\). At 0 the momentum never reaches")),
    ({"beta_1": 1.01}, r"`Lion` expects `beta_1` to be a float in \(0, 1\]"),
    ({"beta_1": None}, (r"`Lion` expects `beta_1` to be a float in \(0, 1\]. "
                       r"Received: beta_1=None")),
    ({"beta_2": -0.1}, r"`Lion` expects `beta_2` to be a float in \[0, 1\]"),
])
def test_rejects_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        Lion(**kwargs)
