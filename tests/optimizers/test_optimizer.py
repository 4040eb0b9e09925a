"""The optimizer base: conventions, learning rate, iterations, state, weight decay, errors."""

import numpy as np
import pytest
import torch

from lamina import registry
from lamina.optimizers import SGD, Adadelta, Adagrad, Adam, Optimizer, RMSprop
from lamina.optimizers.optimizer import SCHEDULES_MODULE


def make_params(seed=0):
    gen = torch.Generator().manual_seed(seed)
    return [torch.nn.Parameter(torch.randn(3, 4, generator=gen)),
            torch.nn.Parameter(torch.randn(4, generator=gen))]


def make_grads(seed=1):
    gen = torch.Generator().manual_seed(seed)
    return [torch.randn(3, 4, generator=gen), torch.randn(4, generator=gen)]


class Halving:
    """A learning rate schedule for these tests: `initial * 0.5 ** step`, on the device."""

    def __init__(self, initial):
        self.initial = initial

    def __call__(self, step):
        return self.initial * torch.pow(0.5, step.to(torch.float32))

    def get_config(self):
        return {"initial": self.initial}

    @classmethod
    def from_config(cls, config):
        return cls(**config)


@pytest.fixture
def halving(monkeypatch):
    """Register `Halving` as a schedule for one test, on copies of the registry's tables, so
    no other test (e.g. one listing the real schedules) ever sees it."""
    monkeypatch.setattr(registry, "_BY_MODULE",
                        {k: dict(v) for k, v in registry._BY_MODULE.items()})
    monkeypatch.setattr(registry, "_NAME_OF", dict(registry._NAME_OF))
    return registry.register(SCHEDULES_MODULE, name="LaminaTestHalving")(Halving)


# -- the three conventions -----------------------------------------------------------------

@pytest.mark.parametrize("cls", [SGD, Adam, RMSprop, Adagrad, Adadelta])
def test_step_apply_and_apply_gradients_agree(cls):
    results = []
    for convention in ("step", "apply", "apply_gradients"):
        params, grads = make_params(), make_grads()
        opt = cls(learning_rate=0.1)
        if convention == "step":
            opt.build(params)
            for p, g in zip(params, grads):
                p.grad = g.clone()
            opt.step()
        elif convention == "apply":
            opt.apply(grads, params)
        else:
            assert opt.apply_gradients(zip(grads, params)) is opt.iterations
        results.append(torch.cat([p.detach().flatten() for p in params]))
    torch.testing.assert_close(results[0], results[1], atol=0, rtol=0)
    torch.testing.assert_close(results[0], results[2], atol=0, rtol=0)


def test_apply_without_variables_uses_the_built_ones():
    params, grads = make_params(), make_grads()
    opt = SGD(learning_rate=0.5)
    opt.build(params)
    opt.apply(grads)
    torch.testing.assert_close(params[1].detach(), make_params()[1] - 0.5 * grads[1])


def test_apply_does_not_touch_dot_grad():
    params, grads = make_params(), make_grads()
    SGD().apply(grads, params)
    assert all(p.grad is None for p in params)


def apply_then_step(opt, params, grads):
    """One Keras-style update (`apply`), then one torch-style update (`.grad` + `step`)."""
    opt.apply(grads, params)
    for p, g in zip(params, grads):
        p.grad = g
    opt.step()
    return opt


@pytest.mark.parametrize("cls, kwargs", [
    (SGD, {"momentum": 0.9, "nesterov": True}), (SGD, {}), (Adam, {"amsgrad": True}),
    (RMSprop, {"centered": True, "momentum": 0.5}), (Adagrad, {}), (Adadelta, {}),
    (Adam, {"clipnorm": 1.0, "weight_decay": 0.1, "loss_scale_factor": 2.0})])
def test_gradients_are_left_untouched(cls, kwargs):
    params, grads = make_params(), make_grads()
    apply_then_step(cls(**kwargs), params, grads)
    for got, expected in zip(grads, make_grads()):
        torch.testing.assert_close(got, expected, atol=0, rtol=0)


def test_step_skips_parameters_without_gradient_and_their_slots():
    params, grads = make_params(), make_grads()
    opt = Adam(learning_rate=0.1)
    opt.build(params)
    params[1].grad = grads[1]
    opt.step()
    torch.testing.assert_close(params[0].detach(), make_params()[0], atol=0, rtol=0)
    assert not params[1].detach().equal(make_params()[1])
    momentums = opt.variables[2:]  # kernel momentum, kernel velocity, bias momentum, ...
    assert momentums[0].abs().sum() == 0 and momentums[2].abs().sum() > 0


def test_step_with_no_gradient_at_all_is_a_no_op():
    params = make_params()
    opt = SGD()
    opt.build(params)
    opt.step()
    assert int(opt.iterations) == 0


def test_apply_to_a_subset_in_any_order_updates_the_right_slots():
    params, grads = make_params(), make_grads()
    opt = SGD(learning_rate=0.1, momentum=0.9)
    opt.build(params)
    opt.apply([grads[1]], [params[1]])
    momentum_kernel, momentum_bias = opt.variables[2:]
    assert momentum_kernel.abs().sum() == 0
    torch.testing.assert_close(momentum_bias, -0.1 * grads[1])


def test_apply_warns_about_missing_gradients_and_skips_them():
    params, grads = make_params(), make_grads()
    with pytest.warns(UserWarning, match=r"Gradients do not exist for variables \['#0'\]"):
        SGD().apply([None, grads[1]], params)
    torch.testing.assert_close(params[0].detach(), make_params()[0], atol=0, rtol=0)


def test_empty_gradient_list_is_a_no_op():
    opt = SGD()
    opt.apply([], [])
    opt.apply_gradients([])
    assert not opt.built and int(opt.iterations) == 0


def test_step_with_closure_returns_its_loss():
    params = make_params()
    opt = SGD(learning_rate=0.1)
    opt.build(params)

    def closure():
        opt.zero_grad()
        loss = (params[1] ** 2).sum()
        loss.backward()
        return loss

    expected_bias = make_params()[1] * (1 - 0.1 * 2)
    loss = opt.step(closure)
    torch.testing.assert_close(loss, (make_params()[1] ** 2).sum())
    torch.testing.assert_close(params[1].detach(), expected_bias)


def test_zero_grad_to_none_or_zeros():
    params = make_params()
    opt = SGD()
    opt.build(params)
    for p in params:
        p.grad = torch.ones_like(p)
    opt.zero_grad(set_to_none=False)
    assert all(p.grad is not None and p.grad.abs().sum() == 0 for p in params)
    opt.zero_grad()
    assert all(p.grad is None for p in params)


# -- learning rate and iterations ------------------------------------------------------------

def test_learning_rate_is_a_float_assignable_between_steps():
    params, grads = make_params(), make_grads()
    opt = SGD(learning_rate=0.1)
    assert isinstance(opt.learning_rate, float) and opt.learning_rate == 0.1
    opt.apply(grads, params)
    opt.learning_rate = 0.25
    assert opt.learning_rate == 0.25
    opt.apply(grads, params)
    torch.testing.assert_close(params[1].detach(), make_params()[1] - 0.35 * grads[1])
    assert opt.get_config()["learning_rate"] == 0.25


def test_iterations_is_a_device_int64_counter():
    params, grads = make_params(), make_grads()
    opt = Adam()
    assert opt.iterations.dtype == torch.int64 and opt.iterations.ndim == 0
    for _ in range(3):
        opt.apply(grads, params)
    assert int(opt.iterations) == 3 and opt.iterations.device == params[0].device


def test_an_update_never_reads_back_to_the_host(monkeypatch):
    def forbidden(*args, **kwargs):
        raise AssertionError("host-device sync in an optimizer update")

    for name in ("item", "tolist", "numpy", "cpu", "__bool__", "__float__", "__int__"):
        monkeypatch.setattr(torch.Tensor, name, forbidden)
    for cls, kwargs in [(Adam, {"amsgrad": True, "weight_decay": 0.1}),
                        (SGD, {"momentum": 0.9, "global_clipnorm": 1.0}),
                        (RMSprop, {"centered": True, "momentum": 0.5, "clipnorm": 1.0}),
                        (Adagrad, {"clipvalue": 0.5}), (Adadelta, {"loss_scale_factor": 2.0})]:
        params, grads = make_params(), make_grads()
        opt = apply_then_step(cls(**kwargs), params, grads)
        opt.learning_rate = 0.5
        opt.step()


def test_schedule_is_called_with_iterations_and_serialised(halving):
    params, grads = make_params(), make_grads()
    opt = SGD(learning_rate=halving(0.4))
    for _ in range(3):
        opt.apply(grads, params)
    torch.testing.assert_close(params[1].detach(), make_params()[1] - 0.7 * grads[1])
    assert opt.learning_rate == pytest.approx(0.05)
    assert len(opt.variables) == 1  # no learning_rate variable beside a schedule
    config = opt.get_config()
    assert config["learning_rate"]["class_name"] == "LaminaTestHalving"
    clone = SGD.from_config(config)
    assert isinstance(clone._schedule, Halving) and clone._schedule.initial == 0.4


def test_callable_learning_rate_is_called_each_update():
    params, grads = make_params(), make_grads()
    rates = iter([0.1, 0.2])
    opt = SGD(learning_rate=lambda: next(rates))
    opt.apply(grads, params)
    opt.apply(grads, params)
    torch.testing.assert_close(params[1].detach(), make_params()[1] - 0.3 * grads[1])
    opt.learning_rate = 0.5  # a plain callable may be replaced by a number
    assert opt.learning_rate == 0.5


def test_schedule_learning_rate_cannot_be_set_to_a_number(halving):
    opt = SGD(learning_rate=halving(0.1))
    with pytest.raises(TypeError, match="was created with a learning rate schedule"):
        opt.learning_rate = 0.01


@pytest.mark.parametrize("value", [-0.1, "fast", True, float("nan"), None])
def test_rejects_bad_learning_rate(value):
    with pytest.raises(ValueError, match=r"`Adam` expects `learning_rate` to be a "
                                         r"non-negative float.*Received: learning_rate="):
        Adam(learning_rate=value)
    opt = Adam()
    with pytest.raises(ValueError, match="expects `learning_rate`"):
        opt.learning_rate = value


def test_accepts_integer_and_numpy_learning_rates():
    assert SGD(learning_rate=1).learning_rate == 1.0
    assert SGD(learning_rate=np.float32(0.5)).learning_rate == 0.5


# -- variables and state --------------------------------------------------------------------

def test_variables_follow_keras_order_and_layout():
    params = make_params()
    params[0] = torch.nn.Parameter(torch.randn(2, 3, 4, 5).to(memory_format=torch.channels_last))
    opt = Adam(amsgrad=True)
    opt.build(params)
    variables = opt.variables
    assert variables[0] is opt.iterations and variables[1].dtype == torch.float32
    shapes = [tuple(v.shape) for v in variables[2:]]
    # m, v per parameter interleaved, then the velocity_hats: as Keras lists them
    assert shapes == [(2, 3, 4, 5), (2, 3, 4, 5), (4,), (4,), (2, 3, 4, 5), (4,)]
    assert variables[2].stride() == params[0].stride()


def test_save_and_load_own_variables_continue_identically():
    params, grads = make_params(), make_grads()
    opt = RMSprop(learning_rate=0.05, momentum=0.5)
    opt.apply(grads, params)
    store = {}
    opt.save_own_variables(store)
    assert sorted(store) == [str(i) for i in range(len(opt.variables))]
    assert store["0"] == 1 and store["1"] == np.float32(0.05)

    twin_params = [torch.nn.Parameter(p.detach().clone()) for p in params]
    twin = RMSprop(learning_rate=0.9, momentum=0.5)
    twin.build(twin_params)
    twin.load_own_variables(store)
    assert twin.learning_rate == pytest.approx(0.05) and int(twin.iterations) == 1
    opt.apply(grads, params)
    twin.apply(grads, twin_params)
    for a, b in zip(params, twin_params):
        torch.testing.assert_close(a, b, atol=0, rtol=0)


def test_load_own_variables_rejects_a_mismatched_store():
    opt = RMSprop(momentum=0.5)
    with pytest.raises(ValueError, match="has 2 variables but the store holds 1"):
        opt.load_own_variables({"0": np.array(3)})
    opt.build(make_params())
    store = {}
    opt.save_own_variables(store)
    store["2"] = np.zeros((5, 5), "float32")
    with pytest.raises(ValueError, match=r"variable 2 .* has shape \(3, 4\)"):
        opt.load_own_variables(store)


def test_build_is_idempotent():
    params = make_params()
    opt = Adam()
    opt.build(params)
    before = list(opt.variables)
    opt.build(make_params(5))
    assert all(a is b for a, b in zip(before, opt.variables)) and len(opt.variables) == 6


# -- gradient processing --------------------------------------------------------------------

def test_clipnorm_rescales_each_gradient_to_the_norm():
    params = make_params()
    grads = [torch.full((3, 4), 2.0), torch.tensor([0.0, 0.1, 0.0, 0.0])]
    SGD(learning_rate=1.0, clipnorm=1.0).apply(grads, params)
    torch.testing.assert_close(params[0].detach(), make_params()[0] - 2.0 / 48 ** 0.5)
    torch.testing.assert_close(params[1].detach(), make_params()[1] - grads[1])


def test_global_clipnorm_rescales_all_gradients_together():
    params = make_params()
    grads = [torch.full((3, 4), 1.0), torch.full((4,), 1.0)]
    SGD(learning_rate=1.0, global_clipnorm=2.0).apply(grads, params)
    torch.testing.assert_close(params[1].detach(), make_params()[1] - 2.0 / 16 ** 0.5)


def test_global_clipnorm_turns_an_infinite_norm_into_nan_as_keras():
    params = make_params()
    grads = [torch.full((3, 4), float("inf")), torch.ones(4)]
    SGD(global_clipnorm=1.0).apply(grads, params)
    assert params[1].isnan().all()


def test_clipvalue_clamps_each_entry():
    params = make_params()
    grads = [torch.zeros(3, 4), torch.tensor([-3.0, -0.2, 0.2, 3.0])]
    SGD(learning_rate=1.0, clipvalue=0.5).apply(grads, params)
    torch.testing.assert_close(params[1].detach(),
                               make_params()[1] - torch.tensor([-0.5, -0.2, 0.2, 0.5]))


def test_loss_scale_factor_scales_loss_and_unscales_gradients():
    params = make_params()
    opt = SGD(learning_rate=1.0, loss_scale_factor=4.0)
    assert opt.scale_loss(torch.tensor(2.0)) == 8.0
    opt.apply([torch.zeros(3, 4), torch.full((4,), 8.0)], params)
    torch.testing.assert_close(params[1].detach(), make_params()[1] - 2.0)
    assert SGD().scale_loss(3.0) == 3.0


class Named(torch.nn.Parameter):
    """A parameter with a Keras-style `name` (as lamina's `Variable` has)."""

    @property
    def name(self):
        return self._keras_name


def test_weight_decay_is_decoupled_and_respects_exclusions():
    params = make_params()
    params[1] = Named(params[1].detach())
    params[1]._keras_name = "bias"
    grads = [torch.zeros(3, 4), torch.zeros(4)]
    opt = Adam(learning_rate=0.1, weight_decay=0.5)
    opt.exclude_from_weight_decay(var_names=["bias"])
    opt.apply(grads, params)
    torch.testing.assert_close(params[0].detach(), make_params()[0] * (1 - 0.1 * 0.5))
    torch.testing.assert_close(params[1].detach(), make_params()[1], atol=0, rtol=0)

    params = make_params()
    opt = SGD(learning_rate=0.1, weight_decay=0.5)
    opt.exclude_from_weight_decay(var_list=[params[0]])
    opt.apply(grads, params)
    torch.testing.assert_close(params[0].detach(), make_params()[0], atol=0, rtol=0)
    torch.testing.assert_close(params[1].detach(), make_params()[1] * 0.95)


def test_exclude_from_weight_decay_after_build_is_an_error():
    opt = SGD(weight_decay=0.1)
    opt.build(make_params())
    with pytest.raises(RuntimeError, match="called after the optimizer was built"):
        opt.exclude_from_weight_decay(var_names=["bias"])


# -- a Keras-style custom optimizer ---------------------------------------------------------

class SignDescent(Optimizer):
    """Written as a Keras tutorial writes one: per-variable `update_step`."""

    def __init__(self, learning_rate=0.1, **kwargs):
        super().__init__(learning_rate=learning_rate, **kwargs)

    def build(self, var_list):
        if self.built:
            return
        super().build(var_list)
        self.counts = [self.add_variable_from_reference(v, "count") for v in var_list]
        self.scale = self.add_variable((), initializer=1.0, dtype="float32")

    def update_step(self, gradient, variable, learning_rate):
        self.assign_add(self.counts[self._get_variable_index(variable)], 1.0)
        self.assign_sub(variable, learning_rate * self.scale * torch.sign(gradient))


def test_keras_style_custom_optimizer_with_update_step():
    params, grads = make_params(), make_grads()
    opt = SignDescent()
    opt.apply(grads, params)
    torch.testing.assert_close(params[0].detach(), make_params()[0] - 0.1 * grads[0].sign())
    assert len(opt.variables) == 5 and opt.variables[2].sum() == 12
    opt.assign(opt.scale, 0.0)
    opt.apply(grads, params)
    torch.testing.assert_close(params[0].detach(), make_params()[0] - 0.1 * grads[0].sign())


def test_custom_optimizer_without_a_rule_is_an_error():
    class NoRule(Optimizer):
        pass

    with pytest.raises(TypeError, match="defines no update rule"):
        NoRule(learning_rate=0.1).apply(make_grads(), make_params())


def test_slot_initializers():
    opt = SignDescent()
    opt.build(make_params())
    assert opt.add_variable((2,), initializer="ones").tolist() == [1.0, 1.0]
    value = opt.add_variable((2,), initializer=lambda shape, dtype: np.full(shape, 3.0))
    assert value.tolist() == [3.0, 3.0] and value.dtype == torch.float32
    with pytest.raises(ValueError, match="expects `initializer` to be a number"):
        opt.add_variable((2,), initializer="glorot_uniform")


# -- errors ---------------------------------------------------------------------------------

def test_step_before_build_teaches_the_fix():
    with pytest.raises(RuntimeError, match=r"`Adam.step\(\)` was called before the optimizer "
                                           r"was built.*optimizer.build\("):
        Adam().step()


def test_apply_without_variables_before_build_is_an_error():
    with pytest.raises(RuntimeError, match=r"apply\(grads\)` was called before"):
        SGD().apply(make_grads())


def test_apply_rejects_mismatched_lengths():
    with pytest.raises(ValueError, match="one gradient per variable. Received 1 gradients"):
        SGD().apply(make_grads()[:1], make_params())


def test_apply_rejects_unknown_variables():
    opt = SGD()
    opt.build(make_params())
    with pytest.raises(ValueError, match="built for other variables"):
        opt.apply(make_grads(), make_params())


def test_apply_rejects_all_none_gradients():
    with pytest.raises(ValueError, match="no gradient for any variable"):
        SGD().apply([None, None], make_params())


def test_build_rejects_non_float_parameters():
    with pytest.raises(TypeError, match="can only update floating-point tensors"):
        SGD().build([torch.zeros(3, dtype=torch.int64)])


def test_build_rejects_parameters_on_several_devices():
    with pytest.raises(ValueError, match="all parameters on one device.*cpu, meta"):
        SGD().build([torch.zeros(2), torch.zeros(2, device="meta")])


def test_rejects_more_than_one_clipping_argument():
    with pytest.raises(ValueError, match="only one of `clipnorm`, `clipvalue` and "
                                         "`global_clipnorm`"):
        SGD(clipnorm=1.0, clipvalue=0.5)
    with pytest.raises(ValueError, match=r"`Adam` accepts only one of .*Received: "
                                         r"clipnorm=1.0, clipvalue=None, global_clipnorm=2.0"):
        Adam(clipnorm=1.0, global_clipnorm=2.0)


@pytest.mark.parametrize("arg, value", [("weight_decay", -0.1), ("clipnorm", "1"),
                                        ("clipvalue", -1.0), ("global_clipnorm", float("inf")),
                                        ("loss_scale_factor", -2.0), ("ema_momentum", 1.5)])
def test_rejects_bad_shared_arguments(arg, value):
    with pytest.raises(ValueError, match=rf"`SGD` expects `{arg}` to be .*Received: {arg}="):
        SGD(**{arg: value})
