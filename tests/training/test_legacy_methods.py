"""Keras 2's removed model methods and `fit(nb_epoch=...)`: each forwards to `fit`/`evaluate`/
`predict` (same numbers) with one DeprecationWarning naming the Keras 3 spelling."""

import re
import warnings

import numpy as np
import pytest
import torch

import lamina as keras
from lamina.layers import Dense
from tests.legacy_warnings import one_deprecation

RNG = np.random.default_rng(0)
X = RNG.normal(size=(48, 4)).astype("float32")
LABELS = (X[:, 0] > 0).astype("int64") + (X[:, 1] > 0.5)
Y = keras.utils.to_categorical(LABELS, 3)


def model(outputs=3, activation="softmax", seed=0):
    torch.manual_seed(seed)
    net = keras.Sequential([keras.Input((4,)), Dense(8, activation="relu"),
                            Dense(outputs, activation=activation)])
    net.compile(optimizer=keras.optimizers.SGD(learning_rate=0.1),
                loss="categorical_crossentropy" if outputs > 1 else "mse", metrics=["acc"])
    return net


def batches(n_batches=3, batch_size=16):
    """A Keras 2 style endless generator of `(x, y)` batches."""
    while True:
        for i in range(n_batches):
            yield X[i * batch_size:(i + 1) * batch_size], Y[i * batch_size:(i + 1) * batch_size]


class Batches(keras.utils.PyDataset):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.seen_workers = []

    def __len__(self):
        return 3

    def __getitem__(self, index):
        return X[index * 16:(index + 1) * 16], Y[index * 16:(index + 1) * 16]

    def on_epoch_begin(self):
        self.seen_workers.append((self.workers, self.use_multiprocessing, self.max_queue_size))


def _weights_equal(a, b):
    for wa, wb in zip(a.get_weights(), b.get_weights()):
        np.testing.assert_array_equal(wa, wb)


def test_fit_nb_epoch_is_epochs():
    legacy, modern = model(), model()
    with one_deprecation(r"^`nb_epoch` is deprecated in Keras 3; use `epochs=2`\.$"):
        history = legacy.fit(X, Y, nb_epoch=2, batch_size=16, shuffle=False, verbose=0)
    modern_history = modern.fit(X, Y, epochs=2, batch_size=16, shuffle=False, verbose=0)
    assert history.history == modern_history.history and len(history.history["loss"]) == 2
    _weights_equal(legacy, modern)


def test_fit_rejects_unknown_keyword_arguments_listing_the_known_ones():
    with pytest.raises(TypeError, match=re.escape(
            "`fit` got unexpected keyword arguments: {'nb_epochs': 2}. It takes: x, y, "
            "batch_size, epochs,")):
        model().fit(X, Y, nb_epochs=2)


def test_fit_generator_is_fit_on_the_generator():
    legacy, modern = model(), model()
    with one_deprecation(r"^`model\.fit_generator` is deprecated in Keras 3; use `model\.fit`"):
        history = legacy.fit_generator(batches(), steps_per_epoch=3, epochs=2, verbose=0,
                                       validation_data=batches(), validation_steps=2)
    expected = modern.fit(batches(), steps_per_epoch=3, epochs=2, verbose=0,
                          validation_data=batches(), validation_steps=2)
    assert history.history == expected.history and "val_loss" in history.history
    _weights_equal(legacy, modern)


def test_float_steps_run_as_many_steps_as_keras_2_did():
    # Keras 2's ImageDataGenerator example: `steps_per_epoch=len(x_train) / 32`.
    legacy, modern = model(), model()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        history = legacy.fit_generator(batches(), steps_per_epoch=len(X) / 20, epochs=2,
                                       verbose=0, validation_data=batches(),
                                       validation_steps=1.5)
    messages = [str(w.message) for w in caught if w.category is DeprecationWarning]
    assert len(messages) == 3 and "fit_generator" in messages[0]
    assert messages[1] == ("`steps_per_epoch=2.4` is not an integer: Keras 2 ran 3 steps for "
                           "it, and so does lamina. In Keras 3 pass an integer: "
                           "`steps_per_epoch=3`.")
    assert "`validation_steps=2`" in messages[2]
    assert all(w.filename == __file__ for w in caught if w.category is DeprecationWarning)
    expected = modern.fit(batches(), steps_per_epoch=3, epochs=2, verbose=0,
                          validation_data=batches(), validation_steps=2)
    assert history.history == expected.history
    _weights_equal(legacy, modern)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert legacy.predict_generator(batches(), steps=1.2).shape == (32, 3)  # 2 batches
    assert "`steps=2`" in str(caught[-1].message)
    with warnings.catch_warnings(), pytest.raises(ValueError, match="steps_per_epoch"):
        warnings.simplefilter("ignore", DeprecationWarning)
        legacy.fit_generator(batches(), steps_per_epoch=-1.5, verbose=0)  # fit's own error


def test_generator_methods_set_pydataset_loading_for_the_call():
    net, dataset = model(), Batches(workers=3)
    with one_deprecation("fit_generator"):
        net.fit_generator(dataset, epochs=1, verbose=0, workers=2, max_queue_size=4)
    with one_deprecation("evaluate_generator"):
        net.evaluate_generator(dataset)  # Keras 2's defaults: the dataset's own settings
    assert dataset.seen_workers == [(2, False, 4), (3, False, 10)]
    assert (dataset.workers, dataset.max_queue_size) == (3, 10)  # restored


def test_evaluate_and_predict_generator_match_evaluate_and_predict():
    net = model()
    with one_deprecation(r"^`model\.evaluate_generator` is deprecated in Keras 3; use "
                         r"`model\.evaluate`"):
        legacy = net.evaluate_generator(batches(), steps=3)
    assert legacy == net.evaluate(X, Y, batch_size=16, verbose=0)
    with one_deprecation(r"^`model\.predict_generator` is deprecated in Keras 3; use "
                         r"`model\.predict`"):
        predicted = net.predict_generator((x for x, _ in batches()), steps=3)
    np.testing.assert_array_equal(predicted, net.predict(X, verbose=0))


def test_predict_classes_is_the_argmax_of_softmax_outputs():
    net = model()
    with one_deprecation(r"`model\.predict_classes` is deprecated in Keras 3; use "
                         r"`np\.argmax\(model\.predict\(x\), axis=-1\)`"):
        classes = net.predict_classes(X)
    np.testing.assert_array_equal(classes, net.predict(X, verbose=0).argmax(axis=-1))
    assert classes.shape == (48,)


def test_predict_classes_thresholds_one_sigmoid_unit():
    net = model(outputs=1, activation="sigmoid")
    with one_deprecation("predict_classes"):
        classes = net.predict_classes(X, batch_size=8)
    proba = net.predict(X, verbose=0)
    assert classes.dtype == np.int32 and classes.shape == (48, 1)
    np.testing.assert_array_equal(classes, (proba > 0.5).astype("int32"))
    assert 0 < classes.sum() < 48


def test_predict_proba_is_predict():
    net = model()
    with one_deprecation(r"^`model\.predict_proba` is deprecated in Keras 3; use "
                         r"`model\.predict\(x\)`\.$"):
        proba = net.predict_proba(X)
    np.testing.assert_array_equal(proba, net.predict(X, verbose=0))


def test_predict_proba_warns_about_values_that_are_not_probabilities():
    net = model(outputs=2, activation=None)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        net.predict_proba(X * 100)
    assert [w.category for w in caught] == [DeprecationWarning, UserWarning]
    assert "returns values outside [0, 1]" in str(caught[1].message)
    assert caught[1].filename == __file__


def test_class_predictions_need_a_single_output():
    inputs = keras.Input((4,))
    two = keras.Model(inputs, [Dense(2)(inputs), Dense(3)(inputs)])
    with pytest.warns(DeprecationWarning), pytest.raises(TypeError, match=re.escape(
            "`predict_classes` works on models with one output; this one returns list of "
            "outputs.")):
        two.predict_classes(X)
