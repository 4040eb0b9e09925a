"""`UnitNormalization`: Keras golden values, the L2 formula, errors."""

import pytest
import torch
import torch.nn.functional as F

import lamina as keras
from tests.layers.normalization.golden_cases import names, run_case

UN = keras.layers.UnitNormalization


@pytest.mark.parametrize("name", names("unit_"))
def test_matches_keras(name):
    run_case(name)


def test_matches_torch_normalize_and_keeps_zero_rows():
    torch.manual_seed(0)
    x = torch.randn(3, 4, 5)
    x[1, 2] = 0.0
    out = UN(axis=-1)(x)
    torch.testing.assert_close(out, F.normalize(x, dim=-1, eps=1e-12))
    assert torch.equal(out[1, 2], torch.zeros(5))
    pair = UN(axis=[1, 2])(x)
    torch.testing.assert_close(pair.square().sum((1, 2)), torch.ones(3))


def test_config_round_trip():
    layer = UN(axis=[1, 2])
    assert UN.from_config(layer.get_config()).get_config() == layer.get_config()
    assert layer.get_config()["axis"] == [1, 2]


def test_rejects_axis_of_wrong_type():
    with pytest.raises(TypeError, match="`UnitNormalization` expects `axis`"):
        UN(axis=None)


def test_rejects_axis_out_of_range():
    with pytest.raises(ValueError, match=r"`UnitNormalization` expects every `axis` to be in"):
        UN(axis=2)(torch.randn(2, 3))
