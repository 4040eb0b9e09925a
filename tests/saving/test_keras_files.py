"""Files written by real Keras 3 (see `golden/make_keras_files.py`) load in lamina and
predict Keras' outputs."""

import os

import numpy as np
import pytest

import lamina as keras

GOLDEN = os.path.join(os.path.dirname(__file__), "golden")
NAMES = ["sequential_mlp", "functional_two_io", "cnn", "lstm_masking", "batch_norm", "nested",
         "compiled_adam"]


@pytest.fixture(scope="module")
def golden():
    return dict(np.load(os.path.join(GOLDEN, "predictions.npz")))


def _io(golden, name):
    xs = [golden[f"{name}/x{i}"] for i in range(4) if f"{name}/x{i}" in golden]
    ys = [golden[f"{name}/y{i}"] for i in range(4) if f"{name}/y{i}" in golden]
    return xs, ys


@pytest.mark.parametrize("name", NAMES)
def test_keras_file_predicts_keras_outputs(golden, name):
    model = keras.saving.load_model(os.path.join(GOLDEN, f"{name}.keras"))
    xs, ys = _io(golden, name)
    outputs = model.predict(xs if len(xs) > 1 else xs[0], verbose=0)
    outputs = outputs if isinstance(outputs, list) else [outputs]
    assert len(outputs) == len(ys)
    for output, expected in zip(outputs, ys):
        np.testing.assert_allclose(output, expected, atol=1e-5)


def test_keras_file_restores_compile_and_adam_state():
    model = keras.models.load_model(os.path.join(GOLDEN, "compiled_adam.keras"))
    assert model.compiled
    assert isinstance(model.optimizer, keras.optimizers.Adam)
    assert model.optimizer.learning_rate == pytest.approx(0.01)
    assert int(model.optimizer.iterations) == 8  # 2 epochs of 4 batches in Keras
    kernel = model.layers[0].kernel
    slot = model.optimizer._momentums[0]  # stored in lamina's (units, in) layout
    assert tuple(slot.shape) == tuple(kernel.shape)
    assert float(slot.abs().sum()) > 0  # Keras' momentum, not a fresh zero slot


def test_keras_file_without_compile_is_not_compiled():
    model = keras.saving.load_model(os.path.join(GOLDEN, "compiled_adam.keras"), compile=False)
    assert not model.compiled


def test_keras_functional_structure_survives(golden):
    model = keras.saving.load_model(os.path.join(GOLDEN, "functional_two_io.keras"))
    assert model.input_names == ["a", "b"]
    assert model.output_names == ["out1", "out2"]
    shared = model.get_layer("shared")
    assert len(shared._inbound_nodes) == 2  # one layer, called on both branches


def test_load_weights_from_keras_file_into_lamina_model(golden):
    model = keras.Sequential([keras.Input(shape=(6,)), keras.layers.Dense(8, activation="relu"),
                              keras.layers.Dropout(0.2),
                              keras.layers.Dense(3, activation="softmax")])
    model.load_weights(os.path.join(GOLDEN, "sequential_mlp.keras"))
    xs, ys = _io(golden, "sequential_mlp")
    np.testing.assert_allclose(model.predict(xs[0], verbose=0), ys[0], atol=1e-5)
