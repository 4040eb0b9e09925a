"""`StackedRNNCells`: cells chained within each step."""

import pytest
import torch

from lamina.layers.rnn import RNN, GRUCell, LSTMCell, SimpleRNNCell, StackedRNNCells


def test_sizes_follow_the_cells():
    cells = StackedRNNCells([LSTMCell(4), GRUCell(3)])
    assert cells.state_size == [[4, 4], 3] and cells.output_size == 3


def test_one_step_chains_the_cells():
    first, second = SimpleRNNCell(4), GRUCell(3)
    stacked = StackedRNNCells([first, second])
    stacked.build((2, 5))
    x = torch.randn(2, 5)
    states = stacked.get_initial_state(2)
    output, (first_states, second_states) = stacked(x, states)
    middle, _ = first(x, [torch.zeros(2, 4)])
    expected, _ = second(middle, [torch.zeros(2, 3)])
    torch.testing.assert_close(output, expected)
    torch.testing.assert_close(first_states[0], middle)
    torch.testing.assert_close(second_states[0], expected)


def test_stacked_rnn_equals_two_rnn_layers():
    x = torch.randn(2, 4, 5)
    stacked = RNN([LSTMCell(3), SimpleRNNCell(2)], return_sequences=True)
    outputs = stacked(x)
    lower = RNN(stacked.cell.cells[0], return_sequences=True)
    upper = RNN(stacked.cell.cells[1], return_sequences=True)
    torch.testing.assert_close(outputs, upper(lower(x)))


def test_config_round_trips():
    cells = StackedRNNCells([LSTMCell(4, dropout=0.5), GRUCell(3, reset_after=False)])
    config = cells.get_config()
    clone = StackedRNNCells.from_config(config)
    assert clone.get_config() == {**config, "name": clone.name}
    assert clone.cells[0].dropout == 0.5 and clone.cells[1].reset_after is False


def test_rejects_an_empty_or_non_list_argument():
    with pytest.raises(TypeError, match=r"`StackedRNNCells` expects `cells` to be a non-empty "
                                        r"list of RNN cells. Received: cells=\[\]"):
        StackedRNNCells([])
    with pytest.raises(TypeError, match="non-empty list of RNN cells"):
        StackedRNNCells(LSTMCell(2))


def test_rejects_an_object_without_the_cell_api():
    with pytest.raises(TypeError, match=r"`StackedRNNCells` expects `cells` to be an RNN cell"
                                        r".*this one has no `call`"):
        StackedRNNCells([LSTMCell(2), object()])
