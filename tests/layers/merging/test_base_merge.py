"""`Merge`: broadcasting, input checks and the OR of masks, through its subclasses."""

import numpy as np
import pytest
import torch

import lamina as keras
from lamina.layers.merging.base_merge import broadcast_shapes


def test_broadcast_shapes_aligns_from_the_right():
    add = keras.layers.Add()
    assert broadcast_shapes(add, (3, 4), (4,)) == (3, 4)
    assert broadcast_shapes(add, (1, 4), (3, 1)) == (3, 4)
    assert broadcast_shapes(add, (None, 4), (3, 4)) == (None, 4)
    assert broadcast_shapes(add, (5,), ()) == (5,)


def test_rejects_incompatible_shapes():
    with pytest.raises(ValueError, match=r"`Add` expects inputs with broadcast-compatible "
                                         r"shapes. Received shapes \(3, 4\) and \(3, 5\)"):
        keras.layers.Add()([torch.ones(2, 3, 4), torch.ones(2, 3, 5)])


def test_rejects_symbolic_incompatible_shapes():
    with pytest.raises(ValueError, match="broadcast-compatible"):
        keras.layers.multiply([keras.Input((4,)), keras.Input((5,))])


def test_rejects_a_single_tensor():
    with pytest.raises(ValueError, match=r"A merge layer \(`Add`\) should be called on a list "
                                         r"of inputs. Received: input_shape=\(2, 3\)"):
        keras.layers.Add()(torch.ones(2, 3))


def test_rejects_different_batch_sizes():
    with pytest.raises(ValueError, match="`Maximum` cannot merge tensors with different batch "
                                         r"sizes. Received tensors with shapes \[\(2, 3\), "
                                         r"\(4, 3\)\]"):
        keras.layers.Maximum()([torch.ones(2, 3), torch.ones(4, 3)])


def test_lower_rank_inputs_gain_axes_after_the_batch_axis():
    x = torch.arange(6.0).reshape(2, 3)  # (batch, 3)
    y = torch.ones(2, 4, 3)  # (batch, 4, 3)
    out = keras.layers.Add()([x, y])
    torch.testing.assert_close(out, x[:, None, :] + y)
    symbolic = keras.layers.Add()([keras.Input((3,)), keras.Input((4, 3))])
    assert symbolic.shape == (None, 4, 3)


def test_a_single_input_passes_through():
    x = torch.randn(2, 3)
    torch.testing.assert_close(keras.layers.Add()([x]), x)
    torch.testing.assert_close(keras.layers.Maximum()([x]), x)


def test_compute_mask_is_the_or_of_the_masks():
    layer = keras.layers.Add()
    xs = [torch.ones(2, 3, 1), torch.ones(2, 3, 1)]
    m1 = torch.tensor([[True, False, False], [True, True, False]])
    m2 = torch.tensor([[False, False, True], [True, False, False]])
    np.testing.assert_array_equal(layer.compute_mask(xs, [m1, m2]).numpy(),
                                  [[True, False, True], [True, True, False]])
    assert layer.compute_mask(xs, None) is None
    assert layer.compute_mask(xs, [m1, None]) is None


def test_compute_mask_rejects_malformed_masks():
    layer = keras.layers.Add()
    xs = [torch.ones(2, 3), torch.ones(2, 3)]
    mask = torch.ones(2, dtype=torch.bool)
    with pytest.raises(TypeError, match="`mask` should be a list"):
        layer.compute_mask(xs, mask)
    with pytest.raises(TypeError, match="`inputs` should be a list"):
        layer.compute_mask(xs[0], [mask, mask])
    with pytest.raises(ValueError, match="should have the same length. Received: 2 inputs and "
                                         "1 masks"):
        layer.compute_mask(xs, [mask])


def test_merge_in_a_functional_model_trains_both_branches():
    a, b = keras.Input((3,)), keras.Input((3,))
    dense_a, dense_b = keras.layers.Dense(2), keras.layers.Dense(2)
    model = keras.Model([a, b], keras.layers.average([dense_a(a), dense_b(b)]))
    x = [np.random.default_rng(0).normal(size=(4, 3)).astype("float32") for _ in range(2)]
    expected = (dense_a(torch.from_numpy(x[0])) + dense_b(torch.from_numpy(x[1]))) / 2
    torch.testing.assert_close(model(x), expected)
    before = [w.detach().clone() for w in model.trainable_weights]
    model.compile(optimizer="sgd", loss="mse")
    model.train_on_batch(x, np.ones((4, 2), "float32"))
    assert all(not torch.equal(b, w.detach()) for b, w in zip(before, model.trainable_weights))
