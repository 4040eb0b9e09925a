"""`SensitivityAtSpecificity`, `SpecificityAtSensitivity`, `PrecisionAtRecall`,
`RecallAtPrecision`: real Keras 3 results (one-shot and over batches, weighted and not, and
the state at the bucketing edges), an oracle written from the definitions, and the errors."""

import pytest
import torch

from lamina import metrics
from tests.metrics.test_confusion_metrics import GOLDEN, _case_id, run_golden_case

FAMILY = ("SensitivityAtSpecificity", "SpecificityAtSensitivity", "PrecisionAtRecall",
          "RecallAtPrecision")
CASES = [case for case in GOLDEN["cases"] if case["cls"] in FAMILY]


@pytest.mark.parametrize("case", CASES, ids=_case_id)
def test_matches_keras_one_shot_and_over_batches(case):
    run_golden_case(case)


def _ratio(a, b):
    return a / (a + b) if a + b else 0.0


def _oracle(y_true, y_pred, thresholds, constrained, reported, target):
    """The best `reported` rate among thresholds where `constrained` >= target, by brute force."""
    best = 0.0
    for threshold in thresholds:
        predicted = y_pred > threshold
        tp = float((predicted & y_true).sum())
        fp = float((predicted & ~y_true).sum())
        fn = float((~predicted & y_true).sum())
        tn = float((~predicted & ~y_true).sum())
        rates = {"sensitivity": _ratio(tp, fn), "recall": _ratio(tp, fn),
                 "specificity": _ratio(tn, fp), "precision": _ratio(tp, fp)}
        if rates[constrained] >= target:
            best = max(best, rates[reported])
    return best


@pytest.mark.parametrize("cls, constrained, reported", [
    (metrics.SensitivityAtSpecificity, "specificity", "sensitivity"),
    (metrics.SpecificityAtSensitivity, "sensitivity", "specificity"),
    (metrics.PrecisionAtRecall, "recall", "precision"),
    (metrics.RecallAtPrecision, "precision", "recall"),
])
def test_matches_the_definition(cls, constrained, reported):
    generator = torch.Generator().manual_seed(1)
    y_pred = torch.rand(40, generator=generator) * 0.98 + 0.01  # off the 1/10 grid edges
    y_true = torch.rand(40, generator=generator) < y_pred  # informative scores
    thresholds = [i / 10 for i in range(11)]
    for target in (0.3, 0.6, 0.9):
        metric = cls(target, num_thresholds=11)
        metric.update_state(y_true.float(), y_pred)
        expected = _oracle(y_true, y_pred, thresholds, constrained, reported, target)
        assert metric.result().item() == pytest.approx(expected, abs=1e-6)


def test_one_threshold_is_one_half():
    metric = metrics.PrecisionAtRecall(0.5, num_thresholds=1)
    assert metric._counter.sorted == [0.5]
    metric.update_state(torch.tensor([1.0, 1.0, 0.0]), torch.tensor([0.7, 0.4, 0.6]))
    assert metric.result().item() == 0.5  # recall 1/2 meets 0.5; precision 1/2


def test_state_and_config():
    metric = metrics.SpecificityAtSensitivity(0.4, num_thresholds=7, class_id=2, name="s")
    assert [v.name for v in metric.variables] == ["true_positives", "false_positives",
                                                  "true_negatives", "false_negatives"]
    assert metric.variables[0].shape == (7,) and metric.sensitivity == 0.4
    assert metric.get_config() == {"name": "s", "dtype": "float32", "class_id": 2,
                                   "num_thresholds": 7, "sensitivity": 0.4}
    assert metrics.SpecificityAtSensitivity.from_config(metric.get_config()).get_config() \
        == metric.get_config()


def test_update_and_result_stay_on_the_device():
    metric = metrics.RecallAtPrecision(0.5, class_id=1).to("meta")
    y = torch.empty(4, 3, device="meta")
    for weight in (None, torch.empty(4, device="meta"), 3):
        metric.update_state(y, y, sample_weight=weight)
        assert metric.result().device.type == "meta"


def test_rejects_bad_arguments():
    with pytest.raises(ValueError, match=r"`SensitivityAtSpecificity` expects `specificity` to "
                                         r"be a float in \[0, 1\]. Received: specificity=1.5"):
        metrics.SensitivityAtSpecificity(1.5)
    with pytest.raises(ValueError, match="`RecallAtPrecision` expects `precision`.*-0.1"):
        metrics.RecallAtPrecision(-0.1)
    with pytest.raises(ValueError, match="`PrecisionAtRecall` expects `num_thresholds` to be a "
                                         "positive integer. Received: num_thresholds=0"):
        metrics.PrecisionAtRecall(0.5, num_thresholds=0)
    with pytest.raises(ValueError, match="`SpecificityAtSensitivity` expects `class_id`"):
        metrics.SpecificityAtSensitivity(0.5, class_id=1.0)
    with pytest.raises(ValueError, match="`PrecisionAtRecall` expects `y_pred` of shape"):
        metrics.PrecisionAtRecall(0.5, class_id=4).update_state(torch.zeros(2, 3),
                                                                torch.zeros(2, 3))
