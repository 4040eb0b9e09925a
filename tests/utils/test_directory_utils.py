"""Walking class folders (Keras' order and rules) and the label encodings."""

import os

import numpy as np
import pytest

from lamina.utils import directory_utils


def _touch(root, *paths):
    for rel in paths:
        path = os.path.join(root, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        open(path, "w").close()


def _index(root, **kwargs):
    options = {"labels": "inferred", "formats": (".txt",), "class_names": None,
               "shuffle": False, "seed": None, "follow_links": False, "owner": "test"}
    options.update(kwargs)
    paths, labels, names = directory_utils.index_directory(root, **options)
    return [os.path.relpath(p, root) for p in paths], labels, names


def test_classes_are_sorted_visible_folders_walked_in_keras_order(tmp_path):
    _touch(tmp_path, "b/2.txt", "b/10.TXT", "b/z/1.txt", "b/a/9.txt", "a/x.txt", ".git/h.txt",
           "top.txt", "a/skip.md")
    paths, labels, names = _index(tmp_path)
    assert names == ["a", "b"]
    # Folders in sorted order of their path, files sorted by name, extension case ignored.
    assert paths == ["a/x.txt", "b/10.TXT", "b/2.txt", "b/a/9.txt", "b/z/1.txt"]
    assert labels.dtype == np.int32 and labels.tolist() == [0, 1, 1, 1, 1]
    paths, labels, names = _index(tmp_path, class_names=["b"])
    assert names == ["b"] and labels.tolist() == [0] * 4
    paths, labels, names = _index(tmp_path, labels=None)
    assert labels is None and names is None
    assert paths == ["top.txt", ".git/h.txt", "a/x.txt", "b/10.TXT", "b/2.txt", "b/a/9.txt",
                     "b/z/1.txt"]


def test_given_labels_name_the_classes_and_shuffle_keeps_them_aligned(tmp_path):
    _touch(tmp_path, "a.txt", "b.txt", "c.txt", "d.txt")
    paths, labels, names = _index(tmp_path, labels=[7, 3, 3, 7])
    assert names == ["3", "7"] and labels.tolist() == [7, 3, 3, 7]
    paths, labels, _ = _index(tmp_path, labels=[0, 1, 2, 3], shuffle=True, seed=5)
    order = np.arange(4)
    np.random.RandomState(5).shuffle(order)
    assert paths == [f"{'abcd'[i]}.txt" for i in order] and labels.tolist() == order.tolist()


@pytest.mark.skipif(not hasattr(os, "symlink"), reason="needs symbolic links")
def test_follow_links(tmp_path):
    _touch(tmp_path, "outside/o.txt", "data/a/x.txt")
    os.symlink(tmp_path / "outside", tmp_path / "data" / "a" / "linked")
    assert _index(tmp_path / "data")[0] == ["a/x.txt"]
    assert _index(tmp_path / "data", follow_links=True)[0] == ["a/x.txt", "a/linked/o.txt"]


def test_split_keeps_the_last_files_for_validation():
    files, labels = list("abcdefghij"), np.arange(10)
    assert directory_utils.split_subset(files, labels, 0.25, "training", "t")[0] == list(
        "abcdefgh")
    val_files, val_labels = directory_utils.split_subset(files, labels, 0.25, "validation", "t")
    assert val_files == ["i", "j"] and val_labels.tolist() == [8, 9]
    assert directory_utils.split_subset(files, None, None, None, "t") == (files, None)


def test_encode_labels():
    labels = np.array([2, 0, 1], np.int32)
    np.testing.assert_array_equal(directory_utils.encode_labels(labels, "int", 3), labels)
    binary = directory_utils.encode_labels(np.array([1, 0], np.int32), "binary", 2)
    assert binary.dtype == np.float32 and binary.tolist() == [[1.0], [0.0]]
    one_hot = directory_utils.encode_labels(labels, "categorical", 3)
    assert one_hot.dtype == np.float32
    np.testing.assert_array_equal(one_hot, np.eye(3)[[2, 0, 1]])
