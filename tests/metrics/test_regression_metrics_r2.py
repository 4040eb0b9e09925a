"""`R2Score` against formulas written here (plain, weighted, variance-weighted, adjusted), its
lazily made state, and its errors. (Keras' values: the golden tests.)"""

import numpy as np
import pytest
import torch

from lamina import metrics


def r2(y_true, y_pred, weights=None):
    """Per-column R2, weighted per row."""
    w = np.ones(len(y_true)) if weights is None else weights
    w = w[:, None]
    mean = (w * y_true).sum(0) / w.sum(0)
    ss_tot = (w * (y_true - mean) ** 2).sum(0)
    ss_res = (w * (y_true - y_pred) ** 2).sum(0)
    return 1 - ss_res / ss_tot, ss_tot


@pytest.fixture
def data():
    rng = np.random.default_rng(11)
    y_true = rng.normal(size=(20, 3)).astype("float32")
    return y_true, (y_true + rng.normal(scale=0.5, size=(20, 3))).astype("float32")


def test_uniform_and_variance_weighted_averages(data):
    y_true, y_pred = data
    scores, ss_tot = r2(y_true.astype("float64"), y_pred)
    uniform = metrics.R2Score()
    weighted = metrics.R2Score(class_aggregation="variance_weighted_average")
    per_column = metrics.R2Score(class_aggregation=None)
    for metric in (uniform, weighted, per_column):
        metric.update_state(y_true[:7], y_pred[:7])
        metric.update_state(torch.tensor(y_true[7:]), torch.tensor(y_pred[7:]))
    assert float(uniform.result()) == pytest.approx(scores.mean(), rel=1e-4)
    assert float(weighted.result()) == pytest.approx((ss_tot * scores).sum() / ss_tot.sum(),
                                                     rel=1e-4)
    np.testing.assert_allclose(per_column.result().numpy(), scores, rtol=1e-4)


def test_sample_weights_and_the_adjusted_score(data):
    y_true, y_pred = data
    weights = np.linspace(0.0, 2.0, 20)
    metric = metrics.R2Score(num_regressors=4)
    metric.update_state(y_true, y_pred, sample_weight=weights.astype("float32"))
    score = r2(y_true.astype("float64"), y_pred, weights)[0].mean()
    n = y_true.size  # Keras counts every value
    assert float(metric.result()) == pytest.approx(1 - (1 - score) * (n - 1) / (n - 4 - 1),
                                                   rel=1e-4)
    too_many = metrics.R2Score(num_regressors=n - 1)  # falls back to the plain score
    too_many.update_state(y_true, y_pred, sample_weight=weights.astype("float32"))
    assert float(too_many.result()) == pytest.approx(score, rel=1e-4)


def test_state_is_made_on_first_update_and_reset_to_zero(data):
    y_true, y_pred = data
    metric = metrics.R2Score()
    assert float(metric.result()) == 0.0  # nothing seen yet
    assert [v.name for v in metric.variables] == ["num_samples"]
    metric.update_state(y_true, y_pred)
    assert [v.name for v in metric.variables] == ["num_samples", "squared_sum", "sum",
                                                  "residual", "count"]
    metric.reset_state()
    assert all(float(v.abs().sum()) == 0.0 for v in metric.variables)
    assert metric.get_config() == {"name": "r2_score", "dtype": "float32",
                                   "class_aggregation": "uniform_average", "num_regressors": 0}


def test_rejects_bad_arguments_and_shapes():
    with pytest.raises(ValueError, match=r"`R2Score` expects `class_aggregation` to be one of "
                       r"None, 'uniform_average', 'variance_weighted_average'. Received: "
                       r"class_aggregation='mean'"):
        metrics.R2Score(class_aggregation="mean")
    with pytest.raises(ValueError, match=r"`R2Score` expects `num_regressors` to be a "
                       r"non-negative integer. Received: num_regressors=-1"):
        metrics.R2Score(num_regressors=-1)
    with pytest.raises(ValueError, match=r"`R2Score` expects 2D inputs of shape \(batch_size, "
                       r"output_dim\). Received: y_true.shape=\(2, 2, 2\), "
                       r"y_pred.shape=\(2, 2, 2\)"):
        metrics.R2Score().update_state(np.zeros((2, 2, 2)), np.zeros((2, 2, 2)))
    with pytest.raises(ValueError, match=r"`R2Score` expects `sample_weight` of shape "
                       r"\(batch_size,\).*Received: sample_weight.shape=\(3, 1\) for inputs "
                       r"of shape \(2, 2\)"):
        metrics.R2Score().update_state(np.zeros((2, 2)), np.ones((2, 2)),
                                       sample_weight=[1.0, 2.0, 3.0])
