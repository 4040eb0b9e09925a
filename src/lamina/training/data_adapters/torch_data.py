"""Adapters for torch's data classes: a `DataLoader` used as it is, a `Dataset` batched here.

A `TensorDataset` never comes here: its tensors are arrays, served by `ArrayData` (kept on
the device, batched by index). An `IterableDataset` is wrapped in a `DataLoader` by
`get_data_adapter`.
"""

import torch
from torch.utils.data import default_collate

from lamina.training.data_adapters.conversion import check_batch_size
from lamina.training.data_adapters.stream_data import StreamData


class DataLoaderData(StreamData):
    """Batches of a torch `DataLoader`, as it makes them (its own batch size, order, workers
    and collation; `fit`'s `shuffle` does not apply).

    Args:
        loader: The `DataLoader`; each batch is `x`, `(x, y)` or `(x, y, sample_weight)`.
        class_weight, input_dtypes, device: See `StreamData`.
    """

    kind = "the DataLoader"

    def __init__(self, loader, class_weight=None, input_dtypes=None, device=None):
        super().__init__(class_weight, input_dtypes, device)
        self.loader = loader
        try:
            self.num_batches = len(loader)
        except TypeError:  # an IterableDataset without `__len__`
            self.num_batches = None
        self._started = None  # the first pass, begun by `first_batch`

    def _peek(self):
        # The first pass is started here and kept: peeking costs no extra pass (no extra
        # worker start-up, no extra draw from the random generator for a shuffling loader).
        iterator = iter(self.loader)
        head = next(iterator, None)
        if head is None:
            raise ValueError("`x` is a DataLoader that yielded no batch. It must yield at "
                             "least one.")
        self._started = (head, iterator)
        return head

    def _raw_pass(self, shuffle):
        started = None
        if self._started is not None:
            head, iterator = self._started
            self._started = None
            started = _chain_head(head, iterator)
        if self.sharding is not None:  # several processes: this one's share (see sharding.py)
            return self.sharding.loader_pass(self.loader, started)
        return iter(self.loader) if started is None else started


def _chain_head(head, iterator):
    yield head
    yield from iterator


class TorchDatasetData(StreamData):
    """A map-style torch `Dataset` (`__getitem__(i)` returns one sample), batched here:
    `batch_size` samples per batch, collated as a `DataLoader` would (`default_collate`);
    `shuffle=True` draws one permutation per pass, `"batch"` shuffles whole batches.

    Samples are fetched with the dataset's `__getitems__(indices)` when it has one (one call
    per batch), else one `__getitem__` per sample, as in a `DataLoader`.

    Args:
        dataset: The `Dataset`.
        batch_size: Samples per batch.
        class_weight, input_dtypes, device: See `StreamData`.
    """

    def __init__(self, dataset, batch_size, class_weight=None, input_dtypes=None, device=None):
        super().__init__(class_weight, input_dtypes, device)
        self.kind = f"the torch Dataset `{type(dataset).__name__}`"
        self.dataset = dataset
        self.batch_size = check_batch_size(batch_size)
        self.num_samples = len(dataset)
        if self.num_samples == 0:
            raise ValueError(f"`x` is {self.kind}, which has no samples. It must have at least "
                             "one.")
        self.num_batches = -(-self.num_samples // self.batch_size)

    def _fetch(self, indices):
        """One collated batch of the samples at `indices` (a 1-d int64 tensor)."""
        indices = indices.tolist()
        getitems = getattr(self.dataset, "__getitems__", None)
        samples = getitems(indices) if getitems else [self.dataset[i] for i in indices]
        return default_collate(samples)

    def _peek(self):
        return self._fetch(torch.arange(min(self.batch_size, self.num_samples)))

    def _raw_pass(self, shuffle):
        n, size = self.num_samples, self.batch_size
        if self.sharding is not None:  # several processes: this one's share (see sharding.py)
            order = self.sharding.local(self.sharding.pass_order(n, shuffle, size, "cpu"), n)
            return (self._fetch(indices) for indices in order.split(size) if len(indices))
        if shuffle == "batch":
            starts = (torch.randperm(self.num_batches) * size).tolist()
            return (self._fetch(torch.arange(s, min(n, s + size))) for s in starts)
        order = torch.randperm(n) if shuffle else torch.arange(n)
        return (self._fetch(indices) for indices in order.split(size))
