"""`BaseRNNCell`: what `SimpleRNNCell`, `LSTMCell` and `GRUCell` share.

Every built-in cell has a `kernel` (inputs to gates), a `recurrent_kernel` (state to gates)
and an optional `bias`, Keras' weights in Keras' order and shapes: `(input_dim, gates *
units)` and `(units, gates * units)`. They are stored transposed, `(gates * units, input_dim)`
and `(gates * units, units)`, the layout of torch's `F.linear` and of its fused recurrent
kernels (`torch.lstm`, `torch.gru`, `torch.rnn_tanh`), with `keras_permutation=(1, 0)`, so
`get_weights`/`set_weights` and saving speak Keras' layout.

A cell computes one step as two halves, which lets `RNN` hoist the input half out of its time
loop (one matmul for the whole sequence instead of one per step):

- `_project(inputs, training)`: the input projection `inputs @ kernel + bias`, for one step
  `(batch, features)` or a whole sequence `(batch, time, features)`;
- `_recur(projected, states, training)`: the rest of the step, `(output, new_states)`.

`call(inputs, states, training)` (Keras' cell API) is `_recur(_project(inputs))`.
"""

import torch

from lamina import activations, constraints, initializers, regularizers
from lamina.layers.layer import Layer
from lamina.layers.rnn.dropout_rnn_cell import DropoutRNNCell
from lamina.validation import validate_choice, validate_positive_int, validate_rate

# Keras' tanh and sigmoid are plain torch functions once the attributes that Keras' sigmoid
# attaches for its losses are dropped; cells call torch's directly inside their time loop.
_TORCH_EQUIVALENT = {activations.tanh: torch.tanh, activations.sigmoid: torch.sigmoid}


def torch_activation(fn):
    """The torch function computing activation `fn` (itself when there is none)."""
    return _TORCH_EQUIVALENT.get(fn, fn)


class BaseRNNCell(DropoutRNNCell, Layer):
    """Weights, arguments and config shared by the built-in cells. See the module docstring.

    Subclasses set `gates` (1, 4 or 3) and define `_project`, `_recur`, `_fused_kind`.
    """

    gates = 1

    def __init__(self, units, activation="tanh", use_bias=True,
                 kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal",
                 bias_initializer="zeros", kernel_regularizer=None, recurrent_regularizer=None,
                 bias_regularizer=None, kernel_constraint=None, recurrent_constraint=None,
                 bias_constraint=None, dropout=0.0, recurrent_dropout=0.0, seed=None,
                 implementation=2, **kwargs):
        super().__init__(**kwargs)
        self.units = validate_positive_int(units, "units", self)
        self.activation = activations.get(activation)
        self.use_bias = bool(use_bias)
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.recurrent_initializer = initializers.get(recurrent_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.recurrent_regularizer = regularizers.get(recurrent_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)
        self.recurrent_constraint = constraints.get(recurrent_constraint)
        self.bias_constraint = constraints.get(bias_constraint)
        self.dropout = validate_rate(dropout, "dropout", self)
        self.recurrent_dropout = validate_rate(recurrent_dropout, "recurrent_dropout", self)
        self.seed = seed
        # Keras' implementation 1 (one dropout mask per gate) whenever recurrent dropout is on.
        self.implementation = 1 if self.recurrent_dropout else validate_choice(
            implementation, "implementation", (1, 2), self)
        if self.implementation == 1 and self.gates > 1:
            self.dropout_mask_count = self.gates
        self.state_size = self.units
        self.output_size = self.units
        self._act = torch_activation(self.activation)

    def build(self, input_shape):
        input_dim = input_shape[-1]
        if input_dim is None:
            raise ValueError(
                f"`{type(self).__name__}` needs the last dimension of its input (the features) "
                f"to be known. Received: input_shape={tuple(input_shape)}"
            )
        width = self.gates * self.units
        self.kernel = self.add_weight(
            shape=(input_dim, width), initializer=self.kernel_initializer, name="kernel",
            regularizer=self.kernel_regularizer, constraint=self.kernel_constraint,
            keras_permutation=(1, 0),
        )
        self.recurrent_kernel = self.add_weight(
            shape=(self.units, width), initializer=self.recurrent_initializer,
            name="recurrent_kernel", regularizer=self.recurrent_regularizer,
            constraint=self.recurrent_constraint, keras_permutation=(1, 0),
        )
        if self.use_bias:
            self.bias = self.add_weight(
                shape=self._bias_shape(), initializer=self._bias_initializer(), name="bias",
                regularizer=self.bias_regularizer, constraint=self.bias_constraint,
            )
        else:
            self.bias = None
        self.built = True

    def _bias_shape(self):
        return (self.gates * self.units,)

    def _bias_initializer(self):
        return self.bias_initializer

    # -- one step ---------------------------------------------------------------------------
    def call(self, inputs, states, training=None):
        """One step: `inputs` `(batch, features)`, `states` a list of `(batch, units)` (or one
        tensor); returns `(output, new_states)` with `new_states` in the form given."""
        is_list = isinstance(states, (list, tuple))
        output, new_states = self._recur(self._project(inputs, training),
                                         list(states) if is_list else [states], training)
        return output, (new_states if is_list else new_states[0])

    def _input_mask(self, inputs, training):
        if not training or not self.dropout:
            return None
        return self.get_dropout_mask(inputs[:, 0] if inputs.dim() == 3 else inputs)

    def _state_mask(self, state, training):
        if not training or not self.recurrent_dropout:
            return None
        return self.get_recurrent_dropout_mask(state)

    def get_initial_state(self, batch_size=None):
        """Zero states, one `(batch_size, units)` tensor per entry of `state_size`."""
        sizes = self.state_size if isinstance(self.state_size, (list, tuple)) else [self.units]
        like = self.kernel if self.built else torch.empty(0)
        return [like.new_zeros((batch_size, size)) for size in sizes]

    # -- the fused kernel (see `fused.py`) ----------------------------------------------------
    def _fused_kind(self):
        """The name of torch's fused kernel computing this cell, or `None`."""
        return

    def _fused_weights(self):
        """The weights in the order and gate layout of torch's fused kernel."""
        return [self.kernel, self.recurrent_kernel]

    def get_config(self):
        return {
            **super().get_config(),
            "units": self.units,
            "activation": activations.serialize(self.activation),
            "use_bias": self.use_bias,
            "kernel_initializer": initializers.serialize(self.kernel_initializer),
            "recurrent_initializer": initializers.serialize(self.recurrent_initializer),
            "bias_initializer": initializers.serialize(self.bias_initializer),
            "kernel_regularizer": regularizers.serialize(self.kernel_regularizer),
            "recurrent_regularizer": regularizers.serialize(self.recurrent_regularizer),
            "bias_regularizer": regularizers.serialize(self.bias_regularizer),
            "kernel_constraint": constraints.serialize(self.kernel_constraint),
            "recurrent_constraint": constraints.serialize(self.recurrent_constraint),
            "bias_constraint": constraints.serialize(self.bias_constraint),
            "dropout": self.dropout,
            "recurrent_dropout": self.recurrent_dropout,
            "seed": self.seed,
        }

    def extra_repr(self):
        return f"name={self.name!r}, units={self.units}"
