"""`Projection`: the linear maps inside `MultiHeadAttention` (Keras' `EinsumDense` sublayers
`query`, `key`, `value`, `gate` and `attention_output`), and a mask-shape check.

A projection contracts the last `len(in_shape)` axes of its input with a kernel of Keras'
shape `(*in_shape, *out_shape)` and appends `out_shape`: `(batch, T, dim) -> (batch, T, heads,
key_dim)` for `query`, `(batch, T, heads, value_dim) -> (batch, T, *output_shape)` for
`attention_output`. The kernel is stored as `(*out_shape, *in_shape)`, so a flat view of it is
exactly the `(out_features, in_features)` matrix `F.linear` reads, with no copy.
"""

import math

import torch.nn.functional as F

from lamina import activations
from lamina.layers.layer import Layer


class Projection(Layer):
    """`activation(inputs @ kernel + bias)` over the trailing `in_shape` axes (internal to
    `MultiHeadAttention`, which calls `call` directly; see the module doc).

    Args:
        in_shape: Tuple, the trailing input axes contracted.
        out_shape: Tuple, the trailing output axes produced.
        use_bias: Whether to add a bias of shape `out_shape`.
        activation: Activation of the output. Defaults to `None` (linear).
        kernel_initializer, bias_initializer, kernel_regularizer, bias_regularizer,
        kernel_constraint, bias_constraint: As in `Dense`.
        **kwargs: Base layer arguments (`name`, `dtype`).
    """

    def __init__(self, in_shape, out_shape, use_bias, activation=None, kernel_initializer=None,
                 bias_initializer=None, kernel_regularizer=None, bias_regularizer=None,
                 kernel_constraint=None, bias_constraint=None, **kwargs):
        super().__init__(**kwargs)
        self.in_shape, self.out_shape = tuple(in_shape), tuple(out_shape)
        self.activation = activations.get(activation)
        n_out, n_in = len(self.out_shape), len(self.in_shape)
        self.kernel = self.add_weight(
            shape=(*self.in_shape, *self.out_shape), initializer=kernel_initializer,
            regularizer=kernel_regularizer, constraint=kernel_constraint, name="kernel",
            keras_permutation=(*range(n_out, n_out + n_in), *range(n_out)),
        )
        self.bias = (self.add_weight(shape=self.out_shape, initializer=bias_initializer,
                                     regularizer=bias_regularizer, constraint=bias_constraint,
                                     name="bias")
                     if use_bias else None)
        self._matrix_shape = (math.prod(self.out_shape), math.prod(self.in_shape))
        self.built = True

    def call(self, inputs):
        flat = inputs.flatten(-len(self.in_shape))  # (batch, ..., in_features)
        bias = None if self.bias is None else self.bias.reshape(-1)
        outputs = F.linear(flat, self.kernel.reshape(self._matrix_shape), bias)
        return self.activation(outputs.unflatten(-1, self.out_shape))  # (batch, ..., *out)


def check_mask_shape(layer, arg, mask, expected):
    """Raise a ValueError when `mask`'s shape is not `expected` (a Python check, no sync)."""
    if tuple(mask.shape) != tuple(expected):
        raise ValueError(
            f"`{type(layer).__name__}` expects `{arg}` of shape {tuple(expected)} (its input's "
            f"shape without the last axis). Received: {arg}.shape={tuple(mask.shape)}"
        )
