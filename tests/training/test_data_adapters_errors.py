"""Bad data sources fail early, with messages that say what to do."""

import numpy as np
import pytest
import torch
from torch.utils.data import DataLoader, Dataset, TensorDataset

import lamina as keras
from lamina.layers import Dense
from lamina.training.data_adapters import GeneratorData, get_data_adapter
from lamina.training.data_adapters.conversion import class_sample_weights, class_weight_table

X, Y = np.ones((8, 4), "float32"), np.eye(3, dtype="float32")[[0, 1, 2, 0, 1, 2, 0, 1]]


def model():
    m = keras.Sequential([keras.Input((4,)), Dense(3, activation="softmax")])
    m.compile(optimizer="sgd", loss="categorical_crossentropy")
    return m


def batches(*items):
    return iter(items)


class Endless(keras.utils.PyDataset):
    @property
    def num_batches(self):
        return None

    def __getitem__(self, index):
        return X, Y


def test_a_generator_must_keep_one_structure():
    gen = batches((X, Y), (X, Y), (X,))
    with pytest.raises(ValueError, match=r"Every batch of the iterator must have the structure "
                       r"of the first one. The first batch was \(x=tensor\(rank 2\), "
                       r"y=tensor\(rank 2\)\); batch 2 is \(x=tensor\(rank 2\)\)"):
        model().fit(gen, verbose=0)
    gen = (b for b in [(X, Y), ([X, X], Y)])
    with pytest.raises(ValueError, match=r"the generator must have the structure.*batch 1 is "
                       r"\(x=\[tensor\(rank 2\), tensor\(rank 2\)\]"):
        model().fit(gen, verbose=0)


def test_a_batch_with_mismatched_sizes_is_named():
    with pytest.raises(ValueError, match=r"(?s)same number of samples \(in batch 1 of the "
                       r"iterator\).*'x' sizes: 8\n'y' sizes: 3"):
        model().fit(batches((X, Y), (X, Y[:3])), verbose=0)


def test_more_epochs_than_a_generator_can_give_need_steps_per_epoch():
    with pytest.raises(ValueError, match=r"`x` is the generator, which can be iterated only "
                       r"once, but there are 3 epochs to run.*Pass `steps_per_epoch`"):
        model().fit((b for b in [(X, Y)]), epochs=3, verbose=0)
    with pytest.raises(ValueError, match=r"`validation_data` is the iterator.*there are 2 "
                       r"validations to run.*Pass `validation_steps`"):
        model().fit(X, Y, epochs=2, validation_data=batches((X, Y)), verbose=0)
    # One validation (validation_freq=2 over 2 epochs) reads it once: allowed.
    model().fit(X, Y, epochs=2, validation_data=batches((X, Y)), validation_freq=2, verbose=0)


def test_an_endless_pydataset_needs_steps():
    with pytest.raises(ValueError, match=r"`x` is the PyDataset `Endless`, which has no end.*"
                       r"Pass `steps_per_epoch`"):
        model().fit(Endless(), verbose=0)
    with pytest.raises(ValueError, match="Pass `steps`"):
        model().evaluate(Endless(), verbose=0)
    with pytest.raises(ValueError, match="Pass `steps`"):
        model().predict(Endless(), verbose=0)
    assert model().predict(Endless(), steps=2, verbose=0).shape == (16, 3)
    history = model().fit(Endless(), steps_per_epoch=2, epochs=2, verbose=0)
    assert len(history.history["loss"]) == 2


@pytest.mark.parametrize("x, kind", [
    (batches((X, Y)), "a Python generator"),
    (DataLoader(TensorDataset(torch.ones(8, 4))), "a torch DataLoader"),
    (TensorDataset(torch.ones(8, 4)), "a torch TensorDataset"),
])
def test_targets_belong_inside_a_batch_source(x, kind):
    with pytest.raises(ValueError, match=f"When providing `x` as {kind}, `y` should not be "
                       "passed. Instead, the targets should be included"):
        model().fit(x, Y, verbose=0)


def test_sample_weights_belong_inside_a_batch_source():
    with pytest.raises(ValueError, match="`sample_weight` should not be passed. Instead, the "
                       "sample weights"):
        model().fit(Endless(), sample_weight=np.ones(8), verbose=0)


def test_validation_split_needs_arrays():
    with pytest.raises(ValueError, match=r"`validation_split` is only supported when `x` and `y` "
                       r"are arrays.*Pass the validation data as `validation_data=`"):
        model().fit(batches((X, Y)), validation_split=0.2, verbose=0)


def test_empty_sources_and_uncalled_generator_functions():
    with pytest.raises(ValueError, match="`x` is a Python iterator that yielded no batch"):
        model().fit(batches(), verbose=0)
    with pytest.raises(ValueError, match="`x` is a DataLoader that yielded no batch"):
        model().fit(DataLoader(TensorDataset(torch.ones(0, 4))), verbose=0)

    class Empty(keras.utils.PyDataset):
        def __len__(self):
            return 0

        def __getitem__(self, index):
            return X

    with pytest.raises(ValueError, match="the PyDataset `Empty`, which has no batches"):
        model().predict(Empty(), verbose=0)

    class NoItems(keras.utils.PyDataset):
        def __len__(self):
            return 1

    with pytest.raises(TypeError, match=r"`NoItems` \(a PyDataset\) must define `__getitem__"):
        model().predict(NoItems(), verbose=0)

    class NoSamples(Dataset):
        def __len__(self):
            return 0

    with pytest.raises(ValueError, match="the torch Dataset `NoSamples`, which has no samples"):
        model().predict(NoSamples(), verbose=0)

    class Sizeless(Dataset):
        def __getitem__(self, index):
            return X[0]

    with pytest.raises(TypeError, match="without `__len__`.*pass a `DataLoader`"):
        model().predict(Sizeless(), verbose=0)

    def gen():
        yield X, Y

    with pytest.raises(TypeError, match=r"the generator function `gen`, not a generator: call "
                       r"it, e.g. `fit\(gen\(\), ...\)`"):
        model().fit(gen, verbose=0)


def test_errors_inside_the_source_reach_the_caller():
    def broken():
        yield X, Y
        yield X, Y
        raise RuntimeError("disk on fire")

    with pytest.raises(RuntimeError, match="disk on fire"):
        model().fit(broken(), verbose=0)
    with pytest.raises(ValueError, match="Batch 0 of the iterator has no inputs"):
        model().fit(batches((None, Y)), verbose=0)


def test_class_weight_rules():
    with pytest.raises(ValueError, match="keys must be non-negative integer class indices"):
        model().fit(X, Y, class_weight={-1: 2.0}, verbose=0)
    with pytest.raises(ValueError, match="requires targets, but batch 0 of the iterator has no"):
        model().fit(batches((X,)), class_weight={0: 2.0}, verbose=0)
    with pytest.raises(ValueError, match="only supported for models with a single output"):
        model().fit(X, class_weight={0: 2.0}, verbose=0)
    # Keras' rule: argmax of one-hot targets, rounded labels otherwise; unknown classes weigh 1.
    table = class_weight_table({0: 0.5, 2: 3.0})
    one_hot = torch.eye(4)[[0, 1, 2, 3]]
    assert class_sample_weights(one_hot, table).tolist() == [0.5, 1.0, 3.0, 1.0]
    labels = torch.tensor([[0.2], [1.9], [7.0]])
    assert class_sample_weights(labels, table).tolist() == [0.5, 3.0, 1.0]
    scaled = class_sample_weights(torch.tensor([0, 2]), table, torch.tensor([2.0, 0.5]))
    assert scaled.tolist() == [1.0, 1.5]


def test_generator_adapter_reads_ahead_and_continues_across_passes():
    data = GeneratorData(iter([(X[:2], Y[:2]), (X[2:4], Y[2:4]), (X[4:], Y[4:])]),
                         device="cpu")
    first = [batch[0].shape[0] for _, batch in zip(range(2), data.batches())]
    rest = [b[0].shape[0] for b in data.batches()]
    assert first == [2, 2] and rest == [4] and list(data.batches()) == []
    data.close()
    adapter = get_data_adapter(TensorDataset(torch.ones(5, 4, dtype=torch.float64)),
                               batch_size=2, device="cpu")
    assert adapter.num_batches == 3 and adapter.x.dtype == torch.float32


def test_the_background_prefetcher_delivers_in_order_and_reraises():
    # An accelerator gets batches from a background thread; the `meta` device stands in for
    # one here (the thread, the queue and the non-blocking copy all run, without a GPU).
    gen = ((X[:k], Y[:k]) for k in (1, 2, 3, 4, 5))
    data = GeneratorData(gen, device="meta")
    shapes = [(b[0].device.type, b[0].shape[0], b[1].shape[0]) for b in data.batches()]
    assert shapes == [("meta", k, k) for k in (1, 2, 3, 4, 5)]
    data.close()

    def broken():
        yield X, Y
        raise RuntimeError("sensor unplugged")

    data = GeneratorData(broken(), device="meta")
    stream = data.batches()
    assert next(stream)[0].shape == (8, 4)
    with pytest.raises(RuntimeError, match="sensor unplugged"):
        next(stream)
    data.close()


def test_closing_stops_a_prefetcher_waiting_on_a_full_queue():
    pulled = []

    def endless():
        while True:
            pulled.append(len(pulled))
            yield X, Y

    data = GeneratorData(endless(), device="meta")
    stream = data.batches()
    next(stream)
    data.close()  # the thread was blocked on the full queue: it must return
    count = len(pulled)
    assert count <= 5  # read ahead by at most the queue and the batch in hand
    assert len(pulled) == count  # and nothing more after closing


def test_a_pass_left_early_ends_the_epoch_of_a_pydataset():
    calls = []

    class Named(keras.utils.PyDataset):
        def __len__(self):
            return 4

        def __getitem__(self, index):
            return {"a": X[:2], "b": [X[:2], X[:2]]}, Y[:2]

        def on_epoch_end(self):
            calls.append("end")

    data = get_data_adapter(Named(workers=2), device="meta")
    stream = data.batches()
    x, y, _ = next(stream)
    assert x["a"].device.type == "meta" and len(x["b"]) == 2 and y.shape == (2, 3)
    stream.close()  # e.g. `evaluate(steps=1)`
    assert calls == ["end"]
    assert len(list(data.batches())) == 4 and calls == ["end", "end"]
    data.close()


def test_a_scalar_has_no_batch_dimension():
    with pytest.raises(ValueError, match=r"`y` must have a batch dimension \(in batch 0 of the "
                       r"iterator\); received a scalar"):
        model().fit(batches((X, torch.tensor(1.0))), verbose=0)
    with pytest.raises(ValueError, match="`x` must have a batch dimension; received a scalar"):
        model().predict(torch.tensor(1.0), verbose=0)
