"""`ConvLSTM1D/2D/3D` and `ConvLSTMCell`: Keras golden values, per-gate dropout against a
reference step, weight layout, states, masks and errors.

The golden runner `check_extra_golden` (also used by `test_time_distributed.py`) reads
`golden/rnn_extra_golden.npz`, written by `golden/make_rnn_extra_golden.py` with real Keras 3.
"""

import json
import os

import numpy as np
import pytest
import torch
import torch.nn.functional as F

import lamina as keras
from lamina.layers.keras_tensor import flatten
from lamina.layers.rnn import ConvLSTM1D, ConvLSTM2D, ConvLSTM3D
from lamina.layers.rnn.conv_lstm import ConvLSTMCell
from tests.layers.rnn.golden_cases import keras_grad

_PATH = os.path.join(os.path.dirname(__file__), "golden", "rnn_extra_golden.npz")
GOLDEN = np.load(_PATH)
EXTRA_CASES = sorted({key.split("/")[0] for key in GOLDEN.files})


def _get(name, key):
    return torch.from_numpy(GOLDEN[f"{name}/{key}"].copy())


def _many(name, key):
    found, i = [], 0
    while f"{name}/{key}{i}" in GOLDEN.files:
        found.append(_get(name, f"{key}{i}"))
        i += 1
    return found


def _build(spec):
    kwargs = dict(spec.get("kwargs", {}))
    if "layer" in spec:
        kwargs["layer"] = _build(spec["layer"])
    return getattr(keras.layers, spec["class"])(**kwargs)


def check_extra_golden(name):
    """Build case `name`'s layer with Keras' weights; compare outputs, the output mask, the
    second call of a stateful case, and the gradients with Keras'."""
    layer = _build(json.loads(str(GOLDEN[f"{name}/spec"])))
    x = _get(name, "x").requires_grad_()
    layer.build(tuple(x.shape))
    layer.set_weights([w.numpy() for w in _many(name, "w")])
    call = {}
    if f"{name}/mask" in GOLDEN.files:
        call["mask"] = _get(name, "mask")
    if f"{name}/init0" in GOLDEN.files:
        call["initial_state"] = _many(name, "init")
    outputs = flatten(layer(x, **call))
    expected = _many(name, "y")
    assert len(outputs) == len(expected)
    for out, want in zip(outputs, expected):
        torch.testing.assert_close(out, want, atol=1e-5, rtol=1e-5)
    if f"{name}/out_mask" in GOLDEN.files:
        assert torch.equal(outputs[0]._keras_mask, _get(name, "out_mask"))
    if f"{name}/x2" in GOLDEN.files:
        with torch.no_grad():
            second = flatten(layer(_get(name, "x2")))
        for out, want in zip(second, _many(name, "z")):
            torch.testing.assert_close(out, want, atol=1e-5, rtol=1e-5)
    if f"{name}/gx" in GOLDEN.files:
        loss = sum((r * out).sum() for r, out in zip(_many(name, "r"), outputs))
        loss.backward()
        torch.testing.assert_close(x.grad, _get(name, "gx"), atol=1e-5, rtol=1e-5)
        grads = _many(name, "gw")
        assert len(grads) == len(layer.trainable_weights)
        for weight, want in zip(layer.trainable_weights, grads):
            torch.testing.assert_close(keras_grad(weight), want, atol=1e-5, rtol=1e-5)
    return layer


@pytest.mark.parametrize("name", [n for n in EXTRA_CASES if n.startswith("convlstm")])
def test_matches_keras(name):
    check_extra_golden(name)


def _reference_sequence(layer, x, input_masks=None, state_masks=None):
    """Keras' ConvLSTM2D step by step, one convolution per gate (odd kernels, "same"
    padding, channels-last): the oracle for the grouped convolutions of the dropout path."""
    kernel, recurrent, bias = (torch.from_numpy(w) for w in layer.get_weights())
    to_torch = (3, 2, 0, 1)  # (kh, kw, in, out) -> (out, in, kh, kw)
    pad = layer.kernel_size[0] // 2
    batch, time, rows, cols, _ = x.shape
    h = c = torch.zeros(batch, layer.filters, rows, cols)
    for t in range(time):
        step = x[:, t].permute(0, 3, 1, 2)
        z = []
        for g in range(4):
            gate = slice(g * layer.filters, (g + 1) * layer.filters)
            xg = step if input_masks is None else step * input_masks[g].permute(0, 3, 1, 2)
            hg = h if state_masks is None else h * state_masks[g].permute(0, 3, 1, 2)
            z.append(F.conv2d(xg, kernel[..., gate].permute(to_torch), bias[gate], padding=pad)
                     + F.conv2d(hg, recurrent[..., gate].permute(to_torch), padding=pad))
        i, f, g, o = (torch.sigmoid(z[0]), torch.sigmoid(z[1]), torch.tanh(z[2]),
                      torch.sigmoid(z[3]))
        c = f * c + i * g
        h = o * torch.tanh(c)
    return h.permute(0, 2, 3, 1)


def test_without_dropout_matches_the_per_gate_reference():
    layer = ConvLSTM2D(3, 3, padding="same", bias_initializer="random_normal")
    x = torch.randn(2, 4, 5, 6, 2)
    torch.testing.assert_close(layer(x), _reference_sequence(layer, x), atol=1e-5, rtol=1e-5)


def test_dropout_masks_each_gate_separately_with_one_grouped_convolution():
    layer = ConvLSTM2D(3, 3, padding="same", dropout=0.5, recurrent_dropout=0.4)
    x = torch.randn(2, 4, 5, 6, 2)
    layer(x)  # build
    cell = layer.cell
    input_masks = F.dropout(torch.ones(4, 2, 5, 6, 2), 0.5, training=True)
    state_masks = F.dropout(torch.ones(4, 2, 5, 6, 3), 0.4, training=True)
    cell._dropout_mask, cell._recurrent_dropout_mask = input_masks, state_masks
    output = layer(x, training=True)
    expected = _reference_sequence(layer, x, input_masks, state_masks)
    torch.testing.assert_close(output, expected, atol=1e-5, rtol=1e-5)
    assert cell._dropout_mask is None and cell._recurrent_dropout_mask is None  # reset per call
    torch.testing.assert_close(layer(x, training=False), _reference_sequence(layer, x),
                               atol=1e-5, rtol=1e-5)


def test_dropout_channels_first_matches_channels_last():
    last = ConvLSTM1D(2, 3, padding="same", dropout=0.5, recurrent_dropout=0.5)
    first = ConvLSTM1D(2, 3, padding="same", dropout=0.5, recurrent_dropout=0.5,
                       data_format="channels_first", return_sequences=True)
    x = torch.randn(2, 3, 7, 4)
    last(x)
    first(x.transpose(2, 3))
    first.set_weights(last.get_weights())
    last.return_sequences = True
    masks = (F.dropout(torch.ones(4, 2, 7, 4), 0.5, training=True),
             F.dropout(torch.ones(4, 2, 7, 2), 0.5, training=True))
    last.cell._dropout_mask, last.cell._recurrent_dropout_mask = masks
    first.cell._dropout_mask = masks[0].transpose(2, 3)
    first.cell._recurrent_dropout_mask = masks[1].transpose(2, 3)
    torch.testing.assert_close(first(x.transpose(2, 3), training=True).transpose(2, 3),
                               last(x, training=True), atol=1e-5, rtol=1e-5)


def test_weights_are_stored_in_torch_layout_and_shown_in_keras_layout():
    layer = ConvLSTM2D(4, (3, 2))
    layer.build((None, 5, 6, 7, 3))
    assert [w.shape for w in layer.get_weights()] == [(3, 2, 3, 16), (3, 2, 4, 16), (16,)]
    assert tuple(layer.cell.kernel.shape) == (16, 3, 3, 2)
    assert tuple(layer.cell.recurrent_kernel.shape) == (16, 4, 3, 2)
    np.testing.assert_array_equal(layer.get_weights()[0],
                                  layer.cell.kernel.detach().permute(2, 3, 1, 0).numpy())
    assert [w.name for w in layer.weights] == ["kernel", "recurrent_kernel", "bias"]


def test_unit_forget_bias_starts_the_forget_gate_at_one():
    layer = ConvLSTM1D(2, 3)
    layer.build((None, 4, 6, 3))
    np.testing.assert_array_equal(layer.get_weights()[2], [0, 0, 1, 1, 0, 0, 0, 0])
    layer = ConvLSTM1D(2, 3, unit_forget_bias=False, bias_initializer="ones")
    layer.build((None, 4, 6, 3))
    np.testing.assert_array_equal(layer.get_weights()[2], np.ones(8))


def test_3d_shapes_and_initial_state_round_trip():
    layer = ConvLSTM3D(2, 2, strides=(2, 1, 1), padding="same", return_state=True)
    x = torch.randn(2, 3, 5, 4, 3, 1)
    output, h, c = layer(x)
    assert tuple(output.shape) == (2, 3, 4, 3, 2)
    torch.testing.assert_close(output, h)
    assert [tuple(s.shape) for s in layer.get_initial_state(2)] == [(2, 3, 4, 3, 2)] * 2
    # Continuing from the final states equals running the concatenated sequence.
    y = torch.randn(2, 2, 5, 4, 3, 1)
    resumed = layer(y, initial_state=[h, c])[0]
    torch.testing.assert_close(resumed, layer(torch.cat([x, y], 1))[0], atol=1e-5, rtol=1e-5)


def test_stateful_keeps_states_until_reset():
    layer = ConvLSTM1D(2, 3, padding="same", stateful=True)
    x = torch.randn(2, 3, 5, 2)
    first = layer(x)
    torch.testing.assert_close(layer.states[0], first)
    second = layer(x)
    assert not torch.allclose(first, second)
    layer.reset_state()
    torch.testing.assert_close(layer(x), first)


def test_output_mask_follows_return_sequences():
    mask = torch.tensor([[True, True, False], [True, False, False]])
    x = torch.randn(2, 3, 6, 2)
    assert torch.equal(ConvLSTM1D(2, 3, return_sequences=True)(x, mask=mask)._keras_mask, mask)
    assert getattr(ConvLSTM1D(2, 3)(x, mask=mask), "_keras_mask", None) is None
    output, h, _ = ConvLSTM1D(2, 3, return_sequences=True, return_state=True)(x, mask=mask)
    assert torch.equal(output._keras_mask, mask)
    assert getattr(h, "_keras_mask", None) is None


def test_in_a_model_with_compile_and_fit():
    model = keras.Sequential([keras.Input((3, 6, 6, 1)), ConvLSTM2D(2, 3, padding="same"),
                              keras.layers.Flatten(), keras.layers.Dense(1)])
    model.compile(optimizer="adam", loss="mse")
    x, y = np.random.default_rng(0).normal(size=(4, 3, 6, 6, 1)), np.zeros((4, 1))
    history = model.fit(x.astype("float32"), y, epochs=2, verbose=0)
    assert len(history.history["loss"]) == 2
    assert model.output_shape == (None, 1)


def test_config_round_trip_keeps_keras_names():
    layer = ConvLSTM2D(3, (2, 3), strides=2, padding="SAME", data_format="channels_first",
                       dropout=0.1, go_backwards=True, unroll=True)
    config = layer.get_config()
    assert config["kernel_size"] == (2, 3) and config["strides"] == (2, 2)
    assert config["padding"] == "same" and "rank" not in config and "cell" not in config
    clone = ConvLSTM2D.from_config(config)
    assert clone.get_config() == {**config, "name": clone.name}
    assert ConvLSTMCell.from_config(layer.cell.get_config()).get_config()["rank"] == 2


@pytest.mark.parametrize("kwargs, match", [
    ({"filters": 0}, "`ConvLSTM2D` expects `filters` to be a positive integer"),
    ({"kernel_size": (3, 0)}, "`ConvLSTM2D` expects `kernel_size` to be a positive integer"),
    ({"kernel_size": (3, 3, 3)}, "tuple of 2 positive integers"),
    ({"padding": "causal"}, "`ConvLSTM2D` expects `padding` to be one of 'valid', 'same'"),
    ({"data_format": "nhwc"}, "expects `data_format` to be one of"),
    ({"strides": 2, "dilation_rate": 2}, "does not support `strides > 1` together with"),
    ({"dropout": 1.5}, "expects `dropout` to be a float in"),
])
def test_rejects_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        ConvLSTM2D(**{"filters": 2, "kernel_size": 3, **kwargs})


def test_cell_rejects_an_unsupported_rank():
    with pytest.raises(ValueError, match="`ConvLSTMCell` expects `rank` to be one of 1, 2, 3"):
        ConvLSTMCell(4, 2, 3)


def test_rejects_wrong_rank():
    with pytest.raises(ValueError, match=r'"conv_lstm2d" is incompatible with the layer: '
                                         r"expected ndim=5, found ndim=4"):
        ConvLSTM2D(2, 3)(torch.ones(2, 3, 4, 4))


def test_rejects_a_kernel_larger_than_the_input_with_valid_padding():
    with pytest.raises(ValueError, match=r"`ConvLSTM2D` cannot apply a kernel of size \(5, 5\)"):
        ConvLSTM2D(2, 5)(torch.ones(2, 3, 4, 6, 1))


def test_rejects_unknown_spatial_dimensions():
    with pytest.raises(ValueError, match="`ConvLSTM1D` needs the channels and the spatial "
                                         r"dimensions .* Received: a step of shape \(None, "
                                         "None, 2\\)"):
        ConvLSTM1D(2, 3)(keras.Input((4, None, 2)))


def test_rejects_initial_states_of_the_wrong_shape():
    layer = ConvLSTM1D(2, 3)
    x = torch.ones(2, 3, 6, 1)
    with pytest.raises(ValueError, match=r"`ConvLSTM1D` expects `initial_state` to be 2 tensors "
                                         r"`\[h, c\]` of shape \(2, 4, 2\). Received: "
                                         r"initial_state with shape\(s\) \[\(2, 6, 2\)"):
        layer(x, initial_state=[torch.zeros(2, 6, 2), torch.zeros(2, 6, 2)])


@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
def test_1d_dropout_draws_one_mask_per_gate_of_the_step_shape(data_format, monkeypatch):
    layer = ConvLSTM1D(2, 3, dropout=0.5, recurrent_dropout=0.5, data_format=data_format)
    x = torch.randn(2, 3, 6, 4)
    shapes = []
    original = ConvLSTMCell._create_dropout_mask

    def spy(self, step_input, rate):
        mask = original(self, step_input, rate)
        shapes.append(tuple(mask.shape))
        return mask

    monkeypatch.setattr(ConvLSTMCell, "_create_dropout_mask", spy)
    layer(x, training=True)
    state = (2, 4, 2) if data_format == "channels_last" else (2, 2, 2)
    assert shapes == [(4, 2, 6, 4), (4, *state)]
