"""`DropoutRNNCell`: the dropout masks of a recurrent cell, drawn once per sequence.

Keras' recurrent dropout (Gal and Ghahramani) drops the same units at every step of a sequence,
so a cell draws its masks on the first step of a call and reuses them until the `RNN` layer
clears them at the end of the call. The masks are Keras' `dropout(ones)`: `0` for dropped
units and `1 / (1 - rate)` for kept ones, so applying one is a single multiplication.
"""

import torch
import torch.nn.functional as F


class DropoutRNNCell:
    """Mixin for cells with `dropout` and `recurrent_dropout` rates (Keras' `DropoutRNNCell`).

    A cell that sets `dropout_mask_count` (an int) gets that many independent masks, stacked
    as `(count, batch, features)` (Keras' `implementation=1`: one mask per gate); otherwise
    one `(batch, features)` mask.
    """

    _dropout_mask = None
    _recurrent_dropout_mask = None

    def _create_dropout_mask(self, step_input, rate):
        count = getattr(self, "dropout_mask_count", None)
        shape = tuple(step_input.shape) if count is None else (count, *step_input.shape)
        return F.dropout(step_input.new_ones(shape), rate, training=True)

    def get_dropout_mask(self, step_input):
        """The input mask of this call (`None` when `dropout` is 0), drawn on first use."""
        if self._dropout_mask is None and self.dropout > 0:
            self._dropout_mask = self._create_dropout_mask(step_input, self.dropout)
        return self._dropout_mask

    def get_recurrent_dropout_mask(self, step_input):
        """The state mask of this call (`None` when `recurrent_dropout` is 0)."""
        if self._recurrent_dropout_mask is None and self.recurrent_dropout > 0:
            self._recurrent_dropout_mask = self._create_dropout_mask(
                step_input, self.recurrent_dropout
            )
        return self._recurrent_dropout_mask

    def reset_dropout_mask(self):
        """Forget the input mask: the next call draws a new one."""
        self._dropout_mask = None

    def reset_recurrent_dropout_mask(self):
        """Forget the state mask: the next call draws a new one."""
        self._recurrent_dropout_mask = None


def masked_linear(x, weight, mask=None, bias=None):
    """`x @ weight.T + bias`, after multiplying `x` by a dropout mask.

    Args:
        x: `(batch, features)` or `(batch, time, features)`.
        weight: `(gates * units, features)`, torch's layout.
        mask: `None`; one mask `(batch, features)` shared by all gates; or one per gate,
            `(gates, batch, features)`.
        bias: `(gates * units,)` or `None`.

    Returns:
        `(batch, [time,] gates * units)`.
    """
    if mask is None:
        return F.linear(x, weight, bias)
    if mask.dim() == 2:
        return F.linear(x * (mask if x.dim() == 2 else mask[:, None]), weight, bias)
    gates = mask.shape[0]
    mask = mask if x.dim() == 2 else mask[:, :, None]  # (gates, batch, [1,] features)
    per_gate = weight.view(gates, -1, weight.shape[-1])  # (gates, units, features)
    out = torch.einsum("gb...f,guf->b...gu", x.unsqueeze(0) * mask, per_gate).flatten(-2)
    return out if bias is None else out + bias
