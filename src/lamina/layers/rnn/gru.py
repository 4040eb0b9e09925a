"""`GRUCell` and `GRU`: the gated recurrent unit (Cho et al., 2014).

Gates in Keras' order `z, r, h` (update, reset, candidate). With `reset_after=True` (Keras 3's
default, and cuDNN's formulation) the reset gate multiplies the recurrent projection after the
matmul, `hh = activation(x W_h + b_h + r * (h U_h + b'_h))`, with two biases `(2, 3 * units)`:
row 0 for the inputs, row 1 for the state. That is torch's GRU, whose gates are ordered
`r, z, n`, so the fused path swaps the first two gate blocks of each weight per call. With
`reset_after=False` the reset gate applies before, `activation(x W_h + (r * h) U_h + b_h)`,
one bias `(3 * units,)`, and no fused kernel exists.
"""

import torch
import torch.nn.functional as F

from lamina import activations
from lamina.layers.rnn.base_rnn_cell import BaseRNNCell, torch_activation
from lamina.layers.rnn.dropout_rnn_cell import masked_linear
from lamina.layers.rnn.lstm import _LSTM_ARGS
from lamina.layers.rnn.rnn import BuiltinRNN, cell_property
from lamina.registry import register

_GRU_ARGS = _LSTM_ARGS.split("        unit_forget_bias:")[0] + """        reset_after: Whether the reset gate applies after the recurrent matmul (Keras 3 and
            cuDNN's formulation, two bias rows) or before it. Defaults to `True`."""
_GRU_ARGS = _GRU_ARGS.replace("the gates `i, f, o`", "the gates `z, r`")


def _torch_gate_order(weight):
    """Keras' gate blocks `z, r, h` along dim 0 as torch's `r, z, n`."""
    z, r, h = weight.chunk(3, 0)
    return torch.cat([r, z, h])


@register("keras.layers")
class GRUCell(BaseRNNCell):
    __doc__ = """The cell of `GRU`: one step of `z, r = recurrent_activation(...)`,
    `hh = activation(...)`, `h = z * h + (1 - z) * hh`; use it in `RNN`.
    """ + _GRU_ARGS + """

    Weights:
        kernel: `(input_dim, 3 * units)`; recurrent_kernel: `(units, 3 * units)`; bias:
        `(2, 3 * units)` with `reset_after`, else `(3 * units,)`; gates `z, r, h`. The
        kernels are stored transposed (see `base_rnn_cell`).

    Example:
    >>> import torch, lamina as keras
    >>> cell = keras.layers.GRUCell(3)
    >>> output, states = cell(torch.ones(2, 4), [torch.zeros(2, 3)])
    >>> tuple(output.shape)
    (2, 3)
    """

    gates = 3

    def __init__(self, units, activation="tanh", recurrent_activation="sigmoid", use_bias=True,
                 kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal",
                 bias_initializer="zeros", reset_after=True, **kwargs):
        super().__init__(units, activation=activation, use_bias=use_bias,
                         kernel_initializer=kernel_initializer,
                         recurrent_initializer=recurrent_initializer,
                         bias_initializer=bias_initializer, **kwargs)
        self.recurrent_activation = activations.get(recurrent_activation)
        self._recurrent_act = torch_activation(self.recurrent_activation)
        self.reset_after = bool(reset_after)

    def _bias_shape(self):
        return (2, 3 * self.units) if self.reset_after else (3 * self.units,)

    def _project(self, inputs, training):
        bias = self.bias
        if bias is not None and self.reset_after:
            bias = bias[0]
        return masked_linear(inputs, self.kernel, self._input_mask(inputs, training), bias)

    def _recur(self, projected, states, training):
        h = states[0]
        mask = self._state_mask(h, training)  # None, or one mask per gate (3, batch, units)
        x_z, x_r, x_h = projected.chunk(3, -1)
        gate = self._recurrent_act
        if self.reset_after:
            bias = None if self.bias is None else self.bias[1]
            h_z, h_r, h_h = masked_linear(h, self.recurrent_kernel, mask, bias).chunk(3, -1)
            z, r = gate(x_z + h_z), gate(x_r + h_r)
            candidate = self._act(x_h + r * h_h)
        else:
            units = self.units
            zr_mask = None if mask is None else mask[:2]
            h_z, h_r = masked_linear(h, self.recurrent_kernel[:2 * units], zr_mask).chunk(2, -1)
            z, r = gate(x_z + h_z), gate(x_r + h_r)
            h_h = h if mask is None else h * mask[2]
            candidate = self._act(x_h + F.linear(r * h_h, self.recurrent_kernel[2 * units:]))
        h = z * h + (1 - z) * candidate
        return h, [h]

    def _fused_kind(self):
        if (self._act is torch.tanh and self._recurrent_act is torch.sigmoid
                and self.reset_after and not self.recurrent_dropout):
            return "gru"
        return None

    def _fused_weights(self):
        weights = [_torch_gate_order(self.kernel), _torch_gate_order(self.recurrent_kernel)]
        if self.bias is not None:
            weights += [_torch_gate_order(self.bias[0]), _torch_gate_order(self.bias[1])]
        return weights

    def get_config(self):
        return {**super().get_config(),
                "recurrent_activation": activations.serialize(self.recurrent_activation),
                "reset_after": self.reset_after}


@register("keras.layers")
class GRU(BuiltinRNN):
    __doc__ = """Gated recurrent unit layer (Cho et al., 2014).

    Runs as one fused torch kernel (cuDNN on GPU) when `activation="tanh"`,
    `recurrent_activation="sigmoid"`, `reset_after=True`, `recurrent_dropout=0` and
    `unroll=False`, for unmasked or right-padded inputs; otherwise as a step loop with the
    same results (see `rnn.fused`).
    """ + _GRU_ARGS + """
        activity_regularizer: Regularizer of the output. Defaults to `None`.
        return_sequences, return_state, go_backwards, stateful, unroll: See `RNN`.
        use_cudnn: See `LSTM`. Defaults to `"auto"`.

    Call arguments:
        sequences: `(batch, time, features)`.
        initial_state: `(batch, units)` tensor (or a list of one). Defaults to zeros.
        mask: Boolean `(batch, time)`, `False` for padded steps. Defaults to `None`.
        training: Whether dropout is active.

    Output shape:
        `(batch, units)`, or `(batch, time, units)` with `return_sequences`; with
        `return_state`, `(output, final_state)`.

    Example:
    >>> import torch, lamina as keras
    >>> layer = keras.layers.GRU(4)
    >>> tuple(layer(torch.ones(2, 5, 3)).shape)
    (2, 4)
    """

    def __init__(self, units, activation="tanh", recurrent_activation="sigmoid", use_bias=True,
                 kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal",
                 bias_initializer="zeros", kernel_regularizer=None, recurrent_regularizer=None,
                 bias_regularizer=None, activity_regularizer=None, kernel_constraint=None,
                 recurrent_constraint=None, bias_constraint=None, dropout=0.0,
                 recurrent_dropout=0.0, seed=None, return_sequences=False, return_state=False,
                 go_backwards=False, stateful=False, unroll=False, reset_after=True,
                 use_cudnn="auto", **kwargs):
        cell = GRUCell(
            units, activation=activation, recurrent_activation=recurrent_activation,
            use_bias=use_bias, kernel_initializer=kernel_initializer,
            recurrent_initializer=recurrent_initializer, bias_initializer=bias_initializer,
            kernel_regularizer=kernel_regularizer, recurrent_regularizer=recurrent_regularizer,
            bias_regularizer=bias_regularizer, kernel_constraint=kernel_constraint,
            recurrent_constraint=recurrent_constraint, bias_constraint=bias_constraint,
            dropout=dropout, recurrent_dropout=recurrent_dropout, reset_after=reset_after,
            seed=seed, dtype=kwargs.get("dtype"), trainable=kwargs.get("trainable", True),
            name="gru_cell", implementation=kwargs.pop("implementation", 2),
        )
        super().__init__(cell, return_sequences=return_sequences, return_state=return_state,
                         go_backwards=go_backwards, stateful=stateful, unroll=unroll,
                         activity_regularizer=activity_regularizer, **kwargs)
        self._set_use_cudnn(use_cudnn)

    units = cell_property("units")
    activation = cell_property("activation")
    recurrent_activation = cell_property("recurrent_activation")
    use_bias = cell_property("use_bias")
    reset_after = cell_property("reset_after")
    kernel_initializer = cell_property("kernel_initializer")
    recurrent_initializer = cell_property("recurrent_initializer")
    bias_initializer = cell_property("bias_initializer")
    kernel_regularizer = cell_property("kernel_regularizer")
    recurrent_regularizer = cell_property("recurrent_regularizer")
    bias_regularizer = cell_property("bias_regularizer")
    kernel_constraint = cell_property("kernel_constraint")
    recurrent_constraint = cell_property("recurrent_constraint")
    bias_constraint = cell_property("bias_constraint")
    dropout = cell_property("dropout")
    recurrent_dropout = cell_property("recurrent_dropout")
