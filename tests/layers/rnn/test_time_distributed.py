"""`TimeDistributed`: Keras golden values, the per-step oracle, masks, models, config, errors."""

import numpy as np
import pytest
import torch

import lamina as keras
from lamina import registry
from lamina.layers.rnn import TimeDistributed
from tests.layers.rnn.test_conv_lstm import EXTRA_CASES, check_extra_golden


@pytest.mark.parametrize("name", [n for n in EXTRA_CASES if n.startswith("td_")])
def test_matches_keras(name):
    check_extra_golden(name)


def test_equals_the_inner_layer_applied_step_by_step():
    inner = keras.layers.Conv2D(3, 2, strides=2, padding="same", activation="relu")
    layer = TimeDistributed(inner)
    x = torch.randn(2, 4, 5, 6, 2)
    expected = torch.stack([inner(x[:, t]) for t in range(4)], 1)
    torch.testing.assert_close(layer(x), expected)
    assert tuple(layer(x).shape) == (2, 4, 3, 3, 3)


def test_weights_are_the_inner_layers():
    inner = keras.layers.Dense(3)
    layer = TimeDistributed(inner)
    layer.build((None, 4, 5))
    assert [w.name for w in layer.weights] == ["kernel", "bias"]
    assert all(a is b for a, b in zip(layer.weights, inner.weights))
    assert inner.built and layer.count_params() == 18
    layer.set_weights([np.ones((5, 3)), np.arange(3.0)])
    np.testing.assert_array_equal(inner.get_weights()[1], [0, 1, 2])


def test_passes_training_to_the_inner_layer():
    layer = TimeDistributed(keras.layers.Dropout(0.5))
    x = torch.ones(2, 3, 8)
    torch.testing.assert_close(layer(x, training=False), x)
    dropped = layer(x, training=True)
    assert set(dropped.unique().tolist()) <= {0.0, 2.0} and (dropped == 0).any()


def test_passes_the_folded_mask_to_the_inner_layer_and_keeps_it_on_the_output():
    inner = keras.layers.LSTM(2, return_sequences=True)
    layer = TimeDistributed(inner)
    x = torch.randn(2, 3, 4, 5)
    mask = torch.rand(2, 3, 4) > 0.3
    output = layer(x, mask=mask)
    expected = inner(x.flatten(0, 1), mask=mask.flatten(0, 1)).unflatten(0, (2, 3))
    torch.testing.assert_close(output, expected)
    assert torch.equal(output._keras_mask, mask)


def test_mask_flows_through_a_functional_model():
    inputs = keras.Input((3, 4))
    masked = keras.layers.Masking(0.0)(inputs)
    outputs = TimeDistributed(keras.layers.Dense(2))(masked)
    x = torch.randn(2, 3, 4)
    x[0, 1] = 0.0
    result = keras.Model(inputs, outputs)(x)
    assert torch.equal(result._keras_mask, torch.tensor([[True, False, True], [True] * 3]))


def test_in_sequential_and_functional_models():
    model = keras.Sequential([
        keras.Input((4, 6, 6, 1)),
        TimeDistributed(keras.layers.Conv2D(2, 3)),
        TimeDistributed(keras.layers.Flatten()),
        keras.layers.LSTM(3),
        keras.layers.Dense(1),
    ])
    assert model.layers[0].output.shape == (None, 4, 4, 4, 2)
    assert model.layers[1].output.shape == (None, 4, 32)
    model.compile(optimizer="adam", loss="mse")
    x = np.random.default_rng(0).normal(size=(4, 4, 6, 6, 1)).astype("float32")
    history = model.fit(x, np.zeros((4, 1)), epochs=2, verbose=0)
    assert len(history.history["loss"]) == 2
    inputs = keras.Input((5, 3))
    functional = keras.Model(inputs, TimeDistributed(keras.layers.Dense(4))(inputs))
    assert functional.output_shape == (None, 5, 4)


def test_nested_time_distributed():
    inner = keras.layers.Dense(2)
    layer = TimeDistributed(TimeDistributed(inner))
    x = torch.randn(2, 3, 4, 5)
    torch.testing.assert_close(layer(x), inner(x))


def test_config_round_trip_rebuilds_the_inner_layer():
    layer = TimeDistributed(keras.layers.Dense(3, activation="relu", name="inner"), name="td")
    config = layer.get_config()
    assert config["layer"]["class_name"] == "Dense"
    assert config["layer"]["config"]["units"] == 3
    clone = registry.deserialize(registry.serialize(layer), "keras.layers", "layer")
    assert isinstance(clone, TimeDistributed) and clone.layer is not layer.layer
    assert clone.get_config() == config


def test_rejects_an_inner_object_that_is_not_a_layer():
    with pytest.raises(TypeError, match=r"`TimeDistributed` expects `layer` to be a "
                                        r"`keras.layers.Layer` instance. Received: layer=Linear"):
        TimeDistributed(torch.nn.Linear(2, 3))


def test_rejects_inputs_without_a_time_axis():
    with pytest.raises(ValueError, match=r'"time_distributed" is incompatible with the layer: '
                                         r"expected min_ndim=3 \(batch, time, ...\), found "
                                         r"ndim=2. Full shape received: \(2, 5\)"):
        TimeDistributed(keras.layers.Dense(3))(torch.ones(2, 5))


@pytest.mark.parametrize("mask", [torch.ones(2, dtype=torch.bool),
                                  torch.ones(2, 4, dtype=torch.bool)])
def test_rejects_a_mask_that_does_not_match_batch_and_time(mask):
    with pytest.raises(ValueError, match=r"`TimeDistributed` expects `mask` to start with the "
                                         r"\(batch, time\) dimensions \(2, 3\)"):
        TimeDistributed(keras.layers.Dense(3))(torch.ones(2, 3, 5), mask=mask)
