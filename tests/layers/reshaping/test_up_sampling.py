"""`UpSampling1D/2D/3D`: golden values (nearest, bilinear, bicubic, Lanczos) and checks."""

import pytest
import torch
import torch.nn.functional as F

import lamina as keras
from lamina.layers.reshaping.up_sampling import lanczos_matrix, repeat_cells
from tests.layers.reshaping.golden_cases import load

CASES = load("UpSampling")


@pytest.mark.parametrize("case", CASES, ids=[f"{c[0]}-{c[2]}" for c in CASES])
def test_matches_keras_golden(case):
    _, name, config, x, _, expected = case
    out = getattr(keras.layers, name)(**config)(x)
    torch.testing.assert_close(out, expected, rtol=0, atol=1e-5)


def test_repeat_cells_matches_repeat_interleave():
    x = torch.randn(2, 3, 4, 5, generator=torch.Generator().manual_seed(0))
    expected = x.repeat_interleave(2, dim=1).repeat_interleave(3, dim=2)
    torch.testing.assert_close(repeat_cells(x, (2, 3), 1), expected, rtol=0, atol=0)


def test_nearest_gradient_sums_each_block():
    x = torch.randn(1, 2, 3, 1, generator=torch.Generator().manual_seed(0), requires_grad=True)
    weights = torch.arange(24.0).reshape(1, 4, 6, 1)
    (keras.layers.UpSampling2D((2, 2))(x) * weights).sum().backward()
    expected = F.avg_pool2d(weights.permute(0, 3, 1, 2), 2).permute(0, 2, 3, 1) * 4
    torch.testing.assert_close(x.grad, expected)


def test_lanczos_rows_sum_to_one_and_reproduce_constants():
    matrix = lanczos_matrix(5, 10, 3, torch.zeros(()))
    torch.testing.assert_close(matrix.sum(dim=1), torch.ones(10))
    out = keras.layers.UpSampling2D(interpolation="lanczos5")(torch.full((1, 3, 4, 2), 7.0))
    torch.testing.assert_close(out, torch.full((1, 6, 8, 2), 7.0))


def test_interpolation_is_case_insensitive_and_round_trips():
    layer = keras.layers.UpSampling2D(interpolation="BiLinear")
    assert layer.get_config()["interpolation"] == "bilinear"
    assert keras.layers.UpSampling2D.from_config(layer.get_config()).interpolation == "bilinear"


def test_rejects_unknown_interpolation_listing_supported_ones():
    match = (r"`UpSampling2D` expects `interpolation` to be one of 'nearest', 'bilinear', "
             r"'bicubic', 'lanczos3', 'lanczos5'. Received: interpolation='area'")
    with pytest.raises(ValueError, match=match):
        keras.layers.UpSampling2D(interpolation="area")


def test_rejects_non_integer_size_1d():
    with pytest.raises(TypeError, match=r"`UpSampling1D` expects `size` to be a positive "
                                        r"integer. Received: size=\(2,\)"):
        keras.layers.UpSampling1D((2,))


def test_rejects_non_positive_size():
    with pytest.raises(ValueError, match=r"Received: size=0 \(of type int\)"):
        keras.layers.UpSampling1D(0)
    with pytest.raises(ValueError, match="`UpSampling3D` expects `size` to be a positive"):
        keras.layers.UpSampling3D((1, 0, 2))


@pytest.mark.parametrize("cls, shape, ndim", [
    (keras.layers.UpSampling1D, (2, 3), 3),
    (keras.layers.UpSampling2D, (2, 3, 4), 4),
    (keras.layers.UpSampling3D, (2, 3, 4, 5), 5),
])
def test_rejects_wrong_rank(cls, shape, ndim):
    with pytest.raises(ValueError, match=f"expected ndim={ndim}, found ndim={len(shape)}"):
        cls()(torch.zeros(*shape))
