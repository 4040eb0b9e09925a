"""What all convolution layers share (`base_conv.py`): padding rules, argument and input
checks, configuration, layouts."""

import numpy as np
import pytest
import torch

import lamina as keras
from lamina.layers.convolutional.base_conv import keras_kernel_permutation

L = keras.layers
ALL_CLASSES = [L.Conv1D, L.Conv2D, L.Conv3D, L.DepthwiseConv1D, L.DepthwiseConv2D,
               L.SeparableConv1D, L.SeparableConv2D, L.Conv1DTranspose, L.Conv2DTranspose,
               L.Conv3DTranspose]


def _make(cls, **kwargs):
    if "Depthwise" not in cls.__name__:
        kwargs.setdefault("filters", 2)
    kwargs.setdefault("kernel_size", 2)
    return cls(**kwargs)


def _input_shape(cls, channels=2, size=6):
    return (2, *(size,) * cls.rank, channels)


def _reference_conv1d(x, w, stride, dilation, before, after):
    """numpy oracle: one-channel 1D cross-correlation after padding `(before, after)`."""
    x = np.pad(x, (before, after))
    span = (len(w) - 1) * dilation + 1
    starts = range(0, len(x) - span + 1, stride)
    return np.array([sum(x[s + t * dilation] * w[t] for t in range(len(w))) for s in starts])


def _tf_padding(size, kernel, stride, dilation, padding):
    span = (kernel - 1) * dilation + 1
    if padding == "valid":
        return 0, 0
    if padding == "causal":
        return span - 1, 0
    total = max((-(-size // stride) - 1) * stride + span - size, 0)
    return total // 2, total - total // 2  # TensorFlow: the odd element after


@pytest.mark.parametrize("padding", ["valid", "same", "causal"])
def test_conv1d_padding_follows_tensorflow_for_every_size(padding):
    rng = np.random.default_rng(0)
    for size in (1, 4, 5, 7):
        for kernel in range(1, 5):
            for stride, dilation in [(1, 1), (2, 1), (3, 1), (1, 2)]:
                if padding == "valid" and (kernel - 1) * dilation + 1 > size:
                    continue
                x = rng.normal(size=size).astype("float32")
                w = rng.normal(size=kernel).astype("float32")
                layer = L.Conv1D(1, kernel, strides=stride, padding=padding,
                                 dilation_rate=dilation, use_bias=False)
                layer.build((1, size, 1))
                layer.set_weights([w.reshape(kernel, 1, 1)])
                out = layer(torch.from_numpy(x).reshape(1, size, 1)).detach().numpy().ravel()
                before, after = _tf_padding(size, kernel, stride, dilation, padding)
                expected = _reference_conv1d(x, w, stride, dilation, before, after)
                np.testing.assert_allclose(out, expected, rtol=1e-5, atol=1e-5,
                                           err_msg=f"{size=} {kernel=} {stride=} {dilation=}")


def test_same_padding_follows_the_input_size_when_strided():
    # A layer built for one size, called on another: "same" with strides depends on size % 2.
    layer = L.Conv2D(1, 2, strides=2, padding="same", use_bias=False,
                     kernel_initializer="ones")
    inputs = keras.Input((None, None, 1))
    assert layer(inputs).shape == (None, None, None, 1)
    for size in (4, 5):
        x = torch.arange(size * size, dtype=torch.float32).reshape(1, size, size, 1)
        padded = torch.nn.functional.pad(x[..., 0], (0, size % 2, 0, size % 2))
        expected = torch.nn.functional.avg_pool2d(padded, 2) * 4
        torch.testing.assert_close(layer(x)[..., 0], expected)


def test_symmetric_padding_uses_torch_padding_without_a_copy():
    assert L.Conv2D(1, 3, padding="same")._fixed_padding == ((1, 1), None)
    assert L.Conv2D(1, (2, 3), padding="same")._fixed_padding == (0, (1, 1, 0, 1))
    assert L.Conv1D(1, 3, padding="causal", dilation_rate=2)._fixed_padding == (0, (4, 0))
    assert L.Conv2D(1, 3, strides=2, padding="same")._fixed_padding is None  # size-dependent
    assert L.Conv3D(1, 3, strides=2)._fixed_padding == (0, None)


def test_channels_last_output_is_contiguous():
    # torch keeps the channels_last memory format, so the view back to Keras' layout is dense.
    y = L.Conv2D(4, 3, padding="same")(torch.rand(2, 6, 6, 3))
    assert y.shape == (2, 6, 6, 4) and y.is_contiguous()


def test_kernel_permutation():
    assert keras_kernel_permutation(1) == (2, 1, 0)
    assert keras_kernel_permutation(2) == (2, 3, 1, 0)
    assert keras_kernel_permutation(3) == (2, 3, 4, 1, 0)


@pytest.mark.parametrize("cls", ALL_CLASSES, ids=lambda c: c.__name__)
def test_config_round_trip_with_regularizers_and_constraints(cls):
    prefix = "depthwise" if "Depthwise" in cls.__name__ or "Separable" in cls.__name__ \
        else "kernel"
    layer = _make(cls, padding="SAME", activation="relu", name="c",
                  bias_regularizer="l2", bias_constraint="non_neg",
                  **{f"{prefix}_regularizer": "l1", f"{prefix}_constraint": "max_norm"})
    config = layer.get_config()
    assert config["padding"] == "same" and config["kernel_size"] == (2,) * cls.rank
    assert config["activation"] == "relu" and config["data_format"] == "channels_last"
    assert config[f"{prefix}_regularizer"]["class_name"] == "L1"
    assert config["bias_constraint"]["class_name"] == "NonNeg"
    assert config["activity_regularizer"] is None
    assert cls.from_config(config).get_config() == config


@pytest.mark.parametrize("cls", ALL_CLASSES, ids=lambda c: c.__name__)
def test_rejects_bad_shared_arguments(cls):
    name = cls.__name__
    with pytest.raises(ValueError, match=rf"`{name}` expects `kernel_size` to be a positive "
                                         r"integer.*Received: kernel_size=0"):
        _make(cls, kernel_size=0)
    with pytest.raises(ValueError, match=r"`strides` to be a positive.*Received: strides=-1"):
        _make(cls, strides=-1)
    with pytest.raises(ValueError, match=r"`dilation_rate` to be a positive.*"
                                         r"Received: dilation_rate=0"):
        _make(cls, dilation_rate=0)
    with pytest.raises(ValueError, match=r"`padding` to be one of 'valid', 'same'.*"
                                         r"Received: padding='full'"):
        _make(cls, padding="full")
    with pytest.raises(ValueError, match=r"`data_format` to be one of.*"
                                         r"Received: data_format='nhwc'"):
        _make(cls, data_format="nhwc")


@pytest.mark.parametrize("cls", ALL_CLASSES, ids=lambda c: c.__name__)
def test_rejects_wrong_rank_and_unknown_channels(cls):
    layer = _make(cls, name="conv")
    wrong = _input_shape(cls)[:-1]
    with pytest.raises(ValueError, match=rf'layer "conv" is incompatible with the layer: '
                                         rf"expected ndim={cls.rank + 2}, found "
                                         rf"ndim={cls.rank + 1}"):
        layer.build(wrong)
    with pytest.raises(ValueError, match=rf"`{cls.__name__}` needs the channel dimension.*"
                                         r"data_format='channels_last'"):
        layer.build(_input_shape(cls, channels=None))


def test_causal_padding_only_for_conv1d():
    assert L.Conv1D(1, 2, padding="Causal").padding == "causal"
    with pytest.raises(ValueError, match=r"`Conv2D` expects `padding` to be one of 'valid', "
                                         r"'same'\. Received: padding='causal'"):
        L.Conv2D(1, 2, padding="causal")
    with pytest.raises(ValueError, match=r"Received: padding='causal'"):
        L.DepthwiseConv1D(2, padding="causal")


@pytest.mark.parametrize("cls", [L.Conv1D, L.Conv2D, L.Conv3D, L.DepthwiseConv2D,
                                 L.SeparableConv1D], ids=lambda c: c.__name__)
def test_rejects_kernel_larger_than_input_with_valid_padding(cls):
    layer = _make(cls, kernel_size=4, dilation_rate=2, name="big")
    shape = _input_shape(cls, size=6)
    with pytest.raises(ValueError, match=rf'Layer "big" \(`{cls.__name__}`\) cannot apply a '
                                         rf"kernel of size \(4,.*spanning \(7,.*padding='valid' "
                                         rf"to an input of shape \({shape[0]}, 6,"):
        layer.build(shape)
    _make(cls, kernel_size=4, dilation_rate=2, padding="same").build(shape)  # fine with "same"
    _make(cls, kernel_size=4).build((None, *(None,) * cls.rank, 2))  # unknown sizes: fine


def test_transposed_kernel_may_be_larger_than_input():
    assert L.Conv2DTranspose(1, 5)(torch.rand(1, 2, 2, 1)).shape == (1, 6, 6, 1)


@pytest.mark.parametrize("cls", [L.Conv2D, L.Conv2DTranspose], ids=lambda c: c.__name__)
def test_rejects_strides_with_dilation(cls):
    with pytest.raises(ValueError, match=rf"`{cls.__name__}` does not support `strides > 1` "
                                         r"together with `dilation_rate > 1`. Received: "
                                         r"strides=\(2, 1\) and dilation_rate=\(1, 2\)"):
        cls(2, 3, strides=(2, 1), dilation_rate=(1, 2))


def test_depthwise_and_separable_accept_strides_with_dilation():
    # As in Keras (its golden case is in test_golden.py).
    assert L.DepthwiseConv2D(3, strides=2, dilation_rate=2)(torch.rand(1, 9, 9, 1)).shape \
        == (1, 3, 3, 1)


def test_activity_regularizer_adds_a_loss():
    layer = L.Conv1D(2, 2, activity_regularizer="l2", kernel_initializer="ones")
    y = layer(torch.ones(2, 3, 1))
    (loss,) = layer.losses
    torch.testing.assert_close(loss, 0.01 * (y ** 2).sum() / 2)
