"""`Metric`, `Mean`, `Sum`, `MeanMetricWrapper`: weighting formulas written here, state as
device buffers (`.to`, `state_dict`, copies), Keras-style custom metrics, `get`, the errors, and
a run on the meta device proving no update or result reads a value on the host."""

import copy

import pytest
import torch

from lamina import losses, metrics
from lamina.metrics.metric import MetricVariable


class CategoricalTruePositives(metrics.Metric):
    """The custom metric of Keras' "training & evaluation" guide, written the Keras way."""

    def __init__(self, name="categorical_true_positives", **kwargs):
        super().__init__(name=name, **kwargs)
        self.true_positives = self.add_variable(shape=(), name="ctp", initializer="zeros")

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_pred = torch.argmax(y_pred, dim=1).reshape(-1, 1)
        values = (y_true.to(torch.int32) == y_pred.to(torch.int32)).to(torch.float32)
        if sample_weight is not None:
            values = values * sample_weight.reshape(-1, 1)
        self.true_positives.assign_add(values.sum())

    def result(self):
        return self.true_positives.value

    def reset_state(self):
        self.true_positives.assign(0.0)


Y_TRUE = torch.tensor([[1], [0], [2]])
Y_PRED = torch.tensor([[0.1, 0.8, 0.1], [0.2, 0.3, 0.5], [0.0, 0.1, 0.9]])


def test_keras_style_custom_metric_counts():
    metric = CategoricalTruePositives()
    metric.update_state(Y_TRUE, Y_PRED)
    metric.update_state(Y_TRUE, Y_PRED, sample_weight=torch.tensor([0.5, 1.0, 2.0]))
    assert metric.result().item() == 2.0 + 2.5
    result = metric.result()
    metric.reset_state()
    assert metric.result().item() == 0.0
    assert result.item() == 4.5  # `.value` is a snapshot, not the live buffer
    assert metric(Y_TRUE, Y_PRED).item() == 2.0  # calling = update, then result


def test_variable_is_a_buffer_under_the_attribute_name():
    metric = CategoricalTruePositives()
    assert list(metric.state_dict()) == ["true_positives"]
    variable = metric.true_positives
    assert isinstance(variable, MetricVariable)
    assert variable.name == "ctp" and variable.path == "categorical_true_positives/ctp"
    assert metric.variables == [variable] and variable.aggregation == "sum"


def test_to_keeps_variables_and_attributes_together():
    metric = CategoricalTruePositives()
    metric.update_state(Y_TRUE, Y_PRED)
    metric.to(torch.float64)
    assert isinstance(metric.true_positives, MetricVariable)
    assert metric.true_positives is metric.variables[0]
    assert metric.true_positives.dtype == torch.float64 and metric.true_positives.name == "ctp"
    metric.update_state(Y_TRUE, Y_PRED)
    assert metric.result().item() == 4.0


def test_state_dict_and_copies_round_trip():
    metric = metrics.Mean()
    metric.update_state(torch.tensor([1.0, 2.0, 6.0]))
    fresh = metrics.Mean()
    fresh.load_state_dict(metric.state_dict())
    assert fresh.result().item() == 3.0
    clone = copy.deepcopy(metric)
    assert isinstance(clone.total, MetricVariable) and clone.total.name == "total"
    clone.update_state(torch.tensor([7.0]))
    assert (clone.result().item(), metric.result().item()) == (4.0, 3.0)


def test_result_does_not_alias_the_state():
    metric = metrics.Sum()
    metric.update_state(torch.tensor([2.0, 3.0]))
    result = metric.result()
    metric.reset_state()
    assert result.item() == 5.0


def test_update_builds_no_autograd_graph():
    y_pred = Y_PRED.clone().requires_grad_(True)
    metric = metrics.CategoricalCrossentropy()
    metric.update_state(torch.eye(3)[[1, 0, 2]], y_pred)
    assert not any(v.requires_grad or v.grad_fn is not None for v in metric.variables)
    custom = CategoricalTruePositives()
    custom.true_positives.assign_add((y_pred * 2).sum())
    assert custom.true_positives.grad_fn is None


def test_variables_of_held_metrics_are_listed():
    class Pair(metrics.Metric):
        def __init__(self):
            super().__init__(name="pair")
            self.inner = metrics.Mean()
            self.extra = self.add_variable((2,), "ones", name="extra")

    pair = Pair()
    assert [v.name for v in pair.variables] == ["extra", "total", "count"]
    pair.reset_state()
    assert pair.extra.sum().item() == 0.0


def test_add_variable_initializers():
    metric = metrics.Mean()
    assert metric.add_variable((2,), "ones", name="a").tolist() == [1.0, 1.0]
    assert metric.add_variable((), 3.5, name="a").item() == 3.5  # second "a" gets a new key
    made = metric.add_variable((3,), lambda shape, dtype: torch.arange(3, dtype=dtype))
    assert made.tolist() == [0.0, 1.0, 2.0]
    assert metric.add_weight((), dtype="int64", name="n").dtype == torch.int64
    assert list(metric.state_dict()) == ["total", "count", "a", "a_1", "variable", "n"]


def test_add_variable_rejects_unknown_initializer():
    with pytest.raises(ValueError, match="expects `initializer` to be 'zeros', 'ones'"):
        metrics.Mean().add_variable((), "glorot_uniform")


def test_forgetting_super_init_is_explained():
    class Broken(metrics.Metric):
        def __init__(self):
            self.total = self.add_variable((), "zeros")

    with pytest.raises(RuntimeError, match=r"did not call `super\(\).__init__\(\)`"):
        Broken()

    class Late(metrics.Metric):
        def __init__(self):  # no super().__init__() at all
            pass

    with pytest.raises(RuntimeError, match="did not call"):
        Late()(1.0)


def test_metric_without_update_or_result_raises():
    with pytest.raises(TypeError, match="does not define `update_state"):
        metrics.Metric().update_state(1.0)
    with pytest.raises(TypeError, match="does not define `result"):
        metrics.Metric().result()


# -- Mean and Sum weighting, as Keras 3 does it -------------------------------------------------
def test_mean_of_matrix_counts_rows():
    metric = metrics.Mean()
    metric.update_state(torch.tensor([[1.0, 3.0], [5.0, 7.0]]),
                        sample_weight=torch.tensor([1.0, 3.0]))
    # row means 2 and 6, weighted 1 and 3: (2 + 18) / 4
    assert metric.result().item() == 5.0


def test_mean_with_elementwise_weights():
    metric = metrics.Mean()
    metric.update_state(torch.tensor([[1.0, 3.0], [5.0, 7.0]]),
                        sample_weight=torch.tensor([[1.0, 0.0], [1.0, 1.0]]))
    # per row: mean(v * w) = 0.5, 6; weights per row: mean(w) = 0.5, 1
    assert metric.result().item() == pytest.approx((0.5 + 6.0) / 1.5)


def test_number_weight_counts_the_batch_as_one_sample():
    tracker = metrics.Mean(name="loss")
    tracker.update_state(torch.tensor(2.0), sample_weight=32)
    tracker.update_state(torch.tensor(5.0), sample_weight=16)
    assert tracker.result().item() == pytest.approx((2.0 * 32 + 5.0 * 16) / 48)
    mean = metrics.Mean()
    mean.update_state(torch.tensor([1.0, 3.0]), sample_weight=2)  # batch mean 2, weight 2
    mean.update_state(torch.tensor(5.0), sample_weight=1)
    assert mean.result().item() == (2.0 * 2 + 5.0) / 3  # Keras 3 gives 3.0 too
    total = metrics.Sum()
    total.update_state(torch.tensor([1.0, 3.0]), sample_weight=2)
    assert total.result().item() == 8.0  # Keras: the batch sum, times the weight


def test_empty_mean_is_zero():
    assert metrics.Mean().result().item() == 0.0


def test_wrapper_honours_prediction_mask():
    y_pred = torch.tensor([[1.0], [2.0], [4.0]])
    y_pred._keras_mask = torch.tensor([True, False, True])
    metric = metrics.MeanMetricWrapper(losses.mean_absolute_error, name="mae")
    metric.update_state(torch.zeros(3, 1), y_pred)
    assert metric.result().item() == pytest.approx((1.0 + 4.0) / 2)


def test_wrapper_passes_options_and_round_trips():
    metric = metrics.MeanMetricWrapper(losses.huber, name="h", delta=0.5)
    metric.update_state(torch.zeros(1, 2), torch.tensor([[2.0, 0.2]]))
    expected = (0.5 * (2.0 - 0.25) + 0.5 * 0.04) / 2
    assert metric.result().item() == pytest.approx(expected)
    clone = metrics.MeanMetricWrapper.from_config(metric.get_config())
    assert clone._fn is losses.huber and clone._fn_kwargs == {"delta": 0.5}
    assert clone.name == "h" and clone._direction == "down"


def test_wrapper_rejects_non_callable():
    with pytest.raises(TypeError, match="expects `fn` to be a callable"):
        metrics.MeanMetricWrapper("mae")


def test_top_k_rejects_bad_k():
    with pytest.raises(ValueError, match="`TopKCategoricalAccuracy` expects `k` to be a positive"):
        metrics.TopKCategoricalAccuracy(k=0)
    with pytest.raises(ValueError, match="`SparseTopKCategoricalAccuracy` expects `k`"):
        metrics.SparseTopKCategoricalAccuracy(k=2.5)


def test_sorted_ids_top_k():
    sorted_ids = torch.tensor([[2, 0, 1], [1, 2, 0]])
    metric = metrics.SparseTopKCategoricalAccuracy(k=2, from_sorted_ids=True)
    metric.update_state(torch.tensor([0, 0]), sorted_ids)
    assert metric.result().item() == 0.5
    assert metric.get_config()["from_sorted_ids"] is True


def test_directions_for_callbacks():
    assert metrics.Accuracy()._direction == "up"
    assert metrics.MeanSquaredError()._direction == "down"
    assert metrics.RootMeanSquaredError()._direction == "down"
    assert metrics.Mean()._direction is None


# -- configs and `get` -------------------------------------------------------------------------
CLASSES = [getattr(metrics, name) for name in metrics.__all__
           if isinstance(getattr(metrics, name), type)
           and issubclass(getattr(metrics, name), metrics.Metric)
           and name not in ("Metric", "MeanMetricWrapper")]
# Constructor arguments Keras requires (no default).
REQUIRED = {
    metrics.IoU: {"num_classes": 3, "target_class_ids": [0]},
    metrics.OneHotIoU: {"num_classes": 3, "target_class_ids": [0]},
    metrics.MeanIoU: {"num_classes": 3},
    metrics.OneHotMeanIoU: {"num_classes": 3},
    metrics.PrecisionAtRecall: {"recall": 0.5},
    metrics.RecallAtPrecision: {"precision": 0.5},
    metrics.SensitivityAtSpecificity: {"specificity": 0.5},
    metrics.SpecificityAtSensitivity: {"sensitivity": 0.5},
}
# Confusion-matrix IoU metrics count flattened labels (a `(4,)` weight cannot cover them) and
# warn on float weights; tests/metrics/test_iou_metrics.py runs them on the meta device.
IOU = (metrics.IoU, metrics.OneHotIoU, metrics.MeanIoU, metrics.OneHotMeanIoU, metrics.BinaryIoU)


@pytest.mark.parametrize("cls", CLASSES, ids=lambda c: c.__name__)
def test_config_round_trip(cls):
    metric = cls(name="custom", dtype="float64", **REQUIRED.get(cls, {}))
    config = metric.get_config()
    assert config["name"] == "custom" and config["dtype"] == "float64"
    assert cls.from_config(config).get_config() == config
    rebuilt = metrics.deserialize(metrics.serialize(metric))
    assert type(rebuilt) is cls and rebuilt.get_config() == config
    assert repr(metric) == f"<{cls.__name__} name=custom>"


def test_get_resolves_like_keras():
    assert metrics.get(None) is None
    assert isinstance(metrics.get("mse"), metrics.MeanSquaredError)
    assert isinstance(metrics.get("binary_accuracy"), metrics.BinaryAccuracy)
    assert isinstance(metrics.get("accuracy"), metrics.Accuracy)
    assert isinstance(metrics.get("SparseTopKCategoricalAccuracy"),
                      metrics.SparseTopKCategoricalAccuracy)
    assert isinstance(metrics.get(metrics.Mean), metrics.Mean)
    metric = metrics.Sum()
    assert metrics.get(metric) is metric
    assert metrics.get(metrics.binary_accuracy) is metrics.binary_accuracy
    found = metrics.get({"class_name": "BinaryAccuracy", "config": {"threshold": 0.7}})
    assert found.threshold == 0.7


def test_get_unknown_name_lists_valid_names_and_closest_match():
    with pytest.raises(ValueError, match="Unknown metric: 'binary_acuracy'. Did you mean "
                                         "'binary_accuracy'"):
        metrics.get("binary_acuracy")


def test_get_rejects_non_callable():
    with pytest.raises(TypeError, match=r"`metrics.get` expects `identifier`.*identifier=2.0"):
        metrics.get(2.0)


# -- no host-device sync -----------------------------------------------------------------------
def _meta(*shape, dtype=torch.float32):
    return torch.empty(*shape, device="meta", dtype=dtype)


@pytest.mark.parametrize("cls", [c for c in CLASSES if c not in IOU], ids=lambda c: c.__name__)
def test_update_and_result_never_read_values(cls):
    metric = cls(**REQUIRED.get(cls, {})).to("meta")
    if cls in (metrics.Mean, metrics.Sum):
        args = (_meta(4, 3),)
    elif cls in (metrics.SparseCategoricalAccuracy, metrics.SparseTopKCategoricalAccuracy,
                 metrics.SparseCategoricalCrossentropy):
        args = (_meta(4, dtype=torch.int64), _meta(4, 6))
    else:
        args = (_meta(4, 6), _meta(4, 6))
    for weight in (None, _meta(4), 3):
        metric.update_state(*args, sample_weight=weight)
        assert metric.result().device.type == "meta"
    metric.reset_state()


def test_wrapper_reads_keras_written_configs():
    # Keras 3 writes function configs with module "builtins" (these dicts are Keras' output)
    accuracy = metrics.MeanMetricWrapper.from_config(
        {"name": "ba", "dtype": "float32", "threshold": 0.3,
         "fn": {"module": "builtins", "class_name": "function", "config": "binary_accuracy",
                "registered_name": "function"}})
    assert accuracy._fn is metrics.binary_accuracy and accuracy._fn_kwargs == {"threshold": 0.3}
    accuracy.update_state(torch.tensor([[1.0], [0.0]]), torch.tensor([[0.4], [0.35]]))
    assert accuracy.result().item() == 0.5
    mse = metrics.MeanMetricWrapper.from_config(
        {"name": "m", "dtype": "float32",
         "fn": {"module": "builtins", "class_name": "function", "config": "mean_squared_error",
                "registered_name": "function"}})
    assert mse._fn is losses.mean_squared_error and mse._direction == "down"


def test_wrapper_round_trips_a_metric_function():
    metric = metrics.MeanMetricWrapper(metrics.sparse_top_k_categorical_accuracy, name="t", k=2)
    clone = metrics.MeanMetricWrapper.from_config(metric.get_config())
    assert clone._fn is metrics.sparse_top_k_categorical_accuracy
    with pytest.raises(ValueError, match="Unknown metric function: 'no_such_fn'"):
        metrics.MeanMetricWrapper.from_config({"name": "x", "fn": "no_such_fn"})
