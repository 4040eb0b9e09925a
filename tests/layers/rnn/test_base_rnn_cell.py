"""What the built-in cells share: argument checks, initial states, config."""

import pytest
import torch

from lamina.layers.rnn import GRUCell, LSTMCell, SimpleRNNCell


def test_rejects_non_positive_units():
    with pytest.raises(ValueError, match=r"`LSTMCell` expects `units` to be a positive "
                                         r"integer. Received: units=0 \(of type int\)"):
        LSTMCell(0)


def test_rejects_dropout_outside_zero_one():
    with pytest.raises(ValueError, match=r"`GRUCell` expects `dropout` to be a float in "
                                         r"\[0, 1\). Received: dropout=1.5"):
        GRUCell(2, dropout=1.5)
    with pytest.raises(ValueError, match="`SimpleRNNCell` expects `recurrent_dropout` to be "
                                         "a float in"):
        SimpleRNNCell(2, recurrent_dropout=-0.1)


def test_rejects_an_unknown_implementation():
    with pytest.raises(ValueError, match=r"`LSTMCell` expects `implementation` to be one of "
                                         r"1, 2. Received: implementation=3"):
        LSTMCell(2, implementation=3)


def test_implementation_one_draws_one_mask_per_gate():
    assert LSTMCell(2, implementation=1, dropout=0.5).dropout_mask_count == 4
    assert not hasattr(LSTMCell(2, dropout=0.5), "dropout_mask_count")


def test_get_initial_state_is_zeros_of_the_state_sizes():
    cell = LSTMCell(3)
    cell.build((None, 2))
    states = cell.get_initial_state(batch_size=4)
    assert [tuple(s.shape) for s in states] == [(4, 3), (4, 3)]
    assert all(torch.equal(s, torch.zeros(4, 3)) for s in states)
    assert [tuple(s.shape) for s in GRUCell(5).get_initial_state(2)] == [(2, 5)]


def test_config_round_trips():
    cell = LSTMCell(3, activation="relu", recurrent_regularizer="l1", bias_constraint="non_neg",
                    seed=7)
    config = cell.get_config()
    assert config["seed"] == 7 and config["activation"] == "relu"
    clone = LSTMCell.from_config(config)
    assert clone.get_config() == {**config, "name": clone.name}
