"""`Reshape`: reshapes each sample."""

from lamina.layers.layer import Layer
from lamina.registry import register


@register("keras.layers")
class Reshape(Layer):
    """Reshapes each sample to `target_shape` (the batch dimension is kept).

    Args:
        target_shape: Tuple of ints, the shape of one output sample; one entry may be `-1`.

    Example:
    >>> import torch, lamina as keras
    >>> tuple(keras.layers.Reshape((3, 4))(torch.zeros(2, 12)).shape)
    (2, 3, 4)
    """

    def __init__(self, target_shape, **kwargs):
        super().__init__(**kwargs)
        try:
            shape = tuple(int(d) for d in target_shape)
        except (TypeError, ValueError):
            shape = None
        if shape is None or sum(d == -1 for d in shape) > 1 or any(d < -1 or d == 0 for d in shape):
            raise ValueError(
                "`Reshape` expects `target_shape` to be a tuple of positive integers, with at "
                f"most one -1. Received: target_shape={target_shape!r}"
            )
        self.target_shape = shape
        self.built = True

    def call(self, inputs):
        return inputs.reshape(inputs.shape[0], *self.target_shape)  # (batch, *target_shape)

    def get_config(self):
        return {**super().get_config(), "target_shape": self.target_shape}
