"""`RepeatVector`: golden values and argument checks."""

import pytest
import torch

import lamina as keras
from tests.layers.reshaping.golden_cases import load

CASES = load("RepeatVector")


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_matches_keras_golden(case):
    _, _, config, x, _, expected = case
    torch.testing.assert_close(keras.layers.RepeatVector(**config)(x), expected, rtol=0, atol=0)


def test_gradient_sums_over_the_repeats():
    x = torch.tensor([[1.0, 2.0]], requires_grad=True)
    keras.layers.RepeatVector(4)(x).sum().backward()
    assert x.grad.tolist() == [[4.0, 4.0]]


def test_rejects_non_integer_n():
    with pytest.raises(TypeError, match=r"expects `n` to be a positive integer. Received: "
                                        r"n=2.0 \(of type float\)"):
        keras.layers.RepeatVector(2.0)


def test_rejects_non_positive_n():
    with pytest.raises(ValueError, match=r"Received: n=0 \(of type int\)"):
        keras.layers.RepeatVector(0)


def test_rejects_input_that_is_not_2d():
    with pytest.raises(ValueError, match="expected ndim=2, found ndim=3"):
        keras.layers.RepeatVector(2)(torch.zeros(2, 3, 4))
