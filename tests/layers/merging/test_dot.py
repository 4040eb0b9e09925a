"""`Dot` and `dot`: per-sample contractions against einsum, normalisation, errors."""

import pytest
import torch
import torch.nn.functional as F

import lamina as keras

L = keras.layers


def _randn(*shape, seed=0):
    return torch.randn(*shape, generator=torch.Generator().manual_seed(seed))


def test_rank2_inputs_give_a_batch_by_one_output():
    x, y = _randn(3, 4), _randn(3, 4, seed=1)
    out = L.Dot(axes=1)([x, y])
    torch.testing.assert_close(out, torch.einsum("bi,bi->b", x, y)[:, None])


def test_rank3_inputs_against_einsum():
    x, y = _randn(2, 3, 5), _randn(2, 10, 3, seed=1)
    out = L.Dot(axes=(1, 2))([x, y])  # x's axis 1 with y's axis 2
    torch.testing.assert_close(out, torch.einsum("bjx,byj->bxy", x, y))
    x, y = _randn(2, 3, 4), _randn(2, 5, 4, seed=1)
    torch.testing.assert_close(L.Dot(axes=2)([x, y]), torch.einsum("bik,bjk->bij", x, y))


def test_rank4_with_rank3_keeps_the_other_axes_in_order():
    x, y = _randn(2, 2, 3, 4), _randn(2, 4, 5, seed=1)
    out = L.dot([x, y], axes=(-1, 1))
    torch.testing.assert_close(out, torch.einsum("bpqk,bkr->bpqr", x, y))
    x, y = _randn(2, 4), _randn(2, 4, 3, seed=1)
    torch.testing.assert_close(L.Dot(axes=1)([x, y]), torch.einsum("bk,bkr->br", x, y))


def test_normalize_gives_the_cosine_similarity():
    x, y = _randn(3, 4), _randn(3, 4, seed=1)
    out = L.Dot(axes=-1, normalize=True)([x, y])
    torch.testing.assert_close(out[:, 0], F.cosine_similarity(x, y, dim=-1))


def test_symbolic_shapes():
    assert L.dot([keras.Input((3,)), keras.Input((3,))], axes=1).shape == (None, 1)
    assert L.dot([keras.Input((3, 5)), keras.Input((10, 3))], axes=(1, 2)).shape == \
        (None, 5, 10)


def test_rejects_axes_of_the_wrong_type_or_length():
    with pytest.raises(TypeError, match=r"`Dot` expects `axes` to be an integer or a "
                                        r"list/tuple of two integers. Received: axes='1'"):
        L.Dot(axes="1")
    with pytest.raises(ValueError, match=r"Received: axes=\(1, 2, 3\)"):
        L.Dot(axes=(1, 2, 3))
    with pytest.raises(ValueError, match=r"Received: axes=\[1, 1.5\]"):
        L.Dot(axes=[1, 1.5])


def test_rejects_anything_but_two_inputs():
    with pytest.raises(ValueError, match="A `Dot` layer should be called on a list of 2 inputs"):
        L.Dot(axes=1)([torch.ones(2, 3)] * 3)


def test_rejects_rank_one_inputs():
    with pytest.raises(ValueError, match=r"`Dot` expects two inputs of rank 2 or more"):
        L.Dot(axes=0)([torch.ones(3), torch.ones(3)])


def test_rejects_axes_outside_the_inputs_and_the_batch_axis():
    with pytest.raises(ValueError, match=r"`Dot` expects `axes` within the ranks of its "
                                         r"inputs. Received: axes=3"):
        L.Dot(axes=3)([torch.ones(2, 3), torch.ones(2, 3)])
    with pytest.raises(ValueError, match="`Dot` cannot contract the batch axis 0"):
        L.Dot(axes=(0, 1))([torch.ones(2, 3), torch.ones(2, 2)])


def test_rejects_contracted_axes_of_different_sizes():
    with pytest.raises(ValueError, match=r"Incompatible input shapes: axis values 3 \(at axis "
                                         r"1\) != 4 \(at axis 1\)"):
        L.Dot(axes=1)([torch.ones(2, 3), torch.ones(2, 4)])


def test_has_no_output_mask_and_round_trips_its_config():
    layer = L.Dot(axes=(1, 2), normalize=True)
    assert layer.compute_mask([torch.ones(1, 2)] * 2, [None, None]) is None
    config = layer.get_config()
    assert config["axes"] == (1, 2) and config["normalize"] is True
    assert L.Dot.from_config(config).get_config() == config
