"""Write `rnn_extra_golden.npz`: real Keras 3 outputs and gradients for `TimeDistributed` and
`ConvLSTM1D/2D/3D`.

Run with real Keras (never under pytest, never imported by lamina):

    KERAS_BACKEND=jax /tmp/kenv/bin/python tests/layers/rnn/golden/make_rnn_extra_golden.py

Each case `name` stores `name/spec` (JSON: `class`, `kwargs`, and for a wrapper the wrapped
layer's spec under `layer`), the input `name/x`, optionally `name/mask`, `name/init{i}`
(initial states) and `name/out_mask` (Keras' `compute_mask` of the output), the weights set
before the call `name/w{i}` (Keras layout), the outputs `name/y{i}` (the flattened output
structure), and for gradient cases the cotangents `name/r{i}` with the gradients of
`sum(r_i * y_i)` with respect to the input `name/gx` and every trainable weight `name/gw{i}`.
Stateful cases call the layer again on `name/x2`, giving `name/z{i}`.
"""

import json
import os

import jax
import jax.numpy as jnp
import keras
import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
rng = np.random.default_rng(7)
arrays = {}
BATCH, TIME = 2, 4
RAGGED = np.array([[1, 0, 1, 1], [0, 1, 1, 0]], bool)
RIGHT = np.array([[1, 1, 1, 1], [1, 1, 0, 0]], bool)


def normal(*shape, scale=0.5):
    return rng.normal(0.0, scale, size=shape).astype("float32")


def build(spec):
    """The Keras layer described by `spec` (the test builds lamina's from the same spec)."""
    kwargs = dict(spec.get("kwargs", {}))
    if "layer" in spec:
        kwargs["layer"] = build(spec["layer"])
    return getattr(keras.layers, spec["class"])(**kwargs)


def flat(out):
    return keras.tree.flatten(out)


def add_case(name, spec, x_shape, mask=None, init=False, grad=True, stateful=False):
    layer = build(spec)
    x = normal(*x_shape, scale=1.0)
    layer.build(x.shape)
    weights = [normal(*w.shape) for w in layer.weights]
    layer.set_weights(weights)
    call = {}
    if mask is not None:
        call["mask"] = mask
        arrays[f"{name}/mask"] = mask
        out_mask = layer.compute_mask(x, mask)
        if out_mask is not None and not isinstance(out_mask, (list, tuple)):
            arrays[f"{name}/out_mask"] = np.asarray(out_mask)
    if init:
        state_shape = np.shape(flat(layer(x))[0])[-(len(x_shape) - 2):]
        states = [normal(x_shape[0], *state_shape) for _ in range(2)]
        call["initial_state"] = states
        for i, s in enumerate(states):
            arrays[f"{name}/init{i}"] = s
    if stateful:
        layer.reset_state()
    y = flat(layer(x, **call))
    arrays[f"{name}/spec"] = np.array(json.dumps(spec))
    arrays[f"{name}/x"] = x
    for i, w in enumerate(weights):
        arrays[f"{name}/w{i}"] = w
    for i, out in enumerate(y):
        arrays[f"{name}/y{i}"] = np.asarray(out)
    if stateful:
        x2 = normal(*x_shape, scale=1.0)
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


def wrapped(inner_class, **inner_kwargs):
    return {"class": "TimeDistributed", "layer": {"class": inner_class, "kwargs": inner_kwargs}}


# -- TimeDistributed ---------------------------------------------------------------------------
add_case("td_dense", wrapped("Dense", units=3, activation="tanh"), (BATCH, TIME, 5))
add_case("td_dense_rank4", wrapped("Dense", units=2), (BATCH, TIME, 3, 4))
add_case("td_conv2d_mask", wrapped("Conv2D", filters=3, kernel_size=2, padding="same"),
         (BATCH, TIME, 5, 4, 2), mask=RAGGED)
add_case("td_lstm_mask", wrapped("LSTM", units=3, return_sequences=True),
         (BATCH, TIME, 3, 2), mask=np.array([[[1, 1, 0], [1, 0, 0], [1, 1, 1], [0, 1, 1]],
                                             [[1, 1, 1], [1, 1, 0], [0, 0, 1], [1, 0, 1]]], bool))


# -- ConvLSTM ---------------------------------------------------------------------------------
def conv_lstm(cls, **kwargs):
    return {"class": cls, "kwargs": {"filters": 2, "kernel_size": 3, **kwargs}}


SEQ = {"return_sequences": True}
# Keras' JAX `rnn` mis-broadcasts a (batch, time) mask against spatial states in its scan path;
# its unrolled path tiles the mask correctly, so the masked cases unroll (same semantics).
MASKED = {"unroll": True}
X1, X2, X3 = (BATCH, TIME, 6, 3), (BATCH, TIME, 5, 4, 2), (BATCH, 3, 4, 3, 3, 2)
add_case("convlstm1d_last", conv_lstm("ConvLSTM1D"), X1)
add_case("convlstm1d_seq_same", conv_lstm("ConvLSTM1D", padding="same", **SEQ), X1)
add_case("convlstm1d_state", conv_lstm("ConvLSTM1D", return_state=True, **SEQ), X1, init=True)
add_case("convlstm1d_backwards_mask", conv_lstm("ConvLSTM1D", go_backwards=True,
                                                return_state=True, **MASKED, **SEQ), X1,
         mask=RAGGED)
add_case("convlstm1d_strides", conv_lstm("ConvLSTM1D", kernel_size=2, strides=2,
                                         padding="same", **MASKED, **SEQ), X1, mask=RIGHT)
add_case("convlstm1d_dilation", conv_lstm("ConvLSTM1D", dilation_rate=2, use_bias=False,
                                          activation="relu",
                                          recurrent_activation="hard_sigmoid"), X1)
add_case("convlstm1d_stateful", conv_lstm("ConvLSTM1D", stateful=True, **SEQ), X1,
         grad=False, stateful=True)
add_case("convlstm2d_last", conv_lstm("ConvLSTM2D"), X2)
add_case("convlstm2d_seq_same", conv_lstm("ConvLSTM2D", padding="same", **SEQ), X2)
add_case("convlstm2d_even_kernel", conv_lstm("ConvLSTM2D", kernel_size=(2, 3), padding="same",
                                             return_state=True), X2, init=True)
add_case("convlstm2d_mask_backwards", conv_lstm("ConvLSTM2D", padding="same", go_backwards=True,
                                                **MASKED, **SEQ), X2, mask=RAGGED)
add_case("convlstm2d_channels_first", conv_lstm("ConvLSTM2D", data_format="channels_first",
                                                kernel_size=2, **SEQ), (BATCH, TIME, 2, 5, 4))
add_case("convlstm2d_strides", conv_lstm("ConvLSTM2D", strides=(2, 1), padding="same",
                                         return_state=True), X2)
add_case("convlstm3d_same", conv_lstm("ConvLSTM3D", kernel_size=2, padding="same",
                                      return_state=True, **MASKED, **SEQ), X3,
         mask=RIGHT[:, :3])

path = os.path.join(HERE, "rnn_extra_golden.npz")
np.savez_compressed(path, **arrays)
print(f"wrote {path}: {len(arrays)} arrays, {os.path.getsize(path)} bytes")
