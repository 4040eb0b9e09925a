"""`GroupNormalization`: Keras golden values, the torch twin, errors."""

import pytest
import torch
import torch.nn.functional as F

import lamina as keras
from tests.layers.normalization.golden_cases import names, run_case

GN = keras.layers.GroupNormalization


@pytest.mark.parametrize("name", names("gn_"))
def test_matches_keras(name):
    run_case(name)


def test_channels_last_matches_torch_group_norm_with_gradients():
    torch.manual_seed(0)
    x = torch.randn(2, 3, 3, 6)
    layer = GN(groups=3, gamma_initializer="random_normal", beta_initializer="random_normal")
    out = layer(x)  # the first layer of a model: the input needs no gradient
    out.square().sum().backward()
    gamma = layer.gamma.detach().clone().requires_grad_()
    beta = layer.beta.detach().clone().requires_grad_()
    want = F.group_norm(x.permute(0, 3, 1, 2).contiguous(), 3, gamma, beta, 1e-3)
    want.square().sum().backward()
    torch.testing.assert_close(out, want.permute(0, 2, 3, 1))
    torch.testing.assert_close(layer.gamma.grad, gamma.grad, atol=1e-4, rtol=1e-4)
    torch.testing.assert_close(layer.beta.grad, beta.grad, atol=1e-4, rtol=1e-4)


def test_group_of_channels_written_out():
    x = torch.tensor([[[1.0, 3.0, 0.0, 10.0], [5.0, 7.0, 4.0, 2.0]]])  # (1, 2, 4)
    out = GN(groups=2, epsilon=0.0)(x)
    group0 = x[..., :2]
    want0 = (group0 - group0.mean()) / group0.std(correction=0)
    torch.testing.assert_close(out[..., :2], want0)


def test_config_keeps_groups_as_given():
    layer = GN(groups=-1)
    layer(torch.randn(2, 5))
    assert layer.get_config()["groups"] == -1 and layer.gamma.shape == (5,)


@pytest.mark.parametrize("groups", [0, -2, 2.5, True])
def test_rejects_invalid_groups(groups):
    with pytest.raises(ValueError, match="`GroupNormalization` expects `groups` to be a positive"):
        GN(groups=groups)


@pytest.mark.parametrize("groups,channels", [(3, 8), (16, 8)])
def test_rejects_channels_not_divisible_by_groups(groups, channels):
    with pytest.raises(ValueError, match=rf"number of channels \({channels}, axis -1 of the input\)"
                                         rf" to be divisible by `groups`. Received: "
                                         rf"groups={groups}"):
        GN(groups=groups)(torch.randn(2, 4, channels))


def test_rejects_list_axis():
    with pytest.raises(TypeError, match="`GroupNormalization` expects `axis` to be an integer."):
        GN(axis=[1])
