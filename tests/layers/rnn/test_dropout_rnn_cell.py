"""`DropoutRNNCell` masks and `masked_linear`."""

import pytest
import torch

from lamina.layers.rnn import GRUCell, SimpleRNNCell
from lamina.layers.rnn.dropout_rnn_cell import masked_linear


def test_masks_are_drawn_once_and_forgotten_on_reset():
    cell = SimpleRNNCell(3, dropout=0.5, recurrent_dropout=0.25)
    x = torch.ones(4, 100)
    mask = cell.get_dropout_mask(x)
    assert cell.get_dropout_mask(torch.zeros(4, 100)) is mask
    assert set(mask.unique().tolist()) <= {0.0, 2.0} and tuple(mask.shape) == (4, 100)
    recurrent = cell.get_recurrent_dropout_mask(torch.ones(4, 3))
    assert set(recurrent.unique().tolist()) <= {0.0, torch.tensor(4.0 / 3.0).item()}
    cell.reset_dropout_mask()
    cell.reset_recurrent_dropout_mask()
    assert cell._dropout_mask is None and cell._recurrent_dropout_mask is None


def test_no_mask_without_a_rate():
    cell = SimpleRNNCell(3)
    assert cell.get_dropout_mask(torch.ones(2, 4)) is None
    assert cell.get_recurrent_dropout_mask(torch.ones(2, 3)) is None


def test_one_mask_per_gate_with_recurrent_dropout():
    cell = GRUCell(3, dropout=0.5, recurrent_dropout=0.5)
    assert tuple(cell.get_dropout_mask(torch.ones(2, 4)).shape) == (3, 2, 4)


@pytest.mark.parametrize("time", [None, 5])
def test_masked_linear_per_gate(time):
    x = torch.randn(2, 4) if time is None else torch.randn(2, time, 4)
    weight, bias = torch.randn(6, 4), torch.randn(6)  # two gates of 3 units
    masks = torch.rand(2, 2, 4)
    out = masked_linear(x, weight, masks, bias)
    for gate in range(2):
        mask = masks[gate] if time is None else masks[gate][:, None]
        expected = (x * mask) @ weight[3 * gate:3 * gate + 3].T + bias[3 * gate:3 * gate + 3]
        torch.testing.assert_close(out[..., 3 * gate:3 * gate + 3], expected)


@pytest.mark.parametrize("time", [None, 5])
def test_masked_linear_shared_mask(time):
    x = torch.randn(2, 4) if time is None else torch.randn(2, time, 4)
    weight, mask = torch.randn(6, 4), torch.rand(2, 4)
    expected = (x * (mask if time is None else mask[:, None])) @ weight.T
    torch.testing.assert_close(masked_linear(x, weight, mask), expected)
    torch.testing.assert_close(masked_linear(x, weight), x @ weight.T)
