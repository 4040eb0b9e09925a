"""`EarlyStopping`: stop `fit` when a monitored quantity has stopped improving."""

import torch

from lamina.callbacks.monitor_callback import (
    MonitorCallback,
    check_finite,
    check_non_negative_int,
)
from lamina.registry import register


@register("keras.callbacks")
class EarlyStopping(MonitorCallback):
    """Stop training when a monitored quantity has stopped improving.

    At each epoch end the monitored value is compared with the best so far (see
    `MonitorCallback` for `mode` and `min_delta`). An epoch that improves resets the count of
    epochs without improvement; once that count reaches `patience` (from the second epoch
    on), `model.stop_training` is set and `fit` ends after this epoch.

    Args:
        monitor: Quantity to watch in the epoch logs. Defaults to `"val_loss"`.
        min_delta: Smallest change that counts as an improvement. Defaults to `0`.
        patience: Number of epochs without improvement after which training stops.
            Defaults to `0`.
        verbose: 0 (silent) or 1 (print a line when stopping or restoring weights).
            Defaults to `0`.
        mode: `"auto"`, `"min"` or `"max"`; see `MonitorCallback`. Defaults to `"auto"`.
        baseline: Optional value to beat. While no epoch beats it the count of epochs
            without improvement is never reset, so training stops after `patience` epochs.
            Defaults to `None`.
        restore_best_weights: At the end of training, put back the weights of the epoch
            with the best monitored value (even if it did not beat `baseline`). Defaults to
            `False` (the weights of the last epoch stay).
        start_from_epoch: Number of epochs to ignore before monitoring starts (a warm-up).
            Defaults to `0`.

    Attributes:
        stopped_epoch: The (0-based) epoch at which training was stopped, 0 if it was not.
        best_epoch: The (0-based) epoch with the best monitored value.
        best: The best monitored value.
        best_weights: With `restore_best_weights`, host tensors holding the best epoch's
            weights, in the order of `model.weights` and lamina's storage layout (Keras keeps
            `get_weights()` numpy arrays).

    The best weights are copied (not read back to the host synchronously): into pinned host
    memory for a model on a GPU, into a host clone otherwise.

    Example:

    >>> import numpy as np
    >>> import lamina as keras
    >>> model = keras.Sequential([keras.Input((20,)), keras.layers.Dense(10)])
    >>> model.compile(keras.optimizers.SGD(), loss="mse")
    >>> callback = keras.callbacks.EarlyStopping(monitor="loss", patience=3)
    >>> history = model.fit(np.arange(100).reshape(5, 20), np.zeros((5, 10)), epochs=10,
    ...                     batch_size=1, callbacks=[callback], verbose=0)
    >>> len(history.history["loss"])  # the loss diverges: 3 epochs after the first, stop
    4
    """

    def __init__(self, monitor="val_loss", min_delta=0, patience=0, verbose=0, mode="auto",
                 baseline=None, restore_best_weights=False, start_from_epoch=0):
        super().__init__(monitor, mode, min_delta=min_delta)
        self.patience = check_non_negative_int(patience, "patience", self)
        self.verbose = verbose
        self.baseline = check_finite(baseline, "baseline", self, optional=True)
        self.restore_best_weights = bool(restore_best_weights)
        self.start_from_epoch = check_non_negative_int(start_from_epoch, "start_from_epoch",
                                                       self)
        self.wait = 0
        self.stopped_epoch = 0
        self.best_epoch = 0
        self.best_weights = None

    def on_train_begin(self, logs=None):
        # A callback may be reused for several `fit` calls: start afresh each time.
        self.wait = 0
        self.stopped_epoch = 0
        self.best = None
        self.best_epoch = 0
        self.best_weights = None

    def on_epoch_end(self, epoch, logs=None):
        if self.monitor_op is None:
            self._set_monitor_op()
        current = self._monitor_value(logs, "Early stopping")
        if current is None or epoch < self.start_from_epoch:
            return
        if self.restore_best_weights and self.best_weights is None:
            # The first monitored epoch is the best one until another beats it.
            self._save_weights(epoch)
        self.wait += 1
        if self._is_improvement(current, self.best):
            self.best = current
            self.best_epoch = epoch
            if self.restore_best_weights:
                self._save_weights(epoch)
            # The count restarts only when both the previous best and the baseline are beaten.
            if self.baseline is None or self._is_improvement(current, self.baseline):
                self.wait = 0
            return
        if self.wait >= self.patience and epoch > 0:
            self.stopped_epoch = epoch
            self.model.stop_training = True

    def on_train_end(self, logs=None):
        if self.stopped_epoch > 0 and self.verbose > 0:
            print(f"Epoch {self.stopped_epoch + 1}: early stopping")
        if self.restore_best_weights and self.best_weights is not None:
            if self.verbose > 0:
                print("Restoring model weights from the end of the best epoch: "
                      f"{self.best_epoch + 1}.")
            with torch.no_grad():
                for weight, saved in zip(self.model.weights, self.best_weights):
                    weight.copy_(saved, non_blocking=saved.is_pinned())

    def get_state(self):
        """See `MonitorCallback.get_state`; the best weights are host tensors."""
        return {**super().get_state(), "wait": self.wait, "stopped_epoch": self.stopped_epoch,
                "best_epoch": self.best_epoch, "best_weights": self.best_weights}

    def set_state(self, state):
        super().set_state(state)
        self.wait, self.stopped_epoch = state["wait"], state["stopped_epoch"]
        self.best_epoch = state["best_epoch"]
        saved = state["best_weights"]
        if saved is not None and any(w.device.type == "cuda" for w in self.model.weights):
            saved = [t.pin_memory() for t in saved]  # as `_save_weights` makes them
        self.best_weights = saved

    def _save_weights(self, epoch):
        """Copy every weight (trainable or not) of the model into `best_weights`.

        From a GPU the copies go to pinned host memory and are queued on the device's
        stream: nothing waits for them, and a later restore (or a later save into the same
        buffers) runs after them in stream order.
        """
        self.best_epoch = epoch
        weights = self.model.weights
        if self.best_weights is None or len(self.best_weights) != len(weights):
            self.best_weights = [torch.empty(w.shape, dtype=w.dtype,
                                             pin_memory=w.device.type == "cuda")
                                 for w in weights]
        with torch.no_grad():
            for saved, weight in zip(self.best_weights, weights):
                saved.copy_(weight.detach(), non_blocking=saved.is_pinned())
