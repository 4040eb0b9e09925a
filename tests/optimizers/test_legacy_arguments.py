"""Keras 2's optimizer arguments `lr` and `decay`, and the `optimizer.lr` alias."""

import re
import warnings

import numpy as np
import pytest
import torch

from lamina import optimizers
from lamina.optimizers import schedules
from tests.legacy_warnings import one_deprecation

CLASSES = [optimizers.SGD, optimizers.Adam, optimizers.RMSprop, optimizers.Adagrad,
           optimizers.Adadelta, optimizers.Adamax, optimizers.Nadam, optimizers.AdamW]


@pytest.mark.parametrize("cls", CLASSES, ids=lambda c: c.__name__)
def test_lr_is_learning_rate(cls):
    with one_deprecation(r"^`lr` is deprecated in Keras 3; use `learning_rate=0\.02`\.$"):
        opt = cls(lr=0.02)
    assert opt.learning_rate == 0.02
    assert opt.get_config() == cls(learning_rate=0.02).get_config()


def _sgd_path(opt, steps=3):
    """The weight after `steps` updates with gradient 1 from 1.0 (float32)."""
    w = torch.nn.Parameter(torch.tensor([1.0]))
    rates = []
    for _ in range(steps):
        rates.append(opt.learning_rate)
        opt.apply_gradients([(torch.tensor([1.0]), w)])
    return w.detach().item(), rates


def test_decay_is_keras2_time_based_decay():
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        opt = optimizers.SGD(lr=0.1, decay=0.5)
    assert [str(w.message) for w in caught] == [
        "`lr` is deprecated in Keras 3; use `learning_rate=0.1`.",
        "`decay` is deprecated in Keras 3; use `learning_rate=keras.optimizers.schedules."
        "InverseTimeDecay(0.1, decay_steps=1, decay_rate=0.5)`.",
    ]
    weight, rates = _sgd_path(opt)
    expected = [0.1 / (1 + 0.5 * t) for t in range(3)]  # Keras 2: lr / (1 + decay * iterations)
    np.testing.assert_allclose(rates, expected, rtol=1e-6)
    assert weight == pytest.approx(1.0 - sum(expected), rel=1e-6)


def test_decay_with_adam_matches_the_inverse_time_decay_schedule():
    with pytest.warns(DeprecationWarning, match="`decay` is deprecated"):
        legacy = optimizers.Adam(learning_rate=0.01, decay=1e-2)
    modern = optimizers.Adam(learning_rate=schedules.InverseTimeDecay(0.01, 1, 1e-2))
    a, b = torch.nn.Parameter(torch.tensor([1.0, -2.0])), torch.nn.Parameter(
        torch.tensor([1.0, -2.0]))
    for step in range(5):
        grad = torch.tensor([0.5, -1.0]) * (step + 1)
        legacy.apply_gradients([(grad, a)])
        modern.apply_gradients([(grad, b)])
    torch.testing.assert_close(a, b, rtol=0, atol=0)
    assert legacy.get_config() == modern.get_config()


def test_decayed_optimizer_round_trips_in_keras3_form_without_warning():
    with pytest.warns(DeprecationWarning):
        opt = optimizers.SGD(lr=0.1, decay=0.5, momentum=0.9)
    config = opt.get_config()
    assert config["learning_rate"]["class_name"] == "InverseTimeDecay"
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        again = optimizers.SGD.from_config(config)
    assert again.get_config() == config


def test_zero_decay_keeps_a_constant_settable_rate():
    with one_deprecation(r"^`decay` is deprecated in Keras 3 and `decay=0` changes nothing; "
                         r"remove it\.$"):
        opt = optimizers.SGD(learning_rate=0.1, decay=0.0)
    opt.learning_rate = 0.2
    assert _sgd_path(opt, steps=2)[1] == [0.2, 0.2]


def test_legacy_argument_errors():
    with pytest.raises(ValueError, match=re.escape(
            "`SGD` expects `decay` (Keras 2's time-based decay) to be a non-negative float. "
            "Received: decay=-0.1 (of type float).")):
        optimizers.SGD(decay=-0.1)
    with pytest.raises(ValueError, match=re.escape(
            "`Adam` cannot apply Keras 2's `decay` on top of a learning rate schedule")):
        optimizers.Adam(learning_rate=schedules.ExponentialDecay(0.1, 10, 0.9), decay=0.1)
    with pytest.raises(ValueError, match=re.escape(
            "`SGD` expects `learning_rate` to be a non-negative float. Received: "
            "learning_rate='fast' (of type str).")):
        optimizers.SGD(learning_rate="fast", decay=0.1)
    with pytest.raises(ValueError, match=re.escape(
            "Argument(s) not recognized: {'foo': 1}. `RMSprop` takes its own arguments")):
        optimizers.RMSprop(foo=1)


def test_lr_property_reads_and_sets_the_learning_rate():
    opt = optimizers.SGD(learning_rate=0.1)
    message = r"^`optimizer\.lr` is deprecated in Keras 3; use `optimizer\.learning_rate`\.$"
    with one_deprecation(message):
        assert opt.lr == 0.1
    with one_deprecation(message):
        opt.lr = 0.5
    weight, rates = _sgd_path(opt, steps=1)
    assert rates == [0.5] and weight == pytest.approx(0.5)


def test_lr_property_of_loss_scale_optimizer_is_the_inner_rate():
    inner = optimizers.SGD(learning_rate=0.1)
    opt = optimizers.LossScaleOptimizer(inner)
    with pytest.warns(DeprecationWarning, match="optimizer.lr"):
        opt.lr = 0.3
    assert inner.learning_rate == 0.3
