"""`MultiHeadAttention`: per-head formula, fused vs explicit paths, masks (arguments and
`_keras_mask`), building from keyword arguments, regularizers, dropout, errors, config."""

import numpy as np
import pytest
import torch

import lamina as keras

MHA = keras.layers.MultiHeadAttention


def _tensors(*shapes, seed=0):
    gen = torch.Generator().manual_seed(seed)
    return [torch.randn(*shape, generator=gen) for shape in shapes]


def _oracle(layer, query, value, mask=None):
    """Each head by hand in numpy from the Keras-layout weights (query is key is value's
    partner: key = value)."""
    wq, bq, wk, bk, wv, bv, wo, bo = layer.get_weights()
    q, v = query.numpy(), value.numpy()
    heads = []
    for h in range(layer.num_heads):
        qh = q @ wq[:, h] + bq[h]
        kh = v @ wk[:, h] + bk[h]
        vh = v @ wv[:, h] + bv[h]
        scores = qh @ kh.transpose(0, 2, 1) / np.sqrt(layer.key_dim)
        if mask is not None:
            scores = np.where(mask, scores, -1e9)
        weights = np.exp(scores - scores.max(-1, keepdims=True))
        weights /= weights.sum(-1, keepdims=True)
        heads.append(weights @ vh @ wo[h])
    return sum(heads) + bo


@pytest.mark.parametrize("scores", [False, True])
def test_matches_the_per_head_formula(scores):
    query, value = _tensors((2, 4, 5), (2, 6, 3))
    layer = MHA(num_heads=3, key_dim=2, value_dim=4, bias_initializer="random_normal")
    mask = torch.rand(2, 4, 6, generator=torch.Generator().manual_seed(1)) > 0.3
    mask[..., 0] = True
    with torch.no_grad():
        result = layer(query, value, attention_mask=mask, return_attention_scores=scores)
    output = result[0] if scores else result
    np.testing.assert_allclose(output.numpy(), _oracle(layer, query, value, mask.numpy()),
                               rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("kwargs", [{}, {"use_gate": True}, {"sliding_window": 2},
                                    {"value_dim": 5, "output_shape": (2, 3)}])
@pytest.mark.parametrize("causal", [False, True])
def test_fused_and_explicit_paths_agree(kwargs, causal):
    query, value, key = _tensors((2, 5, 4), (2, 5, 6), (2, 5, 3))
    layer = MHA(num_heads=2, key_dim=3, **kwargs)
    value_mask = torch.tensor([[1, 1, 0, 1, 1], [1, 0, 1, 1, 0]], dtype=torch.bool)
    call = {"key": key, "value_mask": value_mask, "use_causal_mask": causal}
    with torch.no_grad():
        fused = layer(query, value, **call)
        explicit, _ = layer(query, value, **call, return_attention_scores=True)
    torch.testing.assert_close(fused, explicit, rtol=1e-5, atol=1e-5)


def test_masks_combine_with_and():
    query, value = _tensors((2, 4, 5), (2, 6, 5))
    gen = torch.Generator().manual_seed(2)
    query_mask, value_mask = torch.rand(2, 4, generator=gen) > 0.3, torch.rand(2, 6) > 0.3
    attention_mask = torch.rand(2, 4, 6, generator=gen) > 0.3
    layer = MHA(2, 3)
    _, scores = layer(query, value, query_mask=query_mask, value_mask=value_mask,
                      attention_mask=attention_mask, use_causal_mask=True,
                      return_attention_scores=True)
    combined = (query_mask[:, :, None] & value_mask[:, None] & attention_mask
                & torch.ones(4, 6, dtype=torch.bool).tril())
    blocked = ~combined.unsqueeze(1).expand_as(scores)
    assert (scores[blocked] == 0).all()
    assert (scores[~blocked] > 0).all()


def test_masks_are_read_from_the_inputs_keras_mask():
    query, value, key = _tensors((2, 4, 5), (2, 6, 5), (2, 6, 5))
    query_mask = torch.tensor([[1, 1, 0, 1], [1, 0, 1, 1]], dtype=torch.bool)
    value_mask = torch.tensor([[1, 1, 0, 1, 1, 0]] * 2, dtype=torch.bool)
    key_mask = torch.tensor([[1, 0, 1, 1, 1, 1]] * 2, dtype=torch.bool)
    layer = MHA(2, 3)
    expected = layer(query, value, key, query_mask=query_mask, value_mask=value_mask,
                     key_mask=key_mask)
    query._keras_mask, value._keras_mask, key._keras_mask = query_mask, value_mask, key_mask
    torch.testing.assert_close(layer(query, value, key), expected)
    assert layer.supports_masking


def test_builds_from_keyword_arguments():
    query, value, key = _tensors((2, 4, 5), (2, 6, 7), (2, 6, 3))
    layer = MHA(2, 3)
    output = layer(query=query, value=value, key=key)
    assert tuple(output.shape) == (2, 4, 5)
    assert [w.shape for w in layer.get_weights()][::2] == [(5, 2, 3), (3, 2, 3), (7, 2, 3),
                                                          (2, 3, 5)]
    assert layer.get_build_config() == {"shapes_dict": {
        "query_shape": (2, 4, 5), "value_shape": (2, 6, 7), "key_shape": (2, 6, 3)}}
    assert MHA(1, 1).get_build_config() is None


def test_weight_names_and_order_follow_keras():
    layer = MHA(2, 3, use_gate=True)
    layer(*_tensors((1, 2, 4), (1, 3, 4)))
    assert [w.path for w in layer.weights] == [
        f"{n}/{w}" for n in ("query", "key", "gate", "value", "attention_output")
        for w in ("kernel", "bias")]


def test_regularizers_apply_to_every_projection():
    layer = MHA(2, 3, kernel_regularizer="l2", activity_regularizer="l1", use_bias=False)
    query, value = _tensors((2, 4, 5), (2, 6, 5))
    layer(query, value)
    assert len(layer.losses) == 4 + 4  # q, k, v, output activities; q, k, v, output kernels
    weights = layer.get_weights()
    expected = sum(0.01 * (w ** 2).sum() for w in weights)
    torch.testing.assert_close(sum(layer.losses[4:]), torch.tensor(expected, dtype=torch.float32))


def test_dropout_only_in_training():
    query, value = _tensors((2, 4, 5), (2, 6, 5))
    layer = MHA(2, 3, dropout=0.5)
    plain = layer(query, value, training=False)
    torch.testing.assert_close(layer(query, value), plain)
    assert not torch.allclose(layer(query, value, training=True), plain)
    _, scores = layer(query, value, training=True, return_attention_scores=True)
    torch.testing.assert_close(scores.sum(-1), torch.ones(2, 2, 4))  # scores before dropout


def test_two_attention_axes_normalise_jointly():
    (image,) = _tensors((2, 3, 4, 5))
    layer = MHA(2, 3, attention_axes=(1, 2))
    output, scores = layer(image, image, return_attention_scores=True)
    assert tuple(scores.shape) == (2, 2, 3, 4, 3, 4) and tuple(output.shape) == (2, 3, 4, 5)
    torch.testing.assert_close(scores.sum((-2, -1)), torch.ones(2, 2, 3, 4))


def test_compiles_without_graph_breaks():
    query, value = _tensors((2, 4, 5), (2, 6, 5))
    layer = MHA(2, 3)
    mask = torch.ones(2, 4, 6, dtype=torch.bool)
    mask[:, :, 4:] = False
    expected = layer(query, value, attention_mask=mask, use_causal_mask=True)
    torch._dynamo.reset()
    compiled = torch.compile(layer, backend="aot_eager", fullgraph=True)
    got = compiled(query, value, attention_mask=mask, use_causal_mask=True)
    torch.testing.assert_close(got, expected)


def test_config_round_trip():
    layer = MHA(4, 8, value_dim=6, dropout=0.1, use_bias=False, output_shape=3,
                attention_axes=-2, sliding_window=5, use_gate=True, kernel_regularizer="l2",
                seed=7)
    config = layer.get_config()
    assert {k: config[k] for k in ("num_heads", "key_dim", "value_dim", "output_shape",
                                   "attention_axes", "sliding_window", "use_gate")} == {
        "num_heads": 4, "key_dim": 8, "value_dim": 6, "output_shape": (3,),
        "attention_axes": (-2,), "sliding_window": 5, "use_gate": True}
    clone = MHA.from_config(config)
    assert clone.get_config() == {**config, "name": clone.name}


@pytest.mark.parametrize("kwargs, message", [
    ({"num_heads": 0}, "`num_heads` to be a positive integer"),
    ({"key_dim": 2.5}, "`key_dim` to be a positive integer"),
    ({"value_dim": -1}, "`value_dim` to be a positive integer"),
    ({"dropout": 1.0}, r"`dropout` to be a float in \[0, 1\)"),
    ({"output_shape": (2, 0)}, "`output_shape` to be a positive integer or a tuple"),
    ({"output_shape": "a"}, "`output_shape` to be a tuple of non-negative integers"),
    ({"attention_axes": "1"}, "`attention_axes` to be an integer or a tuple of integers"),
    ({"attention_axes": (1.0,)}, "`attention_axes` to be an integer or a tuple of integers"),
    ({"sliding_window": 0}, "`sliding_window` to be a positive integer"),
])
def test_rejects_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        MHA(**{"num_heads": 2, "key_dim": 3, **kwargs})


@pytest.mark.parametrize("shapes, kwargs, message", [
    ([(2, 5), (2, 5)], {}, r"expects `query` of rank 3 or more.*query.shape=\(2, 5\)"),
    ([(2, 4, 5), (2, 3, 6, 5)], {}, "of the same rank"),
    ([(2, 4, 5), (2, 6, 5), (2, 7, 5)], {}, "All dimensions of `value` and `key`"),
    ([(2, 4, 5), (2, 6, 5)], {"attention_axes": (2,)},
     r"`attention_axes` between the batch and the feature axis.*in \[1, 1\]"),
])
def test_rejects_incompatible_input_shapes(shapes, kwargs, message):
    with pytest.raises(ValueError, match=message):
        MHA(2, 3, **kwargs)(*_tensors(*shapes))


@pytest.mark.parametrize("kwargs, message", [
    ({"query_mask": torch.ones(2, 5, dtype=torch.bool)},
     r"`query_mask` of shape \(2, 4\) .*Received: query_mask.shape=\(2, 5\)"),
    ({"value_mask": torch.ones(2, 4, 1, dtype=torch.bool)}, r"`value_mask` of shape \(2, 6\)"),
    ({"attention_mask": torch.ones(2, 6, 4, dtype=torch.bool)},
     r"`attention_mask` of shape \(batch, T, S\) \(here ending in \(4, 6\)\).*\(2, 6, 4\)"),
    ({"attention_mask": torch.ones(6, dtype=torch.bool)}, r"attention_mask.shape=\(6,\)"),
    ({"return_attention_scores": True},
     "cannot return the attention scores with `flash_attention=True`"),
])
def test_rejects_bad_masks_and_flash_scores(kwargs, message):
    query, value = _tensors((2, 4, 5), (2, 6, 5))
    layer = MHA(2, 3, flash_attention=True)
    with pytest.raises(ValueError, match=message):
        layer(query, value, **kwargs)
