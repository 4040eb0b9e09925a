"""Keras 2 optimizer arguments: `lr` and `decay`.

`SGD(lr=0.01, decay=1e-6)` is Keras 2's spelling. `lr` is `learning_rate`. `decay` made the
rate fall with the update count `t` (starting at 0): `lr / (1 + decay * t)`, which is Keras 3's
`InverseTimeDecay(lr, decay_steps=1, decay_rate=decay)`; the optimizer is given that schedule, so
it computes the Keras 2 rate, serialises in Keras 3's form and loads in Keras 3 unchanged.
Each legacy argument emits one `DeprecationWarning` naming its modern spelling.
"""

import numbers

from lamina import deprecation
from lamina.optimizers.schedules.learning_rate_schedule import InverseTimeDecay
from lamina.validation import received


def resolve(owner, learning_rate, kwargs):
    """The learning rate (or schedule) meant by `learning_rate` and Keras 2's `lr` and
    `decay` in `kwargs`, which must hold nothing else.

    Args:
        owner: The optimizer's class name, for messages.
        learning_rate: The `learning_rate` argument as received.
        kwargs: The optimizer's other keyword arguments (`lr`, `decay`).

    Returns:
        What to use as the optimizer's `learning_rate`.

    Raises:
        ValueError: For an unknown argument, an invalid `decay`, or `decay` combined with a
            learning rate schedule.
    """
    kwargs = dict(kwargs)
    if "lr" in kwargs:
        learning_rate = kwargs.pop("lr")
        deprecation.warn(f"`lr` is deprecated in Keras 3; use "
                         f"`learning_rate={deprecation.short_repr(learning_rate)}`.")
    decay = kwargs.pop("decay", None)
    if kwargs:
        raise ValueError(f"Argument(s) not recognized: {kwargs}. `{owner}` takes its own "
                         "arguments and those of `keras.optimizers.Optimizer`.")
    if decay is None:
        return learning_rate
    if isinstance(decay, bool) or not isinstance(decay, numbers.Real) or not decay >= 0:
        raise ValueError(f"`{owner}` expects `decay` (Keras 2's time-based decay) to be a "
                         "non-negative float. " + received("decay", decay))
    if callable(learning_rate):
        raise ValueError(
            f"`{owner}` cannot apply Keras 2's `decay` on top of a learning rate schedule or "
            "callable. Use one schedule, e.g. `keras.optimizers.schedules.InverseTimeDecay("
            "initial_learning_rate, decay_steps=1, decay_rate=decay)`. "
            + received("learning_rate", learning_rate))
    if isinstance(learning_rate, bool) or not isinstance(learning_rate, numbers.Real) \
            or not learning_rate >= 0:
        raise ValueError(f"`{owner}` expects `learning_rate` to be a non-negative float. "
                         + received("learning_rate", learning_rate))
    if decay == 0:  # Keras 2's default: a constant rate
        deprecation.warn("`decay` is deprecated in Keras 3 and `decay=0` changes nothing; "
                         "remove it.")
        return learning_rate
    schedule = InverseTimeDecay(learning_rate, decay_steps=1, decay_rate=float(decay))
    deprecation.warn(
        "`decay` is deprecated in Keras 3; use `learning_rate=keras.optimizers.schedules."
        f"InverseTimeDecay({deprecation.short_repr(learning_rate)}, decay_steps=1, "
        f"decay_rate={float(decay)!r})`.")
    return schedule

