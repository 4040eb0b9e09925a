"""`CSVLogger`: write each epoch's logs as one row of a CSV file."""

import collections.abc
import csv
import os

import numpy as np

from lamina.callbacks.callback import Callback
from lamina.registry import register
from lamina.validation import received


def _cell(value):
    """A log value as Keras writes it: strings and scalars as they are, a sequence (such as a
    per-class metric) as `"[a, b, ...]"`."""
    if isinstance(value, str):
        return value
    if isinstance(value, collections.abc.Iterable) and not (
            isinstance(value, np.ndarray) and value.ndim == 0):
        return f'"[{", ".join(map(str, value))}]"'
    return value


@register("keras.callbacks")
class CSVLogger(Callback):
    """Stream the epoch logs to a CSV file, one row per epoch.

    The header is `epoch` followed by the log keys of the first epoch, sorted. When that
    first epoch has no `val_` keys, a `val_<key>` column is added for each key (filled with
    `NA` until validation runs, e.g. with `validation_freq > 1`), as Keras does. A missing
    value is written `NA`. The file is flushed after every row.

    Args:
        filename: Path of the CSV file, e.g. `"run/log.csv"` (a string or path-like).
        separator: String separating the cells. Defaults to `","`.
        append: `True` appends to an existing file (to continue a run; no second header),
            `False` overwrites it. Defaults to `False`.

    Example:

    >>> import os, tempfile
    >>> import lamina as keras
    >>> path = os.path.join(tempfile.mkdtemp(), "log.csv")
    >>> logger = keras.callbacks.CSVLogger(path)
    >>> logger.on_train_begin()
    >>> logger.on_epoch_end(0, {"loss": 0.5, "val_loss": 0.75})
    >>> logger.on_train_end()
    >>> with open(path) as f:
    ...     print(f.read())
    epoch,loss,val_loss
    0,0.5,0.75
    <BLANKLINE>
    """

    _primary_process_only = True  # several processes: rank 0 alone runs it

    def __init__(self, filename, separator=",", append=False):
        super().__init__()
        try:
            self.filename = os.fspath(filename)
        except TypeError:
            raise TypeError("`CSVLogger` expects `filename` to be a path (a string or "
                            "path-like). " + received("filename", filename)) from None
        if not isinstance(separator, str) or len(separator) != 1:
            raise ValueError("`CSVLogger` expects `separator` to be a one-character string. "
                             + received("separator", separator))
        self.sep = separator
        self.append = bool(append)
        self.writer = None
        self.keys = None
        self.append_header = True
        self.csv_file = None

    def on_train_begin(self, logs=None):
        if self.append:
            if os.path.exists(self.filename):
                with open(self.filename, encoding="utf-8") as f:
                    self.append_header = not f.readline()
            mode = "a"
        else:
            mode = "w"
        if self.csv_file is not None and not self.csv_file.closed:
            self.csv_file.close()
        # newline="": the csv module writes its own "\r\n" line ends, on every platform.
        # Kept open for the whole run (closed in `on_train_end`), so no `with` block.
        self.csv_file = open(self.filename, mode, newline="", encoding="utf-8")  # noqa: SIM115
        self.writer = None
        self.keys = None

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        if self.keys is None:
            self.keys = sorted(logs)
            if self.keys and not any(key.startswith("val_") for key in self.keys):
                self.keys += [f"val_{key}" for key in self.keys]
        if self.writer is None:
            dialect = type("Dialect", (csv.excel,), {"delimiter": self.sep})
            self.writer = csv.DictWriter(self.csv_file, fieldnames=["epoch"] + self.keys,
                                         dialect=dialect)
            if self.append_header:
                self.writer.writeheader()
        row = {"epoch": epoch}
        row.update((key, _cell(logs.get(key, "NA"))) for key in self.keys)
        self.writer.writerow(row)
        self.csv_file.flush()

    def on_train_end(self, logs=None):
        if self.csv_file is not None and not self.csv_file.closed:
            self.csv_file.close()
        self.writer = None
