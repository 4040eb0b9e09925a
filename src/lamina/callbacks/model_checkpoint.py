"""`ModelCheckpoint`: save the model or its weights during `fit`, every epoch or every N
batches, optionally only when a monitored quantity improves."""

import numbers
import os
import warnings

import torch

from lamina.callbacks.monitor_callback import MonitorCallback
from lamina.registry import register
from lamina.validation import received


def check_save_freq(save_freq, owner):
    """`save_freq` if it is `"epoch"` or a positive integer, else the Keras-style error."""
    if save_freq == "epoch":
        return save_freq
    if isinstance(save_freq, bool) or not isinstance(save_freq, numbers.Integral) \
            or save_freq <= 0:
        raise ValueError(f"`{type(owner).__name__}` expects `save_freq` to be 'epoch' or a "
                         "positive integer (a number of batches). "
                         + received("save_freq", save_freq))
    return int(save_freq)


def batch_save_due(callback, batch):
    """Keras' count of the batches since the last save, across epochs (a batch index not
    above the previous one starts a new epoch); whether a save is due after `batch`.

    Reads and updates `callback._last_batch_seen` and
    `callback._batches_seen_since_last_saving`."""
    last = callback._last_batch_seen
    callback._batches_seen_since_last_saving += \
        batch + 1 if last is None or batch <= last else batch - last
    callback._last_batch_seen = batch
    if callback._batches_seen_since_last_saving >= callback.save_freq:
        callback._batches_seen_since_last_saving = 0
        return True
    return False


class _PathFields:
    """The fields of a filepath template: `epoch` (1-based), `batch` (1-based, in batch
    saves) and any log key, each read only if the template names it (a batch log read from
    the device is a host sync, paid only when a file is written)."""

    def __init__(self, epoch, batch, logs):
        self.epoch, self.batch, self.logs = epoch, batch, logs

    def __getitem__(self, key):
        if key == "epoch":
            return self.epoch + 1
        if key in self.logs:  # Keras lets a logged `batch` win over the batch index
            value = self.logs[key]
            if isinstance(value, torch.Tensor) and value.ndim == 0:
                value = value.item()  # host sync: only when a file is written
            return value
        if key == "batch" and self.batch is not None:
            return self.batch + 1
        raise KeyError(key)


@register("keras.callbacks")
class ModelCheckpoint(MonitorCallback):
    """Save the model (`model.save`) or its weights (`model.save_weights`) during `fit`.

    Files are written atomically: a crash mid-write leaves the previous file whole.

    Args:
        filepath: String or `PathLike`, where to save. It may hold named fields, filled in at
            each save: `{epoch}` (1-based), `{batch}` (1-based, with an integer `save_freq`)
            and any key of the logs, e.g. `"ckpt-{epoch:02d}-{val_loss:.2f}.keras"`. It must
            end in `.keras` (or the legacy `.h5`) for the whole model, or in `.weights.h5`
            with `save_weights_only=True`.
        monitor: Quantity in the logs that `save_best_only` compares, e.g. `"val_loss"` or
            `"val_accuracy"`. Defaults to `"val_loss"`.
        verbose: 0 (silent) or 1 (a line for each save or skipped save). Defaults to `0`.
        save_best_only: Save only when the monitored quantity beats the best value seen so
            far (a fixed `filepath` then always holds the best model). Defaults to `False`.
        save_weights_only: Save only the weights (`.weights.h5`). Defaults to `False`.
        mode: `"auto"`, `"min"` or `"max"`: whether higher or lower values of `monitor` are
            better; see `MonitorCallback`. Defaults to `"auto"`.
        save_freq: `"epoch"` (save after each epoch) or an integer `n` (save after every
            `n` batches, counted across epochs; the monitored value is then the one of the
            epoch so far). Defaults to `"epoch"`.
        initial_value_threshold: With `save_best_only`, the value the first save must beat.
            Defaults to `None`.

    Raises:
        ValueError: For a `filepath` with the wrong ending, or a `save_freq` that is neither
            `"epoch"` nor a positive integer.
        TypeError: If `filepath` is not a string or `PathLike`.

    Example:

    >>> import os, tempfile
    >>> import numpy as np
    >>> import lamina as keras
    >>> model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])
    >>> model.compile("sgd", loss="mse")
    >>> folder = tempfile.mkdtemp()
    >>> checkpoint = keras.callbacks.ModelCheckpoint(
    ...     os.path.join(folder, "model-{epoch:02d}.weights.h5"), save_weights_only=True)
    >>> _ = model.fit(np.ones((4, 3)), np.ones((4, 1)), epochs=2, callbacks=[checkpoint],
    ...               verbose=0)
    >>> sorted(os.listdir(folder))
    ['model-01.weights.h5', 'model-02.weights.h5']
    """

    _primary_process_only = True  # several processes: rank 0 alone saves

    def __init__(self, filepath, monitor="val_loss", verbose=0, save_best_only=False,
                 save_weights_only=False, mode="auto", save_freq="epoch",
                 initial_value_threshold=None):
        super().__init__(monitor, mode, baseline=initial_value_threshold)
        if not isinstance(filepath, (str, os.PathLike)):
            raise TypeError("`ModelCheckpoint` expects `filepath` to be a string or a "
                            "`PathLike`. " + received("filepath", filepath))
        self.filepath = os.fspath(filepath)
        self.verbose = verbose
        self.save_best_only = bool(save_best_only)
        self.save_weights_only = bool(save_weights_only)
        self.save_freq = check_save_freq(save_freq, self)
        self._batches_seen_since_last_saving = 0
        self._last_batch_seen = None
        self._current_epoch = 0
        if self.save_weights_only:
            if not self.filepath.endswith(".weights.h5"):
                raise ValueError(
                    "When using `save_weights_only=True` in `ModelCheckpoint`, the filepath "
                    "provided must end in `.weights.h5` (Keras weights format). Received: "
                    f"filepath={self.filepath}")
        elif not self.filepath.endswith((".keras", ".h5")):
            raise ValueError("The filepath provided must end in `.keras` (Keras model "
                             f"format). Received: filepath={self.filepath}")

    def on_epoch_begin(self, epoch, logs=None):
        self._current_epoch = epoch

    def on_train_batch_end(self, batch, logs=None):
        if self.save_freq != "epoch" and batch_save_due(self, batch):
            self._save_model(self._current_epoch, batch, logs)

    def on_epoch_end(self, epoch, logs=None):
        if self.save_freq == "epoch":
            self._save_model(epoch, None, logs)

    def get_state(self):
        """See `MonitorCallback.get_state`; also the count of batches since the last save."""
        return {**super().get_state(), "current_epoch": self._current_epoch,
                "batches_seen_since_last_saving": self._batches_seen_since_last_saving,
                "last_batch_seen": self._last_batch_seen}

    def set_state(self, state):
        super().set_state(state)
        self._current_epoch = state["current_epoch"]
        self._batches_seen_since_last_saving = state["batches_seen_since_last_saving"]
        self._last_batch_seen = state["last_batch_seen"]

    def _get_file_path(self, epoch, batch, logs):
        """`filepath` with its fields filled in (Keras' `KeyError` for a missing key)."""
        try:
            return self.filepath.format_map(_PathFields(epoch, batch, logs or {}))
        except KeyError as error:
            raise KeyError(f'Failed to format this callback filepath: "{self.filepath}". '
                           f"Reason: {error}") from None

    def _save_model(self, epoch, batch, logs):
        filepath = self._get_file_path(epoch, batch, logs)
        if not self._should_save(epoch, logs or {}, filepath):
            return
        if os.path.isdir(filepath):
            raise IsADirectoryError("Please specify a non-directory filepath for "
                                    "ModelCheckpoint. Filepath used is an existing directory: "
                                    f"{filepath}")
        if self.save_weights_only:
            self.model.save_weights(filepath, overwrite=True)
        else:
            self.model.save(filepath, overwrite=True)
        if self.verbose > 0:
            print(f"\nEpoch {epoch + 1}: finished saving model to {filepath}")

    def _should_save(self, epoch, logs, filepath):
        """Whether to save now (always, unless `save_best_only` and no improvement)."""
        if not self.save_best_only:
            if self.verbose > 0:
                print(f"\nEpoch {epoch + 1}: saving model to {filepath}")
            return True
        current = logs.get(self.monitor)
        if current is None:
            warnings.warn(f"Can save best model only with {self.monitor} available.",
                          stacklevel=3)
            return True
        if isinstance(current, torch.Tensor):
            if current.ndim > 0:
                warnings.warn("Can save best model only when `monitor` is a scalar value. "
                              f"Received: {current}. Falling back to `save_best_only=False`.",
                              stacklevel=3)
                return True
            current = current.item()  # host sync: a batch-level save decides on the host
        if self.monitor_op is None:
            self._set_monitor_op()
        best = "None" if self.best is None else f"{self.best:.5f}"
        if self._is_improvement(current, self.best):
            if self.verbose > 0:
                print(f"\nEpoch {epoch + 1}: {self.monitor} improved from {best} to "
                      f"{current:.5f}, saving model to {filepath}")
            self.best = current
            return True
        if self.verbose > 0:
            print(f"\nEpoch {epoch + 1}: {self.monitor} did not improve from {best}")
        return False
