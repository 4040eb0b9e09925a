"""Recurrent layers: `RNN` and its cells, `SimpleRNN`, `LSTM`, `GRU`, `Bidirectional`."""

from lamina.layers.rnn.bidirectional import Bidirectional
from lamina.layers.rnn.gru import GRU, GRUCell
from lamina.layers.rnn.lstm import LSTM, LSTMCell
from lamina.layers.rnn.rnn import RNN
from lamina.layers.rnn.simple_rnn import SimpleRNN, SimpleRNNCell
from lamina.layers.rnn.stacked_rnn_cells import StackedRNNCells

__all__ = [
    "GRU",
    "LSTM",
    "RNN",
    "Bidirectional",
    "GRUCell",
    "LSTMCell",
    "SimpleRNN",
    "SimpleRNNCell",
    "StackedRNNCells",
]
