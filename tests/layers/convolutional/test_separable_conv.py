"""`SeparableConv1D`, `SeparableConv2D`: depthwise then pointwise, against an oracle."""

import numpy as np
import pytest
import torch

import lamina as keras
from tests.layers.convolutional.test_depthwise_conv import depthwise_oracle

L = keras.layers


@pytest.mark.parametrize("cls", [L.SeparableConv1D, L.SeparableConv2D],
                         ids=lambda c: c.__name__)
def test_is_depthwise_then_pointwise(cls):
    rank = cls.rank
    rng = np.random.default_rng(rank)
    x = torch.from_numpy(rng.normal(size=(2, *(6, 5)[:rank], 3)).astype("float32"))
    layer = cls(4, 2, depth_multiplier=2, activation="tanh")
    layer.build(tuple(x.shape))
    depthwise = rng.normal(size=(*(2,) * rank, 3, 2)).astype("float32")
    pointwise = rng.normal(size=(*(1,) * rank, 6, 4)).astype("float32")
    bias = rng.normal(size=4).astype("float32")
    layer.set_weights([depthwise, pointwise, bias])
    mid = depthwise_oracle(x.movedim(-1, 1), torch.from_numpy(depthwise))  # (b, 6, *out)
    mixed = torch.einsum("bc...,cf->b...f", mid, torch.from_numpy(pointwise.reshape(6, 4)))
    torch.testing.assert_close(layer(x), torch.tanh(mixed + torch.from_numpy(bias)))


def test_strided_same_padding_happens_in_the_depthwise_step():
    layer = L.SeparableConv2D(1, 2, strides=2, padding="same", depthwise_initializer="ones",
                              pointwise_initializer="ones", use_bias=False)
    x = torch.arange(25, dtype=torch.float32).reshape(1, 5, 5, 1)
    expected = torch.nn.functional.avg_pool2d(
        torch.nn.functional.pad(x[..., 0], (0, 1, 0, 1)), 2) * 4
    torch.testing.assert_close(layer(x)[..., 0], expected)


def test_weights_names_shapes_and_config():
    layer = L.SeparableConv1D(5, 3, depth_multiplier=2, pointwise_regularizer="l2",
                              pointwise_constraint="unit_norm")
    layer.build((None, 8, 3))
    assert [w.name for w in layer.weights] == ["depthwise_kernel", "pointwise_kernel", "bias"]
    assert [w.shape for w in layer.get_weights()] == [(3, 3, 2), (1, 6, 5), (5,)]
    assert tuple(layer.pointwise_kernel.shape) == (5, 6, 1)  # torch's (out, in, 1)
    config = layer.get_config()
    assert config["filters"] == 5 and config["depth_multiplier"] == 2
    assert config["pointwise_regularizer"]["class_name"] == "L2"
    assert config["pointwise_constraint"]["class_name"] == "UnitNorm"
    (loss,) = layer.losses
    torch.testing.assert_close(loss, 0.01 * (layer.pointwise_kernel.detach() ** 2).sum())


def test_aliases():
    assert L.SeparableConvolution1D is L.SeparableConv1D
    assert L.SeparableConvolution2D is L.SeparableConv2D


def test_rejects_bad_filters_and_depth_multiplier():
    with pytest.raises(ValueError, match=r"`SeparableConv2D` expects `filters` to be a positive "
                                         r"integer. Received: filters=0"):
        L.SeparableConv2D(0, 3)
    with pytest.raises(ValueError, match=r"`SeparableConv1D` expects `depth_multiplier` to be a "
                                         r"positive integer. Received: depth_multiplier=0"):
        L.SeparableConv1D(2, 3, depth_multiplier=0)
