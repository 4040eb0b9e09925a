"""IoU, R2, hinge and correlation metrics against real Keras 3 results
(`golden/make_metrics_family_golden.py` wrote them): one update over the whole input, two
updates over its halves, with and without sample weights, and the configs."""

import json
import pathlib
import warnings

import numpy as np
import pytest
import torch

from lamina import metrics

GOLDEN = json.loads(
    (pathlib.Path(__file__).parent / "golden" / "metrics_family_golden.json").read_text())
SPLIT = GOLDEN["split"]


def _inputs(name):
    return [torch.tensor(np.asarray(values, dtype))
            for values, dtype in zip(GOLDEN["inputs"][name], GOLDEN["input_dtypes"][name])]


def _weight(name):
    if name is None:
        return None
    return torch.tensor(np.asarray(GOLDEN["weights"][name], GOLDEN["weight_dtypes"][name]))


def _case_id(case):
    return f"{case['cls']}-{case['config']}-{case['inputs']}-w={case['weights']}"


def _truncates(case):
    """Whether lamina warns, as Keras does, that fractional weights meet an int state."""
    weight = _weight(case["weights"])
    return (weight is not None and weight.is_floating_point()
            and "int" in case["keras_config"]["dtype"])


def _run(case):
    """`(one-shot result, [result after each half])` of the lamina metric for a case."""
    y_true, y_pred = _inputs(case["inputs"])
    weight = _weight(case["weights"])
    cls = getattr(metrics, case["cls"])
    with warnings.catch_warnings():
        if _truncates(case):  # tested on its own in test_iou_metrics.py
            warnings.simplefilter("ignore", UserWarning)
        metric = cls(**case["config"])
        metric.update_state(y_true, y_pred, sample_weight=weight)
        one_shot = metric.result().numpy()
        metric = cls(**case["config"])
        halves = []
        for part in (slice(0, SPLIT), slice(SPLIT, None)):
            metric.update_state(y_true[part], y_pred[part],
                                sample_weight=None if weight is None else weight[part])
            halves.append(metric.result().numpy())
    return one_shot, halves


@pytest.mark.parametrize("case", GOLDEN["cases"], ids=_case_id)
def test_metric_matches_keras_in_one_update_and_in_two(case):
    one_shot, halves = _run(case)
    np.testing.assert_allclose(one_shot, case["one_shot"], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(np.stack(halves), np.asarray(case["results"]), rtol=1e-5,
                               atol=1e-6)


@pytest.mark.parametrize("case", [c for c in GOLDEN["cases"] if c["config"].get("axis") != 0],
                         ids=_case_id)
def test_state_over_two_batches_equals_the_one_shot_value(case):
    one_shot, halves = _run(case)
    np.testing.assert_allclose(halves[-1], one_shot, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("case", GOLDEN["cases"], ids=_case_id)
def test_config_matches_keras_and_round_trips(case):
    metric = getattr(metrics, case["cls"])(**case["config"])
    config = metric.get_config()
    assert config.pop("name") == metric.name
    assert config == case["keras_config"]
    rebuilt = type(metric).from_config(metric.get_config())
    assert rebuilt.get_config() == metric.get_config()


@pytest.mark.parametrize("case", GOLDEN["functions"], ids=lambda c: c["fn"])
def test_metric_function_matches_keras(case):
    value = getattr(metrics, case["fn"])(*_inputs(case["inputs"]))
    np.testing.assert_allclose(value.numpy(), case["expected"], rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("name", ["IoU", "MeanIoU", "BinaryIoU", "OneHotIoU", "OneHotMeanIoU",
                                  "R2Score", "Hinge", "SquaredHinge", "CategoricalHinge",
                                  "PearsonCorrelation", "ConcordanceCorrelation"])
def test_every_new_metric_is_in_the_namespace_and_registry(name):
    assert name in metrics.__all__
    assert metrics.deserialize(name) is getattr(metrics, name)


def test_every_name_in_keras_metrics_namespace_exists():
    missing = [name for name in GOLDEN["namespace"] if not hasattr(metrics, name)]
    assert missing == []
