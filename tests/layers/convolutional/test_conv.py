"""`Conv1D`, `Conv2D`, `Conv3D`: numerics against `torch.nn.functional`, weights, errors."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F

import lamina as keras
from lamina import registry

L = keras.layers
FUNCTIONAL = {1: F.conv1d, 2: F.conv2d, 3: F.conv3d}


@pytest.mark.parametrize("cls", [L.Conv1D, L.Conv2D, L.Conv3D], ids=lambda c: c.__name__)
@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
def test_matches_torch_with_groups_strides_and_dilation(cls, data_format):
    rank = cls.rank
    rng = np.random.default_rng(rank)
    spatial = (7, 6, 5)[:rank]
    x = torch.from_numpy(rng.normal(size=(2, *spatial, 4)).astype("float32"))
    strides = (2,) + (1,) * (rank - 1)
    layer = cls(6, 3, strides=strides, groups=2, data_format=data_format,
                activation="sigmoid")
    x_in = x if data_format == "channels_last" else x.movedim(-1, 1)
    layer.build(tuple(x_in.shape))
    kernel = rng.normal(size=(*(3,) * rank, 2, 6)).astype("float32")  # Keras' layout
    bias = rng.normal(size=6).astype("float32")
    layer.set_weights([kernel, bias])
    torch_kernel = torch.from_numpy(kernel).permute(rank + 1, rank, *range(rank))
    expected = torch.sigmoid(FUNCTIONAL[rank](x.movedim(-1, 1), torch_kernel,
                                              torch.from_numpy(bias), stride=strides,
                                              groups=2))
    y = layer(x_in)
    if data_format == "channels_last":
        y = y.movedim(-1, 1)
    torch.testing.assert_close(y, expected)

    dilated = cls(3, 2, dilation_rate=2, use_bias=False, data_format=data_format)
    dilated.build(tuple(x_in.shape))
    kernel = rng.normal(size=(*(2,) * rank, 4, 3)).astype("float32")
    dilated.set_weights([kernel])
    torch_kernel = torch.from_numpy(kernel).permute(rank + 1, rank, *range(rank))
    expected = FUNCTIONAL[rank](x.movedim(-1, 1), torch_kernel, dilation=2)
    y = dilated(x_in)
    torch.testing.assert_close(y if data_format == "channels_first" else y.movedim(-1, 1),
                               expected)


def test_weights_are_stored_in_torch_layout_and_read_in_keras_layout():
    layer = L.Conv2D(8, (3, 2), groups=2)
    layer.build((None, 5, 5, 4))
    assert [w.name for w in layer.weights] == ["kernel", "bias"]
    assert tuple(layer.kernel.shape) == (8, 2, 3, 2)  # torch: (out, in / groups, kh, kw)
    assert layer.kernel.keras_shape == (3, 2, 2, 8)  # Keras: (kh, kw, in / groups, out)
    np.testing.assert_array_equal(layer.get_weights()[0],
                                  layer.kernel.detach().permute(2, 3, 1, 0).numpy())
    assert layer.count_params() == 3 * 2 * 2 * 8 + 8


def test_use_bias_false_has_only_a_kernel():
    layer = L.Conv1D(2, 3, use_bias=False)
    layer.build((None, 5, 1))
    assert layer.bias is None and [w.name for w in layer.weights] == ["kernel"]


def test_kernel_regularizer_sees_keras_layout_values():
    layer = L.Conv2D(2, 2, kernel_regularizer=keras.regularizers.L1(0.5))
    layer.build((None, 4, 4, 3))
    (loss,) = layer.losses
    torch.testing.assert_close(loss, 0.5 * layer.kernel.detach().abs().sum())


def test_kernel_constraint_applies_after_a_training_step():
    layer = L.Conv1D(2, 2, kernel_constraint="non_neg", kernel_initializer="ones")
    model = keras.Sequential([keras.Input((5, 1)), layer])
    model.compile(optimizer=keras.optimizers.SGD(10.0), loss="mse")
    model.train_on_batch(np.ones((2, 5, 1), "float32"), np.full((2, 4, 2), -5.0, "float32"))
    kernel = layer.get_weights()[0]
    assert kernel.min() == 0.0  # the step drove it negative; the constraint clipped it


def test_aliases_are_the_same_classes_and_registered():
    assert L.Convolution1D is L.Conv1D
    assert L.Convolution2D is L.Conv2D
    assert L.Convolution3D is L.Conv3D
    assert registry.lookup("keras.layers", "Convolution2D", "layer") is L.Conv2D
    assert registry.serialize(L.Conv2D(1, 1))["class_name"] == "Conv2D"


def test_tuple_arguments_and_case_insensitive_padding():
    layer = L.Conv3D(2, (1, 2, 3), strides=[1, 1, 2], padding="Same", dilation_rate=(1, 1, 1))
    assert layer.kernel_size == (1, 2, 3) and layer.strides == (1, 1, 2)
    assert layer.padding == "same"
    assert layer(torch.rand(1, 3, 3, 5, 2)).shape == (1, 3, 3, 3, 2)


def test_rejects_bad_filters_and_groups():
    with pytest.raises(ValueError, match=r"`Conv2D` expects `filters` to be a positive integer. "
                                         r"Received: filters=0 \(of type int\)"):
        L.Conv2D(0, 3)
    with pytest.raises(ValueError, match=r"`Conv1D` expects `groups` to be a positive integer. "
                                         r"Received: groups=-1"):
        L.Conv1D(2, 3, groups=-1)
    with pytest.raises(ValueError, match=r"`Conv2D` expects `filters` to be divisible by "
                                         r"`groups`. Received: filters=5, groups=2"):
        L.Conv2D(5, 3, groups=2)
    with pytest.raises(ValueError, match=r"`Conv3D` expects the number of input channels to be "
                                         r"divisible by `groups`. Received: groups=2, but the "
                                         r"input has 3 channels"):
        L.Conv3D(4, 1, groups=2).build((None, 2, 2, 2, 3))


def test_wrong_channels_after_build_names_the_layer():
    layer = L.Conv2D(2, 3, name="c")
    layer(torch.rand(1, 5, 5, 3))
    with pytest.raises(ValueError, match=r'Input 0 of layer "c" is incompatible'):
        layer(torch.rand(1, 5, 5, 4))
