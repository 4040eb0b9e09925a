"""`Permute`: golden values, the permutation check, the rank check."""

import pytest
import torch

import lamina as keras
from tests.layers.reshaping.golden_cases import load

CASES = load("Permute")


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_matches_keras_golden(case):
    _, _name, config, x, _, expected = case
    torch.testing.assert_close(keras.layers.Permute(**config)(x), expected, rtol=0, atol=0)


def test_output_dimension_i_is_input_dimension_dims_i():
    x = torch.randn(2, 3, 4, 5, generator=torch.Generator().manual_seed(0))
    out = keras.layers.Permute((3, 1, 2))(x)
    assert out[1, 4, 2, 3] == x[1, 2, 3, 4]
    assert keras.layers.Permute((3, 1, 2)).get_config()["dims"] == (3, 1, 2)


@pytest.mark.parametrize("dims", [(0, 1), (1, 3), (1, 1), (2,), "12", 3, (1.0, 2.0)])
def test_rejects_dims_that_are_not_a_permutation(dims):
    with pytest.raises(ValueError, match=r"`Permute` expects `dims` to be a permutation .* "
                                         r"Received: dims="):
        keras.layers.Permute(dims)


def test_rejects_input_of_another_rank():
    with pytest.raises(ValueError, match="expected ndim=3, found ndim=4"):
        keras.layers.Permute((2, 1))(torch.zeros(2, 3, 4, 5))
