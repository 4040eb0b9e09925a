"""`ProgbarLogger`: prints the progress bar of `fit`, `evaluate` and `predict`."""

import time

_clock = time.monotonic  # replaced by tests

from lamina.callbacks.callback import Callback
from lamina.registry import register
from lamina.utils.progbar import Progbar


@register("keras.callbacks")
class ProgbarLogger(Callback):
    """Prints `Epoch i/N` and a progress bar with the current logs (Keras 3's format).

    The bar receives the batch logs (device tensors) every step; it reads them only when it
    redraws, at a bounded rate, so training does not wait on the device each step.
    """

    _primary_process_only = True  # several processes: rank 0 alone runs it

    def __init__(self):
        super().__init__()
        self.progbar = None
        self.seen = 0
        self._called_in_fit = False

    def set_params(self, params):
        super().set_params(params)
        verbose = params.get("verbose", 1)
        self.verbose = 1 if verbose == "auto" else verbose
        self.epochs = params.get("epochs", 1)
        self.target = params.get("steps")

    def _new_bar(self):
        self.seen = 0
        self._last_update = float("-inf")
        # Logs are running means already: show them as they are (nothing averaged again).
        self.progbar = Progbar(target=self.target, verbose=self.verbose, unit_name="step",
                               stateless_metrics=set())

    def on_train_begin(self, logs=None):
        self._called_in_fit = True

    def on_test_begin(self, logs=None):
        if not self._called_in_fit:
            self._new_bar()

    def on_predict_begin(self, logs=None):
        self._new_bar()

    def on_epoch_begin(self, epoch, logs=None):
        self._new_bar()
        if self.verbose and self.epochs > 1:
            print(f"Epoch {epoch + 1}/{self.epochs}")

    def _update(self, batch, logs):
        # Reading the logs computes each metric's result: do it only when the bar may redraw.
        self.seen = batch + 1
        now = _clock()
        if now - self._last_update >= self.progbar.interval:
            self._last_update = now
            self.progbar.update(batch + 1, list((logs or {}).items()), finalize=False)

    def on_train_batch_end(self, batch, logs=None):
        self._update(batch, logs)

    def on_test_batch_end(self, batch, logs=None):
        if not self._called_in_fit:
            self._update(batch, logs)

    def on_predict_batch_end(self, batch, logs=None):
        self.seen = batch + 1
        self.progbar.update(batch + 1)

    def on_epoch_end(self, epoch, logs=None):
        self.progbar.update(self._seen(), list((logs or {}).items()), finalize=True)

    def on_test_end(self, logs=None):
        if not self._called_in_fit:
            self.progbar.update(self._seen(), list((logs or {}).items()), finalize=True)

    def on_predict_end(self, logs=None):
        self.progbar.update(self._seen(), finalize=True)

    def on_train_end(self, logs=None):
        self._called_in_fit = False

    def _seen(self):
        """The final count: the target or, when it is unknown, the batches seen (which then
        becomes the target of the next epochs' bars, as in Keras)."""
        if self.target is None:
            self.target = self.progbar.target = self.seen
        return self.target
