"""`Sharding`: the part of the data each process reads in a multi-process run.

`shard(data, sharding)` hands a data adapter its `Sharding`; the adapter consults it where it
orders its samples or batches. Two rules:

- Training (`training=True`): every process takes the same number of steps, or DDP's
  gradient all-reduce would wait forever for the process that stopped. Samples (arrays, torch
  `Dataset`s) and batches of an indexable `PyDataset` follow `DistributedSampler`: one order per
  pass, the same on every process (drawn from a seed that all processes share, drawn afresh
  every pass from torch's random generator, so a resumed run replays its orders), padded by
  wrapping around to a multiple of the number of processes, and process `r` takes positions
  `r, r + N, r + 2N, ...`. So global step `k` trains on the contiguous slice
  `order[k * batch_size * N : (k + 1) * batch_size * N]`. A torch `DataLoader` gets a
  `DistributedSampler` (its `set_epoch` called every pass). Iterators (generators, iterable
  datasets, loaders with their own sampler) are read in rounds of `N` batches; process `r` takes
  batch `r` of each complete round, and an incomplete last round is dropped.
- Evaluation and prediction (`training=False`): every sample once. Indexable sources are cut
  into contiguous blocks, one per process in rank order (`rank_major`); iterators give process
  `r` batches `r, r + N, ...` (batch-major). `predict` uses this to put the gathered outputs
  back in order.
"""

import itertools

import torch
from torch.utils.data import (
    DataLoader,
    DistributedSampler,
    IterableDataset,
    RandomSampler,
    SequentialSampler,
)
from torch.utils.data.sampler import BatchSampler

from lamina.training.data_adapters.array_data import ArrayData
from lamina.training.data_adapters.py_dataset_data import PyDatasetData
from lamina.training.data_adapters.stream_data import GeneratorData
from lamina.training.data_adapters.torch_data import DataLoaderData, TorchDatasetData


def _ceil_div(a, b):
    return -(-a // b)


class Sharding:
    """This process's share of a data source.

    Args:
        rank: This process's rank.
        world_size: The number of processes.
        seeds: A callable returning the next seed, the same integer on every process (a
            collective: every process calls it at the same point). Defaults to `None`, for
            evaluation, which draws nothing.
        training: Equal shares padded by wrapping around (`True`) or every sample once in
            blocks (`False`). See the module docstring. Defaults to `True`.
    """

    def __init__(self, rank, world_size, seeds=None, training=True):
        self.rank, self.world_size = rank, world_size
        self.seeds, self.training = seeds, training
        self.passes = 0  # passes of a DistributedSampler (its `set_epoch`)
        self.rank_major = True  # how `predict` reorders the gathered outputs

    def _generator(self, device):
        """A generator for the next pass, seeded alike on every process."""
        generator = torch.Generator(device=device)
        generator.manual_seed(self.seeds())
        return generator

    def block(self, count):
        """`(start, stop)`: this process's contiguous block of `count` items (evaluation)."""
        per_process = _ceil_div(count, self.world_size)
        start = min(count, self.rank * per_process)
        return start, min(count, start + per_process)

    def share(self, count):
        """How many of `count` samples (or batches) this process takes in a pass."""
        if self.training:
            return _ceil_div(count, self.world_size)
        start, stop = self.block(count)
        return stop - start

    def _padded(self, order, count):
        """`order` padded by wrapping around to a multiple of the number of processes."""
        total = _ceil_div(count, self.world_size) * self.world_size
        return order.repeat(_ceil_div(total, count))[:total] if total > count else order

    # -- samples: arrays, map-style torch Datasets ----------------------------------------------
    def pass_order(self, count, shuffle, batch_size, device):
        """The order of one pass over `count` samples, the same on every process (a 1-d int64
        tensor on `device`; padded when training). `local` takes this process's part."""
        if not self.training:
            return torch.arange(count, device=device)
        if shuffle == "batch":  # whole global batches, in a shared random order
            blocks = torch.arange(count, device=device).split(batch_size * self.world_size)
            picks = torch.randperm(len(blocks), generator=self._generator(device),
                                   device=device).tolist()  # host read: once per pass
            order = torch.cat([blocks[i] for i in picks])
        elif shuffle:
            order = torch.randperm(count, generator=self._generator(device), device=device)
        else:
            order = torch.arange(count, device=device)
        return self._padded(order, count)

    def local(self, order, count):
        """This process's positions of a `pass_order` over `count` samples, in the order its
        batches take them: every `world_size`-th from `rank` (training), or its block."""
        if self.training:
            return order[self.rank::self.world_size]
        return order[slice(*self.block(count))]

    # -- batches of an indexable source: PyDataset ----------------------------------------------
    def batch_order(self, num_batches, shuffle):
        """This process's batch indices for one pass (`None` batches: an endless source)."""
        if num_batches is None:
            return itertools.islice(itertools.count(), self.rank, None, self.world_size)
        if not self.training:
            return range(*self.block(num_batches))
        order = (torch.randperm(num_batches, generator=self._generator("cpu")) if shuffle
                 else torch.arange(num_batches))
        return self.local(self._padded(order, num_batches), num_batches).tolist()

    # -- iterators: generators, iterable datasets -----------------------------------------------
    def selected_count(self, num_batches):
        """Batches this process takes from an iterator of `num_batches` (`None` if unknown)."""
        if num_batches is None:
            return None
        if self.training:
            return num_batches // self.world_size
        return len(range(self.rank, num_batches, self.world_size))

    def select(self, iterator):
        """This process's batches of `iterator` (see the module docstring)."""
        try:
            if self.training:
                while True:
                    round_ = list(itertools.islice(iterator, self.world_size))
                    if len(round_) < self.world_size:
                        return
                    yield round_[self.rank]
            else:
                for index, item in enumerate(iterator):
                    if index % self.world_size == self.rank:
                        yield item
        finally:
            if hasattr(iterator, "close"):
                iterator.close()

    # -- torch DataLoaders ------------------------------------------------------------------------
    def loader(self, loader):
        """`loader` remade to read only this process's samples, or `None` when it cannot be
        (an iterable dataset, a custom sampler): its batches are then `select`ed."""
        if self.training and isinstance(loader.sampler, DistributedSampler):
            return loader  # sharded by its user already: only `set_epoch` is ours
        samplers = (SequentialSampler, RandomSampler, DistributedSampler)
        if (isinstance(loader.dataset, IterableDataset) or loader.batch_size is None
                or type(loader.batch_sampler) is not BatchSampler
                or type(loader.sampler) not in samplers):
            return None
        if self.training:
            sampler = DistributedSampler(
                loader.dataset, num_replicas=self.world_size, rank=self.rank,
                shuffle=isinstance(loader.sampler, RandomSampler), seed=self.seeds())
        else:
            sampler = range(*self.block(len(loader.dataset)))
        return DataLoader(
            loader.dataset, batch_size=loader.batch_size, sampler=sampler,
            num_workers=loader.num_workers, collate_fn=loader.collate_fn,
            pin_memory=loader.pin_memory, drop_last=loader.drop_last, timeout=loader.timeout,
            worker_init_fn=loader.worker_init_fn,
            multiprocessing_context=loader.multiprocessing_context, generator=loader.generator,
            prefetch_factor=loader.prefetch_factor, persistent_workers=loader.persistent_workers,
            pin_memory_device=loader.pin_memory_device,
            **({"in_order": loader.in_order} if hasattr(loader, "in_order") else {}))

    def loader_pass(self, loader, started=None):
        """The raw batches of one pass of a (possibly remade) `loader`. `started` is a pass
        already begun (the adapter peeked at its first batch)."""
        if isinstance(loader.sampler, DistributedSampler):
            loader.sampler.set_epoch(self.passes)  # a new shared order every pass
            self.passes += 1
            return iter(loader)
        if isinstance(loader.sampler, range):  # this process's block, remade above
            return iter(loader)
        return self.select(started if started is not None else iter(loader))


def shard(data, sharding):
    """Give the adapter `data` its `sharding` and return it (the same object)."""
    data.sharding = sharding
    if isinstance(data, ArrayData):
        return data  # `num_batches` and `batches` consult the sharding
    if isinstance(data, TorchDatasetData):
        data.num_batches = _ceil_div(sharding.share(data.num_samples), data.batch_size)
    elif isinstance(data, PyDatasetData):
        if data.num_batches is not None:
            data.num_batches = sharding.share(data.num_batches)
    elif isinstance(data, DataLoaderData):
        remade = sharding.loader(data.loader)
        if remade is None:
            sharding.rank_major = False
            data.num_batches = sharding.selected_count(data.num_batches)
        else:
            data.loader, data._started = remade, None  # the next pass starts afresh
            data.num_batches = len(remade)
    elif isinstance(data, GeneratorData):
        sharding.rank_major = False
    return data
