"""Tests for `set_random_seed`: every generator repeats its draws after reseeding."""

import random

import numpy as np
import pytest
import torch

from lamina.utils import rng_utils, set_random_seed


def draws():
    return random.random(), np.random.rand(3).tolist(), torch.rand(3).tolist()


def test_same_seed_repeats_python_numpy_and_torch_draws():
    set_random_seed(1234)
    first = draws()
    set_random_seed(np.int64(1234))  # numpy integers are integers too
    assert draws() == first
    set_random_seed(4321)
    assert draws() != first
    assert rng_utils.get_random_seed() == 4321


def test_seeds_match_the_libraries_own_seeding():
    set_random_seed(7)
    random.seed(7)
    expected_python = random.random()
    set_random_seed(7)
    assert random.random() == expected_python
    assert np.random.rand() == np.random.RandomState(7).rand()
    assert torch.equal(torch.rand(2), torch.rand(2, generator=torch.Generator().manual_seed(7)))


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_seeds_cuda():
    set_random_seed(11)
    first = torch.rand(3, device="cuda")
    set_random_seed(11)
    assert torch.equal(first, torch.rand(3, device="cuda"))


@pytest.mark.parametrize("seed, match", [
    ("1", r"`set_random_seed` expects `seed` to be an integer\. Received: seed='1' "
          r"\(of type str\)\."),
    (1.0, r"Received: seed=1\.0 \(of type float\)"),
    (True, r"Received: seed=True \(of type bool\)"),
    (-1, r"an integer from 0 to 2\*\*32 - 1 \(NumPy's range\)\. Received: seed=-1"),
    (2**32, r"Received: seed=4294967296"),
])
def test_rejects_non_integer_or_out_of_range_seed(seed, match):
    with pytest.raises(ValueError, match=match):
        set_random_seed(seed)
