"""`Flatten`: flattens each sample to one dimension."""

from lamina import config
from lamina.layers.layer import Layer
from lamina.registry import register
from lamina.validation import validate_choice


@register("keras.layers")
class Flatten(Layer):
    """Flattens the input except for the batch dimension.

    Args:
        data_format: `"channels_last"` or `"channels_first"`; with `"channels_first"`, inputs
            are first moved to channels-last order, as Keras does, so that weights trained on
            either layout agree. Defaults to `None` (the global image data format).

    Example:
    >>> import torch, lamina as keras
    >>> tuple(keras.layers.Flatten()(torch.zeros(2, 3, 4)).shape)
    (2, 12)
    """

    def __init__(self, data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.data_format = validate_choice(
            data_format or config.image_data_format(), "data_format",
            ("channels_last", "channels_first"), self,
        )
        self.built = True

    def call(self, inputs):
        if self.data_format == "channels_first" and inputs.dim() > 2:
            inputs = inputs.movedim(1, -1)  # (batch, ..., channels)
        return inputs.reshape(inputs.shape[0], -1)  # (batch, features)

    def get_config(self):
        return {**super().get_config(), "data_format": self.data_format}
