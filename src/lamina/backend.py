"""`keras.backend`: the global settings, and the Keras 2 backend functions tutorials use.

Keras 3's `keras.backend` keeps a few functions: `backend()`, `clear_session`, `epsilon` /
`set_epsilon`, `floatx` / `set_floatx`, `image_data_format` / `set_image_data_format` and
`is_keras_tensor`. They are here as in Keras 3 (the settings live in `lamina.config`).

Keras 2's backend (`from keras import backend as K`) had many more: tensor functions (`K.mean`,
`K.square`, ...), variables (`K.variable`, `K.get_value`, `K.set_value`) and shapes
(`K.int_shape`). The ones tutorials commonly use are here too, computed with torch on torch
tensors, each with one `DeprecationWarning` naming its Keras 3 spelling. `K.set_value(
model.optimizer.lr, 1e-4)` sets the optimizer's learning rate for its next update.

Example:
>>> from lamina import backend as K
>>> K.backend(), K.floatx(), K.epsilon(), K.image_data_format()
('torch', 'float32', 1e-07, 'channels_last')
"""

import functools
import numbers

import numpy as np
import torch

from lamina import config, deprecation
from lamina.layers.keras_tensor import KerasTensor
from lamina.layers.variable import Variable
from lamina.naming import clear_session
from lamina.optimizers.learning_rate_value import LearningRateValue
from lamina.validation import received

__all__ = [
    "backend", "cast", "clear_session", "clip", "concatenate", "constant", "count_params", "dot",
    "epsilon", "eval", "floatx", "get_value", "image_data_format", "int_shape",
    "is_keras_tensor", "mean", "ones", "reshape", "set_epsilon", "set_floatx",
    "set_image_data_format", "set_value", "shape", "sqrt", "square", "sum", "variable", "zeros",
]

epsilon = config.epsilon
set_epsilon = config.set_epsilon
floatx = config.floatx
set_floatx = config.set_floatx
image_data_format = config.image_data_format
set_image_data_format = config.set_image_data_format


def backend():
    """The name of the tensor engine: `"torch"`."""
    return "torch"


def is_keras_tensor(x):
    """Whether `x` is a symbolic `KerasTensor` (from `keras.Input`)."""
    return isinstance(x, KerasTensor)


def _keras2(modern):
    """Mark a Keras 2 backend function: each call warns once, naming `modern`."""

    def decorate(function):
        message = (f"`backend.{function.__name__}` is deprecated in Keras 3; use {modern}.")

        @functools.wraps(function)
        def wrapper(*args, **kwargs):
            deprecation.warn(message)
            return function(*args, **kwargs)

        return wrapper

    return decorate


def _array(value):
    return value.detach() if isinstance(value, torch.Tensor) else np.asarray(value)


def _numpy(tensor):
    value = tensor.detach().cpu().numpy()  # host sync: a copy to the host
    return value[()] if value.ndim == 0 else value  # a 0-d value as a numpy scalar, as Keras


# -- variables and values -----------------------------------------------------------------------

@_keras2("`keras.Variable(value)`")
def variable(value, dtype=None, name=None):
    """A trainable `keras.Variable` holding `value` (of `dtype`, default `floatx()`)."""
    data = torch.as_tensor(_array(value), dtype=config.torch_dtype(dtype),
                           device=config.device())
    return Variable(data.clone(), trainable=True, name=name)


@_keras2("`torch.tensor(value, dtype=...)` (or `keras.ops.convert_to_tensor`)")
def constant(value, dtype=None, shape=None, name=None):
    """A tensor holding `value` (of `dtype`, default `floatx()`); a scalar `value` fills
    `shape`. `name` is accepted and ignored.

    Raises:
        ValueError: If `value` has more than one element and cannot take `shape`.
    """
    tensor = torch.as_tensor(_array(value), dtype=config.torch_dtype(dtype),
                             device=config.device())
    if shape is None:
        return tensor.clone()
    shape = tuple(shape)
    if tensor.numel() == 1:
        return tensor.reshape(()).expand(shape).clone()
    if tensor.numel() != int(np.prod(shape)):
        raise ValueError(f"`backend.constant` cannot give {tensor.numel()} values the shape "
                         f"{shape}. " + received("shape", shape))
    return tensor.reshape(shape).clone()


@_keras2("`keras.ops.ones(shape)` (or `torch.ones`)")
def ones(shape, dtype=None, name=None):
    """A `keras.Variable` of ones of `shape`, as Keras 2 returned."""
    data = torch.ones(tuple(shape), dtype=config.torch_dtype(dtype), device=config.device())
    return Variable(data, trainable=True, name=name)


@_keras2("`keras.ops.zeros(shape)` (or `torch.zeros`)")
def zeros(shape, dtype=None, name=None):
    """A `keras.Variable` of zeros of `shape`, as Keras 2 returned."""
    data = torch.zeros(tuple(shape), dtype=config.torch_dtype(dtype), device=config.device())
    return Variable(data, trainable=True, name=name)


@_keras2("`variable.numpy()` (or `keras.ops.convert_to_numpy(x)`)")
def get_value(x):
    """The value of `x` as numpy: a variable or tensor is copied to the host (in Keras' layout
    for a weight), an optimizer's learning rate is a float32 scalar, anything else is returned
    as is."""
    if isinstance(x, LearningRateValue):
        return x.numpy()
    if isinstance(x, Variable):
        value = x.numpy()
        return value[()] if value.ndim == 0 else value
    if isinstance(x, torch.Tensor):
        return _numpy(x)
    return x


@_keras2("`variable.numpy()` (or `keras.ops.convert_to_numpy(x)`)")
def eval(x):  # Keras 2 name, shadowing the builtin here
    """The value of `x` as numpy (see `get_value`)."""
    return get_value.__wrapped__(x)


@_keras2("`variable.assign(value)` (for a learning rate, `optimizer.learning_rate = value`)")
def set_value(x, value):
    """Overwrite `x` in place with `value`.

    `x` is a `keras.Variable` (a weight: `value` in Keras' layout), a torch tensor, or an
    optimizer's learning rate (`model.optimizer.lr` / `model.optimizer.learning_rate`), which
    is then used from the optimizer's next update.

    Raises:
        ValueError: If `value`'s shape differs from `x`'s.
        TypeError: If `x` is none of these (e.g. a plain number, which has no storage).
    """
    if isinstance(x, LearningRateValue):
        x.assign(value)
    elif isinstance(x, Variable):
        x.assign(np.asarray(value))
    elif isinstance(x, torch.Tensor):
        value = torch.as_tensor(np.asarray(value))
        if tuple(value.shape) != tuple(x.shape):
            raise ValueError(f"`backend.set_value` cannot write a value of shape "
                             f"{tuple(value.shape)} into a tensor of shape {tuple(x.shape)}.")
        with torch.no_grad():
            x.copy_(value)
    else:
        raise TypeError("`backend.set_value` expects a `keras.Variable`, a torch tensor or an "
                        "optimizer's learning rate (`model.optimizer.learning_rate`). "
                        + received("x", x))


@_keras2("`variable.shape` and `math.prod` (or `torch.Tensor.numel`)")
def count_params(x):
    """The number of scalars in `x`."""
    return int(x.numel())


# -- shapes -------------------------------------------------------------------------------------

@_keras2("`tuple(x.shape)` (or `keras.ops.shape(x)`)")
def int_shape(x):
    """The shape of `x` as a tuple of ints (`None` for a symbolic tensor's unknown dimensions);
    a weight's shape in Keras' layout."""
    if isinstance(x, Variable):
        return x.keras_shape
    return tuple(x.shape)


@_keras2("`keras.ops.shape(x)` (or `tuple(x.shape)`)")
def shape(x):
    """The shape of `x` as a tuple of ints (Keras 3's `ops.shape`; Keras 2 gave a tensor)."""
    return tuple(x.shape)


@_keras2("`keras.ops.reshape(x, shape)` (or `torch.reshape`)")
def reshape(x, shape):
    """`x` with the shape `shape` (one entry may be `-1`)."""
    return torch.reshape(x, tuple(shape))


@_keras2("`keras.ops.concatenate(tensors, axis)` (or `torch.cat`)")
def concatenate(tensors, axis=-1):
    """The tensors joined along `axis`."""
    return torch.cat(list(tensors), dim=axis)


# -- math ---------------------------------------------------------------------------------------

def _dims(axis):
    return tuple(axis) if isinstance(axis, (list, tuple)) else axis


@_keras2("`keras.ops.mean(x, axis, keepdims)` (or `torch.mean`)")
def mean(x, axis=None, keepdims=False):
    """The mean of `x` over `axis` (an int, a list of ints, or `None` for all). Boolean and
    integer tensors are averaged as `floatx()`."""
    if not x.is_floating_point():
        x = x.to(config.torch_dtype(None))
    return torch.mean(x, dim=_dims(axis), keepdim=keepdims)


@_keras2("`keras.ops.sum(x, axis, keepdims)` (or `torch.sum`)")
def sum(x, axis=None, keepdims=False):  # Keras 2 name, shadowing the builtin here
    """The sum of `x` over `axis` (an int, a list of ints, or `None` for all)."""
    return torch.sum(x, dim=_dims(axis), keepdim=keepdims)


@_keras2("`keras.ops.square(x)` (or `torch.square`)")
def square(x):
    """`x * x`, elementwise."""
    return torch.square(x)


@_keras2("`keras.ops.sqrt(x)` (or `torch.sqrt`)")
def sqrt(x):
    """The square root of `x`, elementwise, with negative entries taken as 0 (Keras 2's rule)."""
    return torch.sqrt(torch.clamp(x, min=0))


@_keras2("`keras.ops.clip(x, min_value, max_value)` (or `torch.clamp`)")
def clip(x, min_value, max_value):
    """`x` clipped to `[min_value, max_value]` (`None`: no bound). As in Keras 2, a numeric
    `max_value` below `min_value` is raised to `min_value`."""
    if isinstance(min_value, numbers.Real) and isinstance(max_value, numbers.Real) \
            and max_value < min_value:
        max_value = min_value
    return torch.clamp(x, min=min_value, max=max_value)


@_keras2("`keras.ops.cast(x, dtype)` (or `x.to(dtype)`)")
def cast(x, dtype):
    """`x` converted to `dtype` (a Keras dtype name such as `"float32"`, or a torch dtype)."""
    return x.to(config.torch_dtype(dtype))


@_keras2("`keras.ops.dot(x, y)` (or `torch.tensordot`)")
def dot(x, y):
    """Keras 2's (and numpy's) `dot`: for 2D tensors the matrix product; otherwise the last
    axis of `x` is summed against the second-to-last of `y`, giving the shape
    `x.shape[:-1] + y.shape[:-2] + y.shape[-1:]`.

    Raises:
        ValueError: If a tensor has fewer than 2 dimensions.
    """
    if x.dim() < 2 or y.dim() < 2:
        raise ValueError("`backend.dot` expects tensors of at least 2 dimensions. Received: "
                         f"x.shape={tuple(x.shape)}, y.shape={tuple(y.shape)}.")
    if x.dim() == 2 and y.dim() == 2:
        return x @ y
    return torch.tensordot(x, y, dims=([x.dim() - 1], [y.dim() - 2]))
