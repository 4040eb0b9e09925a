"""Adafactor: Keras 3's trajectories, slots, config, the factored rule and errors."""

import numpy as np
import pytest
import torch

from lamina import optimizers
from lamina.optimizers import Adafactor
from tests.optimizers import features_golden

CASES = features_golden.cases("Adafactor")


@pytest.mark.parametrize("case", CASES, ids=features_golden.case_id)
def test_trajectory_matches_keras(case):
    features_golden.check_case(case)


def test_step_from_dot_grad_matches_keras():
    features_golden.check_case(CASES[1], convention="step")


def test_config_has_keras_keys_and_defaults():
    config = Adafactor().get_config()
    keras_config = dict(features_golden.FIXTURE["default_configs"]["Adafactor"])
    assert config.pop("learning_rate") == pytest.approx(keras_config.pop("learning_rate"))
    assert config.pop("name") == "adafactor" and keras_config.pop("name").startswith("adafactor")
    assert config == keras_config


def test_config_round_trip_and_lookup():
    config = Adafactor(learning_rate=0.01, beta_2_decay=-0.5, epsilon_1=1e-20,
                       clip_threshold=0.5, relative_step=False, use_ema=True).get_config()
    assert Adafactor.from_config(config).get_config() == config
    assert type(optimizers.get("adafactor")) is Adafactor
    assert type(optimizers.get("Adafactor")) is Adafactor


def test_slots_are_factored_for_rank_two_and_up_as_keras_lists_them():
    params = [torch.nn.Parameter(torch.ones(2, 3, 4)), torch.nn.Parameter(torch.ones(5)),
              torch.nn.Parameter(torch.ones(3, 4))]
    opt = Adafactor()
    opt.build(params)
    shapes = [(tuple(v.shape), v.dtype) for v in opt.variables[2:]]
    f32, i32 = torch.float32, torch.int32
    assert shapes == [((2, 3), f32), ((2, 4), f32), ((2, 3, 4), f32),
                      ((), i32), ((), i32), ((5,), f32),
                      ((3,), f32), ((4,), f32), ((3, 4), f32)]


def adafactor_float64(weights, grads, lr, decay=-0.8, eps1=1e-30, eps2=1e-3, clip=1.0):
    """Keras' Adafactor written out in numpy."""
    weights = [w.copy() for w in weights]
    stats = [[np.zeros(w.shape[:-1]), np.zeros(w.shape[:-2] + w.shape[-1:]), np.zeros(w.shape)]
             for w in weights]
    rms = lambda x: np.sqrt(np.mean(x ** 2))
    for t, step_grads in enumerate(grads, start=1):
        for i, g in enumerate(step_grads):
            r, c, v = stats[i]
            rho = min(lr, 1 / np.sqrt(t))
            alpha = max(eps2, rms(weights[i])) * rho
            beta = 1 - t ** decay
            s = g ** 2 + eps1
            if g.ndim >= 2:
                r[...] = beta * r + (1 - beta) * s.mean(-1)
                c[...] = beta * c + (1 - beta) * s.mean(-2)
                v[...] = (r / r.mean(-1, keepdims=True))[..., None] * c[..., None, :]
            else:
                v[...] = beta * v + (1 - beta) * s
            u = g / np.sqrt(v)
            weights[i] = weights[i] - alpha * u / max(1.0, rms(u) / clip)
    return weights


@pytest.mark.parametrize("lr, clip", [(0.25, 1.0), (0.0625, 0.2)])
def test_float64_follows_the_formula(lr, clip):
    rng = np.random.default_rng(3)
    shapes = [(2, 3, 4), (4,), (3, 5)]
    weights = [rng.normal(size=s) for s in shapes]
    grads = [[rng.normal(size=s) for s in shapes] for _ in range(5)]
    params = [torch.nn.Parameter(torch.tensor(w)) for w in weights]
    opt = Adafactor(learning_rate=lr, clip_threshold=clip)
    for step_grads in grads:
        opt.apply([torch.tensor(g) for g in step_grads], params)
    # The rates are exact in float32 (the learning rate is a float32 variable, as in Keras).
    for param, w in zip(params, adafactor_float64(weights, grads, lr, clip=clip)):
        np.testing.assert_allclose(param.detach().numpy(), w, rtol=1e-12, atol=1e-12)


def test_update_of_a_subset_touches_only_its_slots():
    params = [torch.nn.Parameter(torch.ones(3, 4)), torch.nn.Parameter(torch.ones(4))]
    opt = Adafactor(learning_rate=0.1)
    opt.build(params)
    opt.apply([torch.full((4,), 0.5)], [params[1]])
    r, c, v, _, _, bias_velocity = opt.variables[2:]
    assert r.abs().sum() == 0 and c.abs().sum() == 0 and v.abs().sum() == 0
    torch.testing.assert_close(bias_velocity, torch.full((4,), 0.25))
    torch.testing.assert_close(params[1].detach(), torch.full((4,), 0.9))  # rms(w) = 1
    torch.testing.assert_close(params[0].detach(), torch.ones(3, 4), atol=0, rtol=0)


def test_update_reads_nothing_back_from_the_device():
    # On the meta device any read of a value (`.item()`, `bool(tensor)`) raises.
    params = [torch.nn.Parameter(torch.empty(3, device="meta")),
              torch.nn.Parameter(torch.empty(2, 2, 3, device="meta"))]
    opt = Adafactor(weight_decay=0.1, clipnorm=1.0)
    for _ in range(2):
        opt.apply([torch.empty(3, device="meta"), torch.empty(2, 2, 3, device="meta")],
                  params)
    assert opt.variables[2].device.type == "meta"


@pytest.mark.parametrize("kwargs, message", [
    ({"learning_rate": -0.1}, r"`Adafactor` expects `learning_rate` to be a non-negative"),
    ({"beta_2_decay": float("nan")}, (r"`Adafactor` expects `beta_2_decay` to be a finite "
                                     r"float. Received: beta_2_decay=nan")),
    ({"beta_2_decay": "fast"}, r"`Adafactor` expects `beta_2_decay` to be a finite float"),
    ({"epsilon_1": -1e-30}, r"`Adafactor` expects `epsilon_1` to be a non-negative float"),
    ({"epsilon_2": -1.0}, r"`Adafactor` expects `epsilon_2` to be a non-negative float"),
    ({"clip_threshold": -1.0}, r"`Adafactor` expects `clip_threshold` to be a non-negative"),
    ({"clip_threshold": 0.0}, (r"`Adafactor` expects `clip_threshold` to be a positive float. "
                              r"Received: clip_threshold=0.0")),
])
def test_rejects_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        Adafactor(**kwargs)
