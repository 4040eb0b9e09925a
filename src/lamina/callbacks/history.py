"""`History`: records the logs of every epoch; `fit` returns it."""

from lamina.callbacks.callback import Callback
from lamina.registry import register


@register("keras.callbacks")
class History(Callback):
    """Records epoch logs. `fit` adds one automatically and returns it.

    Attributes:
        history: Dict from each log key (`"loss"`, `"acc"`, `"val_loss"`, ...) to the list of its
            per-epoch values.
        epoch: List of the epoch indices recorded.
    """

    def __init__(self):
        super().__init__()
        self.history = {}
        self.epoch = []

    def on_train_begin(self, logs=None):
        self.epoch = []

    def on_epoch_end(self, epoch, logs=None):
        self.epoch.append(epoch)
        for key, value in (logs or {}).items():
            self.history.setdefault(key, []).append(value)
        self.model.history = self
