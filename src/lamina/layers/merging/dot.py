"""`Dot`: the per-sample dot product of two tensors along chosen axes; and its functional form.

For each sample, `x` (batch axis left out) is contracted with `y` over one axis of each, as
Keras' `batch_dot` does: the output keeps `x`'s other axes, then `y`'s other axes, and when
nothing is left (two `(batch, n)` inputs) it is `(batch, 1)`. The computation is one batched
matrix product: `x` is viewed as `(batch, rows, n)` and `y` as `(batch, n, columns)`.
"""

import numbers

import torch
import torch.nn.functional as F

from lamina import config
from lamina.layers.merging.base_merge import Merge, is_shape_list
from lamina.registry import register


def _is_int(value):
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


@register("keras.layers")
class Dot(Merge):
    """Dot product of two samples along `axes`, optionally of their L2-normalised versions.

    With inputs of shapes `(batch, 3, 5)` and `(batch, 10, 3)` and `axes=(1, 2)`, the output
    has shape `(batch, 5, 10)`.

    Args:
        axes: Integer, or a list/tuple of two integers: the axis of the first input and the
            axis of the second input to contract (their sizes must match; negative values
            count from the end; the batch axis `0` is not allowed).
        normalize: Whether to L2-normalise each sample along its contracted axis first, which
            makes the output the cosine similarity. Defaults to `False`.
        **kwargs: Base layer arguments (`name`, `dtype`, ...).

    Call arguments:
        inputs: A list of exactly two tensors, each of rank 2 or more.

    Output shape:
        `(batch, *x_other_axes, *y_other_axes)`, or `(batch, 1)` if both inputs are rank 2.

    Example:
    >>> import torch, lamina as keras
    >>> x = torch.tensor([[1.0, 2.0], [3.0, 4.0]])
    >>> keras.layers.Dot(axes=1)([x, x])
    tensor([[ 5.],
            [25.]])
    """

    def __init__(self, axes, normalize=False, **kwargs):
        super().__init__(**kwargs)
        if not _is_int(axes):
            if not isinstance(axes, (list, tuple)):
                raise TypeError(
                    "`Dot` expects `axes` to be an integer or a list/tuple of two integers. "
                    f"Received: axes={axes!r} (of type {type(axes).__name__})."
                )
            if len(axes) != 2 or not all(_is_int(a) for a in axes):
                raise ValueError(
                    "`Dot` expects `axes` to be an integer or a list/tuple of two integers. "
                    f"Received: axes={axes!r}"
                )
        self.axes = axes
        self.normalize = bool(normalize)

    def build(self, input_shape):
        if not is_shape_list(input_shape) or len(input_shape) != 2:
            raise ValueError(
                f"A `Dot` layer should be called on a list of 2 inputs. "
                f"Received: input_shape={input_shape}"
            )
        shape1, shape2 = (tuple(s) for s in input_shape)
        if len(shape1) < 2 or len(shape2) < 2:
            raise ValueError(
                "`Dot` expects two inputs of rank 2 or more (a batch axis and at least one "
                f"more). Received inputs with shapes {shape1} and {shape2}."
            )
        axes = (self.axes, self.axes) if _is_int(self.axes) else tuple(self.axes)
        if not all(-len(s) <= a < len(s) for s, a in zip((shape1, shape2), axes)):
            raise ValueError(
                f"`Dot` expects `axes` within the ranks of its inputs. Received: "
                f"axes={self.axes!r} for inputs of shapes {shape1} and {shape2}."
            )
        axis1, axis2 = axes[0] % len(shape1), axes[1] % len(shape2)
        if axis1 == 0 or axis2 == 0:
            raise ValueError(
                f"`Dot` cannot contract the batch axis 0. Received: axes={self.axes!r} for "
                f"inputs of shapes {shape1} and {shape2}. If your inputs are not batched, add "
                "a batch axis of size 1."
            )
        d1, d2 = shape1[axis1], shape2[axis2]
        if d1 is not None and d2 is not None and d1 != d2:
            raise ValueError(
                f"Incompatible input shapes: axis values {d1} (at axis {axis1}) != {d2} "
                f"(at axis {axis2}). Full input shapes: {shape1}, {shape2}"
            )
        self._axes = (axis1, axis2)
        self._x_rank, self._y_rank = len(shape1), len(shape2)
        self._x_kept = [i for i in range(1, len(shape1)) if i != axis1]
        self._y_kept = [i for i in range(1, len(shape2)) if i != axis2]
        self.built = True

    def call(self, inputs, mask=None):
        x, y = inputs
        axis1, axis2 = self._axes
        if self.normalize:
            x = F.normalize(x, dim=axis1, eps=config.epsilon())
            y = F.normalize(y, dim=axis2, eps=config.epsilon())
        if self._x_rank == 2:
            rows = x.unsqueeze(1)  # (batch, 1, n)
        else:
            rows = x.movedim(axis1, -1).flatten(1, -2)  # (batch, rows, n)
        if self._y_rank == 2:
            columns = y.unsqueeze(-1)  # (batch, n, 1)
        else:
            columns = y.movedim(axis2, 1).flatten(2)  # (batch, n, columns)
        product = torch.matmul(rows, columns)  # (batch, rows, columns)
        kept = [x.shape[i] for i in self._x_kept] + [y.shape[i] for i in self._y_kept]
        return product.reshape(x.shape[0], *(kept or [1]))

    def compute_mask(self, inputs, mask=None):
        """`Dot` drops masks: the output has none."""
        return

    def get_config(self):
        return {**super().get_config(), "axes": self.axes, "normalize": self.normalize}


def dot(inputs, axes=-1, normalize=False, **kwargs):
    """Functional form of `Dot`: `Dot(axes=axes, normalize=normalize, **kwargs)(inputs)`.

    Args:
        inputs: A list of two tensors.
        axes: Integer or pair of integers, the axes to contract. Defaults to `-1`.
        normalize: Whether to L2-normalise the samples first. Defaults to `False`.
        **kwargs: Base layer arguments (`name`, ...).

    Returns:
        The per-sample dot products.
    """
    return Dot(axes=axes, normalize=normalize, **kwargs)(inputs)
