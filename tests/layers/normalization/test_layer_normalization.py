"""`LayerNormalization`: Keras golden values, torch twins, `rms_scaling`, errors."""

import warnings

import pytest
import torch
import torch.nn.functional as F

import lamina as keras
from tests.layers.normalization.golden_cases import names, run_case

LN = keras.layers.LayerNormalization


@pytest.mark.parametrize("name", names("ln_"))
def test_matches_keras(name):
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "`LayerNormalization\\(rms_scaling=True\\)`")
        run_case(name)


def test_trailing_axes_match_torch_layer_norm():
    torch.manual_seed(0)
    x = torch.randn(2, 3, 4, 5)
    layer = LN(axis=[-2, -1], gamma_initializer="random_normal", beta_initializer="random_normal")
    out = layer(x)
    torch.testing.assert_close(out, F.layer_norm(x, (4, 5), layer.gamma, layer.beta, 1e-3))


def test_inner_axes_follow_the_formula_with_gradients():
    torch.manual_seed(0)
    x = torch.randn(2, 3, 4, 5, requires_grad=True)
    layer = LN(axis=[3, 1], gamma_initializer="random_normal", beta_initializer="random_normal")
    out = layer(x)
    assert tuple(layer.gamma.shape) == (3, 5)
    mean = x.mean((1, 3), keepdim=True)
    var = x.var((1, 3), correction=0, keepdim=True)
    gamma, beta = layer.gamma.view(1, 3, 1, 5), layer.beta.view(1, 3, 1, 5)
    want = (x - mean) / torch.sqrt(var + 1e-3) * gamma + beta
    torch.testing.assert_close(out, want, atol=1e-5, rtol=1e-5)
    (grad,) = torch.autograd.grad(out.sum() + (out ** 2).sum(), x)
    (want_grad,) = torch.autograd.grad(want.sum() + (want ** 2).sum(), x)
    torch.testing.assert_close(grad, want_grad, atol=1e-4, rtol=1e-4)


def test_rms_scaling_warns_and_scales_by_the_variance():
    with pytest.warns(UserWarning, match="rms_scaling=True.*deprecated"):
        layer = LN(rms_scaling=True, gamma_initializer=keras.initializers.Constant(2.0))
    x = torch.tensor([[1.0, 2.0, 6.0]])
    out = layer(x)
    assert [w.name for w in layer.weights] == ["gamma"]
    torch.testing.assert_close(out, 2 * x / torch.sqrt(x.var(correction=0) + 1e-3))


def test_weights_config_and_defaults():
    layer = LN(center=False)
    layer.build((None, 4))
    assert [w.name for w in layer.weights] == ["gamma"]
    config = layer.get_config()
    assert (config["axis"], config["epsilon"], config["rms_scaling"]) == (-1, 1e-3, False)
    assert LN.from_config(config).get_config() == config


def test_half_precision_inputs_compute_in_float32():
    x = torch.randn(3, 4)
    assert LN()(x.half()).dtype == torch.float32


def test_rejects_axis_of_wrong_type():
    with pytest.raises(TypeError, match="`LayerNormalization` expects `axis` to be an integer or"):
        LN(axis="last")


def test_rejects_axis_out_of_range():
    with pytest.raises(ValueError, match=r"expects every `axis` to be in \[-2, 2\).*axis=\[1, 2\]"):
        LN(axis=[1, 2])(torch.randn(2, 3))
