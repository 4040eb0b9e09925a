"""`Concatenate`: joins a list of tensors along one axis; and its functional form."""

import numbers

import torch

from lamina.layers.merging.base_merge import Merge, check_mask_list, is_shape_list
from lamina.registry import register
from lamina.validation import received


@register("keras.layers")
class Concatenate(Merge):
    """Concatenates a list of inputs along `axis`.

    The inputs must have the same rank and agree on every axis except `axis`.

    Args:
        axis: Integer, the axis to concatenate along (may be negative; `0` is the batch axis).
            Defaults to `-1`.
        **kwargs: Base layer arguments (`name`, `dtype`, ...).

    Call arguments:
        inputs: A list of at least one tensor.

    Output shape:
        The inputs' common shape, with the sizes along `axis` summed.

    Example:
    >>> import torch, lamina as keras
    >>> x = keras.layers.Concatenate()([torch.zeros(2, 3), torch.ones(2, 1)])
    >>> tuple(x.shape), x[0].tolist()
    ((2, 4), [0.0, 0.0, 0.0, 1.0])
    """

    def __init__(self, axis=-1, **kwargs):
        super().__init__(**kwargs)
        if isinstance(axis, bool) or not isinstance(axis, numbers.Integral):
            raise TypeError("`Concatenate` expects `axis` to be an integer. "
                            + received("axis", axis))
        self.axis = int(axis)

    def build(self, input_shape):
        if not is_shape_list(input_shape):
            raise ValueError(
                "A `Concatenate` layer should be called on a list of at least 1 input. "
                f"Received: input_shape={input_shape}"
            )
        shapes = [tuple(s) for s in input_shape]
        rank = len(shapes[0])
        if any(len(s) != rank for s in shapes) or not -rank <= self.axis < rank:
            raise ValueError(
                "A `Concatenate` layer requires inputs of the same rank, with "
                f"axis={self.axis} among their axes. Received: input_shape={shapes}"
            )
        axis = self.axis % rank
        for dim in range(rank):
            known = {s[dim] for s in shapes if s[dim] is not None}
            if dim != axis and len(known) > 1:
                raise ValueError(
                    "A `Concatenate` layer requires inputs with matching shapes except for "
                    f"the concatenation axis (axis={self.axis}). Received: input_shape={shapes}"
                )
        self.built = True

    def call(self, inputs, mask=None):
        return torch.cat(list(inputs), dim=self.axis)

    def compute_mask(self, inputs, mask=None):
        """The concatenated masks (an unmasked input counting as all `True`), reduced with OR
        over the last axis, as Keras does; `None` when no input has a mask."""
        if mask is None:
            return None
        check_mask_list(inputs, mask)
        if all(m is None for m in mask):
            return None
        masks = []
        for x, m in zip(inputs, mask):
            if m is None:
                m = torch.ones_like(x, dtype=torch.bool)
            elif m.dim() < x.dim():
                m = m.unsqueeze(-1).expand(x.shape)  # (batch, ..., features)
            masks.append(m)
        return torch.cat(masks, dim=self.axis).any(dim=-1)

    def get_config(self):
        return {**super().get_config(), "axis": self.axis}


def concatenate(inputs, axis=-1, **kwargs):
    """Functional form of `Concatenate`: `Concatenate(axis=axis, **kwargs)(inputs)`.

    Args:
        inputs: A list of tensors.
        axis: Axis to concatenate along. Defaults to `-1`.
        **kwargs: Base layer arguments (`name`, ...).

    Returns:
        The concatenation of the inputs along `axis`.
    """
    return Concatenate(axis=axis, **kwargs)(inputs)
