"""How each process's share of the data is cut (`data_adapters/sharding.py`), checked on one
process by building every rank's share side by side: training shares are equal in size,
drawn from one shared order and together cover every sample; evaluation shares cover every
sample exactly once."""

import itertools

import numpy as np
import pytest
import torch
from torch.utils.data import (
    DataLoader,
    DistributedSampler,
    IterableDataset,
    TensorDataset,
    WeightedRandomSampler,
)

from lamina.training.data_adapters import get_data_adapter
from lamina.training.data_adapters.sharding import Sharding, shard
from lamina.utils import PyDataset

WORLD = 3


def seeds(start=11):
    """The same seed sequence on every simulated process (as the broadcast gives)."""
    return itertools.count(start).__next__


def shardings(training=True):
    return [Sharding(rank, WORLD, seeds(), training) for rank in range(WORLD)]


def test_training_shares_are_equal_strided_slices_of_one_padded_order():
    count, batch = 10, 2
    orders = [s.pass_order(count, True, batch, "cpu") for s in shardings()]
    for order in orders[1:]:
        torch.testing.assert_close(order, orders[0])  # the same seed: the same order
    order = orders[0]
    assert len(order) == 12  # padded to a multiple of 3 by wrapping around
    assert sorted(order[:10].tolist()) == list(range(10))
    assert order[10:].tolist() == order[:2].tolist()
    locals_ = [s.local(order, count) for s in shardings()]
    assert [len(part) for part in locals_] == [4, 4, 4] == [shardings()[0].share(count)] * 3
    for rank, part in enumerate(locals_):
        assert part.tolist() == order[rank::WORLD].tolist()
    # Global step k trains on the contiguous chunk k of the order.
    step_0 = torch.cat([part[:batch] for part in locals_])
    assert sorted(step_0.tolist()) == sorted(order[:batch * WORLD].tolist())


def test_each_pass_draws_a_new_seed():
    sharding = Sharding(0, WORLD, seeds(), training=True)
    first = sharding.pass_order(50, True, 4, "cpu")
    second = sharding.pass_order(50, True, 4, "cpu")
    assert not torch.equal(first, second)
    generator = torch.Generator().manual_seed(11)
    torch.testing.assert_close(first[:50], torch.randperm(50, generator=generator))


def test_unshuffled_and_batch_shuffled_training_orders():
    sharding = Sharding(0, 2, seeds(), training=True)
    assert sharding.pass_order(5, False, 2, "cpu").tolist() == [0, 1, 2, 3, 4, 0]
    order = sharding.pass_order(12, "batch", 2, "cpu")  # global batches of 4, shuffled
    blocks = [order[i:i + 4].tolist() for i in range(0, 12, 4)]
    assert sorted(blocks) == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9, 10, 11]]


def test_padding_wraps_around_more_than_once():
    sharding = Sharding(0, 4, seeds(), training=True)
    assert sharding.pass_order(1, False, 1, "cpu").tolist() == [0, 0, 0, 0]


def test_evaluation_shares_are_contiguous_blocks_covering_every_sample_once():
    parts = [s.local(s.pass_order(10, True, 2, "cpu"), 10) for s in shardings(False)]
    assert [p.tolist() for p in parts] == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]
    assert [s.share(10) for s in shardings(False)] == [4, 4, 2]
    assert [s.block(2) for s in shardings(False)] == [(0, 1), (1, 2), (2, 2)]


def test_batch_orders_of_an_indexable_source():
    training = [s.batch_order(7, True) for s in shardings()]
    assert [len(part) for part in training] == [3, 3, 3]
    assert set(itertools.chain(*training)) == set(range(7))
    unshuffled = [s.batch_order(7, False) for s in shardings()]
    assert unshuffled == [[0, 3, 6], [1, 4, 0], [2, 5, 1]]
    assert [list(s.batch_order(7, True)) for s in shardings(False)] == [
        [0, 1, 2], [3, 4, 5], [6]]
    endless = Sharding(1, WORLD, training=False).batch_order(None, False)
    assert list(itertools.islice(endless, 3)) == [1, 4, 7]


def test_iterators_are_read_in_rounds():
    assert [list(s.select(iter(range(8)))) for s in shardings()] == [[0, 3], [1, 4], [2, 5]]
    assert [s.selected_count(8) for s in shardings()] == [2, 2, 2]
    assert [list(s.select(iter(range(8)))) for s in shardings(False)] == [
        [0, 3, 6], [1, 4, 7], [2, 5]]
    assert [s.selected_count(8) for s in shardings(False)] == [3, 3, 2]
    assert shardings()[0].selected_count(None) is None


def _rows(batches):
    return [int(v) for batch in batches for v in batch[0].reshape(-1)]


def test_array_data_batches_per_process():
    x = np.arange(10, dtype="float32").reshape(10, 1)
    training = []
    for sharding in shardings():
        data = shard(get_data_adapter(x, x, batch_size=2, device="cpu"), sharding)
        assert data.num_batches == 2  # 4 samples each: 2 batches of 2
        training.append(_rows(data.batches(shuffle=True)))
        torch.testing.assert_close(data.order, shardings()[0].pass_order(10, True, 2, "cpu"))
    assert set(itertools.chain(*training)) == set(range(10))
    evaluation = [_rows(shard(get_data_adapter(x, batch_size=3, device="cpu"), s).batches())
                  for s in shardings(False)]
    assert evaluation == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]


def test_array_data_replays_a_saved_order_from_a_step():
    x = np.arange(10, dtype="float32").reshape(10, 1)
    data = shard(get_data_adapter(x, batch_size=2, device="cpu"), Sharding(1, 2, seeds()))
    full = _rows(data.batches(shuffle=True))
    replayed = _rows(data.batches(shuffle=True, order=data.order, skip=1))
    assert replayed == full[2:]


class Batches(PyDataset):
    def __init__(self, count):
        super().__init__()
        self.count = count

    def __len__(self):
        return self.count

    def __getitem__(self, index):
        return np.full((2, 1), index, dtype="float32")


def test_pydataset_batches_per_process():
    training = []
    for sharding in shardings():
        data = shard(get_data_adapter(Batches(7), device="cpu"), sharding)
        assert data.num_batches == 3
        training.append(sorted(set(_rows(data.batches(shuffle=True)))))
    assert set(itertools.chain(*training)) == set(range(7))
    evaluation = [_rows(shard(get_data_adapter(Batches(7), device="cpu"), s).batches())
                  for s in shardings(False)]
    assert evaluation == [[0, 0, 1, 1, 2, 2], [3, 3, 4, 4, 5, 5], [6, 6]]


def test_torch_dataset_batches_per_process():
    dataset = TensorDataset(torch.arange(10.0).reshape(10, 1))

    class Samples(torch.utils.data.Dataset):  # map-style, not a TensorDataset
        def __len__(self):
            return 10

        def __getitem__(self, index):
            return dataset[index]

    parts = []
    for sharding in shardings(False):
        data = shard(get_data_adapter(Samples(), batch_size=3, device="cpu"), sharding)
        parts.append(_rows(data.batches()))
        assert data.num_batches == -(-sharding.share(10) // 3)
    assert parts == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]
    training = [_rows(shard(get_data_adapter(Samples(), batch_size=2, device="cpu"),
                            s).batches(shuffle=True)) for s in shardings()]
    assert [len(p) for p in training] == [4, 4, 4]
    assert set(itertools.chain(*training)) == set(range(10))


def test_a_process_whose_block_is_empty_gets_no_batch():
    last = Sharding(2, WORLD, training=False)  # 2 samples over 3 processes
    x = np.zeros((2, 1), dtype="float32")
    assert list(shard(get_data_adapter(x, batch_size=2, device="cpu"), last).batches()) == []
    dataset = torch.utils.data.Subset(TensorDataset(torch.zeros(2, 1)), [0, 1])
    data = shard(get_data_adapter(dataset, batch_size=2, device="cpu"),
                 Sharding(2, WORLD, training=False))
    assert data.num_batches == 0 and list(data.batches()) == []


def test_a_data_loader_gets_a_distributed_sampler_or_a_block():
    dataset = TensorDataset(torch.arange(10.0).reshape(10, 1))
    training = []
    for sharding in shardings():
        data = shard(get_data_adapter(DataLoader(dataset, batch_size=2, shuffle=True),
                                      device="cpu"), sharding)
        assert isinstance(data.loader.sampler, DistributedSampler)
        assert data.num_batches == 2
        first = _rows(data.batches())
        assert data.loader.sampler.epoch == 0
        second = _rows(data.batches())
        assert data.loader.sampler.epoch == 1 and first != second
        training.append(first)
    assert set(itertools.chain(*training)) == set(range(10))
    evaluation = [_rows(shard(get_data_adapter(DataLoader(dataset, batch_size=3),
                                               device="cpu"), s).batches())
                  for s in shardings(False)]
    assert evaluation == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]


def test_a_data_loader_sharded_by_its_user_keeps_its_sampler():
    dataset = TensorDataset(torch.arange(8.0).reshape(8, 1))
    sampler = DistributedSampler(dataset, num_replicas=2, rank=1, shuffle=False)
    loader = DataLoader(dataset, batch_size=2, sampler=sampler)
    sharding = Sharding(1, 2, seeds())
    assert sharding.loader(loader) is loader
    data = shard(get_data_adapter(loader, device="cpu"), sharding)
    assert _rows(data.batches()) == [1, 3, 5, 7]


def test_other_loaders_and_generators_are_read_in_rounds():
    class Stream(IterableDataset):
        def __iter__(self):
            return iter(torch.arange(6.0).reshape(6, 1, 1))

    weighted = DataLoader(TensorDataset(torch.arange(4.0).reshape(4, 1)), batch_size=1,
                          sampler=WeightedRandomSampler([1.0] * 4, 4))
    assert Sharding(0, 2, seeds()).loader(weighted) is None
    for rank in range(2):
        sharding = Sharding(rank, 2, seeds(), training=False)
        data = shard(get_data_adapter(DataLoader(Stream(), batch_size=None), device="cpu"),
                     sharding)
        assert not sharding.rank_major
        assert _rows(data.batches()) == [rank, rank + 2, rank + 4]
        generator = (np.full((1, 1), i, dtype="float32") for i in range(5))
        sharding = Sharding(rank, 2, seeds(), training=True)
        data = shard(get_data_adapter(generator, device="cpu"), sharding)
        assert _rows(data.batches()) == [rank, rank + 2]  # batch 4: an incomplete round


@pytest.mark.parametrize("rank_major, expected", [
    (True, [(0, 0, 3), (1, 0, 2)]),
    (False, [(0, 0, 2), (1, 0, 2), (0, 2, 3)]),
])
def test_gathered_predictions_are_reordered(rank_major, expected):
    from lamina.training.distributed import _global_order

    assert _global_order([[2, 1], [2]], rank_major) == expected
