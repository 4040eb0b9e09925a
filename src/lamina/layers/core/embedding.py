"""`Embedding`: a lookup table from integer indices to dense vectors.

Indices out of range. On the CPU, torch's own lookup raises an `IndexError` synchronously, at
no extra cost; `Embedding` turns it into a `ValueError` naming the layer, `input_dim` and the
range of the indices it received (computed only on that error path). On an accelerator an
out-of-range index is a device-side assertion that poisons the process, so there the layer
checks the range itself, with one host synchronisation, in eager calls outside training; a
training step or a compiled call never synchronises, so it relies on the data being valid.
"""

import warnings

import torch
import torch.nn.functional as F

from lamina import constraints, initializers, regularizers
from lamina.layers.layer import CALL_CONTEXT, Layer
from lamina.registry import register
from lamina.validation import validate_positive_int

_INDEX_DTYPES = (torch.int32, torch.int64)


@register("keras.layers")
class Embedding(Layer):
    """Turns non-negative integers (indices) into dense vectors of fixed size.

    `output[..., :] = embeddings[inputs[...]]`: each index selects one row of the
    `(input_dim, output_dim)` table.

    Args:
        input_dim: Positive integer, the size of the vocabulary (largest index + 1).
        output_dim: Positive integer, the size of each embedding vector.
        embeddings_initializer: Initializer of the table. Defaults to `"uniform"`
            (uniform in [-0.05, 0.05]).
        embeddings_regularizer: Regularizer of the table. Defaults to `None`.
        embeddings_constraint: Constraint on the table. Defaults to `None`.
        mask_zero: Whether index 0 is padding to be masked out downstream (`compute_mask`
            returns `inputs != 0`). Index 0 then cannot be a word, so `input_dim` should be
            the vocabulary size + 1. Defaults to `False`.
        weights: Initial table, a `(input_dim, output_dim)` array (or a list holding it).
            The layer is then built at once. Defaults to `None`.
        lora_rank: Not supported in lamina; must stay `None`. Defaults to `None`.
        **kwargs: Base layer arguments (`name`, `dtype`, `trainable`, `input_shape`, ...).
            Keras 2's `input_length` is accepted and ignored, with a warning.

    Weights:
        embeddings: `(input_dim, output_dim)`, the same layout in Keras and torch.

    Input shape:
        `(batch_size, ...)` integers (any int dtype; floats holding integers are truncated
        to integers, as Keras does), each in `[0, input_dim)`.

    Output shape:
        `(batch_size, ..., output_dim)`.

    Raises:
        ValueError: at call time, when an index is outside `[0, input_dim)` (see the module
            doc for when this is checked).

    Example:
    >>> import torch, lamina as keras
    >>> layer = keras.layers.Embedding(10, 3, mask_zero=True)
    >>> tokens = torch.tensor([[4, 2, 0]])
    >>> tuple(layer(tokens).shape)
    (1, 3, 3)
    >>> layer.compute_mask(tokens).tolist()
    [[True, True, False]]
    """

    def __init__(self, input_dim, output_dim, embeddings_initializer="uniform",
                 embeddings_regularizer=None, embeddings_constraint=None, mask_zero=False,
                 weights=None, lora_rank=None, lora_alpha=None, quantization_config=None,
                 **kwargs):
        if kwargs.pop("input_length", None) is not None:
            warnings.warn("`Embedding` ignores `input_length` (a Keras 2 argument): the "
                          "sequence length comes from the input. Remove the argument.",
                          stacklevel=2)
        super().__init__(**kwargs)
        self.input_dim = validate_positive_int(input_dim, "input_dim", self)
        self.output_dim = validate_positive_int(output_dim, "output_dim", self)
        for arg, value in (("lora_rank", lora_rank), ("lora_alpha", lora_alpha),
                           ("quantization_config", quantization_config)):
            if value is not None:
                raise ValueError(f"`Embedding` does not support `{arg}` in lamina yet. "
                                 f"Received: {arg}={value!r}.")
        self.embeddings_initializer = initializers.get(embeddings_initializer)
        self.embeddings_regularizer = regularizers.get(embeddings_regularizer)
        self.embeddings_constraint = constraints.get(embeddings_constraint)
        self.mask_zero = bool(mask_zero)
        self.supports_masking = self.mask_zero
        self.autocast = False  # the indices must never be cast to a float compute dtype
        if weights is not None:
            self.build()
            self.set_weights(weights if isinstance(weights, list) and len(weights) == 1
                             else [weights])

    def build(self, input_shape=None):
        if self.built:
            return
        self.embeddings = self.add_weight(
            shape=(self.input_dim, self.output_dim), initializer=self.embeddings_initializer,
            regularizer=self.embeddings_regularizer, constraint=self.embeddings_constraint,
            name="embeddings",
        )
        self.built = True

    def call(self, inputs):
        if inputs.dtype not in _INDEX_DTYPES:
            inputs = inputs.to(torch.int32)  # Keras casts other dtypes (floats truncate)
        if (inputs.device.type != "cpu" and CALL_CONTEXT.training is not True
                and not torch.compiler.is_compiling()):
            check_indices(self, inputs)  # host sync: eager calls outside training only
        try:  # costs nothing unless torch raises (the CPU raises on a bad index)
            outputs = F.embedding(inputs, self.embeddings)  # (batch, ..., output_dim)
        except IndexError:
            check_indices(self, inputs)
            raise
        compute = self._dtype_policy._compute  # float16 under "mixed_float16", as in Keras
        return outputs if outputs.dtype == compute else outputs.to(compute)

    def compute_mask(self, inputs, mask=None):
        if not self.mask_zero:
            return None
        return inputs != 0

    def get_config(self):
        return {
            **super().get_config(),
            "input_dim": self.input_dim,
            "output_dim": self.output_dim,
            "embeddings_initializer": initializers.serialize(self.embeddings_initializer),
            "embeddings_regularizer": regularizers.serialize(self.embeddings_regularizer),
            "activity_regularizer": regularizers.serialize(self.activity_regularizer),
            "embeddings_constraint": constraints.serialize(self.embeddings_constraint),
            "mask_zero": self.mask_zero,
        }

    def extra_repr(self):
        return f"name={self.name!r}, input_dim={self.input_dim}, output_dim={self.output_dim}"


def check_indices(layer, indices):
    """Raise a `ValueError` when an index is outside `[0, layer.input_dim)`.

    Synchronises host and device (it reads the smallest and largest index): call it only off
    the training hot path.
    """
    if indices.numel() == 0:
        return
    low, high = int(indices.min()), int(indices.max())  # host sync
    if low < 0 or high >= layer.input_dim:
        raise ValueError(
            f"Layer '{layer.name}' (`Embedding`) expects indices in [0, input_dim) = "
            f"[0, {layer.input_dim}). Received indices in [{low}, {high}]. Increase "
            "`input_dim` to the vocabulary size (+ 1 with `mask_zero=True`), or fix the data."
        )
