"""`Softmax`: the softmax activation as a layer, with an optional mask."""

import numbers

import torch

from lamina import activations
from lamina.layers.layer import Layer
from lamina.registry import register
from lamina.validation import received


def _large_negative(dtype):
    """The logit given to masked positions: far below any real logit, yet finite in `dtype`."""
    return -3e4 if dtype == torch.float16 else -1e9


def _is_int(value):
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


@register("keras.layers")
class Softmax(Layer):
    """Softmax along `axis`: `exp(x - max(x)) / sum(exp(x - max(x)))`.

    Args:
        axis: Integer, or list of integers, the axis (axes) to normalise over. Defaults to `-1`.
        **kwargs: Base layer arguments (`name`, `dtype`, ...).

    Call arguments:
        inputs: Logits, a tensor of any shape.
        mask: Optional mask broadcastable to `inputs` (every axis 1 or the input's size, no
            more axes than the input): `True` (or a number > 0.5) keeps a position, `False`
            excludes it. Excluded positions get probability 0; the others share the whole
            mass. Defaults to `None`.

    Output shape:
        The input's.

    Example:
    >>> import torch, lamina as keras
    >>> x = torch.tensor([[1.0, 2.0, 1.0]])
    >>> keras.layers.Softmax()(x)
    tensor([[0.2119, 0.5761, 0.2119]])
    >>> keras.layers.Softmax()(x, mask=torch.tensor([[True, False, True]])).tolist()
    [[0.5, 0.0, 0.5]]
    """

    def __init__(self, axis=-1, **kwargs):
        super().__init__(**kwargs)
        if isinstance(axis, (list, tuple)):
            ok = len(axis) > 0 and all(_is_int(a) for a in axis)
        else:
            ok = _is_int(axis)
        if not ok:
            raise ValueError("`Softmax` expects `axis` to be an integer or a list of integers. "
                             + received("axis", axis))
        self.axis = list(axis) if isinstance(axis, (list, tuple)) else int(axis)
        self.supports_masking = True
        self.built = True

    def call(self, inputs, mask=None):
        if mask is None:
            return self._softmax(inputs)
        _check_mask(inputs, mask)
        if mask.dtype != torch.bool:
            mask = mask > 0.5
        outputs = self._softmax(torch.where(mask, inputs, _large_negative(inputs.dtype)))
        # Zero the excluded positions, also when a whole slice is excluded (softmax would
        # spread it uniformly).
        return torch.where(mask, outputs, 0.0)

    def _softmax(self, inputs):
        if isinstance(self.axis, list):
            if len(self.axis) == 1:
                return activations.softmax(inputs, axis=self.axis[0])
            return torch.exp(inputs - torch.logsumexp(inputs, dim=self.axis, keepdim=True))
        return activations.softmax(inputs, axis=self.axis)

    def get_config(self):
        return {**super().get_config(), "axis": self.axis}


def _check_mask(inputs, mask):
    """Keras' checks that `mask` broadcasts to `inputs` without adding axes (static shapes
    only: no device synchronisation)."""
    if mask.dim() > inputs.dim() or any(
        m != 1 and m != i for m, i in zip(reversed(mask.shape), reversed(inputs.shape))
    ):
        raise ValueError(
            "`Softmax` expects `mask` to be broadcastable to `inputs`: no more axes than the "
            "inputs, each of size 1 or the inputs' size. Received: "
            f"inputs.shape={tuple(inputs.shape)}, mask.shape={tuple(mask.shape)}"
        )
