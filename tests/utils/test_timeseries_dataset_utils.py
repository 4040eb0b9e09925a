"""`timeseries_dataset_from_array`: windows against a hand-written loop and Keras 3's batches
(golden values from `golden/make_dataset_utils_golden.py`), shuffling, `fit`, errors."""

import json
import pathlib

import numpy as np
import pytest

import lamina
from lamina.utils import timeseries_dataset_from_array

GOLDEN = json.loads((pathlib.Path(__file__).parent / "golden" /
                     "dataset_utils_golden.json").read_text())["timeseries"]
DATA = np.arange(40, dtype="float32").reshape(20, 2)
TARGETS = np.arange(100, 120)


def _windows_by_loop(data, targets, sequence_length, sequence_stride=1, sampling_rate=1,
                     start_index=0, end_index=None):
    """The windows and targets, one by one, as the docstring defines them."""
    end_index = len(data) if end_index is None else end_index
    windows, window_targets = [], []
    first = start_index
    while first + (sequence_length - 1) * sampling_rate < end_index:
        windows.append([data[first + k * sampling_rate] for k in range(sequence_length)])
        window_targets.append(None if targets is None else targets[first])
        first += sequence_stride
    return np.array(windows), window_targets


@pytest.mark.parametrize("case", GOLDEN, ids=lambda c: json.dumps(c["kwargs"]))
def test_batches_match_keras(case):
    kwargs = dict(case["kwargs"])
    no_targets = kwargs.pop("no_targets", False)
    dataset = timeseries_dataset_from_array(DATA, None if no_targets else TARGETS, **kwargs)
    batches = list(dataset)
    if kwargs.get("shuffle"):
        # tf.data also shuffles within a buffer, so only the set of windows is Keras'.
        def pairs(items):
            return sorted((np.asarray(x).tolist(), np.asarray(y).tolist())
                          for b in items for x, y in zip(*b))
        assert pairs(batches) == pairs(case["batches"])
        assert [len(b[0]) for b in batches] == [len(b[0]) for b in case["batches"]]
        return
    assert len(dataset) == len(batches) == len(case["batches"])
    for ours, theirs in zip(batches, case["batches"]):
        ours = ours if isinstance(ours, tuple) else (ours,)
        for mine, expected in zip(ours, theirs):
            np.testing.assert_array_equal(mine, np.array(expected))


@pytest.mark.parametrize("kwargs", [
    {"sequence_length": 5},
    {"sequence_length": 3, "sequence_stride": 4, "sampling_rate": 2},
    {"sequence_length": 2, "sampling_rate": 5, "start_index": 4, "end_index": 18},
    {"sequence_length": 20},
])
def test_windows_match_a_loop(kwargs):
    data = np.random.default_rng(0).standard_normal((20, 3)).astype("float32")
    targets = np.arange(20) * 7
    dataset = timeseries_dataset_from_array(data, targets, batch_size=3, **kwargs)
    x = np.concatenate([b[0] for b in dataset])
    y = np.concatenate([b[1] for b in dataset])
    windows, window_targets = _windows_by_loop(data, targets, **kwargs)
    np.testing.assert_array_equal(x, windows)
    np.testing.assert_array_equal(y, window_targets)
    assert x.dtype == np.float32 and y.dtype == targets.dtype


def test_shuffle_uses_keras_first_order_then_reshuffles():
    data = np.arange(30)
    dataset = timeseries_dataset_from_array(data, None, sequence_length=2, batch_size=4,
                                            shuffle=True, seed=3)
    first = np.concatenate(list(dataset))[:, 0]
    starts = np.arange(29)
    np.random.RandomState(3).shuffle(starts)  # Keras' order of the window starts
    np.testing.assert_array_equal(first, starts)
    second = np.concatenate(list(dataset))[:, 0]
    assert sorted(second) == list(range(29)) and second.tolist() != first.tolist()
    again = timeseries_dataset_from_array(data, None, sequence_length=2, batch_size=4,
                                          shuffle=True, seed=3)
    list(again)
    np.testing.assert_array_equal(np.concatenate(list(again))[:, 0], second)


def test_unbatched_windows_and_windows_stay_paired_with_targets():
    dataset = timeseries_dataset_from_array(DATA, TARGETS, sequence_length=4, batch_size=None,
                                            shuffle=True, seed=0)
    assert len(dataset) == 17
    for x, y in dataset:
        assert x.shape == (4, 2) and y == TARGETS[int(x[0, 0]) // 2]


def test_fit_learns_the_next_value():
    rng = np.random.default_rng(0)
    series = np.cumsum(rng.standard_normal(300)).astype("float32")[:, None] * 0.1
    # Predict step t + 4 from steps t..t+3: the target of the window at t is series[t + 4].
    dataset = timeseries_dataset_from_array(series[:-4], series[4:], sequence_length=4,
                                            batch_size=32, shuffle=True, seed=1)
    lamina.utils.set_random_seed(0)
    model = lamina.Sequential([lamina.Input((4, 1)), lamina.layers.Flatten(),
                               lamina.layers.Dense(1)])
    model.compile(optimizer=lamina.optimizers.Adam(0.05), loss="mse")
    losses = model.fit(dataset, epochs=15, verbose=0).history["loss"]
    assert losses[-1] < 0.2 * losses[0]
    # evaluate() equals the mean squared error computed here from the windows.
    x, y = zip(*timeseries_dataset_from_array(series[:-4], series[4:], sequence_length=4,
                                              batch_size=None))
    x, y = np.stack(x), np.stack(y)
    expected = np.mean((model.predict(x, verbose=0) - y) ** 2)
    np.testing.assert_allclose(model.evaluate(dataset, verbose=0), expected, rtol=1e-4)


@pytest.mark.parametrize("kwargs, message", [
    ({"sequence_length": 21}, "a window spans 21 steps .* only 20 steps"),
    ({"sequence_length": 4, "sampling_rate": 7}, "a window spans 22 steps"),
    ({"sequence_length": 0}, "`sequence_length` to be a positive integer"),
    ({"sequence_length": 2, "sampling_rate": 0}, "`sampling_rate` to be a positive integer"),
    ({"sequence_length": 2, "sampling_rate": 20},
     "`sampling_rate` to be smaller than the length of `data` .20."),
    ({"sequence_length": 2, "sequence_stride": 25}, "`sequence_stride` to be smaller"),
    ({"sequence_length": 2, "start_index": -1}, "`start_index` to be an integer from 0 to 19"),
    ({"sequence_length": 2, "start_index": 20}, "`start_index` to be an integer from 0 to 19"),
    ({"sequence_length": 2, "end_index": 20}, "`end_index` to be an integer from 1 to 19"),
    ({"sequence_length": 2, "end_index": 0}, "`end_index` to be an integer from 1 to 19"),
    ({"sequence_length": 2, "start_index": 5, "end_index": 5},
     "`end_index` to be larger than `start_index`"),
    ({"sequence_length": 2, "batch_size": 0}, "`batch_size` to be a positive integer"),
])
def test_rejects_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        timeseries_dataset_from_array(DATA, TARGETS, **kwargs)


def test_rejects_too_few_targets_and_scalar_data():
    with pytest.raises(ValueError, match=r"\(and 3 targets\)"):
        timeseries_dataset_from_array(DATA, TARGETS[:3], sequence_length=2, start_index=5)
    with pytest.raises(ValueError, match="rank 1 or more"):
        timeseries_dataset_from_array(np.float32(3), None, sequence_length=1)


def test_batch_index_out_of_range():
    dataset = timeseries_dataset_from_array(DATA, None, sequence_length=2, batch_size=10)
    np.testing.assert_array_equal(dataset[-1], dataset[1])
    with pytest.raises(IndexError, match=r"has 2 batches.*Received: index=2"):
        dataset[2]
