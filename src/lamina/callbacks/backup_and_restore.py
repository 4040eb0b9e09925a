"""`BackupAndRestore`: back up the whole training state during `fit`, and resume an
interrupted `fit` exactly where its last backup left it."""

import contextlib
import glob
import io
import os
import pickle

import torch

from lamina.callbacks.callback import Callback
from lamina.callbacks.model_checkpoint import batch_save_due, check_save_freq
from lamina.distribution import runtime
from lamina.registry import register
from lamina.saving.atomic import atomic_write
from lamina.validation import received

STATE_FILE = "training_state.pt"
# What a damaged or truncated file makes `torch.load` raise.
_READ_ERRORS = (OSError, RuntimeError, EOFError, pickle.UnpicklingError)


@register("keras.callbacks")
class BackupAndRestore(Callback):
    """Back up the training state, and resume an interrupted `fit` from the last backup.

    After each epoch (or every `save_freq` batches) the whole state of the training is
    written to one file in `backup_dir`: the weights, the optimizer's state, where the
    training stands (the epoch, the batch, the shuffled order of the epoch's samples), the
    random generators (torch, NumPy, Python), the state of the epoch's metrics and of the
    other callbacks (`EarlyStopping`, `ReduceLROnPlateau`, `ModelCheckpoint`, and `History`,
    so the resumed `fit` returns the whole history). If `fit` is interrupted (an error, the
    process killed), calling `fit` again with a `BackupAndRestore` on the same directory
    restores all of it and carries on: with array data, the result is the same, bit for bit
    on the same device, as if nothing had happened. A backup is written atomically (a crash
    while writing leaves the previous one whole), once every callback has seen the batch or
    epoch. When `fit` ends normally the backup is deleted (see `delete_checkpoint`).

    Other callbacks can take part: one with `get_state()` (returning plain values and
    tensors) and `set_state(state)` methods is saved and restored with the rest.

    Restart with the model, `compile` arguments, data and callbacks of the interrupted run.
    Data other than arrays resumes at the same batch count, but only arrays (and torch
    `TensorDataset`s) replay the interrupted epoch's order: a `PyDataset`, `Dataset` or
    `DataLoader` restarts its pass and skips the batches already done (reading them), and
    a generator simply continues.

    Args:
        backup_dir: String or `PathLike`, the directory holding the backup (created when
            needed). Use it for nothing else, and not for another training run.
        save_freq: `"epoch"` (back up after each epoch) or an integer `n` (after every `n`
            batches, counted across epochs). Defaults to `"epoch"`.
        double_checkpoint: Keep the previous backup too (`training_state.pt.bkp`), used if
            the latest one cannot be read. Defaults to `False`.
        delete_checkpoint: Delete the backup files when `fit` ends normally. Defaults to
            `True`.

    Raises:
        ValueError: For an empty `backup_dir` or a `save_freq` that is neither `"epoch"` nor
            a positive integer.

    Example:

    >>> import tempfile
    >>> import numpy as np
    >>> import lamina as keras
    >>> class Interrupt(keras.callbacks.Callback):
    ...     def on_epoch_begin(self, epoch, logs=None):
    ...         if epoch == 4:
    ...             raise RuntimeError("Interrupting!")
    >>> backup = keras.callbacks.BackupAndRestore(backup_dir=tempfile.mkdtemp())
    >>> model = keras.Sequential([keras.Input((20,)), keras.layers.Dense(10)])
    >>> model.compile(keras.optimizers.SGD(), loss="mse")
    >>> x, y = np.arange(100).reshape(5, 20) / 100, np.zeros((5, 10))
    >>> try:
    ...     model.fit(x, y, epochs=10, batch_size=1, callbacks=[backup, Interrupt()],
    ...               verbose=0)
    ... except RuntimeError:
    ...     pass
    >>> history = model.fit(x, y, epochs=10, batch_size=1, callbacks=[backup], verbose=0)
    >>> history.epoch  # 0 to 3 restored from the interrupted call, 4 to 9 run by this one
    [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]
    >>> len(history.history["loss"])
    10
    """

    _never_stops_training = True  # several processes: its batch hooks need no stop flag

    def __init__(self, backup_dir, save_freq="epoch", double_checkpoint=False,
                 delete_checkpoint=True):
        super().__init__()
        if not isinstance(backup_dir, (str, os.PathLike)) or not os.fspath(backup_dir):
            raise ValueError("`BackupAndRestore` expects `backup_dir` to be a non-empty path "
                             "(a string or `PathLike`). " + received("backup_dir", backup_dir))
        self.backup_dir = os.fspath(backup_dir)
        self.save_freq = check_save_freq(save_freq, self)
        self.double_checkpoint = bool(double_checkpoint)
        self.delete_checkpoint = bool(delete_checkpoint)
        self._batches_seen_since_last_saving = 0
        self._last_batch_seen = None
        self._state_path = os.path.join(self.backup_dir, STATE_FILE)
        self._prev_state_path = self._state_path + ".bkp"

    def on_train_begin(self, logs=None):
        fit_state = getattr(self.model, "_fit_state", None)
        if fit_state is None:
            raise RuntimeError(
                "`BackupAndRestore` backs up and restores a running `fit`; it has no effect "
                "elsewhere. Pass it to `fit`: `model.fit(x, y, callbacks=[backup])`.")
        self._last_batch_seen = None
        loaded = self._read()
        if loaded is not None:
            fit_state.resume_from(*loaded)

    def on_epoch_end(self, epoch, logs=None):
        self._last_batch_seen = None
        if self.save_freq == "epoch":
            self.model._fit_state.request_snapshot(self._write)

    def on_train_batch_end(self, batch, logs=None):
        if self.save_freq != "epoch" and batch_save_due(self, batch):
            self.model._fit_state.request_snapshot(self._write)

    def on_train_end(self, logs=None):
        if not self.delete_checkpoint or not runtime.is_primary():  # rank 0 owns the files
            return
        leftovers = glob.glob(os.path.join(glob.escape(self.backup_dir), ".lamina-*.tmp"))
        for path in (self._state_path, self._prev_state_path, *leftovers):
            with contextlib.suppress(FileNotFoundError):
                os.remove(path)
        with contextlib.suppress(OSError):  # kept when it holds anything else
            os.rmdir(self.backup_dir)

    def get_state(self):
        """The count of batches since the last backup (see `fit_state.py`)."""
        return {"batches_seen_since_last_saving": self._batches_seen_since_last_saving,
                "last_batch_seen": self._last_batch_seen}

    def set_state(self, state):
        self._batches_seen_since_last_saving = state["batches_seen_since_last_saving"]
        self._last_batch_seen = state["last_batch_seen"]

    def _write(self, snapshot):
        """Write `snapshot` atomically; with `double_checkpoint`, keep the previous one.
        With several processes, rank 0 alone writes (every process reads the backup)."""
        if not runtime.is_primary():
            return
        buffer = io.BytesIO()
        torch.save(snapshot, buffer)
        os.makedirs(self.backup_dir, exist_ok=True)
        if self.double_checkpoint and os.path.exists(self._state_path):
            os.replace(self._state_path, self._prev_state_path)  # atomic: no half file
        with atomic_write(self._state_path) as file:
            file.write(buffer.getvalue())

    def _read(self):
        """`(snapshot, path)` of the latest readable backup, or `None` when there is none.

        Raises:
            ValueError: If backups exist but none can be read.
        """
        failures = []
        for path in (self._state_path, self._prev_state_path):
            if not os.path.exists(path):
                continue
            try:
                return torch.load(path, map_location="cpu", weights_only=True), path
            except _READ_ERRORS as error:
                failures.append(f"{path}: {error}")
        if failures:
            raise ValueError("`BackupAndRestore` could not read its backup ("
                             + "; ".join(failures) + "). Delete the file to start training "
                             "afresh.")
        return None
