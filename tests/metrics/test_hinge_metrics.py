"""Hinge metrics: the running means of the hinge losses, against formulas written here.
(Keras' values, weighted and not: the golden tests.)"""

import numpy as np
import pytest
import torch

from lamina import metrics


def hinge(y_true, y_pred):
    y_true = np.where(np.isin(y_true, [0, 1]).all(), 2 * y_true - 1, y_true)
    return np.maximum(1 - y_true * y_pred, 0).mean(-1)


@pytest.fixture
def batches():
    rng = np.random.default_rng(3)
    return [(rng.choice([0.0, 1.0], (n, 4)).astype("float32"),
             rng.normal(size=(n, 4)).astype("float32")) for n in (5, 3)]


def test_hinge_and_squared_hinge_average_over_batches(batches):
    hinge_metric, squared = metrics.Hinge(), metrics.SquaredHinge()
    for y_true, y_pred in batches:
        hinge_metric.update_state(y_true, y_pred)
        squared.update_state(torch.tensor(y_true), torch.tensor(y_pred))
    values = np.concatenate([hinge(t, p) for t, p in batches])
    squares = np.concatenate([(np.maximum(1 - (2 * t - 1) * p, 0) ** 2).mean(-1)
                              for t, p in batches])
    assert float(hinge_metric.result()) == pytest.approx(values.mean(), rel=1e-6)
    assert float(squared.result()) == pytest.approx(squares.mean(), rel=1e-6)


def test_categorical_hinge_with_sample_weights(batches):
    y_true = np.eye(4, dtype="float32")[[0, 3, 1]]
    y_pred = batches[1][1]
    weights = np.array([0.5, 2.0, 0.0], "float32")
    metric = metrics.CategoricalHinge()
    metric.update_state(y_true, y_pred, sample_weight=weights)
    pos = (y_true * y_pred).sum(-1)
    neg = ((1 - y_true) * y_pred).max(-1)
    values = np.maximum(0, 1 + neg - pos)
    assert float(metric.result()) == pytest.approx((values * weights).sum() / weights.sum(),
                                                   rel=1e-6)


@pytest.mark.parametrize("name, cls", [("hinge", "Hinge"), ("squared_hinge", "SquaredHinge"),
                                       ("categorical_hinge", "CategoricalHinge")])
def test_names_resolve_to_the_metric_classes(name, cls):
    metric = metrics.get(name)
    assert type(metric).__name__ == cls and metric.name == name
    assert metric.get_config() == {"name": name, "dtype": "float32"}
    assert metric._direction == "down"
