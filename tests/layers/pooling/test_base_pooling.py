"""`BasePooling`: Keras' windowed pooling numerics (golden), TF-style "same", argument checks."""

import pytest
import torch
import torch.nn.functional as F

import lamina as keras
from lamina.layers.pooling.base_pooling import same_pool_arguments
from lamina.layers.spatial import same_padding
from tests.layers.pooling.golden_cases import load

WINDOWED = [c for c in load() if not c[1].startswith("Global")]


@pytest.mark.parametrize("case", WINDOWED, ids=[c[0] for c in WINDOWED])
def test_matches_keras_golden(case):
    _, name, config, x, _, expected = case
    layer = getattr(keras.layers, name)(**config)
    torch.testing.assert_close(layer(x), expected, rtol=0, atol=1e-5)


def _explicit_same(x, pool, stride, mode):
    """Oracle: pad explicitly (TF-style, extra cell after), pool without padding, and divide
    average sums by the number of real cells in each window."""
    before, after = same_padding(x.shape[-1], pool, stride)
    if mode == "max":
        return F.max_pool1d(F.pad(x, (before, after), value=-float("inf")), pool, stride)
    sums = F.avg_pool1d(F.pad(x, (before, after)), pool, stride) * pool
    counts = F.avg_pool1d(F.pad(torch.ones_like(x), (before, after)), pool, stride) * pool
    return sums / counts


@pytest.mark.parametrize("mode", ["max", "average"])
def test_same_padding_matches_explicit_padding_for_every_geometry(mode):
    generator = torch.Generator().manual_seed(0)
    layer_cls = keras.layers.MaxPooling1D if mode == "max" else keras.layers.AveragePooling1D
    inputs = [torch.randn(2, 3, size, generator=generator, dtype=torch.float64)
              for size in range(1, 12)]
    for pool in range(1, 6):
        for stride in range(1, 5):
            layer = layer_cls(pool, strides=stride, padding="same",
                              data_format="channels_first", dtype="float64")
            for x in inputs:  # one layer, every size: the padding is worked out per call
                torch.testing.assert_close(layer(x), _explicit_same(x, pool, stride, mode))


def test_same_pool_arguments_shift_only_stride_one_even_pools():
    assert same_pool_arguments((7, 7), (3, 4), (2, 1)) == (
        (1, 2), (slice(None), slice(None), slice(None), slice(1, None)))
    assert same_pool_arguments((7,), (4,), (2,)) == ((1,), None)


def test_strides_default_to_pool_size_and_padding_is_lowercased():
    layer = keras.layers.MaxPooling2D((3, 2), padding="SAME")
    assert layer.strides == (3, 2)
    assert layer.get_config()["padding"] == "same"
    clone = keras.layers.MaxPooling2D.from_config(layer.get_config())
    assert (clone.pool_size, clone.strides, clone.padding) == ((3, 2), (3, 2), "same")


def test_gradient_matches_torch_twin():
    x = torch.randn(2, 6, 5, 3, generator=torch.Generator().manual_seed(1), requires_grad=True)
    twin = x.detach().clone().requires_grad_(True)
    keras.layers.AveragePooling2D(2, strides=1)(x).square().sum().backward()
    F.avg_pool2d(twin.permute(0, 3, 1, 2), 2, 1).square().sum().backward()
    torch.testing.assert_close(x.grad, twin.grad)


@pytest.mark.parametrize("kwargs, match", [
    ({"pool_size": 0}, "`MaxPooling2D` expects `pool_size` to be a positive integer"),
    ({"pool_size": (2, -1)}, r"Received: pool_size=\(2, -1\)"),
    ({"pool_size": (2, 2, 2)}, "tuple of 2 positive integers"),
    ({"strides": 0}, "`MaxPooling2D` expects `strides` to be a positive integer"),
    ({"padding": "full"}, "expects `padding` to be one of 'valid', 'same'"),
    ({"data_format": "NHWC"}, "expects `data_format` to be one of"),
])
def test_rejects_invalid_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        keras.layers.MaxPooling2D(**kwargs)


def test_rejects_wrong_rank():
    with pytest.raises(ValueError, match=r"expected ndim=4, found ndim=3. Full shape received"):
        keras.layers.AveragePooling2D(2)(torch.zeros(2, 4, 3))


def test_rejects_pool_larger_than_input_with_valid_padding():
    match = (r"`AveragePooling2D` with padding='valid' needs every spatial dimension .* "
             r"Received: input_shape=\(None, 3, 1, 2\), pool_size=\(2, 2\)")
    with pytest.raises(ValueError, match=match):
        keras.layers.AveragePooling2D(2)(keras.Input((3, 1, 2)))
    # "same" padding pools any size
    assert tuple(keras.layers.AveragePooling2D(2, padding="same")(torch.ones(1, 3, 1, 2)).shape) \
        == (1, 2, 1, 2)
