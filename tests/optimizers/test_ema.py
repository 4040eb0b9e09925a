"""The moving average of the weights (`use_ema`): Keras 3's rule, timing, state and errors."""

import numpy as np
import pytest
import torch

from lamina.optimizers import SGD, Adam, RMSprop
from tests.optimizers import features_golden

CASES = [c for c in features_golden.FIXTURE["trajectories"] if c["kwargs"].get("use_ema")]


def make_params():
    gen = torch.Generator().manual_seed(0)
    return [torch.nn.Parameter(torch.randn(3, 4, generator=gen)),
            torch.nn.Parameter(torch.randn(4, generator=gen))]


def make_grads(step):
    gen = torch.Generator().manual_seed(100 + step)
    return [torch.randn(3, 4, generator=gen), torch.randn(4, generator=gen)]


@pytest.mark.parametrize("case", CASES, ids=features_golden.case_id)
def test_trajectory_and_averages_match_keras(case):
    features_golden.check_case(case)


def test_step_from_dot_grad_matches_keras():
    features_golden.check_case(CASES[1], convention="step")


def test_average_copies_the_first_update_then_moves_by_the_momentum():
    params = make_params()
    opt = SGD(learning_rate=1.0, use_ema=True, ema_momentum=0.75)
    weights, averages = [], []
    for step in range(3):
        opt.apply(make_grads(step), params)
        weights.append(params[0].detach().clone())
        averages.append(opt.variables[2].clone())  # iteration, learning_rate, then averages
    expected = weights[0]
    torch.testing.assert_close(averages[0], expected, atol=0, rtol=0)
    for w, average in zip(weights[1:], averages[1:]):
        expected = 0.75 * expected + 0.25 * w
        torch.testing.assert_close(average, expected)


def test_overwrite_frequency_sets_the_weights_to_the_average_every_n_updates():
    params = make_params()
    opt = SGD(learning_rate=1.0, use_ema=True, ema_momentum=0.5, ema_overwrite_frequency=2)
    previous = params[1].detach().clone()
    for step in range(4):
        opt.apply(make_grads(step), params)
        stepped = previous - make_grads(step)[1]  # what SGD alone gives
        average = opt.variables[3]
        if step % 2 == 1:  # after updates 2 and 4
            torch.testing.assert_close(params[1].detach(), average, atol=0, rtol=0)
            assert not torch.allclose(params[1].detach(), stepped)
        else:
            torch.testing.assert_close(params[1].detach(), stepped)
        previous = params[1].detach().clone()


def test_variables_list_averages_before_the_rules_slots():
    params = make_params()
    opt = Adam(use_ema=True)
    opt.build(params)
    # iteration, learning_rate, 2 averages, then Adam's momentum/velocity per weight.
    shapes = [tuple(v.shape) for v in opt.variables]
    assert shapes == [(), (), (3, 4), (4,), (3, 4), (3, 4), (4,), (4,)]


def test_finalize_variable_values_copies_the_averages_into_the_weights():
    params = make_params()
    opt = Adam(learning_rate=0.1, use_ema=True, ema_momentum=0.9)
    for step in range(3):
        opt.apply(make_grads(step), params)
    averages = [a.clone() for a in opt.variables[2:4]]
    assert not torch.equal(params[0].detach(), averages[0])
    opt.finalize_variable_values(params)
    for p, a in zip(params, averages):
        torch.testing.assert_close(p.detach(), a, atol=0, rtol=0)
    params[0].data.fill_(7.0)
    opt.finalize_variable_values()  # defaults to the built parameters
    torch.testing.assert_close(params[0].detach(), averages[0], atol=0, rtol=0)


def test_finalize_variable_values_without_ema_leaves_the_weights():
    params = make_params()
    opt = SGD(learning_rate=0.1)
    opt.apply(make_grads(0), params)
    before = [p.detach().clone() for p in params]
    opt.finalize_variable_values(params)
    SGD(use_ema=True).finalize_variable_values(params)  # not built yet: nothing to copy
    for p, b in zip(params, before):
        torch.testing.assert_close(p.detach(), b, atol=0, rtol=0)


def test_finalize_variable_values_rejects_other_weights():
    params = make_params()
    opt = SGD(use_ema=True)
    opt.apply(make_grads(0), params)
    with pytest.raises(ValueError, match=r"`SGD.finalize_variable_values` expects the 2 "
                                         r"weights the optimizer was built with, in order. "
                                         r"Received 1 weights."):
        opt.finalize_variable_values(params[:1])


def test_restored_state_continues_identically():
    params = make_params()
    opt = RMSprop(learning_rate=0.05, use_ema=True, ema_overwrite_frequency=3)
    opt.apply(make_grads(0), params)
    opt.apply(make_grads(1), params)
    store = {}
    opt.save_own_variables(store)
    twin_params = [torch.nn.Parameter(p.detach().clone()) for p in params]
    twin = RMSprop(learning_rate=0.05, use_ema=True, ema_overwrite_frequency=3)
    twin.build(twin_params)
    twin.load_own_variables(store)  # iteration 2: the next update is the overwriting one
    for step in range(2, 5):
        opt.apply(make_grads(step), params)
        twin.apply(make_grads(step), twin_params)
    for a, b in zip(params + opt.variables, twin_params + twin.variables):
        torch.testing.assert_close(a, b, atol=0, rtol=0)


def test_update_never_reads_back_to_the_host(monkeypatch):
    def forbidden(*args, **kwargs):
        raise AssertionError("host-device sync in an optimizer update")

    params = make_params()
    opt = Adam(learning_rate=0.1, use_ema=True, ema_overwrite_frequency=2, clipnorm=1.0)
    opt.build(params)
    for name in ("item", "tolist", "numpy", "cpu", "__bool__", "__float__", "__int__"):
        monkeypatch.setattr(torch.Tensor, name, forbidden)
    for step in range(5):
        opt.apply(make_grads(step), params)
    monkeypatch.undo()
    assert int(opt.iterations) == 5


def test_config_round_trip():
    config = SGD(use_ema=True, ema_momentum=0.5, ema_overwrite_frequency=10).get_config()
    assert (config["use_ema"], config["ema_momentum"], config["ema_overwrite_frequency"]) == \
        (True, 0.5, 10)
    assert SGD.from_config(config).get_config() == config


@pytest.mark.parametrize("value", [0, -3, 2.5, True, "10"])
def test_rejects_bad_overwrite_frequency(value):
    with pytest.raises(ValueError, match=r"`SGD` expects `ema_overwrite_frequency` to be a "
                                         r"positive integer. Received: "
                                         r"ema_overwrite_frequency="):
        SGD(use_ema=True, ema_overwrite_frequency=value)


def test_rejects_bad_momentum():
    with pytest.raises(ValueError, match=r"`Adam` expects `ema_momentum` to be a float in "
                                         r"\[0, 1\]. Received: ema_momentum=-0.5"):
        Adam(use_ema=True, ema_momentum=-0.5)
    assert np.isclose(Adam(use_ema=True, ema_momentum=1).ema_momentum, 1.0)
