"""`FBetaScore` and `F1Score`: real Keras 3 results for every `average` (one-shot and over
batches, weighted and not), the formula written out in numpy, the lazily built state, the
errors."""

import numpy as np
import pytest
import torch

from lamina import metrics
from tests.metrics.test_confusion_metrics import GOLDEN, _case_id, run_golden_case

CASES = [case for case in GOLDEN["cases"] if case["cls"] in ("F1Score", "FBetaScore")]
EPSILON = 1e-7


@pytest.mark.parametrize("case", CASES, ids=_case_id)
def test_matches_keras_one_shot_and_over_batches(case):
    run_golden_case(case)


def _oracle(y_true, y_pred, weight, beta, threshold, average):
    if threshold is None:
        predicted = (y_pred >= y_pred.max(axis=1, keepdims=True)) & (np.abs(y_pred) > 1e-9)
    else:
        predicted = y_pred > threshold
    predicted, w = predicted.astype("float64"), weight[:, None]
    axis = None if average == "micro" else 0
    tp = (w * predicted * y_true).sum(axis=axis)
    fp = (w * predicted * (1 - y_true)).sum(axis=axis)
    fn = (w * (1 - predicted) * y_true).sum(axis=axis)
    precision, recall = tp / (tp + fp + EPSILON), tp / (tp + fn + EPSILON)
    score = (1 + beta**2) * precision * recall / (beta**2 * precision + recall + EPSILON)
    if average == "weighted":
        support = (w * y_true).sum(axis=0)
        return (score * support / (support.sum() + EPSILON)).sum()
    return score if average is None else score.mean()


@pytest.mark.parametrize("average", [None, "micro", "macro", "weighted"])
@pytest.mark.parametrize("beta, threshold", [(1.0, None), (0.5, 0.4), (3.0, 0.7)])
def test_matches_the_formula(average, beta, threshold):
    rng = np.random.default_rng(4)
    y_true = (rng.uniform(size=(30, 4)) > 0.6).astype("float32")
    y_pred = rng.uniform(size=(30, 4)).astype("float32")
    y_pred[0] = 0.0  # no positive prediction in this row
    weight = rng.uniform(size=30).astype("float32")
    metric = metrics.FBetaScore(average=average, beta=beta, threshold=threshold)
    metric.update_state(torch.tensor(y_true), torch.tensor(y_pred),
                        sample_weight=torch.tensor(weight))
    expected = _oracle(y_true, y_pred, weight, beta, threshold, average)
    np.testing.assert_allclose(metric.result().numpy(), expected, rtol=1e-5, atol=1e-6)


def test_ties_for_the_top_score_all_count():
    metric = metrics.F1Score(average="micro")
    metric.update_state(torch.tensor([[1.0, 0.0, 0.0]]), torch.tensor([[0.4, 0.4, 0.2]]))
    # predicted {0, 1}: tp 1, fp 1 -> precision 1/2, recall 1
    assert metric.result().item() == pytest.approx(2 / 3, abs=1e-6)


def test_state_is_built_at_the_first_batch():
    metric = metrics.FBetaScore(beta=2.0, name="f")
    assert metric.variables == [] and metric.result().item() == 0.0
    metric.update_state(torch.zeros(2, 5), torch.zeros(2, 5))
    assert [(v.name, tuple(v.shape)) for v in metric.variables] == [
        ("true_positives", (5,)), ("false_positives", (5,)), ("false_negatives", (5,)),
        ("intermediate_weights", (5,))]
    micro = metrics.F1Score(average="micro")
    micro.update_state(torch.zeros(2, 5), torch.zeros(2, 5))
    assert all(v.shape == () for v in micro.variables)
    micro.reset_state()
    assert micro.result().item() == 0.0


def test_configs_follow_keras():
    assert metrics.F1Score(average="macro", threshold=0.5, name="f").get_config() == {
        "name": "f", "dtype": "float32", "average": "macro", "threshold": 0.5}
    config = metrics.FBetaScore(beta=2, name="g").get_config()  # an int beta is taken as float
    assert config == {"name": "g", "dtype": "float32", "average": None, "beta": 2.0,
                      "threshold": None}
    assert metrics.FBetaScore.from_config(config).get_config() == config
    assert metrics.F1Score().name == "f1_score" and metrics.FBetaScore().name == "fbeta_score"
    assert isinstance(metrics.get("f1_score"), metrics.F1Score)
    assert isinstance(metrics.get("f_beta_score"), metrics.FBetaScore)


def test_update_and_result_stay_on_the_device():
    for average in (None, "micro", "weighted"):
        metric = metrics.FBetaScore(average=average).to("meta")
        y = torch.empty(4, 3, device="meta")
        for weight in (None, torch.empty(4, device="meta"), 2.0):
            metric.update_state(y, y, sample_weight=weight)
            assert metric.result().device.type == "meta"


def test_rejects_bad_arguments():
    with pytest.raises(ValueError, match="`FBetaScore` expects `average` to be one of None, "
                                         "'micro', 'macro', 'weighted'. Received: "
                                         "average='mean'"):
        metrics.FBetaScore(average="mean")
    with pytest.raises(ValueError, match="`FBetaScore` expects `beta` to be a float above 0. "
                                         "Received: beta=0.0"):
        metrics.FBetaScore(beta=0.0)
    with pytest.raises(ValueError, match="expects `beta`.*beta='2'"):
        metrics.FBetaScore(beta="2")
    with pytest.raises(ValueError, match=r"`F1Score` expects `threshold` to be a float in "
                                         r"\(0, 1\] or None. Received: threshold=0.0"):
        metrics.F1Score(threshold=0.0)
    with pytest.raises(ValueError, match="expects `threshold`.*threshold=True"):
        metrics.F1Score(threshold=True)


def test_rejects_inputs_that_do_not_fit():
    with pytest.raises(ValueError, match=r"`F1Score` expects `y_true` and `y_pred` of shape "
                                         r"\(samples, classes\). Received: "
                                         r"y_true.shape=\(4,\), y_pred.shape=\(4,\)"):
        metrics.F1Score().update_state(torch.zeros(4), torch.zeros(4))
    with pytest.raises(ValueError, match=r"was built for 2 classes.*y_true.shape=\(4, 3\), "
                                         r"y_pred.shape=\(4, 2\)"):
        metrics.F1Score().update_state(torch.zeros(4, 3), torch.zeros(4, 2))
    metric = metrics.F1Score()
    metric.update_state(torch.zeros(4, 3), torch.zeros(4, 3))
    with pytest.raises(ValueError, match=r"`F1Score` was built for 3 classes and expects "
                                         r"`y_true` and `y_pred` of shape \(samples, 3\). "
                                         r"Received: y_true.shape=\(4, 2\)"):
        metric.update_state(torch.zeros(4, 2), torch.zeros(4, 2))
