"""`TruePositives`, `FalsePositives`, `TrueNegatives`, `FalseNegatives`, `Precision` and
`Recall`: real Keras 3 results (`golden/make_confusion_golden.py`), one-shot and over three
batches, weighted and not; Keras' bucketing at the threshold edges; a broadcast oracle for the
one-histogram counting; the errors; and `compile`/`fit` by name."""

import json
import pathlib

import numpy as np
import pytest
import torch

import lamina as keras
from lamina import metrics

GOLDEN = json.loads(
    (pathlib.Path(__file__).parent / "golden" / "confusion_golden.json").read_text())
FAMILY = ("TruePositives", "FalsePositives", "TrueNegatives", "FalseNegatives", "Precision",
          "Recall")
CASES = [case for case in GOLDEN["cases"] if case["cls"] in FAMILY]
BATCHES = (slice(0, 5), slice(5, 9), slice(9, 12))


def _case_id(case):
    return f"{case['cls']}-{case['args']}-{case['config']}-{case['kind']}"


def run_golden_case(case):
    """Check a golden case one-shot and over three batches, unweighted and weighted."""
    y_true, y_pred = (torch.tensor(a) for a in GOLDEN["inputs"][case["kind"]])
    weights = torch.tensor(GOLDEN["weights"])

    def make():
        return getattr(metrics, case["cls"])(*case["args"], **case["config"])

    for weight, expected in zip((None, weights), case["results"]):
        one_shot, batched = make(), make()
        one_shot.update_state(y_true, y_pred, sample_weight=weight)
        for part in BATCHES:
            batched.update_state(y_true[part], y_pred[part],
                                 sample_weight=None if weight is None else weight[part])
        for metric in (one_shot, batched):
            np.testing.assert_allclose(metric.result().numpy(), expected, rtol=1e-5, atol=1e-6)
    if case["state"] is not None:  # the weighted run's counts, threshold by threshold
        for variable, expected in zip(one_shot.variables, case["state"]):
            np.testing.assert_allclose(variable.numpy(), expected, rtol=1e-5, atol=1e-5)
    config = one_shot.get_config()
    assert config.pop("name") == one_shot.name
    assert config == case["keras_config"]
    rebuilt = metrics.deserialize(metrics.serialize(one_shot))
    assert type(rebuilt) is type(one_shot) and rebuilt.get_config() == one_shot.get_config()


@pytest.mark.parametrize("case", CASES, ids=_case_id)
def test_matches_keras_one_shot_and_over_batches(case):
    run_golden_case(case)


def test_evenly_spaced_thresholds_bucket_as_keras():
    # 0.90000004 is above the float32 threshold 0.9, yet Keras' ceil(p * 10) - 1 puts it in
    # the 0.8 bucket: it counts at thresholds 0..0.8 only. A list of other thresholds
    # compares exactly.
    y_pred = torch.tensor([0.90000004, 0.9])
    even = metrics.TruePositives(thresholds=[i / 10 for i in range(11)])
    even.update_state(torch.ones(2), y_pred)
    assert even.result().tolist() == [2.0] * 9 + [0.0, 0.0]
    exact = metrics.TruePositives(thresholds=[0.9, 0.8])
    exact.update_state(torch.ones(2), y_pred)
    assert exact.result().tolist() == [1.0, 2.0]


def test_counts_equal_a_broadcast_comparison():
    generator = torch.Generator().manual_seed(3)
    y_pred = torch.rand(50, 4, generator=generator) * 1.2 - 0.1  # some outside [0, 1]
    y_true = (torch.rand(50, 4, generator=generator) > 0.5).float()
    weight = torch.rand(50, generator=generator)
    thresholds = [0.9, 0.05, 0.5, 0.33, 0.5, 1.0, 0.0]  # unsorted, with a repeat
    above = y_pred[None] > torch.tensor(thresholds)[:, None, None]  # (thresholds, 50, 4)
    w = weight[None, :, None]
    expected = {
        "TruePositives": (above & (y_true == 1)).mul(w).sum((1, 2)),
        "FalsePositives": (above & (y_true == 0)).mul(w).sum((1, 2)),
        "TrueNegatives": (~above & (y_true == 0)).mul(w).sum((1, 2)),
        "FalseNegatives": (~above & (y_true == 1)).mul(w).sum((1, 2)),
    }
    for name, values in expected.items():
        metric = getattr(metrics, name)(thresholds=thresholds)
        metric.update_state(y_true, y_pred, sample_weight=weight)
        torch.testing.assert_close(metric.result(), values)


def test_weight_shapes_and_numbers():
    y_true = torch.tensor([[1.0, 0.0], [1.0, 1.0]])
    y_pred = torch.tensor([[0.8, 0.9], [0.2, 0.7]])
    per_entry = metrics.Precision()
    per_entry.update_state(y_true, y_pred, sample_weight=torch.tensor([[2.0, 1.0], [5.0, 3.0]]))
    assert per_entry.result().item() == pytest.approx((2.0 + 3.0) / (2.0 + 1.0 + 3.0))
    column = metrics.TruePositives()
    column.update_state(y_true, y_pred, sample_weight=torch.tensor([[2.0], [3.0]]))
    assert column.result().item() == 5.0
    number = metrics.FalsePositives()
    number.update_state(y_true, y_pred, sample_weight=4)
    assert number.result().item() == 4.0
    sparse = metrics.Recall()  # (samples,) labels beside (samples, 1) predictions
    sparse.update_state(torch.tensor([1, 0, 1]), torch.tensor([[0.7], [0.9], [0.1]]))
    assert sparse.result().item() == 0.5


def test_top_k_and_class_id():
    y_true = torch.tensor([[0.0, 1.0, 1.0], [1.0, 0.0, 0.0]])
    y_pred = torch.tensor([[0.9, 0.6, 0.3], [0.2, 0.5, 0.1]])
    top = metrics.Precision(top_k=1)  # the top scores: 0.9 (wrong) and 0.5 (wrong)
    top.update_state(y_true, y_pred)
    assert top.result().item() == 0.0
    recall = metrics.Recall(top_k=2)  # top 2: classes {0, 1} twice; positives found: 2 of 3
    recall.update_state(y_true, y_pred)
    assert recall.result().item() == pytest.approx(2 / 3)
    column = metrics.Recall(class_id=1)  # column 1: one positive label, scored 0.6
    column.update_state(y_true, y_pred)
    assert column.result().item() == 1.0


def test_state_is_named_as_keras_and_results_are_snapshots():
    metric = metrics.Precision(thresholds=[0.3, 0.6])
    assert [v.name for v in metric.variables] == ["true_positives", "false_positives"]
    assert list(metric.state_dict()) == ["true_positives", "false_positives"]
    assert [v.name for v in metrics.FalseNegatives().variables] == ["accumulator"]
    metric.update_state(torch.tensor([1.0, 0.0]), torch.tensor([0.5, 0.7]))
    result = metric.result()
    assert result.tolist() == [0.5, 0.0]
    metric.reset_state()
    assert result.tolist() == [0.5, 0.0] and metric.result().tolist() == [0.0, 0.0]
    single = metrics.TruePositives()
    single.update_state(torch.tensor([1.0]), torch.tensor([0.7]))
    value = single.result()
    single.reset_state()
    assert value.item() == 1.0


@pytest.mark.parametrize("metric", [
    metrics.TruePositives(thresholds=[0.7, 0.2]), metrics.FalseNegatives(),
    metrics.Precision(top_k=2), metrics.Recall(class_id=1, thresholds=[0.1, 0.2, 0.4]),
    metrics.Precision(thresholds=[0.0, 0.5, 1.0])], ids=repr)
def test_update_and_result_stay_on_the_device(metric):
    # On the meta device a value read back to the host would raise.
    metric.to("meta")
    y = torch.empty(4, 3, device="meta")
    for weight in (None, torch.empty(4, device="meta"), 2.0):
        metric.update_state(y, y, sample_weight=weight)
        assert metric.result().device.type == "meta"


def test_get_resolves_keras_names():
    assert isinstance(metrics.get("precision"), metrics.Precision)
    assert isinstance(metrics.get("Recall"), metrics.Recall)
    assert isinstance(metrics.get("true_negatives"), metrics.TrueNegatives)
    with pytest.raises(ValueError, match="Unknown metric: 'precison'. Did you mean 'precision'"):
        metrics.get("precison")


def test_fit_writes_keras_history_keys():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(64, 3)).astype("float32")
    y = (x[:, :1] > 0).astype("float32")
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1, activation="sigmoid")])
    # Objects get their default names: `F1Score`'s is fixed; `AUC()` would be "auc" in a fresh
    # process but "auc_<n>" after other tests made some, so that one is named here.
    model.compile(optimizer="adam", loss="binary_crossentropy",
                  metrics=["precision", "auc", keras.metrics.AUC(curve="PR", name="pr_auc"),
                           keras.metrics.F1Score(average="micro", threshold=0.5)])
    history = model.fit(x, y, validation_split=0.25, epochs=2, batch_size=16, verbose=0)
    assert sorted(history.history) == ["auc", "f1_score", "loss", "pr_auc", "precision",
                                       "val_auc", "val_f1_score", "val_loss", "val_pr_auc",
                                       "val_precision"]
    scores = torch.as_tensor(model.predict(x, verbose=0))
    found = model.evaluate(x, y, verbose=0, return_dict=True)
    for name, metric in (("precision", metrics.Precision()), ("auc", metrics.AUC()),
                         ("pr_auc", metrics.AUC(curve="PR")),
                         ("f1_score", metrics.F1Score(average="micro", threshold=0.5))):
        metric.update_state(torch.as_tensor(y), scores)
        assert found[name] == pytest.approx(metric.result().item(), abs=1e-6)


# -- bad input --------------------------------------------------------------------------------
def test_rejects_bad_arguments():
    with pytest.raises(ValueError, match=r"`TruePositives` expects `thresholds` to be a float "
                                         r"in \[0, 1\].*thresholds=\[0.5, 1.5\]"):
        metrics.TruePositives(thresholds=[0.5, 1.5])
    with pytest.raises(ValueError, match="`Precision` expects `thresholds`.*thresholds=\\[\\]"):
        metrics.Precision(thresholds=[])
    with pytest.raises(ValueError, match="`Precision` expects `top_k` to be a positive integer"):
        metrics.Precision(top_k=0)
    with pytest.raises(ValueError, match="`Recall` expects `class_id` to be a non-negative "
                                         "integer. Received: class_id=-1"):
        metrics.Recall(class_id=-1)


def test_rejects_inputs_that_do_not_fit():
    y = torch.zeros(4, 3)
    with pytest.raises(ValueError, match=r"`Precision` expects `y_pred` of shape \(samples, "
                                         r"classes\) with more than `class_id=3` classes"):
        metrics.Precision(class_id=3).update_state(y, y)
    with pytest.raises(ValueError, match="with more than `class_id=0` classes.*shape=\\(4,\\)"):
        metrics.Recall(class_id=0).update_state(torch.zeros(4), torch.zeros(4))
    with pytest.raises(ValueError, match="`Recall` expects `y_pred` with at least `top_k=5`"):
        metrics.Recall(top_k=5).update_state(y, y)
    with pytest.raises(ValueError, match=r"`Precision` expects `y_true` and `y_pred` of the "
                                         r"same shape. Received: y_true.shape=\(4,\), "
                                         r"y_pred.shape=\(4, 3\)"):
        metrics.Precision().update_state(torch.zeros(4), y)
    with pytest.raises(ValueError, match=r"`TruePositives` expects `sample_weight` broadcastable"
                                         r".*sample_weight.shape=\(3, 1\)"):
        metrics.TruePositives().update_state(y, y, sample_weight=torch.ones(3))
