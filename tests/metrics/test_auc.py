"""`AUC`: real Keras 3 results for every curve, summation method, threshold choice and the
multi-label options (one-shot and over batches, weighted and not, and the counts at the
bucketing edges); a trapezoid oracle written from the definition; lazy multi-label state;
the errors."""

import itertools

import numpy as np
import pytest
import torch

from lamina import metrics
from tests.metrics.test_confusion_metrics import GOLDEN, _case_id, run_golden_case

CASES = [case for case in GOLDEN["cases"] if case["cls"] == "AUC"]


@pytest.mark.parametrize("case", CASES, ids=_case_id)
def test_matches_keras_one_shot_and_over_batches(case):
    run_golden_case(case)


def _roc_oracle(y_true, y_pred, weight, thresholds):
    """Trapezoid area under (false positive rate, recall), counts by brute force."""
    points = []
    for threshold in thresholds:
        predicted = y_pred > threshold
        tp = float((weight * (predicted & y_true)).sum())
        fn = float((weight * (~predicted & y_true)).sum())
        fp = float((weight * (predicted & ~y_true)).sum())
        tn = float((weight * (~predicted & ~y_true)).sum())
        points.append((fp / (fp + tn), tp / (tp + fn)))
    return sum((x0 - x1) * (y0 + y1) / 2 for (x0, y0), (x1, y1) in itertools.pairwise(points))


def test_roc_is_the_trapezoid_area():
    generator = torch.Generator().manual_seed(2)
    y_pred = torch.rand(60, generator=generator) * 0.98 + 0.01
    y_true = torch.rand(60, generator=generator) < y_pred
    weight = torch.rand(60, generator=generator)
    metric = metrics.AUC(num_thresholds=11)
    metric.update_state(y_true.float(), y_pred, sample_weight=weight)
    thresholds = [-1e-7] + [i / 10 for i in range(1, 10)] + [1 + 1e-7]
    expected = _roc_oracle(y_true, y_pred, weight, thresholds)
    assert metric.result().item() == pytest.approx(expected, abs=1e-6)
    assert metric.thresholds == pytest.approx(thresholds)


def test_perfect_and_reversed_rankings():
    y_true = torch.tensor([0.0, 0.0, 1.0, 1.0])
    for curve in ("ROC", "PR"):
        perfect = metrics.AUC(curve=curve)
        perfect.update_state(y_true, torch.tensor([0.1, 0.2, 0.8, 0.9]))
        assert perfect.result().item() == pytest.approx(1.0, abs=1e-6)
    reversed_ = metrics.AUC()
    reversed_.update_state(y_true, torch.tensor([0.9, 0.8, 0.2, 0.1]))
    assert reversed_.result().item() == pytest.approx(0.0, abs=1e-6)


def test_from_logits_applies_a_sigmoid():
    y_true = torch.tensor([[0.0, 1.0], [1.0, 1.0], [0.0, 0.0]])
    logits = torch.tensor([[-1.0, 2.0], [0.5, -0.3], [1.5, -2.0]])
    from_logits = metrics.AUC(from_logits=True, multi_label=True)
    from_logits.update_state(y_true, logits)
    from_scores = metrics.AUC(multi_label=True)
    from_scores.update_state(y_true, torch.sigmoid(logits))
    assert from_logits.result().item() == from_scores.result().item()


def test_multi_label_state_is_built_at_the_first_batch():
    metric = metrics.AUC(multi_label=True, num_thresholds=5)
    assert metric.variables == [] and metric.result().item() == 0.0
    metric.reset_state()
    metric.update_state(torch.tensor([[1.0, 0.0, 1.0]]), torch.tensor([[0.9, 0.2, 0.4]]))
    assert [tuple(v.shape) for v in metric.variables] == [(5, 3)] * 4
    assert [v.name for v in metric.variables] == ["true_positives", "false_positives",
                                                  "true_negatives", "false_negatives"]
    assert metric.true_positives[:, 0].tolist() == [1.0, 1.0, 1.0, 1.0, 0.0]
    built = metrics.AUC(multi_label=True, num_labels=3, num_thresholds=5)
    assert [tuple(v.shape) for v in built.variables] == [(5, 3)] * 4


def test_per_label_areas_are_averaged_with_label_weights():
    y_true = torch.tensor([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0], [0.0, 0.0]])
    y_pred = torch.tensor([[0.9, 0.6], [0.2, 0.4], [0.7, 0.3], [0.1, 0.8]])
    per_label = []
    for column in range(2):
        single = metrics.AUC()
        single.update_state(y_true[:, column], y_pred[:, column])
        per_label.append(single.result().item())
    weighted = metrics.AUC(multi_label=True, label_weights=[1.0, 3.0])
    weighted.update_state(y_true, y_pred)
    expected = (per_label[0] + 3.0 * per_label[1]) / 4.0
    assert weighted.result().item() == pytest.approx(expected, abs=1e-6)


def test_config_round_trip_and_spellings():
    metric = metrics.AUC(curve="pr", summation_method="Majoring", thresholds=[0.6, 0.2],
                         label_weights=np.array([1.0, 2.0]), name="a")
    config = metric.get_config()
    assert config == {"name": "a", "dtype": "float32", "num_thresholds": 4, "curve": "PR",
                      "summation_method": "majoring", "multi_label": False, "num_labels": None,
                      "label_weights": [1.0, 2.0], "from_logits": False,
                      "thresholds": [0.2, 0.6]}
    assert metrics.AUC.from_config(config).get_config() == config
    assert "label_weights" not in metric.state_dict()  # configuration, not state


def test_update_and_result_stay_on_the_device():
    for metric in (metrics.AUC(curve="PR"), metrics.AUC(thresholds=[0.3, 0.4]),
                   metrics.AUC(multi_label=True, label_weights=[1.0, 2.0, 3.0]),
                   metrics.AUC(label_weights=[1.0, 2.0, 3.0], curve="PRGAIN")):
        metric.to("meta")
        y = torch.empty(4, 3, device="meta")
        for weight in (None, torch.empty(4, device="meta"), 2):
            metric.update_state(y, y, sample_weight=weight)
            assert metric.result().device.type == "meta"


def test_rejects_bad_arguments():
    with pytest.raises(ValueError, match="`AUC` expects `num_thresholds` to be an integer above "
                                         "1. Received: num_thresholds=1"):
        metrics.AUC(num_thresholds=1)
    with pytest.raises(ValueError, match="`AUC` expects `curve` to be one of 'ROC', 'PR', "
                                         "'PRGAIN'. Received: curve='roc_curve'"):
        metrics.AUC(curve="roc_curve")
    with pytest.raises(ValueError, match="`AUC` expects `summation_method` to be one of "
                                         "'interpolation', 'majoring', 'minoring'"):
        metrics.AUC(summation_method="trapezoid")
    with pytest.raises(ValueError, match="`AUC` expects `num_labels` only with "
                                         "`multi_label=True`. Received: num_labels=3"):
        metrics.AUC(num_labels=3)
    with pytest.raises(ValueError, match=r"`AUC` expects `thresholds` to be a float in \[0, 1\]"):
        metrics.AUC(thresholds=[0.5, 2.0])
    with pytest.raises(ValueError, match="`AUC` expects `num_labels` to be a positive integer"):
        metrics.AUC(multi_label=True, num_labels=-2)
    with pytest.raises(ValueError, match=r"`AUC` expects one label weight per label: 3 labels, "
                                         r"2 weights in `label_weights=\[1.0, 2.0\]`"):
        metrics.AUC(multi_label=True, num_labels=3, label_weights=[1.0, 2.0])


def test_rejects_inputs_that_do_not_fit():
    with pytest.raises(ValueError, match=r"`AUC` with `multi_label=True` expects `y_pred` of "
                                         r"rank 2, \(samples, labels\). Received: "
                                         r"y_pred.shape=\(4,\)"):
        metrics.AUC(multi_label=True).update_state(torch.zeros(4), torch.zeros(4))
    metric = metrics.AUC(multi_label=True, num_labels=3)
    with pytest.raises(ValueError, match=r"was built for 3 labels and expects `y_pred` of "
                                         r"shape \(samples, 3\). Received: y_pred.shape=\(4, 2\)"):
        metric.update_state(torch.zeros(4, 2), torch.zeros(4, 2))
    with pytest.raises(ValueError, match=r"`AUC` expects `y_pred` with one column per label "
                                         r"weight \(2\). Received: y_pred.shape=\(4, 3\)"):
        metrics.AUC(label_weights=[1.0, 2.0]).update_state(torch.zeros(4, 3), torch.zeros(4, 3))
