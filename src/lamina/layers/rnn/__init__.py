"""Recurrent layers: `RNN` and its cells, `SimpleRNN`, `LSTM`, `GRU`, `Bidirectional`,
`ConvLSTM1D/2D/3D`, `TimeDistributed`."""

from lamina.layers.rnn.bidirectional import Bidirectional
from lamina.layers.rnn.conv_lstm import ConvLSTM1D, ConvLSTM2D, ConvLSTM3D
from lamina.layers.rnn.gru import GRU, GRUCell
from lamina.layers.rnn.lstm import LSTM, LSTMCell
from lamina.layers.rnn.rnn import RNN
from lamina.layers.rnn.simple_rnn import SimpleRNN, SimpleRNNCell
from lamina.layers.rnn.stacked_rnn_cells import StackedRNNCells
from lamina.layers.rnn.time_distributed import TimeDistributed

__all__ = [
    "GRU",
    "LSTM",
    "RNN",
    "Bidirectional",
    "ConvLSTM1D",
    "ConvLSTM2D",
    "ConvLSTM3D",
    "GRUCell",
    "LSTMCell",
    "SimpleRNN",
    "SimpleRNNCell",
    "StackedRNNCells",
    "TimeDistributed",
]
