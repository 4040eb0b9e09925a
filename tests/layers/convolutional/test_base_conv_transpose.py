"""`BaseConvTranspose` and `transpose_padding`: Keras' transposed-convolution padding on
torch's `conv_transpose`, checked against the definition for every small case."""

import numpy as np
import pytest
import torch

import lamina as keras
from lamina.layers.convolutional.base_conv_transpose import transpose_padding

L = keras.layers


def _keras_pads(kernel, stride, dilation, padding, output_padding):
    """Keras' (JAX's) padding of the stride-dilated input, `(before, after)`."""
    span = (kernel - 1) * dilation + 1
    if padding == "valid":
        extra = max(span, stride) - span if output_padding is None else output_padding
        return span - 1, span - 1 + extra
    total = stride + span - 2 if output_padding is None else span + span % 2 - 2 + output_padding
    before = min((total + 1) // 2, span - 1)
    return before, total - before


def _reference(x, w, stride, dilation, padding, output_padding):
    """numpy oracle: dilate `x` by `stride`, pad, correlate with the flipped dilated kernel."""
    dilated = np.zeros((len(x) - 1) * stride + 1, x.dtype)
    dilated[::stride] = x
    before, after = _keras_pads(len(w), stride, dilation, padding, output_padding)
    padded = np.concatenate([np.zeros(before), dilated, np.zeros(max(after, 0))])
    if after < 0:
        padded = padded[:after]
    taps = w[::-1]
    span = (len(w) - 1) * dilation + 1
    return np.array([sum(padded[i + t * dilation] * taps[t] for t in range(len(w)))
                     for i in range(len(padded) - span + 1)])


def _grid():
    for padding in ("valid", "same"):
        for kernel in range(1, 5):
            for stride, dilation in [(1, 1), (2, 1), (3, 1), (1, 2)]:
                for output_padding in (None, *range(stride)):
                    yield padding, kernel, stride, dilation, output_padding


def test_transpose_padding_only_crops_and_gives_keras_lengths():
    for padding, kernel, stride, dilation, output_padding in _grid():
        torch_padding, torch_output_padding, crop_before, crop_after = transpose_padding(
            kernel, stride, dilation, padding, output_padding)
        assert min(torch_padding, torch_output_padding, crop_before, crop_after) >= 0
        assert torch_output_padding < max(stride, dilation)  # torch's own requirement
        span = (kernel - 1) * dilation + 1
        size = 5
        length = ((size - 1) * stride + span - 2 * torch_padding + torch_output_padding
                  - crop_before - crop_after)
        if padding == "valid":  # Keras' documented output lengths
            extra = max(span, stride) - span if output_padding is None else output_padding
            assert length == (size - 1) * stride + span + extra
        elif output_padding is None:
            assert length == size * stride
        else:
            assert length == (size - 1) * stride + span % 2 + output_padding


def test_conv1d_transpose_matches_the_definition_on_every_small_case():
    rng = np.random.default_rng(0)
    for padding, kernel, stride, dilation, output_padding in _grid():
        x = rng.normal(size=4).astype("float32")
        w = rng.normal(size=kernel).astype("float32")
        layer = L.Conv1DTranspose(1, kernel, strides=stride, padding=padding,
                                  output_padding=output_padding, dilation_rate=dilation,
                                  use_bias=False)
        layer.build((1, 4, 1))
        layer.set_weights([w.reshape(kernel, 1, 1)])
        out = layer(torch.from_numpy(x).reshape(1, 4, 1)).detach().numpy().ravel()
        expected = _reference(x, w, stride, dilation, padding, output_padding)
        np.testing.assert_allclose(out, expected, rtol=1e-5, atol=1e-5, err_msg=str(
            (padding, kernel, stride, dilation, output_padding)))


def test_common_same_stride2_case_keeps_the_first_position():
    # torch's padding=1, output_padding=1 would drop full[0]; Keras drops the last position.
    layer = L.Conv2DTranspose(1, 3, strides=2, padding="same")
    assert layer._torch_padding_args == (0, 0) and layer._crop == (0, -1, 0, -1)
    assert L.Conv2DTranspose(1, 4, strides=2, padding="same")._torch_padding_args == (1, 1)


def test_bias_reaches_positions_added_by_output_padding():
    layer = L.Conv1DTranspose(1, 1, strides=3, output_padding=2, kernel_initializer="zeros",
                              bias_initializer="ones")
    torch.testing.assert_close(layer(torch.ones(1, 2, 1)), torch.ones(1, 6, 1))


@pytest.mark.parametrize("output_padding", [2, (0, 3)])
def test_rejects_output_padding_not_below_strides(output_padding):
    with pytest.raises(ValueError, match=r"`Conv2DTranspose` expects each value of "
                                         r"`output_padding` to be smaller than the matching "
                                         r"`strides` value. Received: output_padding=\("):
        L.Conv2DTranspose(2, 3, strides=(2, 3), output_padding=output_padding)


def test_rejects_negative_output_padding_and_bad_filters():
    with pytest.raises(ValueError, match=r"`Conv1DTranspose` expects `output_padding` to be a "
                                         r"non-negative integer.*Received: output_padding=-1"):
        L.Conv1DTranspose(2, 3, strides=2, output_padding=-1)
    with pytest.raises(ValueError, match=r"`Conv3DTranspose` expects `filters` to be a positive "
                                         r"integer. Received: filters=0"):
        L.Conv3DTranspose(0, 3)
