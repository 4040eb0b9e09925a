"""The fast path (`fused.py`) against the step loop: same outputs, same gradients; and which
calls take it."""

import itertools

import pytest
import torch

import lamina.layers.rnn.rnn as rnn_module
from lamina.layers.rnn import GRU, LSTM, SimpleRNN

MASKS = {
    "none": None,
    "right_padded": torch.tensor([[1, 1, 1, 1, 1], [1, 1, 0, 0, 0], [0, 0, 0, 0, 0]]).bool(),
    "ragged": torch.tensor([[0, 0, 1, 1, 1], [1, 1, 1, 1, 1], [1, 0, 1, 0, 1]]).bool(),
}
LAYERS = [(LSTM, {}), (GRU, {}), (SimpleRNN, {}), (SimpleRNN, {"activation": "relu"}),
          (LSTM, {"use_bias": False})]


def _pair(cls, kwargs, x):
    fused = cls(4, return_sequences=True, return_state=True, **kwargs)
    loop = cls(4, return_sequences=True, return_state=True, unroll=True, **kwargs)
    fused.build(tuple(x.shape))
    loop.build(tuple(x.shape))
    loop.set_weights(fused.get_weights())
    assert fused._fused_kind() is not None and loop._fused_kind() is None
    return fused, loop


@pytest.mark.parametrize("cls, kwargs", LAYERS, ids=lambda v: getattr(v, "__name__", str(v)))
@pytest.mark.parametrize("go_backwards, zero_output, mask", [
    *itertools.product([False, True], [False], MASKS),
    *itertools.product([False, True], [True], ["right_padded"]),
])
def test_fused_matches_step_loop(cls, kwargs, go_backwards, zero_output, mask):
    x = torch.randn(3, 5, 2)
    fused, loop = _pair(cls, {"go_backwards": go_backwards,
                              "zero_output_for_mask": zero_output, **kwargs}, x)
    states = [torch.randn(3, 4) for _ in fused.state_size]
    results = []
    for layer in (fused, loop):
        inputs = x.clone().requires_grad_()
        outputs = layer(inputs, initial_state=states, mask=MASKS[mask])
        sum((o * torch.linspace(-1, 1, o.shape[-1])).sum() for o in outputs).backward()
        results.append((outputs, [inputs.grad] + [w.grad for w in layer.trainable_weights]))
    (fused_out, fused_grads), (loop_out, loop_grads) = results
    for a, b in zip(fused_out, loop_out):
        torch.testing.assert_close(a, b, atol=1e-5, rtol=1e-5)
    for a, b in zip(fused_grads, loop_grads):
        torch.testing.assert_close(a, b, atol=1e-5, rtol=1e-5)


def _spy(monkeypatch):
    calls = []
    original = rnn_module.fused_rnn

    def spy(*args, **kwargs):
        result = original(*args, **kwargs)
        calls.append(result is not None)
        return result

    monkeypatch.setattr(rnn_module, "fused_rnn", spy)
    return calls


def test_which_calls_take_the_fast_path(monkeypatch):
    calls = _spy(monkeypatch)
    x = torch.randn(3, 5, 2)
    GRU(3)(x)
    GRU(3)(x, mask=MASKS["right_padded"])
    GRU(3)(x, mask=MASKS["ragged"])  # tried, then the step loop
    GRU(3, reset_after=False)(x)
    GRU(3, recurrent_dropout=0.2)(x)
    LSTM(3, use_cudnn=False)(x)
    LSTM(3, recurrent_activation="hard_sigmoid")(x)
    SimpleRNN(3, unroll=True)(x)
    assert calls == [True, True, False]


def test_input_dropout_uses_the_same_mask_on_both_paths():
    x = torch.randn(3, 5, 2)
    fused, loop = _pair(LSTM, {"dropout": 0.5}, x)
    mask = torch.tensor([[2.0, 0.0], [0.0, 2.0], [2.0, 2.0]])
    fused.cell._dropout_mask = loop.cell._dropout_mask = mask  # what the call would draw
    fused_out, loop_out = fused(x, training=True), loop(x, training=True)
    expected = fused(x * mask[:, None])  # the mask is one per sequence, on every step
    for a, b, c in zip(fused_out, loop_out, expected):
        torch.testing.assert_close(a, b)
        torch.testing.assert_close(a, c)


def test_compiled_layers_match_eager():
    x = torch.randn(2, 4, 3)
    for layer in (GRU(3, return_sequences=True), LSTM(3, return_sequences=True)):
        expected = layer(x)
        torch._dynamo.reset()
        compiled = torch.compile(layer, backend="aot_eager", fullgraph=True)
        torch.testing.assert_close(compiled(x), expected, atol=1e-6, rtol=1e-5)
