"""Keras 3's scikit-learn wrappers: target encoding, numerics against a numpy forward pass,
cloning, warm starts, pickling through `.keras`, pipelines and cross-validation."""

import pickle

import numpy as np
import pytest
import sklearn
from sklearn.base import clone
from sklearn.model_selection import StratifiedKFold, cross_val_score
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

import lamina as keras
from lamina.wrappers import SKLearnClassifier, SKLearnRegressor, SKLearnTransformer
from tests.wrappers.builders import linear, numpy_forward, softmax_mlp

SILENT = {"verbose": 0}


def _data(n=24, features=4, labels=("ant", "bee", "cat")):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(n, features))
    y = np.array(labels * (n // len(labels)))
    return X, y


def _modules_in_pickle(data):
    """The modules a pickle imports when loaded."""
    seen = set()

    class Recorder(pickle.Unpickler):
        def find_class(self, module, name):
            seen.add(module)
            return super().find_class(module, name)

    import io

    Recorder(io.BytesIO(data)).load()
    return seen


def test_untrained_predict_proba_is_the_model_output_and_labels_its_argmax():
    X, y = _data()
    clf = SKLearnClassifier(softmax_mlp, fit_kwargs={"epochs": 0, **SILENT}).fit(X, y)
    proba = clf.predict_proba(X)
    np.testing.assert_array_equal(proba, clf.model_.predict(X, verbose=0))
    np.testing.assert_allclose(proba, numpy_forward(clf.model_, X), rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(clf.classes_, ["ant", "bee", "cat"])
    np.testing.assert_array_equal(clf.predict(X), clf.classes_[proba.argmax(axis=1)])
    np.testing.assert_array_equal(clf.decision_function(X), proba)
    assert clf.n_features_in_ == 4 and clf.epoch_ == 0


def test_targets_reach_the_model_one_hot_over_sorted_classes():
    seen = {}

    def recording(X, y):
        seen["X"], seen["y"] = X, y
        return softmax_mlp(X, y)

    X = np.random.default_rng(1).normal(size=(4, 2))
    SKLearnClassifier(recording, fit_kwargs={"epochs": 0, **SILENT}).fit(X, [7, 3, 7, 5])
    np.testing.assert_array_equal(seen["y"], [[0, 0, 1], [1, 0, 0], [0, 0, 1], [0, 1, 0]])
    assert seen["y"].dtype == np.float32
    np.testing.assert_array_equal(seen["X"], X)


def test_training_improves_accuracy_and_score_is_accuracy():
    X, y = _data(n=60)
    X[y == "bee"] += 3.0
    X[y == "cat"] -= 3.0
    clf = SKLearnClassifier(softmax_mlp, fit_kwargs={"epochs": 20, **SILENT}).fit(X, y)
    assert clf.score(X, y) == pytest.approx(np.mean(clf.predict(X) == y))
    assert clf.score(X, y) > 0.9
    assert clf.epoch_ == 20 and len(clf.history_["loss"]) == 20
    assert clf.history_["loss"][-1] < clf.history_["loss"][0]


def test_fit_arguments_override_fit_kwargs_without_changing_them():
    X, y = _data()
    fit_kwargs = {"epochs": 3, **SILENT}
    clf = SKLearnClassifier(softmax_mlp, fit_kwargs=fit_kwargs).fit(X, y, epochs=1)
    assert clf.epoch_ == 1
    assert clf.fit_kwargs is fit_kwargs and fit_kwargs == {"epochs": 3, "verbose": 0}


def test_model_kwargs_reach_the_builder():
    X, y = _data()
    clf = SKLearnClassifier(softmax_mlp, model_kwargs={"units": 5},
                            fit_kwargs=SILENT).fit(X, y)
    assert clf.model_.layers[0].units == 5


def test_model_instance_is_cloned_with_new_weights_and_its_compile_arguments():
    X, y = _data()
    model = softmax_mlp(X, np.zeros((1, 3)))
    before = [w.copy() for w in model.get_weights()]
    clf = SKLearnClassifier(model, fit_kwargs={"epochs": 2, **SILENT}).fit(X, y)
    assert clf.model_ is not model and clf.model_.optimizer is not model.optimizer
    assert clf.model_.loss == "categorical_crossentropy"
    assert isinstance(clf.model_.optimizer, keras.optimizers.Adam)
    for old, new in zip(before, model.get_weights()):
        np.testing.assert_array_equal(old, new)  # the given model is left alone


def test_warm_start_trains_the_same_model_on():
    X, y = _data()
    model = softmax_mlp(X, np.zeros((1, 3)))
    clf = SKLearnClassifier(model, warm_start=True, fit_kwargs={"epochs": 1, **SILENT})
    clf.fit(X, y)
    assert clf.model_ is model  # warm_start: the given model itself is trained
    first = [w.copy() for w in model.get_weights()]
    clf.fit(X, y)
    assert clf.model_ is model
    assert any(not np.array_equal(a, b) for a, b in zip(first, model.get_weights()))
    assert model.optimizer.iterations.numpy() == 2  # one step per fit (24 samples, batch 32)


def test_clone_keeps_parameters_and_copies_a_model_only_for_warm_start():
    model = softmax_mlp(np.zeros((1, 2)), np.zeros((1, 2)))
    cold = SKLearnClassifier(model, fit_kwargs={"epochs": 2})
    copy = clone(cold)
    assert copy.model is model and copy.fit_kwargs == {"epochs": 2}
    assert copy.fit_kwargs is not cold.fit_kwargs
    warm = clone(SKLearnClassifier(model, warm_start=True))
    assert isinstance(warm.model, keras.Model) and warm.model is not model
    for a, b in zip(model.get_weights(), warm.model.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_regressor_matches_the_linear_formula_and_keeps_the_target_shape():
    X = np.random.default_rng(2).normal(size=(10, 3))
    y = X @ np.array([1.0, -2.0, 0.5]) + 0.3
    reg = SKLearnRegressor(linear, fit_kwargs={"epochs": 0, **SILENT}).fit(X, y)
    kernel, bias = reg.model_.get_weights()
    pred = reg.predict(X)
    assert pred.shape == (10,)
    np.testing.assert_allclose(pred, X @ kernel[:, 0] + bias[0], rtol=1e-5, atol=1e-6)
    r2 = 1 - np.sum((y - pred) ** 2) / np.sum((y - y.mean()) ** 2)
    assert reg.score(X, y) == pytest.approx(r2, rel=1e-5)
    two = SKLearnRegressor(linear, fit_kwargs={"epochs": 0, **SILENT}).fit(X, np.c_[y, -y])
    assert two.predict(X).shape == (10, 2)


def test_regressor_learns():
    X = np.random.default_rng(3).normal(size=(64, 3))
    y = X @ np.array([1.0, -2.0, 0.5]) + 0.3
    reg = SKLearnRegressor(linear, fit_kwargs={"epochs": 40, "batch_size": 16, **SILENT})
    assert reg.fit(X, y).score(X, y) > 0.99


def test_transformer_returns_the_model_outputs():
    X = np.random.default_rng(4).normal(size=(8, 3))
    trs = SKLearnTransformer(linear, fit_kwargs={"epochs": 1, **SILENT})
    out = trs.fit_transform(X, X[:, :2])
    kernel, bias = trs.model_.get_weights()
    np.testing.assert_allclose(out, X @ kernel + bias, rtol=1e-5, atol=1e-6)


def test_transformer_requires_y():
    with pytest.raises(ValueError, match="requires y to be passed"):
        SKLearnTransformer(linear).fit_transform(np.zeros((4, 2)))


@pytest.mark.parametrize("cls, builder, target", [
    (SKLearnClassifier, softmax_mlp, np.array(["a", "b", "a", "b", "c", "c"])),
    (SKLearnRegressor, linear, np.arange(6.0)),
])
def test_pickled_estimator_predicts_identically_without_pickling_torch(cls, builder, target):
    X = np.random.default_rng(5).normal(size=(6, 3))
    est = cls(builder, fit_kwargs={"epochs": 2, **SILENT}).fit(X, target)
    data = pickle.dumps(est)
    assert not any(m.split(".")[0] == "torch" for m in _modules_in_pickle(data))
    loaded = pickle.loads(data)
    assert isinstance(loaded.model_, keras.Model) and loaded.model_ is not est.model_
    np.testing.assert_array_equal(loaded.predict(X), est.predict(X))
    assert loaded.model_.optimizer.iterations.numpy() == 2  # optimizer state travels too


def test_pickles_an_unfitted_estimator_holding_a_model():
    model = softmax_mlp(np.zeros((1, 2)), np.zeros((1, 2)))
    loaded = pickle.loads(pickle.dumps(SKLearnClassifier(model)))
    assert isinstance(loaded.model, keras.Model)
    for a, b in zip(model.get_weights(), loaded.model.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_pipeline_cross_val_score_equals_fold_by_fold_fits():
    X, y = _data(n=30, labels=("no", "yes"))
    X[y == "yes"] += 1.5
    X = X * 10 + 5  # scaling matters
    pipe = Pipeline([("scale", StandardScaler()),
                     ("clf", SKLearnClassifier(softmax_mlp, fit_kwargs={"epochs": 5, **SILENT}))])
    scores = cross_val_score(pipe, X, y, cv=3)
    expected = []
    for train, test in StratifiedKFold(3).split(X, y):
        fitted = clone(pipe).fit(X[train], y[train])
        expected.append(np.mean(fitted.predict(X[test]) == y[test]))
    np.testing.assert_allclose(scores, expected)


def test_set_fit_request_routes_sample_weight_to_fit():
    with sklearn.config_context(enable_metadata_routing=True):
        clf = SKLearnClassifier(softmax_mlp).set_fit_request(sample_weight=True)
        request = clf.get_metadata_routing()
        assert request.fit.requests == {"sample_weight": True}


def test_set_fit_request_needs_metadata_routing():
    with pytest.raises(RuntimeError, match="enable_metadata_routing=True"):
        SKLearnClassifier(softmax_mlp).set_fit_request(sample_weight=True)


@pytest.mark.parametrize("kwargs, error, match", [
    ({"model": 3}, TypeError, "expects `model` to be a compiled lamina `Model` or a callable"),
    ({"model": softmax_mlp, "model_kwargs": [1]}, TypeError, "`model_kwargs` to be a dict"),
    ({"model": softmax_mlp, "fit_kwargs": "x"}, TypeError, "`fit_kwargs` to be a dict"),
    ({"model": softmax_mlp, "warm_start": "yes"}, TypeError, "`warm_start` to be a bool"),
    ({"model": lambda X, y: "nope"}, TypeError, "give a compiled lamina `Model`"),
])
def test_rejects_bad_parameters_at_fit(kwargs, error, match):
    X, y = _data()
    with pytest.raises(error, match=match):
        SKLearnClassifier(**kwargs).fit(X, y)


def test_rejects_model_kwargs_with_a_model_instance():
    model = softmax_mlp(np.zeros((1, 4)), np.zeros((1, 3)))
    with pytest.raises(ValueError, match="`model` is a `Model` instance"):
        SKLearnClassifier(model, model_kwargs={"units": 3}).fit(*_data())


def test_rejects_an_uncompiled_model():
    model = keras.Sequential([keras.Input(shape=(4,)), keras.layers.Dense(3)])
    with pytest.raises(RuntimeError, match="compiled with a loss and an optimizer"):
        SKLearnClassifier(model).fit(*_data())


def test_rejects_a_single_class():
    with pytest.raises(ValueError, match="only one class"):
        SKLearnClassifier(softmax_mlp).fit(np.zeros((3, 2)), ["a", "a", "a"])


def test_rejects_continuous_targets_for_a_classifier():
    with pytest.raises(ValueError, match="Unknown label type"):
        SKLearnClassifier(softmax_mlp).fit(np.zeros((3, 2)), [0.5, 1.5, 2.25])


def test_rejects_a_model_without_one_output_per_class():
    def one_unit(X, y):
        return linear(X, y[:, :1])

    clf = SKLearnClassifier(one_unit, fit_kwargs={"epochs": 0, **SILENT})
    clf.fit(np.zeros((4, 2)), [0, 1, 0, 1])
    with pytest.raises(ValueError, match=r"one column per class \(2 for classes_=\[0, 1\]\)"):
        clf.predict(np.zeros((4, 2)))


def test_missing_sklearn_names_the_extra(monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "sklearn", None)  # `import sklearn` now fails
    monkeypatch.delitem(sys.modules, "lamina.wrappers.sklearn_wrapper")
    import importlib

    with pytest.raises(ImportError, match=r'pip install "lamina\[sklearn\]"'):
        importlib.import_module("lamina.wrappers.sklearn_wrapper")


def test_old_sklearn_is_refused_naming_the_version(monkeypatch):
    from lamina.wrappers.wrapper_utils import import_sklearn

    monkeypatch.setattr(sklearn, "__version__", "1.5.2")
    with pytest.raises(ImportError, match=r"needs scikit-learn >= 1.6. Received: scikit-learn "
                                          r"1.5.2"):
        import_sklearn("lamina.wrappers")


@pytest.mark.slow  # a fresh interpreter imports lamina and scikit-learn: about 4 s
def test_package_imports_sklearn_only_when_a_wrapper_is_asked_for():
    import os
    import subprocess
    import sys

    src = os.path.dirname(os.path.dirname(keras.__file__))
    code = ("import sys, lamina.wrappers as w; before = 'sklearn' in sys.modules; "
            "w.SKLearnRegressor; print(before, 'sklearn' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, env={**os.environ, "PYTHONPATH": src}).stdout
    assert out.split() == ["False", "True"]


def test_unknown_attribute_of_the_package():
    import lamina.wrappers

    assert "SKLearnTransformer" in dir(lamina.wrappers)
    with pytest.raises(AttributeError, match="has no attribute 'KerasClassifier'"):
        lamina.wrappers.KerasClassifier  # noqa: B018
