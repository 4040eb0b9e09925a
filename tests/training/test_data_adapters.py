"""`fit`/`evaluate`/`predict` from generators, `PyDataset`, torch `DataLoader` and `Dataset`.

The oracle is the array path: fed the same batches in the same order, every source must
reach the same weights and losses as `fit(x, y, shuffle=False)`.
"""

import random

import numpy as np
import pytest
import torch
from torch.utils.data import DataLoader, Dataset, IterableDataset, TensorDataset

import lamina as keras
from lamina.layers import Dense

N, BATCH, FEATURES, CLASSES = 40, 8, 4, 3


def mlp():
    keras.utils.set_random_seed(1)
    model = keras.Sequential([keras.Input((FEATURES,)), Dense(8, activation="relu"),
                              Dense(CLASSES, activation="softmax")])
    model.compile(optimizer=keras.optimizers.SGD(0.1), loss="categorical_crossentropy",
                  metrics=["acc"])
    return model


def data(n=N, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, FEATURES)).astype("float32")
    labels = (x[:, 0] > 0).astype("int64") + (x[:, 1] > 1)
    return x, np.eye(CLASSES, dtype="float32")[labels]


def endless(x, y):
    while True:
        for start in range(0, len(x), BATCH):
            yield x[start:start + BATCH], y[start:start + BATCH]


class Batches(keras.utils.PyDataset):
    """Batches sliced from arrays; records the indices asked for and the epoch hooks."""

    def __init__(self, x, y, **kwargs):
        super().__init__(**kwargs)
        self.x, self.y, self.calls = x, y, []

    def __len__(self):
        return -(-len(self.x) // BATCH)

    def __getitem__(self, index):
        self.calls.append(index)
        return self.x[index * BATCH:(index + 1) * BATCH], self.y[index * BATCH:(index + 1) * BATCH]

    def on_epoch_begin(self):
        self.calls.append("begin")

    def on_epoch_end(self):
        self.calls.append("end")


class Samples(Dataset):
    """A map-style torch Dataset of numpy samples (no `__getitems__`)."""

    def __init__(self, x, y):
        self.x, self.y = x, y

    def __len__(self):
        return len(self.x)

    def __getitem__(self, index):
        return self.x[index], self.y[index]


class Stream(IterableDataset):
    def __init__(self, x, y):
        self.x, self.y = x, y

    def __iter__(self):
        return iter(zip(self.x, self.y))


def fit_weights(x, y=None, **kwargs):
    model = mlp()
    history = model.fit(x, y, batch_size=BATCH, epochs=2, shuffle=False, verbose=0, **kwargs)
    return model.get_weights(), history.history


@pytest.mark.parametrize("source", ["generator", "dataloader", "pydataset", "pydataset_threads",
                                    "pydataset_processes", "torch_dataset", "tensor_dataset",
                                    "iterable_dataset", "buffer_reusing_generator"])
def test_every_source_reaches_the_array_weights(source):
    x, y = data()
    expected, expected_history = fit_weights(x, y)
    if source == "generator":
        got, history = fit_weights(endless(x, y), steps_per_epoch=N // BATCH)
    elif source == "buffer_reusing_generator":  # batches must not alias the next one's buffer
        def refill():
            bx, by = np.empty((BATCH, FEATURES), "float32"), np.empty((BATCH, CLASSES), "float32")
            for batch_x, batch_y in endless(x, y):
                bx[:], by[:] = batch_x, batch_y
                yield bx, by
        got, history = fit_weights(refill(), steps_per_epoch=N // BATCH)
    elif source == "dataloader":
        loader = DataLoader(TensorDataset(torch.from_numpy(x), torch.from_numpy(y)),
                            batch_size=BATCH)
        got, history = fit_weights(loader)
    elif source.startswith("pydataset"):
        settings = {"pydataset": {}, "pydataset_threads": {"workers": 3, "max_queue_size": 2},
                    "pydataset_processes": {"workers": 2, "use_multiprocessing": True}}[source]
        got, history = fit_weights(Batches(x, y, **settings))
    elif source == "torch_dataset":
        got, history = fit_weights(Samples(x, y))
    elif source == "tensor_dataset":
        got, history = fit_weights(TensorDataset(torch.from_numpy(x), torch.from_numpy(y)))
    else:
        got, history = fit_weights(Stream(x, y))
    for a, b in zip(got, expected):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7)
    assert history["loss"] == pytest.approx(expected_history["loss"], rel=1e-6)


def test_a_finite_generator_trains_one_epoch_like_arrays():
    x, y = data()
    model, twin = mlp(), mlp()
    gen = ((x[s:s + BATCH], y[s:s + BATCH]) for s in range(0, N, BATCH))
    history = model.fit(gen, epochs=1, verbose=0)
    expected = twin.fit(x, y, batch_size=BATCH, epochs=1, shuffle=False, verbose=0)
    assert history.history["loss"] == pytest.approx(expected.history["loss"], rel=1e-6)
    assert history.params["steps"] is None  # unknown length: the progress bar has no total


def test_evaluate_and_predict_from_sources_match_arrays():
    x, y = data()
    model = mlp()
    loss, acc = model.evaluate(x, y, batch_size=BATCH, verbose=0)
    for source in (endless(x, y), Batches(x, y), Samples(x, y)):
        steps = N // BATCH if source.__class__.__name__ == "generator" else None
        got = model.evaluate(source, steps=steps, verbose=0)
        assert got == pytest.approx([loss, acc], rel=1e-6)
    expected = model.predict(x, verbose=0)
    only_x = (x[s:s + BATCH] for s in range(0, N, BATCH))  # batches of inputs alone
    np.testing.assert_allclose(model.predict(only_x, verbose=0), expected, rtol=1e-6)
    np.testing.assert_allclose(model.predict(Batches(x, y), verbose=0), expected, rtol=1e-6)
    head = model.predict(endless(x, y), steps=2, verbose=0)  # an endless source with `steps`
    np.testing.assert_allclose(head, expected[:2 * BATCH], rtol=1e-6)


@pytest.mark.parametrize("form", ["pydataset", "dataloader", "generator"])
def test_validation_data_in_every_form(form):
    x, y = data()
    vx, vy = data(16, seed=1)
    validation = {"pydataset": Batches(vx, vy),
                  "dataloader": DataLoader(TensorDataset(torch.from_numpy(vx),
                                                         torch.from_numpy(vy)), batch_size=BATCH),
                  "generator": endless(vx, vy)}[form]
    steps = 2 if form == "generator" else None
    model, twin = mlp(), mlp()
    history = model.fit(x, y, batch_size=BATCH, epochs=2, shuffle=False, verbose=0,
                        validation_data=validation, validation_steps=steps)
    expected = twin.fit(x, y, batch_size=BATCH, epochs=2, shuffle=False, verbose=0,
                        validation_data=(vx, vy))
    assert history.history["val_loss"] == pytest.approx(expected.history["val_loss"], rel=1e-6)


def test_class_weight_with_a_generator_matches_arrays():
    x, y = data()
    weights = {0: 0.5, 1: 2.0}  # class 2 is missing: weight 1, as in Keras
    model, twin = mlp(), mlp()
    history = model.fit(endless(x, y), steps_per_epoch=N // BATCH, epochs=2, verbose=0,
                        class_weight=weights)
    expected = twin.fit(x, y, batch_size=BATCH, epochs=2, shuffle=False, verbose=0,
                        class_weight=weights)
    assert history.history["loss"] == pytest.approx(expected.history["loss"], rel=1e-6)
    # Oracle for the weighting itself: the first step's loss, weighted by hand.
    labels = y.argmax(1)[:BATCH]
    nll = -np.log(mlp().predict(x[:BATCH], verbose=0)[np.arange(BATCH), labels])
    by_hand = np.mean([weights.get(k, 1.0) for k in labels] * nll)
    losses = []
    mlp().fit(endless(x, y), steps_per_epoch=1, epochs=1, verbose=0, class_weight=weights,
              callbacks=[_FirstLoss(losses)])
    assert losses[0] == pytest.approx(by_hand, rel=1e-5)


class _FirstLoss(keras.callbacks.Callback):
    def __init__(self, store):
        super().__init__()
        self.store = store

    def on_train_batch_end(self, batch, logs=None):
        self.store.append(float(logs["loss"]))


def test_named_inputs_from_a_generator_of_dicts():
    keras.utils.set_random_seed(2)
    a, b = keras.Input((2,), name="a"), keras.Input((1,), name="b", dtype="int64")
    embedded = keras.layers.Flatten()(keras.layers.Embedding(5, 2)(b))  # (batch, 2)
    merged = keras.layers.Concatenate()([a, embedded])
    model = keras.Model([a, b], Dense(1)(merged))
    model.compile(optimizer="sgd", loss="mse")
    rng = np.random.default_rng(0)
    xa, xb = rng.normal(size=(16, 2)).astype("float32"), rng.integers(0, 5, (16, 1))
    target = rng.normal(size=(16, 1)).astype("float32")
    gen = (({"b": xb[s:s + 8].astype("float32"), "a": xa[s:s + 8]}, target[s:s + 8])
           for s in (0, 8))  # keys out of order, `b` as floats: matched by name, cast to int64
    loss = model.evaluate(gen, verbose=0)
    assert loss == pytest.approx(model.evaluate({"a": xa, "b": xb}, target, verbose=0), rel=1e-6)


def test_shuffle_semantics_per_source():
    x, y = data()
    dataset = Batches(x, y)
    mlp().fit(dataset, epochs=2, shuffle=True, verbose=0)
    passes = [dataset.calls[i + 1:i + 6] for i, c in enumerate(dataset.calls) if c == "begin"]
    assert dataset.calls.count("begin") == dataset.calls.count("end") == 2
    assert [sorted(p) for p in passes] == [list(range(5))] * 2  # each batch once per pass
    keras.utils.set_random_seed(3)
    expected = list(range(5))
    random.shuffle(expected)
    dataset.calls.clear()
    keras.utils.set_random_seed(3)
    model = mlp()
    keras.utils.set_random_seed(3)
    model.fit(dataset, epochs=1, shuffle=True, verbose=0)
    # calls[0] is the peek at batch 0 (to check the inputs); Keras draws the order from `random`.
    assert dataset.calls[1] == "begin" and dataset.calls[2:7] == expected
    # A torch Dataset: one permutation of the samples per pass; "batch" keeps batches whole.
    seen = []

    class Recorder(Samples):
        def __getitem__(self, index):
            seen.append(index)
            return super().__getitem__(index)

    torch.manual_seed(5)
    permutation = torch.randperm(N).tolist()
    model = mlp()
    seen.clear()
    torch.manual_seed(5)
    model.fit(Recorder(x, y), batch_size=BATCH, shuffle=True, verbose=0)
    assert seen[BATCH:] == permutation  # (the first batch was read once more, to build)
    seen.clear()
    model.fit(Recorder(x, y), batch_size=BATCH, shuffle="batch", verbose=0)
    blocks = [seen[i:i + BATCH] for i in range(BATCH, len(seen), BATCH)]
    assert sorted(b[0] for b in blocks) == list(range(0, N, BATCH))
    assert all(b == list(range(b[0], b[0] + BATCH)) for b in blocks)


def test_steps_per_epoch_continues_a_pydataset_across_epochs():
    x, y = data()
    dataset = Batches(x, y)
    history = mlp().fit(dataset, epochs=3, steps_per_epoch=3, shuffle=False, verbose=0)
    assert len(history.history["loss"]) == 3
    fetched = [c for c in dataset.calls[1:] if c not in ("begin", "end")]
    # 9 batches trained: one pass and four more (the prefetcher may have read a little further).
    assert fetched[:9] == [0, 1, 2, 3, 4, 0, 1, 2, 3]
    assert dataset.calls.count("end") == 2  # the first pass ended; `fit` ended the second


def test_a_generator_that_runs_out_stops_training_with_a_warning():
    x, y = data()
    gen = ((x[s:s + BATCH], y[s:s + BATCH]) for s in range(0, N, BATCH))  # 5 batches
    with pytest.warns(UserWarning, match=r"ran out of data.*`steps_per_epoch \* epochs`"):
        history = mlp().fit(gen, steps_per_epoch=2, epochs=4, verbose=0)
    assert history.epoch == [0, 1, 2]  # 2 + 2 + 1 batches, then nothing: stop
    val = ((x[s:s + BATCH], y[s:s + BATCH]) for s in range(0, 16, BATCH))  # 2 batches
    with pytest.warns(UserWarning, match="ran out of data"):
        mlp().fit(x, y, epochs=2, verbose=0, validation_data=val, validation_steps=2)
