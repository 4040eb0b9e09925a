"""Schedules as optimizers' learning rates: Keras 3's trajectories, reading, assigning, state."""

import pytest
import torch

from lamina import optimizers
from lamina.optimizers import SGD, Adam, schedules
from tests.optimizers import features_golden

# A schedule together with clipping and weight decay (and EMA for RMSprop).
CASES = [c for c in features_golden.FIXTURE["trajectories"]
         if isinstance(c["kwargs"].get("learning_rate"), dict) and c["kwargs"].get("weight_decay")
         and c["optimizer"] != "Adafactor"]


def make_params():
    gen = torch.Generator().manual_seed(0)
    return [torch.nn.Parameter(torch.randn(3, 4, generator=gen)),
            torch.nn.Parameter(torch.randn(4, generator=gen))]


def make_grads(step):
    gen = torch.Generator().manual_seed(100 + step)
    return [torch.randn(3, 4, generator=gen), torch.randn(4, generator=gen)]


@pytest.mark.parametrize("case", CASES, ids=features_golden.case_id)
def test_schedule_with_clipping_and_weight_decay_matches_keras(case):
    features_golden.check_case(case)


def test_keras_saved_config_with_a_schedule_round_trips():
    keras_config = {
        "module": "keras.optimizers", "class_name": "SGD", "registered_name": None,
        "config": {"name": "SGD", "learning_rate": {
            "module": "keras.optimizers.schedules", "class_name": "ExponentialDecay",
            "config": {"initial_learning_rate": 0.1, "decay_steps": 10, "decay_rate": 0.9,
                       "staircase": False, "name": "ExponentialDecay"},
            "registered_name": None}, "momentum": 0.9}}
    opt = optimizers.get(keras_config)
    assert isinstance(opt._schedule, schedules.ExponentialDecay)
    assert opt.get_config()["learning_rate"] == keras_config["config"]["learning_rate"]


def test_learning_rate_reads_the_schedule_at_the_current_step():
    schedule = schedules.PiecewiseConstantDecay([1, 2], [0.5, 0.25, 0.125])
    params = make_params()
    start = params[1].detach().clone()
    opt = SGD(learning_rate=schedule)
    rates = []
    for step in range(4):
        rates.append(opt.learning_rate)
        opt.apply(make_grads(step), params)
    assert rates == [0.5, 0.5, 0.25, 0.125]
    expected = start - sum(r * make_grads(s)[1] for s, r in enumerate(rates))
    torch.testing.assert_close(params[1].detach(), expected)


def test_a_schedule_assigned_during_training_takes_over_from_the_step_reached():
    params = make_params()
    start = params[1].detach().clone()
    opt = SGD(learning_rate=0.5)
    opt.apply(make_grads(0), params)
    assert len(opt.variables) == 2  # iteration, learning_rate
    opt.learning_rate = schedules.InverseTimeDecay(1.0, decay_steps=1, decay_rate=1.0)
    assert len(opt.variables) == 1 and opt.learning_rate == pytest.approx(0.5)  # 1 / (1 + 1)
    opt.apply(make_grads(1), params)
    opt.apply(make_grads(2), params)
    expected = start - 0.5 * make_grads(0)[1] - 0.5 * make_grads(1)[1] - make_grads(2)[1] / 3
    torch.testing.assert_close(params[1].detach(), expected)
    with pytest.raises(TypeError, match="created with a learning rate schedule"):
        opt.learning_rate = 0.1


def test_restored_state_resumes_the_schedule_at_the_saved_step():
    schedule_config = {"initial_learning_rate": 0.2, "decay_steps": 2, "decay_rate": 0.5}
    params = make_params()
    opt = Adam(learning_rate=schedules.ExponentialDecay(**schedule_config))
    for step in range(3):
        opt.apply(make_grads(step), params)
    store = {}
    opt.save_own_variables(store)
    assert len(store) == 1 + 4  # iteration, then Adam's slots: no learning_rate variable
    twin_params = [torch.nn.Parameter(p.detach().clone()) for p in params]
    twin = Adam(learning_rate=schedules.ExponentialDecay(**schedule_config))
    twin.build(twin_params)
    twin.load_own_variables(store)
    assert twin.learning_rate == pytest.approx(0.2 * 0.5 ** 1.5)
    for step in range(3, 6):
        opt.apply(make_grads(step), params)
        twin.apply(make_grads(step), twin_params)
    for a, b in zip(params, twin_params):
        torch.testing.assert_close(a, b, atol=0, rtol=0)


def test_update_with_a_schedule_never_reads_back_to_the_host(monkeypatch):
    def forbidden(*args, **kwargs):
        raise AssertionError("host-device sync in an optimizer update")

    cases = [Adam(learning_rate=schedules.CosineDecay(0.0, 4, warmup_target=0.1,
                                                      warmup_steps=2), weight_decay=0.1),
             SGD(learning_rate=schedules.PiecewiseConstantDecay([2], [0.1, 0.01]),
                 momentum=0.9, global_clipnorm=1.0),
             SGD(learning_rate=schedules.CosineDecayRestarts(0.1, 2), clipnorm=1.0)]
    all_params = [make_params() for _ in cases]
    for opt, params in zip(cases, all_params):
        opt.build(params)
    for name in ("item", "tolist", "numpy", "cpu", "__bool__", "__float__", "__int__",
                 "__index__"):
        monkeypatch.setattr(torch.Tensor, name, forbidden)
    for opt, params in zip(cases, all_params):
        for step in range(4):
            opt.apply(make_grads(step), params)
