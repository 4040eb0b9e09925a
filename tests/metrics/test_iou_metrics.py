"""IoU metrics: hand-computed confusion matrices, the Keras-style int state, masking of
ignored and out-of-range labels, and argument errors. (Keras' values: the golden tests.)"""

import copy

import numpy as np
import pytest
import torch

from lamina import metrics


def confusion(y_true, y_pred, num_classes, weights=None):
    """The oracle: a numpy confusion matrix (rows: labels, columns: predictions)."""
    cm = np.zeros((num_classes, num_classes))
    weights = np.ones(len(y_true)) if weights is None else weights
    for t, p, w in zip(y_true, y_pred, weights):
        if 0 <= t < num_classes and 0 <= p < num_classes:
            cm[t, p] += w
    return cm


def iou_of(cm, ids):
    tp = np.diag(cm)
    denominator = cm.sum(0) + cm.sum(1) - tp
    ious = [tp[i] / denominator[i] for i in ids if denominator[i] > 0]
    return np.mean(ious) if ious else 0.0


def test_mean_iou_matches_a_hand_built_confusion_matrix():
    rng = np.random.default_rng(0)
    y_true, y_pred = rng.integers(0, 4, 50), rng.integers(0, 4, 50)
    weights = rng.uniform(0, 2, 50).astype("float32")
    metric = metrics.MeanIoU(num_classes=4, dtype="float32")
    metric.update_state(y_true, y_pred, sample_weight=weights)
    cm = confusion(y_true, y_pred, 4, weights)
    np.testing.assert_allclose(metric.total_cm.numpy(), cm, rtol=1e-6)
    assert float(metric.result()) == pytest.approx(iou_of(cm, range(4)), rel=1e-5)


def test_iou_of_target_classes_skips_classes_never_seen():
    metric = metrics.IoU(num_classes=3, target_class_ids=[1, 2])
    metric.update_state([0, 1, 1, 0], [0, 1, 0, 0])  # class 2 never appears
    cm = confusion([0, 1, 1, 0], [0, 1, 0, 0], 3)
    assert float(metric.result()) == pytest.approx(iou_of(cm, [1, 2]), rel=1e-6)  # 0.5
    assert metric.total_cm.dtype == torch.int32


def test_ignored_and_out_of_range_labels_are_left_out():
    metric = metrics.MeanIoU(num_classes=2, ignore_class=255)
    metric.update_state([[0, 255], [1, -1], [1, 1]], [[0, 1], [5, 0], [1, 0]])
    # kept pairs: (0, 0), (1, 1), (1, 0); the others are ignored or out of range
    np.testing.assert_array_equal(metric.total_cm.numpy(), [[1, 0], [1, 1]])


def test_one_hot_and_binary_variants_take_argmax_and_threshold():
    one_hot = metrics.OneHotMeanIoU(num_classes=3)
    one_hot.update_state(np.eye(3)[[0, 1, 2, 2]], np.eye(3)[[0, 2, 2, 1]] * 0.9)
    np.testing.assert_array_equal(one_hot.total_cm.numpy(), confusion([0, 1, 2, 2],
                                                                       [0, 2, 2, 1], 3))
    binary = metrics.BinaryIoU(threshold=0.3)
    binary.update_state([0, 1, 0, 1], [0.1, 0.3, 0.4, 0.7])  # >= threshold is class 1
    np.testing.assert_array_equal(binary.total_cm.numpy(), [[1, 1], [0, 2]])
    channels_first = metrics.IoU(num_classes=2, target_class_ids=[1], sparse_y_true=False,
                                 sparse_y_pred=False, axis=1)
    channels_first.update_state(np.eye(2)[[[0, 1]]].transpose(0, 2, 1),
                                np.eye(2)[[[1, 1]]].transpose(0, 2, 1))
    np.testing.assert_array_equal(channels_first.total_cm.numpy(), [[0, 1], [0, 1]])


def test_fractional_weights_are_truncated_with_a_warning_as_in_keras():
    metric = metrics.MeanIoU(num_classes=2)
    with pytest.warns(UserWarning, match=r"`MeanIoU` received floating-point `sample_weight` "
                      r"but accumulates in dtype int32.*Pass `dtype='float32'`"):
        metric.update_state([0, 1, 1], [0, 1, 0], sample_weight=[1.9, 2.5, 0.7])
    np.testing.assert_array_equal(metric.total_cm.numpy(), [[1, 0], [0, 2]])


def test_state_accumulates_resets_and_copies_independently():
    metric = metrics.MeanIoU(num_classes=2)
    metric.update_state([0, 1], [0, 1])
    metric.update_state([1, 1], [0, 1])
    np.testing.assert_array_equal(metric.total_cm.numpy(), [[1, 0], [1, 2]])
    twin = copy.deepcopy(metric)
    metric.reset_state()
    assert float(metric.result()) == 0.0
    np.testing.assert_array_equal(twin.total_cm.numpy(), [[1, 0], [1, 2]])


def test_automatic_names_follow_keras():
    assert metrics.IoU(2, [0]).name.startswith("io_u")
    assert metrics.OneHotMeanIoU(2).name.startswith("one_hot_mean_io_u")
    assert metrics.BinaryIoU().name.startswith("binary_io_u")


@pytest.mark.parametrize("make, message", [
    (lambda: metrics.MeanIoU(num_classes=0), r"`MeanIoU` expects `num_classes` to be a positive "
     r"integer. Received: num_classes=0"),
    (lambda: metrics.IoU(3, target_class_ids=[3]), r"`IoU` expects `target_class_ids` to be a "
     r"non-empty list of class ids in \[0, 3\).*Received: target_class_ids=\[3\]"),
    (lambda: metrics.IoU(3, target_class_ids=[]), r"Received: target_class_ids=\[\]"),
    (lambda: metrics.OneHotIoU(3, target_class_ids=1), r"`OneHotIoU` expects "
     r"`target_class_ids`.*Received: target_class_ids=1 \(of type int\)"),
    (lambda: metrics.MeanIoU(3, ignore_class="void"), r"`MeanIoU` expects `ignore_class` to be "
     r"an integer or None. Received: ignore_class='void'"),
    (lambda: metrics.MeanIoU(3, axis=None), r"`MeanIoU` expects `axis` to be an integer. "
     r"Received: axis=None"),
    (lambda: metrics.BinaryIoU(threshold="0.5"), r"`BinaryIoU` expects `threshold` to be a "
     r"number. Received: threshold='0.5'"),
])
def test_rejects_bad_arguments(make, message):
    with pytest.raises(ValueError, match=message):
        make()


def test_rejects_batches_that_do_not_line_up():
    metric = metrics.MeanIoU(num_classes=3)
    with pytest.raises(ValueError, match=r"`MeanIoU` expects as many labels as predictions. "
                       r"Received: 4 labels and 3 predictions"):
        metric.update_state([0, 1, 2, 0], [0, 1, 2])
    with pytest.raises(ValueError, match=r"`MeanIoU` expects `sample_weight` to be a scalar or "
                       r"to have one entry per label \(8 once flattened\). Received: "
                       r"sample_weight.shape=\(2,\)"):
        metric.update_state([[0, 1, 2, 0], [0, 1, 2, 0]], [[0, 1, 2, 0], [0, 1, 2, 0]],
                            sample_weight=[1, 2])


def _meta(*shape, dtype=torch.float32):
    return torch.empty(*shape, device="meta", dtype=dtype)


@pytest.mark.parametrize("make, y_true, y_pred", [
    (lambda: metrics.IoU(3, [0, 2]), _meta(4, 5, dtype=torch.int64),
     _meta(4, 5, dtype=torch.int32)),
    (lambda: metrics.MeanIoU(3, ignore_class=1), _meta(4, 5, dtype=torch.int64),
     _meta(4, 5, dtype=torch.int64)),
    (lambda: metrics.BinaryIoU(), _meta(4, 5), _meta(4, 5)),
    (lambda: metrics.OneHotIoU(3, [1]), _meta(4, 5, 3), _meta(4, 5, 3)),
    (lambda: metrics.OneHotMeanIoU(3, dtype="float32"), _meta(4, 5, 3), _meta(4, 5, 3)),
])
def test_update_and_result_never_read_values(make, y_true, y_pred):
    metric = make().to("meta")  # a meta tensor has no values: any host read would fail
    for weight in (None, _meta(4, 5, dtype=metric.total_cm.dtype), 3):
        metric.update_state(y_true, y_pred, sample_weight=weight)
        assert metric.result().device.type == "meta"
