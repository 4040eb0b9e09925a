"""`LSTMCell` and `LSTM`: Keras golden values, weights layout, initialisation, config."""

import numpy as np
import pytest
import torch

from lamina.layers.rnn import LSTM, LSTMCell
from tests.layers.rnn.golden_cases import PATHS, cases, check_golden


@PATHS
@pytest.mark.parametrize("name", cases("lstm_"))
def test_matches_keras(name, path, monkeypatch):
    check_golden(name, path, monkeypatch)


def _sigmoid(x):
    return 1 / (1 + np.exp(-x))


def test_cell_step_follows_the_lstm_equations():
    cell = LSTMCell(3)
    x, h, c = (np.random.default_rng(0).normal(size=s).astype("float32")
               for s in [(2, 4), (2, 3), (2, 3)])
    cell.build((2, 4))
    kernel, recurrent, bias = cell.get_weights()
    z = x @ kernel + h @ recurrent + bias
    i, f, g, o = np.split(z, 4, axis=-1)
    c_new = _sigmoid(f) * c + _sigmoid(i) * np.tanh(g)
    h_new = _sigmoid(o) * np.tanh(c_new)
    output, (h_out, c_out) = cell(torch.from_numpy(x), [torch.from_numpy(h), torch.from_numpy(c)])
    np.testing.assert_allclose(output.detach().numpy(), h_new, atol=1e-6)
    np.testing.assert_allclose(h_out.detach().numpy(), h_new, atol=1e-6)
    np.testing.assert_allclose(c_out.detach().numpy(), c_new, atol=1e-6)


def test_weights_are_stored_transposed_and_shown_in_keras_layout():
    layer = LSTM(3)
    layer.build((2, 5, 4))
    assert [tuple(w.shape) for w in layer.get_weights()] == [(4, 12), (3, 12), (12,)]
    assert tuple(layer.cell.kernel.shape) == (12, 4)
    np.testing.assert_array_equal(layer.get_weights()[0], layer.cell.kernel.detach().numpy().T)


def test_unit_forget_bias_starts_the_forget_gate_at_one():
    layer = LSTM(2, bias_initializer="ones")
    layer.build((1, 3, 4))
    np.testing.assert_array_equal(layer.get_weights()[2], np.ones(8))
    layer = LSTM(2)
    layer.build((1, 3, 4))
    np.testing.assert_array_equal(layer.get_weights()[2], [0, 0, 1, 1, 0, 0, 0, 0])
    layer = LSTM(2, unit_forget_bias=False)
    layer.build((1, 3, 4))
    np.testing.assert_array_equal(layer.get_weights()[2], np.zeros(8))


def test_default_recurrent_kernel_is_orthogonal():
    layer = LSTM(4)
    layer.build((1, 3, 2))
    recurrent = layer.get_weights()[1]  # (4, 16): orthonormal rows
    np.testing.assert_allclose(recurrent @ recurrent.T, np.eye(4), atol=1e-5)


def test_config_has_keras_keys_and_round_trips():
    layer = LSTM(3, dropout=0.25, return_state=True, recurrent_activation="hard_sigmoid")
    config = layer.get_config()
    for key in ("units", "activation", "recurrent_activation", "use_bias", "unit_forget_bias",
                "kernel_initializer", "recurrent_initializer", "bias_initializer", "dropout",
                "recurrent_dropout", "seed", "return_sequences", "return_state", "go_backwards",
                "stateful", "unroll", "zero_output_for_mask", "activity_regularizer"):
        assert key in config
    assert "cell" not in config
    assert config["recurrent_activation"] == "hard_sigmoid" and config["dropout"] == 0.25
    clone = LSTM.from_config(config)
    assert clone.get_config() == {**config, "name": clone.name}
    assert clone.units == 3 and clone.return_state


def test_use_cudnn_true_requires_a_fused_configuration():
    assert LSTM(2, use_cudnn=True).use_cudnn is True
    with pytest.raises(ValueError, match="`LSTM` got `use_cudnn=True`, but its configuration"):
        LSTM(2, activation="relu", use_cudnn=True)
    with pytest.raises(ValueError, match="`LSTM` got `use_cudnn=True`"):
        LSTM(2, unroll=True, use_cudnn=True)


def test_rejects_an_unknown_use_cudnn():
    with pytest.raises(ValueError, match=r"`LSTM` expects `use_cudnn` to be one of 'auto', "
                                         r"True, False. Received: use_cudnn='yes'"):
        LSTM(2, use_cudnn="yes")
