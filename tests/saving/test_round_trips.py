"""lamina -> `.keras` -> lamina: Sequential, functional, nested, shared and subclassed models,
compile arguments and optimizer state."""

import io
import json
import zipfile

import h5py
import numpy as np
import pytest
import torch

import lamina as keras
from lamina import layers


def _predict(model, x):
    return model.predict(x, verbose=0)


def _assert_same_predictions(model, loaded, x):
    expected, got = _predict(model, x), _predict(loaded, x)
    for e, g in zip(expected if isinstance(expected, list) else [expected],
                    got if isinstance(got, list) else [got]):
        np.testing.assert_allclose(g, e, atol=1e-6)


def test_sequential_round_trip(tmp_path):
    model = keras.Sequential([keras.Input(shape=(5,)), layers.Dense(4, activation="relu"),
                              layers.BatchNormalization(), layers.Dense(2)], name="stack")
    x = np.random.RandomState(0).randn(6, 5).astype("float32")
    path = tmp_path / "m.keras"
    model.save(path)
    loaded = keras.saving.load_model(path)
    assert isinstance(loaded, keras.Sequential) and loaded.name == "stack"
    assert [type(layer).__name__ for layer in loaded.layers] == [
        "Dense", "BatchNormalization", "Dense"]
    _assert_same_predictions(model, loaded, x)


def test_functional_two_inputs_outputs_nested_and_shared(tmp_path):
    inner_in = keras.Input(shape=(4,))
    inner = keras.Model(inner_in, layers.Dense(3, activation="tanh")(inner_in), name="inner")
    a, b = keras.Input(shape=(4,), name="a"), keras.Input(shape=(4,), name="b")
    shared = layers.Dense(4, name="shared")
    merged = layers.Concatenate()([inner(shared(a)), inner(shared(b))])
    model = keras.Model([a, b], [layers.Dense(1, name="y1")(merged),
                                 layers.Dense(2, name="y2")(merged)])
    rs = np.random.RandomState(1)
    x = [rs.randn(3, 4).astype("float32"), rs.randn(3, 4).astype("float32")]
    path = tmp_path / "f.keras"
    model.save(path)
    loaded = keras.saving.load_model(path)
    assert loaded.input_names == ["a", "b"] and loaded.output_names == ["y1", "y2"]
    assert loaded.count_params() == model.count_params()
    _assert_same_predictions(model, loaded, x)
    config = json.loads(zipfile.ZipFile(path).read("config.json"))
    assert config["class_name"] == "Functional"
    assert config["config"]["input_layers"] == [["a", 0, 0], ["b", 0, 0]]
    shared_entry = next(e for e in config["config"]["layers"] if e["name"] == "shared")
    assert len(shared_entry["inbound_nodes"]) == 2


def test_functional_config_matches_keras_layout():
    x = keras.Input(shape=(3,), name="x")
    model = keras.Model(x, layers.Dense(2, name="d")(x))
    config = model.get_config()
    assert config["input_layers"] == ["x", 0, 0]  # one input: a single triple, as Keras
    assert config["output_layers"] == ["d", 0, 0]
    dense = config["layers"][1]
    assert dense["module"] == "keras.layers" and dense["registered_name"] is None
    assert dense["inbound_nodes"] == [{"args": [{"class_name": "__keras_tensor__", "config": {
        "shape": [None, 3], "dtype": "float32", "keras_history": ["x", 0, 0]}}], "kwargs": {}}]
    clone = keras.Model.from_config(config)
    assert [layer.name for layer in clone.layers] == ["x", "d"]


@keras.saving.register_keras_serializable(package="tests")
class TwoLayerModel(keras.Model):
    def __init__(self, units=3, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.hidden = layers.Dense(units, activation="relu")
        self.out = layers.Dense(1)

    def call(self, inputs):
        return self.out(self.hidden(inputs))

    def get_config(self):
        return {**super().get_config(), "units": self.units}


def test_subclassed_registered_model_round_trip(tmp_path):
    model = TwoLayerModel(5)
    x = np.random.RandomState(2).randn(4, 3).astype("float32")
    expected = _predict(model, x)
    model.save(tmp_path / "s.keras")
    loaded = keras.saving.load_model(tmp_path / "s.keras")
    assert type(loaded) is TwoLayerModel and loaded.units == 5
    np.testing.assert_allclose(_predict(loaded, x), expected, atol=1e-6)
    config = json.loads(zipfile.ZipFile(tmp_path / "s.keras").read("config.json"))
    assert config["registered_name"] == "tests>TwoLayerModel"


def _train_data():
    rs = np.random.RandomState(3)
    return rs.randn(32, 6, 6, 1).astype("float32"), rs.randn(32, 2).astype("float32")


def _cnn():
    return keras.Sequential([keras.Input(shape=(6, 6, 1)), layers.Conv2D(3, 3),
                             layers.Flatten(), layers.Dense(2)])


def test_resumed_fit_continues_exactly(tmp_path):
    x, y = _train_data()
    model = _cnn()
    model.compile(optimizer=keras.optimizers.Adam(0.01), loss="mse", metrics=["mae"])
    model.fit(x, y, batch_size=8, epochs=1, shuffle=False, verbose=0)
    model.save(tmp_path / "r.keras")
    loaded = keras.saving.load_model(tmp_path / "r.keras")
    assert int(loaded.optimizer.iterations) == 4
    for m in (model, loaded):
        m.fit(x, y, batch_size=8, epochs=1, shuffle=False, verbose=0)
    for a, b in zip(model.get_weights(), loaded.get_weights()):
        np.testing.assert_allclose(b, a, atol=1e-6)


def test_optimizer_slots_are_saved_in_keras_layout(tmp_path):
    x, y = _train_data()
    model = _cnn()
    model.compile(optimizer="adam", loss="mse")
    model.fit(x, y, batch_size=8, epochs=1, verbose=0)
    model.save(tmp_path / "o.keras")
    with zipfile.ZipFile(tmp_path / "o.keras") as archive, \
            h5py.File(io.BytesIO(archive.read("model.weights.h5")), "r") as f:
        assert f["layers/conv2d/vars/0"].shape == (3, 3, 1, 3)
        assert f["optimizer/vars/2"].shape == (3, 3, 1, 3)  # kernel momentum, Keras' way
        momentum = model.optimizer._momentums[0]  # (out, in, kh, kw) in lamina
        np.testing.assert_allclose(f["optimizer/vars/2"][()],
                                   momentum.permute(2, 3, 1, 0).numpy(), atol=0)


def test_save_without_optimizer(tmp_path):
    x, y = _train_data()
    model = _cnn()
    model.compile(optimizer="adam", loss="mse")
    model.fit(x, y, batch_size=8, epochs=1, verbose=0)
    model.save(tmp_path / "n.keras", include_optimizer=False)
    loaded = keras.saving.load_model(tmp_path / "n.keras")
    assert loaded.compiled and int(loaded.optimizer.iterations) == 0


def test_to_json_model_from_json_and_clone_model():
    model = keras.Sequential([keras.Input(shape=(3,)), layers.Dense(4), layers.Dense(1)])
    rebuilt = keras.models.model_from_json(model.to_json())
    clone = keras.models.clone_model(model)
    for other in (rebuilt, clone):
        assert other.get_config()["layers"][1:] == model.get_config()["layers"][1:]
        assert not np.allclose(other.get_weights()[0], model.get_weights()[0])


def test_clone_model_rejects_clone_function():
    model = keras.Sequential([keras.Input(shape=(3,)), layers.Dense(1)])
    with pytest.raises(ValueError, match="does not support `clone_function`"):
        keras.models.clone_model(model, clone_function=lambda layer: layer)


def test_lambda_layer_round_trip_with_safe_mode_off(tmp_path):
    model = keras.Sequential([keras.Input(shape=(3,)), layers.Lambda(lambda t: t * 3 + 1)])
    model.save(tmp_path / "l.keras")
    loaded = keras.saving.load_model(tmp_path / "l.keras", safe_mode=False)
    x = torch.arange(6.0).reshape(2, 3)
    np.testing.assert_allclose(_predict(loaded, x.numpy()), x.numpy() * 3 + 1)


@pytest.mark.filterwarnings("ignore:Do not pass an `input_shape`:UserWarning")  # as Keras 3
def test_keras2_input_dim_is_written_as_an_input_layer(tmp_path):
    model = keras.Sequential([layers.Dense(4, input_dim=3), layers.Dense(1)])
    config = model.get_config()
    assert config["layers"][0]["class_name"] == "InputLayer"
    assert "batch_input_shape" not in config["layers"][1]["config"]  # Keras 3 rejects it
    model.save(tmp_path / "k2.keras")
    loaded = keras.saving.load_model(tmp_path / "k2.keras")
    assert loaded.input_shape == (None, 3)
    x = np.ones((2, 3), "float32")
    np.testing.assert_allclose(_predict(loaded, x), _predict(model, x), atol=1e-6)


# -- a model compiled but never trained: its optimizer is saved unbuilt --------------------------
def _rewrite_weights(path, edit):
    """Apply `edit(h5file)` to the `model.weights.h5` of the `.keras` file at `path`."""
    with zipfile.ZipFile(path) as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    buffer = io.BytesIO(members["model.weights.h5"])
    with h5py.File(buffer, "r+") as f:
        edit(f)
    members["model.weights.h5"] = buffer.getvalue()
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)


def _mlp():
    return keras.Sequential([keras.Input(shape=(4,)), layers.Dense(3), layers.Dense(2)])


@pytest.mark.parametrize("optimizer", [
    lambda: keras.optimizers.Adam(0.01),
    lambda: keras.optimizers.SGD(0.1, momentum=0.9, gradient_accumulation_steps=2),
    lambda: keras.optimizers.Adam(keras.optimizers.schedules.ExponentialDecay(0.1, 2, 0.5)),
    lambda: keras.optimizers.LossScaleOptimizer(keras.optimizers.Adam(0.01)),
])
def test_compiled_untrained_model_loads_and_trains_on(tmp_path, optimizer):
    model = _mlp()
    model.compile(optimizer=optimizer(), loss="mse")
    unbuilt = len(model.optimizer.variables)  # iteration (+ learning_rate, + the inner ones)
    model.save(tmp_path / "u.keras")
    with zipfile.ZipFile(tmp_path / "u.keras") as archive, \
            h5py.File(io.BytesIO(archive.read("model.weights.h5")), "r") as f:
        assert len(f["optimizer/vars"]) == unbuilt  # what Keras writes, too
    loaded = keras.saving.load_model(tmp_path / "u.keras")  # no warning (warnings are errors)
    assert loaded.optimizer.built and int(loaded.optimizer.iterations) == 0
    rs = np.random.RandomState(4)
    x, y = rs.randn(8, 4).astype("float32"), rs.randn(8, 2).astype("float32")
    for m in (model, loaded):
        m.fit(x, y, batch_size=4, epochs=2, shuffle=False, verbose=0)
    for a, b in zip(model.get_weights(), loaded.get_weights()):
        np.testing.assert_allclose(b, a, atol=1e-6)


def test_unbuilt_optimizer_state_in_keras_layout_is_restored(tmp_path):
    model = _mlp()
    model.compile(optimizer=keras.optimizers.Adam(0.01), loss="mse")
    model.save(tmp_path / "k.keras")

    def as_keras_writes(f):  # Keras' `iteration` is int32; a learning rate set after compile
        del f["optimizer/vars/0"], f["optimizer/vars/1"]
        f["optimizer/vars"].create_dataset("0", data=np.int32(0))
        f["optimizer/vars"].create_dataset("1", data=np.float32(0.02))

    _rewrite_weights(tmp_path / "k.keras", as_keras_writes)
    loaded = keras.saving.load_model(tmp_path / "k.keras")
    assert loaded.optimizer.built
    assert loaded.optimizer.learning_rate == pytest.approx(0.02)  # the file's, over the config
    assert len(loaded.optimizer.variables) == 2 + 2 * 4  # Adam's two slots per weight


def test_optimizer_state_that_does_not_fit_is_refused(tmp_path):
    x, y = np.ones((4, 4), "float32"), np.ones((4, 2), "float32")
    model = _mlp()
    model.compile(optimizer="adam", loss="mse")
    model.fit(x, y, verbose=0)
    model.save(tmp_path / "t.keras")
    _rewrite_weights(tmp_path / "t.keras", lambda f: f["optimizer/vars"].pop("9"))
    with pytest.raises(ValueError, match="'adam' has 10 variables but the file holds 9"):
        keras.saving.load_model(tmp_path / "t.keras")
    loaded = keras.saving.load_model(tmp_path / "t.keras", compile=False)  # the way out
    for a, b in zip(model.get_weights(), loaded.get_weights()):
        np.testing.assert_array_equal(b, a)


def test_optimizer_slot_of_another_shape_is_refused(tmp_path):
    model = _mlp()
    model.compile(optimizer="adam", loss="mse")
    model.fit(np.ones((4, 4), "float32"), np.ones((4, 2), "float32"), verbose=0)
    model.save(tmp_path / "s.keras")

    def reshape(f):
        del f["optimizer/vars/2"]
        f["optimizer/vars"].create_dataset("2", data=np.zeros((3, 4), "float32"))

    _rewrite_weights(tmp_path / "s.keras", reshape)
    with pytest.raises(ValueError, match=r"optimizer/vars/2' declares shape \(3, 4\), but the "
                       r"model expects \(4, 3\)"):
        keras.saving.load_model(tmp_path / "s.keras")
