"""`serialize_keras_object` / `deserialize_keras_object`, custom objects, and the error paths
of the functional config and the readers."""

import json
import zipfile

import h5py
import numpy as np
import pytest

import lamina as keras
from lamina import layers
from lamina.saving import functional_config, keras_zip, weights_h5
from lamina.saving.serialization_lib import (
    CustomObjectScope,
    deserialize_keras_object,
    register_keras_serializable,
    serialize_keras_object,
)


class Scale(layers.Layer):
    def __init__(self, factor=2.0, **kwargs):
        super().__init__(**kwargs)
        self.factor = factor

    def call(self, inputs):
        return inputs * self.factor

    def get_config(self):
        return {**super().get_config(), "factor": self.factor}


def test_layer_serialises_in_keras_form():
    config = serialize_keras_object(layers.Dense(3, name="d"))
    assert (config["module"], config["class_name"], config["registered_name"]) == (
        "keras.layers", "Dense", None)
    layer = deserialize_keras_object(config)
    assert isinstance(layer, layers.Dense) and layer.units == 3 and layer.name == "d"


def test_built_layer_carries_build_config():
    layer = layers.Dense(2)
    layer.build((None, 5))
    layer._build_shape = (None, 5)
    config = serialize_keras_object(layer)
    assert config["build_config"] == {"input_shape": [None, 5]}
    rebuilt = deserialize_keras_object(config)
    assert rebuilt.built and rebuilt.get_weights()[0].shape == (5, 2)


def test_values_and_numpy_round_trip():
    value = {"a": [1, 2.5, "x", None, True], "b": np.arange(4, dtype="int32")}
    config = serialize_keras_object(value)
    assert config["b"] == {"class_name": "__numpy__",
                           "config": {"value": [0, 1, 2, 3], "dtype": "int32"}}
    back = deserialize_keras_object(json.loads(json.dumps(config)))
    assert back["a"] == [1, 2.5, "x", None, True]
    np.testing.assert_array_equal(back["b"], np.arange(4))


def test_unregistered_custom_layer_needs_custom_objects():
    config = serialize_keras_object(Scale(3.0, name="s"))
    assert config["registered_name"] == "Custom>Scale"
    with pytest.raises(ValueError, match="neither part of lamina nor a registered"):
        deserialize_keras_object(config)
    layer = deserialize_keras_object(config, custom_objects={"Scale": Scale})
    assert isinstance(layer, Scale) and layer.factor == 3.0
    with CustomObjectScope({"Scale": Scale}):
        assert deserialize_keras_object(config).factor == 3.0


def test_registered_function_round_trip():
    @register_keras_serializable(package="tests_fn")
    def triple(x):
        return 3 * x

    config = serialize_keras_object(triple)
    assert config == {"module": __name__, "class_name": "function",
                      "config": "tests_fn>triple", "registered_name": "tests_fn>triple"}
    assert deserialize_keras_object(config) is triple


def test_builtin_function_serialises_by_keras_name():
    config = serialize_keras_object(keras.activations.relu)
    assert config["class_name"] == "function" and config["config"] == "relu"
    assert deserialize_keras_object(config) is keras.activations.relu


def test_foreign_module_imported_only_with_safe_mode_off():
    config = {"module": "math", "class_name": "function", "config": "sqrt",
              "registered_name": "function"}
    with pytest.raises(ValueError, match="Python module 'math'"):
        deserialize_keras_object(config)
    import math

    assert deserialize_keras_object(config, safe_mode=False) is math.sqrt
    config["config"] = "no_such_function"
    with pytest.raises(ValueError, match="Could not locate 'no_such_function' in module"):
        deserialize_keras_object(config, safe_mode=False)


def test_register_rejects_bad_package_and_configless_class():
    with pytest.raises(ValueError, match="`package` to be a string without '>'"):
        register_keras_serializable(package="a>b")
    with pytest.raises(ValueError, match="must implement `get_config"):
        register_keras_serializable(package="tests")(type("NoConfig", (), {}))


def test_deserialize_rejects_non_json_values_and_non_classes():
    with pytest.raises(TypeError, match="expects a dict, list or JSON value"):
        deserialize_keras_object({1, 2})
    with pytest.raises(TypeError, match="which is not a class"):
        deserialize_keras_object({"class_name": "fn", "config": {}},
                                 custom_objects={"fn": len})


def test_functional_config_errors():
    with pytest.raises(ValueError, match="needs `layers` and `input_layers`"):
        functional_config.rebuild_graph({"layers": []})
    x = keras.Input(shape=(2,), name="x")
    config = keras.Model(x, layers.Dense(1, name="d")(x)).get_config()
    broken = json.loads(json.dumps(config))
    broken["layers"][1]["inbound_nodes"][0]["args"][0]["config"]["keras_history"][0] = "gone"
    with pytest.raises(ValueError, match=r"inputs of layers \['d'\] are never produced"):
        functional_config.rebuild_graph(broken)
    broken = json.loads(json.dumps(config))
    broken["output_layers"] = ["nowhere", 0, 0]
    with pytest.raises(ValueError, match="names an input or output"):
        functional_config.rebuild_graph(broken)


def test_invalid_model_config_is_refused():
    with pytest.raises(ValueError, match="is not a model config"):
        keras_zip.model_from_config(["not", "a", "dict"], None)


def test_keras_file_without_weights_member(tmp_path):
    model = keras.Sequential([keras.Input(shape=(3,)), layers.Dense(2)])
    with zipfile.ZipFile(tmp_path / "m.keras", "w") as archive:
        archive.writestr("config.json", json.dumps(keras_zip.model_config(model)))
    loaded = keras.saving.load_model(tmp_path / "m.keras")  # architecture only
    assert loaded.get_weights()[0].shape == (3, 2)
    with pytest.raises(ValueError, match="has no `model.weights.h5`"):
        model.load_weights(tmp_path / "m.keras")


def test_zip_member_declaring_too_many_bytes(tmp_path, monkeypatch):
    keras.Sequential([keras.Input(shape=(3,)), layers.Dense(2)]).save(tmp_path / "m.keras")
    monkeypatch.setattr(keras_zip, "_MAX_MEMBER_BYTES", 16)
    with pytest.raises(ValueError, match="decompression bomb"):
        keras.saving.load_model(tmp_path / "m.keras")


def _h5(path, build):
    with h5py.File(path, "w") as f:
        build(f)
    return h5py.File(path, "r")


def test_h5_structure_errors(tmp_path):
    model = keras.Sequential([keras.Input(shape=(3,)), layers.Dense(2)])
    f = _h5(tmp_path / "a.h5", lambda f: f.create_dataset("layers", data=[1]))
    with pytest.raises(ValueError, match="expected a group at 'layers/dense'"):
        weights_h5.load_from_h5(model, f)
    f.close()

    def misnamed(f):
        group = f.create_group("layers/dense/vars")
        group.create_dataset("kernel", data=np.zeros((3, 2), "float32"))
        group.create_dataset("bias", data=np.zeros(2, "float32"))

    f = _h5(tmp_path / "b.h5", misnamed)
    with pytest.raises(ValueError, match=r"should be named \['0', '1'\]"):
        weights_h5.load_from_h5(model, f)
    f.close()

    def group_not_dataset(f):
        group = f.create_group("layers/dense/vars")
        group.create_group("0")
        group.create_dataset("1", data=np.zeros(2, "float32"))

    f = _h5(tmp_path / "c.h5", group_not_dataset)
    with pytest.raises(ValueError, match="is not a dataset"):
        weights_h5.load_from_h5(model, f)
    f.close()


def test_h5_external_storage_and_declared_shape_are_refused(tmp_path):
    (tmp_path / "raw.bin").write_bytes(np.zeros(6, "float32").tobytes())

    def external(f):
        f.create_dataset("ext", shape=(3, 2), dtype="float32",
                         external=[(str(tmp_path / "raw.bin"), 0, 24)])
        f.create_dataset("small", data=np.zeros(2, "float32"))

    f = _h5(tmp_path / "e.h5", external)
    with pytest.raises(ValueError, match="stores its data outside the file"):
        weights_h5.read_dataset(f, "ext")
    with pytest.raises(ValueError, match=r"declares shape \(2,\), but the model expects \(3,\)"):
        weights_h5.read_dataset(f, "small", expected_shape=(3,))
    f.close()
