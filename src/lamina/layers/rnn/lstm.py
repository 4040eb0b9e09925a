"""`LSTMCell` and `LSTM`: the long short-term memory layer (Hochreiter and Schmidhuber, 1997).

Gates in Keras' order `i, f, c, o` (input, forget, candidate, output), which is also torch's
`i, f, g, o`, so the fused kernel takes the weights as stored. Keras has one bias; torch's
kernel gets it as `b_ih` with a zero `b_hh`.
"""

import torch

from lamina import activations, initializers
from lamina.layers.rnn.base_rnn_cell import BaseRNNCell, torch_activation
from lamina.layers.rnn.dropout_rnn_cell import masked_linear
from lamina.layers.rnn.rnn import BuiltinRNN, cell_property
from lamina.layers.rnn.simple_rnn import _CELL_ARGS
from lamina.registry import register

_LSTM_ARGS = _CELL_ARGS.replace(
    '        use_bias:',
    '        recurrent_activation: Activation of the gates `i, f, o`. Defaults to `"sigmoid"`.\n'
    '        use_bias:',
) + """
        unit_forget_bias: Whether to add 1 to the forget gate's bias at initialization
            (Jozefowicz et al., 2015). Defaults to `True`."""


@register("keras.layers")
class LSTMCell(BaseRNNCell):
    __doc__ = """The cell of `LSTM`: one step of `i, f, o = recurrent_activation(...)`,
    `c = f * c + i * activation(...)`, `h = o * activation(c)`; use it in `RNN`.
    """ + _LSTM_ARGS + """

    Weights:
        kernel: `(input_dim, 4 * units)`; recurrent_kernel: `(units, 4 * units)`; bias:
        `(4 * units,)`; gates `i, f, c, o`. Stored transposed (see `base_rnn_cell`).

    Example:
    >>> import torch, lamina as keras
    >>> cell = keras.layers.LSTMCell(3)
    >>> output, (h, c) = cell(torch.ones(2, 4), [torch.zeros(2, 3), torch.zeros(2, 3)])
    >>> tuple(output.shape), torch.equal(output, h)
    ((2, 3), True)
    """

    gates = 4

    def __init__(self, units, activation="tanh", recurrent_activation="sigmoid", use_bias=True,
                 kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal",
                 bias_initializer="zeros", unit_forget_bias=True, **kwargs):
        super().__init__(units, activation=activation, use_bias=use_bias,
                         kernel_initializer=kernel_initializer,
                         recurrent_initializer=recurrent_initializer,
                         bias_initializer=bias_initializer, **kwargs)
        self.recurrent_activation = activations.get(recurrent_activation)
        self._recurrent_act = torch_activation(self.recurrent_activation)
        self.unit_forget_bias = bool(unit_forget_bias)
        self.state_size = [self.units, self.units]

    def _bias_initializer(self):
        if not self.unit_forget_bias:
            return self.bias_initializer
        units, base = self.units, self.bias_initializer

        def unit_forget(shape, dtype=None):  # the forget gate's quarter starts at 1
            value = initializers.initialize(base, (4 * units,), dtype)
            return torch.cat([value[:units], torch.ones_like(value[:units]), value[2 * units:]])

        return unit_forget

    def _project(self, inputs, training):
        return masked_linear(inputs, self.kernel, self._input_mask(inputs, training), self.bias)

    def _recur(self, projected, states, training):
        h, c = states[0], states[1]
        z = projected + masked_linear(h, self.recurrent_kernel, self._state_mask(h, training))
        i, f, g, o = z.chunk(4, -1)  # (batch, units) each
        act, gate = self._act, self._recurrent_act
        c = gate(f) * c + gate(i) * act(g)
        h = gate(o) * act(c)
        return h, [h, c]

    def _fused_kind(self):
        if (self._act is torch.tanh and self._recurrent_act is torch.sigmoid
                and not self.recurrent_dropout):
            return "lstm"
        return None

    def _fused_weights(self):
        if self.bias is None:
            return [self.kernel, self.recurrent_kernel]
        return [self.kernel, self.recurrent_kernel, self.bias, torch.zeros_like(self.bias)]

    def get_config(self):
        return {**super().get_config(),
                "recurrent_activation": activations.serialize(self.recurrent_activation),
                "unit_forget_bias": self.unit_forget_bias}


@register("keras.layers")
class LSTM(BuiltinRNN):
    __doc__ = """Long short-term memory layer (Hochreiter and Schmidhuber, 1997).

    Runs as one fused torch kernel (cuDNN on GPU) when `activation="tanh"`,
    `recurrent_activation="sigmoid"`, `recurrent_dropout=0` and `unroll=False`, for
    unmasked or right-padded inputs; otherwise as a step loop with the same results (see
    `rnn.fused`).
    """ + _LSTM_ARGS + """
        activity_regularizer: Regularizer of the output. Defaults to `None`.
        return_sequences, return_state, go_backwards, stateful, unroll: See `RNN`.
        use_cudnn: `"auto"` takes the fused kernel when the configuration allows it, `False`
            never, `True` requires it (a `ValueError` if the configuration has none).
            Defaults to `"auto"`.

    Call arguments:
        sequences: `(batch, time, features)`.
        initial_state: `[h, c]`, two `(batch, units)` tensors. Defaults to zeros.
        mask: Boolean `(batch, time)`, `False` for padded steps. Defaults to `None`.
        training: Whether dropout is active.

    Output shape:
        `(batch, units)`, or `(batch, time, units)` with `return_sequences`; with
        `return_state`, `(output, h, c)`.

    Example:
    >>> import torch, lamina as keras
    >>> layer = keras.layers.LSTM(4, return_sequences=True, return_state=True)
    >>> sequence, h, c = layer(torch.ones(2, 5, 3))
    >>> tuple(sequence.shape), tuple(h.shape), tuple(c.shape)
    ((2, 5, 4), (2, 4), (2, 4))
    """

    def __init__(self, units, activation="tanh", recurrent_activation="sigmoid", use_bias=True,
                 kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal",
                 bias_initializer="zeros", unit_forget_bias=True, kernel_regularizer=None,
                 recurrent_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 kernel_constraint=None, recurrent_constraint=None, bias_constraint=None,
                 dropout=0.0, recurrent_dropout=0.0, seed=None, return_sequences=False,
                 return_state=False, go_backwards=False, stateful=False, unroll=False,
                 use_cudnn="auto", **kwargs):
        cell = LSTMCell(
            units, activation=activation, recurrent_activation=recurrent_activation,
            use_bias=use_bias, kernel_initializer=kernel_initializer,
            recurrent_initializer=recurrent_initializer, bias_initializer=bias_initializer,
            unit_forget_bias=unit_forget_bias, kernel_regularizer=kernel_regularizer,
            recurrent_regularizer=recurrent_regularizer, bias_regularizer=bias_regularizer,
            kernel_constraint=kernel_constraint, recurrent_constraint=recurrent_constraint,
            bias_constraint=bias_constraint, dropout=dropout,
            recurrent_dropout=recurrent_dropout, seed=seed, dtype=kwargs.get("dtype"),
            trainable=kwargs.get("trainable", True), name="lstm_cell",
            implementation=kwargs.pop("implementation", 2),
        )
        super().__init__(cell, return_sequences=return_sequences, return_state=return_state,
                         go_backwards=go_backwards, stateful=stateful, unroll=unroll,
                         activity_regularizer=activity_regularizer, **kwargs)
        self._set_use_cudnn(use_cudnn)

    units = cell_property("units")
    activation = cell_property("activation")
    recurrent_activation = cell_property("recurrent_activation")
    use_bias = cell_property("use_bias")
    unit_forget_bias = cell_property("unit_forget_bias")
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
