"""Hostile files: loading refuses what could run code or exhaust memory, before doing it."""

import io
import json
import zipfile

import h5py
import numpy as np
import pytest

import lamina as keras
from lamina import layers


def _model():
    return keras.Sequential([keras.Input(shape=(3,)), layers.Dense(2)])


def _rewrite(path, config=None, members=None):
    """Copy `path` with `config.json` replaced and extra `members` (name -> bytes) added."""
    with zipfile.ZipFile(path) as archive:
        contents = {name: archive.read(name) for name in archive.namelist()}
    if config is not None:
        contents["config.json"] = json.dumps(config).encode()
    contents.update(members or {})
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in contents.items():
            archive.writestr(name, data)


def test_lambda_bytecode_refused_in_safe_mode(tmp_path):
    model = keras.Sequential([keras.Input(shape=(3,)), layers.Lambda(lambda t: t + 1)])
    model.save(tmp_path / "l.keras")
    with pytest.raises(ValueError, match=r"Python lambda.*safe_mode=False"):
        keras.saving.load_model(tmp_path / "l.keras")


_OS_SYSTEM = {"module": "os", "class_name": "function", "config": "system",
              "registered_name": "function"}


def _never_called(*args, **kwargs):
    raise AssertionError("os.system was called while loading")


def test_config_naming_os_system_is_refused(tmp_path, monkeypatch):
    import os

    monkeypatch.setattr(os, "system", _never_called)
    model = _model()
    model.compile(optimizer="sgd", loss="mse")
    model.save(tmp_path / "m.keras")
    config = json.loads(zipfile.ZipFile(tmp_path / "m.keras").read("config.json"))
    config["compile_config"]["loss"] = _OS_SYSTEM
    _rewrite(tmp_path / "m.keras", config)
    with pytest.raises(ValueError, match="Python module 'os'.*safe_mode=False"):
        keras.saving.load_model(tmp_path / "m.keras")


def test_activation_naming_os_system_is_refused(tmp_path, monkeypatch):
    import os

    monkeypatch.setattr(os, "system", _never_called)
    _model().save(tmp_path / "m.keras")
    config = json.loads(zipfile.ZipFile(tmp_path / "m.keras").read("config.json"))
    config["config"]["layers"][1]["config"]["activation"] = _OS_SYSTEM
    _rewrite(tmp_path / "m.keras", config)
    with pytest.raises(ValueError, match="Unknown activation: 'system'"):  # registry only
        keras.saving.load_model(tmp_path / "m.keras", safe_mode=False)


def test_class_from_foreign_module_is_refused(tmp_path):
    _model().save(tmp_path / "m.keras")
    config = json.loads(zipfile.ZipFile(tmp_path / "m.keras").read("config.json"))
    config["config"]["layers"][1].update(module="subprocess", class_name="Popen",
                                         registered_name=None)
    _rewrite(tmp_path / "m.keras", config)
    with pytest.raises(ValueError, match="neither part of lamina nor a registered"):
        keras.saving.load_model(tmp_path / "m.keras")


def test_unknown_keras_class_is_reported(tmp_path):
    _model().save(tmp_path / "m.keras")
    config = json.loads(zipfile.ZipFile(tmp_path / "m.keras").read("config.json"))
    config["config"]["layers"][1]["class_name"] = "NoSuchLayer"
    _rewrite(tmp_path / "m.keras", config)
    with pytest.raises(ValueError, match="Could not locate class 'NoSuchLayer'"):
        keras.saving.load_model(tmp_path / "m.keras")


@pytest.mark.parametrize("member", ["../evil.txt", "/etc/evil", "assets/../../x"])
def test_zip_member_escaping_the_archive_is_refused(tmp_path, member):
    _model().save(tmp_path / "m.keras")
    _rewrite(tmp_path / "m.keras", members={member: b"x"})
    with pytest.raises(ValueError, match="points outside the archive"):
        keras.saving.load_model(tmp_path / "m.keras")


def test_not_a_zip_is_refused(tmp_path):
    (tmp_path / "fake.keras").write_bytes(b"\x80\x04pickle")
    with pytest.raises(ValueError, match="not a zip archive"):
        keras.saving.load_model(tmp_path / "fake.keras")


def test_zip_without_config_is_refused(tmp_path):
    with zipfile.ZipFile(tmp_path / "empty.keras", "w") as archive:
        archive.writestr("metadata.json", "{}")
    with pytest.raises(ValueError, match="has no `config.json`"):
        keras.saving.load_model(tmp_path / "empty.keras")


def _weights_file(path, fill):
    with h5py.File(path, "w") as f:
        group = f.create_group("layers/dense/vars")
        fill(f, group)


def test_hdf5_dataset_declaring_huge_shape_is_refused_before_reading(tmp_path):
    model = _model()
    path = tmp_path / "bomb.weights.h5"

    def fill(f, group):  # 8 TB declared, a few bytes stored (chunked, never written)
        group.create_dataset("0", shape=(1 << 20, 1 << 21), dtype="float32", chunks=(8, 8))
        group.create_dataset("1", data=np.zeros(2, "float32"))

    _weights_file(path, fill)
    assert path.stat().st_size < 100_000
    with pytest.raises(ValueError, match=r"shape of variable 0 .* is \(3, 2\)"):
        model.load_weights(path)


def test_hdf5_soft_link_is_refused(tmp_path):
    model = _model()
    path = tmp_path / "link.weights.h5"

    def fill(f, group):
        f.create_dataset("elsewhere", data=np.zeros((3, 2), "float32"))
        group["0"] = h5py.SoftLink("/elsewhere")
        group.create_dataset("1", data=np.zeros(2, "float32"))

    _weights_file(path, fill)
    with pytest.raises(ValueError, match="is a SoftLink"):
        model.load_weights(path)


def test_hdf5_external_link_group_is_refused(tmp_path):
    model = _model()
    path = tmp_path / "ext.weights.h5"
    with h5py.File(path, "w") as f:
        f["layers"] = h5py.ExternalLink("other.h5", "/layers")
    with pytest.raises(ValueError, match="is a ExternalLink"):
        model.load_weights(path)


def test_hdf5_string_dataset_is_refused(tmp_path):
    model = _model()
    path = tmp_path / "str.weights.h5"

    def fill(f, group):
        group.create_dataset("0", data=np.array([b"abc"] * 6).reshape(3, 2))
        group.create_dataset("1", data=np.zeros(2, "float32"))

    _weights_file(path, fill)
    with pytest.raises(ValueError, match="not a number type"):
        model.load_weights(path)


def test_loading_does_not_unpickle(tmp_path, monkeypatch):
    import pickle

    def refuse(*args, **kwargs):
        raise AssertionError("pickle used while loading")

    model = keras.Sequential([keras.Input(shape=(3,)), layers.Dense(2)])
    model.save(tmp_path / "m.keras")
    monkeypatch.setattr(pickle, "loads", refuse)
    monkeypatch.setattr(pickle, "load", refuse)
    monkeypatch.setattr(np, "load", refuse)
    keras.saving.load_model(tmp_path / "m.keras")


def test_in_memory_weights_never_touch_disk(tmp_path, monkeypatch):
    model = _model()
    model.save(tmp_path / "m.keras")
    buffer = io.BytesIO((tmp_path / "m.keras").read_bytes())
    (tmp_path / "m.keras").unlink()
    loaded = keras.saving.load_model(buffer)
    assert sorted(p.name for p in tmp_path.iterdir()) == []
    np.testing.assert_allclose(loaded.get_weights()[0], model.get_weights()[0])
