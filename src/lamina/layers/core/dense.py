"""`Dense`: the densely connected layer."""

import torch.nn.functional as F

from lamina import activations, constraints, initializers, regularizers
from lamina.layers.layer import Layer
from lamina.registry import register
from lamina.validation import validate_positive_int


@register("keras.layers")
class Dense(Layer):
    """Densely connected layer: `output = activation(inputs @ kernel + bias)`.

    Args:
        units: Positive integer, dimensionality of the output space.
        activation: Activation function or its name. Defaults to `None` (linear).
        use_bias: Whether to add a bias vector. Defaults to `True`.
        kernel_initializer: Initializer of the kernel. Defaults to `"glorot_uniform"`.
        bias_initializer: Initializer of the bias. Defaults to `"zeros"`.
        kernel_regularizer: Regularizer of the kernel. Defaults to `None`.
        bias_regularizer: Regularizer of the bias. Defaults to `None`.
        activity_regularizer: Regularizer of the output. Defaults to `None`.
        kernel_constraint: Constraint on the kernel. Defaults to `None`.
        bias_constraint: Constraint on the bias. Defaults to `None`.
        **kwargs: Base layer arguments (`name`, `dtype`, `trainable`, `input_shape`, ...).

    Weights:
        kernel: `(input_dim, units)` in Keras' layout (`get_weights`, `numpy()`, `assign`),
            `glorot_uniform` by default. Stored as torch's `(units, input_dim)`, the layout
            `F.linear` is fastest with (about 7% per training step on the benchmark MLPs), so
            `layer.kernel.shape` is `(units, input_dim)`; `layer.kernel.keras_view()` is the
            `(input_dim, units)` view.
        bias: `(units,)`, zeros by default.

    Input shape:
        `(batch_size, ..., input_dim)`.

    Output shape:
        `(batch_size, ..., units)`.

    Example:
    >>> import torch, lamina as keras
    >>> layer = keras.layers.Dense(3)
    >>> tuple(layer(torch.ones(2, 4)).shape)
    (2, 3)
    """

    def __init__(self, units, activation=None, use_bias=True, kernel_initializer="glorot_uniform",
                 bias_initializer="zeros", kernel_regularizer=None, bias_regularizer=None,
                 activity_regularizer=None, kernel_constraint=None, bias_constraint=None,
                 lora_rank=None, **kwargs):
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        self.units = validate_positive_int(units, "units", self)
        self.activation = activations.get(activation)
        self.use_bias = bool(use_bias)
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)
        self.bias_constraint = constraints.get(bias_constraint)
        if lora_rank is not None:
            raise ValueError("`Dense` does not support `lora_rank` in lamina yet. "
                             f"Received: lora_rank={lora_rank!r}.")
        self.supports_masking = True

    def build(self, input_shape):
        input_dim = input_shape[-1]
        if input_dim is None:
            raise ValueError(
                f"`Dense` needs the last dimension of its input to be known. Received: "
                f"input_shape={tuple(input_shape)}"
            )
        self.kernel = self.add_weight(
            shape=(input_dim, self.units), initializer=self.kernel_initializer,
            regularizer=self.kernel_regularizer, constraint=self.kernel_constraint, name="kernel",
            keras_permutation=(1, 0),
        )
        if self.use_bias:
            self.bias = self.add_weight(
                shape=(self.units,), initializer=self.bias_initializer,
                regularizer=self.bias_regularizer, constraint=self.bias_constraint, name="bias",
            )
        else:
            self.bias = None
        self.built = True

    def call(self, inputs):
        return self.activation(F.linear(inputs, self.kernel, self.bias))  # (batch, ..., units)

    def get_config(self):
        return {
            **super().get_config(),
            "units": self.units,
            "activation": activations.serialize(self.activation),
            "use_bias": self.use_bias,
            "kernel_initializer": initializers.serialize(self.kernel_initializer),
            "bias_initializer": initializers.serialize(self.bias_initializer),
            "kernel_regularizer": regularizers.serialize(self.kernel_regularizer),
            "bias_regularizer": regularizers.serialize(self.bias_regularizer),
            "activity_regularizer": regularizers.serialize(self.activity_regularizer),
            "kernel_constraint": constraints.serialize(self.kernel_constraint),
            "bias_constraint": constraints.serialize(self.bias_constraint),
        }

    def extra_repr(self):
        name = getattr(self.activation, "__name__", type(self.activation).__name__)
        return f"name={self.name!r}, units={self.units}, activation={name}"
