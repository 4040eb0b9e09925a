"""CosineDecay and CosineDecayRestarts: hand-computed values, properties and errors.

(Their values at many steps are checked against Keras in `test_learning_rate_schedule.py`.)
"""

import math

import pytest
import torch

from lamina.optimizers import schedules


def test_cosine_decay_follows_the_formula_with_warmup():
    schedule = schedules.CosineDecay(0.02, decay_steps=8, alpha=0.25, warmup_target=0.1,
                                     warmup_steps=4)
    for step in range(16):
        if step < 4:
            expected = 0.02 + (0.1 - 0.02) * step / 4
        else:
            fraction = min(step - 4, 8) / 8
            expected = 0.1 * (0.75 * 0.5 * (1 + math.cos(math.pi * fraction)) + 0.25)
        assert float(schedule(torch.tensor(step))) == pytest.approx(expected, rel=1e-6)


def test_cosine_decay_restarts_periods_grow_and_starts_shrink():
    schedule = schedules.CosineDecayRestarts(1.0, first_decay_steps=4, t_mul=2.0, m_mul=0.5)
    # Periods: [0, 4), [4, 12), [12, 28): each restarts at m_mul ** i.
    for start, length, i in [(0, 4, 0), (4, 8, 1), (12, 16, 2)]:
        for offset in range(length):
            expected = 0.5 ** i * 0.5 * (1 + math.cos(math.pi * offset / length))
            got = float(schedule(torch.tensor(start + offset)))
            assert got == pytest.approx(expected, rel=1e-5, abs=1e-7)
    assert schedule.t_mul == 2.0 and schedule.m_mul == 0.5


@pytest.mark.parametrize("cls, kwargs, message", [
    (schedules.CosineDecay, {"decay_steps": 0}, (r"`CosineDecay` expects `decay_steps` to be "
                                                r"a positive number. Received: decay_steps=0")),
    (schedules.CosineDecay, {"decay_steps": 10, "alpha": -0.1},
     r"`CosineDecay` expects `alpha` to be a non-negative number"),
    (schedules.CosineDecay, {"decay_steps": 10, "warmup_target": -1.0},
     r"`CosineDecay` expects `warmup_target` to be a non-negative number"),
    (schedules.CosineDecay, {"decay_steps": 10, "warmup_target": 0.1, "warmup_steps": -5},
     r"`CosineDecay` expects `warmup_steps` to be a non-negative number"),
    (schedules.CosineDecayRestarts, {"first_decay_steps": 0},
     r"`CosineDecayRestarts` expects `first_decay_steps` to be a positive number"),
    (schedules.CosineDecayRestarts, {"first_decay_steps": 10, "t_mul": 0.0},
     r"`CosineDecayRestarts` expects `t_mul` to be a positive number. Received: t_mul=0.0"),
    (schedules.CosineDecayRestarts, {"first_decay_steps": 10, "m_mul": -1.0},
     r"`CosineDecayRestarts` expects `m_mul` to be a non-negative number"),
    (schedules.CosineDecayRestarts, {"first_decay_steps": 10, "alpha": float("nan")},
     r"`CosineDecayRestarts` expects `alpha` to be a non-negative number"),
])
def test_rejects_bad_arguments(cls, kwargs, message):
    with pytest.raises(ValueError, match=message):
        cls(0.1, **kwargs)
