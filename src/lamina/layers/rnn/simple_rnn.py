"""`SimpleRNNCell` and `SimpleRNN`: the fully connected recurrent layer,
`h_t = activation(x_t @ kernel + h_{t-1} @ recurrent_kernel + bias)`."""

import torch
import torch.nn.functional as F

from lamina import activations
from lamina.layers.rnn.base_rnn_cell import BaseRNNCell
from lamina.layers.rnn.dropout_rnn_cell import masked_linear
from lamina.layers.rnn.rnn import BuiltinRNN, cell_property
from lamina.registry import register

_CELL_ARGS = ("""
    Args:
        units: Positive integer, dimensionality of the output space (and of the state).
        activation: Activation function or its name. Defaults to `"tanh"`.
        use_bias: Whether to add a bias vector. Defaults to `True`.
        kernel_initializer: Initializer of `kernel`. Defaults to `"glorot_uniform"`.
        recurrent_initializer: Initializer of `recurrent_kernel`. Defaults to `"orthogonal"`.
        bias_initializer: Initializer of `bias`. Defaults to `"zeros"`.
        kernel_regularizer, recurrent_regularizer, bias_regularizer: Regularizers of the
            three weights. Default to `None`.
        kernel_constraint, recurrent_constraint, bias_constraint: Constraints of the three
            weights. Default to `None`.
        dropout: Float in [0, 1), fraction of the input units to drop (one mask per sequence).
            Defaults to `0.0`.
        recurrent_dropout: Float in [0, 1), fraction of the state units to drop. Defaults to
            `0.0`.
        seed: Integer seed recorded in the config; masks are drawn from torch's global
            generator. Defaults to `None`.""")


@register("keras.layers")
class SimpleRNNCell(BaseRNNCell):
    __doc__ = """The cell of `SimpleRNN`: one step `h = activation(x @ kernel + h @
    recurrent_kernel + bias)`; use it in `RNN`.
    """ + _CELL_ARGS + """

    Weights:
        kernel: `(input_dim, units)`; recurrent_kernel: `(units, units)`; bias: `(units,)`.
        Stored transposed (see `base_rnn_cell`).

    Example:
    >>> import torch, lamina as keras
    >>> cell = keras.layers.SimpleRNNCell(3)
    >>> output, states = cell(torch.ones(2, 4), [torch.zeros(2, 3)])
    >>> tuple(output.shape), len(states)
    ((2, 3), 1)
    """

    gates = 1

    def _project(self, inputs, training):
        return masked_linear(inputs, self.kernel, self._input_mask(inputs, training), self.bias)

    def _recur(self, projected, states, training):
        h = states[0]
        output = self._act(projected + masked_linear(h, self.recurrent_kernel,
                                                     self._state_mask(h, training)))
        return output, [output]

    def _fused_kind(self):
        if self.recurrent_dropout:
            return None
        if self._act is torch.tanh:
            return "rnn_tanh"
        if self.activation is activations.relu or self.activation in (torch.relu, F.relu):
            return "rnn_relu"
        return None

    def _fused_weights(self):
        if self.bias is None:
            return [self.kernel, self.recurrent_kernel]
        return [self.kernel, self.recurrent_kernel, self.bias, torch.zeros_like(self.bias)]


@register("keras.layers")
class SimpleRNN(BuiltinRNN):
    __doc__ = """Fully connected recurrent layer: the output of each step is fed back as the
    state of the next, `h_t = activation(x_t @ kernel + h_{t-1} @ recurrent_kernel + bias)`.

    Runs as one fused torch kernel for `tanh` and `relu` activations (see `rnn.fused`).
    """ + _CELL_ARGS + """
        activity_regularizer: Regularizer of the output. Defaults to `None`.
        return_sequences, return_state, go_backwards, stateful, unroll: See `RNN`.

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
    >>> layer = keras.layers.SimpleRNN(4, return_sequences=True, return_state=True)
    >>> sequence, state = layer(torch.ones(2, 5, 3))
    >>> tuple(sequence.shape), tuple(state.shape)
    ((2, 5, 4), (2, 4))
    """

    def __init__(self, units, activation="tanh", use_bias=True,
                 kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal",
                 bias_initializer="zeros", kernel_regularizer=None, recurrent_regularizer=None,
                 bias_regularizer=None, activity_regularizer=None, kernel_constraint=None,
                 recurrent_constraint=None, bias_constraint=None, dropout=0.0,
                 recurrent_dropout=0.0, return_sequences=False, return_state=False,
                 go_backwards=False, stateful=False, unroll=False, seed=None, **kwargs):
        cell = SimpleRNNCell(
            units, activation=activation, use_bias=use_bias,
            kernel_initializer=kernel_initializer, recurrent_initializer=recurrent_initializer,
            bias_initializer=bias_initializer, kernel_regularizer=kernel_regularizer,
            recurrent_regularizer=recurrent_regularizer, bias_regularizer=bias_regularizer,
            kernel_constraint=kernel_constraint, recurrent_constraint=recurrent_constraint,
            bias_constraint=bias_constraint, dropout=dropout,
            recurrent_dropout=recurrent_dropout, seed=seed, dtype=kwargs.get("dtype"),
            trainable=kwargs.get("trainable", True), name="simple_rnn_cell",
        )
        super().__init__(cell, return_sequences=return_sequences, return_state=return_state,
                         go_backwards=go_backwards, stateful=stateful, unroll=unroll,
                         activity_regularizer=activity_regularizer, **kwargs)

    units = cell_property("units")
    activation = cell_property("activation")
    use_bias = cell_property("use_bias")
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
