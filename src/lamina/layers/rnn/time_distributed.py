"""`TimeDistributed`: applies a layer to every timestep of a sequence."""

from lamina import registry
from lamina.layers.keras_tensor import map_structure
from lamina.layers.layer import Layer
from lamina.registry import register


@register("keras.layers")
class TimeDistributed(Layer):
    """Applies `layer` to every temporal slice of the input, with the same weights.

    The input's axis 1 is time. Rather than calling `layer` once per step (Keras' loop),
    time is folded into the batch: `layer` runs once on `(batch * time, ...)`, a view of
    the input, and its output is unfolded back to `(batch, time, ...)`. The results are the
    same for every layer that treats the samples of a batch independently (all but
    `BatchNormalization` in training, whose batch statistics then span every timestep).

    Args:
        layer: A `keras.layers.Layer` instance, e.g. `Dense(8)` or `Conv2D(16, 3)`.
        **kwargs: Base layer arguments (`name`, `dtype`, `trainable`, `input_shape`, ...).

    Call arguments:
        inputs: `(batch, time, ...)`, at least 3D.
        training: Passed on to `layer` when its `call` takes it.
        mask: Boolean `(batch, time, ...)`; passed on to `layer`, folded like the input
            (`(batch * time, ...)`), when its `call` takes a mask. The output carries the
            same mask, as in Keras 3. Defaults to `None`.

    Input shape:
        `(batch, time, *step_shape)`.

    Output shape:
        `(batch, time, *layer_output_shape)`, where `layer` maps a `(batch, *step_shape)`
        input to `(batch, *layer_output_shape)`.

    Weights:
        Those of `layer` (the wrapper has none of its own).

    Example:
    >>> import torch, lamina as keras
    >>> layer = keras.layers.TimeDistributed(keras.layers.Conv2D(4, 3))
    >>> tuple(layer(torch.ones(2, 10, 8, 8, 3)).shape)
    (2, 10, 6, 6, 4)
    """

    def __init__(self, layer, **kwargs):
        if not isinstance(layer, Layer):
            raise TypeError(
                "`TimeDistributed` expects `layer` to be a `keras.layers.Layer` instance. "
                f"Received: layer={layer!r} (of type {type(layer).__name__}). A plain "
                "`torch.nn.Module` can be wrapped first: "
                "`TimeDistributed(keras.layers.TorchModuleWrapper(module))`."
            )
        super().__init__(**kwargs)
        self.layer = layer
        self.supports_masking = True

    def build(self, input_shape):
        shape = tuple(input_shape)
        if len(shape) < 3:
            raise ValueError(
                f'Input 0 of layer "{self.name}" is incompatible with the layer: expected '
                f"min_ndim=3 (batch, time, ...), found ndim={len(shape)}. Full shape "
                f"received: {shape}"
            )
        if not self.layer.built:
            batch = None if None in shape[:2] else shape[0] * shape[1]
            step_shape = (batch, *shape[2:])
            self.layer.build(step_shape)
            self.layer.built = True
            self.layer._build_shape = (None, *step_shape[1:])
        self.built = True

    def call(self, inputs, training=None, mask=None):
        batch_time = inputs.shape[:2]
        kwargs = {}
        if mask is not None:
            if mask.dim() < 2 or tuple(mask.shape[:2]) != tuple(batch_time):
                raise ValueError(
                    f"`TimeDistributed` expects `mask` to start with the (batch, time) "
                    f"dimensions {tuple(batch_time)} of its input. Received: mask with shape "
                    f"{tuple(mask.shape)}."
                )
            if self.layer._call_has_mask:
                kwargs["mask"] = mask.flatten(0, 1)  # (batch * time, ...)
        if self.layer._call_has_training:
            kwargs["training"] = training
        outputs = self.layer(inputs.flatten(0, 1), **kwargs)  # (batch * time, ...)
        return map_structure(lambda y: y.unflatten(0, batch_time), outputs)

    def get_config(self):
        return {**super().get_config(), "layer": registry.serialize(self.layer)}

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = dict(config)
        layer = registry.deserialize(config.pop("layer"), "keras.layers", "layer",
                                     custom_objects)
        return cls(layer, **config)
