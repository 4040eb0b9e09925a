"""`BatchedDataset`: batching, indexing, reshuffling between passes, parallel loading."""

import numpy as np
import pytest

import lamina
from lamina.utils.batched_dataset import BatchedDataset


class Squares(BatchedDataset):
    def __init__(self, n, batch_size, shuffle=False, seed=None, **kwargs):
        super().__init__(n, batch_size, shuffle, seed, **kwargs)
        self.x = np.arange(n, dtype="float32")[:, None]

    def _load(self, indices):
        return self.x[indices], {"square": self.x[indices] ** 2}


def test_batches_and_single_samples():
    data = Squares(7, 3)
    assert len(data) == 3 and data.num_batches == 3
    x, y = data[2]
    assert x.ravel().tolist() == [6.0] and y["square"].ravel().tolist() == [36.0]
    np.testing.assert_array_equal(data[-3][0], data[0][0])
    single = Squares(7, None)
    assert len(single) == 7
    x, y = single[4]
    assert x.tolist() == [4.0] and y["square"].tolist() == [16.0]
    with pytest.raises(IndexError, match=r"has 3 batches.*Received: index=1.0"):
        data[1.0]
    with pytest.raises(IndexError, match=r"\[-3, 3\).*Received: index=-4"):
        data[-4]


def test_order_is_redrawn_after_each_complete_pass_only():
    data = Squares(10, 4, shuffle=True, seed=0)
    first = np.concatenate([x for x, _ in data]).ravel()
    assert first.tolist() == list(range(10))  # the first pass keeps the given order
    rng = np.random.default_rng(0)
    for _ in range(2):
        expected = rng.permutation(10)
        np.testing.assert_array_equal(np.concatenate([x for x, _ in data]).ravel(), expected)
    frozen = Squares(10, 4)
    list(frozen)
    assert np.concatenate([x for x, _ in frozen]).ravel().tolist() == list(range(10))


@pytest.mark.parametrize("workers", [1, 3])
def test_fit_with_worker_threads_sees_every_sample_each_epoch(workers):
    seen = []

    class Recorded(Squares):
        def _load(self, indices):
            seen.append(indices.copy())
            return self.x[indices], self.x[indices] * 2

    data = Recorded(20, 6, shuffle=True, seed=1, workers=workers)
    lamina.utils.set_random_seed(0)
    model = lamina.Sequential([lamina.Input((1,)), lamina.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    model.fit(data, epochs=3, shuffle=False, verbose=0)
    seen = seen[-12:]  # 3 epochs of 4 batches (fit may peek at a batch first)
    # Threads may finish the batches of an epoch in any order: compare them as sets.
    rng = np.random.default_rng(1)
    orders = [np.arange(20), rng.permutation(20), rng.permutation(20)]
    for k, order in enumerate(orders):
        expected = {tuple(order[i:i + 6]) for i in range(0, 20, 6)}
        assert {tuple(batch) for batch in seen[4 * k:4 * k + 4]} == expected
