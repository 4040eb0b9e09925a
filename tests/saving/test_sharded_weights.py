"""Sharded weights: `save_weights(..., max_shard_size=GB)` writes Keras 3's `.weights.json`
index and `_0000N.weights.h5` shards, both ways with Keras (golden files from
`golden/legacy/make_keras3_files.py`; the reverse check is
`golden/legacy/check_lamina_files_in_keras.py`)."""

import io
import json
import os
import zipfile

import h5py
import numpy as np
import pytest

import lamina as keras
from lamina import layers
from lamina.saving import weights_h5

GOLDEN = os.path.join(os.path.dirname(__file__), "golden", "legacy", "keras3_files.zip")
SHARD_GB = 1.2e-6  # the size `make_keras3_files.py` used: three shards


def _keras_shards(tmp_path):
    """Extract Keras' sharded golden files into `tmp_path/keras`; returns the index path."""
    folder = tmp_path / "keras"
    folder.mkdir()
    with zipfile.ZipFile(GOLDEN) as archive:
        for name in archive.namelist():
            if name.startswith("sharded/"):
                (folder / name.split("/", 1)[1]).write_bytes(archive.read(name))
        data = np.load(io.BytesIO(archive.read("predictions.npz")))
        x, y = data["sharded/x0"], data["sharded/y0"]
    return folder / "model.weights.json", x, y


def _model():
    return keras.Sequential([keras.Input(shape=(6,)), layers.Dense(32),
                             layers.BatchNormalization(), layers.Dense(8, activation="relu"),
                             layers.Dense(3)])


def _layout(path):
    """Every group (with its attributes) and dataset (with its shape) of an HDF5 file."""
    found = []
    with h5py.File(path, "r") as f:
        f.visititems(lambda name, obj: found.append(
            (name, dict(obj.attrs) if isinstance(obj, h5py.Group) else obj.shape)))
    return found


def test_keras_shards_load_and_predict_as_keras(tmp_path):
    index, x, y = _keras_shards(tmp_path)
    model = _model()
    model.load_weights(index)
    np.testing.assert_allclose(model.predict(x, verbose=0), y, atol=1e-5)


def test_lamina_writes_the_shards_keras_writes(tmp_path):
    index, x, y = _keras_shards(tmp_path)
    model = _model()
    model.load_weights(index)
    ours = tmp_path / "ours"
    model.save_weights(ours / "model.weights.json", max_shard_size=SHARD_GB)
    assert (ours / "model.weights.json").read_text() == index.read_text()  # byte for byte
    assert sorted(os.listdir(ours)) == sorted(os.listdir(index.parent))
    for shard in sorted(ours.glob("*_0000*.weights.h5")):  # straddling layers included
        assert _layout(shard) == _layout(index.parent / shard.name)
    fresh = _model()
    fresh.load_weights(ours / "model.weights.json")
    np.testing.assert_allclose(fresh.predict(x, verbose=0), y, atol=1e-5)


def test_round_trip_with_recurrent_layers(tmp_path):
    model = keras.Sequential([keras.Input(shape=(4, 3)), layers.LSTM(5, return_sequences=True),
                              layers.GRU(4), layers.Dense(2)])
    model.save_weights(tmp_path / "r.weights.json", max_shard_size=4e-7)  # ~430 bytes
    index = json.loads((tmp_path / "r.weights.json").read_text())
    assert len({f for files in index["weight_map"].values() for f in files}) >= 4
    total = sum(w.size * 4 for w in model.get_weights())
    assert index["metadata"]["total_size"] == float(total)
    other = keras.models.clone_model(model)
    other.load_weights(tmp_path / "r.weights.json")
    for a, b in zip(other.get_weights(), model.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_resave_removes_stale_shards(tmp_path):
    model = _model()
    model.save_weights(tmp_path / "m.weights.json", max_shard_size=SHARD_GB)
    assert len(list(tmp_path.glob("m_*.weights.h5"))) == 3
    model.save_weights(tmp_path / "m.weights.json", max_shard_size=1.0)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.weights.json",
                                                         "m_00000.weights.h5"]


def test_failed_save_leaves_old_files_or_no_index(tmp_path, monkeypatch):
    model = _model()
    model.save_weights(tmp_path / "m.weights.json", max_shard_size=SHARD_GB)
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    with pytest.raises(ValueError, match=r"'layers/dense/vars/0' takes 768 bytes, more than "
                                         r"`max_shard_size`"):
        model.save_weights(tmp_path / "m.weights.json", max_shard_size=5e-7)
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == before  # planned first
    calls = []

    def fail_on_second_shard(items):
        calls.append(1)
        if len(calls) == 2:
            raise OSError("disk full")
        return original(items)

    original = weights_h5._shard_bytes
    monkeypatch.setattr(weights_h5, "_shard_bytes", fail_on_second_shard)
    with pytest.raises(OSError, match="disk full"):
        model.save_weights(tmp_path / "m.weights.json", max_shard_size=SHARD_GB)
    names = sorted(p.name for p in tmp_path.iterdir())
    assert "m.weights.json" not in names  # never an index over a mix of old and new shards
    assert not [n for n in names if n.endswith(".tmp")]
    with pytest.raises(FileNotFoundError):
        model.load_weights(tmp_path / "m.weights.json")


def test_mismatch_raises_or_is_skipped(tmp_path):
    _model().save_weights(tmp_path / "m.weights.json", max_shard_size=SHARD_GB)
    other = keras.Sequential([keras.Input(shape=(6,)), layers.Dense(32),
                              layers.BatchNormalization(), layers.Dense(8), layers.Dense(4)])
    with pytest.raises(ValueError, match=r"variable 0 of layer 'dense_\d+' is \(8, 4\)"):
        other.load_weights(tmp_path / "m.weights.json")
    with pytest.warns(UserWarning, match="Skipping loading weights for layer"):
        other.load_weights(tmp_path / "m.weights.json", skip_mismatch=True)


def test_argument_and_file_name_errors(tmp_path):
    model = _model()
    with pytest.raises(TypeError, match="`max_shard_size` to be a number of GB"):
        model.save_weights(tmp_path / "m.weights.json", max_shard_size="1GB")
    with pytest.raises(ValueError, match="positive number of GB. Received: max_shard_size=0"):
        model.save_weights(tmp_path / "m.weights.json", max_shard_size=0)
    with pytest.raises(ValueError, match="must end in `.weights.json` when `max_shard_size`"):
        model.save_weights(tmp_path / "m.h5", max_shard_size=1.0)
    with pytest.warns(UserWarning, match=r"saving '.*w\.weights\.json' instead"):
        model.save_weights(tmp_path / "w.weights.h5", max_shard_size=1.0)  # as Keras renames
    assert (tmp_path / "w.weights.json").exists()
    with pytest.raises(FileExistsError, match="overwrite=False"):
        model.save_weights(tmp_path / "w.weights.json", max_shard_size=1.0, overwrite=False)
    with pytest.raises(ValueError, match="by_name` only supports loading legacy"):
        model.load_weights(tmp_path / "w.weights.json", by_name=True)
    with pytest.raises(ValueError, match="indexes sharded weights only"):
        keras.saving.load_model(tmp_path / "w.weights.json")


def _index(tmp_path, content):
    path = tmp_path / "x.weights.json"
    path.write_text(content if isinstance(content, str) else json.dumps(content))
    return path


@pytest.mark.parametrize("content, message", [
    ("{not json", "Invalid sharded weights index"),
    ({"metadata": {}}, "should hold a `weight_map` dict"),
    ({"weight_map": {"/vars": 3}}, "should map to shard file names"),
    ({"weight_map": {"/vars": ["../evil.weights.h5"]}}, "shards must be `.weights.h5` files"),
    ({"weight_map": {"/vars": "/etc/passwd"}}, "Refusing the sharded weights index"),
])
def test_hostile_or_invalid_index_is_refused(tmp_path, content, message):
    with pytest.raises(ValueError, match=message):
        _model().load_weights(_index(tmp_path, content))


def test_oversized_index_is_refused(tmp_path, monkeypatch):
    monkeypatch.setattr(weights_h5, "_MAX_INDEX_BYTES", 10)
    with pytest.raises(ValueError, match="larger than 10 bytes"):
        _model().load_weights(_index(tmp_path, {"weight_map": {}}))


def test_variable_in_two_shards_is_refused(tmp_path):
    model = _model()
    model.save_weights(tmp_path / "m.weights.json", max_shard_size=SHARD_GB)
    with h5py.File(tmp_path / "m_00001.weights.h5", "a") as f:  # a second copy of vars/0
        f["layers/batch_normalization/vars"].create_dataset("0", data=np.zeros(32, "float32"))
    with pytest.raises(ValueError, match="'/layers/batch_normalization/vars/0' is in two shards"):
        model.load_weights(tmp_path / "m.weights.json")


def test_huge_declared_shape_in_a_shard_is_refused_before_reading(tmp_path):
    model = _model()
    model.save_weights(tmp_path / "m.weights.json", max_shard_size=SHARD_GB)
    with h5py.File(tmp_path / "m_00000.weights.h5", "a") as f:
        del f["layers/dense/vars/0"]
        f["layers/dense/vars"].create_dataset("0", shape=(1 << 20, 1 << 21), dtype="float32",
                                              chunks=(8, 8))
    with pytest.raises(ValueError, match=r"variable 0 of layer 'dense' is \(6, 32\), but the "
                                         r"file holds \(1048576, 2097152\)"):
        model.load_weights(tmp_path / "m.weights.json")
