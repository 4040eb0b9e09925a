"""`Bidirectional`: a recurrent layer run forwards and backwards, outputs merged."""

import torch

from lamina import registry
from lamina.layers.layer import Layer
from lamina.registry import register

_MERGE_MODES = ("concat", "sum", "mul", "ave", None)


@register("keras.layers")
class Bidirectional(Layer):
    """Runs a recurrent layer over the sequence forwards and a copy of it backwards, then
    merges the two outputs.

    The forward layer is a fresh copy of `layer` (same config, fresh weights) named
    `forward_<name>`; the backward one is another copy with `go_backwards=True` named
    `backward_<name>`, or `backward_layer`. The backward sequence is flipped back to the
    input's time order before merging. With `return_sequences`, masked steps output zeros
    (`zero_output_for_mask`), so the padding does not mix into the merge.

    Args:
        layer: A recurrent layer (`LSTM`, `GRU`, `SimpleRNN`, `RNN`) with `go_backwards=False`.
        merge_mode: How to combine the two outputs: `"concat"` (last axis), `"sum"`, `"mul"`,
            `"ave"`, or `None` (return both, forward first). Defaults to `"concat"`.
        weights: Initial weights (forward layer's, then backward layer's), set when the
            layer is built. Defaults to `None`.
        backward_layer: The layer to run backwards instead of a copy of `layer`; it must
            have `go_backwards=True` and the same `return_sequences`, `return_state` and
            `stateful` as `layer`. Defaults to `None`.
        **kwargs: Base layer arguments (`name`, `dtype`, `trainable`, `input_shape`, ...).

    Call arguments:
        sequences: `(batch, time, features)`.
        initial_state: The forward layer's initial states followed by the backward layer's.
        mask: Boolean `(batch, time)`, `False` for padded steps. Defaults to `None`.
        training: Whether dropout is active.

    Output shape:
        The wrapped layer's, with the last axis doubled for `"concat"`; a tuple of both
        outputs for `merge_mode=None`; with `return_state`, the outputs followed by the
        forward then backward final states.

    Example:
    >>> import torch, lamina as keras
    >>> layer = keras.layers.Bidirectional(keras.layers.LSTM(4, return_sequences=True))
    >>> tuple(layer(torch.ones(2, 5, 3)).shape)
    (2, 5, 8)
    """

    def __init__(self, layer, merge_mode="concat", weights=None, backward_layer=None, **kwargs):
        if not isinstance(layer, Layer):
            raise TypeError("`Bidirectional` expects `layer` to be a recurrent layer instance. "
                            f"Received: layer={layer!r} (of type {type(layer).__name__}).")
        if backward_layer is not None and not isinstance(backward_layer, Layer):
            raise TypeError("`Bidirectional` expects `backward_layer` to be a recurrent layer "
                            f"instance. Received: backward_layer={backward_layer!r} (of type "
                            f"{type(backward_layer).__name__}).")
        if merge_mode not in _MERGE_MODES:
            raise ValueError("`Bidirectional` expects `merge_mode` to be one of 'concat', "
                             f"'sum', 'mul', 'ave', None. Received: merge_mode={merge_mode!r} "
                             f"(of type {type(merge_mode).__name__}).")
        super().__init__(**kwargs)
        config = layer.get_config()
        base = layer.name.removeprefix("forward_")
        self.forward_layer = type(layer).from_config({**config, "name": f"forward_{base}"})
        if backward_layer is None:
            base = layer.name.removeprefix("backward_")
            backward_layer = type(layer).from_config(
                {**config, "go_backwards": True, "name": f"backward_{base}"})
        self.backward_layer = backward_layer
        if hasattr(layer, "use_cudnn"):  # not in the config, as in Keras
            self.forward_layer.use_cudnn = self.backward_layer.use_cudnn = layer.use_cudnn
        self._check_pair()
        for sublayer in (self.forward_layer, self.backward_layer):
            if hasattr(sublayer, "zero_output_for_mask"):
                sublayer.zero_output_for_mask = sublayer.return_sequences
        self.merge_mode = merge_mode
        self._initial_weights = None if weights is None else list(weights)
        self.stateful = layer.stateful
        self.return_sequences = layer.return_sequences
        self.return_state = layer.return_state
        self.supports_masking = True

    def _check_pair(self):
        forward, backward = self.forward_layer, self.backward_layer
        if forward.go_backwards == backward.go_backwards:
            raise ValueError(
                "`Bidirectional` expects its forward and backward layers to have different "
                f"`go_backwards` values. Received: forward_layer.go_backwards="
                f"{forward.go_backwards}, backward_layer.go_backwards={backward.go_backwards}."
            )
        for name in ("stateful", "return_sequences", "return_state"):
            if getattr(forward, name) != getattr(backward, name):
                raise ValueError(
                    f"`Bidirectional` expects its forward and backward layers to have the same "
                    f"`{name}`. Received: {getattr(forward, name)} for the forward layer and "
                    f"{getattr(backward, name)} for the backward layer."
                )

    def build(self, sequences_shape):
        for sublayer in (self.forward_layer, self.backward_layer):
            if not sublayer.built:
                sublayer.build(tuple(sequences_shape))
                sublayer.built = True
                sublayer._build_shape = (None, *tuple(sequences_shape)[1:])
        if self._initial_weights is not None:
            self.set_weights(self._initial_weights)
            self._initial_weights = None
        self.built = True

    def call(self, sequences, initial_state=None, mask=None, training=None):
        forward_state = backward_state = None
        if initial_state is not None:
            initial_state = list(initial_state)
            half = len(initial_state) // 2
            forward_state, backward_state = initial_state[:half], initial_state[half:]
        y = self.forward_layer(sequences, initial_state=forward_state, mask=mask,
                               training=training)
        y_rev = self.backward_layer(sequences, initial_state=backward_state, mask=mask,
                                    training=training)
        states = ()
        if self.return_state:
            states = (*y[1:], *y_rev[1:])
            y, y_rev = y[0], y_rev[0]
        if self.return_sequences:
            y_rev = y_rev.flip(1)  # back to the input's time order
        if self.merge_mode == "concat":
            output = (torch.cat([y, y_rev], -1),)
        elif self.merge_mode == "sum":
            output = (y + y_rev,)
        elif self.merge_mode == "ave":
            output = ((y + y_rev) / 2,)
        elif self.merge_mode == "mul":
            output = (y * y_rev,)
        else:
            output = (y, y_rev)
        if self.return_state or self.merge_mode is None:
            return (*output, *states)
        return output[0]

    @property
    def states(self):
        """The kept states of both layers (forward's first) when stateful, else `None`."""
        forward, backward = self.forward_layer.states, self.backward_layer.states
        if forward and backward:
            return (*forward, *backward)
        return None

    def reset_state(self):
        """Zero the kept states of both layers."""
        if not self.stateful:
            raise RuntimeError(f"`Bidirectional` layer '{self.name}' has no states to reset: "
                               "its layer is not stateful. Create the wrapped layer with "
                               "`stateful=True` to keep states between batches.")
        self.forward_layer.reset_state()
        self.backward_layer.reset_state()

    reset_states = reset_state  # Keras 2 spelling

    def compute_mask(self, inputs, mask=None):
        if isinstance(mask, (list, tuple)):
            mask = mask[0]
        if self.return_sequences:
            output_mask = [mask, mask] if self.merge_mode is None else [mask]
        else:
            output_mask = [None, None] if self.merge_mode is None else [None]
        if self.return_state:
            count = len(self.forward_layer.state_size) + len(self.backward_layer.state_size)
            return output_mask + [None] * count
        return output_mask if self.merge_mode is None else output_mask[0]

    def get_config(self):
        return {**super().get_config(), "merge_mode": self.merge_mode,
                "layer": registry.serialize(self.forward_layer),
                "backward_layer": registry.serialize(self.backward_layer)}

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        for key in ("layer", "backward_layer"):
            if isinstance(config.get(key), dict):
                config[key] = registry.deserialize(config[key], "keras.layers", "layer")
        return cls(**config)
