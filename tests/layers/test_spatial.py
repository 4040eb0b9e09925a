import pytest
import torch

import lamina as keras
from lamina.layers import spatial


def test_same_padding_matches_tensorflow_rule():
    # output ceil(n / s); total = (out - 1) * s + k_eff - n, extra cell after
    assert spatial.same_padding(5, 3, 1) == (1, 1)
    assert spatial.same_padding(6, 4, 2) == (1, 1)   # out 3: total (3-1)*2+4-6 = 2
    assert spatial.same_padding(5, 2, 2) == (0, 1)   # out 3: total 2*2+2-5 = 1
    assert spatial.same_padding(7, 3, 1, dilation=2) == (2, 2)  # k_eff 5
    assert spatial.same_padding(8, 1, 3) == (0, 0)


def test_conv_output_length():
    assert spatial.conv_output_length(28, 3, "valid", 1) == 26
    assert spatial.conv_output_length(28, 3, "same", 2) == 14
    assert spatial.conv_output_length(7, 3, "valid", 2, dilation=2) == 2
    assert spatial.conv_output_length(None, 3, "valid", 1) is None


def test_channels_views_copy_nothing():
    x = torch.rand(2, 5, 6, 3)
    first = spatial.to_channels_first(x, "channels_last")
    assert first.shape == (2, 3, 5, 6)
    assert first.data_ptr() == x.data_ptr()
    assert first.is_contiguous(memory_format=torch.channels_last)
    back = spatial.to_channels_last(first, "channels_last")
    assert back.is_contiguous() and torch.equal(back, x)
    assert spatial.to_channels_first(x, "channels_first") is x


def test_normalize_tuple_and_errors():
    layer = keras.layers.Dense(1)
    assert spatial.normalize_tuple(3, 2, "kernel_size", layer) == (3, 3)
    assert spatial.normalize_tuple([1, 0], 2, "padding", layer, allow_zero=True) == (1, 0)
    with pytest.raises(ValueError, match=r"`kernel_size` to be a positive integer or a tuple of 2"
                                         r".*Received: kernel_size=\(3, 0\)"):
        spatial.normalize_tuple((3, 0), 2, "kernel_size", layer)
    with pytest.raises(ValueError, match="Received: strides='2'"):
        spatial.normalize_tuple("2", 1, "strides", layer)


def test_padding_and_data_format():
    layer = keras.layers.Dense(1)
    assert spatial.normalize_padding("SAME", layer) == "same"
    with pytest.raises(ValueError, match="`padding` to be one of 'valid', 'same'.*"
                                         "Received: padding='full'"):
        spatial.normalize_padding("full", layer)
    assert spatial.normalize_data_format(None, layer) == "channels_last"
    with pytest.raises(ValueError, match="`data_format`.*Received: data_format='nhwc'"):
        spatial.normalize_data_format("nhwc", layer)


def test_check_rank_message():
    layer = keras.layers.Dense(1, name="conv")
    with pytest.raises(ValueError, match=r'Input 0 of layer "conv" is incompatible with the layer: '
                                         r"expected ndim=4, found ndim=3. Full shape received: "
                                         r"\(None, 28, 28\)"):
        spatial.check_rank(layer, (None, 28, 28), 4)
