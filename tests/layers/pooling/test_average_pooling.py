"""`AveragePooling1D/2D/3D` and their `AvgPool*` aliases."""

import pytest
import torch

import lamina as keras
from lamina import registry


@pytest.mark.parametrize("alias, cls", [
    ("AvgPool1D", keras.layers.AveragePooling1D),
    ("AvgPool2D", keras.layers.AveragePooling2D),
    ("AvgPool3D", keras.layers.AveragePooling3D),
])
def test_aliases_are_the_classes_and_deserialize(alias, cls):
    assert getattr(keras.layers, alias) is cls
    assert registry.lookup("keras.layers", alias, "layer") is cls


def test_pool_size_is_required_as_in_keras():
    with pytest.raises(TypeError, match="pool_size"):
        keras.layers.AveragePooling2D()


def test_same_average_excludes_asymmetric_padding_from_divisor():
    # 4x4, pool 2, stride 1, "same": padding (0, 1) on each axis, so the last row and column
    # of windows hold 2 real cells and the corner window 1; each is averaged over those only.
    x = torch.arange(16.0).reshape(1, 4, 4, 1)
    out = keras.layers.AveragePooling2D(2, strides=1, padding="same")(x)[0, :, :, 0]
    grid = x[0, :, :, 0]
    expected = torch.empty(4, 4)
    for i in range(4):
        for j in range(4):
            expected[i, j] = grid[i:i + 2, j:j + 2].mean()  # slicing clips at the edge
    torch.testing.assert_close(out, expected)


def test_same_average_with_stride_two_even_pool_on_odd_size():
    x = torch.tensor([1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0]).reshape(1, 1, 7)
    layer = keras.layers.AveragePooling1D(4, strides=2, padding="same",
                                          data_format="channels_first")
    # out = ceil(7 / 2) = 4 windows; total padding 3: 1 before, 2 after.
    # windows: [pad,1,2,3] [2,3,4,5] [4,5,6,7] [6,7,pad,pad]
    assert layer(x).flatten().tolist() == [2.0, 3.5, 5.5, 6.5]
