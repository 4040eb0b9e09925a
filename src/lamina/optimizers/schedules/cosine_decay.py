"""Cosine learning rate schedules: cosine decay with optional linear warmup, and SGDR restarts.

See `learning_rate_schedule.py` for how schedules run (on the device, from the step counter).
"""

import math

import numpy as np
import torch

from lamina import registry
from lamina.optimizers.schedules.learning_rate_schedule import (
    MODULE,
    LearningRateSchedule,
    check_number,
    f32,
    step_as_float,
)


def _half_cosine(fraction):
    """`0.5 * (1 + cos(pi * fraction))`, from 1 at 0 to 0 at 1, in place on `fraction`."""
    return fraction.mul_(f32(math.pi)).cos_().add_(1.0).mul_(0.5)


def _decayed(fraction, alpha, start):
    """`start * ((1 - alpha) * half_cosine(fraction) + alpha)`, in place on `fraction`."""
    return _half_cosine(fraction).mul_(f32(1.0 - alpha)).add_(f32(alpha)).mul_(f32(start))


@registry.register(MODULE)
class CosineDecay(LearningRateSchedule):
    """Cosine decay, after an optional linear warmup (Loshchilov & Hutter, 2016).

    Without `warmup_target` the rate falls from `initial_learning_rate` along half a cosine
    to `initial_learning_rate * alpha` over `decay_steps` steps, and stays there:

        s = min(step, decay_steps)
        rate = initial_learning_rate * ((1 - alpha) * 0.5 * (1 + cos(pi * s / decay_steps))
                                        + alpha)

    With `warmup_target`, the rate first rises linearly from `initial_learning_rate` to
    `warmup_target` over `warmup_steps` steps, then decays as above from `warmup_target`
    to `warmup_target * alpha`, over the next `decay_steps` steps.

    Args:
        initial_learning_rate: Non-negative float, the rate at step 0.
        decay_steps: Positive number of steps to decay over.
        alpha: Non-negative float, the final rate as a fraction of the decay's start.
            Defaults to `0.0`.
        name: String. Defaults to `"CosineDecay"`.
        warmup_target: Non-negative float, the rate reached at the end of the warmup, or
            `None` for no warmup. Defaults to `None`.
        warmup_steps: Non-negative number of warmup steps. Defaults to `0`.

    Example:

    >>> from lamina.optimizers import schedules
    >>> schedule = schedules.CosineDecay(0.0, decay_steps=10, warmup_target=0.2,
    ...                                  warmup_steps=4)
    >>> [round(float(schedule(step)), 6) for step in (0, 2, 4, 9, 14, 99)]
    [0.0, 0.1, 0.2, 0.1, 0.0, 0.0]
    """

    def __init__(self, initial_learning_rate, decay_steps, alpha=0.0, name="CosineDecay",
                 warmup_target=None, warmup_steps=0):
        self.initial_learning_rate = check_number(initial_learning_rate,
                                                  "initial_learning_rate", self)
        self.decay_steps = check_number(decay_steps, "decay_steps", self, strict=True)
        self.alpha = check_number(alpha, "alpha", self)
        self.name = name
        self.warmup_target = None if warmup_target is None else check_number(
            warmup_target, "warmup_target", self)
        self.warmup_steps = check_number(warmup_steps, "warmup_steps", self)

    def __call__(self, step):
        step = step_as_float(step)
        decay_steps = f32(self.decay_steps)
        if self.warmup_target is None:
            fraction = step.clamp_(max=decay_steps).div_(decay_steps)
            return _decayed(fraction, self.alpha, self.initial_learning_rate)
        warmup_steps = f32(self.warmup_steps)
        step = step.clamp_(max=f32(np.float32(decay_steps) + np.float32(warmup_steps)))
        # Both branches on the device, then one `where`: no host-side branch on the step.
        delta = f32(np.float32(self.warmup_target) - np.float32(self.initial_learning_rate))
        warmup = (step / warmup_steps).mul_(delta).add_(f32(self.initial_learning_rate))
        fraction = (step - warmup_steps).div_(decay_steps)
        decay = _decayed(fraction, self.alpha, self.warmup_target)
        return torch.where(step < warmup_steps, warmup, decay)

    def get_config(self):
        return {"initial_learning_rate": self.initial_learning_rate,
                "decay_steps": self.decay_steps, "alpha": self.alpha, "name": self.name,
                "warmup_target": self.warmup_target, "warmup_steps": self.warmup_steps}


@registry.register(MODULE)
class CosineDecayRestarts(LearningRateSchedule):
    """Cosine decay with warm restarts (SGDR, Loshchilov & Hutter, 2016).

    The rate decays along half a cosine from `initial_learning_rate` to
    `initial_learning_rate * alpha` over `first_decay_steps` steps, then restarts: period
    `i` (from 0) lasts `first_decay_steps * t_mul ** i` steps and starts from
    `initial_learning_rate * m_mul ** i`.

    Args:
        initial_learning_rate: Non-negative float, the rate at step 0.
        first_decay_steps: Positive number of steps of the first period.
        t_mul: Positive float, the growth of each period's length. Defaults to `2.0`.
        m_mul: Non-negative float, the factor on each period's starting rate.
            Defaults to `1.0`.
        alpha: Non-negative float, the lowest rate as a fraction of the period's start.
            Defaults to `0.0`.
        name: String. Defaults to `"SGDRDecay"`.

    Example:

    >>> from lamina.optimizers import schedules
    >>> schedule = schedules.CosineDecayRestarts(1.0, first_decay_steps=10, m_mul=0.5)
    >>> [round(float(schedule(step)), 6) for step in (0, 5, 10, 20)]
    [1.0, 0.5, 0.5, 0.25]
    """

    def __init__(self, initial_learning_rate, first_decay_steps, t_mul=2.0, m_mul=1.0,
                 alpha=0.0, name="SGDRDecay"):
        self.initial_learning_rate = check_number(initial_learning_rate,
                                                  "initial_learning_rate", self)
        self.first_decay_steps = check_number(first_decay_steps, "first_decay_steps", self,
                                              strict=True)
        self._t_mul = check_number(t_mul, "t_mul", self, strict=True)
        self._m_mul = check_number(m_mul, "m_mul", self)
        self.alpha = check_number(alpha, "alpha", self)
        self.name = name

    @property
    def t_mul(self):
        return self._t_mul

    @property
    def m_mul(self):
        return self._m_mul

    def __call__(self, step):
        fraction = step_as_float(step).div_(f32(self.first_decay_steps))
        t_mul = np.float32(self._t_mul)
        if t_mul == 1.0:  # every period is as long as the first
            restart = fraction.floor()
            fraction = fraction.sub_(restart)
        else:  # periods grow geometrically: find the period from the log of the elapsed sum
            log_t_mul = f32(np.log(t_mul))  # float32, as Keras takes the log of a float32
            restart = (fraction * f32(t_mul - np.float32(1.0))).add_(1.0).log_().div_(
                log_t_mul).floor_()
            scale = torch.pow(f32(t_mul), restart)  # t_mul ** restart
            elapsed = (1.0 - scale).div_(f32(np.float32(1.0) - t_mul))  # periods before
            fraction = fraction.sub_(elapsed).div_(scale)
        cosine = _half_cosine(fraction).mul_(torch.pow(f32(self._m_mul), restart))
        alpha = np.float32(self.alpha)  # Keras casts alpha to float32 first here
        return cosine.mul_(f32(np.float32(1.0) - alpha)).add_(f32(alpha)).mul_(
            f32(self.initial_learning_rate))

    def get_config(self):
        return {"initial_learning_rate": self.initial_learning_rate,
                "first_decay_steps": self.first_decay_steps, "t_mul": self._t_mul,
                "m_mul": self._m_mul, "alpha": self.alpha, "name": self.name}
