"""`BatchNormalization`: Keras golden values, formula oracles, frozen layers, masks, errors."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F

import lamina as keras
from tests.layers.normalization.golden_cases import names, run_case

BN = keras.layers.BatchNormalization


@pytest.mark.parametrize("name", names("bn_"))
def test_matches_keras_outputs_and_moving_statistics(name):
    run_case(name)


def _reference(x, axis, gamma, beta, epsilon):
    """Batch normalisation written out: biased moments over every axis but `axis`."""
    dims = [d for d in range(x.dim()) if d != axis % x.dim()]
    shape = [1] * x.dim()
    shape[axis] = -1
    mean = x.mean(dims, keepdim=True)
    var = x.var(dims, correction=0, keepdim=True)
    return (x - mean) / torch.sqrt(var + epsilon) * gamma.view(shape) + beta.view(shape), \
        mean.flatten(), var.flatten()


@pytest.mark.parametrize("axis,shape", [(-1, (4, 3, 3, 5)), (1, (4, 5, 3, 3)), (2, (3, 4, 5)),
                                        (-1, (6, 5)), (0, (5, 4))])
def test_training_normalises_with_batch_moments_and_updates_moving_ones(axis, shape):
    torch.manual_seed(0)
    x = torch.randn(*shape) * 3 + 1
    layer = BN(axis=axis, momentum=0.8, gamma_initializer="random_normal",
               beta_initializer="random_normal", moving_mean_initializer="ones")
    out = layer(x, training=True)
    want, mean, var = _reference(x, axis, layer.gamma.detach(), layer.beta.detach(), 1e-3)
    torch.testing.assert_close(out, want, atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(layer.moving_mean.detach(), 0.8 * 1.0 + 0.2 * mean)
    torch.testing.assert_close(layer.moving_variance.detach(), 0.8 * 1.0 + 0.2 * var)


def test_inference_uses_moving_statistics_like_torch_eval():
    torch.manual_seed(0)
    x = torch.randn(4, 3, 3, 5)
    layer = BN(moving_mean_initializer="random_normal",
               moving_variance_initializer=keras.initializers.RandomUniform(0.5, 1.5),
               gamma_initializer="random_normal")
    layer.build(x.shape)
    want = F.batch_norm(x.permute(0, 3, 1, 2), layer.moving_mean, layer.moving_variance,
                        layer.gamma, layer.beta, False, 0.0, 1e-3).permute(0, 2, 3, 1)
    before = layer.get_weights()
    for training in (None, False):
        torch.testing.assert_close(layer(x, training=training), want)
    for a, b in zip(before, layer.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_frozen_layer_runs_in_inference_mode_even_when_training():
    x = torch.randn(8, 3) + 5
    layer = BN()
    layer.build(x.shape)
    layer.trainable = False
    out = layer(x, training=True)
    torch.testing.assert_close(out, x / np.sqrt(1 + 1e-3))
    np.testing.assert_array_equal(layer.moving_mean.numpy(), np.zeros(3, "float32"))


def test_gradients_match_the_written_out_formula():
    torch.manual_seed(0)
    x = torch.randn(5, 2, 2, 3, requires_grad=True)
    layer = BN(gamma_initializer="random_normal")
    layer(x, training=True).square().sum().backward()
    got = [x.grad.clone(), layer.gamma.grad.clone(), layer.beta.grad.clone()]
    x.grad = None
    gamma = layer.gamma.detach().clone().requires_grad_()
    beta = layer.beta.detach().clone().requires_grad_()
    _reference(x, -1, gamma, beta, 1e-3)[0].square().sum().backward()
    for a, b in zip(got, [x.grad, gamma.grad, beta.grad]):
        torch.testing.assert_close(a, b, atol=1e-4, rtol=1e-4)


def test_masked_moments_ignore_masked_positions():
    torch.manual_seed(0)
    x = torch.randn(3, 5, 4)
    mask = torch.rand(3, 5) > 0.5
    mask[0, 0] = True
    layer = BN(momentum=0.0, center=False, scale=False)
    out = layer(x, training=True, mask=mask)
    kept = x[mask]  # (kept positions, features)
    mean, var = kept.mean(0), kept.var(0, correction=0)
    torch.testing.assert_close(out, (x - mean) / torch.sqrt(var + 1e-3), atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(layer.moving_mean.detach(), mean, atol=1e-6, rtol=1e-5)
    torch.testing.assert_close(layer.moving_variance.detach(), var, atol=1e-6, rtol=1e-5)


def test_all_true_mask_equals_no_mask():
    x = torch.randn(4, 6, 3)
    a, b = BN(), BN()
    torch.testing.assert_close(a(x, training=True, mask=torch.ones(4, 6, dtype=torch.bool)),
                               b(x, training=True), atol=1e-5, rtol=1e-5)


def test_rejects_mask_of_wrong_rank():
    layer = BN()
    with pytest.raises(ValueError, match="expects `mask` to have one dimension less"):
        layer(torch.randn(2, 3, 4), training=True, mask=torch.ones(2, 3, 4))


def test_channels_last_output_keeps_the_input_layout():
    x = torch.randn(2, 4, 4, 8)  # contiguous (batch, h, w, channels)
    out = BN()(x, training=True)
    assert out.is_contiguous()
    cf = torch.randn(2, 8, 4, 4).contiguous(memory_format=torch.channels_last)
    out = BN(axis=1)(cf, training=True)
    assert out.is_contiguous(memory_format=torch.channels_last)


def test_compiled_training_step_updates_moving_statistics_like_eager():
    x = torch.randn(6, 4) * 2 + 3
    eager, compiled_layer = BN(momentum=0.5), BN(momentum=0.5)
    want = eager(x, training=True)
    compiled_layer.build(x.shape)
    torch._dynamo.reset()
    compiled = torch.compile(compiled_layer, backend="aot_eager", fullgraph=True)
    torch.testing.assert_close(compiled(x, training=True), want)
    for a, b in zip(eager.get_weights(), compiled_layer.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-6)


def test_half_precision_inputs_are_normalised_in_float32():
    x = torch.randn(6, 3)
    out = BN()(x.half(), training=True)
    assert out.dtype == torch.float32
    torch.testing.assert_close(out, BN()(x.half().float(), training=True))


def test_renorm_inference_uses_moving_statistics_and_weight_order():
    layer = BN(renorm=True)
    layer.build((None, 2))
    assert [w.name for w in layer.weights] == ["gamma", "beta", "moving_mean", "moving_variance",
                                               "moving_stddev", "renorm_mean", "renorm_stddev"]
    x = torch.tensor([[1.0, 2.0]])
    torch.testing.assert_close(layer(x), x / np.sqrt(1 + 1e-3))


def test_weights_and_config_follow_keras():
    layer = BN(center=False, gamma_regularizer="l2")
    layer.build((None, 3))
    assert [w.name for w in layer.weights] == ["gamma", "moving_mean", "moving_variance"]
    assert [w.name for w in layer.trainable_weights] == ["gamma"]
    assert set(layer.state_dict()) == {"gamma", "moving_mean", "moving_variance"}
    assert len(layer.losses) == 1
    config = layer.get_config()
    for key in ("axis", "momentum", "epsilon", "center", "scale", "beta_initializer",
                "gamma_initializer", "moving_mean_initializer", "moving_variance_initializer",
                "beta_regularizer", "gamma_regularizer", "beta_constraint", "gamma_constraint",
                "synchronized", "renorm", "renorm_clipping", "renorm_momentum"):
        assert key in config
    assert config["momentum"] == 0.99 and config["epsilon"] == 1e-3
    assert BN.from_config(config).get_config() == config


def test_rejects_synchronized():
    with pytest.raises(ValueError, match="synchronized=True"):
        BN(synchronized=True)


def test_rejects_non_integer_axis():
    with pytest.raises(TypeError, match="expects `axis` to be an integer. Received: axis="):
        BN(axis=[1, 2])


def test_rejects_axis_out_of_range():
    with pytest.raises(ValueError, match=r"expects every `axis` to be in \[-3, 3\)"):
        BN(axis=3)(torch.randn(2, 3, 4))


def test_rejects_unknown_features_dimension():
    with pytest.raises(ValueError, match="needs the size of the input along `axis`"):
        BN().build((None, 3, None))


@pytest.mark.parametrize("clipping,match", [
    ({"rmax": 1.0, "foo": 2.0}, "map keys among"),
    ({"rmax": "big"}, "map keys among"),
    ({"rmax": 1.0, "rmin": 2.0}, r"`renorm_clipping\['rmax'\]` >="),
    ({"dmax": -1.0}, "non-negative. Received: dmax=-1.0"),
])
def test_rejects_invalid_renorm_clipping(clipping, match):
    with pytest.raises(ValueError, match=match):
        BN(renorm=True, renorm_clipping=clipping)


def test_fit_updates_moving_statistics_and_predict_uses_them():
    x = np.random.default_rng(0).normal(3.0, 2.0, size=(16, 4)).astype("float32")
    bn = BN(momentum=0.0)
    model = keras.Sequential([keras.Input((4,)), bn])
    model.compile(optimizer=keras.optimizers.SGD(0.0), loss="mse")
    model.train_on_batch(x, np.zeros_like(x))
    np.testing.assert_allclose(bn.moving_mean.numpy(), x.mean(0), rtol=1e-5)
    np.testing.assert_allclose(bn.moving_variance.numpy(), x.var(0), rtol=1e-5)
    want = (x - x.mean(0)) / np.sqrt(x.var(0) + 1e-3)
    np.testing.assert_allclose(model.predict(x, verbose=0), want, rtol=1e-4, atol=1e-5)
