"""`keras.utils.PyDataset` and Keras 2's `Sequence`."""

import numpy as np
import pytest

import lamina as keras
from lamina.utils import PyDataset, Sequence


class Halves(PyDataset):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.x = np.arange(6, dtype="float32").reshape(6, 1)

    def __len__(self):
        return 3

    def __getitem__(self, index):
        batch = self.x[2 * index:2 * index + 2]
        return batch, batch / 2


def test_defaults_and_settings_match_keras():
    data = Halves()
    assert (data.workers, data.use_multiprocessing, data.max_queue_size) == (1, False, 10)
    data = Halves(workers=4, use_multiprocessing=True, max_queue_size=3)
    assert (data.workers, data.use_multiprocessing, data.max_queue_size) == (4, True, 3)
    data.workers = 2
    assert data.workers == 2
    assert Sequence is PyDataset  # one class, two names, as in Keras 3
    assert keras.utils.PyDataset is PyDataset


def test_iterating_gives_every_batch_in_order():
    batches = list(Halves())
    assert len(batches) == 3
    np.testing.assert_array_equal(batches[2][1], np.array([[2.0], [2.5]], "float32"))


def test_a_keras_2_sequence_without_super_init_uses_the_defaults():
    class Legacy(Sequence):
        def __len__(self):
            return 1

        def __getitem__(self, index):
            return np.ones((2, 1), "float32"), np.ones((2, 1), "float32")

    data = Legacy()
    assert (data.workers, data.use_multiprocessing, data.max_queue_size) == (1, False, 10)
    model = keras.Sequential([keras.Input((1,)), keras.layers.Dense(1, use_bias=False,
                                                                     kernel_initializer="ones")])
    model.compile(optimizer="sgd", loss="mse")
    assert model.evaluate(data, verbose=0) == pytest.approx(0.0)  # 1 * 1 - 1
    data.max_queue_size = 4
    assert data.max_queue_size == 4 and not data.use_multiprocessing
    data.use_multiprocessing = True
    assert data.use_multiprocessing


@pytest.mark.parametrize("kwargs, error, message", [
    ({"workers": -1}, ValueError, r"`Halves` expects `workers` to be a non-negative integer. "
     r"Received: workers=-1 \(of type int\)"),
    ({"workers": True}, ValueError, "non-negative integer"),
    ({"use_multiprocessing": 1}, TypeError, "`use_multiprocessing` to be a bool"),
    ({"max_queue_size": 0}, ValueError, "`max_queue_size` to be a positive integer"),
])
def test_rejects_bad_settings(kwargs, error, message):
    with pytest.raises(error, match=message):
        Halves(**kwargs)


def test_a_dataset_without_a_length_says_how_to_give_one():
    class NoLength(PyDataset):
        def __getitem__(self, index):
            return np.ones((1, 1))

    with pytest.raises(TypeError, match=r"(?s)`NoLength` must say how many batches it has: "
                       r"define `__len__`.*override the `num_batches` property"):
        _ = NoLength().num_batches


def test_endless_dataset_iterates_without_end():
    class Counter(PyDataset):
        @property
        def num_batches(self):
            return None

        def __getitem__(self, index):
            return np.full((1, 1), index)

    iterator = iter(Counter())
    assert [int(next(iterator)[0, 0]) for _ in range(4)] == [0, 1, 2, 3]
    Counter().on_epoch_begin()  # the hooks do nothing by default
    Counter().on_epoch_end()
