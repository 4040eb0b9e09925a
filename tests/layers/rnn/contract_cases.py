"""Contract rows for the recurrent layers (run by `tests/layers/test_layer_contract.py`)."""

from lamina.layers import rnn as L

CASES = [
    (L.SimpleRNN, {"units": 3}, (2, 3, 5), (2, 3)),
    (L.SimpleRNN, {"units": 3, "activation": "relu", "return_sequences": True,
                   "kernel_initializer": "ones",
                   "go_backwards": True}, (2, 3, 5), (2, 3, 3)),
    (L.SimpleRNN, {"units": 2, "activation": "sigmoid", "use_bias": False,
                   "kernel_regularizer": "l2"}, (2, 3, 5), (2, 2)),
    (L.LSTM, {"units": 3}, (2, 3, 5), (2, 3)),
    (L.LSTM, {"units": 3, "return_sequences": True, "unroll": True,
              "recurrent_regularizer": "l2", "bias_constraint": "non_neg"}, (2, 3, 5), (2, 3, 3)),
    (L.LSTM, {"units": 2, "recurrent_activation": "hard_sigmoid", "unit_forget_bias": False,
              "dropout": 0.2, "recurrent_dropout": 0.3}, (2, 3, 5), (2, 2)),
    (L.GRU, {"units": 3}, (2, 3, 5), (2, 3)),
    (L.GRU, {"units": 3, "reset_after": False, "return_sequences": True}, (2, 3, 5),
     (2, 3, 3)),
    (L.GRU, {"units": 2, "go_backwards": True, "use_bias": False, "dropout": 0.1},
     (2, 3, 5), (2, 2)),
    (L.RNN, {"cell": L.LSTMCell(3), "return_sequences": True}, (2, 3, 5), (2, 3, 3)),
    (L.RNN, {"cell": [L.SimpleRNNCell(3), L.GRUCell(2)]}, (2, 3, 5), (2, 2)),
    (L.Bidirectional, {"layer": L.LSTM(3, return_sequences=True)}, (2, 3, 5), (2, 3, 6)),
    (L.Bidirectional, {"layer": L.GRU(3), "merge_mode": "ave"}, (2, 3, 5), (2, 3)),
    (L.Bidirectional, {"layer": L.SimpleRNN(3), "merge_mode": "mul",
                       "backward_layer": L.SimpleRNN(3, go_backwards=True,
                                                     activation="softsign")}, (2, 3, 5),
     (2, 3)),
]
