"""Legacy HDF5 (`.h5`) whole models and weights: real Keras 2 and Keras 3 files, lamina's
round trips, by-name loading, mismatches and hostile files.

The golden files come from `golden/legacy/make_keras2_files.py` (tf.keras 2.15) and
`golden/legacy/make_keras3_files.py` (Keras 3, JAX); the reverse check (Keras 3 loading
lamina's files) is `golden/legacy/check_lamina_files_in_keras.py`.
"""

import io
import json
import os
import zipfile

import h5py
import numpy as np
import pytest

import lamina as keras
from lamina import layers
from lamina.saving import legacy_config, legacy_h5, weights_h5

GOLDEN = os.path.join(os.path.dirname(__file__), "golden", "legacy")
MODELS = ["sequential_mlp", "functional_two_io", "cnn", "lstm", "batch_norm"]


def _golden(source, member, tmp_path):
    """Extract `member` of `golden/legacy/{source}_files.zip` into `tmp_path`."""
    with zipfile.ZipFile(os.path.join(GOLDEN, f"{source}_files.zip")) as archive:
        data = archive.read(member)
    path = tmp_path / member.replace("/", "_")
    path.write_bytes(data)
    return path


def _predictions(source):
    with zipfile.ZipFile(os.path.join(GOLDEN, f"{source}_files.zip")) as archive:
        return dict(np.load(io.BytesIO(archive.read("predictions.npz"))))


def _io(data, name):
    xs = [data[f"{name}/x{i}"] for i in range(3) if f"{name}/x{i}" in data]
    ys = [data[f"{name}/y{i}"] for i in range(3) if f"{name}/y{i}" in data]
    return xs, ys


def _predict(model, xs):
    out = model.predict(xs if len(xs) > 1 else xs[0], verbose=0)
    return out if isinstance(out, list) else [out]


def _mlp():
    return keras.Sequential([keras.Input(shape=(6,)), layers.Dense(8, activation="relu"),
                             layers.Dropout(0.2), layers.Dense(3, activation="softmax")])


# -- real Keras files ----------------------------------------------------------------------------
CASES = [(source, name) for source in ("keras2", "keras3") for name in MODELS] + [
    ("keras2", "layer_zoo"), ("keras2", "conv_zoo")]  # Keras 2 spellings Keras 3 dropped


@pytest.mark.parametrize("source, name", CASES)
def test_keras_h5_model_predicts_as_keras(source, name, tmp_path):
    data = _predictions(source)
    model = keras.saving.load_model(_golden(source, f"{name}.h5", tmp_path))
    xs, ys = _io(data, name)
    for got, want in zip(_predict(model, xs), ys):
        np.testing.assert_allclose(got, want, atol=1e-5)
    if f"{name}/iterations" in data:  # compiled in Keras: compiled here, optimizer restored
        assert model.compiled
        assert int(model.optimizer.iterations) == int(data[f"{name}/iterations"])


@pytest.mark.parametrize("source", ["keras2", "keras3"])
def test_optimizer_state_and_compile_arguments_are_restored(source, tmp_path):
    path = _golden(source, "sequential_mlp.h5", tmp_path)
    model = keras.saving.load_model(path)
    with h5py.File(path, "r") as f:
        names = legacy_h5.read_names(f["optimizer_weights"], "weight_names")
        saved = [np.asarray(f["optimizer_weights"][n]) for n in names]
        rate = json.loads(f.attrs["training_config"])["optimizer_config"]["config"][
            "learning_rate"]
    values = weights_h5.optimizer_values(model.optimizer, model)
    if source == "keras2":  # Keras 2 saves no learning rate variable: it comes from the config
        saved.insert(1, np.float32(rate))
    assert len(values) == len(saved) == 10  # iteration, learning rate, 2 slots x 4 weights
    for got, want in zip(values, saved):
        np.testing.assert_allclose(got, want, rtol=1e-6)
    assert type(model.optimizer).__name__ == "Adam"
    x = np.random.RandomState(0).randn(5, 6).astype("float32")
    y = np.eye(3, dtype="float32")[[0, 1, 2, 0, 1]]
    logs = model.evaluate(x, y, verbose=0, return_dict=True)
    p = np.clip(model.predict(x, verbose=0), 1e-7, 1 - 1e-7)
    np.testing.assert_allclose(logs["loss"], -np.mean(np.sum(y * np.log(p), axis=1)), rtol=1e-5)
    np.testing.assert_allclose(logs["accuracy"], np.mean(p.argmax(1) == y.argmax(1)))


def test_keras2_weights_file_loads_into_the_same_architecture(tmp_path):
    data = _predictions("keras2")
    model = _mlp()
    model.load_weights(_golden("keras2", "sequential_mlp_w.h5", tmp_path))
    xs, ys = _io(data, "sequential_mlp")
    np.testing.assert_allclose(_predict(model, xs)[0], ys[0], atol=1e-5)


def test_by_name_loads_matching_layers_only(tmp_path):
    path = _golden("keras2", "functional_two_io.h5", tmp_path)  # a whole-model file
    x = keras.Input(shape=(5,))
    model = keras.Model(x, layers.Dense(2, name="out_new")(layers.Dense(5, name="da")(x)))
    untouched = model.get_layer("out_new").get_weights()[0].copy()
    model.load_weights(path, by_name=True)
    with h5py.File(path, "r") as f:
        kernel = np.asarray(f["model_weights/da/da/kernel:0"])
    np.testing.assert_allclose(model.get_layer("da").get_weights()[0], kernel)
    np.testing.assert_allclose(model.get_layer("out_new").get_weights()[0], untouched)


def test_by_name_mismatch_raises_or_is_skipped(tmp_path):
    path = _golden("keras2", "functional_two_io.h5", tmp_path)
    x = keras.Input(shape=(5,))
    model = keras.Model(x, layers.Dense(7, name="da")(x))
    with pytest.raises(ValueError, match=r"Shape mismatch in layer #\d+ \(named 'da'\)"):
        model.load_weights(path, by_name=True)
    bare = keras.Model(x, layers.Dense(7, name="out1", use_bias=False)(x))
    with pytest.raises(ValueError, match="Weight count mismatch .* expects 1 weight"):
        bare.load_weights(path, by_name=True)
    before = bare.get_layer("out1").get_weights()[0].copy()
    with pytest.warns(UserWarning, match="Skipping loading weights for layer"):
        bare.load_weights(path, by_name=True, skip_mismatch=True)
    np.testing.assert_allclose(bare.get_layer("out1").get_weights()[0], before)


# -- lamina's own files --------------------------------------------------------------------------
def test_round_trip_keeps_weights_optimizer_and_training(tmp_path):
    rs = np.random.RandomState(0)
    x, y = rs.randn(16, 6).astype("float32"), np.eye(3, dtype="float32")[rs.randint(0, 3, 16)]
    model = _mlp()
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=0.01),
                  loss="categorical_crossentropy", metrics=["accuracy"])
    model.fit(x, y, epochs=1, batch_size=8, verbose=0)
    model.save(tmp_path / "m.h5")
    loaded = keras.saving.load_model(tmp_path / "m.h5")
    for a, b in zip(weights_h5.optimizer_values(loaded.optimizer, loaded),
                    weights_h5.optimizer_values(model.optimizer, model)):
        np.testing.assert_array_equal(a, b)
    for m in (model, loaded):  # the same next epoch: the restored state is the whole state
        keras.utils.set_random_seed(1)  # the same dropout masks
        m.fit(x, y, epochs=1, batch_size=8, shuffle=False, verbose=0)
    for a, b in zip(loaded.get_weights(), model.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-7)


def test_layout_matches_keras3_writer(tmp_path):
    model = _mlp()
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=0.01),
                  loss="categorical_crossentropy", metrics=["accuracy"])
    model.fit(np.ones((4, 6)), np.eye(3)[[0, 1, 2, 0]], verbose=0)
    model.save(tmp_path / "m.h5")
    keras_file = _golden("keras3", "sequential_mlp.h5", tmp_path)
    with h5py.File(tmp_path / "m.h5", "r") as ours, h5py.File(keras_file, "r") as theirs:
        assert sorted(ours.attrs) == sorted(theirs.attrs)
        assert sorted(ours) == sorted(theirs) == ["model_weights", "optimizer_weights"]
        assert ours.attrs["backend"] == "torch"
        mine, keras_config = (json.loads(f.attrs["model_config"]) for f in (ours, theirs))
        assert [e["class_name"] for e in mine["config"]["layers"]] == \
            [e["class_name"] for e in keras_config["config"]["layers"]]
        assert all("module" not in e for e in mine["config"]["layers"])
        training = json.loads(ours.attrs["training_config"])
        assert training["optimizer_config"]["class_name"] == "Adam"
        for f in (ours, theirs):
            group = f["model_weights"]
            names = legacy_h5.read_names(group, "layer_names")
            counts = [len(legacy_h5.read_names(group[n], "weight_names")) for n in names]
            assert counts == [2, 0, 2]
        assert len(legacy_h5.read_names(ours["optimizer_weights"], "weight_names")) == \
            len(legacy_h5.read_names(theirs["optimizer_weights"], "weight_names"))


def test_nested_model_and_bidirectional_round_trip(tmp_path):
    inner = keras.Sequential([keras.Input(shape=(4, 3)),
                              layers.Bidirectional(layers.LSTM(2, return_sequences=True)),
                              layers.BatchNormalization()], name="inner")
    x = keras.Input(shape=(4, 3))
    model = keras.Model(x, layers.GlobalAveragePooling1D()(inner(x)))
    data = np.random.RandomState(1).randn(2, 4, 3).astype("float32")
    model.save(tmp_path / "m.hdf5")
    loaded = keras.saving.load_model(tmp_path / "m.hdf5")
    np.testing.assert_allclose(loaded.predict(data, verbose=0), model.predict(data, verbose=0),
                               atol=1e-6)
    model.save_weights(tmp_path / "w.h5")
    with h5py.File(tmp_path / "w.h5", "r") as f:  # Bidirectional's weights keep unique names
        names = legacy_h5.read_names(f["inner"], "weight_names")
        assert len(set(names)) == len(names) == 10  # 2 x 3 (LSTMs) + 4 (BatchNormalization)
    fresh = keras.models.clone_model(model)
    fresh.load_weights(tmp_path / "w.h5")
    np.testing.assert_allclose(fresh.predict(data, verbose=0), model.predict(data, verbose=0),
                               atol=1e-6)


def test_long_name_lists_are_split_over_attributes(tmp_path):
    names = [f"layer_{i:05d}_{'x' * 40}" for i in range(1500)]  # ~75 KB of names
    with h5py.File(tmp_path / "n.h5", "w") as f:
        legacy_h5.write_names(f, "layer_names", names)
        assert "layer_names" not in f.attrs and "layer_names1" in f.attrs
        assert legacy_h5.read_names(f, "layer_names") == names
        with pytest.raises(ValueError, match="Cannot save the names"):
            legacy_h5.write_names(f, "weight_names", ["y" * 70000])


# -- mismatches and bad input --------------------------------------------------------------------
def test_topological_mismatches_raise(tmp_path):
    _mlp().save_weights(tmp_path / "w.h5")
    deeper = keras.Sequential([keras.Input(shape=(6,)), layers.Dense(8), layers.Dense(8),
                               layers.Dense(3)])
    with pytest.raises(ValueError, match="Layer count mismatch .* model has 3 layers with "
                                         "weights, the file 2"):
        deeper.load_weights(tmp_path / "w.h5")
    no_bias = keras.Sequential([keras.Input(shape=(6,)), layers.Dense(8, use_bias=False),
                                layers.Dense(3)])
    with pytest.raises(ValueError, match=r"Weight count mismatch for layer #0"):
        no_bias.load_weights(tmp_path / "w.h5", skip_mismatch=True)  # fatal, as in Keras
    wider = keras.Sequential([keras.Input(shape=(7,)), layers.Dense(8), layers.Dense(3)])
    with pytest.raises(ValueError, match=r"Shape mismatch in layer #0 .* expects \(7, 8\), the "
                                         r"file holds \(6, 8\)"):
        wider.load_weights(tmp_path / "w.h5")
    before = wider.layers[0].get_weights()[0].copy()
    with pytest.warns(UserWarning, match="Skipping loading weights for layer #0"):
        wider.load_weights(tmp_path / "w.h5", skip_mismatch=True)
    np.testing.assert_allclose(wider.layers[0].get_weights()[0], before)  # kept
    with h5py.File(tmp_path / "w.h5", "r") as f:  # the next layer loaded
        np.testing.assert_allclose(wider.layers[1].get_weights()[0], f["dense_1/dense_1/kernel"])


def test_file_type_errors(tmp_path):
    model = _mlp()
    model.save_weights(tmp_path / "w.weights.h5")
    model.save_weights(tmp_path / "w.h5")
    model.save(tmp_path / "m.keras")
    for path in ("w.weights.h5", "m.keras"):
        with pytest.raises(ValueError, match="`by_name` only supports loading legacy"):
            model.load_weights(tmp_path / path, by_name=True)
    with pytest.raises(ValueError, match="has no model config: it holds weights only"):
        keras.saving.load_model(tmp_path / "w.h5")
    (tmp_path / "k3.h5").write_bytes((tmp_path / "w.weights.h5").read_bytes())
    with pytest.raises(ValueError, match="not a legacy HDF5 weights file: it has no"):
        model.load_weights(tmp_path / "k3.h5")
    with pytest.raises(ValueError, match="reads `.keras` files .* and legacy `.h5`"):
        keras.saving.load_model(tmp_path / "m.pt")
    with pytest.raises(TypeError, match="unexpected keyword arguments"):
        model.save(tmp_path / "m.h5", bogus=1)
    with pytest.raises(FileExistsError, match="overwrite=False"):
        model.save_weights(tmp_path / "w.h5", overwrite=False)


def _edit(path, fn):
    with h5py.File(path, "a") as f:
        fn(f)


def test_malformed_files_are_reported(tmp_path):
    model = _mlp()
    model.save(tmp_path / "m.h5")
    bad = tmp_path / "bad.h5"
    bad.write_bytes((tmp_path / "m.h5").read_bytes())
    _edit(bad, lambda f: f.attrs.__setitem__("model_config", 3))
    with pytest.raises(ValueError, match="`model_config` is not a JSON string"):
        keras.saving.load_model(bad)
    bad.write_bytes((tmp_path / "m.h5").read_bytes())
    _edit(bad, lambda f: f.attrs.__setitem__("model_config", json.dumps(
        {"class_name": "Dense", "config": {"units": 2}})))
    with pytest.raises(ValueError, match="describes a Dense, not a model"):
        keras.saving.load_model(bad)
    bad.write_bytes((tmp_path / "m.h5").read_bytes())
    _edit(bad, lambda f: f.__delitem__("model_weights"))
    with pytest.raises(ValueError, match="no `model_weights` group"):
        keras.saving.load_model(bad)
    model.save_weights(tmp_path / "w.h5")
    cases = {
        "has no group of that name": lambda f: f.__delitem__("dense"),
        "should list names": lambda f: f["dense"].attrs.__setitem__("weight_names", [1, 2]),
        "holds no such dataset": lambda f: f["dense/dense"].__delitem__("kernel"),
        "not a plain relative path": lambda f: f["dense"].attrs.__setitem__(
            "weight_names", [b"../kernel", b"dense/bias"]),
    }
    for message, fn in cases.items():
        bad.write_bytes((tmp_path / "w.h5").read_bytes())
        _edit(bad, fn)
        with pytest.raises(ValueError, match=message):
            _mlp().load_weights(bad)


def test_unrestorable_optimizer_state_warns_and_starts_fresh(tmp_path):
    model = _mlp()
    model.compile(optimizer="adam", loss="mse")
    model.fit(np.ones((4, 6)), np.ones((4, 3)), verbose=0)
    model.save(tmp_path / "m.h5")

    def shrink(f):
        group = f["optimizer_weights"]
        name = legacy_h5.read_names(group, "weight_names")[2]
        del group[name]
        group.create_dataset(name, data=np.zeros((2, 2), "float32"))

    _edit(tmp_path / "m.h5", shrink)
    with pytest.warns(UserWarning, match="Could not restore the optimizer state"):
        loaded = keras.saving.load_model(tmp_path / "m.h5")
    assert int(loaded.optimizer.iterations) == 0


# -- hostile files -------------------------------------------------------------------------------
def test_huge_declared_shape_is_refused_before_reading(tmp_path):
    _mlp().save_weights(tmp_path / "w.h5")

    def bomb(f):  # 8 TB declared, a few bytes stored (chunked, never written)
        del f["dense/dense/kernel"]
        f["dense/dense"].create_dataset("kernel", shape=(1 << 20, 1 << 21), dtype="float32",
                                        chunks=(8, 8))

    _edit(tmp_path / "w.h5", bomb)
    assert (tmp_path / "w.h5").stat().st_size < 100_000
    with pytest.raises(ValueError, match=r"expects \(6, 8\), the file holds \(1048576, 2097152\)"):
        _mlp().load_weights(tmp_path / "w.h5")


def test_links_in_legacy_files_are_refused(tmp_path):
    _mlp().save_weights(tmp_path / "w.h5")
    _edit(tmp_path / "w.h5", lambda f: (f.__delitem__("dense"),
                                        f.__setitem__("dense", h5py.SoftLink("/dense_1"))))
    with pytest.raises(ValueError, match="SoftLink, and links can point outside the file"):
        _mlp().load_weights(tmp_path / "w.h5")


def _legacy_model_file(path, layer_configs, training=None):
    """A whole-model `.h5` in Keras 2's layout around `layer_configs` (no weights needed)."""
    config = {"class_name": "Sequential", "config": {"name": "s", "layers": [
        {"class_name": "InputLayer", "config": {"batch_input_shape": [None, 3],
                                                "dtype": "float32", "name": "x"}},
        *layer_configs]}}
    with h5py.File(path, "w") as f:
        f.attrs["keras_version"] = "2.15.0"
        f.attrs["backend"] = "tensorflow"
        f.attrs["model_config"] = json.dumps(config).encode("utf8")
        if training is not None:
            f.attrs["training_config"] = json.dumps(training).encode("utf8")
        group = f.create_group("model_weights")
        names = [c["config"]["name"] for c in layer_configs]
        legacy_h5.write_names(group, "layer_names", names)
        for name in names:
            legacy_h5.write_names(group.create_group(name), "weight_names", [])


def _keras2_lambda(function, name="lambda"):
    code = keras.saving.serialization_lib.serialize_lambda(function)["config"]["code"]
    return {"class_name": "Lambda", "config": {
        "name": name, "trainable": True, "dtype": "float32", "function": [code, None, None],
        "function_type": "lambda", "module": "__main__", "output_shape": None,
        "output_shape_type": "raw", "output_shape_module": None, "arguments": {}}}


def test_keras2_lambda_bytecode_needs_safe_mode_false(tmp_path):
    path = tmp_path / "lambda.h5"
    _legacy_model_file(path, [_keras2_lambda(lambda t: t * 2 + 1)])
    with pytest.raises(ValueError, match=r"Python lambda.*safe_mode=False"):
        keras.saving.load_model(path)
    model = keras.saving.load_model(path, safe_mode=False)
    x = np.arange(6, dtype="float32").reshape(2, 3)
    np.testing.assert_allclose(model.predict(x, verbose=0), x * 2 + 1)


_OS_SYSTEM = {"module": "os", "class_name": "function", "config": "system",
              "registered_name": "function"}


def _never_called(*args, **kwargs):
    raise AssertionError("os.system was called while loading")


def test_configs_naming_os_system_are_refused(tmp_path, monkeypatch):
    monkeypatch.setattr(os, "system", _never_called)
    named = {"class_name": "Lambda", "config": {
        "name": "l", "function": "system", "function_type": "function", "module": "os"}}
    _legacy_model_file(tmp_path / "f.h5", [named])
    with pytest.raises(ValueError, match="Python module 'os'.*safe_mode=False"):
        keras.saving.load_model(tmp_path / "f.h5")
    foreign = {"class_name": "system", "module": "os", "config": {"name": "s"}}
    _legacy_model_file(tmp_path / "c.h5", [foreign])
    with pytest.raises(ValueError, match="neither part of lamina nor a registered"):
        keras.saving.load_model(tmp_path / "c.h5")
    training = {"loss": _OS_SYSTEM, "optimizer_config": {"class_name": "SGD", "config": {}}}
    _legacy_model_file(tmp_path / "t.h5", [], training)
    with pytest.raises(ValueError, match="Python module 'os'.*safe_mode=False"):
        keras.saving.load_model(tmp_path / "t.h5")
    assert not keras.saving.load_model(tmp_path / "t.h5", compile=False).compiled


# -- Keras 2 configs (legacy_config) -------------------------------------------------------------
def _old_dense(name, **config):
    """A Dense entry as Keras 2 before 2.13 wrote it: objects without `module`."""
    return {"class_name": "Dense", "config": {
        "name": name, "trainable": True, "units": 2, "activation": "tanh", "use_bias": True,
        "kernel_initializer": {"class_name": "RandomNormal",
                               "config": {"mean": 0.0, "stddev": 0.5, "seed": 3}},
        "bias_initializer": {"class_name": "Zeros", "config": {}},
        "kernel_regularizer": {"class_name": "L2", "config": {"l2": 0.01}},
        "kernel_constraint": {"class_name": "MaxNorm", "config": {"max_value": 2, "axis": 0}},
        **config}}


def test_old_keras2_objects_are_translated():
    config = {"class_name": "Model", "config": {
        "name": "m",
        "layers": [
            {"class_name": "InputLayer", "name": "a", "inbound_nodes": [], "config": {
                "batch_input_shape": [None, 3], "dtype": "float32", "sparse": False,
                "name": "a"}},
            {**_old_dense("d", dtype={"class_name": "Policy",
                                      "config": {"name": "mixed_float16"}}),
             "name": "d", "inbound_nodes": [[["a", 0, 0, {}]]]},
            {"class_name": "BatchNormalization", "name": "bn",
             "config": {"name": "bn", "axis": [1]},
             "inbound_nodes": [[["d", 0, 0, {"training": False}]]]},
            {"class_name": "Add", "config": {"name": "add"}, "name": "add",
             "inbound_nodes": [[["bn", 0, 0, {}], ["d", 0, 0, {}]]]}],
        "input_layers": [["a", 0, 0]], "output_layers": [["add", 0, 0]]}}
    upgraded = legacy_config.upgrade_model_config(config)
    model = keras.saving.deserialize_keras_object(upgraded)
    dense, norm = model.get_layer("d"), model.get_layer("bn")
    assert type(dense.kernel_initializer).__name__ == "RandomNormal"
    assert dense.kernel_initializer.stddev == 0.5
    assert type(dense.kernel_regularizer).__name__ == "L2"
    assert dense.dtype_policy.name == "mixed_float16"
    assert norm.axis == 1
    x = np.random.RandomState(0).randn(4, 3).astype("float32")
    h = np.tanh(x @ dense.get_weights()[0] + dense.get_weights()[1])
    gamma, beta, mean, var = norm.get_weights()
    expected = (h - mean) / np.sqrt(var + norm.epsilon) * gamma + beta + h  # inference mode
    np.testing.assert_allclose(model.predict(x, verbose=0), expected, rtol=2e-3, atol=2e-3)


def test_keras1_sequential_list_config_and_named_tensors_in_kwargs():
    config = {"class_name": "Sequential", "config": [
        {"class_name": "Dense", "config": {"name": "d", "units": 2,
                                           "batch_input_shape": [None, 3]}}]}
    model = keras.saving.deserialize_keras_object(legacy_config.upgrade_model_config(config))
    assert model.layers[0].units == 2 and model.input_shape == (None, 3)
    node = legacy_config._upgrade_node([["q", 0, 0, {"value": ["v", 1, 0], "mask": None}]])
    assert node["args"][0]["config"]["keras_history"] == ["q", 0, 0]
    assert node["kwargs"]["value"]["config"]["keras_history"] == ["v", 1, 0]


def test_keras2_training_config_is_translated():
    model = keras.Sequential([keras.Input(shape=(3,)), layers.Dense(2, name="out")])
    training = {
        "loss": {"class_name": "MeanSquaredError",
                 "config": {"reduction": "auto", "name": "mse", "fn": "mean_squared_error"}},
        "metrics": [[{"class_name": "MeanMetricWrapper",
                      "config": {"name": "out_mae", "dtype": "float32",
                                 "fn": "mean_absolute_error"}},
                     {"class_name": "MeanMetricWrapper",
                      "config": {"name": "my_metric", "fn": "mean_squared_error"}}]],
        "weighted_metrics": None, "loss_weights": None,
        "optimizer_config": {"class_name": "Custom>SGD", "config": {
            "name": "SGD", "lr": 0.5, "decay": 0.0, "momentum": 0.9, "jit_compile": False,
            "is_legacy_optimizer": False}}}
    compile_config = legacy_config.upgrade_training(training, model)
    assert compile_config["metrics"] == ["mae", "mean_squared_error"]
    assert compile_config["loss"]["config"] == {"reduction": "sum_over_batch_size",
                                                "name": "mse"}
    assert compile_config["optimizer"]["config"] == {"name": "SGD", "learning_rate": 0.5,
                                                     "momentum": 0.9}
    wrapped = {"class_name": "LossFunctionWrapper", "config": {"fn": "huber"}}
    assert legacy_config._upgrade_loss(wrapped) == "huber"
    schedule = {"class_name": "ExponentialDecay", "config": {
        "initial_learning_rate": 0.1, "decay_steps": 10, "decay_rate": 0.5}}
    optimizer = legacy_config._upgrade_optimizer(
        {"class_name": "Adam", "config": {"learning_rate": schedule}})
    assert optimizer["config"]["learning_rate"]["module"] == "keras.optimizers.schedules"


@pytest.mark.parametrize("call, message", [
    (lambda: legacy_config.upgrade_model_config([1]), "should be a dict with a 'class_name'"),
    (lambda: legacy_config.upgrade_layer({"config": {}}), "a layer should be a dict"),
    (lambda: legacy_config.upgrade_layer({"class_name": "Dense", "config": [1]}),
     "the config of 'Dense' should be a dict"),
    (lambda: legacy_config._upgrade_node("a"), "an inbound node should be a list"),
    (lambda: legacy_config._upgrade_node([["a", "0", 0]]), r"should list \[layer, node_index"),
    (lambda: legacy_config.upgrade_training({"loss": "mse"}, None),
     "has no `optimizer_config`.*compile=False"),
])
def test_invalid_legacy_configs_are_reported(call, message):
    with pytest.raises(ValueError, match=message):
        call()
