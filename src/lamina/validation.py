"""Argument checks that raise Keras-style messages.

Template: "`Dense` expects `units` to be a positive integer. Received: units=-3 (of type int)."
"""

import numbers


def _owner(owner):
    if owner is None:
        return "This call"
    name = owner if isinstance(owner, str) else type(owner).__name__
    return f"`{name}`"


def received(arg, value):
    return f"Received: {arg}={value!r} (of type {type(value).__name__})."


def validate_positive_int(value, arg, owner=None):
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value <= 0:
        raise ValueError(f"{_owner(owner)} expects `{arg}` to be a positive integer. "
                         + received(arg, value))
    return int(value)


def validate_rate(value, arg, owner=None):
    """A float in [0, 1)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not 0 <= value < 1:
        raise ValueError(f"{_owner(owner)} expects `{arg}` to be a float in [0, 1). "
                         + received(arg, value))
    return float(value)


def validate_choice(value, arg, choices, owner=None):
    if value not in choices:
        raise ValueError(f"{_owner(owner)} expects `{arg}` to be one of "
                         f"{', '.join(map(repr, choices))}. " + received(arg, value))
    return value


def validate_shape(shape, arg, owner=None, allow_none=True):
    """A tuple of positive ints (or `None` for unknown dimensions)."""
    if isinstance(shape, numbers.Integral) and not isinstance(shape, bool):
        shape = (shape,)
    try:
        dims = tuple(shape)
    except TypeError:
        dims = None
    ok = dims is not None and all(
        (d is None and allow_none)
        or (isinstance(d, numbers.Integral) and not isinstance(d, bool) and d >= 0)
        for d in dims
    )
    if not ok:
        raise ValueError(f"{_owner(owner)} expects `{arg}` to be a tuple of non-negative "
                         "integers" + (" or None" if allow_none else "") + ". "
                         + received(arg, shape))
    return tuple(None if d is None else int(d) for d in dims)
