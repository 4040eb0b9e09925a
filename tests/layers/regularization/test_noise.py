"""`GaussianNoise`, `GaussianDropout`, `AlphaDropout`: statistics in training against their
formulas (seeded, large samples), identity outside training, argument checks."""

import math

import pytest
import torch

import lamina as keras

L = keras.layers
N = 200_000  # std of a sample mean of unit-variance noise: ~0.002


def _close(value, expected, tol):
    assert abs(float(value) - expected) < tol, (float(value), expected)


def test_gaussian_noise_adds_centred_noise_of_stddev():
    torch.manual_seed(0)
    x = torch.linspace(-3, 3, N)
    noise = L.GaussianNoise(0.4)(x, training=True) - x
    _close(noise.mean(), 0.0, 0.01)
    _close(noise.std(), 0.4, 0.01)


def test_gaussian_dropout_multiplies_by_noise_around_one():
    torch.manual_seed(0)
    x = torch.full((N,), 2.0)
    rate = 0.3
    factor = L.GaussianDropout(rate)(x, training=True) / x
    _close(factor.mean(), 1.0, 0.01)
    _close(factor.std(), math.sqrt(rate / (1 - rate)), 0.01)


def test_alpha_dropout_keeps_mean_and_variance_of_standardised_inputs():
    torch.manual_seed(0)
    x = torch.randn(N)
    y = L.AlphaDropout(0.2)(x, training=True)
    _close(y.mean(), 0.0, 0.015)
    _close(y.var(), 1.0, 0.02)


def test_alpha_dropout_values_follow_the_affine_formula():
    torch.manual_seed(0)
    rate = 0.4
    alpha_p = -1.6732632423543772 * 1.0507009873554805
    a = ((1 - rate) * (1 + rate * alpha_p**2)) ** -0.5
    b = -a * alpha_p * rate
    x = torch.randn(2000)
    for layer in (L.AlphaDropout(rate), L.AlphaDropout(rate, noise_shape=(None,))):
        y = layer(x, training=True)
        kept = torch.isclose(y, a * x + b, atol=1e-5)
        dropped = torch.isclose(y, torch.tensor(a * alpha_p + b), atol=1e-5)
        assert bool((kept | dropped).all())
        _close(dropped.float().mean(), rate, 0.04)


def test_alpha_dropout_noise_shape_shares_decisions():
    torch.manual_seed(0)
    rate = 0.5
    alpha_p = -1.6732632423543772 * 1.0507009873554805
    a = ((1 - rate) * (1 + rate * alpha_p**2)) ** -0.5
    dropped_value = a * alpha_p - a * alpha_p * rate  # a * alpha' + b
    x = torch.randn(50, 6, 8)
    y = L.AlphaDropout(rate, noise_shape=(None, 1, 8))(x, training=True)
    is_dropped = torch.isclose(y, torch.tensor(dropped_value), atol=1e-5)  # (50, 6, 8)
    torch.testing.assert_close(is_dropped, is_dropped[:, :1].expand_as(is_dropped))
    _close(is_dropped.float().mean(), rate, 0.1)


@pytest.mark.parametrize("layer", [L.GaussianNoise(0.5), L.GaussianDropout(0.5),
                                   L.AlphaDropout(0.5)])
def test_identity_outside_training(layer):
    x = torch.randn(3, 4)
    assert layer(x) is x
    assert layer(x, training=False) is x


def test_rejects_bad_arguments():
    with pytest.raises(ValueError, match=r"`GaussianNoise` expects `stddev` to be a float in "
                                         r"\[0, 1\]. Received: stddev=1.5"):
        L.GaussianNoise(1.5)
    with pytest.raises(ValueError, match=r"`GaussianDropout` expects `rate` to be a float in "
                                         r"\[0, 1\). Received: rate=1"):
        L.GaussianDropout(1)
    with pytest.raises(ValueError, match=r"`AlphaDropout` expects `rate` to be a float in "
                                         r"\[0, 1\). Received: rate=-0.1"):
        L.AlphaDropout(-0.1)
    with pytest.raises(ValueError, match=r"`AlphaDropout` expects `noise_shape` to be a tuple "
                                         r"of non-negative integers or None. Received: "
                                         r"noise_shape=\(None, -1\)"):
        L.AlphaDropout(0.1, noise_shape=(None, -1))


def test_configs_round_trip():
    for layer in (L.GaussianNoise(0.2, seed=1), L.GaussianDropout(0.3, seed=2),
                  L.AlphaDropout(0.1, noise_shape=(None, 1), seed=3)):
        config = layer.get_config()
        assert type(layer).from_config(config).get_config() == config
    assert L.AlphaDropout(0.1, noise_shape=(None, 1)).get_config()["noise_shape"] == [None, 1]
