"""Helpers shared by the normalization layers: axis checks, the `gamma`/`beta` pair, dtypes.

Keras computes every normalization in at least float32 (statistics of float16 inputs overflow),
then casts the result to the layer's dtype; `upcast` and `downcast` do the same here.
"""

import numbers

import torch

from lamina import constraints, initializers, regularizers
from lamina.validation import received

_LOW_PRECISION = (torch.float16, torch.bfloat16)


def validate_axis(axis, owner, allow_list=True):
    """`axis` as an int, or as a list of ints when `allow_list`; a TypeError otherwise."""
    if isinstance(axis, numbers.Integral) and not isinstance(axis, bool):
        return int(axis)
    if allow_list and isinstance(axis, (list, tuple)) and axis and all(
        isinstance(a, numbers.Integral) and not isinstance(a, bool) for a in axis
    ):
        return [int(a) for a in axis]
    kind = "an integer or a non-empty list of integers" if allow_list else "an integer"
    raise TypeError(f"`{type(owner).__name__}` expects `axis` to be {kind}. "
                    + received("axis", axis))


def resolve_axes(axis, input_shape, owner):
    """The axes of `axis` (int or list) as sorted non-negative ints for `input_shape`.

    Raises:
        ValueError: If an axis is out of range for the input's rank, or the input's size along
            it is unknown (the weights need it).
    """
    ndim = len(input_shape)
    axes = [axis] if isinstance(axis, int) else list(axis)
    for a in axes:
        if not -ndim <= a < ndim:
            raise ValueError(
                f"`{type(owner).__name__}` expects every `axis` to be in [-{ndim}, {ndim}) for "
                f"inputs of rank {ndim}. Received: axis={axis} for input_shape="
                f"{tuple(input_shape)}."
            )
    axes = sorted({a % ndim for a in axes})
    unknown = [a for a in axes if input_shape[a] is None]
    if unknown:
        raise ValueError(
            f"`{type(owner).__name__}` needs the size of the input along `axis` to be known. "
            f"Received: axis={axis} for input_shape={tuple(input_shape)}."
        )
    return axes


def is_trailing(axes, ndim):
    """Whether the sorted non-negative `axes` are the last `len(axes)` dimensions."""
    return axes == list(range(ndim - len(axes), ndim))


def broadcast_shape(axes, input_shape):
    """`input_shape` with 1 everywhere but `axes` (the shape weights broadcast from)."""
    return [input_shape[d] if d in axes else 1 for d in range(len(input_shape))]


def add_gamma_beta(layer, shape, scale, center):
    """Create `gamma` (when `scale`) then `beta` (when `center`), Keras' order and names, from
    the layer's `gamma_*` and `beta_*` initializers, regularizers and constraints."""
    layer.gamma = layer.add_weight(
        shape=shape, initializer=layer.gamma_initializer, regularizer=layer.gamma_regularizer,
        constraint=layer.gamma_constraint, name="gamma",
    ) if scale else None
    layer.beta = layer.add_weight(
        shape=shape, initializer=layer.beta_initializer, regularizer=layer.beta_regularizer,
        constraint=layer.beta_constraint, name="beta",
    ) if center else None


def set_gamma_beta_options(layer, beta_initializer, gamma_initializer, beta_regularizer,
                           gamma_regularizer, beta_constraint, gamma_constraint):
    layer.beta_initializer = initializers.get(beta_initializer)
    layer.gamma_initializer = initializers.get(gamma_initializer)
    layer.beta_regularizer = regularizers.get(beta_regularizer)
    layer.gamma_regularizer = regularizers.get(gamma_regularizer)
    layer.beta_constraint = constraints.get(beta_constraint)
    layer.gamma_constraint = constraints.get(gamma_constraint)


def gamma_beta_config(layer):
    """The `beta_*`/`gamma_*` entries of `get_config`, in Keras' dict forms."""
    return {
        "beta_initializer": initializers.serialize(layer.beta_initializer),
        "gamma_initializer": initializers.serialize(layer.gamma_initializer),
        "beta_regularizer": regularizers.serialize(layer.beta_regularizer),
        "gamma_regularizer": regularizers.serialize(layer.gamma_regularizer),
        "beta_constraint": constraints.serialize(layer.beta_constraint),
        "gamma_constraint": constraints.serialize(layer.gamma_constraint),
    }


def upcast(x):
    """`x` in float32 when it is float16/bfloat16 (statistics overflow there), else as is."""
    return x.float() if x.dtype in _LOW_PRECISION else x


def downcast(x, dtype):
    """`x` cast to the layer's `dtype` when it differs."""
    return x if x.dtype == dtype else x.to(dtype)
