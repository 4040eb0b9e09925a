"""Write `rnn_golden.npz`: real Keras 3 outputs and gradients for lamina's recurrent layers.

Run with real Keras (never under pytest, never imported by lamina):

    KERAS_BACKEND=jax /tmp/kenv/bin/python tests/layers/rnn/golden/make_rnn_golden.py

Each case `name` stores `name/spec` (JSON: how to build the layer, see `build`, and the call
arguments), the input `name/x`, optionally `name/mask` and `name/init{i}` (initial states),
the weights set before the call `name/w{i}` (Keras layout), the outputs `name/y{i}` (the
flattened output structure), and for gradient cases the cotangents `name/r{i}` with the
gradients of `sum(r_i * y_i)` with respect to the input `name/gx` and to every weight
`name/gw{i}`. Stateful cases call the layer a second time on `name/x2`, giving `name/z{i}`.
"""

import json
import os

import jax
import jax.numpy as jnp
import keras
import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
rng = np.random.default_rng(2024)
arrays = {}
BATCH, TIME, FEATURES, UNITS = 3, 5, 4, 3
RIGHT = np.array([[1, 1, 1, 1, 1], [1, 1, 1, 0, 0], [1, 0, 0, 0, 0]], bool)
RAGGED = np.array([[1, 0, 1, 1, 0], [0, 0, 1, 1, 1], [1, 1, 1, 1, 1]], bool)
EMPTY_ROW = np.array([[1, 1, 0, 0, 0], [0, 0, 0, 0, 0], [1, 1, 1, 1, 1]], bool)


def normal(*shape, scale=0.5):
    return rng.normal(0.0, scale, size=shape).astype("float32")


def build(spec):
    """The Keras layer described by `spec` (the test builds lamina's from the same spec)."""
    cls = getattr(keras.layers, spec["class"])
    kwargs = dict(spec.get("kwargs", {}))
    if "layer" in spec:
        kwargs["layer"] = build(spec["layer"])
    if "backward_layer" in spec:
        kwargs["backward_layer"] = build(spec["backward_layer"])
    if "cells" in spec:
        return cls([build(c) for c in spec["cells"]], **kwargs)
    if "cell" in spec:
        return cls(build(spec["cell"]), **kwargs)
    return cls(**kwargs)


def flat(out):
    return keras.tree.flatten(out)


def add_case(name, spec, mask=None, init=False, grad=False, stateful=False, batch=BATCH):
    layer = build(spec)
    x = normal(batch, TIME, FEATURES, scale=1.0)
    layer.build(x.shape)
    weights = [normal(*w.shape) for w in layer.weights]
    layer.set_weights(weights)
    call = {}
    if mask is not None:
        call["mask"] = mask
        arrays[f"{name}/mask"] = mask
    if init:
        sizes = _state_sizes(layer)
        states = [normal(batch, s) for s in sizes]
        call["initial_state"] = states
        for i, s in enumerate(states):
            arrays[f"{name}/init{i}"] = s
    y = flat(layer(x, **call))
    arrays[f"{name}/spec"] = np.array(json.dumps(spec))
    arrays[f"{name}/x"] = x
    for i, w in enumerate(weights):
        arrays[f"{name}/w{i}"] = w
    for i, out in enumerate(y):
        arrays[f"{name}/y{i}"] = np.asarray(out)
    if stateful:
        x2 = normal(batch, TIME, FEATURES, scale=1.0)
        arrays[f"{name}/x2"] = x2
        for i, out in enumerate(flat(layer(x2))):
            arrays[f"{name}/z{i}"] = np.asarray(out)
    if grad:
        cotangents = [normal(*np.shape(out), scale=1.0) for out in y]
        trainable = [v.value for v in layer.trainable_variables]
        non_trainable = [v.value for v in layer.non_trainable_variables]

        def loss(trainable, x):
            out, _ = layer.stateless_call(trainable, non_trainable, x, **call)
            return sum(jnp.sum(r * o) for r, o in zip(cotangents, flat(out)))

        grads, gx = jax.grad(loss, argnums=(0, 1))(trainable, jnp.asarray(x))
        arrays[f"{name}/gx"] = np.asarray(gx)
        for i, r in enumerate(cotangents):
            arrays[f"{name}/r{i}"] = r
        for i, g in enumerate(grads):
            arrays[f"{name}/gw{i}"] = np.asarray(g)


def _state_sizes(layer):
    inner = layer.forward_layer if hasattr(layer, "forward_layer") else layer
    sizes = inner.state_size if isinstance(inner.state_size, list) else [inner.state_size]
    sizes = [s for s in sizes for s in (s if isinstance(s, list) else [s])]
    return sizes * (2 if hasattr(layer, "forward_layer") else 1)


def rnn(cls, **kwargs):
    return {"class": cls, "kwargs": {"units": UNITS, **kwargs}}


SEQ = {"return_sequences": True}
for cls in ("SimpleRNN", "LSTM", "GRU"):
    low = cls.lower()
    add_case(f"{low}_last", rnn(cls), grad=True)
    add_case(f"{low}_seq", rnn(cls, **SEQ), grad=True)
    add_case(f"{low}_backwards", rnn(cls, go_backwards=True, **SEQ), grad=True)
    add_case(f"{low}_state", rnn(cls, return_state=True, **SEQ), init=True, grad=True)
    add_case(f"{low}_right_mask", rnn(cls, return_state=True, **SEQ), mask=RIGHT, grad=True)
    add_case(f"{low}_right_mask_back", rnn(cls, return_state=True, go_backwards=True, **SEQ),
             mask=RIGHT, init=True, grad=True)
    add_case(f"{low}_ragged_mask", rnn(cls, return_state=True, **SEQ), mask=RAGGED, grad=True)
    add_case(f"{low}_empty_row", rnn(cls, return_state=True, **SEQ), mask=EMPTY_ROW, init=True)
    add_case(f"{low}_stateful", rnn(cls, stateful=True, return_state=True, **SEQ),
             stateful=True, batch=2)
    add_case(f"{low}_no_bias", rnn(cls, use_bias=False, **SEQ), grad=True)
    add_case(f"{low}_unroll", rnn(cls, unroll=True, **SEQ), mask=RAGGED)
add_case("simple_rnn_relu", rnn("SimpleRNN", activation="relu", **SEQ), grad=True)
add_case("lstm_activations", rnn("LSTM", activation="relu", recurrent_activation="hard_sigmoid",
                                 **SEQ), grad=True)
add_case("gru_reset_before", rnn("GRU", reset_after=False, return_state=True, **SEQ),
         grad=True)
add_case("gru_reset_before_mask", rnn("GRU", reset_after=False, **SEQ), mask=RIGHT)
add_case("gru_activations", rnn("GRU", activation="softsign", recurrent_activation="tanh"))

for mode in ("concat", "sum", "mul", "ave", None):
    add_case(f"bidirectional_{mode}", {"class": "Bidirectional", "kwargs": {"merge_mode": mode},
                                       "layer": rnn("LSTM", **SEQ)}, grad=True)
add_case("bidirectional_gru_mask", {"class": "Bidirectional", "layer": rnn("GRU", **SEQ)},
         mask=RIGHT, grad=True)
add_case("bidirectional_last_state", {"class": "Bidirectional", "kwargs": {"merge_mode": "sum"},
                                      "layer": rnn("LSTM", return_state=True)},
         mask=RAGGED, init=True, grad=True)
add_case("bidirectional_backward_layer", {
    "class": "Bidirectional", "layer": rnn("SimpleRNN", **SEQ),
    "backward_layer": rnn("GRU", go_backwards=True, **SEQ)}, grad=True)

add_case("rnn_stacked", {"class": "RNN", "kwargs": {"return_sequences": True},
                         "cells": [{"class": "LSTMCell", "kwargs": {"units": 3}},
                                   {"class": "GRUCell", "kwargs": {"units": 2}}]},
         mask=RAGGED, grad=True)
add_case("rnn_stacked_cells", {"class": "RNN", "kwargs": {"return_state": True},
                               "cell": {"class": "StackedRNNCells",
                                        "cells": [{"class": "SimpleRNNCell",
                                                   "kwargs": {"units": 2}},
                                                  {"class": "LSTMCell", "kwargs": {"units": 3}}]}},
         grad=True)
add_case("rnn_gru_cell", {"class": "RNN", "kwargs": {"go_backwards": True},
                          "cell": {"class": "GRUCell", "kwargs": {"units": 3,
                                                                  "reset_after": False}}},
         grad=True)

path = os.path.join(HERE, "rnn_golden.npz")
np.savez_compressed(path, **arrays)
print(f"wrote {path}: {len(arrays)} arrays, {os.path.getsize(path)} bytes")
