"""`SimpleRNNCell` and `SimpleRNN`: Keras golden values, the step formula, fused kinds."""

import numpy as np
import pytest
import torch

from lamina.layers.rnn import SimpleRNN, SimpleRNNCell
from tests.layers.rnn.golden_cases import PATHS, cases, check_golden


@PATHS
@pytest.mark.parametrize("name", cases("simple_rnn"))
def test_matches_keras(name, path, monkeypatch):
    check_golden(name, path, monkeypatch)


def test_sequence_follows_the_recurrence():
    layer = SimpleRNN(3, return_sequences=True, bias_initializer="random_normal")
    x = np.random.default_rng(0).normal(size=(2, 4, 5)).astype("float32")
    outputs = layer(torch.from_numpy(x)).detach().numpy()
    kernel, recurrent, bias = layer.get_weights()
    h = np.zeros((2, 3), "float32")
    for t in range(4):
        h = np.tanh(x[:, t] @ kernel + h @ recurrent + bias)
        np.testing.assert_allclose(outputs[:, t], h, atol=1e-6)


def test_cell_keeps_the_state_container():
    cell = SimpleRNNCell(2, activation=None)
    output, states = cell(torch.ones(1, 3), [torch.zeros(1, 2)])
    assert isinstance(states, list) and torch.equal(states[0], output)
    kernel, _, bias = cell.get_weights()
    np.testing.assert_allclose(output.detach().numpy(), np.ones((1, 3)) @ kernel + bias,
                               atol=1e-6)


def test_fused_kernel_depends_on_the_activation():
    assert SimpleRNN(2).cell._fused_kind() == "rnn_tanh"
    assert SimpleRNN(2, activation="relu").cell._fused_kind() == "rnn_relu"
    assert SimpleRNN(2, activation="sigmoid").cell._fused_kind() is None
    assert SimpleRNN(2, recurrent_dropout=0.1).cell._fused_kind() is None


def test_config_round_trips():
    layer = SimpleRNN(4, activation="relu", dropout=0.5, stateful=True, unroll=True)
    config = layer.get_config()
    clone = SimpleRNN.from_config(config)
    assert clone.get_config() == {**config, "name": clone.name}
    assert (clone.units, clone.dropout, clone.stateful, clone.unroll) == (4, 0.5, True, True)
