"""`StackedRNNCells`: several cells run one after the other at each time step."""

import torch

from lamina import registry
from lamina.layers.layer import Layer
from lamina.layers.rnn.base_rnn_cell import BaseRNNCell
from lamina.registry import register


def check_cell(cell, owner, arg):
    """Raise a `TypeError` unless `cell` has Keras' cell API (`call` and `state_size`)."""
    for attribute in ("call", "state_size"):
        if not hasattr(cell, attribute):
            raise TypeError(
                f"`{owner}` expects `{arg}` to be an RNN cell: an object with a `call(inputs, "
                f"states)` method and a `state_size` attribute; this one has no "
                f"`{attribute}`. Received: {arg}={cell!r} (of type {type(cell).__name__})."
            )


def _output_size(cell):
    size = getattr(cell, "output_size", None)
    if size is not None:
        return size
    state_size = cell.state_size
    return state_size[0] if isinstance(state_size, (list, tuple)) else state_size


@register("keras.layers")
class StackedRNNCells(Layer):
    """Wraps a list of RNN cells so that they act as one: at each step, the output of a cell
    is the input of the next, and each cell keeps its own states.

    Args:
        cells: List of RNN cells (objects with `call(inputs, states)` and `state_size`).
        **kwargs: Base layer arguments (`name`, `dtype`, `trainable`).

    Example:
    >>> import torch, lamina as keras
    >>> cells = [keras.layers.LSTMCell(4), keras.layers.GRUCell(3)]
    >>> layer = keras.layers.RNN(keras.layers.StackedRNNCells(cells))
    >>> tuple(layer(torch.ones(2, 5, 6)).shape)
    (2, 3)
    """

    def __init__(self, cells, **kwargs):
        super().__init__(**kwargs)
        if not isinstance(cells, (list, tuple)) or not cells:
            raise TypeError("`StackedRNNCells` expects `cells` to be a non-empty list of RNN "
                            f"cells. Received: cells={cells!r} (of type {type(cells).__name__}).")
        for cell in cells:
            check_cell(cell, "StackedRNNCells", "cells")
        self.cells = list(cells)

    @property
    def state_size(self):
        """One entry per cell: that cell's `state_size`."""
        return [cell.state_size for cell in self.cells]

    @property
    def output_size(self):
        return _output_size(self.cells[-1])

    def get_initial_state(self, batch_size=None):
        """The initial states of every cell, a list per cell."""
        states = []
        for cell in self.cells:
            fn = getattr(cell, "get_initial_state", None)
            if fn is not None:
                state = fn(batch_size=batch_size)
            else:
                sizes = cell.state_size
                sizes = sizes if isinstance(sizes, (list, tuple)) else [sizes]
                state = [torch.zeros(batch_size, size) for size in sizes]
            states.append(list(state) if isinstance(state, (list, tuple)) else [state])
        return states

    def build(self, input_shape):
        shape = tuple(input_shape)
        for cell in self.cells:
            if isinstance(cell, Layer) and not cell.built:
                cell.build(shape)
                cell.built = True
                cell._build_shape = (None, *shape[1:])
            shape = (shape[0], _output_size(cell))
        self.built = True

    def call(self, inputs, states, training=None):
        """One step of every cell: `states` has one entry (a list of tensors) per cell."""
        new_states = []
        for cell, cell_states in zip(self.cells, states):
            is_list = isinstance(cell_states, (list, tuple))
            cell_states = list(cell_states) if is_list else [cell_states]
            if isinstance(cell, BaseRNNCell):  # a built-in cell: skip Layer.__call__'s bookkeeping
                inputs, cell_states = cell.call(inputs, cell_states, training=training)
            elif getattr(cell, "_call_has_training", False):
                inputs, cell_states = cell(inputs, cell_states, training=training)
            else:
                inputs, cell_states = cell(inputs, cell_states)
            new_states.append(list(cell_states) if isinstance(cell_states, (list, tuple))
                              else [cell_states])
        return inputs, new_states

    def get_config(self):
        return {**super().get_config(),
                "cells": [registry.serialize(cell) for cell in self.cells]}

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        cells = [registry.deserialize(c, "keras.layers", "layer") if isinstance(c, dict) else c
                 for c in config.pop("cells")]
        return cls(cells, **config)
