"""`MultiHeadAttention`: scaled dot-product attention over several learned projections.

Keras builds the projections from `EinsumDense` sublayers named `query`, `key`, `value`
(`gate`) and `attention_output`; lamina keeps those names, weight shapes and weight order, with
each kernel stored in the layout `F.linear` reads (see `projection.py`).

Two ways to attend, with one result:
- the fused `F.scaled_dot_product_attention`, for inputs `(batch, T, dim)` when the scores are
  not requested: masks become its boolean `attn_mask`, a causal mask alone its `is_causal`;
- the explicit softmax, for the scores and for other ranks or `attention_axes` (4-D images,
  attention over several axes): `einsum` products as in Keras, a masked softmax over the key
  axes (masked scores set to -1e9, then their weights set to 0).
A query step whose every key is masked gets zero weights on both paths (torch's fused kernel
returns zeros there; Keras' own fused path on other backends averages the values instead).
"""

import math
import string

import torch
import torch.nn.functional as F

from lamina import constraints, initializers, regularizers
from lamina.layers.attention.projection import Projection, check_mask_shape
from lamina.layers.layer import Layer
from lamina.registry import register
from lamina.validation import (
    received,
    validate_positive_int,
    validate_rate,
    validate_shape,
)


@register("keras.layers")
class MultiHeadAttention(Layer):
    """Multi-head attention, as in "Attention Is All You Need" (Vaswani et al., 2017).

    `query`, `key` and `value` are projected to `num_heads` heads (`key_dim`, `key_dim` and
    `value_dim` features each); each head computes
    `softmax(query_h @ key_h^T / sqrt(key_dim)) @ value_h`, and the heads are projected
    together back to the query's feature size (or to `output_shape`). With `key` omitted,
    `key = value` (self-attention when `value = query` too).

    Args:
        num_heads: Positive integer, the number of attention heads.
        key_dim: Positive integer, the size of each head for query and key.
        value_dim: Positive integer, the size of each head for value. Defaults to `None`
            (`key_dim`).
        dropout: Float in [0, 1), fraction of the attention weights dropped in training.
            Defaults to `0.0`.
        use_bias: Whether the projections add biases. Defaults to `True`.
        output_shape: Int or tuple of ints, the trailing shape of the output. Defaults to
            `None` (the query's last dimension).
        attention_axes: Int or tuple of ints, the axes attention runs over (not the batch or
            feature axis), e.g. `(1, 2)` for 2-D attention on `(batch, h, w, channels)`.
            Defaults to `None` (every axis between batch and features).
        sliding_window: Positive integer: query step `i` attends only to key steps `j` with
            `|i - j| < sliding_window`. Defaults to `None` (no window).
        flash_attention: `True` forbids `return_attention_scores` (as in Keras); torch picks
            the fused kernel (flash, memory-efficient or math) by itself either way.
            Defaults to `None`.
        kernel_initializer: Initializer of the kernels. Defaults to `"glorot_uniform"`.
        bias_initializer: Initializer of the biases. Defaults to `"zeros"`.
        kernel_regularizer: Regularizer of the kernels. Defaults to `None`.
        bias_regularizer: Regularizer of the biases. Defaults to `None`.
        activity_regularizer: Regularizer of each projection's output (as Keras' sublayers
            apply it). Defaults to `None`.
        kernel_constraint: Constraint on the kernels. Defaults to `None`.
        bias_constraint: Constraint on the biases. Defaults to `None`.
        use_gate: Whether to gate the heads' outputs by `sigmoid(gate(query))` before the
            output projection. Defaults to `False`.
        seed: Integer seed of the dropout. Defaults to `None` (torch's global generator).
        **kwargs: Base layer arguments (`name`, `dtype`, `trainable`, ...).

    Weights (Keras' order and shapes, for inputs `(batch, T, dim)`):
        query/kernel `(dim, num_heads, key_dim)`, query/bias `(num_heads, key_dim)`;
        key/kernel, key/bias likewise; gate/kernel `(dim, num_heads, value_dim)` and gate/bias
        with `use_gate`; value/kernel `(dim, num_heads, value_dim)`, value/bias;
        attention_output/kernel `(num_heads, value_dim, *output_shape)`,
        attention_output/bias `output_shape`.

    Call arguments:
        query: `(batch, T, dim)` (or `(batch, *axes, dim)`).
        value: `(batch, S, dim_v)`.
        key: `(batch, S, dim_k)`. Defaults to `None` (`value`).
        query_mask, value_mask, key_mask: booleans `(batch, T)`, `(batch, S)`, `(batch, S)`.
            Default to the inputs' masks (`_keras_mask`).
        attention_mask: booleans `(batch, T, S)`: `True` where query step `t` may attend to
            key step `s`. Combined (and) with the other masks. Defaults to `None`.
        return_attention_scores: Whether to also return the attention weights
            `(batch, num_heads, T, S)`. Defaults to `False`.
        training: Whether to apply dropout. Defaults to the enclosing call's flag.
        use_causal_mask: Whether query step `i` may only attend to key steps `j <= i`.
            Defaults to `False`.

    Output shape:
        `(batch, T, *output_shape)`, and the weights with `return_attention_scores`. The
        output's mask is the query's.

    Example:
    >>> import torch, lamina as keras
    >>> layer = keras.layers.MultiHeadAttention(num_heads=2, key_dim=4)
    >>> query, value = torch.ones(3, 5, 8), torch.ones(3, 7, 6)
    >>> output, scores = layer(query, value, return_attention_scores=True)
    >>> tuple(output.shape), tuple(scores.shape)
    ((3, 5, 8), (3, 2, 5, 7))
    >>> [tuple(w.shape) for w in layer.get_weights()][:2]
    [(8, 2, 4), (2, 4)]
    """

    def __init__(self, num_heads, key_dim, value_dim=None, dropout=0.0, use_bias=True,
                 output_shape=None, attention_axes=None, sliding_window=None,
                 flash_attention=None, kernel_initializer="glorot_uniform",
                 bias_initializer="zeros", kernel_regularizer=None, bias_regularizer=None,
                 activity_regularizer=None, kernel_constraint=None, bias_constraint=None,
                 use_gate=False, seed=None, **kwargs):
        super().__init__(**kwargs)  # the activity regularizer applies to the projections
        self.num_heads = validate_positive_int(num_heads, "num_heads", self)
        self.key_dim = validate_positive_int(key_dim, "key_dim", self)
        self.value_dim = (self.key_dim if value_dim is None
                          else validate_positive_int(value_dim, "value_dim", self))
        self.dropout = validate_rate(dropout, "dropout", self)
        self.use_bias = bool(use_bias)
        self._output_shape = _output_shape(self, output_shape)
        self.attention_axes = _attention_axes(self, attention_axes)
        self.sliding_window = (None if sliding_window is None
                               else validate_positive_int(sliding_window, "sliding_window",
                                                          self))
        self.flash_attention = flash_attention
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.projection_activity_regularizer = regularizers.get(activity_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)
        self.bias_constraint = constraints.get(bias_constraint)
        self.use_gate = bool(use_gate)
        self.seed = seed
        self.supports_masking = True
        self._build_shapes = None

    # -- build ----------------------------------------------------------------------------
    def build(self, query_shape, value_shape, key_shape=None):
        query_shape, value_shape = tuple(query_shape), tuple(value_shape)
        key_shape = value_shape if key_shape is None else tuple(key_shape)
        self._build_shapes = {"query_shape": query_shape, "value_shape": value_shape,
                              "key_shape": key_shape}
        _check_shapes(self, query_shape, value_shape, key_shape)
        rank = len(query_shape) + 1  # of the projected tensors (batch, *axes, heads, features)
        axes = self.attention_axes or tuple(range(1, rank - 2))
        axes = tuple(a if a >= 0 else rank - 1 + a for a in axes)
        if not all(1 <= a <= rank - 3 for a in axes):
            raise ValueError(
                "`MultiHeadAttention` expects `attention_axes` between the batch and the "
                f"feature axis of inputs of rank {rank - 1}, i.e. in [1, {rank - 3}] (or "
                f"negative). Received: attention_axes={self.attention_axes}"
            )
        self._axes = axes
        self._fused = rank == 4  # (batch, T, heads, features): the fused kernel's layout
        self._equations = _attention_equations(rank, axes)
        common = {
            "use_bias": self.use_bias, "kernel_initializer": self.kernel_initializer,
            "bias_initializer": self.bias_initializer,
            "kernel_regularizer": self.kernel_regularizer,
            "bias_regularizer": self.bias_regularizer,
            "kernel_constraint": self.kernel_constraint,
            "bias_constraint": self.bias_constraint, "dtype": self._dtype_policy,
        }
        heads = self.num_heads
        self._query_dense = Projection((query_shape[-1],), (heads, self.key_dim),
                                       name="query", **common)
        self._key_dense = Projection((key_shape[-1],), (heads, self.key_dim), name="key",
                                     **common)
        self._gate_dense = (Projection((query_shape[-1],), (heads, self.value_dim),
                                       activation="sigmoid", name="gate", **common)
                            if self.use_gate else None)
        self._value_dense = Projection((value_shape[-1],), (heads, self.value_dim),
                                       name="value", **common)
        self._output_dense = Projection((heads, self.value_dim),
                                        self._output_shape or (query_shape[-1],),
                                        name="attention_output", **common)
        self.built = True

    # -- call -----------------------------------------------------------------------------
    def call(self, query, value, key=None, query_mask=None, value_mask=None, key_mask=None,
             attention_mask=None, return_attention_scores=False, training=None,
             use_causal_mask=False):
        if query_mask is None:
            query_mask = getattr(query, "_keras_mask", None)
        if value_mask is None:
            value_mask = getattr(value, "_keras_mask", None)
        if key is None:
            key = value
        elif key_mask is None:
            key_mask = getattr(key, "_keras_mask", None)
        if return_attention_scores and self.flash_attention:
            raise ValueError(
                "`MultiHeadAttention` cannot return the attention scores with "
                "`flash_attention=True`: the fused kernel never forms them. Create the layer "
                "with `flash_attention=None` to get them."
            )
        self._check_masks(query, value, key, query_mask, value_mask, key_mask, attention_mask)
        causal_only = (use_causal_mask and self.sliding_window is None and query_mask is None
                       and value_mask is None and key_mask is None and attention_mask is None)
        mask = None if causal_only else self._combined_mask(
            query, value, query_mask, value_mask, key_mask, attention_mask, use_causal_mask)
        projected_query = self._query_dense.call(query)  # (batch, T, heads, key_dim)
        projected_key = self._key_dense.call(key)  # (batch, S, heads, key_dim)
        projected_value = self._value_dense.call(value)  # (batch, S, heads, value_dim)
        dropout = self.dropout if training else 0.0
        if self._fused and not return_attention_scores:
            heads = F.scaled_dot_product_attention(  # (batch, heads, T, value_dim)
                projected_query.transpose(1, 2), projected_key.transpose(1, 2),
                projected_value.transpose(1, 2),
                attn_mask=None if mask is None else _expand(mask, 4),
                dropout_p=dropout, is_causal=causal_only,
                scale=1.0 / math.sqrt(self.key_dim),
            ).transpose(1, 2)  # (batch, T, heads, value_dim)
            scores = None
        else:
            if causal_only:
                mask = self._causal_mask(query, value)
            heads, scores = self._explicit_attention(projected_query, projected_key,
                                                     projected_value, mask, dropout)
        gate = None
        if self._gate_dense is not None:
            gate = self._gate_dense.call(query)  # (batch, T, heads, value_dim), in (0, 1)
            heads = heads * gate
        output = self._output_dense.call(heads)  # (batch, T, *output_shape)
        if self.projection_activity_regularizer is not None:
            self._add_activity_losses(projected_query, projected_key, projected_value, gate,
                                      output)
        return (output, scores) if return_attention_scores else output

    def _explicit_attention(self, query, key, value, mask, dropout):
        """Keras' einsum attention over `self._axes`; returns (heads, softmax weights)."""
        dot_equation, combine_equation = self._equations
        query = query * (1.0 / math.sqrt(self.key_dim))
        scores = torch.einsum(dot_equation, key, query)  # (batch..., heads, T..., S...)
        n = len(self._axes)
        if mask is not None:
            mask = _expand(mask, scores.dim(), n)
            big = 3e4 if scores.dtype == torch.float16 else 1e9
            scores = scores.masked_fill(~mask, -big)
        weights = scores.flatten(-n).softmax(-1).unflatten(-1, scores.shape[-n:])
        if mask is not None:
            weights = weights.masked_fill(~mask, 0.0)  # fully masked rows: zeros, not uniform
        dropped = F.dropout(weights, dropout, training=True) if dropout else weights
        return torch.einsum(combine_equation, dropped, value), weights

    def _combined_mask(self, query, value, query_mask, value_mask, key_mask, attention_mask,
                       use_causal_mask):
        """The `and` of every mask given, as booleans broadcastable to `(batch, T, S)`."""
        parts = []
        if query_mask is not None:
            parts.append(query_mask.bool().unsqueeze(-1))  # (batch, T, 1)
        for item in (value_mask, key_mask):
            if item is not None:
                parts.append(item.bool().unsqueeze(-2))  # (batch, 1, S)
        if use_causal_mask:
            parts.append(self._causal_mask(query, value))
        if self.sliding_window is not None:
            steps = torch.arange(query.shape[1], device=query.device).unsqueeze(-1)
            keys = torch.arange(value.shape[1], device=query.device)
            parts.append(((steps - keys).abs() < self.sliding_window).unsqueeze(0))
        if attention_mask is not None:
            parts.insert(0, attention_mask.bool())
        if not parts:
            return None
        mask = parts[0]
        for part in parts[1:]:
            mask = mask & part
        return mask

    @staticmethod
    def _causal_mask(query, value):
        """`(1, T, S)`: query step i sees key steps j <= i."""
        return torch.ones(1, query.shape[1], value.shape[1], dtype=torch.bool,
                          device=query.device).tril()

    def _check_masks(self, query, value, key, query_mask, value_mask, key_mask, attention_mask):
        for arg, tensor, item in (("query_mask", query, query_mask),
                                  ("value_mask", value, value_mask),
                                  ("key_mask", key, key_mask)):
            if item is not None:
                check_mask_shape(self, arg, item, tuple(tensor.shape[:-1]))
        if attention_mask is not None:
            steps = ([query.shape[a] for a in self._axes]
                     + [key.shape[a] for a in self._axes])
            shape = tuple(attention_mask.shape)
            if len(shape) < len(steps) or len(shape) > len(query.shape) + len(self._axes) or any(
                    m != s and m != 1 for m, s in zip(shape[-len(steps):], steps)):
                raise ValueError(
                    "`MultiHeadAttention` expects `attention_mask` of shape (batch, T, S) "
                    f"(here ending in {tuple(steps)}). Received: "
                    f"attention_mask.shape={shape}"
                )

    def _add_activity_losses(self, *outputs):
        regularizer = self.projection_activity_regularizer
        for tensor in outputs:
            if tensor is not None:
                self._losses.append(regularizer(tensor) / tensor.shape[0])

    # -- configuration --------------------------------------------------------------------
    def get_build_config(self):
        return None if self._build_shapes is None else {"shapes_dict": self._build_shapes}

    def get_config(self):
        return {
            **super().get_config(),
            "num_heads": self.num_heads,
            "key_dim": self.key_dim,
            "value_dim": self.value_dim,
            "dropout": self.dropout,
            "use_bias": self.use_bias,
            "use_gate": self.use_gate,
            "output_shape": self._output_shape,
            "attention_axes": self.attention_axes,
            "sliding_window": self.sliding_window,
            "flash_attention": self.flash_attention,
            "kernel_initializer": initializers.serialize(self.kernel_initializer),
            "bias_initializer": initializers.serialize(self.bias_initializer),
            "kernel_regularizer": regularizers.serialize(self.kernel_regularizer),
            "bias_regularizer": regularizers.serialize(self.bias_regularizer),
            "activity_regularizer": regularizers.serialize(self.projection_activity_regularizer),
            "kernel_constraint": constraints.serialize(self.kernel_constraint),
            "bias_constraint": constraints.serialize(self.bias_constraint),
            "seed": self.seed,
        }

    def extra_repr(self):
        return (f"name={self.name!r}, num_heads={self.num_heads}, key_dim={self.key_dim}, "
                f"value_dim={self.value_dim}")


def _expand(mask, rank, axes=1):
    """`mask` with axes inserted before its last `2 * axes` until it has `rank` axes (the heads
    axis, then any missing batch axes), as Keras expands attention masks."""
    while mask.dim() < rank:
        mask = mask.unsqueeze(-2 * axes - 1)
    return mask


def _output_shape(layer, value):
    if value is None:
        return None
    shape = validate_shape(value, "output_shape", layer, allow_none=False)
    if not shape or 0 in shape:
        raise ValueError("`MultiHeadAttention` expects `output_shape` to be a positive "
                         "integer or a tuple of positive integers. "
                         + received("output_shape", value))
    return shape


def _attention_axes(layer, value):
    if value is None:
        return None
    axes = (value,) if isinstance(value, int) and not isinstance(value, bool) else value
    if not isinstance(axes, (list, tuple)) or not axes or not all(
            isinstance(a, int) and not isinstance(a, bool) for a in axes):
        raise ValueError("`MultiHeadAttention` expects `attention_axes` to be an integer or a "
                         "tuple of integers. " + received("attention_axes", value))
    return tuple(axes)


def _check_shapes(layer, query_shape, value_shape, key_shape):
    for arg, shape in (("query", query_shape), ("value", value_shape), ("key", key_shape)):
        if len(shape) < 3 or shape[-1] is None:
            raise ValueError(
                f"`MultiHeadAttention` expects `{arg}` of rank 3 or more, (batch_size, steps, "
                f"features), with known features. Received: {arg}.shape={shape}"
            )
    if not len(query_shape) == len(value_shape) == len(key_shape):
        raise ValueError(
            "`MultiHeadAttention` expects `query`, `value` and `key` of the same rank. "
            f"Received shapes: query={query_shape}, value={value_shape}, key={key_shape}"
        )
    if value_shape[1:-1] != key_shape[1:-1]:
        raise ValueError(
            "All dimensions of `value` and `key`, except the last one, must be equal. "
            f"Received: value_shape={value_shape} and key_shape={key_shape}"
        )


def _attention_equations(rank, axes):
    """Keras' einsum equations for projected tensors of `rank` (batch, *axes, heads, features)
    attending over `axes`: (key, query) -> scores (batch..., heads, T..., S...), and
    (scores, value) -> (batch, *axes, heads, features)."""
    letters = string.ascii_lowercase
    target = letters[:rank]  # the query's axes
    batch = [i for i in range(rank - 1) if i not in axes]  # includes the heads axis
    fresh = iter(letters[rank:])
    source = "".join(next(fresh) if i in axes else target[i] for i in range(rank))  # key's
    scores = ("".join(target[i] for i in batch) + "".join(target[i] for i in axes)
              + "".join(source[i] for i in axes))
    return f"{source},{target}->{scores}", f"{scores},{source}->{target}"
