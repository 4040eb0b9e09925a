"""`Conv1DTranspose`, `Conv2DTranspose`, `Conv3DTranspose`: numerics against torch's
`conv_transpose` where the two conventions agree, weights, aliases."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F

import lamina as keras

L = keras.layers
FUNCTIONAL = {1: F.conv_transpose1d, 2: F.conv_transpose2d, 3: F.conv_transpose3d}


@pytest.mark.parametrize("cls", [L.Conv1DTranspose, L.Conv2DTranspose, L.Conv3DTranspose],
                         ids=lambda c: c.__name__)
@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
def test_valid_padding_is_torch_full_output(cls, data_format):
    # With "valid" padding and kernel >= strides, Keras' output is torch's full output.
    rank = cls.rank
    rng = np.random.default_rng(rank)
    x = torch.from_numpy(rng.normal(size=(2, 3, *(4, 3, 2)[:rank])).astype("float32"))
    layer = cls(2, 3, strides=2, data_format=data_format, activation="elu")
    x_in = x if data_format == "channels_first" else x.movedim(1, -1)
    layer.build(tuple(x_in.shape))
    kernel = rng.normal(size=(*(3,) * rank, 2, 3)).astype("float32")  # (*k, out, in)
    bias = rng.normal(size=2).astype("float32")
    layer.set_weights([kernel, bias])
    torch_kernel = torch.from_numpy(kernel).permute(rank + 1, rank, *range(rank))
    expected = F.elu(FUNCTIONAL[rank](x, torch_kernel, torch.from_numpy(bias), stride=2))
    y = layer(x_in)
    torch.testing.assert_close(y if data_format == "channels_first" else y.movedim(-1, 1),
                               expected)


def test_weights_are_stored_in_torch_layout():
    layer = L.Conv2DTranspose(4, (3, 2))
    layer.build((None, 5, 5, 6))
    assert [w.name for w in layer.weights] == ["kernel", "bias"]
    assert [w.shape for w in layer.get_weights()] == [(3, 2, 4, 6), (4,)]
    assert tuple(layer.kernel.shape) == (6, 4, 3, 2)  # torch: (in, out, kh, kw)


def test_conv3d_transpose_takes_data_format_before_output_padding():
    layer = L.Conv3DTranspose(2, 2, 2, "same", "channels_first", 1)
    assert layer.data_format == "channels_first" and layer.output_padding == (1, 1, 1)
    assert layer(torch.rand(1, 3, 2, 2, 2)).shape == (1, 2, 3, 3, 3)
    two_d = L.Conv2DTranspose(2, 2, 2, "same", 1)
    assert two_d.output_padding == (1, 1)


def test_config_keeps_output_padding():
    config = L.Conv1DTranspose(2, 3, strides=2, output_padding=1).get_config()
    assert config["output_padding"] == (1,) and "groups" not in config
    assert L.Conv2DTranspose(2, 3).get_config()["output_padding"] is None


def test_aliases():
    assert L.Convolution1DTranspose is L.Conv1DTranspose
    assert L.Convolution2DTranspose is L.Conv2DTranspose
    assert L.Convolution3DTranspose is L.Conv3DTranspose


def test_upsamples_a_model_end_to_end():
    inputs = keras.Input((4, 4, 3))
    x = L.Conv2D(8, 3, strides=2, padding="same", activation="relu")(inputs)
    outputs = L.Conv2DTranspose(3, 3, strides=2, padding="same")(x)
    model = keras.Model(inputs, outputs)
    assert outputs.shape == (None, 4, 4, 3)
    x = torch.rand(2, 4, 4, 3)
    torch.testing.assert_close(model(x), model.layers[2](model.layers[1](x)))
    assert model.count_params() == 3 * 3 * 3 * 8 + 8 + 3 * 3 * 8 * 3 + 3
