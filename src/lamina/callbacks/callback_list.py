"""`CallbackList`: calls a list of callbacks, skipping the hooks nobody overrides."""

from lamina.callbacks.callback import Callback
from lamina.callbacks.history import History
from lamina.callbacks.progbar_logger import ProgbarLogger
from lamina.distribution import runtime

_BATCH_HOOKS = {  # hook -> Keras 2 alias that the base class forwards it to
    "on_train_batch_begin": "on_batch_begin",
    "on_train_batch_end": "on_batch_end",
    "on_test_batch_begin": None,
    "on_test_batch_end": None,
    "on_predict_batch_begin": None,
    "on_predict_batch_end": None,
}


def _defines(callback, hook):
    """Whether `callback` has its own `hook`: a method of its class, or a function set on the
    instance (`LambdaCallback`)."""
    found = getattr(callback, hook)
    return getattr(found, "__func__", found) is not getattr(Callback, hook)


def _overrides(callback, hook, alias):
    return _defines(callback, hook) or (alias is not None and _defines(callback, alias))


class CallbackList:
    """A container of callbacks with one explicit method per event.

    In a multi-process run, the callbacks whose class sets `_primary_process_only = True`
    (the progress bar, the loggers that write files, `ModelCheckpoint`) run on rank 0 only.

    Args:
        callbacks: List of `Callback`s.
        add_history: Add a `History` callback if none is given. Defaults to `False`.
        add_progbar: Add a `ProgbarLogger` if none is given. Defaults to `False`.
        model: The model the callbacks observe.
        **params: `verbose`, `epochs`, `steps`, passed to `set_params`.
    """

    def __init__(self, callbacks=None, add_history=False, add_progbar=False, model=None,
                 **params):
        self.callbacks = list(callbacks or [])
        for callback in self.callbacks:
            if not isinstance(callback, Callback):
                raise TypeError("`callbacks` must be a list of `keras.callbacks.Callback` "
                                f"instances. Received: {callback!r} "
                                f"(of type {type(callback).__name__})")
        primary = runtime.is_primary()
        if not primary:  # several processes: only rank 0 prints and writes files
            self.callbacks = [c for c in self.callbacks
                              if not getattr(c, "_primary_process_only", False)]
        # As in Keras 3: History, then the progress bar, after the user's callbacks, so they
        # see the logs that callbacks add at an epoch's end (e.g. `learning_rate`).
        self.history = next((c for c in self.callbacks if isinstance(c, History)), None)
        if add_history and self.history is None:
            self.history = History()
            self.callbacks.append(self.history)
        if add_progbar and primary and not any(isinstance(c, ProgbarLogger)
                                               for c in self.callbacks):
            self.callbacks.append(ProgbarLogger())
        self.params = dict(params)
        self.set_model(model)
        for callback in self.callbacks:
            callback.set_params(dict(params))
        # Per-batch hooks run every step: call only the callbacks that define them.
        self._batch = {hook: [c for c in self.callbacks if _overrides(c, hook, alias)]
                       for hook, alias in _BATCH_HOOKS.items()}

    def append(self, callback):
        self.callbacks.append(callback)

    def set_model(self, model):
        self.model = model
        if model is not None and self.history is not None:
            model.history = self.history
        for callback in self.callbacks:
            callback.set_model(model)

    def set_params(self, params):
        self.params = dict(params)
        for callback in self.callbacks:
            callback.set_params(dict(params))

    def on_train_begin(self, logs=None):
        for callback in self.callbacks:
            callback.on_train_begin(logs)

    def on_train_end(self, logs=None):
        for callback in self.callbacks:
            callback.on_train_end(logs)

    def on_epoch_begin(self, epoch, logs=None):
        for callback in self.callbacks:
            callback.on_epoch_begin(epoch, logs)

    def on_epoch_end(self, epoch, logs=None):
        for callback in self.callbacks:
            callback.on_epoch_end(epoch, logs)

    def on_train_batch_begin(self, batch, logs=None):
        for callback in self._batch["on_train_batch_begin"]:
            callback.on_train_batch_begin(batch, logs)

    def on_train_batch_end(self, batch, logs=None):
        for callback in self._batch["on_train_batch_end"]:
            callback.on_train_batch_end(batch, logs)

    def on_test_begin(self, logs=None):
        for callback in self.callbacks:
            callback.on_test_begin(logs)

    def on_test_end(self, logs=None):
        for callback in self.callbacks:
            callback.on_test_end(logs)

    def on_test_batch_begin(self, batch, logs=None):
        for callback in self._batch["on_test_batch_begin"]:
            callback.on_test_batch_begin(batch, logs)

    def on_test_batch_end(self, batch, logs=None):
        for callback in self._batch["on_test_batch_end"]:
            callback.on_test_batch_end(batch, logs)

    def on_predict_begin(self, logs=None):
        for callback in self.callbacks:
            callback.on_predict_begin(logs)

    def on_predict_end(self, logs=None):
        for callback in self.callbacks:
            callback.on_predict_end(logs)

    def on_predict_batch_begin(self, batch, logs=None):
        for callback in self._batch["on_predict_batch_begin"]:
            callback.on_predict_batch_begin(batch, logs)

    def on_predict_batch_end(self, batch, logs=None):
        for callback in self._batch["on_predict_batch_end"]:
            callback.on_predict_batch_end(batch, logs)
