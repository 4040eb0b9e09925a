"""`Masking`: zeroes the timesteps whose features all equal `mask_value` and masks them."""

import numpy as np
import torch

import lamina as keras


def _oracle(x, mask_value):
    keep = np.any(x != mask_value, axis=-1)
    return np.where(keep[..., None], x, 0), keep


def test_zeroes_and_masks_padded_timesteps():
    x = np.random.default_rng(0).normal(size=(3, 4, 2)).astype("float32")
    x[0, 1] = 0.0
    x[2, 3] = 0.0
    x[1, 2, 0] = 0.0  # one feature equal to the mask value: kept
    layer = keras.layers.Masking()
    expected, keep = _oracle(x, 0.0)
    np.testing.assert_array_equal(layer(torch.from_numpy(x)).numpy(), expected)
    np.testing.assert_array_equal(layer.compute_mask(torch.from_numpy(x)).numpy(), keep)


def test_non_zero_mask_value():
    x = np.array([[[0.5, 0.5], [0.5, 1.0], [2.0, 3.0]]], "float32")
    layer = keras.layers.Masking(mask_value=0.5)
    assert layer.compute_mask(torch.from_numpy(x)).tolist() == [[False, True, True]]
    assert layer(torch.from_numpy(x)).tolist() == [[[0.0, 0.0], [0.5, 1.0], [2.0, 3.0]]]


def test_integer_inputs_keep_their_dtype():
    x = torch.tensor([[[3, 3], [0, 0]]])
    out = keras.layers.Masking()(x)
    assert out.dtype == torch.int64 and out.tolist() == [[[3, 3], [0, 0]]]


def test_supports_masking_and_config():
    layer = keras.layers.Masking(mask_value=-1.0)
    assert layer.supports_masking and layer.built
    config = layer.get_config()
    assert config["mask_value"] == -1.0
    assert keras.layers.Masking.from_config(config).mask_value == -1.0
