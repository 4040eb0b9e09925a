"""`RNN`: user cells, states (initial, returned, stateful), masks, dropout, errors."""

import numpy as np
import pytest
import torch

import lamina as keras
from lamina.layers.layer import Layer
from lamina.layers.rnn import (
    GRU,
    LSTM,
    RNN,
    GRUCell,
    LSTMCell,
    SimpleRNN,
    SimpleRNNCell,
)
from tests.layers.rnn.golden_cases import PATHS, cases, check_golden


@PATHS
@pytest.mark.parametrize("name", cases("rnn_"))
def test_matches_keras(name, path, monkeypatch):
    check_golden(name, path, monkeypatch)


class MinimalRNNCell(Layer):
    """Keras' documentation example: `h = x @ kernel + h @ recurrent_kernel`."""

    def __init__(self, units, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.state_size = units

    def build(self, input_shape):
        self.kernel = self.add_weight(shape=(input_shape[-1], self.units), name="kernel")
        self.recurrent_kernel = self.add_weight(shape=(self.units, self.units),
                                                name="recurrent_kernel")

    def call(self, inputs, states):
        output = inputs @ self.kernel + states[0] @ self.recurrent_kernel
        return output, [output]


def test_user_cell_runs_through_the_step_loop():
    layer = RNN(MinimalRNNCell(3), return_sequences=True, go_backwards=True)
    x = torch.randn(2, 4, 5)
    outputs = layer(x)
    kernel, recurrent = (w.detach() for w in layer.weights)
    h = torch.zeros(2, 3)
    for i, t in enumerate(range(3, -1, -1)):  # processing order: last step first
        h = x[:, t] @ kernel + h @ recurrent
        torch.testing.assert_close(outputs[:, i], h)


def test_list_of_cells_is_stacked():
    layer = RNN([SimpleRNNCell(4), MinimalRNNCell(2)], return_state=True)
    output, first, second = layer(torch.randn(3, 5, 6))
    assert tuple(output.shape) == (3, 2)
    assert [tuple(s.shape) for s in first] == [(3, 4)] and torch.equal(second[0], output)


def test_initial_state_and_returned_states():
    layer = LSTM(3, return_state=True)
    x, h0, c0 = torch.randn(2, 4, 5), torch.randn(2, 3), torch.randn(2, 3)
    output, h, c = layer(x, initial_state=[h0, c0])
    torch.testing.assert_close(output, h)
    reference = RNN(layer.cell, return_state=True, unroll=True)  # same cell, step loop
    for got, want in zip((output, h, c), reference(x, initial_state=[h0, c0])):
        torch.testing.assert_close(got, want)
    assert not torch.allclose(layer(x)[0], output)  # zeros by default: another result


def test_symbolic_initial_state_in_a_functional_model():
    sequence, state = keras.Input(shape=(4, 5)), keras.Input(shape=(3,))
    output = GRU(3)(sequence, initial_state=[state])
    model = keras.Model([sequence, state], output)
    x, h0 = torch.randn(2, 4, 5), torch.randn(2, 3)
    gru = model.layers[-1]
    torch.testing.assert_close(model([x, h0]), gru(x, initial_state=h0))


def test_masked_steps_keep_the_state_and_repeat_the_output():
    layer = SimpleRNN(3, return_sequences=True, return_state=True)
    x = torch.randn(2, 4, 5)
    mask = torch.tensor([[True, False, True, False], [True, True, True, True]])
    outputs, state = layer(x, mask=mask)
    reference = layer(x[:1, [0, 2]], mask=None)[0]  # row 0 without its masked steps
    torch.testing.assert_close(outputs[0, 0], reference[0, 0])
    torch.testing.assert_close(outputs[0, 1], reference[0, 0])  # repeated
    torch.testing.assert_close(outputs[0, 2], reference[0, 1])
    torch.testing.assert_close(state[0], reference[0, 1])


def test_zero_output_for_mask():
    layer = GRU(2, return_sequences=True, zero_output_for_mask=True)
    mask = torch.tensor([[True, True, False]])
    outputs = layer(torch.randn(1, 3, 4), mask=mask)
    assert torch.equal(outputs[0, 2], torch.zeros(2)) and outputs[0, 1].abs().sum() > 0


def test_compute_mask():
    mask = torch.ones(2, 3, dtype=torch.bool)
    assert LSTM(2, return_sequences=True).compute_mask(None, mask) is mask
    assert LSTM(2).compute_mask(None, [mask]) is None
    assert LSTM(2, return_sequences=True, return_state=True).compute_mask(None, mask) == [
        mask, None, None]


def test_stateful_layer_continues_from_its_last_states():
    whole = LSTM(3, return_sequences=True)
    x = torch.randn(2, 6, 4)
    expected = whole(x)
    layer = LSTM(3, return_sequences=True, stateful=True)
    layer.build((2, 6, 4))
    layer.set_weights(whole.get_weights())
    first, second = layer(x[:, :3]), layer(x[:, 3:])
    torch.testing.assert_close(torch.cat([first, second], 1), expected)
    torch.testing.assert_close(layer.states[0], expected[:, -1])
    layer.reset_states()
    assert all(torch.equal(s, torch.zeros(2, 3)) for s in layer.states)
    torch.testing.assert_close(layer(x[:, :3]), first)


def test_stateful_states_do_not_carry_gradients_between_batches():
    layer = SimpleRNN(2, stateful=True)
    x = torch.randn(2, 3, 4)
    layer(x).sum().backward()
    layer(x).sum().backward()  # would fail if the kept states held the first graph
    assert layer.states[0].grad_fn is None and RNN(SimpleRNNCell(2)).states is None


def test_dropout_masks_are_shared_by_all_steps_and_drawn_per_call():
    layer = SimpleRNN(50, activation=None, use_bias=False, dropout=0.5,
                      recurrent_initializer="zeros", kernel_initializer="identity",
                      return_sequences=True)  # each output is its input times the mask
    x = torch.ones(1, 3, 50)
    eval_out = layer(x, training=False)
    torch.testing.assert_close(eval_out, torch.ones(1, 3, 50))
    first = layer(x, training=True)
    assert torch.equal(first[:, 0], first[:, 1]) and torch.equal(first[:, 0], first[:, 2])
    assert set(first.unique().tolist()) == {0.0, 2.0}  # dropped, or kept and scaled by 2
    assert layer.cell._dropout_mask is None  # forgotten after the call
    assert not torch.equal(layer(x, training=True), first)


def test_recurrent_dropout_changes_training_outputs_only():
    layer = LSTM(4, recurrent_dropout=0.5, return_sequences=True)
    x = torch.randn(2, 5, 3)
    torch.testing.assert_close(layer(x, training=False), layer(x))
    assert not torch.allclose(layer(x, training=True), layer(x))
    assert layer.cell.dropout_mask_count == 4 and layer.cell.implementation == 1


def test_get_initial_state_is_zeros():
    states = RNN(LSTMCell(3)).get_initial_state(2)
    assert [tuple(s.shape) for s in states] == [(2, 3), (2, 3)]
    stacked = RNN([GRUCell(2), MinimalRNNCell(4)]).get_initial_state(5)
    assert [[tuple(s.shape) for s in cell] for cell in stacked] == [[(5, 2)], [(5, 4)]]


def test_config_round_trip_with_a_builtin_cell():
    layer = RNN(GRUCell(3, reset_after=False), return_sequences=True, go_backwards=True)
    config = layer.get_config()
    assert config["cell"]["class_name"] == "GRUCell"
    clone = RNN.from_config(config)
    assert clone.get_config() == {**config, "name": clone.name}
    assert isinstance(clone.cell, GRUCell) and clone.cell.reset_after is False


def test_rejects_two_dimensional_input():
    with pytest.raises(ValueError, match=r'Input 0 of layer "lstm" is incompatible with the '
                                         r"layer: expected ndim=3 \(batch, timesteps, "
                                         r"features\), found ndim=2. Full shape received: "
                                         r"\(2, 5\)"):
        LSTM(3)(torch.randn(2, 5))
    with pytest.raises(ValueError, match="expected min_ndim=3"):
        RNN(SimpleRNNCell(3))(torch.randn(2, 5))


def test_rejects_a_mask_of_the_wrong_shape():
    with pytest.raises(ValueError, match=r"`GRU` expects `mask` to have the shape \(batch, "
                                         r"timesteps\) = \(2, 4\) of its input. Received: "
                                         r"mask with shape \(2, 3\)"):
        GRU(3)(torch.randn(2, 4, 5), mask=torch.ones(2, 3, dtype=torch.bool))


def test_rejects_initial_state_of_the_wrong_size():
    with pytest.raises(ValueError, match=r"`LSTM` expects `initial_state` to be 2 tensor\(s\) "
                                         r"of shape\(s\) \[\(2, 3\), \(2, 3\)\] \(batch, "
                                         r"state_size\). Received: initial_state with "
                                         r"shape\(s\) \[\(2, 4\), \(2, 3\)\]"):
        LSTM(3)(torch.randn(2, 4, 5), initial_state=[torch.zeros(2, 4), torch.zeros(2, 3)])
    with pytest.raises(ValueError, match=r"Received: initial_state with shape\(s\) \[\(2, 3\)\]"):
        LSTM(3)(torch.randn(2, 4, 5), initial_state=torch.zeros(2, 3))


def test_rejects_unroll_over_unknown_time():
    with pytest.raises(ValueError, match=r"`SimpleRNN` cannot unroll \(`unroll=True`\) over "
                                         r"an unknown number of timesteps. Received: "
                                         r"input_shape=\(None, None, 5\)"):
        SimpleRNN(3, unroll=True)(keras.Input(shape=(None, 5)))


def test_stateful_needs_a_fixed_batch_size():
    with pytest.raises(ValueError, match=r"When using `stateful=True` in a RNN, the batch "
                                         r"size must be static. Found dynamic batch size: "
                                         r"sequence.shape=\(None, 4, 5\)"):
        GRU(3, stateful=True)(keras.Input(shape=(4, 5)))
    layer = GRU(3, stateful=True)
    layer(torch.randn(2, 4, 5))
    with pytest.raises(ValueError, match="Expected batch size: 2. Received batch size: 3"):
        layer(torch.randn(3, 4, 5))


def test_rejects_an_object_that_is_not_a_cell():
    with pytest.raises(TypeError, match=r"`RNN` expects `cell` to be an RNN cell: an object "
                                        r"with a `call\(inputs, states\)` method and a "
                                        r"`state_size` attribute; this one has no "
                                        r"`state_size`"):
        RNN(keras.layers.Dense(3))


def test_rejects_features_of_unknown_size():
    with pytest.raises(ValueError, match=r"`LSTMCell` needs the last dimension of its input "
                                         r"\(the features\) to be known. Received: "
                                         r"input_shape=\(None, None\)"):
        LSTM(3)(keras.Input(shape=(4, None)))


def test_numpy_initial_state_is_accepted():
    layer = SimpleRNN(2)
    x = np.random.default_rng(0).normal(size=(1, 3, 4)).astype("float32")
    state = np.ones((1, 2), "float32")
    torch.testing.assert_close(layer(x, initial_state=[state]),
                               layer(x, initial_state=[torch.ones(1, 2)]))


def test_mask_from_an_embedding_flows_through_the_layers():
    tokens = torch.tensor([[3, 4, 5, 0, 0], [1, 2, 0, 0, 0], [5, 5, 5, 5, 5]])
    embedding = keras.layers.Embedding(8, 4, mask_zero=True)
    lstm = LSTM(3, return_sequences=True)
    bidirectional = keras.layers.Bidirectional(GRU(2))
    model = keras.Sequential([keras.Input((5,), dtype="int64"), embedding, lstm, bidirectional])
    mask = tokens != 0
    expected = bidirectional(lstm(embedding(tokens), mask=mask), mask=mask)
    torch.testing.assert_close(model(tokens), expected)
    unmasked = embedding(tokens) * 1  # a new tensor: no `_keras_mask` riding on it
    assert not torch.allclose(expected, bidirectional(lstm(unmasked)))


def test_compiled_stateful_layer_keeps_its_states():
    eager, compiled_layer = GRU(3, stateful=True), GRU(3, stateful=True)
    x = torch.randn(2, 4, 5)
    eager(x)
    compiled_layer(x)
    compiled_layer.set_weights(eager.get_weights())
    eager.reset_states()
    compiled_layer.reset_states()
    torch._dynamo.reset()
    compiled = torch.compile(compiled_layer, backend="aot_eager", fullgraph=True)
    for _ in range(2):
        torch.testing.assert_close(compiled(x), eager(x))
    torch.testing.assert_close(compiled_layer.states[0], eager.states[0])


def test_symbolic_call_leaves_kept_states_alone():
    layer = SimpleRNN(2, stateful=True)
    layer(torch.randn(3, 4, 5))
    kept = layer.states[0].clone()
    layer(keras.Input(shape=(4, 5), batch_size=3))
    torch.testing.assert_close(layer.states[0], kept)
