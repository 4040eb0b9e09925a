"""Keras 2's `KerasClassifier`/`KerasRegressor`: deprecation, `sk_params` routing, labels and
probabilities against a numpy forward pass, `score`, cloning and searches, pickling, and the
credit-card-fraud tutorial's `RandomizedSearchCV` flow."""

import pickle
import warnings

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.datasets import make_classification
from sklearn.exceptions import NotFittedError
from sklearn.model_selection import RandomizedSearchCV

import lamina as keras
from lamina.wrappers.scikit_learn import KerasClassifier, KerasRegressor
from tests.wrappers.builders import (
    build_model,
    linear_net,
    numpy_forward,
    sigmoid_net,
    softmax_net,
)

# The deprecation of the classes themselves is tested below; elsewhere it is expected noise.
pytestmark = pytest.mark.filterwarnings(
    "ignore:.* is deprecated and was removed in Keras 3:DeprecationWarning")


def _binary(n=20):
    rng = np.random.default_rng(0)
    return rng.normal(size=(n, 3)), np.array(["no", "yes"] * (n // 2))


class BatchCounter(keras.callbacks.Callback):
    def __init__(self):
        super().__init__()
        self.batches = 0

    def on_train_batch_end(self, batch, logs=None):
        self.batches += 1


@pytest.mark.filterwarnings("default")
@pytest.mark.parametrize("cls, modern", [(KerasClassifier, "SKLearnClassifier"),
                                         (KerasRegressor, "SKLearnRegressor")])
def test_construction_warns_once_naming_the_modern_class(cls, modern):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        cls(build_fn=sigmoid_net, epochs=2)
    assert [w.category for w in caught] == [DeprecationWarning]
    assert f"lamina.wrappers.{modern}" in str(caught[0].message)
    assert caught[0].filename == __file__  # attributed to the caller's line


def test_nb_epoch_becomes_epochs_with_one_warning():
    with pytest.warns(DeprecationWarning, match="`nb_epoch` is deprecated: use `epochs`"):
        clf = KerasClassifier(build_fn=sigmoid_net, nb_epoch=3, verbose=0)
    assert clf.get_params() == {"build_fn": sigmoid_net, "epochs": 3, "verbose": 0}
    history = clf.fit(*_binary())
    assert history.epoch == [0, 1, 2]
    with pytest.warns(DeprecationWarning, match="use `epochs`"):
        history = clf.fit(*_binary(), nb_epoch=1)
    assert history.epoch == [0]


def test_rejects_both_nb_epoch_and_epochs():
    with pytest.raises(ValueError, match="both `nb_epoch` and `epochs`"):
        KerasClassifier(build_fn=sigmoid_net, nb_epoch=3, epochs=3)


def test_rejects_an_unknown_sk_param_listing_the_known_ones():
    with pytest.raises(ValueError, match=r"`n_layers` is not a legal parameter of "
                                         r"`KerasClassifier`.*accepts: \['input_dim', "):
        KerasClassifier(build_fn=sigmoid_net, n_layers=2)
    clf = KerasClassifier(build_fn=sigmoid_net)
    with pytest.raises(ValueError, match="`epoch` is not a legal parameter"):
        clf.set_params(epoch=3)


def test_sk_params_are_routed_by_name_and_fit_arguments_win():
    counter = BatchCounter()
    clf = KerasClassifier(build_fn=sigmoid_net, n_neurons=6, epochs=2, batch_size=5,
                          callbacks=[counter], verbose=0)
    history = clf.fit(*_binary())
    assert clf.model.layers[0].units == 6  # build_fn's argument
    assert history.epoch == [0, 1] and counter.batches == 2 * 4  # fit's arguments
    history = clf.fit(*_binary(), epochs=1, batch_size=10)
    assert history.epoch == [0] and counter.batches == 8 + 2
    assert clf.sk_params["epochs"] == 2  # fit's arguments do not stick


def test_untrained_labels_and_probabilities_follow_the_sigmoid_output():
    X, y = _binary()
    clf = KerasClassifier(build_fn=sigmoid_net, epochs=0, verbose=0)
    clf.fit(X, y)
    p = numpy_forward(clf.model, X)  # (n, 1)
    np.testing.assert_allclose(clf.model.predict(X, verbose=0), p, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(clf.predict_proba(X), np.hstack([1 - p, p]), rtol=1e-5,
                               atol=1e-6)
    np.testing.assert_array_equal(clf.classes_, ["no", "yes"])
    np.testing.assert_array_equal(clf.predict(X), np.where(p[:, 0] > 0.5, "yes", "no"))
    assert clf.n_classes_ == 2


def test_score_is_the_accuracy_of_the_predictions():
    X, y = _binary(40)
    X[y == "yes"] += 2.0
    clf = KerasClassifier(build_fn=sigmoid_net, epochs=10, batch_size=8, verbose=0)
    clf.fit(X, y)
    assert clf.score(X, y) == pytest.approx(np.mean(clf.predict(X) == y), abs=1e-6)


@pytest.mark.parametrize("loss", ["sparse_categorical_crossentropy", "categorical_crossentropy",
                                  keras.losses.CategoricalCrossentropy()])
def test_softmax_labels_take_the_argmax_and_one_hot_targets_when_categorical(loss):
    rng = np.random.default_rng(1)
    X, y = rng.normal(size=(12, 3)), np.array([30, 10, 20] * 4)
    clf = KerasClassifier(build_fn=softmax_net, loss=loss, epochs=0, verbose=0)
    clf.fit(X, y)
    proba = clf.predict_proba(X)
    np.testing.assert_allclose(proba, numpy_forward(clf.model, X), rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(clf.predict(X), np.array([10, 20, 30])[proba.argmax(1)])
    accuracy = np.mean(clf.predict(X) == y)
    assert clf.score(X, y) == pytest.approx(accuracy, abs=1e-6)


def test_one_hot_targets_give_index_classes():
    X = np.random.default_rng(2).normal(size=(6, 3))
    clf = KerasClassifier(build_fn=softmax_net, loss="categorical_crossentropy", epochs=1,
                          verbose=0)
    clf.fit(X, np.eye(3)[[0, 1, 2, 0, 1, 2]])
    np.testing.assert_array_equal(clf.classes_, [0, 1, 2])
    assert set(clf.predict(X)) <= {0, 1, 2}


def test_rejects_targets_of_another_shape():
    clf = KerasClassifier(build_fn=sigmoid_net, verbose=0)
    with pytest.raises(ValueError, match=r"Received: y of shape \(4, 1, 1\)"):
        clf.fit(np.zeros((4, 3)), np.zeros((4, 1, 1)))


def test_score_rejects_unseen_labels_and_a_model_without_accuracy():
    X, y = _binary()
    clf = KerasClassifier(build_fn=sigmoid_net, epochs=0, verbose=0)
    clf.fit(X, y)
    with pytest.raises(ValueError, match=r"labels not seen by `fit`: \['maybe'\]"):
        clf.score(X[:2], ["no", "maybe"])
    bare = KerasClassifier(build_fn=sigmoid_net, metrics=(), epochs=0, verbose=0)
    bare.fit(X, y)
    with pytest.raises(ValueError, match=r"Pass `metrics=\['accuracy'\]`"):
        bare.score(X, y)


def test_regressor_predicts_one_dimension_and_scores_the_negative_loss():
    rng = np.random.default_rng(3)
    X = rng.normal(size=(10, 3))
    y = X @ np.array([1.0, -1.0, 2.0])
    reg = KerasRegressor(build_fn=linear_net, epochs=0, verbose=0)
    reg.fit(X, y)
    kernel, bias = reg.model.get_weights()
    pred = reg.predict(X)
    np.testing.assert_allclose(pred, X @ kernel[:, 0] + bias[0], rtol=1e-5, atol=1e-6)
    assert reg.score(X, y) == pytest.approx(-np.mean((y - pred) ** 2), rel=1e-5)


def test_predict_before_fit_is_refused():
    with pytest.raises(NotFittedError, match="not fitted yet. Call `fit`"):
        KerasRegressor(build_fn=linear_net).predict(np.zeros((2, 3)))


@pytest.mark.parametrize("build_fn, error, match", [
    (lambda: "a model", TypeError, "give a compiled lamina `Model`"),
    (lambda: keras.Sequential([keras.Input(shape=(3,)), keras.layers.Dense(1)]),
     RuntimeError, "needs the model from `build_fn` to be compiled"),
])
def test_rejects_a_build_fn_without_a_compiled_model(build_fn, error, match):
    with pytest.raises(error, match=match):
        KerasClassifier(build_fn=build_fn).fit(*_binary())


def test_rejects_a_build_fn_that_is_not_callable_or_missing():
    with pytest.raises(TypeError, match="expects `build_fn` to be callable"):
        KerasClassifier(build_fn="build_model")
    with pytest.raises(ValueError, match="needs `build_fn`"):
        KerasRegressor()


class TutorialClassifier(KerasClassifier):
    """The `build_fn=None` style: the subclass' `__call__` builds the model."""

    def __call__(self, n_neurons=3):
        return sigmoid_net(n_neurons=n_neurons)


def test_subclass_call_is_the_build_fn():
    clf = TutorialClassifier(n_neurons=5, epochs=1, verbose=0)
    clf.fit(*_binary())
    assert clf.model.layers[0].units == 5


def test_get_set_params_and_clone():
    clf = KerasClassifier(build_fn=build_model, n_neurons=8, epochs=3)
    twin = clone(clf)
    assert twin is not clf and twin.get_params() == clf.get_params()
    twin.set_params(n_neurons=16, build_fn=sigmoid_net)
    assert twin.get_params() == {"build_fn": sigmoid_net, "n_neurons": 16, "epochs": 3}
    assert clf.get_params()["n_neurons"] == 8


def test_pickled_classifier_predicts_identically():
    X, y = _binary()
    clf = KerasClassifier(build_fn=sigmoid_net, epochs=2, verbose=0)
    clf.fit(X, y)
    loaded = pickle.loads(pickle.dumps(clf))
    assert isinstance(loaded.model, keras.Model) and loaded.model is not clf.model
    np.testing.assert_array_equal(loaded.predict_proba(X), clf.predict_proba(X))
    np.testing.assert_array_equal(loaded.predict(X), clf.predict(X))


@pytest.mark.filterwarnings("ignore:`nb_epoch` is deprecated:DeprecationWarning")
def test_credit_card_tutorial_randomized_search():
    X, y = make_classification(n_samples=90, n_features=30, n_informative=6, weights=[0.9],
                               random_state=0)
    keras.utils.set_random_seed(0)
    clf = KerasClassifier(build_fn=build_model, nb_epoch=100, batch_size=10)
    assert clone(clf).get_params() == clf.get_params()
    search = RandomizedSearchCV(clf, {"n_hidden_layer": [1, 2], "n_neurons": [8, 16]},
                                n_iter=3, cv=3, random_state=0)
    search.fit(X, y, epochs=5)
    assert search.best_params_ in search.cv_results_["params"]
    assert len(search.cv_results_["params"]) == 3
    scores = [search.cv_results_[f"split{i}_test_score"] for i in range(3)]
    np.testing.assert_allclose(search.cv_results_["mean_test_score"], np.mean(scores, axis=0))
    best = search.best_estimator_
    assert isinstance(best.model, keras.Model)
    assert best.model.history.epoch == [0, 1, 2, 3, 4]  # `epochs=5` beat `nb_epoch=100`
    p = best.model.predict(X, batch_size=10, verbose=0)  # the sk_params' batch size
    np.testing.assert_allclose(p, numpy_forward(best.model, X), rtol=1e-4, atol=1e-6)
    np.testing.assert_array_equal(best.predict(X), (p[:, 0] > 0.5).astype(int))
    np.testing.assert_array_equal(best.predict_proba(X), np.hstack([1 - p, p]))
    assert best.score(X, y) == pytest.approx(np.mean(best.predict(X) == y), abs=1e-6)
