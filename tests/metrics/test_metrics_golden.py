"""Every built-in metric against real Keras 3 results over two `update_state` calls, weighted
and unweighted (`golden/make_metrics_golden.py` wrote them), and the accuracy functions."""

import json
import pathlib

import numpy as np
import pytest
import torch

from lamina import metrics

GOLDEN_DIR = pathlib.Path(__file__).parent / "golden"
GOLDEN = json.loads((GOLDEN_DIR / "metrics_golden.json").read_text())
BATCHES = {kind: [(None if t is None else torch.tensor(t), torch.tensor(p)) for t, p in pairs]
           for kind, pairs in GOLDEN["batches"].items()}
WEIGHTS = [torch.tensor(w) for w in GOLDEN["weights"]]


def _case_id(case):
    return f"{case['cls']}-{case['config']}-{case['kind']}-w1={case['first_weighted']}"


def _run(metric, kind, weights):
    results = []
    for (y_true, y_pred), weight in zip(BATCHES[kind], weights):
        if y_true is None:
            metric.update_state(y_pred, sample_weight=weight)
        else:
            metric.update_state(y_true, y_pred, sample_weight=weight)
        results.append(metric.result().item())
    return results


@pytest.mark.parametrize("case", GOLDEN["cases"], ids=_case_id)
def test_metric_matches_keras_over_two_updates(case):
    metric = getattr(metrics, case["cls"])(**case["config"])
    weights = [WEIGHTS[0] if case["first_weighted"] else None, WEIGHTS[1]]
    np.testing.assert_allclose(_run(metric, case["kind"], weights), case["results"],
                               rtol=1e-5, atol=1e-6)
    metric.reset_state()
    assert metric.result().item() == 0.0
    np.testing.assert_allclose(_run(metric, case["kind"], weights), case["results"],
                               rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("case", GOLDEN["cases"], ids=_case_id)
def test_metric_config_matches_keras(case):
    config = getattr(metrics, case["cls"])(**case["config"]).get_config()
    expected = dict(case["keras_config"])
    if case["cls"] == "CosineSimilarity":
        expected["axis"] = -1  # Keras leaves `axis` out of the config; we keep it
    assert config == expected


@pytest.mark.parametrize("case", GOLDEN["functions"], ids=lambda c: f"{c['fn']}-{c['kwargs']}")
def test_accuracy_function_matches_keras(case):
    y_true, y_pred = BATCHES[case["kind"]][0]
    value = getattr(metrics, case["fn"])(y_true, y_pred, **case["kwargs"])
    np.testing.assert_array_equal(value.numpy(), np.asarray(case["expected"], np.float32))


def test_golden_fixtures_cover_every_metric_class():
    covered = set()
    for fixture in ("metrics_golden.json", "confusion_golden.json", "metrics_family_golden.json"):
        cases = json.loads((GOLDEN_DIR / fixture).read_text())["cases"]
        covered |= {case["cls"] for case in cases}
    expected = {name for name in metrics.__all__ if isinstance(getattr(metrics, name), type)
                and issubclass(getattr(metrics, name), metrics.Metric)}
    assert expected - covered == {"Metric", "MeanMetricWrapper"}
