"""`LambdaCallback`: a callback made of plain functions, one per event."""

import difflib

from lamina.callbacks.callback import Callback
from lamina.registry import register
from lamina.validation import received

HOOKS = tuple(sorted(name for name in vars(Callback) if name.startswith("on_")))


@register("keras.callbacks")
class LambdaCallback(Callback):
    """A callback whose hooks are the functions passed in, for quick custom behaviour.

    Each function takes the arguments of the `Callback` method it replaces, positionally:
    `on_epoch_begin(epoch, logs)`, `on_train_begin(logs)`, `on_train_batch_end(batch, logs)`,
    and so on. Hooks not given do nothing.

    Args:
        on_epoch_begin: Called at the start of every epoch. Defaults to `None`.
        on_epoch_end: Called at the end of every epoch. Defaults to `None`.
        on_train_begin: Called at the start of training. Defaults to `None`.
        on_train_end: Called at the end of training. Defaults to `None`.
        on_train_batch_begin: Called before every training batch. Defaults to `None`.
        on_train_batch_end: Called after every training batch. Defaults to `None`.
        **kwargs: Any other `Callback` hook by name, e.g. `on_test_end=fn`.

    Raises:
        TypeError: For a keyword that is not a `Callback` hook, or a hook that is not
            callable.

    Example:

    >>> import numpy as np
    >>> import lamina as keras
    >>> seen = []
    >>> callback = keras.callbacks.LambdaCallback(
    ...     on_epoch_end=lambda epoch, logs: seen.append(epoch))
    >>> model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    >>> model.compile(optimizer="sgd", loss="mse")
    >>> _ = model.fit(np.zeros((4, 2)), np.zeros((4, 1)), epochs=3, callbacks=[callback],
    ...               verbose=0)
    >>> seen
    [0, 1, 2]
    """

    def __init__(self, on_epoch_begin=None, on_epoch_end=None, on_train_begin=None,
                 on_train_end=None, on_train_batch_begin=None, on_train_batch_end=None,
                 **kwargs):
        super().__init__()
        hooks = {"on_epoch_begin": on_epoch_begin, "on_epoch_end": on_epoch_end,
                 "on_train_begin": on_train_begin, "on_train_end": on_train_end,
                 "on_train_batch_begin": on_train_batch_begin,
                 "on_train_batch_end": on_train_batch_end, **kwargs}
        for name, function in hooks.items():
            if name not in HOOKS:
                close = difflib.get_close_matches(name, HOOKS, n=1)
                hint = f" Did you mean `{close[0]}`?" if close else ""
                raise TypeError(f"`LambdaCallback` got `{name}`, which is not a callback "
                                f"hook.{hint} The hooks are: {', '.join(HOOKS)}.")
            if function is None:
                continue
            if not callable(function):
                raise TypeError(f"`LambdaCallback` expects `{name}` to be a function. "
                                + received(name, function))
            # An instance attribute shadows the method; `CallbackList` sees it as an override.
            setattr(self, name, function)
