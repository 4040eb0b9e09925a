"""`AdditiveAttention`: Bahdanau-style attention, `Attention` with additive scores."""

import torch

from lamina.layers.attention.attention import Attention, check_input_shapes
from lamina.registry import register


@register("keras.layers")
class AdditiveAttention(Attention):
    """Additive attention layer, a.k.a. Bahdanau-style attention.

    As `Attention` (same inputs, masks, call arguments and outputs), with the scores
    `scores[b, t, s] = sum(scale * tanh(query[b, t] + key[b, s]))` over the last axis,
    where `scale` is a learned vector (or 1 without `use_scale`).

    Args:
        use_scale: Whether to learn the `(dim,)` vector `scale`. Defaults to `True`.
        dropout: Float in [0, 1), fraction of the attention weights to drop in training.
            Defaults to `0.0`.
        **kwargs: `seed` and the base layer arguments (`name`, `dtype`, `trainable`, ...).

    Weights:
        scale: `(dim,)`, `glorot_uniform`, only with `use_scale=True`.

    Example:
    >>> import torch, lamina as keras
    >>> query, value = torch.zeros(2, 3, 4), torch.ones(2, 5, 4)
    >>> output = keras.layers.AdditiveAttention()([query, value])
    >>> tuple(output.shape), output[0, 0].tolist()
    ((2, 3, 4), [1.0, 1.0, 1.0, 1.0])
    """

    def __init__(self, use_scale=True, dropout=0.0, **kwargs):
        super().__init__(use_scale=use_scale, dropout=dropout, **kwargs)

    @property
    def _uses_dot_product(self):
        return False

    def build(self, input_shape):
        check_input_shapes(self, input_shape)
        self.scale = (self.add_weight(name="scale", shape=(input_shape[0][-1],),
                                      initializer="glorot_uniform")
                      if self.use_scale else None)
        self.built = True

    def _scores(self, query, key):
        pairs = torch.tanh(query.unsqueeze(-2) + key.unsqueeze(-3))  # (batch, Tq, Tv, dim)
        return pairs.sum(-1) if self.scale is None else pairs @ self.scale  # (batch, Tq, Tv)

    def get_config(self):
        config = super().get_config()
        del config["score_mode"]
        return config
