"""Tests for `datasets.mnist.load_data`, on the repository's real `mnist.npz`.

Nothing is downloaded: `_urlopen` is patched to serve the local file or to fail.
"""

import hashlib
import os
import shutil
import urllib.error
import urllib.request

import numpy as np
import pytest

from lamina.datasets import mnist
from lamina.utils import file_utils

REAL = os.path.join(os.path.dirname(__file__), "..", "..", "examples", "data", "mnist.npz")
REPO_SHA256 = "8e083283c91432a55ec214b424b750f347064b1c21bf79cd5a9a425e1c6c2048"
KERAS_SHA256 = "731c5ac602752760c8e48fbffcf8c3b850d9dc2a2aedcf2cc48468fc17b673d1"


@pytest.fixture
def home(tmp_path, monkeypatch):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    return tmp_path


def serve_real_file(monkeypatch):
    requested = []

    def urlopen(url, timeout=None):
        requested.append(url)
        return urllib.request.urlopen("file://" + os.path.abspath(REAL), timeout=timeout)

    monkeypatch.setattr(file_utils, "_urlopen", urlopen)
    return requested


def go_offline(monkeypatch):
    def urlopen(url, timeout=None):
        raise urllib.error.URLError("[Errno 101] Network is unreachable")

    monkeypatch.setattr(file_utils, "_urlopen", urlopen)


def test_downloads_from_keras_url_into_keras_home_then_loads(home, monkeypatch, capsys):
    requested = serve_real_file(monkeypatch)
    (x_train, y_train), (x_test, y_test) = mnist.load_data()
    assert requested == [mnist.ORIGIN]
    assert mnist.ORIGIN == "https://storage.googleapis.com/tensorflow/tf-keras-datasets/mnist.npz"
    cached = home / "datasets" / "mnist.npz"
    assert hashlib.sha256(cached.read_bytes()).hexdigest() == REPO_SHA256
    assert capsys.readouterr().out.startswith(f"Downloading data from {mnist.ORIGIN}\n")

    assert [a.shape for a in (x_train, y_train, x_test, y_test)] == [
        (60000, 28, 28), (60000,), (10000, 28, 28), (10000,)]
    assert all(a.dtype == np.uint8 for a in (x_train, y_train, x_test, y_test))
    # Facts about MNIST in its original order: the first labels, and the class counts.
    assert y_train[:10].tolist() == [5, 0, 4, 1, 9, 2, 1, 3, 1, 4]
    assert y_test[:10].tolist() == [7, 2, 1, 0, 4, 1, 4, 9, 5, 9]
    assert np.bincount(y_train).tolist() == [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265,
                                             5851, 5949]
    assert np.bincount(y_test).tolist() == [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974,
                                            1009]
    assert x_train.min() == 0 and x_train.max() == 255
    with np.load(REAL) as data:
        assert np.array_equal(x_test, data["x_test"])

    go_offline(monkeypatch)  # the second call reads the cache only
    (x_again, _), _ = mnist.load_data()
    assert np.array_equal(x_again, x_train)


def test_offline_without_cache_says_where_to_put_the_file(home, monkeypatch):
    go_offline(monkeypatch)
    target = home / "datasets" / "mnist.npz"
    with pytest.raises(OSError, match=(
            f"Could not download {mnist.ORIGIN}: .*Network is unreachable.*copy the file to "
            f"exactly this path: {target} It must have sha256 {KERAS_SHA256} or sha256 "
            f"{REPO_SHA256}\\.")):
        mnist.load_data()
    assert not target.exists()


def test_corrupt_cached_file_is_reported_and_kept(home, monkeypatch):
    go_offline(monkeypatch)
    cached = home / "datasets" / "mnist.npz"
    cached.parent.mkdir()
    cached.write_bytes(b"half a download")
    with pytest.raises(ValueError, match=f"The cached file {cached} has sha256 .* but "
                                         f"`file_hash` expects sha256 {KERAS_SHA256} or"):
        mnist.load_data()
    assert cached.read_bytes() == b"half a download"


def test_custom_path_names_the_cached_file(home, monkeypatch):
    cached = home / "datasets" / "digits.npz"
    cached.parent.mkdir()
    shutil.copyfile(REAL, cached)
    go_offline(monkeypatch)
    (_, y_train), _ = mnist.load_data(path="digits.npz")
    assert y_train[:3].tolist() == [5, 0, 4]


def test_accepts_keras_file_and_repository_rebuild(monkeypatch):
    seen = {}

    def get_file(**kwargs):
        seen.update(kwargs)
        return REAL

    monkeypatch.setattr(mnist, "get_file", get_file)
    mnist.load_data()
    assert seen == {"fname": "mnist.npz", "origin": mnist.ORIGIN,
                    "file_hash": (KERAS_SHA256, REPO_SHA256)}


def test_never_unpickles(tmp_path, monkeypatch):
    evil = tmp_path / "evil.npz"
    np.savez(evil, x_train=np.array([object()]), y_train=np.zeros(1), x_test=np.zeros(1),
             y_test=np.zeros(1))
    monkeypatch.setattr(mnist, "get_file", lambda **kwargs: str(evil))
    with pytest.raises(ValueError, match="Object arrays cannot be loaded when allow_pickle=False"):
        mnist.load_data()
