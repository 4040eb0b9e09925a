"""Embedding, Masking and the attention layers against real Keras 3
(`golden/make_attention_golden.py`): outputs, attention scores, output masks, and
MultiHeadAttention's gradients with respect to its weights and inputs."""

import json
import pathlib

import numpy as np
import pytest
import torch

import lamina as keras

GOLDEN = np.load(pathlib.Path(__file__).parent / "golden" / "attention_golden.npz")
CASES = json.loads(str(GOLDEN["cases"]))
TOL = {"rtol": 1e-5, "atol": 1e-5}


def _array(case, key):
    return torch.from_numpy(GOLDEN[f"{case['name']}/{key}"])


def _run(layer, case, inputs, **overrides):
    masks = {key: _array(case, key) for key in case["masks"]}
    options = {**case["options"], **overrides}
    if case["call"] == "single":
        return layer(inputs[0])
    if case["call"] == "list":
        mask = [masks.get("query_mask"), masks.get("value_mask")] if masks else None
        return layer(list(inputs), mask=mask, **options)
    key = {"key": inputs[2]} if len(inputs) > 2 else {}
    return layer(inputs[0], inputs[1], **key, **masks, **options)


def _layer(case):
    layer = getattr(keras.layers, case["class"])(**case["config"])
    inputs = [_array(case, f"x{i}") for i in range(case["inputs"])]
    _run(layer, case, inputs)  # builds
    weights = [GOLDEN[f"{case['name']}/w{i}"] for i in range(len(layer.weights))]
    layer.set_weights(weights)
    return layer, inputs


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_matches_keras(case):
    layer, inputs = _layer(case)
    with torch.no_grad():
        outputs = _run(layer, case, inputs)
    name = case["name"]
    if case["options"].get("return_attention_scores"):
        outputs, scores = outputs
        np.testing.assert_allclose(scores.numpy(), GOLDEN[f"{name}/scores"], **TOL)
        with torch.no_grad():  # without scores, the fused kernel computes the same output
            fused = _run(layer, case, inputs, return_attention_scores=False)
        np.testing.assert_allclose(fused.numpy(), GOLDEN[f"{name}/y"], **TOL)
    np.testing.assert_allclose(outputs.numpy(), GOLDEN[f"{name}/y"], **TOL)
    if f"{name}/out_mask" in GOLDEN:
        np.testing.assert_array_equal(layer.compute_mask(inputs[0]).numpy(),
                                      GOLDEN[f"{name}/out_mask"])
    elif case["class"] == "Embedding":
        assert layer.compute_mask(inputs[0]) is None


GRADIENT_CASES = [c for c in CASES if c["grads"]]


@pytest.mark.parametrize("case", GRADIENT_CASES, ids=[c["name"] for c in GRADIENT_CASES])
def test_gradients_match_keras(case):
    layer, inputs = _layer(case)
    inputs = [x.clone().requires_grad_(True) for x in inputs]
    outputs = _run(layer, case, inputs)
    if isinstance(outputs, tuple):
        outputs = outputs[0]
    (outputs * _array(case, "r")).sum().backward()
    name = case["name"]
    for i, weight in enumerate(layer.trainable_weights):
        grad = weight.grad if weight.keras_permutation is None else weight.grad.permute(
            weight.keras_permutation)
        np.testing.assert_allclose(grad.numpy(), GOLDEN[f"{name}/gw{i}"], rtol=1e-4,
                                   atol=1e-5, err_msg=weight.path)
    for i, x in enumerate(inputs):
        np.testing.assert_allclose(x.grad.numpy(), GOLDEN[f"{name}/gx{i}"], rtol=1e-4,
                                   atol=1e-5)


def test_golden_covers_every_layer():
    assert {c["class"] for c in CASES} == {"Embedding", "Masking", "Attention",
                                           "AdditiveAttention", "MultiHeadAttention"}
