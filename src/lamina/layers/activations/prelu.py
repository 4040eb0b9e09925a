"""`PReLU`: a leaky ReLU whose negative slopes are learned weights."""

import numbers

import torch

from lamina import constraints, initializers, regularizers
from lamina.layers.layer import Layer
from lamina.registry import register
from lamina.validation import received


@register("keras.layers")
class PReLU(Layer):
    """Parametric ReLU: `x` for `x >= 0`, `alpha * x` otherwise, with `alpha` learned.

    Args:
        alpha_initializer: Initializer of `alpha`. Defaults to `"Zeros"`.
        alpha_regularizer: Regularizer of `alpha`. Defaults to `None`.
        alpha_constraint: Constraint on `alpha`. Defaults to `None`.
        shared_axes: Integer or list of integers, the input axes (counting the batch axis as
            0) along which one slope is shared. For feature maps `(batch, height, width,
            channels)`, `shared_axes=[1, 2]` learns one slope per channel. Defaults to `None`
            (one slope per input entry).
        **kwargs: Base layer arguments (`name`, `dtype`, ...).

    Weights:
        alpha: the input shape without its batch axis, with 1 on each shared axis;
            `alpha_initializer` (zeros) by default.

    Input shape:
        `(batch, ...)`, every non-shared axis known.

    Output shape:
        The input's.

    Example:
    >>> import torch, lamina as keras
    >>> layer = keras.layers.PReLU(alpha_initializer=keras.initializers.Constant(0.25))
    >>> layer(torch.tensor([[-4.0, 2.0]])).tolist()
    [[-1.0, 2.0]]
    >>> tuple(layer.alpha.shape)
    (2,)
    """

    def __init__(self, alpha_initializer="Zeros", alpha_regularizer=None, alpha_constraint=None,
                 shared_axes=None, **kwargs):
        super().__init__(**kwargs)
        self.alpha_initializer = initializers.get(alpha_initializer)
        self.alpha_regularizer = regularizers.get(alpha_regularizer)
        self.alpha_constraint = constraints.get(alpha_constraint)
        if shared_axes is None:
            self.shared_axes = None
        else:
            axes = list(shared_axes) if isinstance(shared_axes, (list, tuple)) else [shared_axes]
            if not all(isinstance(a, numbers.Integral) and not isinstance(a, bool) and a >= 1
                       for a in axes):
                raise ValueError("`PReLU` expects `shared_axes` to be a positive integer or a "
                                 "list of positive integers (axis 0 is the batch axis). "
                                 + received("shared_axes", shared_axes))
            self.shared_axes = [int(a) for a in axes]
        self.supports_masking = True

    def build(self, input_shape):
        input_shape = tuple(input_shape)
        shared = set(self.shared_axes or ())
        if any(a >= len(input_shape) for a in shared):
            raise ValueError(
                f"`PReLU` expects `shared_axes` to be axes of its input. Received: "
                f"shared_axes={self.shared_axes} for an input of shape {input_shape}."
            )
        param_shape = tuple(1 if i in shared else d for i, d in enumerate(input_shape) if i)
        if None in param_shape:
            raise ValueError(
                "`PReLU` needs every axis of its input that is not in `shared_axes` to be known, "
                f"since it learns one slope per entry. Received: input_shape={input_shape}, "
                f"shared_axes={self.shared_axes}."
            )
        self.alpha = self.add_weight(
            shape=param_shape, initializer=self.alpha_initializer,
            regularizer=self.alpha_regularizer, constraint=self.alpha_constraint, name="alpha",
        )
        self.built = True

    def call(self, inputs):
        # Keras' relu(x) - alpha * relu(-x), in one select: the same values, bit for bit.
        return torch.where(inputs >= 0, inputs, self.alpha * inputs)

    def get_config(self):
        return {
            **super().get_config(),
            "alpha_initializer": initializers.serialize(self.alpha_initializer),
            "alpha_regularizer": regularizers.serialize(self.alpha_regularizer),
            "alpha_constraint": constraints.serialize(self.alpha_constraint),
            "shared_axes": self.shared_axes,
        }
