"""Correlation metrics against numpy: Pearson's r from `np.corrcoef`, and the concordance
coefficient as Keras 3 computes it. (Keras' values, weighted and not: the golden tests.)"""

import numpy as np
import pytest
import torch

from lamina import metrics


@pytest.fixture
def pair():
    rng = np.random.default_rng(5)
    y_true = rng.normal(size=(6, 8)).astype("float32")
    return y_true, (y_true + rng.normal(scale=0.7, size=y_true.shape)).astype("float32")


def test_pearson_correlation_equals_numpy_corrcoef(pair):
    y_true, y_pred = pair
    expected = [np.corrcoef(t, p)[0, 1] for t, p in zip(y_true, y_pred)]
    np.testing.assert_allclose(metrics.pearson_correlation(y_true, torch.tensor(y_pred)).numpy(),
                               expected, rtol=1e-5)
    columns = [np.corrcoef(t, p)[0, 1] for t, p in zip(y_true.T, y_pred.T)]
    np.testing.assert_allclose(metrics.pearson_correlation(torch.tensor(y_true),
                                                           torch.tensor(y_pred), axis=0).numpy(),
                               columns, rtol=1e-5)


def test_concordance_correlation_formula(pair):
    y_true, y_pred = pair
    t_mean, p_mean = y_true.mean(-1, keepdims=True), y_pred.mean(-1, keepdims=True)
    norm = y_true.var(-1, keepdims=True) + y_pred.var(-1, keepdims=True) + (t_mean - p_mean) ** 2
    expected = (2 * (y_true - p_mean) * (y_pred - p_mean) / (norm + 1e-7)).mean(-1)
    np.testing.assert_allclose(
        metrics.concordance_correlation(torch.tensor(y_true), torch.tensor(y_pred)).numpy(),
        expected, rtol=1e-5)


def test_classes_average_the_coefficients_with_sample_weights(pair):
    y_true, y_pred = pair
    weights = np.array([1.0, 0.0, 2.0, 1.0, 0.5, 0.0], "float32")
    metric = metrics.PearsonCorrelation()
    metric.update_state(y_true[:4], y_pred[:4], sample_weight=weights[:4])
    metric.update_state(y_true[4:], y_pred[4:], sample_weight=weights[4:])
    values = [np.corrcoef(t, p)[0, 1] for t, p in zip(y_true, y_pred)]
    assert float(metric.result()) == pytest.approx(np.dot(values, weights) / weights.sum(),
                                                   rel=1e-5)
    concordance = metrics.get("concordance_correlation")
    assert type(concordance).__name__ == "ConcordanceCorrelation"
    assert concordance.get_config() == {"name": "concordance_correlation", "dtype": "float32",
                                        "axis": -1}
