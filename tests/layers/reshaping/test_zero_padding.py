"""`ZeroPadding1D/2D/3D`: golden values, forms of `padding`, checks."""

import pytest
import torch
import torch.nn.functional as F

import lamina as keras
from tests.layers.reshaping.golden_cases import load

CASES = load("ZeroPadding")


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_matches_keras_golden(case):
    _, name, config, x, _, expected = case
    torch.testing.assert_close(getattr(keras.layers, name)(**config)(x), expected, rtol=0, atol=0)


def test_asymmetric_padding_matches_torch_twin_in_both_layouts():
    x = torch.randn(2, 3, 4, 5, generator=torch.Generator().manual_seed(0))  # channels first
    expected = F.pad(x, (0, 3, 1, 2))  # width (0, 3), height (1, 2)
    first = keras.layers.ZeroPadding2D(((1, 2), (0, 3)), data_format="channels_first")
    torch.testing.assert_close(first(x), expected)
    last = keras.layers.ZeroPadding2D(((1, 2), (0, 3)))
    torch.testing.assert_close(last(x.permute(0, 2, 3, 1)), expected.permute(0, 2, 3, 1))


def test_config_round_trip_in_keras_form():
    assert keras.layers.ZeroPadding1D().get_config()["padding"] == (1, 1)
    config = keras.layers.ZeroPadding2D(3).get_config()
    assert config["padding"] == ((3, 3), (3, 3))
    assert keras.layers.ZeroPadding2D.from_config(config).get_config() == config


@pytest.mark.parametrize("cls, padding, match", [
    (keras.layers.ZeroPadding2D, (1, 2, 3), ("`ZeroPadding2D` expects `padding` to be a "
                                            "non-negative integer, a tuple of 2")),
    (keras.layers.ZeroPadding3D, -2, r"Received: padding=-2 \(of type int\)"),
    (keras.layers.ZeroPadding1D, (1, -1), "`ZeroPadding1D` expects `padding`"),
])
def test_rejects_malformed_padding(cls, padding, match):
    with pytest.raises(ValueError, match=match):
        cls(padding)


def test_rejects_wrong_rank():
    with pytest.raises(ValueError, match="expected ndim=5, found ndim=4"):
        keras.layers.ZeroPadding3D()(torch.zeros(2, 3, 4, 5))
