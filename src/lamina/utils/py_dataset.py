"""`PyDataset`: a dataset written in Python that hands out whole batches by index.

Keras 3's base class for data that does not fit in memory or is made on the fly (images read
from disk, augmentation). `fit`/`evaluate`/`predict` take an instance as `x`; its
`workers`, `use_multiprocessing` and `max_queue_size` say how many batches are prepared in
parallel (threads, or processes with `use_multiprocessing=True`) and how far ahead.
`Sequence`, the Keras 2 name, is the same class.
"""

import itertools
import numbers

from lamina.validation import received, validate_positive_int


class PyDataset:
    """Base class of datasets that produce batches in Python.

    A subclass defines `__getitem__(index)`, returning batch `index` as `x`, `(x,)`,
    `(x, y)` or `(x, y, sample_weight)` (arrays, or lists/dicts of arrays for several inputs
    or outputs), and `__len__()`, the number of batches. A dataset without an end overrides
    the `num_batches` property to return `None` instead (then `fit` needs `steps_per_epoch`).
    `on_epoch_begin()` and `on_epoch_end()` run before and after each pass over the batches,
    e.g. to reshuffle the samples.

    Args:
        workers: Number of threads (or processes) preparing batches in parallel; 1 prepares
            them one at a time, ahead of the training step. Defaults to `1`.
        use_multiprocessing: Prepare batches in `workers` processes instead of threads (for
            work in Python that holds the GIL). The dataset must then be picklable where
            processes are spawned rather than forked. Defaults to `False`.
        max_queue_size: How many batches may be prepared ahead of the training step.
            Defaults to `10`.

    Example:
    >>> import numpy as np
    >>> class Squares(PyDataset):
    ...     def __init__(self, batch_size, **kwargs):
    ...         super().__init__(**kwargs)
    ...         self.x = np.arange(10, dtype="float32").reshape(10, 1)
    ...         self.batch_size = batch_size
    ...     def __len__(self):
    ...         return -(-len(self.x) // self.batch_size)
    ...     def __getitem__(self, index):
    ...         batch = self.x[index * self.batch_size:(index + 1) * self.batch_size]
    ...         return batch, batch ** 2
    >>> data = Squares(batch_size=4)
    >>> data.num_batches, data[2][1].ravel().tolist()
    (3, [64.0, 81.0])
    """

    def __init__(self, workers=1, use_multiprocessing=False, max_queue_size=10):
        name = type(self).__name__
        if isinstance(workers, bool) or not isinstance(workers, numbers.Integral) or workers < 0:
            raise ValueError(f"`{name}` expects `workers` to be a non-negative integer. "
                             + received("workers", workers))
        if not isinstance(use_multiprocessing, bool):
            raise TypeError(f"`{name}` expects `use_multiprocessing` to be a bool. "
                            + received("use_multiprocessing", use_multiprocessing))
        self._workers = int(workers)
        self._use_multiprocessing = use_multiprocessing
        self._max_queue_size = validate_positive_int(max_queue_size, "max_queue_size", self)

    # A Keras 2 `Sequence` subclass may never call `super().__init__()`: the defaults apply.
    @property
    def workers(self):
        return self.__dict__.get("_workers", 1)

    @workers.setter
    def workers(self, value):
        self._workers = value

    @property
    def use_multiprocessing(self):
        return self.__dict__.get("_use_multiprocessing", False)

    @use_multiprocessing.setter
    def use_multiprocessing(self, value):
        self._use_multiprocessing = value

    @property
    def max_queue_size(self):
        return self.__dict__.get("_max_queue_size", 10)

    @max_queue_size.setter
    def max_queue_size(self, value):
        self._max_queue_size = value

    @property
    def num_batches(self):
        """The number of batches: `len(self)`, or `None` for a dataset without an end."""
        if hasattr(self, "__len__"):
            return len(self)
        raise TypeError(
            f"`{type(self).__name__}` must say how many batches it has: define `__len__` "
            "returning the number of batches, or override the `num_batches` property (returning "
            "`None` for a dataset without an end), e.g.\n"
            "    def __len__(self):\n"
            "        return math.ceil(len(self.x) / self.batch_size)"
        )

    def __iter__(self):
        """Batches in order (no parallelism: that is what `fit` adds)."""
        count = self.num_batches
        for index in itertools.count() if count is None else range(count):
            yield self[index]

    def on_epoch_begin(self):
        """Called before each pass over the batches."""

    def on_epoch_end(self):
        """Called after each pass over the batches."""


Sequence = PyDataset  # Keras 2's name; Keras 3 exports both names for this class
