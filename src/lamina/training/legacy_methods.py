"""Keras 2's model methods that Keras 3 removed, forwarding to `fit`/`evaluate`/`predict`.

`fit_generator`, `evaluate_generator` and `predict_generator` became `fit`, `evaluate` and
`predict`, which take generators and `PyDataset`s themselves; `predict_classes` and
`predict_proba` became `predict` followed by an argmax or a threshold. Each call emits one
`DeprecationWarning` naming the Keras 3 spelling. So does `fit(nb_epoch=...)`, Keras 1's
`epochs` (see `fit_keyword_arguments`).

Keras 2's `workers`, `use_multiprocessing` and `max_queue_size` belong to the data in Keras 3
(`PyDataset(workers=...)`): given a `PyDataset` (or `Sequence`), the `*_generator` methods set
those of its attributes that the call changes from Keras 2's defaults, for the duration of the
call. A plain generator is read in one background thread whatever they say (reading a
generator from several threads at once was never safe).
"""

import contextlib
import inspect
import math

import numpy as np

from lamina import deprecation

_KERAS2_LOADING = {"workers": 1, "use_multiprocessing": False, "max_queue_size": 10}


def fit_keyword_arguments(fit, epochs, kwargs):
    """`epochs`, after Keras 1's `nb_epoch` in `kwargs` (which must hold nothing else).

    Args:
        fit: The `fit` method, whose signature lists the known arguments for the message.
        epochs: `fit`'s `epochs` argument.
        kwargs: `fit`'s other keyword arguments.

    Raises:
        TypeError: For any keyword argument `fit` does not take.
    """
    kwargs = dict(kwargs)
    if "nb_epoch" in kwargs:
        epochs = kwargs.pop("nb_epoch")
        deprecation.warn(f"`nb_epoch` is deprecated in Keras 3; use "
                         f"`epochs={deprecation.short_repr(epochs)}`.")
    if kwargs:
        known = [name for name in inspect.signature(fit).parameters
                 if name not in ("self", "kwargs")]
        raise TypeError(f"`fit` got unexpected keyword arguments: {kwargs}. It takes: "
                        f"{', '.join(known)}.")
    return epochs


def _whole_steps(value, argument):
    """Keras 2's generator loops ran `while steps_done < steps`, so tutorials pass
    `steps_per_epoch=len(x_train) / 32`, a float; Keras 3 takes only integers. A positive
    float becomes the number of steps Keras 2 ran, `ceil(value)`, with a warning."""
    if not isinstance(value, float) or not math.isfinite(value) or value <= 0:
        return value  # None, an int, or something `fit` rejects with its own error
    steps = math.ceil(value)
    deprecation.warn(f"`{argument}={value!r}` is not an integer: Keras 2 ran {steps} steps "
                     f"for it, and so does lamina. In Keras 3 pass an integer: "
                     f"`{argument}={steps}`.")
    return steps


@contextlib.contextmanager
def _loading(source, **loading):
    """Give a `PyDataset` source the Keras 2 loading arguments that differ from Keras 2's
    defaults, restoring its own afterwards; any other source is left alone."""
    from lamina.utils.py_dataset import PyDataset

    changed = {name: value for name, value in loading.items() if value != _KERAS2_LOADING[name]}
    if not isinstance(source, PyDataset) or not changed:
        yield
        return
    saved = {name: getattr(source, name) for name in changed}
    for name, value in changed.items():
        setattr(source, name, value)
    try:
        yield
    finally:
        for name, value in saved.items():
            setattr(source, name, value)


class LegacyMethods:
    """Keras 2's removed `Model` methods (mixed into `Trainer`); each warns and forwards."""

    def fit_generator(self, generator, steps_per_epoch=None, epochs=1, verbose=1,
                      callbacks=None, validation_data=None, validation_steps=None,
                      validation_freq=1, class_weight=None, max_queue_size=10, workers=1,
                      use_multiprocessing=False, shuffle=True, initial_epoch=0):
        """Keras 2's `fit` for generators (deprecated): `fit(generator, ...)`.

        `generator` yields `(x, y)` or `(x, y, sample_weight)` batches: a Python generator, a
        `keras.utils.PyDataset`/`Sequence`, or a torch `DataLoader`. See `fit` for the other
        arguments, and this module's docstring for `workers`, `use_multiprocessing` and
        `max_queue_size`.

        Returns:
            The `History` of `fit`.
        """
        deprecation.warn("`model.fit_generator` is deprecated in Keras 3; use `model.fit`, "
                         "which accepts generators and `PyDataset`s.")
        with _loading(generator, workers=workers, use_multiprocessing=use_multiprocessing,
                      max_queue_size=max_queue_size):
            return self.fit(generator, steps_per_epoch=_whole_steps(steps_per_epoch,
                                                                    "steps_per_epoch"),
                            epochs=epochs, verbose=verbose, callbacks=callbacks,
                            validation_data=validation_data,
                            validation_steps=_whole_steps(validation_steps, "validation_steps"),
                            validation_freq=validation_freq, class_weight=class_weight,
                            shuffle=shuffle, initial_epoch=initial_epoch)

    def evaluate_generator(self, generator, steps=None, callbacks=None, max_queue_size=10,
                           workers=1, use_multiprocessing=False, verbose=0):
        """Keras 2's `evaluate` for generators (deprecated): `evaluate(generator, ...)`.

        Returns:
            What `evaluate` returns: the loss, or `[loss, *metrics]`.
        """
        deprecation.warn("`model.evaluate_generator` is deprecated in Keras 3; use "
                         "`model.evaluate`, which accepts generators and `PyDataset`s.")
        with _loading(generator, workers=workers, use_multiprocessing=use_multiprocessing,
                      max_queue_size=max_queue_size):
            return self.evaluate(generator, steps=_whole_steps(steps, "steps"),
                                 callbacks=callbacks, verbose=verbose)

    def predict_generator(self, generator, steps=None, callbacks=None, max_queue_size=10,
                          workers=1, use_multiprocessing=False, verbose=0):
        """Keras 2's `predict` for generators (deprecated): `predict(generator, ...)`.

        Returns:
            What `predict` returns: the outputs as numpy arrays.
        """
        deprecation.warn("`model.predict_generator` is deprecated in Keras 3; use "
                         "`model.predict`, which accepts generators and `PyDataset`s.")
        with _loading(generator, workers=workers, use_multiprocessing=use_multiprocessing,
                      max_queue_size=max_queue_size):
            return self.predict(generator, steps=_whole_steps(steps, "steps"),
                                callbacks=callbacks, verbose=verbose)

    def predict_classes(self, x, batch_size=32, verbose=0):
        """Keras 2's class predictions (deprecated): the argmax of the output over its last
        axis, or, for a single (sigmoid) unit, whether it exceeds 0.5 (as `int32`, keeping
        the unit axis, as Keras 2 did).

        Returns:
            A numpy array of class indices.

        Raises:
            TypeError: If the model has several outputs.
        """
        deprecation.warn("`model.predict_classes` is deprecated in Keras 3; use "
                         "`np.argmax(model.predict(x), axis=-1)` (softmax outputs) or "
                         "`(model.predict(x) > 0.5).astype('int32')` (a sigmoid output).")
        proba = self._single_output_prediction(x, batch_size, verbose, "predict_classes")
        if proba.shape[-1] > 1:
            return proba.argmax(axis=-1)
        return (proba > 0.5).astype("int32")

    def predict_proba(self, x, batch_size=32, verbose=0):
        """Keras 2's probability predictions (deprecated): `predict`, with a warning when an
        output falls outside `[0, 1]` (the model does not end in a softmax or a sigmoid).

        Returns:
            The model's output, a numpy array.

        Raises:
            TypeError: If the model has several outputs.
        """
        deprecation.warn("`model.predict_proba` is deprecated in Keras 3; use "
                         "`model.predict(x)`.")
        proba = self._single_output_prediction(x, batch_size, verbose, "predict_proba")
        if proba.size and (proba.min() < 0.0 or proba.max() > 1.0):
            deprecation.warn("`predict_proba`: the model returns values outside [0, 1], "
                             "which are not probabilities. Does its last layer use a softmax "
                             "or sigmoid activation?", UserWarning)
        return proba

    def _single_output_prediction(self, x, batch_size, verbose, method):
        out = self.predict(x, batch_size=batch_size, verbose=verbose)
        if not isinstance(out, np.ndarray):
            raise TypeError(f"`{method}` works on models with one output; this one returns "
                            f"{type(out).__name__} of outputs. Use `model.predict(x)` and "
                            "pick the output.")
        return out
