"""LossScaleOptimizer: Keras' dynamic loss scaling, skipped steps, config, state, no host sync."""

import json
import math
from pathlib import Path

import numpy as np
import pytest
import torch

from lamina import optimizers
from lamina.optimizers import SGD, Adam, LossScaleOptimizer, RMSprop

GOLDEN = json.loads((Path(__file__).parents[1] / "mixed_precision" / "golden"
                     / "mixed_golden.json").read_text())
GRADS = [[float(x) for x in g] for g in GOLDEN["grads"]]  # "inf"/"nan" strings -> floats


def _param():
    return torch.nn.Parameter(torch.tensor([1.0, -1.0, 0.5]))


@pytest.mark.parametrize("case, inner", [
    ("sgd_momentum", lambda: SGD(0.1, momentum=0.9)),
    ("rmsprop", lambda: RMSprop(0.01)),
])
def test_trajectory_matches_keras(case, inner):
    """Weights, slots, scale and step counter after each step, with inf and NaN steps."""
    golden = GOLDEN[case]
    w = _param()
    opt = LossScaleOptimizer(inner(), initial_scale=16.0, dynamic_growth_steps=2)
    opt.build([w])
    names = golden["names"]
    for step, (grad, expected) in enumerate(zip(GRADS, golden["steps"])):
        opt.apply([torch.tensor(grad)], [w])
        np.testing.assert_allclose(w.detach().numpy(), expected["weights"], rtol=1e-6,
                                   atol=1e-7)
        for name, variable in zip(names, opt.variables):
            if name.endswith("/iteration") and not name.startswith("loss_scale"):
                # lamina counts skipped steps too (see the class docstring)
                assert int(variable) == step + 1
                continue
            np.testing.assert_allclose(variable.numpy(), expected["variables"][name],
                                       rtol=1e-6, atol=1e-7, err_msg=f"{name} at step {step}")


def test_skipped_step_leaves_weights_and_slots_bit_for_bit():
    w = torch.nn.Parameter(torch.tensor([[1.0, 2.0], [3.0, 4.0]]))
    b = torch.nn.Parameter(torch.tensor([0.1, -0.2]))
    opt = LossScaleOptimizer(Adam(0.01), initial_scale=4.0)
    opt.apply([torch.ones(2, 2), torch.ones(2)], [w, b])
    before = [t.clone() for t in (w, b, *opt.inner_optimizer.variables[2:])]
    opt.apply([torch.tensor([[1.0, float("nan")], [1.0, 1.0]]), torch.ones(2)], [w, b])
    after = [w, b, *opt.inner_optimizer.variables[2:]]
    for x, y in zip(before, after):
        assert torch.equal(x, y)
    assert float(opt.dynamic_scale) == 2.0 and int(opt.step_counter) == 0


def test_scale_halves_on_overflow_and_doubles_after_growth_steps():
    w = torch.nn.Parameter(torch.zeros(1))
    opt = LossScaleOptimizer(SGD(1.0), initial_scale=2.0 ** 10, dynamic_growth_steps=3)
    seen = []
    for grad in [math.inf, 1.0, 1.0, 1.0, 1.0, -math.inf, 1.0]:
        opt.apply([torch.tensor([grad])], [w])
        seen.append((float(opt.dynamic_scale), int(opt.step_counter)))
    # by hand: halve and reset on inf; count finite steps; double and reset at the third
    assert seen == [(512.0, 0), (512.0, 1), (512.0, 2), (1024.0, 0), (1024.0, 1),
                    (512.0, 0), (512.0, 1)]
    # four finite steps applied, each unscaled gradient of 1 at the scale of its time
    expected = -(1 / 512 + 1 / 512 + 1 / 512 + 1 / 1024 + 1 / 512)
    assert float(w.detach()) == pytest.approx(expected, rel=1e-6)


def test_step_unscales_parameter_gradients_like_apply():
    w1, w2 = _param(), _param()
    a = LossScaleOptimizer(SGD(0.1), initial_scale=8.0)
    b = LossScaleOptimizer(SGD(0.1), initial_scale=8.0)
    a.build([w1])
    a.scale_loss((w1 ** 2).sum()).backward()
    a.step()
    b.apply([8.0 * 2 * torch.tensor([1.0, -1.0, 0.5])], [w2])
    torch.testing.assert_close(w1.detach(), w2.detach(), rtol=0, atol=0)
    torch.testing.assert_close(w1.detach(), torch.tensor([0.8, -0.8, 0.4]))


def test_apply_leaves_the_callers_gradients_unchanged():
    grad = torch.tensor([4.0, 8.0, 2.0])
    LossScaleOptimizer(SGD(0.1), initial_scale=4.0).apply([grad], [_param()])
    assert torch.equal(grad, torch.tensor([4.0, 8.0, 2.0]))


def test_scale_loss_uses_initial_scale_before_build_then_the_device_scale():
    opt = LossScaleOptimizer(SGD(), initial_scale=32.0)
    assert float(opt.scale_loss(torch.tensor(0.5))) == 16.0
    opt.build([_param()])
    opt.dynamic_scale.fill_(4.0)
    assert float(opt.scale_loss(torch.tensor(0.5))) == 2.0


def test_updates_never_read_a_value_back_to_the_host(monkeypatch):
    w = _param()
    opt = LossScaleOptimizer(Adam(0.1), initial_scale=8.0)
    opt.apply([torch.ones(3)], [w])  # builds

    def no_sync(*args, **kwargs):
        raise AssertionError("host-device sync in an update")

    for method in ("item", "__bool__", "__float__", "__int__", "tolist", "cpu", "numpy"):
        monkeypatch.setattr(torch.Tensor, method, no_sync)
    for grad in ([1.0, 2.0, 3.0], [math.inf, 0.0, 0.0], [1.0, 1.0, 1.0]):
        opt.apply([torch.tensor(grad)], [w])
    monkeypatch.undo()
    assert float(opt.dynamic_scale) == 4.0


def test_learning_rate_and_iterations_are_the_inner_optimizers():
    inner = SGD(0.1)
    opt = LossScaleOptimizer(inner)
    assert opt.learning_rate == pytest.approx(0.1)
    opt.learning_rate = 0.5
    assert inner.learning_rate == 0.5
    opt.apply([torch.ones(3)], [_param()])
    assert opt.iterations is inner.iterations and int(opt.iterations) == 1


def test_variables_follow_keras_order_and_round_trip_through_a_store():
    w = _param()
    opt = LossScaleOptimizer(SGD(0.1, momentum=0.9), initial_scale=16.0)
    for grad in ([1.0, 2.0, 3.0], [math.inf, 0, 0], [0.5, 0.5, 0.5]):
        opt.apply([torch.tensor(grad)], [w])
    assert len(opt.variables) == len(GOLDEN["sgd_momentum"]["names"])
    store = {}
    opt.save_own_variables(store)
    fresh = LossScaleOptimizer(SGD(0.1, momentum=0.9), initial_scale=16.0)
    fresh.build([_param()])
    fresh.load_own_variables(store)
    for a, b in zip(opt.variables, fresh.variables):
        assert torch.equal(a, b)
    with pytest.raises(ValueError, match="has 7 variables but the store holds 2"):
        fresh.load_own_variables({"0": 0, "1": 0})


def test_config_round_trip_matches_keras():
    opt = LossScaleOptimizer(SGD(0.1, momentum=0.9), initial_scale=16.0,
                             dynamic_growth_steps=2)
    config = opt.get_config()
    keras_config = GOLDEN["sgd_momentum"]["config"]
    assert set(config) == set(keras_config)
    assert config["inner_optimizer"]["class_name"] == "SGD"
    assert {k: config[k] for k in ("name", "initial_scale", "dynamic_growth_steps")} == {
        k: keras_config[k] for k in ("name", "initial_scale", "dynamic_growth_steps")}
    clone = LossScaleOptimizer.from_config(keras_config)  # Keras' own dict
    assert isinstance(clone.inner_optimizer, SGD) and clone.inner_optimizer.momentum == 0.9
    assert clone.inner_optimizer.learning_rate == pytest.approx(0.1)
    assert LossScaleOptimizer.from_config(config).get_config() == config
    assert isinstance(optimizers.deserialize(optimizers.serialize(opt)), LossScaleOptimizer)


def test_old_keras_configs_with_default_base_arguments_load():
    opt = LossScaleOptimizer(SGD(), clipnorm=None, use_ema=False, dynamic=True)
    assert opt.get_config()["initial_scale"] == 2.0 ** 15


def test_inner_loss_scale_factor_is_disabled():
    inner = SGD(loss_scale_factor=128.0)
    LossScaleOptimizer(inner)
    assert inner.loss_scale_factor is None


@pytest.mark.parametrize("kwargs, error, match", [
    ({"dynamic": False}, ValueError, "dynamic=False"),
    ({"clipnorm": 1.0}, ValueError, "does not support `clipnorm`"),
    ({"foo": 1}, ValueError, "does not support the arguments foo"),
    ({"initial_scale": 0.0}, ValueError, "`initial_scale` to be a positive float"),
    ({"initial_scale": -2.0}, ValueError, "`initial_scale` to be a non-negative float"),
    ({"dynamic_growth_steps": 0}, ValueError, "`dynamic_growth_steps` to be a positive"),
])
def test_rejects_bad_arguments(kwargs, error, match):
    with pytest.raises(error, match=match):
        LossScaleOptimizer(SGD(), **kwargs)


def test_rejects_an_inner_that_is_not_an_optimizer():
    with pytest.raises(TypeError, match="`inner_optimizer` to be an `Optimizer`"):
        LossScaleOptimizer("adam")


def test_step_skips_parameters_without_gradients():
    used, unused = _param(), _param()
    opt = LossScaleOptimizer(SGD(0.5, momentum=0.5), initial_scale=2.0)
    opt.build([used, unused])
    used.grad = torch.tensor([2.0, 2.0, math.nan])
    opt.step()  # skipped: nothing moves
    assert torch.equal(used.detach(), _param().detach())
    used.grad = torch.tensor([1.0, 1.0, 1.0])  # unscaled by the halved scale: 1
    opt.step()
    torch.testing.assert_close(used.detach(), torch.tensor([0.5, -1.5, 0.0]))
    assert torch.equal(unused.detach(), _param().detach())


def test_finalize_variable_values_reaches_the_inner_optimizer():
    weight = torch.nn.Parameter(torch.tensor([1.0, 2.0]))
    inner = optimizers.SGD(0.5, use_ema=True, ema_momentum=0.5)
    wrapped = optimizers.LossScaleOptimizer(inner, initial_scale=1.0)
    for _ in range(3):  # the first step starts the average at the weights
        wrapped.apply_gradients([(torch.tensor([1.0, 1.0]), weight)])
    average = inner._ema_averages[0].detach().clone()
    assert not torch.equal(weight.detach(), average)
    wrapped.finalize_variable_values()
    torch.testing.assert_close(weight.detach(), average)
