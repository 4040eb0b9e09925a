"""`Concatenate` and `concatenate`: values, shapes, masks, errors."""

import numpy as np
import pytest
import torch

import lamina as keras

L = keras.layers


@pytest.mark.parametrize("axis", [-1, 1, 2, 0])
def test_matches_torch_cat(axis):
    generator = torch.Generator().manual_seed(0)
    xs = [torch.randn(2, 3, 4, generator=generator) for _ in range(3)]
    torch.testing.assert_close(L.Concatenate(axis=axis)(xs), torch.cat(xs, dim=axis))
    torch.testing.assert_close(L.concatenate(xs, axis=axis), torch.cat(xs, dim=axis))


def test_symbolic_shape_sums_the_axis():
    out = L.concatenate([keras.Input((3, 4)), keras.Input((5, 4))], axis=1)
    assert out.shape == (None, 8, 4)
    assert L.Concatenate(axis=1).get_config()["axis"] == 1


def test_rejects_a_non_integer_axis():
    with pytest.raises(TypeError, match=r"`Concatenate` expects `axis` to be an integer. "
                                        r"Received: axis='1' \(of type str\)"):
        L.Concatenate(axis="1")


def test_rejects_a_single_tensor():
    with pytest.raises(ValueError, match="A `Concatenate` layer should be called on a list"):
        L.Concatenate()(torch.ones(2, 3))


def test_rejects_different_ranks_or_an_axis_out_of_range():
    with pytest.raises(ValueError, match="requires inputs of the same rank"):
        L.Concatenate()([torch.ones(2, 3), torch.ones(2, 3, 1)])
    with pytest.raises(ValueError, match=r"axis=3 among their axes"):
        L.Concatenate(axis=3)([torch.ones(2, 3), torch.ones(2, 3)])


def test_rejects_mismatched_shapes_off_the_axis():
    with pytest.raises(ValueError, match=r"matching shapes except for the concatenation axis "
                                         r"\(axis=-1\). Received: input_shape=\[\(2, 3, 4\), "
                                         r"\(2, 5, 4\)\]"):
        L.Concatenate()([torch.ones(2, 3, 4), torch.ones(2, 5, 4)])
    with pytest.raises(ValueError, match="matching shapes"):
        L.concatenate([keras.Input((3, 4)), keras.Input((5, 4))])


def test_compute_mask_concatenates_along_time():
    layer = L.Concatenate(axis=1)
    xs = [torch.ones(2, 3, 4), torch.ones(2, 2, 4)]
    m1 = torch.tensor([[True, False, True], [False, False, True]])
    mask = layer.compute_mask(xs, [m1, None])  # an unmasked input counts as all True
    np.testing.assert_array_equal(mask.numpy(), [[True, False, True, True, True],
                                                 [False, False, True, True, True]])
    assert layer.compute_mask(xs, None) is None
    assert layer.compute_mask(xs, [None, None]) is None


def test_compute_mask_on_the_feature_axis_reduces_it():
    layer = L.Concatenate()
    xs = [torch.ones(1, 2, 3), torch.ones(1, 2, 1)]
    m1 = torch.tensor([[True, False]])
    m2 = torch.tensor([[False, False]])
    np.testing.assert_array_equal(layer.compute_mask(xs, [m1, m2]).numpy(), [[True, False]])
    with pytest.raises(ValueError, match="same length"):
        layer.compute_mask(xs, [m1])
