"""`Softmax`: axes, masks (excluded positions get 0), checks of the mask's shape."""

import pytest
import torch

import lamina as keras

L = keras.layers


def _randn(*shape):
    return torch.randn(*shape, generator=torch.Generator().manual_seed(0))


def test_axis_and_axes():
    x = _randn(2, 3, 4)
    torch.testing.assert_close(L.Softmax(axis=1)(x), torch.softmax(x, dim=1))
    flat = torch.softmax(x.reshape(2, 12), dim=-1).reshape(2, 3, 4)
    torch.testing.assert_close(L.Softmax(axis=[1, 2])(x), flat)
    torch.testing.assert_close(L.Softmax(axis=(2,))(x), torch.softmax(x, dim=2))


def test_last_axis_output_carries_its_logits_for_the_losses():
    x = _randn(2, 3)
    assert L.Softmax()(x)._keras_logits is x


def test_mask_excludes_positions_and_renormalises():
    x = _randn(2, 4)
    mask = torch.tensor([[True, False, True, True], [False, False, False, False]])
    out = L.Softmax()(x, mask=mask)
    expected = torch.softmax(x[0, [0, 2, 3]], dim=-1)
    torch.testing.assert_close(out[0, [0, 2, 3]], expected)
    assert out[0, 1] == 0
    assert out[1].tolist() == [0.0, 0.0, 0.0, 0.0]  # a fully masked row is all 0


def test_float_mask_keeps_values_above_one_half():
    x = _randn(1, 3)
    out = L.Softmax()(x, mask=torch.tensor([[0.9, 0.4, 0.6]]))
    torch.testing.assert_close(out, L.Softmax()(x, mask=torch.tensor([[True, False, True]])))


def test_float16_masks_with_a_finite_logit():
    x = _randn(1, 3).half()
    out = L.Softmax(dtype="float16")(x, mask=torch.tensor([[True, False, True]]))
    assert torch.isfinite(out).all() and out[0, 1] == 0


def test_rejects_a_mask_that_does_not_broadcast():
    x = _randn(2, 3)
    with pytest.raises(ValueError, match=r"`Softmax` expects `mask` to be broadcastable to "
                                         r"`inputs`.*inputs.shape=\(2, 3\), mask.shape=\(2, 4\)"):
        L.Softmax()(x, mask=torch.ones(2, 4, dtype=torch.bool))
    with pytest.raises(ValueError, match=r"mask.shape=\(1, 2, 3\)"):
        L.Softmax()(x, mask=torch.ones(1, 2, 3, dtype=torch.bool))


def test_rejects_a_malformed_axis():
    with pytest.raises(ValueError, match=r"`Softmax` expects `axis` to be an integer or a list "
                                         r"of integers. Received: axis=1.5"):
        L.Softmax(axis=1.5)
    with pytest.raises(ValueError, match=r"Received: axis=\[\]"):
        L.Softmax(axis=[])


def test_config_round_trip():
    layer = L.Softmax(axis=[1, 2])
    assert L.Softmax.from_config(layer.get_config()).axis == [1, 2]
