"""Each optimizer's arguments, config and lookup, and the rules checked against formulas."""

import numpy as np
import pytest
import torch

from lamina import optimizers
from lamina.optimizers import SGD, Adadelta, Adagrad, Adam, RMSprop

# Keras 3's defaults, beyond those shared by every optimizer.
DEFAULTS = {
    SGD: {"learning_rate": 0.01, "momentum": 0.0, "nesterov": False},
    Adam: {"learning_rate": 0.001, "beta_1": 0.9, "beta_2": 0.999, "epsilon": 1e-7,
           "amsgrad": False},
    RMSprop: {"learning_rate": 0.001, "rho": 0.9, "momentum": 0.0, "epsilon": 1e-7,
              "centered": False},
    Adagrad: {"learning_rate": 0.001, "initial_accumulator_value": 0.1, "epsilon": 1e-7},
    Adadelta: {"learning_rate": 0.001, "rho": 0.95, "epsilon": 1e-7},
}
SHARED = {"weight_decay": None, "clipnorm": None, "global_clipnorm": None, "clipvalue": None,
          "use_ema": False, "ema_momentum": 0.99, "ema_overwrite_frequency": None,
          "loss_scale_factor": None, "gradient_accumulation_steps": None}


@pytest.mark.parametrize("cls", list(DEFAULTS))
def test_config_has_keras_keys_and_defaults(cls):
    name = {"RMSprop": "rm_sprop"}.get(cls.__name__, cls.__name__.lower())
    assert cls().get_config() == {"name": name, **DEFAULTS[cls], **SHARED}


@pytest.mark.parametrize("cls, kwargs", [
    (SGD, {"learning_rate": 0.2, "momentum": 0.5, "nesterov": True, "clipnorm": 1.0}),
    (Adam, {"beta_1": 0.8, "amsgrad": True, "weight_decay": 0.01, "name": "opt"}),
    (RMSprop, {"rho": 0.5, "centered": True, "global_clipnorm": 2.0}),
    (Adagrad, {"initial_accumulator_value": 0.0, "clipvalue": 0.1}),
    (Adadelta, {"rho": 0.5, "epsilon": 1e-6, "loss_scale_factor": 128.0}),
])
def test_config_round_trip(cls, kwargs):
    config = cls(**kwargs).get_config()
    assert cls.from_config(config).get_config() == config
    assert all(config[k] == v for k, v in kwargs.items())


def test_serialize_is_keras_dict_form_and_deserializes():
    data = optimizers.serialize(Adam(learning_rate=0.01))
    assert data["module"] == "keras.optimizers" and data["class_name"] == "Adam"
    assert data["registered_name"] is None and data["config"]["learning_rate"] == 0.01
    assert isinstance(optimizers.deserialize(data), Adam)


def test_from_config_reads_a_keras_saved_config():
    # As Keras 3.15 writes it: the rate read back from its float32 variable.
    config = {"name": "adam", "learning_rate": 0.0010000000474974513, **SHARED,
              "beta_1": 0.9, "beta_2": 0.999, "epsilon": 1e-07, "amsgrad": False}
    opt = optimizers.deserialize({"module": "keras.optimizers", "class_name": "Adam",
                                  "config": config, "registered_name": None})
    assert opt.learning_rate == pytest.approx(1e-3)


@pytest.mark.parametrize("identifier, cls", [
    ("sgd", SGD), ("adam", Adam), ("rmsprop", RMSprop), ("adagrad", Adagrad),
    ("adadelta", Adadelta), ("Adam", Adam), ("RMSprop", RMSprop), ("ADAM", Adam),
    ({"class_name": "rmsprop", "config": {"learning_rate": 0.5}}, RMSprop),
])
def test_get_resolves_names_and_dicts(identifier, cls):
    opt = optimizers.get(identifier)
    assert type(opt) is cls


def test_get_returns_an_instance_unchanged():
    opt = SGD()
    assert optimizers.get(opt) is opt


def test_get_unknown_name_lists_names_and_closest_match():
    with pytest.raises(ValueError, match=r"Unknown optimizer: 'adamm'. Did you mean 'adam'\?"
                                         r" Valid names are: .*adadelta"):
        optimizers.get("adamm")


def test_get_rejects_other_identifiers():
    with pytest.raises(TypeError, match="Could not interpret optimizer identifier.*of type int"):
        optimizers.get(42)


@pytest.mark.parametrize("cls, arg, value, expected", [
    (SGD, "momentum", 1.5, r"a float in \[0, 1\]"),
    (SGD, "momentum", "0.9", r"a float in \[0, 1\]"),
    (Adam, "beta_1", 1.0, r"a float in \[0, 1\)"),
    (Adam, "beta_2", -0.1, r"a float in \[0, 1\)"),
    (Adam, "epsilon", -1e-7, "a non-negative float"),
    (RMSprop, "rho", 1.0, r"a float in \[0, 1\)"),
    (RMSprop, "momentum", -0.5, r"a float in \[0, 1\]"),
    (RMSprop, "epsilon", None, "a non-negative float"),
    (Adagrad, "initial_accumulator_value", -0.1, "a non-negative float"),
    (Adagrad, "epsilon", True, "a non-negative float"),
    (Adadelta, "rho", 2.0, r"a float in \[0, 1\)"),
    (Adadelta, "epsilon", float("nan"), "a non-negative float"),
])
def test_rejects_out_of_range_hyperparameters(cls, arg, value, expected):
    with pytest.raises(ValueError, match=rf"`{cls.__name__}` expects `{arg}` to be {expected}. "
                                         rf"Received: {arg}="):
        cls(**{arg: value})


def test_adam_rejects_parameters_its_kernels_cannot_update():
    param = torch.nn.Parameter(torch.zeros(3).to(torch.float8_e4m3fn), requires_grad=False)
    opt = Adam()
    with pytest.raises(ValueError, match="runs on torch's fused Adam kernel.*float8_e4m3fn"):
        opt.build([param])
    assert not opt.built


def keras_adam_float64(weights, grads, lr, beta_1, beta_2, epsilon, amsgrad):
    """Keras' Adam written out in numpy."""
    w, m, v, v_hat = weights.copy(), 0 * weights, 0 * weights, 0 * weights
    for t, g in enumerate(grads, start=1):
        alpha = lr * np.sqrt(1 - beta_2 ** t) / (1 - beta_1 ** t)
        m += (g - m) * (1 - beta_1)
        v += (g * g - v) * (1 - beta_2)
        v_hat = np.maximum(v_hat, v)
        w -= alpha * m / (np.sqrt(v_hat if amsgrad else v) + epsilon)
    return w


@pytest.mark.parametrize("amsgrad", [False, True])
def test_adam_float64_follows_the_formula(amsgrad):
    rng = np.random.default_rng(3)
    weights = rng.normal(size=(5, 3))
    grads = [rng.normal(size=(5, 3)) * s for s in (1.0, 1e-6, 0.3, 2.0)]
    param = torch.nn.Parameter(torch.tensor(weights))
    opt = Adam(learning_rate=0.1, epsilon=1e-5, amsgrad=amsgrad)
    for g in grads:
        opt.apply([torch.tensor(g)], [param])
    lr = float(np.float32(0.1))  # the rate lives in a float32 tensor, as Keras' variable
    expected = keras_adam_float64(weights, grads, lr, 0.9, 0.999, 1e-5, amsgrad)
    # torch's kernel reads the corrected rate as float32 (6e-8 relative): four steps of
    # about 0.1 stay within 3e-8 of float64 Keras.
    np.testing.assert_allclose(param.detach().numpy(), expected, rtol=0, atol=3e-8)
    assert param.dtype == torch.float64 and opt.variables[2].dtype == torch.float64


@pytest.mark.parametrize("cls", [Adam, optimizers.AdamW])
@pytest.mark.parametrize("amsgrad", [False, True])
def test_adam_over_two_dtypes_updates_each_as_alone(cls, amsgrad):
    """One optimizer over float32 and bfloat16 weights (torch's grouping path) moves each
    exactly as an optimizer of its own (the direct fused-kernel path)."""
    rng = np.random.default_rng(5)
    values = [rng.normal(size=(4, 3)), rng.normal(size=(3,))]
    grads = [[rng.normal(size=v.shape) for v in values] for _ in range(3)]
    dtypes = (torch.float32, torch.bfloat16)
    mixed = [torch.nn.Parameter(torch.tensor(v, dtype=d)) for v, d in zip(values, dtypes)]
    alone = [torch.nn.Parameter(torch.tensor(v, dtype=d)) for v, d in zip(values, dtypes)]
    together = cls(learning_rate=0.05, amsgrad=amsgrad)
    separate = [cls(learning_rate=0.05, amsgrad=amsgrad) for _ in alone]
    for step in grads:
        together.apply([torch.tensor(g, dtype=d) for g, d in zip(step, dtypes)], mixed)
        for opt, g, p, d in zip(separate, step, alone, dtypes):
            opt.apply([torch.tensor(g, dtype=d)], [p])
    assert not together._one_group and all(opt._one_group for opt in separate)
    for got, want, value in zip(mixed, alone, values):
        assert not torch.equal(got.detach(), torch.tensor(value, dtype=got.dtype))  # it moved
        assert torch.equal(got.detach(), want.detach())


def test_rmsprop_centered_momentum_follows_the_formula():
    rng = np.random.default_rng(4)
    w = rng.normal(size=(6,))
    grads = [rng.normal(size=(6,)) for _ in range(3)]
    param = torch.nn.Parameter(torch.tensor(w))
    opt = RMSprop(learning_rate=0.01, rho=0.8, momentum=0.5, epsilon=1e-4, centered=True)
    lr = float(np.float32(0.01))  # the rate lives in a float32 tensor, as Keras' variable
    v, a, m = 0 * w, 0 * w, 0 * w
    for g in grads:
        opt.apply([torch.tensor(g)], [param])
        v = 0.8 * v + 0.2 * g * g
        a = 0.8 * a + 0.2 * g
        m = 0.5 * m + lr * g / np.sqrt(v - a * a + 1e-4)
        w = w - m
    np.testing.assert_allclose(param.detach().numpy(), w, rtol=1e-12, atol=1e-12)


def test_adagrad_and_adadelta_follow_the_formulas():
    rng = np.random.default_rng(5)
    w0 = rng.normal(size=(6,))
    grads = [rng.normal(size=(6,)) for _ in range(3)]
    adagrad, adadelta = (torch.nn.Parameter(torch.tensor(w0)) for _ in range(2))
    opt_a = Adagrad(learning_rate=0.5, initial_accumulator_value=0.0, epsilon=1e-3)
    opt_d = Adadelta(learning_rate=2.0, rho=0.7, epsilon=1e-3)
    w_a, w_d, acc, acc_g, acc_d = w0.copy(), w0.copy(), 0 * w0, 0 * w0, 0 * w0
    for g in grads:
        opt_a.apply([torch.tensor(g)], [adagrad])
        opt_d.apply([torch.tensor(g)], [adadelta])
        acc = acc + g * g
        w_a = w_a - 0.5 * g / np.sqrt(acc + 1e-3)
        acc_g = 0.7 * acc_g + 0.3 * g * g
        delta = np.sqrt(acc_d + 1e-3) / np.sqrt(acc_g + 1e-3) * g
        acc_d = 0.7 * acc_d + 0.3 * delta * delta
        w_d = w_d - 2.0 * delta
    np.testing.assert_allclose(adagrad.detach().numpy(), w_a, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(adadelta.detach().numpy(), w_d, rtol=1e-12, atol=1e-12)
