"""`RNN`: a recurrent layer running a cell over the time axis of `(batch, time, features)`.

The cell API is Keras': `state_size` (an int, or a list with one entry per state),
`output_size`, `call(inputs, states, training=None) -> (output, new_states)` and optionally
`get_initial_state(batch_size)`. `LSTM`, `GRU` and `SimpleRNN` are this layer with a built-in
cell. Two ways to compute:

- the step loop (`_step_loop`): a Python loop over time calling the cell. Built-in cells
  project the whole input sequence in one matmul before the loop, so each step only does the
  recurrent half. `unroll` changes nothing here (torch runs eagerly, and `torch.compile`
  unrolls the loop either way); it only keeps the layer off the fast path, as in Keras.
- the fast path (`fused.py`): one call of torch's fused LSTM/GRU/RNN kernel, for built-in
  cells whose configuration allows it; `fused.py`'s docstring lists when.

Masks follow Keras: a masked step keeps the previous states, and outputs the previous output
(the first state; zeros with `zero_output_for_mask=True`). `go_backwards=True` reads the
sequence from its end and returns the outputs in that (reversed) order.
"""

import torch
from torch._subclasses.fake_tensor import is_fake

from lamina import config, registry
from lamina.layers.keras_tensor import flatten
from lamina.layers.layer import Layer
from lamina.layers.rnn.base_rnn_cell import BaseRNNCell
from lamina.layers.rnn.dropout_rnn_cell import DropoutRNNCell
from lamina.layers.rnn.fused import fused_rnn
from lamina.layers.rnn.stacked_rnn_cells import StackedRNNCells, check_cell
from lamina.registry import register


@register("keras.layers")
class RNN(Layer):
    """Base class of recurrent layers: runs `cell` over the time axis.

    Args:
        cell: An RNN cell (see the module docstring), or a list of cells, stacked with
            `StackedRNNCells`.
        return_sequences: Whether to return the output of every step `(batch, time, units)`
            rather than the last one `(batch, units)`. Defaults to `False`.
        return_state: Whether to return the final states after the output. Defaults to
            `False`.
        go_backwards: Whether to process the sequence from its end (the returned sequence is
            then reversed). Defaults to `False`.
        stateful: Whether the final states of a batch are the initial states of the next
            (sample `i` continues sample `i`). Needs a fixed batch size (`Input(batch_size=...)`
            or a first call); `reset_state()` zeroes the states. Defaults to `False`.
        unroll: Whether to unroll the loop (Keras' option for short sequences). In lamina it
            only keeps the layer on the step loop. Defaults to `False`.
        zero_output_for_mask: Whether masked steps output zeros rather than the previous
            output (only visible with `return_sequences`). Defaults to `False`.
        **kwargs: Base layer arguments (`name`, `dtype`, `trainable`, `input_shape`, ...).

    Call arguments:
        sequences: `(batch, time, features)`.
        initial_state: A tensor or list of tensors (one per state, `(batch, state_size)`).
            Defaults to zeros (or the kept states when `stateful`).
        mask: Boolean `(batch, time)`; `False` marks a padded step to skip.
        training: Whether dropout in the cell is active.

    Output shape:
        `(batch, units)`, or `(batch, time, units)` with `return_sequences`; with
        `return_state`, a tuple `(output, *final_states)`.

    Example:
    >>> import torch, lamina as keras
    >>> layer = keras.layers.RNN(keras.layers.SimpleRNNCell(4), return_sequences=True)
    >>> tuple(layer(torch.ones(2, 5, 3)).shape)
    (2, 5, 4)
    """

    _exact_rank = False  # LSTM, GRU and SimpleRNN take exactly (batch, time, features)

    def __init__(self, cell, return_sequences=False, return_state=False, go_backwards=False,
                 stateful=False, unroll=False, zero_output_for_mask=False, **kwargs):
        if isinstance(cell, (list, tuple)):
            cell = StackedRNNCells(cell)
        check_cell(cell, "RNN", "cell")
        super().__init__(**kwargs)
        self.cell = cell
        self.return_sequences = bool(return_sequences)
        self.return_state = bool(return_state)
        self.go_backwards = bool(go_backwards)
        self.stateful = bool(stateful)
        self.unroll = bool(unroll)
        self.zero_output_for_mask = bool(zero_output_for_mask)
        self.supports_masking = True
        self.use_cudnn = "auto"
        state_size = cell.state_size
        self.single_state = not isinstance(state_size, (list, tuple))
        self.state_size = [state_size] if self.single_state else list(state_size)
        self._state_count = 0  # stateful: how many state buffers (`state_0`, ...) there are

    # -- build ------------------------------------------------------------------------------
    def build(self, sequences_shape):
        shape = tuple(sequences_shape)
        rank_ok = len(shape) == 3 if self._exact_rank else len(shape) >= 3
        if not rank_ok:
            ndim = "ndim=3" if self._exact_rank else "min_ndim=3"
            raise ValueError(
                f'Input 0 of layer "{self.name}" is incompatible with the layer: expected '
                f"{ndim} (batch, timesteps, features), found ndim={len(shape)}. Full shape "
                f"received: {shape}"
            )
        if self.unroll and shape[1] is None:
            raise ValueError(
                f"`{type(self).__name__}` cannot unroll (`unroll=True`) over an unknown number "
                f"of timesteps. Received: input_shape={shape}. Give the time dimension in "
                "`Input(shape=(timesteps, features))`, or use `unroll=False`."
            )
        if isinstance(self.cell, Layer) and not self.cell.built:
            step_shape = (shape[0], *shape[2:])
            self.cell.build(step_shape)
            self.cell.built = True
            self.cell._build_shape = (None, *step_shape[1:])
        if self.stateful:
            if shape[0] is None:
                raise ValueError(
                    "When using `stateful=True` in a RNN, the batch size must be static. Found "
                    f"dynamic batch size: sequence.shape={shape}. Pass `batch_size=` to "
                    "`Input`, or call the layer on data first."
                )
            like = torch.empty(0, dtype=self._dtype, device=config.device())
            for i, state in enumerate(flatten(self._zero_states(shape[0], like))):
                self.register_buffer(f"state_{i}", state.detach().clone(), persistent=False)
            self._state_count = len(self._flat_state_sizes())
        self.built = True

    # -- states -----------------------------------------------------------------------------
    @property
    def states(self):
        """The kept states of a stateful layer (a list, nested per cell when stacked), or
        `None`."""
        if not self._state_count:
            return None
        return _pack(self._template(), [getattr(self, f"state_{i}")
                                        for i in range(self._state_count)])

    def _template(self):
        """The nested structure of the states: a list per cell when stacked."""
        if isinstance(self.cell, StackedRNNCells):
            return [[None] * len(_sizes(c.state_size)) for c in self.cell.cells]
        return [None] * len(self.state_size)

    def _zero_states(self, batch_size, like):
        cells = self.cell.cells if isinstance(self.cell, StackedRNNCells) else [self.cell]
        per_cell = []
        for cell in cells:
            fn = getattr(cell, "get_initial_state", None)
            if fn is not None and not isinstance(cell, BaseRNNCell):
                state = fn(batch_size=batch_size)
                per_cell.append(list(state) if isinstance(state, (list, tuple)) else [state])
            else:
                per_cell.append([like.new_zeros((batch_size, size))
                                 for size in _sizes(cell.state_size)])
        return per_cell if isinstance(self.cell, StackedRNNCells) else per_cell[0]

    def _flat_state_sizes(self):
        cells = self.cell.cells if isinstance(self.cell, StackedRNNCells) else [self.cell]
        return [size for cell in cells for size in _sizes(cell.state_size)]

    def get_initial_state(self, batch_size):
        """Zero states for a batch of `batch_size` (a list, nested per cell when stacked)."""
        return self._zero_states(
            batch_size, torch.empty(0, dtype=self._dtype, device=config.device()))

    def reset_state(self):
        """Zero the kept states of a stateful layer (nothing to do otherwise)."""
        with torch.no_grad():
            for i in range(self._state_count):
                getattr(self, f"state_{i}").zero_()

    reset_states = reset_state  # Keras 2 spelling

    def _initial_states(self, initial_state, sequences):
        """The states to start from, in the cell's structure, checked against `state_size`."""
        batch = sequences.shape[0]
        if initial_state is None:
            if self._state_count:  # cloned: the buffers are overwritten after the call
                return _pack(self._template(), [getattr(self, f"state_{i}").clone()
                                                for i in range(self._state_count)])
            return self._zero_states(batch, sequences)
        given = [s if isinstance(s, torch.Tensor) else
                 torch.as_tensor(s, dtype=sequences.dtype, device=sequences.device)
                 for s in flatten(initial_state)]
        expected = [(batch, size) for size in self._flat_state_sizes()]
        if [tuple(s.shape) for s in given] != expected:
            raise ValueError(
                f"`{type(self).__name__}` expects `initial_state` to be {len(expected)} "
                f"tensor(s) of shape(s) {expected} (batch, state_size). Received: "
                f"initial_state with shape(s) {[tuple(s.shape) for s in given]}."
            )
        return _pack(self._template(), given)

    # -- call -------------------------------------------------------------------------------
    def call(self, sequences, initial_state=None, mask=None, training=None):
        if isinstance(mask, (list, tuple)):
            mask = mask[0]
        if mask is not None:
            if tuple(mask.shape) != tuple(sequences.shape[:2]):
                raise ValueError(
                    f"`{type(self).__name__}` expects `mask` to have the shape (batch, "
                    f"timesteps) = {tuple(sequences.shape[:2])} of its input. Received: mask "
                    f"with shape {tuple(mask.shape)}."
                )
            mask = mask.to(torch.bool)
        if self._state_count and sequences.shape[0] != self.state_0.shape[0]:
            raise ValueError(
                "If an RNN is stateful, the batch size of the input sequences must be the same "
                f"as the batch size of its states. Expected batch size: "
                f"{self.state_0.shape[0]}. Received batch size: {sequences.shape[0]}."
            )
        states = self._initial_states(initial_state, sequences)
        result = None
        kind = self._fused_kind()
        if kind is not None and (mask is None or not _tracing(mask)):
            if training and self.cell.dropout:
                sequences = sequences * self.cell.get_dropout_mask(sequences[:, 0])[:, None]
            result = fused_rnn(kind, sequences, states, self.cell._fused_weights(),
                               self.go_backwards, mask, self.zero_output_for_mask)
        if result is None:
            result = self._step_loop(sequences, states, mask, training)
        last_output, outputs, states = result
        _reset_dropout_masks(self.cell)
        if self._state_count and not _inferring_shapes(last_output):
            with torch.no_grad():
                for i, state in enumerate(flatten(states)):
                    getattr(self, f"state_{i}").copy_(state)
        output = outputs if self.return_sequences else last_output
        return (output, *states) if self.return_state else output

    def _fused_kind(self):
        """The fused kernel for this layer, or `None` (see `fused.py`)."""
        if self.unroll or self.use_cudnn is False or not isinstance(self.cell, BaseRNNCell):
            return None
        kind = self.cell._fused_kind()
        if kind == "lstm" and torch.compiler.is_compiling():
            return None  # torch's LSTM kernel does not trace with gradients (see fused.py)
        return kind

    def _step_loop(self, sequences, states, mask, training):
        cell = self.cell
        time = sequences.shape[1]
        if isinstance(cell, BaseRNNCell):  # the input half of every step at once
            projected = cell._project(sequences, training)  # (batch, time, gates * units)

            def step(t, states):
                return cell._recur(projected[:, t], states, training)
        else:
            kwargs = {"training": training} if _takes_training(cell) else {}
            call = cell.call if isinstance(cell, StackedRNNCells) else cell

            def step(t, states):
                output, new_states = call(sequences[:, t], states, **kwargs)
                if not isinstance(new_states, (list, tuple)):
                    new_states = [new_states]
                return output, list(new_states)

        outputs = []
        output = None
        for t in (range(time - 1, -1, -1) if self.go_backwards else range(time)):
            output, new_states = step(t, states)
            if mask is not None:
                keep = mask[:, t]
                previous = (torch.zeros_like(output) if self.zero_output_for_mask
                            else flatten(states[-1] if isinstance(cell, StackedRNNCells)
                                         else states)[0])
                output = _where(keep, output, previous)
                new_states = _pack(new_states, [_where(keep, n, s) for n, s in
                                                zip(flatten(new_states), flatten(states))])
            states = new_states
            if self.return_sequences:
                outputs.append(output)
        sequence = torch.stack(outputs, 1) if self.return_sequences else None
        return output, sequence, states

    def compute_mask(self, inputs, mask=None):
        if isinstance(mask, (list, tuple)):
            mask = mask[0]
        output_mask = mask if self.return_sequences else None
        if self.return_state:
            return [output_mask] + [None] * len(self.state_size)
        return output_mask

    def get_config(self):
        return {
            **super().get_config(),
            "return_sequences": self.return_sequences,
            "return_state": self.return_state,
            "go_backwards": self.go_backwards,
            "stateful": self.stateful,
            "unroll": self.unroll,
            "zero_output_for_mask": self.zero_output_for_mask,
            "cell": registry.serialize(self.cell),
        }

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        cell = config.pop("cell")
        if isinstance(cell, dict):
            cell = registry.deserialize(cell, "keras.layers", "layer")
        return cls(cell, **config)


def _tracing(tensor):
    """Whether shapes are being inferred or `torch.compile` traces: no reading values."""
    return torch.compiler.is_compiling() or is_fake(tensor)


def _inferring_shapes(tensor):
    """Whether this call only infers output shapes (fake tensors, outside `torch.compile`),
    so it must not touch the layer's kept states."""
    return not torch.compiler.is_compiling() and is_fake(tensor)


def _takes_training(cell):
    return isinstance(cell, StackedRNNCells) or getattr(cell, "_call_has_training", False)


def _reset_dropout_masks(cell):
    if isinstance(cell, DropoutRNNCell):
        cell.reset_dropout_mask()
        cell.reset_recurrent_dropout_mask()
    for inner in getattr(cell, "cells", ()):
        _reset_dropout_masks(inner)


def _where(keep, new, old):
    """`new` where `keep` (a `(batch,)` bool) else `old`, for states of any rank."""
    return torch.where(keep.view(-1, *[1] * (new.dim() - 1)), new, old)


def _sizes(state_size):
    return list(state_size) if isinstance(state_size, (list, tuple)) else [state_size]


def _pack(template, flat):
    """`flat` (a list of tensors) rearranged in the nested list structure of `template`."""
    flat = iter(flat)

    def fill(node):
        if isinstance(node, (list, tuple)):
            return [fill(item) for item in node]
        return next(flat)

    return fill(template)


def cell_property(name):
    """A read-only attribute of a built-in recurrent layer that reads its cell's (Keras' `LSTM`
    exposes `units`, `activation`, ... this way)."""
    return property(lambda self: getattr(self.cell, name), doc=f"The cell's `{name}`.")


class BuiltinRNN(RNN):
    """What `SimpleRNN`, `LSTM` and `GRU` share: inputs of rank 3 exactly, a flat config (the
    cell's arguments next to the layer's, no `cell` entry), and the `use_cudnn` switch."""

    _exact_rank = True

    def _set_use_cudnn(self, use_cudnn):
        if use_cudnn not in ("auto", True, False):
            raise ValueError(f"`{type(self).__name__}` expects `use_cudnn` to be one of 'auto', "
                             f"True, False. Received: use_cudnn={use_cudnn!r} (of type "
                             f"{type(use_cudnn).__name__}).")
        self.use_cudnn = use_cudnn
        if use_cudnn is True and (self.unroll or self.cell._fused_kind() is None):
            raise ValueError(
                f"`{type(self).__name__}` got `use_cudnn=True`, but its configuration has no "
                "fused kernel (it needs activation='tanh', recurrent_activation='sigmoid', "
                "recurrent_dropout=0, unroll=False, and reset_after=True for a GRU). Pass "
                "use_cudnn='auto' to fall back to the step loop."
            )

    def get_config(self):
        config = super().get_config()
        del config["cell"]
        cell_config = self.cell.get_config()
        for key in ("name", "trainable", "dtype"):
            cell_config.pop(key, None)
        activity = self.activity_regularizer
        return {**config, **cell_config,
                "activity_regularizer": registry.serialize(activity)}

    @classmethod
    def from_config(cls, config):
        return cls(**config)
