"""`set_random_seed`: one call to seed Python, NumPy and torch (CPU and every CUDA device)."""

import numbers
import random

import numpy as np
import torch

from lamina.validation import received

_GLOBAL_SEED = None


def set_random_seed(seed):
    """Sets the seed of every random number generator lamina programs use.

    This seeds Python's `random`, NumPy's global generator and torch's generators on the
    CPU and on every CUDA device, so that a program run twice with the same seed draws the
    same weights, shuffles and dropout masks. Some GPU kernels are nondeterministic
    regardless; see `torch.use_deterministic_algorithms`.

    Args:
        seed: Integer from 0 to 2**32 - 1, the seed to use.

    Example:

    >>> set_random_seed(1337)
    >>> first = torch.rand(2)
    >>> set_random_seed(1337)
    >>> torch.equal(first, torch.rand(2))
    True
    """
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral):
        raise ValueError("`set_random_seed` expects `seed` to be an integer. "
                         + received("seed", seed))
    if not 0 <= seed < 2**32:
        raise ValueError("`set_random_seed` expects `seed` to be an integer from 0 to 2**32 - 1 "
                         "(NumPy's range). " + received("seed", seed))
    global _GLOBAL_SEED
    _GLOBAL_SEED = seed = int(seed)
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)  # the CPU generator and, lazily, every CUDA device's
    torch.cuda.manual_seed_all(seed)


def get_random_seed():
    """The seed last passed to `set_random_seed`, or `None` if it was never called."""
    return _GLOBAL_SEED
