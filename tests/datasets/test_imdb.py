"""Tests for `datasets.imdb`, on small fake files with the layout of Keras' `imdb.npz`.

Nothing is downloaded: `_urlopen` is patched to serve a local file or to fail, and the pinned
hashes are patched to the fakes' hashes. `golden/imdb_golden.json` holds a fake dataset and
what Keras 3's own `load_data` returns for it under several arguments.
"""

import hashlib
import io
import json
import os
import pathlib
import pickle
import struct
import urllib.error
import urllib.request
import zipfile

import numpy as np
import pytest

from lamina import datasets
from lamina.datasets import imdb
from lamina.utils import file_utils

GOLDEN = json.loads((pathlib.Path(__file__).parent / "golden" / "imdb_golden.json").read_text())
RAW = GOLDEN["raw"]


def object_array(rows):
    array = np.empty(len(rows), dtype=object)
    for i, row in enumerate(rows):
        array[i] = row
    return array


def npy_bytes(array_or_stream, shape=None):
    """An `.npy` member; a `bytes` argument is used as the object array's pickle stream."""
    if not isinstance(array_or_stream, bytes):
        buffer = io.BytesIO()
        np.save(buffer, array_or_stream, allow_pickle=True)
        return buffer.getvalue()
    buffer = io.BytesIO()
    np.lib.format.write_array_header_1_0(
        buffer, {"descr": "|O", "fortran_order": False, "shape": shape})
    return buffer.getvalue() + array_or_stream


def python2_pickle(rows):
    """An object array of lists as Python 2's numpy pickled it (protocol 2, byte strings)."""
    head = (b"\x80\x02cnumpy.core.multiarray\n_reconstruct\nq\x01cnumpy\nndarray\nq\x02K\x00"
            b"\x85U\x01b\x87Rq\x03(K\x01")
    dtype = (b"\x85cnumpy\ndtype\nq\x04U\x02O8K\x00K\x01\x87Rq\x05(K\x03U\x01|NNNJ\xff\xff\xff"
             b"\xffJ\xff\xff\xff\xffK?tb\x89]q\x06(")
    out = [head, struct.pack("<BI", ord("J"), len(rows)), dtype]
    for index, row in enumerate(rows):
        out.append(b"]r" + struct.pack("<I", index + 7) + b"(")
        for value in row:
            if value < 256:
                out.append(b"K" + bytes([value]))
            elif value < 65536:
                out.append(b"M" + struct.pack("<H", value))
            else:
                out.append(b"J" + struct.pack("<i", value))
        out.append(b"e")
    out.append(b"etb.")
    return b"".join(out)


def write_npz(path, members):
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in members.items():
            archive.writestr(name + ".npy", data)
    return path


def fake_members(raw=RAW, layout="numpy"):
    members = {}
    for name in ("x_train", "x_test"):
        if layout == "numpy":
            members[name] = npy_bytes(object_array(raw[name]))
        elif layout == "python2":
            members[name] = npy_bytes(python2_pickle(raw[name]), (len(raw[name]),))
        else:  # a pickle protocol, with numpy 1's spelling of `_reconstruct`
            stream = pickle.dumps(object_array(raw[name]), protocol=layout).replace(
                b"numpy._core.multiarray\n", b"numpy.core.multiarray\n")
            members[name] = npy_bytes(stream, (len(raw[name]),))
    for name in ("y_train", "y_test"):
        members[name] = npy_bytes(np.array(raw[name], dtype=np.int64))
    return members


@pytest.fixture
def cache(monkeypatch):
    """`$KERAS_HOME/datasets` (a temporary KERAS_HOME), offline."""
    def urlopen(url, timeout=None):
        raise urllib.error.URLError("[Errno 101] Network is unreachable")

    monkeypatch.setattr(file_utils, "_urlopen", urlopen)
    directory = pathlib.Path(os.environ["KERAS_HOME"]) / "datasets"
    directory.mkdir(parents=True)
    return directory


def install(monkeypatch, path):
    """Make `path` the accepted IMDB file (its hash replaces Keras' pinned one)."""
    monkeypatch.setattr(imdb, "SHA256", hashlib.sha256(path.read_bytes()).hexdigest())
    return path


@pytest.mark.parametrize("case", GOLDEN["cases"], ids=lambda case: json.dumps(case["kwargs"]))
def test_matches_keras(case, cache, monkeypatch):
    install(monkeypatch, write_npz(cache / "imdb.npz", fake_members()))
    (x_train, y_train), (x_test, y_test) = imdb.load_data(**case["kwargs"])
    assert x_train.dtype == object and x_train.ndim == 1
    assert all(type(review) is list and all(type(w) is int for w in review)
               for review in x_train)
    assert x_train.tolist() == case["x_train"] and x_test.tolist() == case["x_test"]
    assert y_train.tolist() == case["y_train"] and y_test.tolist() == case["y_test"]
    assert str(y_train.dtype) == case["y_dtype"]


@pytest.mark.parametrize("layout", ["python2", 3, 5])
def test_reads_other_pickle_layouts(layout, cache, monkeypatch):
    raw = {**RAW, "x_train": RAW["x_train"][:-1] + [[70000, 300, 5]]}  # all int widths
    install(monkeypatch, write_npz(cache / "imdb.npz", fake_members(raw, layout)))
    (x_train, _), (x_test, _) = imdb.load_data(seed=None, start_char=None, index_from=0,
                                               num_words=10**6)
    assert sorted(x_train.tolist()) == sorted(raw["x_train"])
    assert sorted(x_test.tolist()) == sorted(raw["x_test"])


def test_equal_length_reviews_stay_a_1d_array_of_lists(cache, monkeypatch):
    raw = {"x_train": [[1, 2], [3, 4]], "y_train": [0, 1], "x_test": [[5, 6]], "y_test": [1]}
    install(monkeypatch, write_npz(cache / "imdb.npz", fake_members(raw)))
    (x_train, _), (x_test, _) = imdb.load_data(num_words=100)
    assert x_train.shape == (2,) and sorted(x_train.tolist()) == [[1, 4, 5], [1, 6, 7]]
    assert x_test.tolist() == [[1, 8, 9]]


def test_downloads_from_keras_url_into_keras_home(tmp_path, cache, monkeypatch, capsys):
    source = install(monkeypatch, write_npz(tmp_path / "served.npz", fake_members()))
    requested = []

    def urlopen(url, timeout=None):
        requested.append(url)
        return urllib.request.urlopen(source.as_uri(), timeout=timeout)

    monkeypatch.setattr(file_utils, "_urlopen", urlopen)
    (x_train, _), _ = imdb.load_data()
    assert requested == ["https://storage.googleapis.com/tensorflow/tf-keras-datasets/imdb.npz"]
    assert (cache / "imdb.npz").read_bytes() == source.read_bytes()
    assert capsys.readouterr().out.startswith(f"Downloading data from {imdb.ORIGIN}\n")
    assert x_train.tolist() == GOLDEN["cases"][0]["x_train"]


def test_pins_keras_hashes(monkeypatch):
    seen = []
    monkeypatch.setattr(imdb, "get_file", lambda **kwargs: seen.append(kwargs) or "missing")
    with pytest.raises(FileNotFoundError):
        imdb.load_data(path="reviews.npz")
    with pytest.raises(FileNotFoundError):
        imdb.get_word_index()
    assert seen == [
        {"fname": "reviews.npz", "origin": imdb.ORIGIN, "file_hash":
         "69664113be75683a8fe16e3ed0ab59fda8886cb3cd7ada244f7d9544e4676b9f"},
        {"fname": "imdb_word_index.json", "origin": imdb.WORD_INDEX_ORIGIN,
         "file_hash": "bfafd718b763782e994055a2d397834f"}]
    assert datasets.imdb is imdb


def test_offline_without_cache_says_where_to_put_the_file(cache):
    with pytest.raises(OSError, match=f"copy the file to exactly this path: {cache / 'imdb.npz'}"
                                      f" It must have sha256 {imdb.SHA256}"):
        imdb.load_data()


def test_a_file_with_another_hash_is_refused_and_kept(cache):
    write_npz(cache / "imdb.npz", fake_members())
    before = (cache / "imdb.npz").read_bytes()
    with pytest.raises(ValueError, match=f"`file_hash` expects sha256 {imdb.SHA256}"):
        imdb.load_data()
    assert (cache / "imdb.npz").read_bytes() == before


def test_get_word_index(cache, monkeypatch):
    words = {"the": 1, "and": 2, "café": 3}
    path = cache / "imdb_word_index.json"
    path.write_text(json.dumps(words), encoding="utf-8")
    monkeypatch.setattr(imdb, "WORD_INDEX_MD5", hashlib.md5(path.read_bytes()).hexdigest())
    assert imdb.get_word_index() == words


def test_never_runs_code_from_the_file(tmp_path, cache, monkeypatch):
    marker = tmp_path / "pwned"

    class Exploit:
        def __reduce__(self):
            return (os.system, (f"touch {marker}",))

    members = fake_members()
    members["x_train"] = npy_bytes(object_array([[1, 2], Exploit()]))
    install(monkeypatch, write_npz(cache / "imdb.npz", members))
    with pytest.raises(ValueError, match=r"is not a Keras IMDB file: its object array cannot be "
                                         r"read without unpickling \(the pickle names `(posix|nt)"
                                         r"\.system`, which is not part of a numpy array\)"):
        imdb.load_data()
    assert not marker.exists()


ARRAY_HEAD = b"\x80\x02cnumpy.core.multiarray\n_reconstruct\ncnumpy\nndarray\n"
BAD_STREAMS = [
    (b"\x80\x02])R.", "calls something other than a numpy array constructor"),
    (b"\x80\x02])b.", "sets the state of something other than an array"),
    (pickle.dumps([[1]], protocol=0), r"uses opcode b'l', which numpy does not use"),
    (pickle.dumps([[1]], protocol=3), "does not hold a numpy array"),
    (pickle.dumps(np.arange(1), protocol=3), "is not an object array"),
    (pickle.dumps(object_array([[1]]), protocol=4)[:-9], r"\(index out of range\)"),
]


@pytest.mark.parametrize("stream, message", BAD_STREAMS)
def test_refuses_streams_that_are_not_object_arrays(stream, message, cache, monkeypatch):
    members = fake_members()
    members["x_train"] = npy_bytes(stream, (1,))
    install(monkeypatch, write_npz(cache / "imdb.npz", members))
    with pytest.raises(ValueError, match=f"cannot be read without unpickling .*{message}"):
        imdb.load_data()


def test_refuses_a_2d_object_array(cache, monkeypatch):
    members = fake_members()
    members["x_train"] = npy_bytes(pickle.dumps(np.empty((2, 2), dtype=object)), (4,))
    install(monkeypatch, write_npz(cache / "imdb.npz", members))
    with pytest.raises(ValueError, match="the pickled object array is not 1-D or misses items"):
        imdb.load_data()


@pytest.mark.parametrize("change, message", [
    (lambda m: m.update(x_train=npy_bytes(pickle.dumps(object_array([[1]])), (3,))),
     r"an object array of shape \(3,\) holds 1 items"),
    (lambda m: m.update(x_train=npy_bytes(np.ones((40, 3), dtype=np.int64))),
     "`x_train` is not a list of reviews matching `y_train`"),
    (lambda m: m.update(y_test=npy_bytes(np.zeros(2, dtype=np.int64))),
     "`x_test` is not a list of reviews matching `y_test`"),
    (lambda m: m.update(x_train=npy_bytes(object_array([(1, 2)] * 40))), "a review is not a list"),
    (lambda m: m.update(x_train=npy_bytes(object_array([["a"]] * 40))),
     "a review holds something other than word indices"),
    (lambda m: m.pop("y_test"), "it has no y_test"),
])
def test_refuses_files_that_are_not_imdb(change, message, cache, monkeypatch):
    members = fake_members()
    change(members)
    path = install(monkeypatch, write_npz(cache / "imdb.npz", members))
    with pytest.raises(ValueError, match=f"{path} is not a Keras IMDB file: .*{message}.*Delete "
                                         "it so that a fresh copy is downloaded"):
        imdb.load_data()


def test_maxlen_that_keeps_nothing(cache, monkeypatch):
    install(monkeypatch, write_npz(cache / "imdb.npz", fake_members()))
    with pytest.raises(ValueError, match=r"kept no review of one split with maxlen=2: only "
                                         r"reviews shorter than `maxlen` are kept"):
        imdb.load_data(maxlen=2)


@pytest.mark.parametrize("kwargs, message", [
    ({"num_words": 0}, r"`num_words` to be a positive integer or None. Received: num_words=0"),
    ({"maxlen": 2.5}, r"`maxlen` to be a positive integer or None. Received: maxlen=2.5"),
    ({"skip_top": -1}, r"`skip_top` to be a non-negative integer. Received: skip_top=-1"),
    ({"index_from": None}, r"`index_from` to be a non-negative integer. Received: index_from"),
    ({"oov_char": "2"}, r"`oov_char` to be a non-negative integer or None. Received: oov_char="),
    ({"start_char": True}, r"`start_char` to be a non-negative integer or None"),
])
def test_rejects_invalid_arguments(kwargs, message):
    with pytest.raises(ValueError, match=f"`imdb.load_data` expects {message}"):
        imdb.load_data(**kwargs)
