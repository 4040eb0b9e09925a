"""`Normalization`: standardise features with a mean and variance fixed up front or learned by
`adapt(data)`."""

import itertools
import math
import numbers

import numpy as np
import torch

from lamina import config
from lamina.layers.layer import Layer
from lamina.registry import register
from lamina.validation import received


@register("keras.layers")
class Normalization(Layer):
    """Shifts and scales inputs to zero mean and unit variance: `(x - mean) / sqrt(variance)`.

    `mean` and `variance` are either given to the constructor or computed from data by
    `adapt(data)`, once per position along `axis` (over every other axis, as Keras does).
    The square root of the variance is bounded below by `epsilon()` (1e-7).

    Args:
        axis: Integer, tuple of integers or `None`: the axes that keep separate statistics
            (e.g. `-1`, one mean per feature). `None` computes one mean and variance over
            everything. Defaults to `-1`.
        mean: The mean to use instead of `adapt`: a scalar or an array broadcasting to the
            kept axes (aligned from the right). Defaults to `None`.
        variance: The variance, with `mean`. Defaults to `None`.
        invert: Whether to undo the normalisation instead: `mean + x * sqrt(variance)`.
            Defaults to `False`.
        **kwargs: Base layer arguments (`name`, `dtype`, `trainable`, `input_shape`, ...).

    Weights:
        mean, variance: the kept axes' sizes (e.g. `(features,)`), non-trainable; `count`, an
            int32 scalar kept for files of older Keras versions (Keras 3 leaves it at 0). Only
            when `mean` and `variance` are not given; given ones are constants, not weights.

    Example:
    >>> import numpy as np, lamina as keras
    >>> layer = keras.layers.Normalization()
    >>> layer.adapt(np.array([[0.0, 10.0], [2.0, 30.0]]))
    >>> layer(np.array([[1.0, 20.0]])).tolist()
    [[0.0, 0.0]]
    >>> keras.layers.Normalization(mean=1.0, variance=4.0)(np.array([5.0])).tolist()
    [2.0]
    """

    def __init__(self, axis=-1, mean=None, variance=None, invert=False, **kwargs):
        super().__init__(**kwargs)
        self.axis = _validate_axis(axis, self)
        if (mean is None) != (variance is None):
            raise ValueError("`Normalization` expects `mean` and `variance` to be given together."
                             f" Received: mean={mean!r}, variance={variance!r}.")
        if mean is not None:
            if np.shape(mean) != np.shape(variance):
                raise ValueError("`Normalization` expects `mean` and `variance` to have the same "
                                 f"shape. Received: mean of shape {np.shape(mean)}, variance of "
                                 f"shape {np.shape(variance)}.")
            if len(np.shape(mean)) > len(self.axis):
                raise ValueError("`Normalization` expects `mean` to have at most one dimension "
                                 f"per kept axis (axis={self.axis}). Received: mean of shape "
                                 f"{np.shape(mean)}.")
        self.input_mean = mean
        self.input_variance = variance
        self.invert = bool(invert)
        self.supports_masking = True

    def build(self, input_shape):
        ndim = len(input_shape)
        if any(not -ndim <= a < ndim for a in self.axis):
            raise ValueError(f"`Normalization` expects every `axis` to be in [-{ndim}, {ndim}) "
                             f"for inputs of rank {ndim}. Received: axis={self.axis} for "
                             f"input_shape={tuple(input_shape)}.")
        self._keep_axis = tuple(sorted(a % ndim for a in self.axis))
        if any(input_shape[d] is None for d in self._keep_axis):
            raise ValueError("`Normalization` needs the input's size along every kept axis to be "
                             f"known. Received: axis={self.axis} for input_shape="
                             f"{tuple(input_shape)}.")
        self._reduce_axis = tuple(d for d in range(ndim) if d not in self._keep_axis)
        self._broadcast_shape = [input_shape[d] if d in self._keep_axis else 1
                                 for d in range(ndim)]
        self._build_input_shape = tuple(input_shape)
        stats_shape = tuple(input_shape[d] for d in self._keep_axis)
        if self.input_mean is None:
            self.mean = self.add_weight(shape=stats_shape, initializer="zeros", trainable=False,
                                        name="mean")
            self.variance = self.add_weight(shape=stats_shape, initializer="ones",
                                            trainable=False, name="variance")
            self.count = self.add_weight(shape=(), dtype="int32", initializer="zeros",
                                         trainable=False, name="count")
        else:  # constants, not weights (as Keras): buffers so they follow the layer's device
            self.register_buffer("mean", self._constant(self.input_mean), persistent=False)
            self.register_buffer("variance", self._constant(self.input_variance),
                                 persistent=False)
        self.built = True

    def _constant(self, value):
        """A given mean or variance, its dimensions aligned from the right with the kept axes,
        broadcast to `_broadcast_shape`."""
        value = torch.as_tensor(np.asarray(value), dtype=self._dtype, device=config.device())
        expanded = [1] * len(self._broadcast_shape)
        for i in range(1, value.dim() + 1):
            expanded[self._keep_axis[-i]] = value.shape[-i]
        return torch.broadcast_to(value.reshape(expanded), self._broadcast_shape).clone()

    def call(self, inputs):
        x = inputs.to(self._dtype)
        mean = self.mean.view(self._broadcast_shape)
        std = torch.clamp_min(torch.sqrt(self.variance.view(self._broadcast_shape)),
                              config.epsilon())
        return torch.addcmul(mean, x, std) if self.invert else (x - mean) / std

    def adapt(self, data):
        """Compute the mean and variance of `data` along every axis except the kept ones.

        Args:
            data: A numpy array, a tensor, or an iterable of batches (arrays or tensors, or
                `(x, y)` / `(x, y, sample_weight)` tuples whose `x` is used), e.g. a list of
                arrays, a generator or a `torch.utils.data.DataLoader`.

        Raises:
            TypeError: If `data` is none of these, or a batch has no `.shape`.
            ValueError: If `data` is empty or its shape does not fit the built layer.
            RuntimeError: If the layer was given fixed `mean` and `variance`.
        """
        if self.input_mean is not None:
            raise RuntimeError(f"`Normalization` layer '{self.name}' was given `mean` and "
                               "`variance`, which `adapt` cannot replace. Create the layer "
                               "without them to learn them from data.")
        if isinstance(data, (np.ndarray, torch.Tensor)):
            batches, shape = None, tuple(data.shape)
        elif hasattr(data, "__iter__") and not isinstance(data, (str, bytes, dict)):
            iterator = iter(data)
            first = next(iterator, None)
            if first is None:
                raise ValueError("`Normalization.adapt` received an empty iterable. Pass at "
                                 "least one batch, e.g. `layer.adapt([x])`.")
            first = _extract_batch(first)
            if not hasattr(first, "shape"):
                raise TypeError("`Normalization.adapt` expects an iterable of arrays or tensors. "
                                f"Received a batch of type {type(first).__name__}.")
            batches, shape = itertools.chain([first], iterator), tuple(first.shape)
        else:
            raise TypeError("`Normalization.adapt` expects a numpy array, a tensor or an iterable "
                            "of batches. " + received("data", data))
        if not self.built:
            self.build(shape)
            self._build_shape = (None, *shape[1:])
        if batches is None:
            self._check_shape(shape)
            mean, variance = self._moments(_as_float64(data))
        else:
            mean, variance = self._streamed_moments(batches)
        self.mean.assign(mean.to(self.mean.dtype))
        self.variance.assign(variance.to(self.variance.dtype))

    def _streamed_moments(self, batches):
        """Mean and variance of a stream of batches, merged batch by batch (the lack-of-fit sum
        of squares, as Keras)."""
        stats_shape = tuple(self._build_input_shape[d] for d in self._keep_axis)
        total_mean = torch.zeros(stats_shape, dtype=torch.float64)
        total_var = torch.zeros(stats_shape, dtype=torch.float64)
        total_count = 0
        for batch in batches:
            batch = _extract_batch(batch)
            self._check_shape(tuple(batch.shape))
            x = _as_float64(batch)
            batch_mean, batch_var = self._moments(x)
            batch_count = math.prod(x.shape[d] for d in self._reduce_axis)
            total_count += batch_count
            weight = batch_count / total_count
            new_mean = total_mean * (1 - weight) + batch_mean * weight
            total_var = ((total_var + (total_mean - new_mean) ** 2) * (1 - weight)
                         + (batch_var + (batch_mean - new_mean) ** 2) * weight)
            total_mean = new_mean
        return total_mean, total_var

    def _moments(self, x):
        if not self._reduce_axis:  # every axis kept: each position is its own mean
            return x, torch.zeros_like(x)
        variance, mean = torch.var_mean(x, self._reduce_axis, correction=0)
        return mean, variance

    def _check_shape(self, shape):
        expected = self._build_input_shape
        if len(shape) != len(expected) or any(shape[d] != expected[d] for d in self._keep_axis):
            raise ValueError(f"`Normalization` layer '{self.name}' was built for inputs of shape "
                             f"{expected}, but `adapt` received data of shape {shape}.")

    def finalize_state(self):
        """Keras' hook after loading statistics; nothing to do, they are used as stored."""

    def get_config(self):
        return {
            **super().get_config(),
            "axis": self.axis,
            "invert": self.invert,
            "mean": np.array(self.input_mean).tolist(),
            "variance": np.array(self.input_variance).tolist(),
        }

    def extra_repr(self):
        return f"name={self.name!r}, axis={self.axis}, invert={self.invert}"


def _validate_axis(axis, owner):
    """`axis` as a tuple of ints (`None` -> `()`)."""
    if axis is None:
        return ()
    if isinstance(axis, numbers.Integral) and not isinstance(axis, bool):
        return (int(axis),)
    if isinstance(axis, (list, tuple)) and all(
        isinstance(a, numbers.Integral) and not isinstance(a, bool) for a in axis
    ):
        return tuple(int(a) for a in axis)
    raise TypeError(f"`{type(owner).__name__}` expects `axis` to be an integer, a tuple of "
                    "integers or None. " + received("axis", axis))


def _extract_batch(batch):
    """The inputs of a batch given as `(x, y)` or `(x, y, sample_weight)`."""
    return batch[0] if isinstance(batch, tuple) else batch


def _as_float64(data):
    if isinstance(data, torch.Tensor):
        return data.detach().to(dtype=torch.float64, device="cpu")
    return torch.as_tensor(np.asarray(data, dtype=np.float64))
