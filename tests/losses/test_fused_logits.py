"""The fused path: when `y_pred` carries the logits `softmax`/`sigmoid` attached to it,
cross-entropies compute from the logits and clamp log-probabilities, which must equal Keras'
clipped formula on the probabilities in value and in gradient, saturated logits included."""

import json
import pathlib

import numpy as np
import pytest
import torch

from lamina import losses

GOLDEN = json.loads((pathlib.Path(__file__).parent / "golden" / "losses_golden.json").read_text())
EPS = 1e-7


def _activate(logits, activation, attach=True):
    out = torch.softmax(logits, dim=-1) if activation == "softmax" else torch.sigmoid(logits)
    if attach:
        out._keras_logits = logits
    return out


@pytest.mark.parametrize("attach", [True, False], ids=["fused", "probabilities"])
@pytest.mark.parametrize(
    "case", GOLDEN["fused"],
    ids=lambda c: f"{c['cls']}-{c['config']}-weighted={c['sample_weight'] is not None}")
def test_value_and_gradient_match_keras(case, attach):
    logits = torch.tensor(case["logits"], requires_grad=True)
    loss = getattr(losses, case["cls"])(**case["config"])
    weight = None if case["sample_weight"] is None else torch.tensor(case["sample_weight"])
    value = loss(torch.tensor(case["y_true"]), _activate(logits, case["activation"], attach),
                 sample_weight=weight)
    value.backward()
    np.testing.assert_allclose(value.item(), case["value"], rtol=1e-5)
    np.testing.assert_allclose(logits.grad.numpy(), np.asarray(case["grad"], np.float32),
                               rtol=1e-4, atol=1e-6)


def _clipped_categorical(y_true, logits):
    """Keras' formula, written out: normalise, clip to [eps, 1 - eps], log."""
    probs = torch.softmax(logits, dim=-1)
    probs = probs / probs.sum(dim=-1, keepdim=True)
    return -(y_true * probs.clamp(EPS, 1 - EPS).log()).sum(dim=-1)


def _clipped_binary(y_true, logits):
    p = torch.sigmoid(logits).clamp(EPS, 1 - EPS)
    return -(y_true * p.log() + (1 - y_true) * (1 - p).log()).mean(dim=-1)


SATURATED = torch.tensor([[60.0, -60.0, 0.0], [0.0, 0.0, 200.0], [-300.0, 1.0, 2.0],
                          [17.0, 0.0, -17.0], [1.0, 2.0, 3.0], [0.0, 0.0, 0.0]])


def test_fused_categorical_equals_clipped_formula_at_saturation():
    y_true = torch.eye(3)[[1, 2, 0, 1, 0, 2]]
    fused_logits = SATURATED.clone().requires_grad_(True)
    plain_logits = SATURATED.clone().requires_grad_(True)
    fused = losses.categorical_crossentropy(y_true, _activate(fused_logits, "softmax"))
    plain = _clipped_categorical(y_true, plain_logits)
    fused.sum().backward()
    plain.sum().backward()
    torch.testing.assert_close(fused, plain, rtol=1e-5, atol=1e-6)
    torch.testing.assert_close(fused_logits.grad, plain_logits.grad, rtol=1e-5, atol=1e-6)
    assert fused[0].item() == pytest.approx(-np.log(np.float32(EPS)), rel=1e-6)  # p ~ 0: clip


def test_fused_sparse_equals_clipped_formula_at_saturation():
    labels = torch.tensor([1, 2, 0, 1, 0, 2])
    fused_logits = SATURATED.clone().requires_grad_(True)
    plain_logits = SATURATED.clone().requires_grad_(True)
    fused = losses.sparse_categorical_crossentropy(labels, _activate(fused_logits, "softmax"))
    plain = _clipped_categorical(torch.eye(3)[labels], plain_logits)
    fused.sum().backward()
    plain.sum().backward()
    torch.testing.assert_close(fused, plain, rtol=1e-5, atol=1e-6)
    torch.testing.assert_close(fused_logits.grad, plain_logits.grad, rtol=1e-5, atol=1e-6)


def test_fused_binary_equals_clipped_formula_at_saturation():
    y_true = torch.tensor([[1.0, 0.0, 1.0], [0.0, 1.0, 0.0], [1.0, 1.0, 0.0],
                           [0.0, 1.0, 1.0], [1.0, 0.0, 0.0], [0.5, 0.2, 1.0]])
    fused_logits = SATURATED.clone().requires_grad_(True)
    plain_logits = SATURATED.clone().requires_grad_(True)
    fused = losses.binary_crossentropy(y_true, _activate(fused_logits, "sigmoid"))
    plain = _clipped_binary(y_true, plain_logits)
    fused.sum().backward()
    plain.sum().backward()
    torch.testing.assert_close(fused, plain, rtol=1e-5, atol=1e-6)
    torch.testing.assert_close(fused_logits.grad, plain_logits.grad, rtol=1e-5, atol=1e-6)


def test_saturated_gradient_is_zero_as_with_clipping():
    # p rounds to 1 for the labelled class: Keras' clip stops the gradient, so must the clamp.
    logits = torch.tensor([[50.0, 0.0, 0.0]], requires_grad=True)
    losses.CategoricalCrossentropy()(torch.tensor([[1.0, 0.0, 0.0]]),
                                     _activate(logits, "softmax")).backward()
    assert torch.equal(logits.grad, torch.zeros_like(logits))


def _tampered(activation):
    """Probabilities whose attached logits disagree with them: which one a loss reads shows."""
    logits = torch.tensor([[0.3, -1.2, 2.0], [1.0, 0.5, -0.5]])
    out = _activate(logits, activation)
    out._keras_logits = logits + torch.tensor([1.5, 0.0, -1.0])
    return out


def test_categorical_reads_attached_logits():
    y_true = torch.eye(3)[[2, 0]]
    y_pred = _tampered("softmax")
    expected = _clipped_categorical(y_true, y_pred._keras_logits)
    torch.testing.assert_close(losses.categorical_crossentropy(y_true, y_pred), expected)
    torch.testing.assert_close(
        losses.sparse_categorical_crossentropy(torch.tensor([2, 0]), y_pred), expected)


def test_binary_reads_attached_logits():
    y_true = torch.tensor([[1.0, 0.0, 1.0], [0.0, 0.0, 1.0]])
    y_pred = _tampered("sigmoid")
    torch.testing.assert_close(losses.binary_crossentropy(y_true, y_pred),
                               _clipped_binary(y_true, y_pred._keras_logits))


def test_other_activation_tag_uses_probabilities():
    # binary cross-entropy on a softmax output must not read softmax logits as sigmoid logits
    y_true = torch.tensor([[1.0, 0.0, 1.0], [0.0, 0.0, 1.0]])
    y_pred = _tampered("softmax")
    y_pred._keras_activation = "softmax"
    expected = -(y_true * y_pred.clamp(EPS, 1 - EPS).log()
                 + (1 - y_true) * (1 - y_pred.clamp(EPS, 1 - EPS)).log()).mean(dim=-1)
    torch.testing.assert_close(losses.binary_crossentropy(y_true, y_pred), expected)


def test_from_logits_true_ignores_attached_logits():
    y_pred = _tampered("softmax")
    expected = -torch.log_softmax(y_pred, dim=-1)[[0, 1], [2, 0]]
    torch.testing.assert_close(
        losses.sparse_categorical_crossentropy(torch.tensor([2, 0]), y_pred, from_logits=True),
        expected)


def test_non_last_axis_uses_probabilities():
    # softmax attaches last-axis logits; a loss over axis 0 must not use them
    y_true = torch.eye(3)[[2, 0]]
    y_pred = _tampered("softmax")
    probs = y_pred / y_pred.sum(dim=0, keepdim=True)
    expected = -(y_true * probs.clamp(EPS, 1 - EPS).log()).sum(dim=0)
    torch.testing.assert_close(losses.categorical_crossentropy(y_true, y_pred, axis=0), expected)


def test_cast_to_loss_dtype_carries_logits():
    y_true = torch.eye(3)[[2, 0]]
    y_pred = _tampered("softmax")
    half = y_pred.half()
    half._keras_logits = y_pred._keras_logits.half()
    value = losses.CategoricalCrossentropy(reduction=None)(y_true, half)
    assert value.dtype == torch.float32
    expected = _clipped_categorical(y_true, half._keras_logits.float())
    torch.testing.assert_close(value, expected, rtol=1e-5, atol=1e-6)


def test_squeezed_prediction_carries_logits():
    # (batch, time) labels and (batch, time, 1) sigmoid outputs: the wrapper squeezes y_pred
    y_true = torch.tensor([[1.0, 0.0, 1.0], [0.0, 0.0, 1.0]])
    y_pred = _tampered("sigmoid").unsqueeze(-1)
    y_pred._keras_logits = (torch.tensor([[0.3, -1.2, 2.0], [1.0, 0.5, -0.5]])
                            + torch.tensor([1.5, 0.0, -1.0])).unsqueeze(-1)
    value = losses.BinaryCrossentropy(reduction=None)(y_true, y_pred)
    expected = -(y_true * torch.nn.functional.logsigmoid(y_pred._keras_logits[..., 0])
                 + (1 - y_true) * torch.nn.functional.logsigmoid(-y_pred._keras_logits[..., 0]))
    torch.testing.assert_close(value, expected.mean(dim=-1))


def test_float64_bounds_follow_the_dtype():
    logits = torch.tensor([[40.0, 0.0], [0.0, 3.0]], dtype=torch.float64)
    y_true = torch.tensor([[0.0, 1.0], [1.0, 0.0]], dtype=torch.float64)
    value = losses.CategoricalCrossentropy(reduction=None, dtype="float64")(
        y_true, _activate(logits, "softmax"))
    expected = _clipped_categorical(y_true, logits)
    assert value.dtype == torch.float64
    torch.testing.assert_close(value, expected, rtol=1e-12, atol=1e-12)
