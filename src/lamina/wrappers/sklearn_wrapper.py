"""Keras 3's scikit-learn estimators: `SKLearnClassifier`, `SKLearnRegressor` and
`SKLearnTransformer` wrap a compiled lamina model so that it fits in scikit-learn's `Pipeline`,
`GridSearchCV`, `cross_val_score`, `clone` and `pickle`.

scikit-learn is the optional `[sklearn]` extra: this module imports it, and `lamina.wrappers`
imports this module only when one of these classes is first asked for.
"""

import copy

import numpy as np

from lamina import config
from lamina.models import Model
from lamina.wrappers.wrapper_utils import (
    check_model,
    clone_compiled,
    import_sklearn,
    models_to_saved,
    saved_to_models,
)

# Checked first, so that a missing or old scikit-learn fails with a message naming the extra.
sklearn = import_sklearn("lamina.wrappers")

from sklearn.base import (
    BaseEstimator,
    ClassifierMixin,
    RegressorMixin,
    TransformerMixin,
    clone,
)
from sklearn.utils.metadata_routing import MetadataRequest
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, validate_data


class SKLBase(BaseEstimator):
    """The shared base of lamina's scikit-learn wrappers (not used on its own).

    Training has sources of randomness (initial weights, shuffling); seed them with
    `lamina.utils.set_random_seed` (e.g. inside the model-building function) for repeatable
    fits.

    Args:
        model: A compiled lamina `Model`, or a callable `model(X=X, y=y, **model_kwargs)`
            returning one (`y` is the encoded target: one-hot for a classifier). A `Model`
            instance is cloned (new weights, same compile arguments) before every fit, unless
            `warm_start=True`.
        warm_start: Reuse the model of the previous `fit` and go on training it; a `Model`
            instance given as `model` is then trained itself, not a clone. Defaults to
            `False`.
        model_kwargs: Keyword arguments for `model` when it is a callable. Defaults to `None`.
        fit_kwargs: Keyword arguments for `Model.fit` (`epochs`, `batch_size`, `verbose`,
            ...). Those given to the wrapper's `fit` take precedence. Their `verbose` also
            applies to the `predict` calls. Defaults to `None`.

    Attributes:
        model_: The fitted lamina `Model`.
        history_: Dict of the per-epoch logs of the last fit (`History.history`).
        n_features_in_: The number of features seen by `fit`.
    """

    def __init__(self, model, warm_start=False, model_kwargs=None, fit_kwargs=None):
        self.model = model
        self.warm_start = warm_start
        self.model_kwargs = model_kwargs
        self.fit_kwargs = fit_kwargs

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.non_deterministic = True
        return tags

    def __sklearn_clone__(self):
        # A `Model` given as `model` is only ever trained itself with `warm_start=True`; only
        # then does the clone need a copy of its own (deepcopy keeps its current weights).
        params = self.get_params(deep=False)
        model = params.pop("model")
        if isinstance(model, Model) and self.warm_start:
            model = copy.deepcopy(model)
        params = {key: clone(value, safe=False) for key, value in params.items()}
        return type(self)(model=model, **params)

    def __getstate__(self):
        return models_to_saved(super().__getstate__())

    def __setstate__(self, state):
        super().__setstate__(saved_to_models(state))

    @property
    def epoch_(self):
        """The number of epochs the last `fit` ran (0 before the first)."""
        return len(next(iter(getattr(self, "history_", {}).values()), []))

    def set_fit_request(self, **kwargs):
        """Ask meta-estimators to route metadata (e.g. `sample_weight`) to `fit`.

        Only with scikit-learn's metadata routing enabled
        (`sklearn.set_config(enable_metadata_routing=True)`).

        Args:
            **kwargs: `name=alias` pairs; `alias` is `True`, `False`, `None` or a string.

        Returns:
            The estimator.

        Raises:
            RuntimeError: If metadata routing is not enabled.
        """
        if not sklearn.get_config().get("enable_metadata_routing", False):
            raise RuntimeError(
                f"`{type(self).__name__}.set_fit_request` needs scikit-learn's metadata "
                "routing. Enable it with `sklearn.set_config(enable_metadata_routing=True)`.")
        request = MetadataRequest(owner=type(self).__name__)
        for param, alias in kwargs.items():
            request.fit.add_request(param=param, alias=alias)
        self._metadata_request = request
        return self

    def fit(self, X, y, **kwargs):
        """Build (or clone) the model and train it on `(X, y)`.

        Args:
            X: Array-like of shape `(n_samples, n_features)`.
            y: Array-like of shape `(n_samples,)` or `(n_samples, n_outputs)`.
            **kwargs: Keyword arguments for `Model.fit`, over those of `fit_kwargs`.

        Returns:
            The estimator.
        """
        self._check_params()
        X, y = self._validate_xy(X, y)
        y = self._process_target(y)
        model = self._get_model(X, y)
        history = model.fit(X, y, **{**(self.fit_kwargs or {}), **kwargs})
        self.history_ = {key: list(values) for key, values in history.history.items()}
        self.model_ = model
        return self

    def predict(self, X):
        """The model's predictions for `X`, decoded as the targets given to `fit` were.

        Args:
            X: Array-like of shape `(n_samples, n_features)`.

        Returns:
            A numpy array: for a classifier the class labels `(n_samples,)`, for a regressor
            the values in the shape of `y`.
        """
        return self._reverse_process_target(self._raw_predict(X))

    def _raw_predict(self, X):
        check_is_fitted(self)
        X = validate_data(self, X, reset=False)
        return self.model_.predict(X, verbose=(self.fit_kwargs or {}).get("verbose", "auto"))

    def _check_params(self):
        name = type(self).__name__
        if not isinstance(self.model, Model) and not callable(self.model):
            raise TypeError(
                f"`{name}` expects `model` to be a compiled lamina `Model` or a callable "
                f"returning one. Received: model={self.model!r} (of type "
                f"{type(self.model).__name__}).")
        for arg in ("model_kwargs", "fit_kwargs"):
            value = getattr(self, arg)
            if value is not None and not isinstance(value, dict):
                raise TypeError(f"`{name}` expects `{arg}` to be a dict or None. Received: "
                                f"{arg}={value!r} (of type {type(value).__name__}).")
        if not isinstance(self.warm_start, (bool, np.bool_)):
            raise TypeError(f"`{name}` expects `warm_start` to be a bool. Received: "
                            f"warm_start={self.warm_start!r} (of type "
                            f"{type(self.warm_start).__name__}).")
        if isinstance(self.model, Model) and self.model_kwargs:
            raise ValueError(
                f"`{name}` received `model_kwargs`, but `model` is a `Model` instance, which "
                "takes no arguments. Pass a function that builds the model as `model`, or "
                f"drop `model_kwargs`. Received: model_kwargs={self.model_kwargs!r}.")

    def _get_model(self, X, y):
        if self.warm_start and getattr(self, "model_", None) is not None:
            return self.model_
        if isinstance(self.model, Model):
            model = self.model if self.warm_start else clone_compiled(self.model)
            source = "`model`"
        else:
            model = self.model(X=X, y=y, **(self.model_kwargs or {}))
            source = "the `model` callable"
        check_model(model, self, source)
        return model

    def _validate_xy(self, X, y):
        """Regressors and transformers: numeric targets, one or several columns."""
        X, y = validate_data(self, X, y, multi_output=True, y_numeric=True)
        return X, y

    def _process_target(self, y):
        """Regressors and transformers: float targets, at least two-dimensional."""
        self._y_ndim = y.ndim
        y = y.astype(config.floatx()) if y.dtype.kind != "f" else y
        return y.reshape(-1, 1) if y.ndim == 1 else y

    def _reverse_process_target(self, y):
        if self._y_ndim == 1 and y.ndim == 2 and y.shape[1] == 1:
            return y[:, 0]
        return y


class SKLearnClassifier(ClassifierMixin, SKLBase):
    """A lamina model as a scikit-learn classifier (Keras 3's `keras.wrappers`).

    The targets are one-hot encoded over the sorted class labels (`classes_`) before they
    reach the model, so the model ends in one unit per class, usually with a softmax, and is
    compiled with a loss for one-hot targets (`"categorical_crossentropy"`). `predict`
    returns the label of the largest output. See `SKLBase` for the arguments.

    Attributes:
        classes_: The class labels, sorted (`np.unique(y)`).
        model_: The fitted lamina `Model`.
        history_: Dict of the per-epoch logs of the last fit.
        n_features_in_: The number of features seen by `fit`.

    Example:
    >>> import numpy as np
    >>> import lamina as keras
    >>> from lamina.wrappers import SKLearnClassifier
    >>> def build(X, y, units=8):
    ...     model = keras.Sequential([keras.Input(shape=(X.shape[1],)),
    ...                               keras.layers.Dense(units, activation="relu"),
    ...                               keras.layers.Dense(y.shape[1], activation="softmax")])
    ...     model.compile(optimizer="adam", loss="categorical_crossentropy")
    ...     return model
    >>> X = np.random.rand(12, 4)
    >>> y = np.array(["cat", "dog", "eel"] * 4)
    >>> clf = SKLearnClassifier(build, model_kwargs={"units": 4},
    ...                         fit_kwargs={"epochs": 2, "verbose": 0}).fit(X, y)
    >>> clf.classes_
    array(['cat', 'dog', 'eel'], dtype='<U3')
    >>> clf.predict_proba(X).shape, clf.predict(X).shape
    ((12, 3), (12,))
    """

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.poor_score = True
        return tags

    def predict_proba(self, X):
        """The model's outputs for `X`, one column per class of `classes_` (probabilities when
        the model ends in a softmax).

        Args:
            X: Array-like of shape `(n_samples, n_features)`.

        Returns:
            A numpy array of shape `(n_samples, n_classes)`.
        """
        return self._check_outputs(self._raw_predict(X))

    def decision_function(self, X):
        """The model's raw outputs for `X` (as Keras 3's wrapper returns them).

        Args:
            X: Array-like of shape `(n_samples, n_features)`.

        Returns:
            A numpy array: the model's output.
        """
        return self._raw_predict(X)

    def _validate_xy(self, X, y):
        X, y = validate_data(self, X, y)
        check_classification_targets(y)
        return X, y

    def _process_target(self, y):
        self.classes_, indices = np.unique(y, return_inverse=True)
        if len(self.classes_) == 1:
            raise ValueError(f"`{type(self).__name__}` can't train when only one class is "
                             f"present in `y`. Received: classes {self.classes_.tolist()}.")
        return np.eye(len(self.classes_), dtype=config.floatx())[indices]  # (n_samples, n_cls)

    def _reverse_process_target(self, y):
        return self.classes_[np.argmax(self._check_outputs(y), axis=1)]

    def _check_outputs(self, outputs):
        n_classes = len(self.classes_)
        if not isinstance(outputs, np.ndarray) or outputs.shape[1:] != (n_classes,):
            shape = getattr(outputs, "shape", type(outputs).__name__)
            raise ValueError(
                f"`{type(self).__name__}` expects the model to output one column per class "
                f"({n_classes} for classes_={self.classes_.tolist()}), as the targets are "
                f"one-hot encoded. Received: outputs of shape {shape}. End the model in "
                f"`Dense({n_classes}, activation='softmax')` (build it from `y.shape[1]`).")
        return outputs


class SKLearnRegressor(RegressorMixin, SKLBase):
    """A lamina model as a scikit-learn regressor (Keras 3's `keras.wrappers`).

    The targets reach the model as float columns (`(n_samples, 1)` for a one-dimensional
    `y`, which `predict` returns one-dimensional again). `score` is scikit-learn's R^2. See
    `SKLBase` for the arguments and attributes.

    Example:
    >>> import numpy as np
    >>> import lamina as keras
    >>> from lamina.wrappers import SKLearnRegressor
    >>> def build(X, y):
    ...     model = keras.Sequential([keras.Input(shape=(X.shape[1],)),
    ...                               keras.layers.Dense(y.shape[1])])
    ...     model.compile(optimizer="sgd", loss="mse")
    ...     return model
    >>> X = np.random.rand(10, 3)
    >>> reg = SKLearnRegressor(build, fit_kwargs={"epochs": 1, "verbose": 0}).fit(X, X.sum(1))
    >>> reg.predict(X).shape
    (10,)
    """

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.regressor_tags.poor_score = True
        tags.target_tags.multi_output = True  # `y` of shape (n_samples, n_outputs) works
        return tags


class SKLearnTransformer(TransformerMixin, SKLBase):
    """A lamina model as a scikit-learn transformer (Keras 3's `keras.wrappers`): `fit`
    trains the model on `(X, y)`, `transform` returns its outputs (e.g. embeddings).

    "Transformer" is scikit-learn's word for a data-transforming step, not the attention
    architecture. `y` is required by `fit` (pass `y=X` for an autoencoder). See `SKLBase`
    for the arguments and attributes.
    """

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.transformer_tags.preserves_dtype = []
        tags.target_tags.required = True
        return tags

    def fit(self, X, y=None, **kwargs):
        """Build (or clone) the model and train it on `(X, y)`; `y` is required (it has a
        default only so that `fit_transform(X)` fails with a clear message).

        Args:
            X: Array-like of shape `(n_samples, n_features)`.
            y: Array-like of shape `(n_samples,)` or `(n_samples, n_outputs)`.
            **kwargs: Keyword arguments for `Model.fit`, over those of `fit_kwargs`.

        Returns:
            The estimator.
        """
        return super().fit(X, y, **kwargs)

    def transform(self, X):
        """The model's outputs for `X`.

        Args:
            X: Array-like of shape `(n_samples, n_features)`.

        Returns:
            A numpy array: the model's output.
        """
        return self._raw_predict(X)
