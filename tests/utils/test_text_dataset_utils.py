"""`text_dataset_from_directory`: texts, labels, class names and split membership against
Keras 3 (golden values from `golden/make_dataset_utils_golden.py`), reshuffling, errors."""

import json
import pathlib

import numpy as np
import pytest

from lamina.utils import text_dataset_from_directory

GOLDEN = json.loads((pathlib.Path(__file__).parent / "golden" /
                     "dataset_utils_golden.json").read_text())["texts"]


@pytest.fixture(scope="module")
def root(tmp_path_factory):
    base = tmp_path_factory.mktemp("texts")
    for rel, text in GOLDEN["files"].items():
        path = base / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return str(base)


def _collect(dataset):
    texts, labels = [], []
    for batch in dataset:
        if isinstance(batch, tuple):
            texts.extend(batch[0].tolist())
            labels.append(batch[1])
        else:
            texts.extend(batch.tolist())
    return texts, (np.concatenate(labels) if labels else None)


@pytest.mark.parametrize("name", ["plain", "max_length", "binary", "no_labels"])
def test_texts_and_labels_match_keras(root, name):
    case = GOLDEN[name]
    dataset = text_dataset_from_directory(root, verbose=False, **case["kwargs"])
    assert dataset.class_names == case["class_names"]
    texts, labels = _collect(dataset)
    assert texts == case["x"]
    if case["y"] is None:
        assert labels is None
    else:
        assert labels.dtype == np.dtype(case["y_dtype"])
        np.testing.assert_array_equal(labels, case["y"])


def test_subset_both_matches_keras(root):
    case = GOLDEN["both"]
    train, val = text_dataset_from_directory(root, verbose=False, **case["kwargs"])
    train_texts, _ = _collect(train)
    assert sorted(train_texts) == case["train_x_sorted"]
    val_texts, val_labels = _collect(val)
    assert val_texts == case["val_x"]
    np.testing.assert_array_equal(val_labels, case["val_y"])
    assert len(train.file_paths) == 4 and len(val.file_paths) == 2  # int(0.4 * 6) = 2


def test_batches_are_object_arrays_of_str_and_reshuffle(root):
    dataset = text_dataset_from_directory(root, batch_size=2, seed=4, verbose=False,
                                          label_mode="categorical")
    texts, labels = dataset[0]
    assert texts.dtype == object and all(isinstance(t, str) for t in texts)
    assert labels.dtype == np.float32 and labels.shape == (2, 2)
    first, _ = _collect(dataset)
    second, second_labels = _collect(dataset)
    assert sorted(first) == sorted(second) and first != second
    by_text = {t: i for i, t in enumerate(_collect(text_dataset_from_directory(
        root, shuffle=False, verbose=False))[0])}
    expected = [0 if by_text[t] < 3 else 1 for t in second]  # neg files sort first
    np.testing.assert_array_equal(second_labels.argmax(axis=1), expected)


def test_unbatched_text_and_utf8(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "x.txt").write_bytes("naïve café".encode())
    dataset = text_dataset_from_directory(tmp_path, batch_size=None, max_length=7,
                                          verbose=False)
    text, label = dataset[0]
    assert text == "naïve c" and label == 0 and label.dtype == np.int32


def test_rejects_bad_input(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "bad.txt").write_bytes(b"\xff\xfe not utf-8")
    dataset = text_dataset_from_directory(tmp_path, verbose=False)
    with pytest.raises(ValueError, match="bad.txt.* is not UTF-8 text"):
        dataset[0]
    with pytest.raises(ValueError, match="`max_length` to be a positive integer"):
        text_dataset_from_directory(tmp_path, max_length=0)
    with pytest.raises(ValueError, match="`batch_size` to be a positive integer"):
        text_dataset_from_directory(tmp_path, batch_size=-2)
    (tmp_path / "empty").mkdir()
    with pytest.raises(ValueError, match="found no text file in .*empty'. Allowed format: .txt"):
        text_dataset_from_directory(tmp_path / "empty", verbose=False)
