import copy
import gc
import json
import pickle

import numpy as np
import pytest
import torch

from lamina import optimizers
from lamina.optimizers.learning_rate_value import LearningRateValue


def test_reads_as_a_plain_float():
    rate = optimizers.Adam(learning_rate=0.25).learning_rate
    assert isinstance(rate, float) and isinstance(rate, LearningRateValue)
    assert rate == 0.25 and rate * 2 == 0.5 and type(rate * 2) is float
    assert f"{rate:.2f}" == "0.25" and repr(rate) == "0.25" and json.dumps(rate) == "0.25"
    assert rate.numpy() == np.float32(0.25) and isinstance(rate.numpy(), np.float32)


def test_assign_sets_the_rate_of_the_next_update():
    opt = optimizers.SGD(learning_rate=0.1)
    opt.learning_rate.assign(0.5)
    w = torch.nn.Parameter(torch.tensor([1.0]))
    opt.apply_gradients([(torch.tensor([1.0]), w)])
    assert opt.learning_rate == 0.5 and w.item() == pytest.approx(0.5)


def test_assign_goes_through_the_setter_checks():
    opt = optimizers.SGD(learning_rate=0.1)
    with pytest.raises(ValueError, match="`SGD` expects `learning_rate` to be a non-negative"):
        opt.learning_rate.assign(-1.0)
    scheduled = optimizers.SGD(learning_rate=optimizers.schedules.ExponentialDecay(0.1, 1, 0.5))
    with pytest.raises(TypeError, match="was created with a learning rate schedule"):
        scheduled.learning_rate.assign(0.2)


def test_copies_and_pickles_are_plain_floats():
    rate = optimizers.SGD(learning_rate=0.1).learning_rate
    for clone in (copy.copy(rate), copy.deepcopy(rate), pickle.loads(pickle.dumps(rate))):
        assert type(clone) is float and clone == 0.1


def test_rate_of_a_deleted_optimizer_cannot_be_assigned():
    rate = optimizers.SGD(learning_rate=0.1).learning_rate
    gc.collect()
    assert rate == 0.1
    with pytest.raises(RuntimeError, match="belonged to an optimizer that no longer exists"):
        rate.assign(0.2)


def test_loss_scale_optimizer_rate_assigns_the_inner_optimizer():
    inner = optimizers.SGD(learning_rate=0.1)
    optimizers.LossScaleOptimizer(inner).learning_rate.assign(0.4)
    assert inner.learning_rate == 0.4
