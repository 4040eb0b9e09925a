"""`Bidirectional`: Keras golden values for each merge mode, the copies it makes, states,
masks and errors."""

import pytest
import torch

from lamina.layers.rnn import GRU, LSTM, Bidirectional, SimpleRNN
from tests.layers.rnn.golden_cases import PATHS, cases, check_golden


@PATHS
@pytest.mark.parametrize("name", cases("bidirectional_"))
def test_matches_keras(name, path, monkeypatch):
    check_golden(name, path, monkeypatch)


def test_forward_and_backward_copies():
    wrapped = LSTM(3, name="encoder")
    layer = Bidirectional(wrapped)
    assert (layer.forward_layer.name, layer.backward_layer.name) == (
        "forward_encoder", "backward_encoder")
    assert layer.forward_layer is not wrapped and layer.backward_layer.go_backwards
    layer(torch.randn(2, 4, 5))
    assert len(layer.weights) == 6 and not wrapped.built


def test_outputs_merge_forward_and_flipped_backward_sequences():
    layer = Bidirectional(GRU(2, return_sequences=True), merge_mode=None)
    x = torch.randn(2, 4, 3)
    forward, backward = layer(x)
    torch.testing.assert_close(forward, layer.forward_layer(x))
    torch.testing.assert_close(backward, layer.backward_layer(x).flip(1))


def test_weights_argument_is_set_on_build():
    source = Bidirectional(SimpleRNN(2))
    source(torch.randn(1, 3, 4))
    layer = Bidirectional(SimpleRNN(2), weights=source.get_weights())
    x = torch.randn(2, 3, 4)
    torch.testing.assert_close(layer(x), source(x))


def test_initial_state_is_split_between_the_directions():
    layer = Bidirectional(LSTM(2, return_state=True), merge_mode="sum")
    x = torch.randn(2, 3, 4)
    states = [torch.randn(2, 2) for _ in range(4)]
    output, *final = layer(x, initial_state=states)
    forward = layer.forward_layer(x, initial_state=states[:2])
    backward = layer.backward_layer(x, initial_state=states[2:])
    torch.testing.assert_close(output, forward[0] + backward[0])
    for got, want in zip(final, [*forward[1:], *backward[1:]]):
        torch.testing.assert_close(got, want)


def test_stateful_states_and_reset():
    layer = Bidirectional(GRU(2, stateful=True))
    layer(torch.randn(3, 4, 5))
    assert len(layer.states) == 2 and layer.states[0].abs().sum() > 0
    layer.reset_states()
    assert all(torch.equal(s, torch.zeros(3, 2)) for s in layer.states)
    assert Bidirectional(GRU(2)).states is None


def test_reset_state_of_a_stateless_layer_is_an_error():
    with pytest.raises(RuntimeError, match="`Bidirectional` layer 'bidirectional' has no "
                                           "states to reset: its layer is not stateful"):
        Bidirectional(GRU(2)).reset_state()


def test_compute_mask():
    mask = torch.ones(2, 3, dtype=torch.bool)
    assert Bidirectional(LSTM(2, return_sequences=True)).compute_mask(None, mask) is mask
    assert Bidirectional(LSTM(2)).compute_mask(None, mask) is None
    assert Bidirectional(LSTM(2, return_sequences=True), merge_mode=None).compute_mask(
        None, mask) == [mask, mask]
    assert Bidirectional(LSTM(2, return_state=True)).compute_mask(None, [mask]) == [None] * 5


def test_config_round_trips():
    layer = Bidirectional(GRU(3, return_sequences=True), merge_mode="mul",
                          backward_layer=LSTM(3, return_sequences=True, go_backwards=True))
    config = layer.get_config()
    assert config["layer"]["class_name"] == "GRU"
    assert config["backward_layer"]["class_name"] == "LSTM"
    clone = Bidirectional.from_config(config)
    assert clone.get_config() == {**config, "name": clone.name}
    assert isinstance(clone.backward_layer, LSTM) and clone.merge_mode == "mul"


def test_rejects_what_is_not_a_layer():
    with pytest.raises(TypeError, match=r"`Bidirectional` expects `layer` to be a recurrent "
                                        r"layer instance. Received: layer='lstm' \(of type "
                                        r"str\)"):
        Bidirectional("lstm")
    with pytest.raises(TypeError, match="`Bidirectional` expects `backward_layer` to be a "
                                        "recurrent layer instance"):
        Bidirectional(LSTM(2), backward_layer=3)


def test_rejects_an_unknown_merge_mode():
    with pytest.raises(ValueError, match=r"`Bidirectional` expects `merge_mode` to be one of "
                                         r"'concat', 'sum', 'mul', 'ave', None. Received: "
                                         r"merge_mode='max'"):
        Bidirectional(LSTM(2), merge_mode="max")


def test_rejects_mismatched_directions_and_options():
    with pytest.raises(ValueError, match=r"different `go_backwards` values. Received: "
                                         r"forward_layer.go_backwards=False, "
                                         r"backward_layer.go_backwards=False"):
        Bidirectional(LSTM(2), backward_layer=LSTM(2))
    with pytest.raises(ValueError, match=r"the same `return_sequences`. Received: False for "
                                         r"the forward layer and True for the backward layer"):
        Bidirectional(LSTM(2), backward_layer=LSTM(2, go_backwards=True,
                                                   return_sequences=True))
