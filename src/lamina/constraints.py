"""Weight constraints: projections applied to a weight after each optimizer update.

A constraint is called on a weight tensor and returns the projected tensor, computed with
torch ops only. Axes are in Keras' layout (for a Conv2D kernel `(kh, kw, in, out)` use
`axis=[0, 1, 2]` to constrain each filter); a layer storing a weight in another layout
permutes to Keras' layout first. Norm-based constraints divide by `epsilon + norm` exactly
as Keras does. Classes are registered under `"keras.constraints"` with Keras' snake_case
aliases.

Example:

>>> MaxNorm(max_value=1.0)(torch.tensor([[3.0], [4.0]]))
tensor([[0.6000],
        [0.8000]])
"""

import math
import numbers

import torch

from lamina import config, registry
from lamina.validation import received

_MODULE = "keras.constraints"


def _bound(owner, value, arg, minimum=0.0, maximum=None):
    """A finite real number in `[minimum, maximum]`."""
    ok = (isinstance(value, numbers.Real) and not isinstance(value, bool)
          and math.isfinite(value) and value >= minimum
          and (maximum is None or value <= maximum))
    if not ok:
        wanted = (f"a number in [{minimum}, {maximum}]" if maximum is not None
                  else f"a finite number >= {minimum}")
        raise ValueError(f"`{type(owner).__name__}` expects `{arg}` to be {wanted}. "
                         + received(arg, value))
    return value


def _axis(owner, axis):
    """Keras' `axis` (an int or a list of ints) and the matching torch `dim`."""
    is_int = isinstance(axis, numbers.Integral) and not isinstance(axis, bool)
    is_list = isinstance(axis, (list, tuple)) and all(
        isinstance(a, numbers.Integral) and not isinstance(a, bool) for a in axis)
    if not (is_int or is_list):
        raise ValueError(f"`{type(owner).__name__}` expects `axis` to be an integer or a list "
                         "of integers. " + received("axis", axis))
    return (int(axis), int(axis)) if is_int else (list(axis), tuple(int(a) for a in axis))


@registry.register(_MODULE, aliases=("constraint",))
class Constraint:
    """Base class of constraints: a callable `(weight) -> projected weight`.

    Subclasses implement `__call__` and, when their constructor takes arguments,
    `get_config` returning them. This base class returns the weight unchanged.
    """

    def __call__(self, w):
        """The projection of `w` (here `w` itself)."""
        return w

    def get_config(self):
        """The constructor arguments as a JSON-serialisable dict."""
        return {}

    @classmethod
    def from_config(cls, config):
        """Build a constraint from the output of `get_config`."""
        return cls(**config)

    def __repr__(self):
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        return f"{type(self).__name__}({args})"


@registry.register(_MODULE, aliases=("max_norm",))
class MaxNorm(Constraint):
    """Rescales slices whose L2 norm along `axis` exceeds `max_value` down to `max_value`.

    Args:
        max_value: Largest norm allowed. Defaults to `2`.
        axis: Axis or list of axes the norm is taken over; `0` constrains each column of a
            Dense kernel `(in, out)`. Defaults to `0`.
    """

    def __init__(self, max_value=2, axis=0):
        self.max_value = _bound(self, max_value, "max_value")
        self.axis, self._dim = _axis(self, axis)

    def __call__(self, w):
        norms = torch.sqrt(torch.sum(torch.square(w), dim=self._dim, keepdim=True))
        desired = torch.clamp(norms, 0.0, self.max_value)
        return w * (desired / (config.epsilon() + norms))

    def get_config(self):
        return {"max_value": self.max_value, "axis": self.axis}


@registry.register(_MODULE, aliases=("min_max_norm",))
class MinMaxNorm(Constraint):
    """Moves the L2 norm of each slice along `axis` into `[min_value, max_value]`.

    Each slice is rescaled to the norm `rate * clip(norm, min_value, max_value) +
    (1 - rate) * norm`: `rate=1` enforces the bounds at once, a smaller rate moves
    towards them gradually.

    Args:
        min_value: Smallest norm allowed. Defaults to `0.0`.
        max_value: Largest norm allowed, at least `min_value`. Defaults to `1.0`.
        rate: Strength of the projection, in `[0, 1]`. Defaults to `1.0`.
        axis: Axis or list of axes the norm is taken over. Defaults to `0`.
    """

    def __init__(self, min_value=0.0, max_value=1.0, rate=1.0, axis=0):
        self.min_value = _bound(self, min_value, "min_value")
        self.max_value = _bound(self, max_value, "max_value", minimum=min_value)
        self.rate = _bound(self, rate, "rate", maximum=1.0)
        self.axis, self._dim = _axis(self, axis)

    def __call__(self, w):
        norms = torch.sqrt(torch.sum(torch.square(w), dim=self._dim, keepdim=True))
        desired = (self.rate * torch.clamp(norms, self.min_value, self.max_value)
                   + (1 - self.rate) * norms)
        return w * (desired / (config.epsilon() + norms))

    def get_config(self):
        return {"min_value": self.min_value, "max_value": self.max_value, "rate": self.rate,
                "axis": self.axis}


@registry.register(_MODULE, aliases=("non_neg",))
class NonNeg(Constraint):
    """Sets negative weights to zero.

    Example:

    >>> NonNeg()(torch.tensor([-1.0, 2.0]))
    tensor([0., 2.])
    """

    def __call__(self, w):
        return torch.clamp(w, min=0)


@registry.register(_MODULE, aliases=("unit_norm",))
class UnitNorm(Constraint):
    """Rescales each slice along `axis` to unit L2 norm.

    Args:
        axis: Axis or list of axes the norm is taken over. Defaults to `0`.
    """

    def __init__(self, axis=0):
        self.axis, self._dim = _axis(self, axis)

    def __call__(self, w):
        norms = torch.sqrt(torch.sum(torch.square(w), dim=self._dim, keepdim=True))
        return w / (config.epsilon() + norms)

    def get_config(self):
        return {"axis": self.axis}


# Keras 3 also exports the classes under their snake_case names.
max_norm = MaxNorm
min_max_norm = MinMaxNorm
non_neg = NonNeg
unit_norm = UnitNorm


def serialize(constraint):
    """Keras' dict form of `constraint`: `{"module", "class_name", "config", ...}`."""
    return registry.serialize(constraint)


def deserialize(config, custom_objects=None):
    """The constraint described by Keras' dict form (or a bare name).

    Args:
        config: A dict as written by `serialize`, or a registered name.
        custom_objects: Optional dict mapping names to custom classes. Defaults to `None`.
    """
    return registry.get(config, _MODULE, "constraint", custom_objects)


def get(identifier):
    """Resolve what a user passed as `kernel_constraint=` and the like.

    Args:
        identifier: `None`, a name (`"max_norm"`), Keras' dict form, a constraint class
            (instantiated with its defaults) or a callable `fn(w) -> w` (returned as is).

    Returns:
        A constraint, or `None` for `None`.

    Raises:
        ValueError: If a name is not a known constraint (the message lists valid names).
        TypeError: If `identifier` is none of the accepted kinds.

    Example:

    >>> get("non_neg")
    NonNeg()
    """
    return registry.get(identifier, _MODULE, "constraint")
