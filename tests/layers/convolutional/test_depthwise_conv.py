"""`DepthwiseConv1D`, `DepthwiseConv2D`: numerics against a per-channel oracle, weights,
errors."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F

import lamina as keras

L = keras.layers
FUNCTIONAL = {1: F.conv1d, 2: F.conv2d}


def depthwise_oracle(x, kernel, stride=1, padding=0, dilation=1):
    """Channels-first `x`, Keras' kernel `(*k, channels, multiplier)`: output channel
    `c * multiplier + m` is channel `c` convolved with filter `m`, one channel at a time."""
    rank = x.dim() - 2
    channels, multiplier = kernel.shape[-2:]
    outputs = []
    for c in range(channels):
        for m in range(multiplier):
            w = kernel[..., c, m].reshape(1, 1, *kernel.shape[:rank])
            outputs.append(FUNCTIONAL[rank](x[:, c:c + 1], w, stride=stride, padding=padding,
                                            dilation=dilation))
    return torch.cat(outputs, dim=1)


@pytest.mark.parametrize("cls", [L.DepthwiseConv1D, L.DepthwiseConv2D],
                         ids=lambda c: c.__name__)
@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
def test_matches_per_channel_convolution(cls, data_format):
    rank = cls.rank
    rng = np.random.default_rng(rank)
    x = torch.from_numpy(rng.normal(size=(2, 3, *(7, 6)[:rank])).astype("float32"))
    layer = cls(3, strides=2, padding="same", depth_multiplier=2, data_format=data_format)
    x_in = x if data_format == "channels_first" else x.movedim(1, -1)
    layer.build(tuple(x_in.shape))
    kernel = rng.normal(size=(*(3,) * rank, 3, 2)).astype("float32")
    bias = rng.normal(size=6).astype("float32")
    layer.set_weights([kernel, bias])
    # 3-wide kernel, stride 2 on sizes 7 and 6: TensorFlow pads (1, 1) and (0, 1).
    padded = F.pad(x, (0, 1, 1, 1)[: 2 * rank] if rank == 2 else (1, 1))
    expected = depthwise_oracle(padded, torch.from_numpy(kernel), stride=2)
    expected = expected + torch.from_numpy(bias).reshape(6, *(1,) * rank)
    y = layer(x_in)
    torch.testing.assert_close(y if data_format == "channels_first" else y.movedim(-1, 1),
                               expected)


def test_dilation_matches_oracle():
    rng = np.random.default_rng(0)
    x = torch.from_numpy(rng.normal(size=(1, 9, 2)).astype("float32"))
    layer = L.DepthwiseConv1D(2, dilation_rate=3, depth_multiplier=3, use_bias=False,
                              activation="relu")
    layer.build((1, 9, 2))
    kernel = rng.normal(size=(2, 2, 3)).astype("float32")
    layer.set_weights([kernel])
    expected = torch.relu(depthwise_oracle(x.movedim(-1, 1), torch.from_numpy(kernel),
                                           dilation=3))
    torch.testing.assert_close(layer(x).movedim(-1, 1), expected)


def test_weights_in_keras_layout():
    layer = L.DepthwiseConv2D((3, 2), depth_multiplier=4)
    layer.build((None, 5, 5, 3))
    assert [w.name for w in layer.weights] == ["kernel", "bias"]
    assert [w.shape for w in layer.get_weights()] == [(3, 2, 3, 4), (12,)]
    assert tuple(layer.kernel.shape) == (3, 4, 3, 2)  # (channels, multiplier, kh, kw)
    config = layer.get_config()
    assert config["depth_multiplier"] == 4 and "filters" not in config
    assert config["depthwise_initializer"]["class_name"] == "GlorotUniform"


def test_depthwise_regularizer_adds_a_loss():
    layer = L.DepthwiseConv1D(2, depthwise_regularizer=keras.regularizers.L2(0.1))
    layer.build((None, 4, 3))
    (loss,) = layer.losses
    torch.testing.assert_close(loss, 0.1 * (layer.kernel.detach() ** 2).sum())


@pytest.mark.parametrize("multiplier", [0, -2, 1.5])
def test_rejects_bad_depth_multiplier(multiplier):
    with pytest.raises(ValueError, match=r"`DepthwiseConv2D` expects `depth_multiplier` to be a "
                                         rf"positive integer. Received: "
                                         rf"depth_multiplier={multiplier}"):
        L.DepthwiseConv2D(3, depth_multiplier=multiplier)
