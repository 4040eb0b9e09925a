"""Tests for `to_categorical` and `normalize`, against one-hot and norm formulas."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from lamina.utils import normalize, to_categorical


def test_to_categorical_numpy_matches_identity_rows():
    labels = [0, 2, 1, 2]
    out = to_categorical(labels, num_classes=4)
    assert out.dtype == np.float32
    np.testing.assert_array_equal(out, np.eye(4, dtype=np.float32)[labels])


@pytest.mark.parametrize("labels, shape", [
    (np.array([[1], [0], [3]]), (3, 4)),  # (n, 1) is read as (n,), as in Keras
    (np.array([[1, 0], [3, 2]]), (2, 2, 4)),
    (np.array(3), (4,)),
    (np.array([2.0, 3.0, 0.0]), (3, 4)),  # integer-valued floats are accepted
    (np.array([True, False]), (2, 2)),
])
def test_to_categorical_shapes_and_inferred_classes(labels, shape):
    out = to_categorical(labels)
    assert out.shape == shape
    flat = np.asarray(labels).astype(np.int64).reshape(-1)
    np.testing.assert_array_equal(out.reshape(-1, shape[-1]), np.eye(shape[-1])[flat])


def test_to_categorical_empty_with_num_classes():
    assert to_categorical(np.zeros((0,), np.int64), num_classes=3).shape == (0, 3)


def test_to_categorical_tensor_returns_tensor_like_one_hot():
    labels = torch.tensor([[1], [0], [2]])
    out = to_categorical(labels, num_classes=4)
    assert isinstance(out, torch.Tensor) and out.dtype == torch.float32
    torch.testing.assert_close(out, F.one_hot(labels[:, 0], 4).float())
    inferred = to_categorical(torch.tensor([1.0, 3.0]))
    torch.testing.assert_close(inferred, torch.tensor([[0.0, 1, 0, 0], [0, 0, 0, 1]]))


@pytest.mark.parametrize("make", [np.array, torch.tensor])
@pytest.mark.parametrize("labels, num_classes, match", [
    ([0, 1.5], None, r"`to_categorical` expects `x` to hold integer class indices; it holds "
                     r"non-integer values"),
    ([0, float("nan")], None, r"non-integer values"),
    ([0, -1], None, r"class indices of at least 0\. Received: x with values from -1 to 0\."),
    ([0, 3], 3, r"at least 0 and below num_classes=3\. Received: x with values from 0 to 3\."),
])
def test_to_categorical_rejects_bad_labels(make, labels, num_classes, match):
    with pytest.raises(ValueError, match=match):
        to_categorical(make(labels), num_classes=num_classes)


@pytest.mark.parametrize("x", [np.zeros((0,), np.int64), torch.zeros(0, dtype=torch.int64)])
def test_to_categorical_needs_num_classes_for_empty_input(x):
    with pytest.raises(ValueError, match=r"cannot infer `num_classes` from an empty `x`"):
        to_categorical(x)


@pytest.mark.parametrize("x, match", [
    (["a", "b"], r"expects `x` to hold integer class indices\. Received: x of dtype <U1\."),
    (torch.tensor([1j]), r"Received: x of dtype torch\.complex64\."),
])
def test_to_categorical_rejects_non_numeric_input(x, match):
    with pytest.raises(TypeError, match=match):
        to_categorical(x)


def test_to_categorical_rejects_bad_num_classes():
    with pytest.raises(ValueError, match=r"`to_categorical` expects `num_classes` to be a "
                                         r"positive integer\. Received: num_classes=0"):
        to_categorical([0], num_classes=0)


def test_normalize_numpy_matches_formula_on_each_axis():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(4, 4))
    np.testing.assert_allclose(normalize(x), x / np.sqrt((x**2).sum(-1, keepdims=True)))
    # Along axis 0 of a square matrix (where Keras 3's numpy branch broadcasts wrongly).
    np.testing.assert_allclose(normalize(x, axis=0), x / np.sqrt((x**2).sum(0, keepdims=True)))
    np.testing.assert_allclose(normalize(x, order=1), x / np.abs(x).sum(-1, keepdims=True))


def test_normalize_numpy_keeps_zero_vectors_and_promotes_integers():
    out = normalize(np.array([[3, 4], [0, 0]]))
    assert out.dtype == np.float64
    np.testing.assert_allclose(out, [[0.6, 0.8], [0.0, 0.0]])


@pytest.mark.parametrize("order", [1, 2, 3])
def test_normalize_tensor_matches_torch_functional(order):
    x = torch.randn(5, 3, generator=torch.Generator().manual_seed(0))
    x[1] = 0.0
    for axis in (-1, 0):
        out = normalize(x, axis=axis, order=order)
        assert isinstance(out, torch.Tensor)
        torch.testing.assert_close(out, F.normalize(x, p=order, dim=axis))


def test_normalize_other_input_becomes_a_float_tensor():
    out = normalize([[3, 4]])
    assert isinstance(out, torch.Tensor) and out.dtype == torch.float32
    torch.testing.assert_close(out, torch.tensor([[0.6, 0.8]]))
    torch.testing.assert_close(normalize(torch.tensor(-2.0)), torch.tensor([-1.0]))


@pytest.mark.parametrize("kwargs, error, match", [
    ({"order": 0}, ValueError, r"`normalize` expects `order` to be an integer of at least 1\. "
                               r"Received: order=0 \(of type int\)\."),
    ({"order": 1.5}, ValueError, r"Received: order=1\.5 \(of type float\)"),
    ({"order": True}, ValueError, r"Received: order=True \(of type bool\)"),
    ({"axis": None}, TypeError, r"`normalize` expects `axis` to be an integer\. "
                                r"Received: axis=None"),
])
def test_normalize_rejects_bad_arguments(kwargs, error, match):
    with pytest.raises(error, match=match):
        normalize(np.ones((2, 2)), **kwargs)
