"""`Attention`: dot-product (Luong-style) attention over `[query, value]` or
`[query, value, key]`; the base of `AdditiveAttention`.

The scores `(batch, Tq, Tv)` come from `query` and `key`; masked scores are lowered by a large
number (`1e9`, `65504` in float16) rather than set to `-inf`, as Keras does, so a row whose
every key is masked averages the values instead of producing NaN. With plain dot scores and
no scores requested, the layer runs torch's fused `F.scaled_dot_product_attention`, given the
same additive mask, so it computes exactly what the explicit softmax computes.
"""

import torch
import torch.nn.functional as F

from lamina.layers.attention.projection import check_mask_shape
from lamina.layers.layer import Layer
from lamina.registry import register
from lamina.validation import validate_choice, validate_rate


@register("keras.layers")
class Attention(Layer):
    """Dot-product attention layer, a.k.a. Luong-style attention.

    With `query` `(batch, Tq, dim)`, `value` `(batch, Tv, dim)` and `key` `(batch, Tv, dim)`
    (`key` defaults to `value`):

    1. `scores = query @ key^T` (`score_mode="dot"`, times `scale` if `use_scale`), or
       `scores = concat_score_weight * sum(tanh(scale * (query_t + key_s)), -1)`
       (`score_mode="concat"`), of shape `(batch, Tq, Tv)`;
    2. `weights = softmax(scores)` over `Tv`, with masked keys left out;
    3. `output = weights @ value`, `(batch, Tq, dim)`; masked query steps are zeroed.

    Args:
        use_scale: Whether to learn a scalar `scale` multiplying the scores. Defaults to
            `False`.
        score_mode: `"dot"` or `"concat"` (the tanh of the sum of query and key). Defaults to
            `"dot"`.
        dropout: Float in [0, 1), fraction of the attention weights to drop in training.
            Defaults to `0.0`.
        seed: Integer seed of the dropout. Defaults to `None` (torch's global generator).
        **kwargs: Base layer arguments (`name`, `dtype`, `trainable`, ...).

    Weights:
        scale: `()`, ones, only with `use_scale=True`.
        concat_score_weight: `()`, ones, only with `score_mode="concat"`.

    Call arguments:
        inputs: `[query, value]` or `[query, value, key]`.
        mask: `[query_mask, value_mask]` (either may be `None`): booleans `(batch, Tq)` and
            `(batch, Tv)`. Masked values take no weight; masked query steps output zeros.
            Defaults to the inputs' masks.
        training: Whether to apply dropout. Defaults to the enclosing call's flag.
        return_attention_scores: Whether to return `(output, weights)` rather than `output`.
            Defaults to `False`.
        use_causal_mask: Whether query step `i` may only attend to value steps `j <= i` (for
            decoder self-attention). Defaults to `False`.

    Output shape:
        `(batch, Tq, dim)`, and the weights `(batch, Tq, Tv)` with `return_attention_scores`.
        The output's mask is the query's mask.

    Example:
    >>> import torch, lamina as keras
    >>> query, value = torch.ones(2, 3, 4), torch.ones(2, 5, 4)
    >>> output, weights = keras.layers.Attention()([query, value], return_attention_scores=True)
    >>> tuple(output.shape), tuple(weights.shape), round(weights[0, 0, 0].item(), 4)
    ((2, 3, 4), (2, 3, 5), 0.2)
    """

    def __init__(self, use_scale=False, score_mode="dot", dropout=0.0, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.use_scale = bool(use_scale)
        self.score_mode = validate_choice(score_mode, "score_mode", ("dot", "concat"), self)
        self.dropout = validate_rate(dropout, "dropout", self)
        self.seed = seed
        self.supports_masking = True

    @property
    def _uses_dot_product(self):
        """Whether the scores are `query @ key^T` (times a scalar), so the fused kernel fits."""
        return self.score_mode == "dot"

    def build(self, input_shape):
        check_input_shapes(self, input_shape)
        self.scale = (self.add_weight(name="scale", shape=(), initializer="ones")
                      if self.use_scale else None)
        self.concat_score_weight = (
            self.add_weight(name="concat_score_weight", shape=(), initializer="ones")
            if self.score_mode == "concat" else None)
        self.built = True

    def _scores(self, query, key):
        """`(batch, Tq, Tv)` scores of `query` `(batch, Tq, dim)` against `key`."""
        if self.score_mode == "dot":
            scores = query @ key.transpose(-2, -1)
            return scores if self.scale is None else scores * self.scale
        pairs = query.unsqueeze(-2) + key.unsqueeze(-3)  # (batch, Tq, Tv, dim)
        if self.scale is not None:
            pairs = pairs * self.scale
        return self.concat_score_weight * torch.tanh(pairs).sum(-1)

    def call(self, inputs, mask=None, training=None, return_attention_scores=False,
             use_causal_mask=False):
        check_inputs(self, inputs, mask)
        query, value = inputs[0], inputs[1]
        key = inputs[2] if len(inputs) > 2 else value
        query_mask = mask[0] if mask else None
        value_mask = mask[1] if mask else None
        scores_mask = None if value_mask is None else value_mask.bool().unsqueeze(-2)
        if use_causal_mask:  # (Tq, Tv): query step i sees value steps j <= i
            causal = torch.ones(query.shape[-2], key.shape[-2], dtype=torch.bool,
                                device=query.device).tril()
            scores_mask = causal if scores_mask is None else scores_mask & causal
        big = 65504.0 if query.dtype == torch.float16 else 1e9
        dropout = self.dropout if training else 0.0
        if self._uses_dot_product and not return_attention_scores:
            bias = None if scores_mask is None else (scores_mask.to(query.dtype) - 1) * big
            scaled = query if self.scale is None else query * self.scale
            output = F.scaled_dot_product_attention(scaled, key, value, attn_mask=bias,
                                                    dropout_p=dropout, scale=1.0)
            weights = None
        else:
            scores = self._scores(query, key)  # (batch, Tq, Tv)
            if scores_mask is not None:
                scores = torch.where(scores_mask, scores, scores - big)
            weights = scores.softmax(-1)
            if dropout:
                weights = F.dropout(weights, dropout, training=True)
            output = weights @ value  # (batch, Tq, dim)
        if query_mask is not None:
            output = torch.where(query_mask.bool().unsqueeze(-1), output, 0)
        return (output, weights) if return_attention_scores else output

    def compute_mask(self, inputs, mask=None):
        check_inputs(self, inputs, mask)
        if not mask or mask[0] is None:
            return None
        return mask[0]

    def get_config(self):
        return {**super().get_config(), "use_scale": self.use_scale,
                "score_mode": self.score_mode, "dropout": self.dropout, "seed": self.seed}


def check_input_shapes(layer, shapes):
    """Check `build`'s shapes: `[query, value(, key)]`, each `(batch, ..., T, dim)` of one rank,
    `value` and `key` with the same steps, `query` and `key` with the same `dim`."""
    if not all(isinstance(shape, (list, tuple)) for shape in shapes):
        raise ValueError(f"`{type(layer).__name__}` expects its inputs to be a list "
                         "`[query, value]` or `[query, value, key]`. Received: a single "
                         f"input of shape {tuple(shapes)}.")
    check_inputs(layer, shapes, None)
    query, value = tuple(shapes[0]), tuple(shapes[1])
    key = tuple(shapes[2]) if len(shapes) > 2 else value
    for arg, shape in (("query", query), ("value", value), ("key", key)):
        if len(shape) < 3:
            raise ValueError(
                f"`{type(layer).__name__}` expects `{arg}` of rank 3 or more, "
                f"(batch_size, steps, dim). Received: {arg}.shape={shape}"
            )
    if not len(query) == len(value) == len(key):
        raise ValueError(
            f"`{type(layer).__name__}` expects `query`, `value` and `key` of the same rank. "
            f"Received shapes: query={query}, value={value}, key={key}"
        )
    if _differ(value[-2], key[-2]) or _differ(query[-1], key[-1]):
        raise ValueError(
            f"`{type(layer).__name__}` expects `value` and `key` with the same number of "
            "steps, and `query` and `key` with the same last dimension. Received shapes: "
            f"query={query}, value={value}, key={key}"
        )


def check_inputs(layer, inputs, mask):
    """Check the call's structure: 2 or 3 inputs, masks as a list of 2 or 3 of the inputs'
    shapes without the last axis. Python work only, no device synchronisation."""
    name = type(layer).__name__
    if not isinstance(inputs, (list, tuple)) or not 2 <= len(inputs) <= 3:
        shown = (f"a list of length {len(inputs)}" if isinstance(inputs, (list, tuple))
                 else f"a {type(inputs).__name__}")
        raise ValueError(f"`{name}` expects its inputs to be a list `[query, value]` or "
                         f"`[query, value, key]`. Received: {shown}.")
    if mask is None:
        return
    if not isinstance(mask, (list, tuple)) or not 2 <= len(mask) <= 3:
        shown = (f"a list of length {len(mask)}" if isinstance(mask, (list, tuple))
                 else f"a {type(mask).__name__}")
        raise ValueError(f"`{name}` expects `mask` to be a list `[query_mask, value_mask]`. "
                         f"Received: {shown}.")
    for arg, tensor, item in (("query_mask", inputs[0], mask[0]),
                              ("value_mask", inputs[1], mask[1])):
        if item is not None:
            check_mask_shape(layer, arg, item, tuple(tensor.shape[:-1]))


def _differ(a, b):
    return a is not None and b is not None and a != b
