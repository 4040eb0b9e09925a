"""`GRUCell` and `GRU`: Keras golden values (both `reset_after` forms), the gate reordering
for torch's kernel, config."""

import numpy as np
import pytest
import torch

from lamina.layers.rnn import GRU, GRUCell
from lamina.layers.rnn.gru import _torch_gate_order
from tests.layers.rnn.golden_cases import PATHS, cases, check_golden


@PATHS
@pytest.mark.parametrize("name", cases("gru_"))
def test_matches_keras(name, path, monkeypatch):
    check_golden(name, path, monkeypatch)


def _sigmoid(x):
    return 1 / (1 + np.exp(-x))


@pytest.mark.parametrize("reset_after", [True, False])
def test_cell_step_follows_the_gru_equations(reset_after):
    cell = GRUCell(3, reset_after=reset_after, bias_initializer="random_normal")
    rng = np.random.default_rng(0)
    x, h = rng.normal(size=(2, 4)).astype("float32"), rng.normal(size=(2, 3)).astype("float32")
    cell.build((2, 4))
    kernel, recurrent, bias = cell.get_weights()
    input_bias, recurrent_bias = (bias[0], bias[1]) if reset_after else (bias, np.zeros(9))
    x_z, x_r, x_h = np.split(x @ kernel + input_bias, 3, axis=-1)
    r_z, r_r, r_h = np.split(h @ recurrent + recurrent_bias, 3, axis=-1)
    z, r = _sigmoid(x_z + r_z), _sigmoid(x_r + r_r)
    if reset_after:
        candidate = np.tanh(x_h + r * r_h)
    else:
        candidate = np.tanh(x_h + (r * h) @ recurrent[:, 6:])
    expected = z * h + (1 - z) * candidate
    output, states = cell(torch.from_numpy(x), torch.from_numpy(h))
    assert isinstance(states, torch.Tensor)  # a lone state tensor comes back as one
    np.testing.assert_allclose(output.detach().numpy(), expected, atol=1e-6)


def test_bias_shape_depends_on_reset_after():
    for reset_after, shape in [(True, (2, 9)), (False, (9,))]:
        layer = GRU(3, reset_after=reset_after)
        layer.build((1, 2, 4))
        assert layer.get_weights()[2].shape == shape


def test_torch_gate_order_swaps_update_and_reset_blocks():
    weight = torch.arange(6.0).view(6, 1)  # blocks z=[0,1], r=[2,3], h=[4,5]
    assert _torch_gate_order(weight).flatten().tolist() == [2, 3, 0, 1, 4, 5]


def test_only_reset_after_has_a_fused_kernel():
    assert GRU(2).cell._fused_kind() == "gru"
    assert GRU(2, reset_after=False).cell._fused_kind() is None
    assert GRU(2, recurrent_dropout=0.5).cell._fused_kind() is None
    with pytest.raises(ValueError, match="`GRU` got `use_cudnn=True`"):
        GRU(2, reset_after=False, use_cudnn=True)


def test_config_round_trips():
    layer = GRU(3, reset_after=False, go_backwards=True, kernel_regularizer="l2")
    config = layer.get_config()
    assert config["reset_after"] is False and config["go_backwards"] is True
    clone = GRU.from_config(config)
    assert clone.get_config() == {**config, "name": clone.name}
    assert clone.reset_after is False and clone.kernel_regularizer is not None
