"""`ImageDataGenerator.flow` and its `NumpyArrayIterator`: batches (checked against the
arrays and the generator's own transforms), order and randomness, `fit` with a tiny CNN, and
errors."""

import warnings

import numpy as np
import pytest
import torch

import lamina as keras
from lamina.preprocessing.image import ImageDataGenerator, Iterator, NumpyArrayIterator
from lamina.utils import PyDataset
from tests.legacy_warnings import one_deprecation

X = np.random.default_rng(0).uniform(0, 255, (20, 6, 6, 3)).astype("float32")
Y = np.arange(20)


def make(**kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        return ImageDataGenerator(**kwargs)


def test_flow_is_a_pydataset_of_float_batches():
    it = make(rescale=0.5).flow(X, Y, batch_size=8, shuffle=False)
    assert isinstance(it, PyDataset) and isinstance(it, NumpyArrayIterator)
    assert len(it) == 3 and it.n == 20 and it.batch_size == 8
    x, y = it[2]  # the last batch is short
    assert x.dtype == np.float32 and x.shape == (4, 6, 6, 3)
    np.testing.assert_allclose(x, X[16:] * 0.5)
    np.testing.assert_array_equal(y, Y[16:])


def test_flow_yields_x_alone_or_with_sample_weights_and_extra_inputs():
    generator = make()
    assert generator.flow(X, batch_size=5, shuffle=False)[0].shape == (5, 6, 6, 3)
    weights = np.linspace(0, 1, 20)
    x, y, w = generator.flow(X, Y, batch_size=5, shuffle=False, sample_weight=weights)[1]
    np.testing.assert_array_equal(x, X[5:10])
    np.testing.assert_array_equal(w, weights[5:10])
    misc = np.arange(40).reshape(20, 2)
    (images, extra), y = generator.flow((X, misc), Y, batch_size=5, shuffle=False)[1]
    np.testing.assert_array_equal(images, X[5:10])
    np.testing.assert_array_equal(extra, misc[5:10])
    np.testing.assert_array_equal(y, Y[5:10])


def test_each_image_is_transformed_with_its_own_draw():
    generator = make(horizontal_flip=True)
    x, y = generator.flow(X, Y, batch_size=20, seed=3)[0]
    flipped = 0
    for image, label in zip(x, y):
        if np.array_equal(image, X[label]):
            continue
        np.testing.assert_array_equal(image, X[label][:, ::-1])
        flipped += 1
    assert 0 < flipped < 20


def test_shuffling_covers_every_sample_once_per_epoch_and_changes_between_epochs():
    it = make().flow(X, Y, batch_size=6, seed=1)
    first = np.concatenate([it[i][1] for i in range(len(it))])
    assert sorted(first) == list(Y) and list(first) != list(Y)
    it.on_epoch_end()
    second = np.concatenate([it[i][1] for i in range(len(it))])
    assert sorted(second) == list(Y) and list(second) != list(first)


def test_a_batch_depends_on_the_seed_epoch_and_index_only():
    generator = make(rotation_range=30, zoom_range=0.2)
    a, b = generator.flow(X, Y, batch_size=4, seed=5), generator.flow(X, Y, batch_size=4, seed=5)
    later = [a[i] for i in (1, 0, 1)]  # any order, any repetition
    np.testing.assert_array_equal(later[0][0], b[1][0])
    np.testing.assert_array_equal(later[1][0], b[0][0])
    np.testing.assert_array_equal(later[2][0], later[0][0])
    other = generator.flow(X, Y, batch_size=4, seed=6)[0][0]
    assert not np.array_equal(other, b[0][0])


def test_without_a_seed_numpys_global_seed_governs():
    generator = make(rotation_range=30)
    np.random.seed(2)
    a = generator.flow(X, Y, batch_size=4)[0][0]
    np.random.seed(2)
    np.testing.assert_array_equal(generator.flow(X, Y, batch_size=4)[0][0], a)


def test_next_loops_over_the_batches_forever():
    it = make().flow(X, Y, batch_size=8, shuffle=False)
    labels = [next(it)[1] for _ in range(4)]
    assert [len(y) for y in labels] == [8, 8, 4, 8]
    np.testing.assert_array_equal(labels[3], Y[:8])
    for step, (x, y) in enumerate(it):  # Keras 2 tutorials break out of this loop
        if step == 2:
            break
    assert y.tolist() == Y[:8].tolist()
    it.reset()  # back to the first batch (without it, the next one would be the second)
    assert next(it)[1].tolist() == Y[:8].tolist()


def test_subset_splits_off_the_first_samples_for_validation():
    generator = make(validation_split=0.25)
    y = np.tile([0, 1], 10)
    val = generator.flow(X, y, batch_size=50, shuffle=False, subset="validation")
    train = generator.flow(X, y, batch_size=50, shuffle=False, subset="training")
    assert val.n == 5 and train.n == 15
    np.testing.assert_array_equal(val[0][0], X[:5])
    np.testing.assert_array_equal(train[0][0], X[5:])
    with pytest.raises(ValueError, match="different classes after the split"):
        generator.flow(X, np.repeat([0, 1], 10), subset="validation")
    assert generator.flow(X, np.repeat([0, 1], 10), subset="validation",
                          ignore_class_split=True).n == 5


def test_save_to_dir_writes_the_generated_images(tmp_path):
    make().flow(X, Y, batch_size=3, shuffle=False, save_to_dir=tmp_path, save_prefix="aug",
                seed=0)[1]
    names = sorted(p.name for p in tmp_path.iterdir())
    assert len(names) == 3 and all(n.startswith(("aug_3_", "aug_4_", "aug_5_")) for n in names)


def _tiny_cnn():
    torch.manual_seed(0)
    model = keras.Sequential([
        keras.Input((8, 8, 1)), keras.layers.Conv2D(4, 3, activation="relu"),
        keras.layers.GlobalAveragePooling2D(), keras.layers.Dense(2, activation="softmax")])
    model.compile(optimizer=keras.optimizers.Adam(0.05), loss="categorical_crossentropy",
                  metrics=["accuracy"])
    return model


def _bright_and_dark(n=48):
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 2, n)
    x = rng.uniform(0, 100, (n, 8, 8, 1)) + 150 * labels[:, None, None, None]
    return x.astype("float32"), keras.utils.to_categorical(labels, 2)


def test_fit_trains_a_cnn_on_the_generated_batches():
    x, y = _bright_and_dark()
    generator = make(rescale=1 / 255, horizontal_flip=True, rotation_range=10)
    model = _tiny_cnn()
    history = model.fit(generator.flow(x, y, 8, seed=0), epochs=4, verbose=0)
    assert history.history["loss"][-1] < 0.5 * history.history["loss"][0]
    assert history.history["accuracy"][-1] > 0.9
    # `fit` trains on exactly the iterator's batches: replay them with `train_on_batch`.
    replay, trained = _tiny_cnn(), _tiny_cnn()
    trained.fit(generator.flow(x, y, 8, seed=1), epochs=1, shuffle=False, verbose=0)
    it = generator.flow(x, y, 8, seed=1)
    for i in range(len(it)):
        replay.train_on_batch(*it[i])
    for a, b in zip(trained.get_weights(), replay.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def test_batches_made_by_several_workers_train_the_same_model():
    x, y = _bright_and_dark(24)
    generator = make(rotation_range=20, horizontal_flip=True)
    one, three = _tiny_cnn(), _tiny_cnn()
    one.fit(generator.flow(x, y, 8, seed=2), epochs=2, shuffle=False, verbose=0)
    it = generator.flow(x, y, 8, seed=2)
    it.workers = 3  # batches come from a thread pool, in any order
    three.fit(it, epochs=2, shuffle=False, verbose=0)
    for a, b in zip(one.get_weights(), three.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_legacy_fit_generator_takes_the_iterator():
    x, y = _bright_and_dark(16)
    model = _tiny_cnn()
    with one_deprecation("fit_generator"):
        history = model.fit_generator(make(rescale=1 / 255).flow(x, y, 8), epochs=2, verbose=0)
    assert len(history.history["loss"]) == 2


class Doubles(Iterator):
    def _get_batches_of_transformed_samples(self, index_array):
        return index_array * 2


def test_an_iterator_subclass_defines_how_a_batch_is_made():
    it = Doubles(5, 2, shuffle=False, seed=None)
    assert len(it) == 3 and it[2].tolist() == [8]
    with pytest.raises(TypeError, match="_get_batches_of_transformed_samples"):
        Iterator(5, 2, shuffle=False, seed=None)[0]


@pytest.mark.parametrize("index", [3, -1, 1.0])
def test_indexing_outside_the_batches_fails(index):
    with pytest.raises(IndexError, match="has 3 batches"):
        Doubles(5, 2, shuffle=False, seed=None)[index]


@pytest.mark.parametrize("call, match", [
    (lambda g: g.flow(X[..., 0]), "rank 4"),
    (lambda g: g.flow(X, Y[:5]), "`x` \\(images\\) and `y` to have the same length"),
    (lambda g: g.flow(X, Y, sample_weight=Y[:3]), "`sample_weight` to have the same length"),
    (lambda g: g.flow((X, Y[:3]), Y), "the same length"),
    (lambda g: g.flow((X, Y, Y), Y), "a pair"),
    (lambda g: g.flow(X, Y, subset="validation"), "no `validation_split`"),
    (lambda g: g.flow(X, Y, batch_size=0), "`batch_size` to be a positive integer"),
])
def test_flow_rejects_bad_arguments(call, match):
    with pytest.raises(ValueError, match=match):
        call(make())


def test_flow_rejects_an_unknown_subset():
    with pytest.raises(ValueError, match="'training', 'validation' or None"):
        make(validation_split=0.5).flow(X, Y, subset="test")


def test_flow_rejects_a_seed_that_is_not_an_int():
    with pytest.raises(TypeError, match="`seed` to be an integer"):
        make().flow(X, Y, seed=1.5)


def test_flow_warns_about_an_odd_number_of_channels():
    with pytest.warns(UserWarning, match="1, 3 or 4 channels"):
        make().flow(np.zeros((4, 5, 5, 2)))
