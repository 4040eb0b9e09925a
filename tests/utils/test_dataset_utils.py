"""`split_dataset`: which samples go where (against Keras 3's golden splits), the type of
each part for each kind of input, `fit` on the parts, and Keras' size rules and errors."""

import json
import pathlib

import numpy as np
import pandas as pd
import pytest
import torch
from torch.utils.data import Dataset, IterableDataset, Subset, TensorDataset

import lamina
from lamina.utils import PyDataset, split_dataset, timeseries_dataset_from_array
from lamina.utils.dataset_utils import ArrayBatches, ArraySamples

GOLDEN = json.loads((pathlib.Path(__file__).parent / "golden" /
                     "dataset_utils_golden.json").read_text())["split"]
X = np.arange(30).reshape(10, 3)
Y = np.arange(10) * 10


def _rows(part):
    rows = []
    for sample in part:
        if len(sample) == 1:
            rows.append(sample[0].tolist())
        else:
            rows.append([v.tolist() for v in sample])
    return rows


@pytest.mark.parametrize("case", GOLDEN, ids=lambda c: f"{c['kind']}-{json.dumps(c['kwargs'])}")
def test_parts_match_keras(case):
    dataset = X if case["kind"] == "array" else (X, Y)
    left, right = split_dataset(dataset, **case["kwargs"])
    assert isinstance(left, TensorDataset) and isinstance(right, TensorDataset)
    assert _rows(left) == case["left"]
    assert _rows(right) == case["right"]


def test_shuffle_is_keras_python_random_shuffle():
    left, right = split_dataset(np.arange(20), left_size=15, shuffle=True, seed=123)
    order = list(range(20))
    import random
    random.Random(123).shuffle(order)
    assert left.tensors[0].tolist() == order[:15] and right.tensors[0].tolist() == order[15:]


def test_array_parts_train_with_fit_like_arrays():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((64, 3)).astype("float32")
    y = x @ np.array([[1.0], [-2.0], [0.5]], "float32")
    train, test = split_dataset((x, y), left_size=0.75, shuffle=True, seed=0)
    lamina.utils.set_random_seed(0)
    model = lamina.Sequential([lamina.Input((3,)), lamina.layers.Dense(1)])
    model.compile(optimizer=lamina.optimizers.SGD(0.1), loss="mse")
    losses = model.fit(train, batch_size=16, epochs=20, verbose=0).history["loss"]
    assert losses[-1] < 0.01 * losses[0]
    tx, ty = (t.numpy() for t in test.tensors)
    expected = np.mean((model.predict(tx, verbose=0) - ty) ** 2)
    np.testing.assert_allclose(model.evaluate(test, verbose=0), expected, rtol=1e-4)


def test_dicts_strings_and_lists_become_sample_datasets():
    left, right = split_dataset({"a": X, "b": Y}, right_size=0.2)
    assert isinstance(left, ArraySamples) and len(left) == 8 and len(right) == 2
    sample = right[1]
    assert sample["a"].tolist() == [27, 28, 29] and sample["b"] == 90
    texts = np.array([f"text {i}" for i in range(10)])
    left, right = split_dataset((texts, Y), left_size=3)
    assert [str(t) for t, _ in left] == ["text 0", "text 1", "text 2"]
    assert right[-1][1] == 90
    with pytest.raises(IndexError, match="has 7 samples"):
        right[7]
    left, right = split_dataset([1, 2, 3, 4], left_size=0.5)  # a list of samples
    assert _rows(left) == [1, 2] and _rows(right) == [3, 4]
    left, right = split_dataset(pd.DataFrame({"u": range(4), "v": range(4)}), left_size=1)
    assert left.tensors[0].tolist() == [[0, 0]]


def test_torch_datasets_and_tensors():
    class Squares(Dataset):
        def __len__(self):
            return 6

        def __getitem__(self, i):
            return torch.tensor([float(i)]), torch.tensor([float(i * i)])
    left, right = split_dataset(Squares(), left_size=4)
    assert isinstance(left, Subset) and left.indices == [0, 1, 2, 3] and right[1][1].item() == 25
    left, right = split_dataset(TensorDataset(torch.arange(6), torch.arange(6) * 2),
                                right_size=2, shuffle=True, seed=1)
    assert isinstance(right, TensorDataset)
    torch.testing.assert_close(right.tensors[1], right.tensors[0] * 2)
    left, right = split_dataset(torch.arange(5.0), left_size=0.4)
    assert left.tensors[0].tolist() == [0.0, 1.0]


def test_pydatasets_are_unbatched_and_keep_their_batch_size():
    class Batches(PyDataset):
        def __len__(self):
            return 3

        def __getitem__(self, i):
            x = np.arange(i * 4, min(i * 4 + 4, 10), dtype="float32")
            return x[:, None], x * 2

    left, right = split_dataset(Batches(), left_size=0.6)
    assert isinstance(left, ArrayBatches) and left.batch_size == 4
    assert [len(b[0]) for b in left] == [4, 2] and len(right) == 1
    np.testing.assert_array_equal(right[0][1], [12.0, 14.0, 16.0, 18.0])
    windows = timeseries_dataset_from_array(np.arange(12), None, sequence_length=3,
                                            batch_size=None)
    left, right = split_dataset(windows, right_size=2)
    assert left.batch_size is None and left[0].tolist() == [0, 1, 2]
    assert right[1].tolist() == [9, 10, 11]


@pytest.mark.parametrize("kwargs, error, message", [
    ({}, ValueError, "needs `left_size` or `right_size`"),
    ({"left_size": "half"}, TypeError, "`left_size` to be an int, a float or None"),
    ({"right_size": True}, TypeError, "`right_size` to be an int, a float or None"),
    ({"left_size": 0, "right_size": 0}, ValueError, "both 0"),
    ({"left_size": 10}, ValueError, "`left_size` to be an integer from 1 to 9"),
    ({"right_size": -1}, ValueError, "`right_size` to be an integer from 1 to 9"),
    ({"left_size": 1.0}, ValueError, r"`left_size` to be a float in \(0, 1\)"),
    ({"left_size": 0.7, "right_size": 0.4}, ValueError, "add up to more than 1"),
    ({"left_size": 6, "right_size": 5}, ValueError, "ask for 11 samples; the dataset has 10"),
    ({"left_size": 0.01}, ValueError, "leave the left part empty"),
    ({"right_size": 0.04}, ValueError, "leave the right part empty"),
])
def test_size_rules(kwargs, error, message):
    with pytest.raises(error, match=message):
        split_dataset(X, **kwargs)


def test_rejects_bad_datasets():
    with pytest.raises(ValueError, match=r"same number of samples.*\(10, 3\), \(4,\)"):
        split_dataset((X, Y[:4]), left_size=2)
    with pytest.raises(ValueError, match="same number of samples"):
        split_dataset(np.array(1.0), left_size=1)
    with pytest.raises(TypeError, match="`dataset` to be an array.*of type set"):
        split_dataset({1, 2}, left_size=1)

    class Stream(IterableDataset):
        def __iter__(self):
            return iter(range(3))
    with pytest.raises(TypeError, match="IterableDataset has none"):
        split_dataset(Stream(), left_size=1)

    class NoLength(Dataset):
        def __getitem__(self, i):
            return i
    with pytest.raises(TypeError, match="define `__len__` on `NoLength`"):
        split_dataset(NoLength(), left_size=1)

    class Endless(PyDataset):
        @property
        def num_batches(self):
            return None

        def __getitem__(self, i):
            return np.zeros(2)
    with pytest.raises(ValueError, match="endless PyDataset `Endless`"):
        split_dataset(Endless(), left_size=1)

    class Empty(PyDataset):
        def __len__(self):
            return 0
    with pytest.raises(ValueError, match="empty PyDataset"):
        split_dataset(Empty(), left_size=1)
