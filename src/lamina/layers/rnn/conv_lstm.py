"""`ConvLSTM1D`, `ConvLSTM2D`, `ConvLSTM3D`: LSTMs whose transforms are convolutions.

The convolutional LSTM (Shi et al., 2015) is an `LSTM` whose input-to-gates and
state-to-gates products are convolutions, so its states keep the spatial layout of the input:
`(batch, *spatial, filters)` channels-last (Keras' default), `(batch, filters, *spatial)`
channels-first. Gates are in Keras' order `i, f, c, o`.

How it computes (see `ConvLSTMCell`, a `BaseRNNCell` run by the generic `RNN` step loop):

- the input half of every step is one convolution over the whole sequence, time folded into
  the batch (`_project`), with the kernel's `strides`, `dilation_rate` and `padding`;
- each step then adds one convolution of the hidden state (`_recur`), always stride 1,
  dilation 1 and "same" padding (Keras' choice), and applies the LSTM update;
- both convolutions run on channels-first *views* of channels-last tensors (torch's
  `channels_last` memory format), so no activation is copied at the boundary. Keras' "same"
  padding (the odd extra cell after) is torch's symmetric `padding=` when it can be, one
  `F.pad` otherwise (an even kernel size);
- with dropout, the four gates see four differently masked copies of their input (Keras'
  per-gate masks); the copies are stacked along the channels and convolved at once as a
  grouped convolution (`groups=4`), whose four groups are exactly the four gates of the kernel.
"""

import torch
import torch.nn.functional as F

from lamina import activations, constraints, initializers, regularizers
from lamina.layers.convolutional.base_conv import (
    CONV_FUNCTIONS,
    keras_kernel_permutation,
)
from lamina.layers.layer import Layer
from lamina.layers.rnn.base_rnn_cell import (
    BaseRNNCell,
    torch_activation,
)
from lamina.layers.rnn.rnn import BuiltinRNN, cell_property
from lamina.layers.spatial import (
    check_rank,
    conv_output_length,
    normalize_data_format,
    normalize_padding,
    normalize_tuple,
    same_padding,
    to_channels_first,
    to_channels_last,
)
from lamina.registry import register
from lamina.validation import validate_choice, validate_positive_int


class ConvLSTMCell(BaseRNNCell):
    """The cell of `ConvLSTM1D/2D/3D`: one step of the convolutional LSTM.

    Args:
        rank: 1, 2 or 3, the number of spatial dimensions.
        filters, kernel_size, ...: See `ConvLSTM2D`.

    States: `[h, c]`, each `(batch, *out_spatial, filters)` (channels-first: `(batch, filters,
    *out_spatial)`), where `out_spatial` is the input convolution's output size.
    `state_size` is `[filters, filters]`, the states' channels.

    Weights:
        kernel: `(*kernel_size, input_channels, 4 * filters)`; recurrent_kernel:
        `(*kernel_size, filters, 4 * filters)`; bias: `(4 * filters,)`; gates `i, f, c, o`.
        Stored in torch's `(4 * filters, channels, *kernel_size)`.
    """

    gates = 4

    def __init__(self, rank, filters, kernel_size, strides=1, padding="valid", data_format=None,
                 dilation_rate=1, activation="tanh", recurrent_activation="sigmoid",
                 use_bias=True, kernel_initializer="glorot_uniform",
                 recurrent_initializer="orthogonal", bias_initializer="zeros",
                 unit_forget_bias=True, **kwargs):
        rank = validate_choice(rank, "rank", (1, 2, 3), self)
        filters, kernel_size, strides, padding, data_format, dilation_rate = check_conv_args(
            self, rank, filters, kernel_size, strides, padding, data_format, dilation_rate)
        super().__init__(filters, activation=activation, use_bias=use_bias,
                         kernel_initializer=kernel_initializer,
                         recurrent_initializer=recurrent_initializer,
                         bias_initializer=bias_initializer, **kwargs)
        self.rank = rank
        self.filters = filters
        self.kernel_size = kernel_size
        self.strides = strides
        self.padding = padding
        self.data_format = data_format
        self.dilation_rate = dilation_rate
        self.recurrent_activation = activations.get(recurrent_activation)
        self._recurrent_act = torch_activation(self.recurrent_activation)
        self.unit_forget_bias = bool(unit_forget_bias)
        self.dropout_mask_count = 4  # Keras: one dropout mask per gate, always
        self.state_size = [filters, filters]
        self._conv = CONV_FUNCTIONS[rank]
        self._channels_last = self.data_format == "channels_last"
        self._owner_name = type(self).__name__  # the layer named in errors; ConvLSTM sets it

    # -- build --------------------------------------------------------------------------------
    def build(self, input_shape):
        """`input_shape` is one step's: `(batch, *spatial, channels)` (or channels-first)."""
        shape = tuple(input_shape)
        if self._channels_last:
            channels, spatial = shape[-1], shape[1:-1]
        else:
            channels, spatial = shape[1], shape[2:]
        if channels is None or None in spatial:
            raise ValueError(
                f"`{self._owner_name}` needs the channels and the spatial dimensions of its "
                f"input to be known (static). Received: a step of shape {shape} with "
                f"data_format={self.data_format!r}."
            )
        effective = [(k - 1) * d + 1 for k, d in zip(self.kernel_size, self.dilation_rate)]
        if self.padding == "valid" and any(s < e for s, e in zip(spatial, effective)):
            raise ValueError(
                f"`{self._owner_name}` cannot apply a kernel of size {self.kernel_size} "
                f"(dilation_rate={self.dilation_rate}) with padding='valid' to spatial "
                f"dimensions {spatial}: the kernel is larger than the input, so the output "
                "would be empty. Use padding='same' or a smaller kernel."
            )
        out = tuple(conv_output_length(s, k, self.padding, st, d) for s, k, st, d in
                    zip(spatial, self.kernel_size, self.strides, self.dilation_rate))
        self.input_dim = channels
        self.spatial_dims = spatial
        self.state_shape = (*out, self.filters) if self._channels_last else (self.filters, *out)
        self._input_padding = _torch_padding(self.padding, spatial, effective, self.strides)
        self._recurrent_padding = _torch_padding("same", out, self.kernel_size,
                                                 (1,) * self.rank)
        permutation = keras_kernel_permutation(self.rank)
        width = 4 * self.filters
        self.kernel = self.add_weight(
            shape=(*self.kernel_size, channels, width), initializer=self.kernel_initializer,
            name="kernel", regularizer=self.kernel_regularizer,
            constraint=self.kernel_constraint, keras_permutation=permutation,
        )
        self.recurrent_kernel = self.add_weight(
            shape=(*self.kernel_size, self.filters, width),
            initializer=self.recurrent_initializer, name="recurrent_kernel",
            regularizer=self.recurrent_regularizer, constraint=self.recurrent_constraint,
            keras_permutation=permutation,
        )
        if self.use_bias:
            self.bias = self.add_weight(
                shape=(width,), initializer=self._bias_initializer(), name="bias",
                regularizer=self.bias_regularizer, constraint=self.bias_constraint,
            )
        else:
            self.bias = None
        self.built = True

    def _bias_initializer(self):
        if not self.unit_forget_bias:
            return self.bias_initializer
        filters, base = self.filters, self.bias_initializer

        def unit_forget(shape, dtype=None):  # Keras: base (f), ones (f), base (2f)
            first = initializers.initialize(base, (filters,), dtype)
            rest = initializers.initialize(base, (2 * filters,), dtype)
            return torch.cat([first, torch.ones_like(first), rest])

        return unit_forget

    # -- one step, in two halves (see `BaseRNNCell`) --------------------------------------------
    def _project(self, inputs, training):
        """The input convolution of a step `(batch, *step)` or of a whole sequence `(batch,
        time, *step)`, returned channels-first per step: `(batch, [time,] 4 * filters,
        *out_spatial)`."""
        sequence = inputs.dim() == self.rank + 3
        mask = None  # (4, batch, *step): one dropout mask per gate
        if training and self.dropout:
            mask = self.get_dropout_mask(inputs[:, 0] if sequence else inputs)
        x, groups = inputs, 1
        if mask is not None:  # the four gates' masked copies, one grouped convolution
            x, groups = _gate_copies(inputs, mask[:, :, None] if sequence else mask,
                                     self._gate_axis(inputs)), 4
        if sequence:
            x = x.flatten(0, 1)  # (batch * time, *step)
        padding, pad = self._input_padding
        x = to_channels_first(x, self.data_format)  # a view
        if pad is not None:
            x = F.pad(x, pad)
        y = self._conv(x, self.kernel, self.bias, self.strides, padding, self.dilation_rate,
                       groups)  # (batch [* time], 4 * filters, *out_spatial)
        return y.unflatten(0, inputs.shape[:2]) if sequence else y

    def _recur(self, projected, states, training):
        h, c = states[0], states[1]  # the user's layout
        mask = self._state_mask(h, training)
        x, groups = h, 1
        if mask is not None:
            x, groups = _gate_copies(h, mask, self._gate_axis(h)), 4
        padding, pad = self._recurrent_padding
        x = to_channels_first(x, self.data_format)
        if pad is not None:
            x = F.pad(x, pad)
        z = projected + self._conv(x, self.recurrent_kernel, None, 1, padding, 1, groups)
        i, f, g, o = z.chunk(4, 1)  # (batch, filters, *out_spatial) each
        act, gate = self._act, self._recurrent_act
        c = gate(f) * to_channels_first(c, self.data_format) + gate(i) * act(g)
        h = to_channels_last(gate(o) * act(c), self.data_format)
        return h, [h, to_channels_last(c, self.data_format)]

    def _gate_axis(self, x):
        """Where `_gate_copies` puts the gate axis: before the channels of a step or
        sequence."""
        return -2 if self._channels_last else x.dim() - self.rank - 1

    def get_initial_state(self, batch_size=None):
        """Zero states `[h, c]`, each `(batch_size, *state_shape)` (needs the cell built)."""
        return [self.kernel.new_zeros((batch_size, *self.state_shape)) for _ in range(2)]

    def get_config(self):
        return {
            **Layer.get_config(self),
            "rank": self.rank,
            "filters": self.filters,
            "kernel_size": self.kernel_size,
            "strides": self.strides,
            "padding": self.padding,
            "data_format": self.data_format,
            "dilation_rate": self.dilation_rate,
            "activation": activations.serialize(self.activation),
            "recurrent_activation": activations.serialize(self.recurrent_activation),
            "use_bias": self.use_bias,
            "kernel_initializer": initializers.serialize(self.kernel_initializer),
            "recurrent_initializer": initializers.serialize(self.recurrent_initializer),
            "bias_initializer": initializers.serialize(self.bias_initializer),
            "unit_forget_bias": self.unit_forget_bias,
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
        return (f"name={self.name!r}, filters={self.filters}, "
                f"kernel_size={self.kernel_size}, padding={self.padding!r}")


def check_conv_args(owner, rank, filters, kernel_size, strides, padding, data_format,
                    dilation_rate):
    """The convolution arguments checked and normalised, errors naming `owner`'s class."""
    filters = validate_positive_int(filters, "filters", owner)
    kernel_size = normalize_tuple(kernel_size, rank, "kernel_size", owner)
    strides = normalize_tuple(strides, rank, "strides", owner)
    dilation_rate = normalize_tuple(dilation_rate, rank, "dilation_rate", owner)
    if max(strides) > 1 and max(dilation_rate) > 1:
        raise ValueError(
            f"`{type(owner).__name__}` does not support `strides > 1` together with "
            f"`dilation_rate > 1`. Received: strides={strides} and "
            f"dilation_rate={dilation_rate}."
        )
    return (filters, kernel_size, strides, normalize_padding(padding, owner),
            normalize_data_format(data_format, owner), dilation_rate)


def _gate_copies(x, mask, axis):
    """`x` times each gate's dropout mask, the four copies side by side along the channels,
    gate-major: `mask` is `(4, *shape)` broadcastable to `x`, and `axis` is where the gate
    axis goes in `x`, just before the channel axis (`-2` channels-last). The channels `C`
    become `4 * C`, which a `groups=4` convolution splits back into the four gates."""
    return (x.unsqueeze(axis) * mask.movedim(0, axis)).flatten(axis, axis + 1)


def _torch_padding(padding, spatial, kernel, strides):
    """Keras' `padding` of inputs of size `spatial` as `(padding, pad)`: torch's symmetric
    `padding=` argument, and the `F.pad` argument when it must be asymmetric (else `None`)."""
    if padding == "valid":
        return 0, None
    pairs = [same_padding(s, k, st) for s, k, st in zip(spatial, kernel, strides)]
    if all(before == after for before, after in pairs):
        return tuple(before for before, _ in pairs), None
    return 0, tuple(p for pair in reversed(pairs) for p in pair)  # F.pad: last dim first


class ConvLSTM(BuiltinRNN):
    """Base of `ConvLSTM1D`, `ConvLSTM2D` and `ConvLSTM3D`: an `RNN` running a
    `ConvLSTMCell`. Subclasses set `rank`. See `ConvLSTM2D` for the arguments."""

    rank = None
    _exact_rank = False  # the rank (rank + 3) is checked in `build`

    def __init__(self, filters, kernel_size, strides=1, padding="valid", data_format=None,
                 dilation_rate=1, activation="tanh", recurrent_activation="sigmoid",
                 use_bias=True, kernel_initializer="glorot_uniform",
                 recurrent_initializer="orthogonal", bias_initializer="zeros",
                 unit_forget_bias=True, kernel_regularizer=None, recurrent_regularizer=None,
                 bias_regularizer=None, activity_regularizer=None, kernel_constraint=None,
                 recurrent_constraint=None, bias_constraint=None, dropout=0.0,
                 recurrent_dropout=0.0, seed=None, return_sequences=False, return_state=False,
                 go_backwards=False, stateful=False, unroll=False, **kwargs):
        check_conv_args(self, self.rank, filters, kernel_size, strides, padding, data_format,
                        dilation_rate)  # first here, so that errors name this layer
        cell = ConvLSTMCell(
            self.rank, filters, kernel_size, strides=strides, padding=padding,
            data_format=data_format, dilation_rate=dilation_rate, activation=activation,
            recurrent_activation=recurrent_activation, use_bias=use_bias,
            kernel_initializer=kernel_initializer, recurrent_initializer=recurrent_initializer,
            bias_initializer=bias_initializer, unit_forget_bias=unit_forget_bias,
            kernel_regularizer=kernel_regularizer, recurrent_regularizer=recurrent_regularizer,
            bias_regularizer=bias_regularizer, kernel_constraint=kernel_constraint,
            recurrent_constraint=recurrent_constraint, bias_constraint=bias_constraint,
            dropout=dropout, recurrent_dropout=recurrent_dropout, seed=seed,
            dtype=kwargs.get("dtype"), trainable=kwargs.get("trainable", True),
            name="conv_lstm_cell",
        )
        cell._owner_name = type(self).__name__
        super().__init__(cell, return_sequences=return_sequences, return_state=return_state,
                         go_backwards=go_backwards, stateful=stateful, unroll=unroll,
                         activity_regularizer=activity_regularizer, **kwargs)

    def build(self, sequences_shape):
        check_rank(self, tuple(sequences_shape), self.rank + 3)
        super().build(sequences_shape)

    # -- states are spatial: `(batch, *state_shape)` rather than `(batch, units)` ------------
    def _zero_states(self, batch_size, like):
        return [like.new_zeros((batch_size, *self.cell.state_shape)) for _ in range(2)]

    def _initial_states(self, initial_state, sequences):
        if initial_state is None:
            return super()._initial_states(None, sequences)
        given = [s if isinstance(s, torch.Tensor) else
                 torch.as_tensor(s, dtype=sequences.dtype, device=sequences.device)
                 for s in initial_state]
        expected = [(sequences.shape[0], *self.cell.state_shape)] * 2
        if [tuple(s.shape) for s in given] != expected:
            raise ValueError(
                f"`{type(self).__name__}` expects `initial_state` to be 2 tensors `[h, c]` of "
                f"shape {expected[0]}. Received: initial_state with shape(s) "
                f"{[tuple(s.shape) for s in given]}."
            )
        return given

    def get_config(self):
        config = super().get_config()
        del config["rank"]
        return config

    filters = cell_property("filters")
    kernel_size = cell_property("kernel_size")
    strides = cell_property("strides")
    padding = cell_property("padding")
    data_format = cell_property("data_format")
    dilation_rate = cell_property("dilation_rate")
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


_DOC = """{rank}D convolutional LSTM: an `LSTM` whose input and recurrent transforms are
    {rank}D convolutions (Shi et al., 2015), so the states are {rank}D feature maps.

    Args:
        filters: Positive integer, the channels of the output and of each state.
        kernel_size: Integer or tuple of {rank} integers, the convolution window (of both the
            input and the recurrent convolution).
        strides: Integer or tuple of {rank} integers, the input convolution's strides (the
            recurrent one has stride 1). Not with `dilation_rate > 1`. Defaults to `1`.
        padding: `"valid"` or `"same"` (case-insensitive), the input convolution's padding
            (the recurrent one is always "same"). Defaults to `"valid"`.
        data_format: `"channels_last"` for inputs `(batch, time, {spatial}, channels)` or
            `"channels_first"` for `(batch, time, channels, {spatial})`. Defaults to `None`,
            `keras.config.image_data_format()`.
        dilation_rate: Integer or tuple of {rank} integers, the input convolution's
            dilation. Defaults to `1`.
        activation: Activation of the candidate and of the output. Defaults to `"tanh"`.
        recurrent_activation: Activation of the gates `i, f, o`. Defaults to `"sigmoid"`.
        use_bias: Whether to add a bias. Defaults to `True`.
        kernel_initializer: Initializer of `kernel`. Defaults to `"glorot_uniform"`.
        recurrent_initializer: Initializer of `recurrent_kernel`. Defaults to
            `"orthogonal"`.
        bias_initializer: Initializer of `bias`. Defaults to `"zeros"`.
        unit_forget_bias: Whether the forget gate's bias starts at 1 (Jozefowicz et al.,
            2015). Defaults to `True`.
        kernel_regularizer, recurrent_regularizer, bias_regularizer: Regularizers of the
            weights. Default to `None`.
        activity_regularizer: Regularizer of the output. Defaults to `None`.
        kernel_constraint, recurrent_constraint, bias_constraint: Constraints of the weights.
            Default to `None`.
        dropout: Fraction of the input to drop (one mask per gate, the same at every step).
            Defaults to `0.0`.
        recurrent_dropout: Fraction of the hidden state to drop. Defaults to `0.0`.
        seed: Seed of the dropout masks. Defaults to `None`.
        return_sequences, return_state, go_backwards, stateful, unroll: See `RNN`.
        **kwargs: Base layer arguments (`name`, `dtype`, `trainable`, `input_shape`, ...).

    Call arguments:
        sequences: `(batch, time, {spatial}, channels)` (or channels-first), with static
            spatial dimensions.
        initial_state: `[h, c]`, two tensors shaped like the output of one step. Defaults
            to zeros.
        mask: Boolean `(batch, time)`, `False` for padded steps. Defaults to `None`.
        training: Whether dropout is active.

    Weights:
        kernel: `(*kernel_size, channels, 4 * filters)`; recurrent_kernel: `(*kernel_size,
        filters, 4 * filters)`; bias: `(4 * filters,)`; gates `i, f, c, o`. Stored as
        torch's `(4 * filters, in, *kernel_size)`.

    Output shape:
        `(batch, {new}, filters)` (channels-first: `(batch, filters, {new})`), where
        `{new}` is the input convolution's output size; `(batch, time, ...)` with
        `return_sequences`; with `return_state`, `(output, h, c)`.

    Example:
    >>> import torch, lamina as keras
    >>> layer = keras.layers.ConvLSTM{rank}D(4, 3, padding="same", return_sequences=True)
    >>> tuple(layer(torch.ones(2, 5, {example}, 3)).shape)
    (2, 5, {example}, 4)
    """


@register("keras.layers")
class ConvLSTM1D(ConvLSTM):
    __doc__ = _DOC.format(rank=1, spatial="steps", new="new_steps", example=8)
    rank = 1


@register("keras.layers")
class ConvLSTM2D(ConvLSTM):
    __doc__ = _DOC.format(rank=2, spatial="rows, cols", new="new_rows, new_cols",
                          example="8, 6")
    rank = 2


@register("keras.layers")
class ConvLSTM3D(ConvLSTM):
    __doc__ = _DOC.format(rank=3, spatial="dim1, dim2, dim3",
                          new="new_dim1, new_dim2, new_dim3", example="4, 3, 2")
    rank = 3
