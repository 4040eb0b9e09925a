"""`MaxPooling1D/2D/3D` and their `MaxPool*` aliases."""

import pytest
import torch
import torch.nn.functional as F

import lamina as keras
from lamina import registry


@pytest.mark.parametrize("alias, cls", [
    ("MaxPool1D", keras.layers.MaxPooling1D),
    ("MaxPool2D", keras.layers.MaxPooling2D),
    ("MaxPool3D", keras.layers.MaxPooling3D),
])
def test_aliases_are_the_classes_and_deserialize(alias, cls):
    assert getattr(keras.layers, alias) is cls
    assert registry.lookup("keras.layers", alias, "layer") is cls


def test_default_pool_sizes_follow_keras():
    assert keras.layers.MaxPooling1D().pool_size == (2,)
    assert keras.layers.MaxPooling2D().pool_size == (2, 2)
    assert keras.layers.MaxPooling3D().pool_size == (2, 2, 2)


def test_valid_matches_torch_twin_in_both_layouts():
    x = torch.randn(2, 3, 7, 8, 5, generator=torch.Generator().manual_seed(0))  # channels first
    expected = F.max_pool3d(x, (2, 3, 2), (1, 2, 3))
    first = keras.layers.MaxPooling3D((2, 3, 2), (1, 2, 3), data_format="channels_first")
    torch.testing.assert_close(first(x), expected)
    last = keras.layers.MaxPooling3D((2, 3, 2), (1, 2, 3))
    torch.testing.assert_close(last(x.permute(0, 2, 3, 4, 1)), expected.permute(0, 2, 3, 4, 1))


def test_same_padding_never_picks_a_padded_cell():
    x = -torch.arange(1.0, 6.0).reshape(1, 5, 1)  # all negative: a zero pad would win
    out = keras.layers.MaxPooling1D(2, padding="same")(x)
    assert out.flatten().tolist() == [-1.0, -3.0, -5.0]


def test_channels_last_output_keeps_channels_last_memory():
    x = torch.randn(2, 6, 6, 4)
    out = keras.layers.MaxPooling2D()(x)
    assert out.is_contiguous()
