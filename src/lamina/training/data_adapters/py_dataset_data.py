"""`PyDatasetData`: batches from a `keras.utils.PyDataset` (or a Keras 2 `Sequence`).

Each pass asks the dataset for its batches by index, in order or (with `shuffle`) in a
shuffled order, calling `on_epoch_begin()` before and `on_epoch_end()` after. With
`workers > 1` (threads) or `use_multiprocessing=True` (processes), up to `max_queue_size`
batches are requested ahead and come back in order; the pool lives as long as the adapter
(one `fit`, `evaluate` or `predict` call).
"""

import collections
import concurrent.futures
import itertools
import multiprocessing
import random

from lamina.training.data_adapters.stream_data import StreamData

_worker_dataset = None  # the dataset, in each worker process


def _remember_dataset(dataset):
    global _worker_dataset
    _worker_dataset = dataset


def _get_batch(index):
    return _worker_dataset[index]


class _OrderedPool:
    """Fetches `dataset[index]` in parallel, `depth` requests ahead, delivered in order."""

    def __init__(self, dataset, workers, use_multiprocessing, depth):
        if use_multiprocessing:
            # Started here, in the training thread: forking from the background thread that
            # later submits the requests would copy a process mid-step.
            self._executor = concurrent.futures.ProcessPoolExecutor(
                workers, mp_context=multiprocessing.get_context(),
                initializer=_remember_dataset, initargs=(dataset,))
            self._fetch = _get_batch
            self._executor.submit(int).result()  # launches the workers now
        else:
            self._executor = concurrent.futures.ThreadPoolExecutor(
                workers, thread_name_prefix="lamina-pydataset")
            self._fetch = dataset.__getitem__
        self._depth = depth

    def fetch(self, indices):
        """Yield `dataset[i]` for each `i` of `indices`, in order."""
        indices = iter(indices)
        pending = collections.deque(self._executor.submit(self._fetch, i)
                                    for i in itertools.islice(indices, self._depth))
        try:
            while pending:
                future = pending.popleft()
                for index in itertools.islice(indices, 1):
                    pending.append(self._executor.submit(self._fetch, index))
                yield future.result()
        finally:
            for future in pending:  # a pass left early: drop the requests made ahead
                future.cancel()

    def close(self):
        self._executor.shutdown(wait=True, cancel_futures=True)


class PyDatasetData(StreamData):
    """Batches of a `PyDataset`, prepared by its `workers` ahead of the training step.

    Args:
        dataset: The `PyDataset`.
        class_weight, input_dtypes, device: See `StreamData`.
    """

    def __init__(self, dataset, class_weight=None, input_dtypes=None, device=None):
        super().__init__(class_weight, input_dtypes, device)
        self.kind = f"the PyDataset `{type(dataset).__name__}`"
        if not hasattr(type(dataset), "__getitem__"):
            raise TypeError(
                f"`{type(dataset).__name__}` (a PyDataset) must define `__getitem__(self, "
                "index)` returning batch `index`: `x`, `(x, y)` or `(x, y, sample_weight)`."
            )
        self.dataset = dataset
        self.num_batches = dataset.num_batches
        self.endless = self.num_batches is None
        if self.num_batches is not None and self.num_batches < 1:
            raise ValueError(f"`x` is {self.kind}, which has no batches (`len` is "
                             f"{self.num_batches}). It must have at least one.")
        self._pool = None

    def _peek(self):
        return self.dataset[0]

    def _begin_pass(self):
        workers, processes = self.dataset.workers, self.dataset.use_multiprocessing
        if self._pool is None and (workers > 1 or (workers > 0 and processes)):
            self._pool = _OrderedPool(self.dataset, workers, processes,
                                      self.dataset.max_queue_size)
        self.dataset.on_epoch_begin()

    def _end_pass(self):
        self.dataset.on_epoch_end()

    def _raw_pass(self, shuffle):
        if self.sharding is not None:  # several processes: this one's share (see sharding.py)
            order = self.sharding.batch_order(self.dataset.num_batches, shuffle)
        elif self.num_batches is None:
            order = itertools.count()  # endless: `shuffle` does not apply
        elif shuffle:  # Keras shuffles the order of the batches ("batch" too)
            order = list(range(self.num_batches))
            random.shuffle(order)
        else:
            order = range(self.num_batches)
        if self._pool is None:
            return (self.dataset[index] for index in order)
        return self._pool.fetch(order)

    def close(self):
        super().close()
        if self._pool is not None:
            self._pool.close()
            self._pool = None
