"""`Attention`: scores, masks, the fused path, dropout, output masks, errors and config."""

import numpy as np
import pytest
import torch

import lamina as keras

GEN = torch.Generator().manual_seed(0)


def _inputs(tq=3, tv=5, dim=4):
    return (torch.randn(2, tq, dim, generator=GEN), torch.randn(2, tv, dim, generator=GEN),
            torch.randn(2, tv, dim, generator=GEN))


def _oracle(q, v, k, scale=1.0, value_mask=None, query_mask=None, causal=False):
    """Keras' formula in numpy: masked scores lowered by 1e9, masked query steps zeroed."""
    q, v, k = (t.numpy().astype("float64") for t in (q, v, k))
    scores = scale * q @ k.transpose(0, 2, 1)
    keep = np.ones(scores.shape, bool)
    if value_mask is not None:
        keep &= value_mask.numpy()[:, None, :]
    if causal:
        keep &= np.tril(np.ones(scores.shape[1:], bool))
    scores = np.where(keep, scores, scores - 1e9)
    weights = np.exp(scores - scores.max(-1, keepdims=True))
    weights /= weights.sum(-1, keepdims=True)
    out = weights @ v
    if query_mask is not None:
        out = np.where(query_mask.numpy()[..., None], out, 0.0)
    return out, weights


@pytest.mark.parametrize("scores", [False, True])
@pytest.mark.parametrize("causal", [False, True])
def test_dot_scores_masks_and_causal_match_the_formula(scores, causal):
    q, v, k = _inputs(tq=4, tv=4)
    layer = keras.layers.Attention(use_scale=True)
    layer([q, v, k])
    layer.set_weights([np.array(0.7, "float32")])
    query_mask = torch.tensor([[True, True, False, True], [True, True, True, True]])
    value_mask = torch.tensor([[True, False, True, True], [True, True, True, False]])
    with torch.no_grad():
        result = layer([q, v, k], mask=[query_mask, value_mask], use_causal_mask=causal,
                       return_attention_scores=scores)
    expected, weights = _oracle(q, v, k, 0.7, value_mask, query_mask, causal)
    output = result[0] if scores else result  # scores=False runs the fused kernel
    np.testing.assert_allclose(output.numpy(), expected, rtol=1e-5, atol=1e-6)
    if scores:
        np.testing.assert_allclose(result[1].numpy(), weights, rtol=1e-5, atol=1e-6)


def test_concat_scores():
    q, v, _ = _inputs()
    layer = keras.layers.Attention(score_mode="concat", use_scale=True)
    layer([q, v])
    layer.set_weights([np.array(0.5, "float32"), np.array(2.0, "float32")])
    _, weights = layer([q, v], return_attention_scores=True)
    scores = 2.0 * np.tanh(0.5 * (q.numpy()[:, :, None] + v.numpy()[:, None])).sum(-1)
    expected = np.exp(scores) / np.exp(scores).sum(-1, keepdims=True)
    np.testing.assert_allclose(weights.detach().numpy(), expected, rtol=1e-5, atol=1e-6)


def test_fully_masked_values_average_instead_of_nan():
    q, v, _ = _inputs()
    value_mask = torch.zeros(2, 5, dtype=torch.bool)
    layer = keras.layers.Attention()
    for scores in (False, True):
        output = layer([q, v], mask=[None, value_mask], return_attention_scores=scores)
        output = output[0] if scores else output
        assert torch.isfinite(output).all()


def test_dropout_drops_weights_in_training_only():
    q, v, _ = _inputs()
    layer = keras.layers.Attention(dropout=0.5)
    plain = keras.layers.Attention()
    _, kept = plain([q, v], return_attention_scores=True)
    _, dropped = layer([q, v], return_attention_scores=True, training=True)
    zero = dropped == 0
    assert zero.any() and (~zero).any()
    torch.testing.assert_close(dropped[~zero], 2 * kept[~zero])
    torch.testing.assert_close(layer([q, v], training=False), plain([q, v]))
    assert not torch.allclose(layer([q, v], training=True), plain([q, v]))


def test_output_mask_is_the_query_mask():
    q, v, _ = _inputs()
    layer = keras.layers.Attention()
    query_mask = torch.tensor([[True, False, True], [True, True, False]])
    assert layer.compute_mask([q, v], [query_mask, None]) is query_mask
    assert layer.compute_mask([q, v], [None, None]) is None
    assert layer.compute_mask([q, v]) is None
    assert layer.supports_masking


def test_symbolic_call_returns_output_and_scores():
    query, value = keras.Input((3, 4)), keras.Input((5, 4))
    output, scores = keras.layers.Attention()([query, value], return_attention_scores=True)
    assert output.shape == (None, 3, 4) and scores.shape == (None, 3, 5)


@pytest.mark.parametrize("count, shown", [(0, "a single input of shape"),
                                           (1, "a list of length 1"),
                                           (4, "a list of length 4")])
def test_rejects_inputs_that_are_not_a_list_of_two_or_three(count, shown):
    q, _, _ = _inputs()
    inputs = q if count == 0 else [q] * count
    with pytest.raises(ValueError, match=rf"`Attention` expects its inputs to be a list "
                                         rf"`\[query, value\]`.*Received: {shown}"):
        keras.layers.Attention()(inputs)


def test_call_checks_the_inputs_of_a_built_layer():
    q, v, _ = _inputs()
    layer = keras.layers.Attention()
    layer([q, v])
    with pytest.raises(ValueError, match=r"Received: a Tensor"):
        layer(q)


@pytest.mark.parametrize("mask, message", [
    (torch.ones(2, 3, dtype=torch.bool), r"expects `mask` to be a list .*Received: a Tensor"),
    ([None], r"expects `mask` to be a list .*Received: a list of length 1"),
    ([torch.ones(2, 5, dtype=torch.bool), None],
     r"`query_mask` of shape \(2, 3\) .*Received: query_mask.shape=\(2, 5\)"),
    ([None, torch.ones(2, 3, dtype=torch.bool)],
     r"`value_mask` of shape \(2, 5\) .*Received: value_mask.shape=\(2, 3\)"),
])
def test_rejects_bad_masks(mask, message):
    q, v, _ = _inputs()
    with pytest.raises(ValueError, match=message):
        keras.layers.Attention()([q, v], mask=mask)


@pytest.mark.parametrize("shapes, message", [
    ([(2, 4), (2, 4)], r"expects `query` of rank 3 or more.*query.shape=\(2, 4\)"),
    ([(2, 3, 4), (2, 2, 5, 4)], r"same rank"),
    ([(2, 3, 4), (2, 5, 4), (2, 6, 4)], r"same number of steps"),
    ([(2, 3, 4), (2, 5, 3)], r"same last dimension"),
])
def test_rejects_incompatible_shapes(shapes, message):
    with pytest.raises(ValueError, match=message):
        keras.layers.Attention()([torch.zeros(s) for s in shapes])


def test_rejects_bad_arguments():
    with pytest.raises(ValueError, match=r"`Attention` expects `score_mode` to be one of "
                                         r"'dot', 'concat'. Received: score_mode='add'"):
        keras.layers.Attention(score_mode="add")
    with pytest.raises(ValueError, match=r"`Attention` expects `dropout` to be a float"):
        keras.layers.Attention(dropout=1.5)


def test_weights_and_config():
    q, v, _ = _inputs()
    layer = keras.layers.Attention(use_scale=True, score_mode="concat", dropout=0.2, seed=3)
    layer([q, v])
    assert [w.name for w in layer.weights] == ["scale", "concat_score_weight"]
    assert [w.shape for w in layer.get_weights()] == [(), ()]
    config = layer.get_config()
    assert {k: config[k] for k in ("use_scale", "score_mode", "dropout", "seed")} == {
        "use_scale": True, "score_mode": "concat", "dropout": 0.2, "seed": 3}
    assert keras.layers.Attention.from_config(config).get_config()["score_mode"] == "concat"
    assert keras.layers.Attention().get_weights() == []
