"""`.weights.h5` in Keras 3's layout, `skip_mismatch`, file-name rules, atomic writes."""

import h5py
import numpy as np
import pytest

import lamina as keras
from lamina import layers
from lamina.saving import atomic, weights_h5


def _mlp():
    return keras.Sequential([keras.Input(shape=(4,)), layers.Dense(3), layers.Dropout(0.1),
                             layers.BatchNormalization(), layers.Dense(2)])


def test_paths_follow_keras_layout(tmp_path):
    model = _mlp()
    model.save_weights(tmp_path / "w.weights.h5")
    with h5py.File(tmp_path / "w.weights.h5", "r") as f:
        assert f["layers/dense/vars/0"].shape == (4, 3)
        assert f["layers/dense_1/vars/0"].shape == (3, 2)
        assert f["layers/dense/vars"].attrs["name"] == "dense"
        assert len(f["layers/dropout/vars"]) == 0
        # gamma, beta (trainable) then moving mean and variance, as Keras numbers them
        np.testing.assert_allclose(f["layers/batch_normalization/vars/0"][()], np.ones(3))
        np.testing.assert_allclose(f["layers/batch_normalization/vars/3"][()], np.ones(3))
        assert "optimizer" not in f


def test_nested_layers_use_attribute_paths():
    model = keras.Sequential([keras.Input(shape=(5, 2)), layers.LSTM(3)])
    paths = [path for path, _ in weights_h5.walk(model)]
    assert paths == ["", "layers/lstm", "layers/lstm/cell"]


def test_weights_round_trip(tmp_path):
    model, other = _mlp(), _mlp()
    x = np.random.RandomState(0).randn(5, 4).astype("float32")
    model.save_weights(tmp_path / "w.weights.h5")
    other.load_weights(tmp_path / "w.weights.h5")
    np.testing.assert_allclose(other.predict(x, verbose=0), model.predict(x, verbose=0))


def test_mismatched_shape_raises(tmp_path):
    _mlp().save_weights(tmp_path / "w.weights.h5")
    wider = keras.Sequential([keras.Input(shape=(4,)), layers.Dense(5), layers.Dropout(0.1),
                              layers.BatchNormalization(), layers.Dense(2)])
    with pytest.raises(ValueError, match=r"variable 0 of layer 'dense_\d+' is \(4, 5\)"):
        wider.load_weights(tmp_path / "w.weights.h5")


def test_skip_mismatch_warns_and_loads_the_rest(tmp_path):
    source = _mlp()
    source.save_weights(tmp_path / "w.weights.h5")
    target = keras.Sequential([keras.Input(shape=(4,)), layers.Dense(3), layers.Dropout(0.1),
                               layers.BatchNormalization(), layers.Dense(7)])
    before = target.layers[-1].get_weights()[0].copy()
    with pytest.warns(UserWarning, match="Skipping loading weights for layer"):
        target.load_weights(tmp_path / "w.weights.h5", skip_mismatch=True)
    np.testing.assert_allclose(target.layers[0].get_weights()[0],
                               source.layers[0].get_weights()[0])
    np.testing.assert_allclose(target.layers[-1].get_weights()[0], before)


def test_missing_variables_raise(tmp_path):
    with h5py.File(tmp_path / "e.weights.h5", "w") as f:
        f.create_group("vars")
    with pytest.raises(ValueError, match="expects 2 variables, but the file holds 0"):
        _mlp().load_weights(tmp_path / "e.weights.h5")


def test_file_names_are_checked(tmp_path):
    model = _mlp()
    with pytest.raises(ValueError, match="must end in `.weights.h5`"):
        model.save_weights(tmp_path / "w.pt")  # `.h5` is the legacy format (test_legacy_h5)
    with pytest.raises(ValueError, match="reads `.weights.h5`, `.weights.json`"):
        model.load_weights(tmp_path / "w.pt")
    with pytest.raises(ValueError, match="must end in `.keras`"):
        model.save(tmp_path / "m.pt")
    with pytest.raises(ValueError, match="holds weights only"):
        keras.saving.load_model(tmp_path / "m.weights.h5")
    with pytest.raises(ValueError, match=r"reads `.keras` files"):
        keras.saving.load_model(tmp_path / "m.pt")
    with pytest.raises(ValueError, match="zipped `.keras` format only"):
        model.save(tmp_path / "m.keras", zipped=False)
    with pytest.raises(TypeError, match="unexpected keyword arguments"):
        model.save(tmp_path / "m.keras", bogus=1)


def test_overwrite_false_refuses_existing_file(tmp_path):
    model = _mlp()
    model.save_weights(tmp_path / "w.weights.h5")
    model.save(tmp_path / "m.keras")
    with pytest.raises(FileExistsError, match="overwrite=False"):
        model.save_weights(tmp_path / "w.weights.h5", overwrite=False)
    with pytest.raises(FileExistsError, match="overwrite=False"):
        model.save(tmp_path / "m.keras", overwrite=False)


def test_failed_write_leaves_the_old_file(tmp_path):
    target = tmp_path / "keep.bin"
    target.write_bytes(b"old")
    with pytest.raises(RuntimeError, match="boom"), atomic.atomic_write(target) as file:
        file.write(b"partial")
        raise RuntimeError("boom")
    assert target.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["keep.bin"]


def test_optimizer_mismatch_raises(tmp_path):
    rs = np.random.RandomState(0)
    x, y = rs.randn(8, 4).astype("float32"), rs.randn(8, 2).astype("float32")
    model = _mlp()
    model.compile(optimizer="adam", loss="mse")
    model.fit(x, y, epochs=1, verbose=0)
    model.save(tmp_path / "m.keras")
    import io
    import json
    import zipfile

    from lamina.saving import keras_zip

    with zipfile.ZipFile(tmp_path / "m.keras") as archive:
        config = json.loads(archive.read("config.json"))
        weights = archive.read("model.weights.h5")
    config["compile_config"]["optimizer"] = "sgd"  # 2 variables, the file holds Adam's
    with pytest.raises(ValueError, match="optimizer 'sgd' has 2 variables"):
        keras_zip.model_from_config(config, weights)
    del io
