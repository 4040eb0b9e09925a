"""`Permute`: reorder the non-batch dimensions of the input."""

import numbers

from lamina.layers.layer import Layer
from lamina.layers.spatial import check_rank
from lamina.registry import register
from lamina.validation import received


@register("keras.layers")
class Permute(Layer):
    """Permutes the dimensions of each sample; the batch dimension stays first.

    Useful e.g. to swap the time and feature axes before a layer that works on the other one.

    Args:
        dims: Tuple of ints, a permutation of `1, ..., n` where `n` is the rank of one sample:
            `dims[i]` is the input dimension that becomes output dimension `i + 1` (dimension 0,
            the batch, is not listed).
        **kwargs: Base layer arguments (`name`, `dtype`, `trainable`, ...).

    Input shape:
        `(batch_size, d_1, ..., d_n)`.

    Output shape:
        `(batch_size, d_dims[0], ..., d_dims[n-1])`: a permuted view of the input (no copy).

    Example:
    >>> import torch, lamina as keras
    >>> tuple(keras.layers.Permute((2, 1))(torch.zeros(4, 10, 64)).shape)
    (4, 64, 10)
    """

    def __init__(self, dims, **kwargs):
        super().__init__(**kwargs)
        try:
            values = tuple(dims)
        except TypeError:
            values = None
        if values is None or not all(
            isinstance(d, numbers.Integral) and not isinstance(d, bool) for d in values
        ) or sorted(values) != list(range(1, len(values) + 1)):
            raise ValueError(
                "`Permute` expects `dims` to be a permutation of the dimensions 1, ..., n of one "
                "sample (the batch dimension 0 is never moved), e.g. (2, 1). "
                + received("dims", dims)
            )
        self.dims = tuple(int(d) for d in values)
        self._order = (0, *self.dims)

    def build(self, input_shape):
        check_rank(self, input_shape, len(self.dims) + 1)
        self.built = True

    def call(self, inputs):
        return inputs.permute(self._order)  # (batch, *permuted)

    def get_config(self):
        return {**super().get_config(), "dims": self.dims}
