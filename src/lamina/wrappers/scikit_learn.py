"""Keras 2's scikit-learn wrappers, `KerasClassifier` and `KerasRegressor` (deprecated).

`from keras.wrappers.scikit_learn import KerasClassifier` was how Keras 2-era tutorials put a
model into `GridSearchCV` or `cross_val_score`; Keras 3 replaced them with
`keras.wrappers.SKLearnClassifier` / `SKLearnRegressor` (`lamina.wrappers`). These classes keep
the old code running with Keras 2's semantics: a `build_fn` that builds and compiles the model,
and `sk_params` routed by name to `build_fn` and to the model's `fit`, `predict` and
`evaluate`. Each construction warns once (`DeprecationWarning`) with the modern name.
"""

import inspect
import warnings

import numpy as np

from lamina.losses import CategoricalCrossentropy
from lamina.models import Model
from lamina.utils import to_categorical
from lamina.wrappers.wrapper_utils import (
    check_model,
    import_sklearn,
    models_to_saved,
    saved_to_models,
)

# Checked first, so that a missing or old scikit-learn fails with a message naming the extra.
import_sklearn("lamina.wrappers.scikit_learn")

from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
from sklearn.exceptions import NotFittedError

# The model methods that `sk_params` are routed to, by the names of their arguments.
_ROUTED = {"fit": Model.fit, "predict": Model.predict, "evaluate": Model.evaluate}
_ACCURACY_NAMES = ("accuracy", "acc", "binary_accuracy", "categorical_accuracy",
                   "sparse_categorical_accuracy")


def _arg_names(fn, skip=()):
    """The names `fn` accepts as keyword arguments (not `**kwargs`)."""
    try:
        parameters = inspect.signature(fn).parameters.values()
    except (TypeError, ValueError):  # a builtin without a signature
        return set()
    kinds = (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)
    return {p.name for p in parameters if p.kind in kinds and p.name not in skip}


class BaseWrapper(BaseEstimator):
    """The shared base of Keras 2's `KerasClassifier` and `KerasRegressor` (deprecated; not
    used on its own).

    Args:
        build_fn: A callable (function, or object with `__call__`) that builds, compiles and
            returns a lamina model; its arguments are taken from `sk_params` by name, so give
            them defaults. `None` to subclass the wrapper and define `__call__` instead.
            Defaults to `None`.
        **sk_params: Arguments of `build_fn` and of the model's `fit`, `predict` and
            `evaluate` (`epochs`, `batch_size`, `verbose`, ...), each routed to every one of
            them that accepts it; scikit-learn can tune all of them (`GridSearchCV`). Keyword
            arguments given to `fit`/`predict`/`score` take precedence. `nb_epoch` (Keras 1)
            becomes `epochs`.

    Attributes:
        model: The trained lamina `Model` (after `fit`).

    Raises:
        TypeError: If `build_fn` is not callable.
        ValueError: If an `sk_param` is accepted by none of the routed functions.
    """

    _modern = None  # the Keras 3 class to name in the deprecation warning

    def __init__(self, build_fn=None, **sk_params):
        warnings.warn(
            f"`{type(self).__name__}` (Keras 2's `keras.wrappers.scikit_learn`) is deprecated "
            f"and was removed in Keras 3. Use `lamina.wrappers.{self._modern}` instead, e.g. "
            f"`{self._modern}(model=build_model, model_kwargs={{...}}, "
            "fit_kwargs={'epochs': 10})`.", DeprecationWarning, stacklevel=2)
        self.build_fn = build_fn
        self.sk_params = self._renamed(sk_params)
        self.check_params(self.sk_params)

    def _renamed(self, params):
        """`params` with Keras 1's `nb_epoch` renamed `epochs` (and a warning)."""
        if "nb_epoch" not in params:
            return dict(params)
        if "epochs" in params:
            raise ValueError(f"`{type(self).__name__}` received both `nb_epoch` and `epochs`. "
                             "Pass `epochs` only (`nb_epoch` is its Keras 1 name). Received: "
                             f"nb_epoch={params['nb_epoch']!r}, epochs={params['epochs']!r}.")
        warnings.warn("`nb_epoch` is deprecated: use `epochs` instead. Received: "
                      f"nb_epoch={params['nb_epoch']!r}.", DeprecationWarning, stacklevel=3)
        params = dict(params)
        params["epochs"] = params.pop("nb_epoch")
        return params

    def _build_target(self):
        """The callable that builds the model: `build_fn`, or the subclass' `__call__`."""
        if self.build_fn is None:
            if not callable(self):
                raise ValueError(
                    f"`{type(self).__name__}` needs `build_fn`: a function that builds, "
                    "compiles and returns the model (or a subclass that defines `__call__`). "
                    "Received: build_fn=None.")
            return self.__call__
        if not callable(self.build_fn):
            raise TypeError(f"`{type(self).__name__}` expects `build_fn` to be callable. "
                            f"Received: build_fn={self.build_fn!r} (of type "
                            f"{type(self.build_fn).__name__}).")
        return self.build_fn

    def check_params(self, params):
        """Check that each of `params` is accepted by `build_fn` or a routed model method.

        Args:
            params: Dict of parameters.

        Raises:
            ValueError: If a parameter is accepted by none of them.
        """
        builder = _arg_names(self._build_target())
        routed = set().union(*(_arg_names(fn, ("self", "x", "y")) for fn in _ROUTED.values()))
        for name in params:
            if name not in builder and name not in routed:
                raise ValueError(
                    f"`{name}` is not a legal parameter of `{type(self).__name__}`: neither "
                    "`build_fn` nor the model's `fit`, `predict` or `evaluate` accepts it. "
                    f"`build_fn` accepts: {sorted(builder)}; the model methods accept: "
                    f"{sorted(routed)}.")

    def get_params(self, deep=True):
        """The estimator's parameters: `build_fn` and the `sk_params`.

        Args:
            deep: Ignored (for scikit-learn's API). Defaults to `True`.

        Returns:
            Dict of parameter names to values.
        """
        return {**self.sk_params, "build_fn": self.build_fn}

    def set_params(self, **params):
        """Set parameters (`build_fn` or `sk_params`), as `GridSearchCV` does.

        Args:
            **params: Parameter names and values.

        Returns:
            The estimator.
        """
        params = self._renamed(params)
        if "build_fn" in params:
            self.build_fn = params.pop("build_fn")
        self.check_params(params)
        self.sk_params.update(params)
        return self

    def filter_sk_params(self, fn, override=None):
        """The `sk_params` that `fn` accepts by name, updated with `override`.

        Args:
            fn: A function.
            override: Dict of values that take precedence. Defaults to `None`.

        Returns:
            Dict of keyword arguments for `fn`.
        """
        names = _arg_names(fn)
        found = {name: value for name, value in self.sk_params.items() if name in names}
        return {**found, **(override or {})}

    def fit(self, x, y, **kwargs):
        """Build a new model with `build_fn` and train it on `(x, y)`.

        Args:
            x: Training inputs, e.g. an array of shape `(n_samples, n_features)`.
            y: Targets.
            **kwargs: Arguments for the model's `fit`, over the `sk_params`.

        Returns:
            The `History` of the model's `fit` (as in Keras 2).
        """
        kwargs = self._renamed(kwargs)
        build = self._build_target()
        model = build(**self.filter_sk_params(build))
        check_model(model, self, "`build_fn`")
        self.model = model
        y = self._model_targets(y)
        return self.model.fit(x, y, **self.filter_sk_params(Model.fit, kwargs))

    def _model_targets(self, y):
        return y

    def _check_fitted(self):
        if getattr(self, "model", None) is None:
            raise NotFittedError(f"This `{type(self).__name__}` is not fitted yet. Call `fit` "
                                 "before `predict` or `score`.")

    def _predict_raw(self, x, kwargs):
        self._check_fitted()
        # Keras 2's `predict` was silent unless asked (`verbose=0` by default).
        return self.model.predict(x, **{"verbose": 0,
                                        **self.filter_sk_params(Model.predict, kwargs)})

    def __getstate__(self):
        return models_to_saved(super().__getstate__())

    def __setstate__(self, state):
        super().__setstate__(saved_to_models(state))


class KerasClassifier(ClassifierMixin, BaseWrapper):
    """Keras 2's scikit-learn classifier around a `build_fn` (deprecated: use
    `lamina.wrappers.SKLearnClassifier`). See `BaseWrapper` for the arguments.

    `y` holds labels (any sortable values, `(n_samples,)` or `(n_samples, 1)`) or one-hot rows
    (`(n_samples, n_classes)`); labels reach the model as indices into `classes_` (one-hot
    when the model is compiled with `categorical_crossentropy`). The model ends in one
    sigmoid unit (binary) or one unit per class.

    Attributes:
        classes_: The class labels, sorted (`arange(n_classes)` for one-hot `y`).
        n_classes_: Their number.
        model: The trained lamina `Model`.

    Example:
    >>> import warnings
    >>> import numpy as np
    >>> import lamina as keras
    >>> from lamina.wrappers.scikit_learn import KerasClassifier
    >>> def build_model(units=4):
    ...     model = keras.Sequential([keras.Input(shape=(3,)),
    ...                               keras.layers.Dense(units, activation="relu"),
    ...                               keras.layers.Dense(1, activation="sigmoid")])
    ...     model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
    ...     return model
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("ignore", DeprecationWarning)
    ...     clf = KerasClassifier(build_fn=build_model, units=8, epochs=2, verbose=0)
    >>> X, y = np.random.rand(10, 3), np.array(["no", "yes"] * 5)
    >>> history = clf.fit(X, y)
    >>> clf.classes_, clf.predict(X).shape, clf.predict_proba(X).shape
    (array(['no', 'yes'], dtype='<U3'), (10,), (10, 2))
    """

    _modern = "SKLearnClassifier"

    def fit(self, x, y, sample_weight=None, **kwargs):
        """Build a new model with `build_fn` and train it on `(x, y)`. See `BaseWrapper.fit`.

        Args:
            x: Training inputs.
            y: Labels `(n_samples,)`/`(n_samples, 1)`, or one-hot `(n_samples, n_classes)`.
            sample_weight: Optional per-sample weights. Defaults to `None`.
            **kwargs: Arguments for the model's `fit`, over the `sk_params`.

        Returns:
            The `History` of the model's `fit`.

        Raises:
            ValueError: If `y` has another shape.
        """
        y = np.asarray(y)
        if y.ndim == 2 and y.shape[1] > 1:
            self.classes_ = np.arange(y.shape[1])
        elif y.ndim == 1 or (y.ndim == 2 and y.shape[1] == 1):
            self.classes_, y = np.unique(y.ravel(), return_inverse=True)
        else:
            raise ValueError(f"`{type(self).__name__}` expects `y` of shape (n_samples,), "
                             "(n_samples, 1) or one-hot (n_samples, n_classes). Received: y of "
                             f"shape {y.shape}.")
        self.n_classes_ = len(self.classes_)
        if sample_weight is not None:
            kwargs["sample_weight"] = sample_weight
        return super().fit(x, y, **kwargs)

    def _model_targets(self, y):
        if _is_categorical_crossentropy(self.model.loss) and y.ndim != 2:
            return to_categorical(y, self.n_classes_)
        return y

    def predict(self, x, **kwargs):
        """The predicted class labels (values of `classes_`), shape `(n_samples,)`.

        Args:
            x: Inputs.
            **kwargs: Arguments for the model's `predict`, over the `sk_params`.

        Returns:
            A numpy array of labels.
        """
        proba = self._predict_raw(x, kwargs)
        if proba.shape[-1] > 1:
            return self.classes_[proba.argmax(axis=-1)]
        return self.classes_[(proba[..., 0] > 0.5).astype(int)]  # one sigmoid unit

    def predict_proba(self, x, **kwargs):
        """Class probabilities, shape `(n_samples, n_classes)`: for one sigmoid unit `p`, the
        two columns `1 - p` and `p`, as scikit-learn expects.

        Args:
            x: Inputs.
            **kwargs: Arguments for the model's `predict`, over the `sk_params`.

        Returns:
            A numpy array of probabilities.
        """
        probs = self._predict_raw(x, kwargs)
        if probs.shape[1] == 1:
            probs = np.hstack([1 - probs, probs])
        return probs

    def score(self, x, y, **kwargs):
        """The model's accuracy on `(x, y)`, from `evaluate` (as in Keras 2).

        Args:
            x: Inputs.
            y: Labels (values of `classes_`), or one-hot rows.
            **kwargs: Arguments for the model's `evaluate` (e.g. `sample_weight`), over the
                `sk_params`.

        Returns:
            The accuracy, a float.

        Raises:
            ValueError: If `y` holds labels not seen by `fit`, or the model was compiled
                without an accuracy metric.
        """
        self._check_fitted()
        y = np.asarray(y)
        if y.ndim == 1 or (y.ndim == 2 and y.shape[1] == 1):
            labels = y.ravel()
            y = np.searchsorted(self.classes_, labels)
            known = y < len(self.classes_)
            known[known] = self.classes_[y[known]] == labels[known]
            if not known.all():
                raise ValueError(f"`{type(self).__name__}.score` received labels not seen by "
                                 f"`fit`: {np.unique(labels[~known]).tolist()}. Known: "
                                 f"{self.classes_.tolist()}.")
        y = self._model_targets(y)
        logs = self.model.evaluate(x, y, return_dict=True,
                                   **self.filter_sk_params(Model.evaluate, kwargs))
        for name in _ACCURACY_NAMES:
            if name in logs:
                return logs[name]
        raise ValueError("The model is not configured to compute accuracy, which "
                         f"`{type(self).__name__}.score` returns. Pass `metrics=['accuracy']` "
                         "to `model.compile()` in `build_fn`.")


class KerasRegressor(RegressorMixin, BaseWrapper):
    """Keras 2's scikit-learn regressor around a `build_fn` (deprecated: use
    `lamina.wrappers.SKLearnRegressor`). See `BaseWrapper` for the arguments.

    `score` is the negative loss from `evaluate` (larger is better, as scikit-learn wants),
    not R^2: Keras 2's choice.
    """

    _modern = "SKLearnRegressor"

    def predict(self, x, **kwargs):
        """The model's predictions, shape `(n_samples,)` for one output unit.

        Args:
            x: Inputs.
            **kwargs: Arguments for the model's `predict`, over the `sk_params`.

        Returns:
            A numpy array.
        """
        preds = self._predict_raw(x, kwargs)
        return preds[:, 0] if preds.ndim == 2 and preds.shape[1] == 1 else preds

    def score(self, x, y, **kwargs):
        """The negative of the model's loss on `(x, y)`.

        Args:
            x: Inputs.
            y: Targets.
            **kwargs: Arguments for the model's `evaluate`, over the `sk_params`.

        Returns:
            A float.
        """
        self._check_fitted()
        logs = self.model.evaluate(x, y, return_dict=True,
                                   **self.filter_sk_params(Model.evaluate, kwargs))
        return -logs["loss"]


def _is_categorical_crossentropy(loss):
    """Whether `loss` (as given to `compile`) is categorical cross-entropy, in any spelling."""
    return (isinstance(loss, CategoricalCrossentropy) or loss == "categorical_crossentropy"
            or getattr(loss, "__name__", None) == "categorical_crossentropy")
