"""Gradient accumulation (`gradient_accumulation_steps`): Keras 3's semantics and counting."""

import pytest
import torch

from lamina.optimizers import SGD, Adafactor, Adam, Ftrl, schedules
from tests.optimizers import features_golden

CASES = features_golden.cases("SGD", gradient_accumulation_steps=True) + \
    features_golden.cases("Adam", gradient_accumulation_steps=True)


def make_params():
    gen = torch.Generator().manual_seed(0)
    return [torch.nn.Parameter(torch.randn(3, 4, generator=gen)),
            torch.nn.Parameter(torch.randn(4, generator=gen))]


def make_grads(step):
    gen = torch.Generator().manual_seed(100 + step)
    return [torch.randn(3, 4, generator=gen), torch.randn(4, generator=gen)]


@pytest.mark.parametrize("case", CASES, ids=features_golden.case_id)
def test_trajectory_and_iterations_match_keras(case):
    features_golden.check_case(case)


def test_step_from_dot_grad_matches_keras():
    features_golden.check_case(CASES[0], convention="step")


def test_updates_with_the_mean_at_the_last_call_of_each_window():
    params = make_params()
    start = params[1].detach().clone()
    opt = SGD(learning_rate=1.0, gradient_accumulation_steps=2)
    opt.apply(make_grads(0), params)
    torch.testing.assert_close(params[1].detach(), start, atol=0, rtol=0)
    accumulators = opt.variables[2:]  # iteration, learning_rate, then one per weight
    torch.testing.assert_close(accumulators[1], make_grads(0)[1])
    assert int(opt.iterations) == 0 and int(opt.variables[0]) == 1
    opt.apply(make_grads(1), params)
    mean = (make_grads(0)[1] + make_grads(1)[1]) / 2
    torch.testing.assert_close(params[1].detach(), start - mean)
    assert all(a.abs().sum() == 0 for a in accumulators)
    assert int(opt.iterations) == 1 and int(opt.variables[0]) == 2


@pytest.mark.parametrize("cls, kwargs", [
    (Adam, {"learning_rate": 0.1, "amsgrad": True}), (Adafactor, {"learning_rate": 0.1}),
    (Ftrl, {"learning_rate": 0.1, "l1_regularization_strength": 0.01}),
    (SGD, {"learning_rate": 0.1, "momentum": 0.9, "weight_decay": 0.1, "clipnorm": 0.5})])
def test_equals_updates_with_the_mean_gradients(cls, kwargs):
    # Rules that count steps (Adam's bias correction, Adafactor's decay) see updates, not
    # calls; clipping and weight decay apply once per update, to the mean.
    params, twin_params = make_params(), make_params()
    opt = cls(gradient_accumulation_steps=3, **kwargs)
    twin = cls(**kwargs)
    for update in range(3):
        window = [make_grads(3 * update + i) for i in range(3)]
        for grads in window:
            opt.apply(grads, params)
        twin.apply([sum(g) / 3 for g in zip(*window)], twin_params)
    for a, b in zip(params, twin_params):
        torch.testing.assert_close(a, b, rtol=1e-6, atol=1e-7)
    assert int(opt.iterations) == int(twin.iterations) == 3


class Recording(schedules.LearningRateSchedule):
    """A constant rate that records the steps it is called with."""

    def __init__(self):
        self.seen = []

    def __call__(self, step):
        self.seen.append(step.clone())
        return torch.tensor(0.1)


def test_schedule_sees_every_call():
    schedule = Recording()
    opt = SGD(learning_rate=schedule, gradient_accumulation_steps=2)
    params = make_params()
    for step in range(6):
        opt.apply(make_grads(step), params)
    # Called at the updates only, with Keras' call count (the window's last call).
    assert [int(s) for s in schedule.seen] == [1, 3, 5]
    assert int(opt.iterations) == 3


def test_missing_gradients_accumulate_only_the_others():
    params = make_params()
    start = [p.detach().clone() for p in params]
    opt = SGD(learning_rate=1.0, gradient_accumulation_steps=2)
    with pytest.warns(UserWarning, match="Gradients do not exist"):
        opt.apply([None, make_grads(0)[1]], params)
    opt.apply(make_grads(1), params)
    torch.testing.assert_close(params[0].detach(), start[0] - make_grads(1)[0] / 2)
    torch.testing.assert_close(params[1].detach(),
                               start[1] - (make_grads(0)[1] + make_grads(1)[1]) / 2)


def test_restored_state_mid_window_continues_identically():
    params = make_params()
    opt = Adam(learning_rate=0.1, gradient_accumulation_steps=3)
    for step in range(4):  # one update, then one call into the second window
        opt.apply(make_grads(step), params)
    store = {}
    opt.save_own_variables(store)
    assert int(store["0"]) == 4  # Keras saves the call count
    twin_params = [torch.nn.Parameter(p.detach().clone()) for p in params]
    twin = Adam(learning_rate=0.1, gradient_accumulation_steps=3)
    twin.build(twin_params)
    twin.load_own_variables(store)
    assert int(twin.iterations) == 1
    for step in range(4, 9):
        opt.apply(make_grads(step), params)
        twin.apply(make_grads(step), twin_params)
    for a, b in zip(params + opt.variables, twin_params + twin.variables):
        torch.testing.assert_close(a, b, atol=0, rtol=0)
    assert int(twin.iterations) == 3


def test_update_never_reads_back_to_the_host(monkeypatch):
    def forbidden(*args, **kwargs):
        raise AssertionError("host-device sync in an optimizer update")

    params = make_params()
    opt = Adam(learning_rate=0.1, gradient_accumulation_steps=2, use_ema=True,
               global_clipnorm=1.0, weight_decay=0.01)
    opt.build(params)
    for name in ("item", "tolist", "numpy", "cpu", "__bool__", "__float__", "__int__"):
        monkeypatch.setattr(torch.Tensor, name, forbidden)
    for step in range(5):
        for p, g in zip(params, make_grads(step)):
            p.grad = g
        opt.step()
    monkeypatch.undo()
    assert int(opt.iterations) == 2 and int(opt.variables[0]) == 5


def test_config_round_trip():
    config = Adam(gradient_accumulation_steps=4).get_config()
    assert config["gradient_accumulation_steps"] == 4
    assert Adam.from_config(config).get_config() == config


@pytest.mark.parametrize("value", [1, 0, -2, 2.5, True, "4"])
def test_rejects_bad_steps(value):
    with pytest.raises(ValueError, match=r"`Adam` expects `gradient_accumulation_steps` to be "
                                         r"an integer >= 2 or None. Received: "
                                         r"gradient_accumulation_steps="):
        Adam(gradient_accumulation_steps=value)
