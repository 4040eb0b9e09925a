"""The shared layer contract: every layer passes it with one table row (see STYLE.md).

A row is `(cls, init_kwargs, input_shape, expected_output_shape)`, with an optional fifth item,
a dict of options: `input_dtype` (default `"float32"`), `trains` (default `True`: the training
step must move every trainable weight), `spread` (default `False`: pass a list of inputs as
separate positional arguments, as `MultiHeadAttention(query, value)` takes them). `input_shape`
is a list of shapes for layers that take several inputs (merging layers, attention).
"""

import copy
import json
import os
import tempfile

import numpy as np
import torch

import lamina as keras


def _inputs(input_shape, dtype, seed):
    generator = torch.Generator().manual_seed(seed)
    shapes = input_shape if isinstance(input_shape, list) else [input_shape]
    tensors = []
    for shape in shapes:
        if dtype.startswith("int"):
            tensors.append(torch.randint(0, 5, shape, generator=generator).to(getattr(torch, dtype)))
        else:
            tensors.append(torch.rand(*shape, generator=generator).to(getattr(torch, dtype)))
    return tensors if isinstance(input_shape, list) else tensors[0]


def _symbolic(input_shape, dtype):
    if isinstance(input_shape, list):
        return [keras.Input(shape=s[1:], dtype=dtype) for s in input_shape]
    return keras.Input(shape=input_shape[1:], dtype=dtype)


def check_layer(cls, init_kwargs, input_shape, expected_output_shape, options=None):
    """Check one layer against the contract; returns the built layer.

    1. `get_config` -> `from_config` gives an equal config.
    2. A symbolic call infers the shape that the real call produces.
    3. Weights round trip through `get_weights`/`set_weights` into a fresh layer, and through
       `state_dict`/`load_state_dict` and `copy.deepcopy`; each copy computes the same outputs.
    4. `torch.compile(layer, fullgraph=True)` traces without graph breaks and agrees.
    5. The layer's row in `Model.summary()` shows its name, class and parameter count.
    6. One training step (SGD, MSE) moves every trainable weight.
    7. The trained model round-trips through a `.keras` file: the loaded model has the same
       config and weights and predicts the same.
    """
    options = options or {}
    dtype = options.get("input_dtype", "float32")
    spread = options.get("spread", False)

    def call(target, inputs):
        return target(*inputs) if spread else target(inputs)

    layer = cls(**init_kwargs)
    config = layer.get_config()
    clone = cls.from_config(config)
    assert clone.get_config() == {**config, "name": clone.name}

    symbolic = call(layer, _symbolic(input_shape, dtype))
    assert symbolic.shape == (None, *expected_output_shape[1:])
    x = _inputs(input_shape, dtype, seed=0)
    with torch.no_grad():
        real = call(layer, x)
    assert tuple(real.shape) == tuple(expected_output_shape)

    other = cls(**init_kwargs)
    call(other, x)
    other.set_weights(layer.get_weights())
    assert [w.shape for w in layer.get_weights()] == [w.shape for w in other.get_weights()]
    for a, b in zip(other.get_weights(), layer.get_weights()):
        np.testing.assert_array_equal(a, b)
    torch.testing.assert_close(call(other, x), real)
    third = cls(**init_kwargs)
    call(third, x)
    third.load_state_dict(layer.state_dict())
    torch.testing.assert_close(call(third, x), real)
    torch.testing.assert_close(call(copy.deepcopy(layer), x), real)

    torch._dynamo.reset()
    compiled = torch.compile(layer, backend="aot_eager", fullgraph=True)
    torch.testing.assert_close(call(compiled, x), real, rtol=1e-5, atol=1e-5)

    inputs = _symbolic(input_shape, dtype)
    model = keras.Model(inputs, call(layer, inputs))
    lines = []
    model.summary(print_fn=lines.append, line_length=200)
    row = next(line for line in "\n".join(lines).splitlines() if f"{layer.name} (" in line)
    assert f"({cls.__name__})" in row
    assert f" {layer.count_params():,} " in row
    assert layer.count_params() == sum(int(np.prod(w.shape)) for w in layer.get_weights())

    model.compile(optimizer=keras.optimizers.SGD(0.1), loss="mse")
    before = [w.detach().clone() for w in layer.trainable_weights]
    target = np.random.default_rng(0).normal(size=expected_output_shape).astype("float32")
    numpy_x = [t.numpy() for t in x] if isinstance(x, list) else x.numpy()
    model.train_on_batch(numpy_x, target)
    if options.get("trains", True):
        for old, new in zip(before, layer.trainable_weights):
            assert not torch.equal(old, new.detach())

    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "model.keras")
        model.save(path)
        loaded = keras.saving.load_model(path)
    assert type(loaded.layers[-1]) is cls
    as_json = lambda config: json.loads(json.dumps(config))  # tuples become lists
    assert as_json(loaded.layers[-1].get_config()) == as_json(layer.get_config())
    for a, b in zip(loaded.get_weights(), model.get_weights()):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_allclose(loaded.predict(numpy_x, verbose=0), model.predict(numpy_x, verbose=0),
                               rtol=1e-6, atol=1e-6)
    return layer
