"""`ActivityRegularization`: passes its input through and adds a penalty on it to the loss."""

from lamina import regularizers
from lamina.layers.activations.rectifiers import non_negative_float
from lamina.layers.layer import Layer
from lamina.registry import register


@register("keras.layers")
class ActivityRegularization(Layer):
    """The identity, adding `(l1 * sum(|x|) + l2 * sum(x**2)) / batch_size` to `layer.losses`.

    The penalty is the layer's `activity_regularizer` (an `L1L2`); like every activity
    regulariser it is divided by the batch size and recomputed at each call.

    Args:
        l1: Non-negative float, the L1 factor. Defaults to `0.0`.
        l2: Non-negative float, the L2 factor. Defaults to `0.0`.
        **kwargs: Base layer arguments (`name`, `dtype`, ...).

    Input shape:
        `(batch, ...)`.

    Output shape:
        The input's.

    Example:
    >>> import torch, lamina as keras
    >>> layer = keras.layers.ActivityRegularization(l1=0.5)
    >>> y = layer(torch.tensor([[1.0, -3.0], [2.0, 0.0]]))
    >>> layer.losses
    [tensor(1.5000)]
    """

    def __init__(self, l1=0.0, l2=0.0, **kwargs):
        kwargs.pop("activity_regularizer", None)  # present in configs saved by Keras 2
        l1 = 0.0 if l1 is None else l1
        l2 = 0.0 if l2 is None else l2
        l1 = non_negative_float(self, l1, "l1")
        l2 = non_negative_float(self, l2, "l2")
        super().__init__(activity_regularizer=regularizers.L1L2(l1=l1, l2=l2), **kwargs)
        self.l1 = l1
        self.l2 = l2
        self.supports_masking = True
        self.built = True

    def call(self, inputs):
        return inputs

    def get_config(self):
        return {**super().get_config(), "l1": self.l1, "l2": self.l2}
