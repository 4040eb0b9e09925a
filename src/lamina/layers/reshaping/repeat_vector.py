"""`RepeatVector`: repeat a vector `n` times along a new time axis."""

import numbers

from lamina.layers.layer import Layer
from lamina.layers.spatial import check_rank
from lamina.registry import register
from lamina.validation import received


@register("keras.layers")
class RepeatVector(Layer):
    """Repeats each input vector `n` times, making a sequence of `n` identical steps.

    The classic bridge from an encoder's summary vector to a decoder RNN.

    Args:
        n: Positive integer, the number of repetitions.
        **kwargs: Base layer arguments (`name`, `dtype`, `trainable`, ...).

    Input shape:
        `(batch_size, features)`.

    Output shape:
        `(batch_size, n, features)`. The output is a broadcast view of the input (no copy), so
        write to it only through out-of-place operations, as layers do.

    Example:
    >>> import torch, lamina as keras
    >>> keras.layers.RepeatVector(3)(torch.tensor([[1.0, 2.0]])).tolist()
    [[[1.0, 2.0], [1.0, 2.0], [1.0, 2.0]]]
    """

    def __init__(self, n, **kwargs):
        super().__init__(**kwargs)
        if not isinstance(n, numbers.Integral) or isinstance(n, bool):
            raise TypeError("`RepeatVector` expects `n` to be a positive integer. "
                            + received("n", n))
        if n <= 0:
            raise ValueError("`RepeatVector` expects `n` to be a positive integer. "
                             + received("n", n))
        self.n = int(n)

    def build(self, input_shape):
        check_rank(self, input_shape, 2)
        self.built = True

    def call(self, inputs):
        return inputs.unsqueeze(1).expand(-1, self.n, -1)  # (batch, n, features)

    def get_config(self):
        return {**super().get_config(), "n": self.n}
