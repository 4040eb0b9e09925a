"""`AdditiveAttention`: additive scores, its `scale` vector, masks and config."""

import numpy as np
import pytest
import torch

import lamina as keras


def _softmax(x):
    e = np.exp(x - x.max(-1, keepdims=True))
    return e / e.sum(-1, keepdims=True)


@pytest.mark.parametrize("use_scale", [True, False])
def test_scores_are_the_scaled_sum_of_tanh(use_scale):
    gen = torch.Generator().manual_seed(1)
    q, v, k = (torch.randn(2, n, 4, generator=gen) for n in (3, 5, 5))
    layer = keras.layers.AdditiveAttention(use_scale=use_scale)
    layer([q, v, k])
    scale = np.array([0.5, -1.0, 2.0, 0.25], "float32")
    if use_scale:
        layer.set_weights([scale])
    value_mask = torch.tensor([[True, True, False, True, True]] * 2)
    output, weights = layer([q, v, k], mask=[None, value_mask], return_attention_scores=True)
    pairs = np.tanh(q.numpy()[:, :, None] + k.numpy()[:, None])
    scores = (pairs * (scale if use_scale else 1.0)).sum(-1)
    scores = np.where(value_mask.numpy()[:, None], scores, scores - 1e9)
    expected = _softmax(scores)
    np.testing.assert_allclose(weights.detach().numpy(), expected, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(output.detach().numpy(), expected @ v.numpy(), rtol=1e-5,
                               atol=1e-6)


def test_scale_weight_and_config():
    layer = keras.layers.AdditiveAttention(dropout=0.1)
    layer([torch.zeros(1, 2, 6), torch.zeros(1, 3, 6)])
    assert [(w.name, tuple(w.shape)) for w in layer.weights] == [("scale", (6,))]
    config = layer.get_config()
    assert "score_mode" not in config
    assert config["use_scale"] is True and config["dropout"] == 0.1
    clone = keras.layers.AdditiveAttention.from_config(config)
    assert clone.get_config() == {**config, "name": clone.name}


def test_rejects_mismatched_query_and_key_features():
    with pytest.raises(ValueError, match="`AdditiveAttention` expects .* same last dimension"):
        keras.layers.AdditiveAttention()([torch.zeros(1, 2, 3), torch.zeros(1, 4, 5)])
