"""Every built-in loss against real Keras 3 values (`golden/make_losses_golden.py` wrote them):
all reductions, sample weights of shape (batch,) and (batch, 1), from_logits both ways, label
smoothing, saturated probabilities, ignore_class, sparse labels as (batch,) and (batch, 1)."""

import json
import pathlib

import numpy as np
import pytest
import torch

from lamina import losses

GOLDEN = json.loads((pathlib.Path(__file__).parent / "golden" / "losses_golden.json").read_text())
ARRAYS = {key: torch.tensor(value, dtype=torch.float32) for key, value in GOLDEN["arrays"].items()}


def _case_id(case):
    options = ",".join(f"{k}={v}" for k, v in case["config"].items())
    return f"{case['cls']}({options})-{case['reduction']}-{case['y_true']}-{case['sample_weight']}"


@pytest.mark.parametrize("case", GOLDEN["classes"], ids=_case_id)
def test_loss_class_matches_keras(case):
    loss = getattr(losses, case["cls"])(reduction=case["reduction"], **case["config"])
    weight = None if case["sample_weight"] is None else ARRAYS[case["sample_weight"]]
    value = loss(ARRAYS[case["y_true"]], ARRAYS[case["y_pred"]], sample_weight=weight)
    expected = np.asarray(case["expected"], dtype=np.float32)
    assert value.dtype == torch.float32
    assert tuple(value.shape) == expected.shape
    np.testing.assert_allclose(value.numpy(), expected, rtol=2e-5, atol=2e-6)


@pytest.mark.parametrize("case", GOLDEN["functions"],
                         ids=lambda c: f"{c['fn']}-{c['y_true']}-{c['kwargs']}")
def test_loss_function_matches_keras(case):
    fn = getattr(losses, case["fn"])
    value = fn(ARRAYS[case["y_true"]], ARRAYS[case["y_pred"]], **case["kwargs"])
    np.testing.assert_allclose(value.numpy(), np.asarray(case["expected"], np.float32),
                               rtol=2e-5, atol=2e-6)


def test_loss_accepts_numpy_and_lists_like_keras():
    case = next(c for c in GOLDEN["classes"] if c["cls"] == "MeanSquaredError"
                and c["reduction"] == "sum" and c["sample_weight"] == "weight")
    value = losses.MeanSquaredError(reduction="sum")(
        GOLDEN["arrays"][case["y_true"]], np.asarray(GOLDEN["arrays"][case["y_pred"]]),
        sample_weight=GOLDEN["arrays"]["weight"])
    np.testing.assert_allclose(value.cpu().numpy(), case["expected"], rtol=2e-5)


# Coverage of every loss class by the two fixtures: test_losses_family_golden.py.
