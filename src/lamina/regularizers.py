"""Weight and activity regularizers: penalties that a layer adds to the training loss.

A regularizer is called on a tensor and returns a scalar tensor of the same dtype and device,
computed with torch ops only (no host synchronisation), so it can run inside every step.
Names, defaults and configs follow Keras 3; classes are registered under
`"keras.regularizers"` with Keras' snake_case aliases.

Example:

>>> L2(0.5)(torch.ones(2, 3))
tensor(3.)
>>> get("l1").get_config()
{'l1': 0.01}
"""

import math
import numbers

import torch

from lamina import config, registry
from lamina.validation import received, validate_choice

_MODULE = "keras.regularizers"


def _penalty_factor(owner, value, arg, default):
    """A finite, non-negative float; `None` means `default`, as in Keras."""
    if value is None:
        return float(default)
    if (isinstance(value, bool) or not isinstance(value, numbers.Real)
            or not math.isfinite(value) or value < 0):
        raise ValueError(f"`{type(owner).__name__}` expects `{arg}` to be a non-negative float. "
                         + received(arg, value))
    return float(value)


@registry.register(_MODULE, aliases=("regularizer",))
class Regularizer:
    """Base class of regularizers: a callable `(tensor) -> scalar penalty`.

    Subclasses implement `__call__` and, when their constructor takes arguments,
    `get_config` returning them (the default `from_config` passes them back). This base
    class itself adds no penalty.
    """

    def __call__(self, x):
        """The penalty for `x`, a scalar tensor of `x`'s dtype and device."""
        return x.new_zeros(())

    def get_config(self):
        """The constructor arguments as a JSON-serialisable dict."""
        return {}

    @classmethod
    def from_config(cls, config):
        """Build a regularizer from the output of `get_config`."""
        return cls(**config)

    def __repr__(self):
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        return f"{type(self).__name__}({args})"


@registry.register(_MODULE, aliases=("l1",))
class L1(Regularizer):
    """L1 penalty: `l1 * sum(|x|)`.

    Args:
        l1: Non-negative factor; `None` means the default. Defaults to `0.01`.
    """

    def __init__(self, l1=0.01):
        self.l1 = _penalty_factor(self, l1, "l1", 0.01)

    def __call__(self, x):
        return self.l1 * torch.sum(torch.abs(x))

    def get_config(self):
        return {"l1": self.l1}


@registry.register(_MODULE, aliases=("l2",))
class L2(Regularizer):
    """L2 penalty: `l2 * sum(x**2)` (no factor 1/2, as in Keras).

    Args:
        l2: Non-negative factor; `None` means the default. Defaults to `0.01`.
    """

    def __init__(self, l2=0.01):
        self.l2 = _penalty_factor(self, l2, "l2", 0.01)

    def __call__(self, x):
        return self.l2 * torch.sum(torch.square(x))

    def get_config(self):
        return {"l2": self.l2}


@registry.register(_MODULE, aliases=("l1l2", "l1_l2"))
class L1L2(Regularizer):
    """Sum of the L1 and L2 penalties: `l1 * sum(|x|) + l2 * sum(x**2)`.

    The string `"l1_l2"` (see `get`) gives `L1L2(l1=0.01, l2=0.01)`, as Keras documents.

    Args:
        l1: Non-negative L1 factor; `None` means 0. Defaults to `0.0`.
        l2: Non-negative L2 factor; `None` means 0. Defaults to `0.0`.
    """

    def __init__(self, l1=0.0, l2=0.0):
        self.l1 = _penalty_factor(self, l1, "l1", 0.0)
        self.l2 = _penalty_factor(self, l2, "l2", 0.0)

    def __call__(self, x):
        # Zero factors are skipped, as in Keras, to save the kernels.
        if self.l1 and self.l2:
            return self.l1 * torch.sum(torch.abs(x)) + self.l2 * torch.sum(torch.square(x))
        if self.l1:
            return self.l1 * torch.sum(torch.abs(x))
        if self.l2:
            return self.l2 * torch.sum(torch.square(x))
        return x.new_zeros(())

    def get_config(self):
        return {"l1": self.l1, "l2": self.l2}


@registry.register(_MODULE, aliases=("orthogonal_regularizer",))
class OrthogonalRegularizer(Regularizer):
    """Pushes the rows (or columns) of a 2-D weight towards being mutually orthogonal.

    The penalty is `factor` times the mean, over all pairs of distinct L2-normalised rows
    (columns with `mode="columns"`), of the absolute value of their dot product.

    Args:
        factor: Non-negative factor. Defaults to `0.01`.
        mode: `"rows"` or `"columns"`. Defaults to `"rows"`.

    Example:

    >>> OrthogonalRegularizer(factor=2.0)(torch.tensor([[1.0, 0.0], [1.0, 1.0]]))
    tensor(1.4142)
    """

    def __init__(self, factor=0.01, mode="rows"):
        self.factor = _penalty_factor(self, factor, "factor", 0.01)
        self.mode = validate_choice(mode, "mode", ("rows", "columns"), self)

    def __call__(self, x):
        if x.dim() != 2:
            raise ValueError("`OrthogonalRegularizer` applies to 2-D weights. "
                             f"Received: x.shape={tuple(x.shape)}.")
        axis = 1 if self.mode == "rows" else 0
        # L2-normalise as Keras does: scale by rsqrt(sum of squares), capped at 1 / epsilon.
        inv_norm = torch.rsqrt(torch.sum(torch.square(x), dim=axis, keepdim=True))
        x = x * torch.clamp(inv_norm, max=1.0 / config.epsilon())
        product = x @ x.T if self.mode == "rows" else x.T @ x  # (size, size)
        size = product.shape[0]
        off_diagonal = product * (1.0 - torch.eye(size, dtype=x.dtype, device=x.device))
        num_pairs = size * (size - 1.0) / 2.0
        return self.factor * 0.5 * torch.sum(torch.abs(off_diagonal)) / num_pairs

    def get_config(self):
        return {"factor": self.factor, "mode": self.mode}


# Keras 3 also exports the classes under their snake_case names.
l1 = L1
l2 = L2
l1_l2 = L1L2
orthogonal_regularizer = OrthogonalRegularizer


def serialize(regularizer):
    """Keras' dict form of `regularizer`: `{"module", "class_name", "config", ...}`."""
    return registry.serialize(regularizer)


def deserialize(config, custom_objects=None):
    """The regularizer described by Keras' dict form (or a bare name).

    Args:
        config: A dict as written by `serialize`, or a registered name.
        custom_objects: Optional dict mapping names to custom classes. Defaults to `None`.
    """
    return registry.get(config, _MODULE, "regularizer", custom_objects)


def get(identifier):
    """Resolve what a user passed as `kernel_regularizer=` and the like.

    Args:
        identifier: `None`, a name (`"l2"`), Keras' dict form, a regularizer class
            (instantiated with its defaults) or a callable `fn(x) -> scalar` (returned as is).

    Returns:
        A regularizer, or `None` for `None`.

    Raises:
        ValueError: If a name is not a known regularizer (the message lists valid names).
        TypeError: If `identifier` is none of the accepted kinds.

    Example:

    >>> get("l1_l2")
    L1L2(l1=0.01, l2=0.01)
    """
    if isinstance(identifier, str) and identifier == "l1_l2":
        # Keras documents `"l1_l2"` as both factors at 0.01 (Keras 2's `l1_l2()` defaults).
        return L1L2(l1=0.01, l2=0.01)
    return registry.get(identifier, _MODULE, "regularizer")
