"""`ReLU`, `LeakyReLU`, `ELU`: formulas written out, argument checks, configs."""

import pytest
import torch

import lamina as keras

L = keras.layers
X = torch.tensor([-3.0, -1.0, -0.2, 0.0, 0.4, 1.0, 2.5, 7.0])


def test_relu_piecewise_formula():
    layer = L.ReLU(max_value=2.0, negative_slope=0.5, threshold=1.0)
    expected = torch.where(X >= 2.0, torch.tensor(2.0),
                           torch.where(X > 1.0, X, 0.5 * (X - 1.0)))
    torch.testing.assert_close(layer(X), expected)
    torch.testing.assert_close(L.ReLU()(X), X.clamp(min=0))
    torch.testing.assert_close(L.ReLU(max_value=6)(X), X.clamp(0, 6))


def test_leaky_relu_formula_and_keras2_alpha():
    torch.testing.assert_close(L.LeakyReLU()(X), torch.where(X >= 0, X, 0.3 * X))
    layer = L.LeakyReLU(alpha=0.1)
    assert layer.negative_slope == 0.1
    assert "alpha" not in layer.get_config()
    torch.testing.assert_close(layer(X), torch.where(X >= 0, X, 0.1 * X))


def test_elu_formula_and_config_keeps_alpha():
    layer = L.ELU(alpha=0.5)
    torch.testing.assert_close(layer(X), torch.where(X > 0, X, 0.5 * (torch.exp(X) - 1)))
    assert L.ELU.from_config(layer.get_config()).alpha == 0.5


@pytest.mark.parametrize("kwargs, arg", [
    ({"max_value": -1.0}, "max_value"),
    ({"negative_slope": -0.1}, "negative_slope"),
    ({"negative_slope": None}, "negative_slope"),
    ({"threshold": -2}, "threshold"),
    ({"threshold": "0"}, "threshold"),
])
def test_relu_rejects_negative_arguments(kwargs, arg):
    value = kwargs[arg]
    with pytest.raises(ValueError, match=rf"`ReLU` expects `{arg}` to be a non-negative float"
                                         rf".*Received: {arg}={value!r}"):
        L.ReLU(**kwargs)


def test_leaky_relu_rejects_a_negative_slope():
    with pytest.raises(ValueError, match=r"`LeakyReLU` expects `negative_slope` to be a "
                                         r"non-negative float. Received: negative_slope=-0.5"):
        L.LeakyReLU(-0.5)


def test_elu_rejects_a_non_number():
    with pytest.raises(ValueError, match=r"`ELU` expects `alpha` to be a finite float. "
                                         r"Received: alpha='1'"):
        L.ELU(alpha="1")


def test_configs_round_trip():
    for layer in (L.ReLU(max_value=3.0, negative_slope=0.1, threshold=0.5), L.LeakyReLU(0.2)):
        config = layer.get_config()
        assert type(layer).from_config(config).get_config() == config
