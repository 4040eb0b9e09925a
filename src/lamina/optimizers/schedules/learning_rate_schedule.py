"""Learning rate schedules: the base class and the decays by step count.

A schedule is called with the optimizer's step counter (a 0-d int64 tensor on the device) at
every update and returns the rate as a 0-d float32 tensor on the same device, computed with a
few scalar torch ops: no value is read back to the host, so training never waits on it.
Constants are rounded to float32 on the host, once, as Keras computes them in float32.
"""

import itertools
import math
import numbers

import numpy as np
import torch

from lamina import config, registry
from lamina.validation import received

MODULE = "keras.optimizers.schedules"


def f32(value):
    """`value` rounded to float32, as a Python float (a kernel argument, not a tensor)."""
    return float(np.float32(value))


def step_as_float(step):
    """The step as a new 0-d float32 tensor on its device (a Python number goes to the
    default device); the schedules may update it in place."""
    if isinstance(step, torch.Tensor):
        return step.to(torch.float32, copy=True)
    return torch.tensor(float(step), dtype=torch.float32, device=config.device())


def check_number(value, arg, owner, minimum=0.0, strict=False):
    """Return `value` as a float if it is a finite real number `>= minimum` (`>` when
    `strict`; no bound when `minimum` is `None`), else raise the Keras-style `ValueError`."""
    ok = (isinstance(value, numbers.Real) and not isinstance(value, bool)
          and math.isfinite(value)
          and (minimum is None or value > minimum or (value == minimum and not strict)))
    if not ok:
        if minimum is None:
            expected = "a finite number"
        elif minimum == 0:
            expected = "a positive number" if strict else "a non-negative number"
        else:
            expected = f"a number {'>' if strict else '>='} {minimum:g}"
        raise ValueError(f"`{type(owner).__name__}` expects `{arg}` to be {expected}. "
                         + received(arg, value))
    return value


@registry.register(MODULE)
class LearningRateSchedule:
    """Base class of learning rate schedules: a callable from the step count to the rate.

    Pass an instance as any optimizer's `learning_rate`: the optimizer calls it with its
    `iterations` counter (a 0-d int64 tensor on the device) before each update. A subclass
    implements `__call__(step)` with torch operations on `step`, so the rate is computed on
    the device, and `get_config()` (the constructor arguments) to be serialisable; the
    default `from_config(config)` calls `cls(**config)`.

    Example:

    >>> import torch
    >>> from lamina.optimizers import schedules
    >>> class HalfEveryTen(schedules.LearningRateSchedule):
    ...     def __init__(self, initial_learning_rate):
    ...         self.initial_learning_rate = initial_learning_rate
    ...     def __call__(self, step):
    ...         return self.initial_learning_rate * 0.5 ** (step // 10)
    ...     def get_config(self):
    ...         return {"initial_learning_rate": self.initial_learning_rate}
    >>> HalfEveryTen(0.1)(torch.tensor(25))
    tensor(0.0250)
    """

    def __call__(self, step):
        raise TypeError(
            f"Learning rate schedule `{type(self).__name__}` does not define `__call__`. A "
            "subclass of `LearningRateSchedule` returns the rate for a step, e.g.\n"
            "    def __call__(self, step):\n"
            "        return self.initial_learning_rate / (1 + step)")

    def get_config(self):
        raise TypeError(
            f"Learning rate schedule `{type(self).__name__}` does not define `get_config`, so "
            "it cannot be serialised (e.g. saved with its optimizer). Return the constructor "
            "arguments: `def get_config(self): return {'initial_learning_rate': ...}`.")

    @classmethod
    def from_config(cls, config):
        """Create a schedule from `get_config()`'s dict."""
        return cls(**config)


@registry.register(MODULE)
class ExponentialDecay(LearningRateSchedule):
    """Exponential decay: `initial_learning_rate * decay_rate ** (step / decay_steps)`.

    With `staircase=True` the exponent is `floor(step / decay_steps)`, so the rate drops
    every `decay_steps` steps instead of smoothly.

    Args:
        initial_learning_rate: Non-negative float, the rate at step 0.
        decay_steps: Positive number of steps over which the rate is multiplied by
            `decay_rate`.
        decay_rate: Non-negative float, the factor per `decay_steps` steps.
        staircase: Whether to decay at discrete intervals. Defaults to `False`.
        name: String. Defaults to `"ExponentialDecay"`.

    Example:

    >>> from lamina.optimizers import schedules
    >>> schedule = schedules.ExponentialDecay(0.1, decay_steps=10, decay_rate=0.5)
    >>> round(float(schedule(20)), 6)
    0.025
    """

    def __init__(self, initial_learning_rate, decay_steps, decay_rate, staircase=False,
                 name="ExponentialDecay"):
        self.initial_learning_rate = check_number(initial_learning_rate,
                                                  "initial_learning_rate", self)
        self.decay_steps = check_number(decay_steps, "decay_steps", self, strict=True)
        self.decay_rate = check_number(decay_rate, "decay_rate", self)
        self.staircase = bool(staircase)
        self.name = name

    def __call__(self, step):
        p = step_as_float(step) / f32(self.decay_steps)
        if self.staircase:
            p = p.floor_()
        return torch.pow(f32(self.decay_rate), p).mul_(f32(self.initial_learning_rate))

    def get_config(self):
        return {"initial_learning_rate": self.initial_learning_rate,
                "decay_steps": self.decay_steps, "decay_rate": self.decay_rate,
                "staircase": self.staircase, "name": self.name}


@registry.register(MODULE)
class PiecewiseConstantDecay(LearningRateSchedule):
    """A constant rate per interval of steps.

    The rate is `values[0]` while `step <= boundaries[0]`, `values[i]` while
    `boundaries[i - 1] < step <= boundaries[i]`, and `values[-1]` after the last boundary.

    Args:
        boundaries: Strictly increasing list of step counts.
        values: List of non-negative floats, one more than `boundaries`.
        name: String. Defaults to `"PiecewiseConstant"`.

    Raises:
        ValueError: If `values` is not one longer than `boundaries`, or the boundaries do
            not increase strictly.

    Example:

    >>> from lamina.optimizers import schedules
    >>> schedule = schedules.PiecewiseConstantDecay([10, 20], [1.0, 0.5, 0.1])
    >>> [float(schedule(step)) for step in (10, 11, 21)]
    [1.0, 0.5, 0.10000000149011612]
    """

    def __init__(self, boundaries, values, name="PiecewiseConstant"):
        boundaries, values = list(boundaries), list(values)
        if len(boundaries) != len(values) - 1:
            raise ValueError(
                "`PiecewiseConstantDecay` expects one more value than boundaries. Received: "
                f"boundaries={boundaries} (length {len(boundaries)}), values={values} "
                f"(length {len(values)}).")
        for i, boundary in enumerate(boundaries):
            check_number(boundary, f"boundaries[{i}]", self, minimum=None)
        if any(b >= c for b, c in itertools.pairwise(boundaries)):
            raise ValueError("`PiecewiseConstantDecay` expects `boundaries` to increase "
                             "strictly. " + received("boundaries", boundaries))
        for i, value in enumerate(values):
            check_number(value, f"values[{i}]", self)
        self.boundaries, self.values, self.name = boundaries, values, name
        self._tables = {}  # (device, step dtype) -> (boundaries, values) tensors

    def __call__(self, step):
        if not isinstance(step, torch.Tensor):
            step = torch.tensor(step, device=config.device())
        key = (step.device, step.dtype)
        if key not in self._tables:  # once per device: Keras casts boundaries to the step's type
            self._tables[key] = (
                torch.tensor(self.boundaries, dtype=torch.float64).to(step.dtype).to(step.device),
                torch.tensor(self.values, dtype=torch.float32, device=step.device))
        boundaries, values = self._tables[key]
        # bucketize (right=False) gives i with boundaries[i - 1] < step <= boundaries[i].
        # `take`, not `values[index]`: indexing with a 0-d tensor reads the index to the host.
        return torch.take(values, torch.bucketize(step, boundaries))

    def get_config(self):
        return {"boundaries": self.boundaries, "values": self.values, "name": self.name}


@registry.register(MODULE)
class PolynomialDecay(LearningRateSchedule):
    """Polynomial decay from `initial_learning_rate` to `end_learning_rate`.

    `(initial - end) * (1 - s / decay_steps) ** power + end`, with `s = min(step,
    decay_steps)`. With `cycle=True` the step is not clipped; `decay_steps` is instead
    multiplied by `ceil(step / decay_steps)` (1 at step 0), so the decay restarts from a
    lower rate each cycle.

    Args:
        initial_learning_rate: Non-negative float, the rate at step 0.
        decay_steps: Positive number of steps to reach `end_learning_rate`.
        end_learning_rate: Non-negative float, the final rate. Defaults to `0.0001`.
        power: Float, the polynomial's power. Defaults to `1.0`.
        cycle: Whether to cycle beyond `decay_steps`. Defaults to `False`.
        name: String. Defaults to `"PolynomialDecay"`.

    Example:

    >>> from lamina.optimizers import schedules
    >>> schedule = schedules.PolynomialDecay(0.1, decay_steps=10, end_learning_rate=0.0)
    >>> [round(float(schedule(step)), 6) for step in (0, 5, 10, 50)]
    [0.1, 0.05, 0.0, 0.0]
    """

    def __init__(self, initial_learning_rate, decay_steps, end_learning_rate=0.0001,
                 power=1.0, cycle=False, name="PolynomialDecay"):
        self.initial_learning_rate = check_number(initial_learning_rate,
                                                  "initial_learning_rate", self)
        self.decay_steps = check_number(decay_steps, "decay_steps", self, strict=True)
        self.end_learning_rate = check_number(end_learning_rate, "end_learning_rate", self)
        self.power = check_number(power, "power", self, minimum=None)
        self.cycle = bool(cycle)
        self.name = name

    def __call__(self, step):
        step = step_as_float(step)
        decay_steps = f32(self.decay_steps)
        if self.cycle:  # decay_steps * ceil(step / decay_steps), or decay_steps at step 0
            decay_steps = (step / decay_steps).ceil_().clamp_(min=1.0).mul_(decay_steps)
        else:
            step = step.clamp(max=decay_steps)
        span = f32(np.float32(self.initial_learning_rate) - np.float32(self.end_learning_rate))
        return (1.0 - step / decay_steps).pow_(f32(self.power)).mul_(span).add_(
            f32(self.end_learning_rate))

    def get_config(self):
        return {"initial_learning_rate": self.initial_learning_rate,
                "decay_steps": self.decay_steps, "end_learning_rate": self.end_learning_rate,
                "power": self.power, "cycle": self.cycle, "name": self.name}


@registry.register(MODULE)
class InverseTimeDecay(LearningRateSchedule):
    """Inverse time decay: `initial_learning_rate / (1 + decay_rate * step / decay_steps)`.

    With `staircase=True`, `step / decay_steps` is floored.

    Args:
        initial_learning_rate: Non-negative float, the rate at step 0.
        decay_steps: Positive number of steps per unit of decay.
        decay_rate: Non-negative float.
        staircase: Whether to decay at discrete intervals. Defaults to `False`.
        name: String. Defaults to `"InverseTimeDecay"`.

    Example:

    >>> from lamina.optimizers import schedules
    >>> schedule = schedules.InverseTimeDecay(0.1, decay_steps=1.0, decay_rate=0.5)
    >>> round(float(schedule(2)), 6)
    0.05
    """

    def __init__(self, initial_learning_rate, decay_steps, decay_rate, staircase=False,
                 name="InverseTimeDecay"):
        self.initial_learning_rate = check_number(initial_learning_rate,
                                                  "initial_learning_rate", self)
        self.decay_steps = check_number(decay_steps, "decay_steps", self, strict=True)
        self.decay_rate = check_number(decay_rate, "decay_rate", self)
        self.staircase = bool(staircase)
        self.name = name

    def __call__(self, step):
        p = step_as_float(step) / f32(self.decay_steps)
        if self.staircase:
            p = p.floor_()
        denominator = p.mul_(f32(self.decay_rate)).add_(1.0)
        return torch.div(f32(self.initial_learning_rate), denominator)

    def get_config(self):
        return {"initial_learning_rate": self.initial_learning_rate,
                "decay_steps": self.decay_steps, "decay_rate": self.decay_rate,
                "staircase": self.staircase, "name": self.name}
