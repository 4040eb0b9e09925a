"""The shared layer contract: every layer passes it with one table row (see STYLE.md)."""

import copy

import numpy as np
import torch

import lamina as keras


def check_layer(cls, init_kwargs, input_shape, expected_output_shape, input_dtype="float32"):
    """Config round trip, symbolic shape == real shape, weights round trip, state_dict, deepcopy,
    one training step that changes trainable weights."""
    layer = cls(**init_kwargs)
    # config round trip gives an equal config
    config = layer.get_config()
    clone = cls.from_config(config)
    assert clone.get_config() == {**config, "name": clone.name}
    # symbolic call infers the output shape the real call produces
    inputs = keras.Input(shape=input_shape[1:], dtype=input_dtype)
    symbolic = layer(inputs)
    assert symbolic.shape == (None, *expected_output_shape[1:])
    x = torch.rand(*input_shape).to(getattr(torch, input_dtype))
    real = layer(x)
    assert tuple(real.shape) == tuple(expected_output_shape)
    # weights round trip through get_weights/set_weights into a fresh layer
    other = cls(**init_kwargs)
    other(x)
    other.set_weights(layer.get_weights())
    for a, b in zip(other.get_weights(), layer.get_weights()):
        np.testing.assert_array_equal(a, b)
    torch.testing.assert_close(other(x), layer(x))
    # state_dict round trip and deepcopy keep values
    third = cls(**init_kwargs)
    third(x)
    third.load_state_dict(layer.state_dict())
    torch.testing.assert_close(third(x), layer(x))
    torch.testing.assert_close(copy.deepcopy(layer)(x), layer(x))
    # one training step moves every trainable weight
    model = keras.Sequential([keras.Input(shape=input_shape[1:], dtype=input_dtype), layer])
    model.compile(optimizer=keras.optimizers.SGD(0.1), loss="mse")
    before = [w.detach().clone() for w in layer.trainable_weights]
    target = np.random.default_rng(0).normal(size=expected_output_shape).astype("float32")
    model.train_on_batch(x.numpy(), target)
    for old, new in zip(before, layer.trainable_weights):
        assert not torch.equal(old, new.detach())
    return layer
