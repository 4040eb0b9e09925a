"""`BatchedDataset`: the `PyDataset` behind the dataset utilities (`image_dataset_from_directory`,
`text_dataset_from_directory`, `timeseries_dataset_from_array`, `split_dataset`).

It holds a number of samples and serves them in batches by index, in an order that is fixed
during a pass, so worker threads that load batches in parallel always agree on it. With
`shuffle`, the order is drawn again after every complete pass (`on_epoch_end`, called by `fit`
after each epoch and by `for batch in dataset` after each full iteration), from a numpy
generator seeded once: the same seed gives the same batches, epoch after epoch. The first
pass keeps the order the utility chose (for directories, the order of `file_paths`).

With `use_multiprocessing=True`, worker processes keep the order of the pass they were
started in: they get a copy of the dataset once, at the start of `fit`.
"""

import numbers

import numpy as np

from lamina.utils.py_dataset import PyDataset
from lamina.validation import received


class BatchedDataset(PyDataset):
    """Samples served in batches of `batch_size`, shuffled between passes.

    A subclass defines `_load(indices)`, returning the batch of the samples at `indices` (a
    1-d int array): an array, or a tuple/dict of arrays whose first axis is the batch.

    Args:
        num_samples: The number of samples.
        batch_size: Samples per batch (the last batch may be smaller), or `None` to serve
            single samples, without a batch axis.
        shuffle: Whether to draw a new order of the samples after every pass.
        seed: Seed of the generator drawing these orders.
        **kwargs: `workers`, `use_multiprocessing`, `max_queue_size`; see `PyDataset`.
    """

    def __init__(self, num_samples, batch_size, shuffle=False, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.num_samples = num_samples
        self.batch_size = batch_size
        self.shuffle = shuffle
        self._rng = np.random.default_rng(seed) if shuffle else None
        self._order = np.arange(num_samples)

    def __len__(self):
        if self.batch_size is None:
            return self.num_samples
        return (self.num_samples + self.batch_size - 1) // self.batch_size

    def __getitem__(self, index):
        count = len(self)
        if (isinstance(index, bool) or not isinstance(index, numbers.Integral)
                or not -count <= index < count):
            raise IndexError(f"`{type(self).__name__}` has {count} batches: the index must be an "
                             f"integer in [-{count}, {count}). " + received("index", index))
        index = int(index) % count
        order = self._order  # one read: `on_epoch_end` replaces it, never edits it
        if self.batch_size is None:
            return _strip_batch_axis(self._load(order[index:index + 1]))
        return self._load(order[index * self.batch_size:(index + 1) * self.batch_size])

    def __iter__(self):
        """The batches of one pass, in order; a complete pass then reshuffles (as `fit`
        does after an epoch)."""
        yield from super().__iter__()
        self.on_epoch_end()

    def on_epoch_end(self):
        """Draws the order of the next pass (with `shuffle`)."""
        if self.shuffle:
            self._order = self._rng.permutation(self.num_samples)


def _strip_batch_axis(batch):
    if isinstance(batch, tuple):
        return tuple(_strip_batch_axis(item) for item in batch)
    if isinstance(batch, dict):
        return {key: _strip_batch_axis(item) for key, item in batch.items()}
    return batch[0]
