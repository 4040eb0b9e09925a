"""`SwapEMAWeights`: evaluate (and optionally checkpoint) with the optimizer's EMA weights."""

import torch

from lamina.callbacks.callback import Callback
from lamina.registry import register


@register("keras.callbacks")
class SwapEMAWeights(Callback):
    """Put the optimizer's moving averages of the weights in the model while it is evaluated.

    With an optimizer created with `use_ema=True`, the weights are replaced by their
    exponential moving averages ("Polyak averaging") at the start of evaluation and
    prediction (including the validation inside `fit`), and put back at their end, so the
    validation metrics are those of the averaged weights while training goes on with the
    raw ones. At the end of `fit` the model keeps the averages (as `fit` always does with
    `use_ema=True`).

    The raw weights wait in a copy on their device while the averages are in the model (one
    copy of the weights, freed when they are put back); the optimizer's averages are never
    modified, so the callback is exact whatever else runs meanwhile.

    Args:
        swap_on_epoch: Also keep the averages in the model from each epoch's end to the
            next epoch's start, so the callbacks after this one in the list (e.g. a
            `ModelCheckpoint`) see them. Defaults to `False`.

    Raises:
        ValueError: If the model's optimizer was not created with `use_ema=True`.
        RuntimeError: If the optimizer has no averages yet (it is built by the first
            `fit` or `evaluate`).

    Example:

    >>> import numpy as np
    >>> import lamina as keras
    >>> model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    >>> model.compile(optimizer=keras.optimizers.SGD(use_ema=True), loss="mse")
    >>> x, y = np.ones((8, 2)), np.ones((8, 1))
    >>> history = model.fit(x, y, validation_data=(x, y), epochs=2, verbose=0,
    ...                     callbacks=[keras.callbacks.SwapEMAWeights()])
    """

    def __init__(self, swap_on_epoch=False):
        super().__init__()
        self.swap_on_epoch = bool(swap_on_epoch)
        self._backup = None  # the raw weights while the averages are in the model
        self._swapped_for = None  # the event that put the averages in ("test", "predict")

    def _optimizer(self):
        optimizer = self.model.optimizer
        optimizer = getattr(optimizer, "inner_optimizer", optimizer)  # LossScaleOptimizer
        if optimizer is None or not getattr(optimizer, "use_ema", False):
            raise ValueError(
                "`SwapEMAWeights` needs an optimizer that keeps moving averages of the "
                "weights: create it with `use_ema=True`, e.g. "
                "`model.compile(optimizer=keras.optimizers.Adam(use_ema=True), ...)`. "
                f"Received: use_ema={getattr(optimizer, 'use_ema', None)}.")
        if not optimizer.built:
            raise RuntimeError(
                "`SwapEMAWeights` found no moving averages: the optimizer is not built yet. "
                "It is built by the first `fit` or `evaluate`; call `predict` with this "
                "callback only after training.")
        return optimizer

    def _load_averages(self):
        """Copy the weights aside and the averages into them; `False` if already done."""
        if self._backup is not None:
            return False
        optimizer = self._optimizer()
        with torch.no_grad():
            self._backup = [p.detach().clone() for p in optimizer._params]
            torch._foreach_copy_(optimizer._params, optimizer._ema_averages)
        return True

    def _restore(self):
        """Put the raw weights back (if the averages are in the model)."""
        if self._backup is None:
            return
        with torch.no_grad():
            torch._foreach_copy_(self._optimizer()._params, self._backup)
        self._backup = None

    def on_train_begin(self, logs=None):
        self._optimizer()  # fail before the first epoch, not after it

    def on_epoch_begin(self, epoch, logs=None):
        if self.swap_on_epoch:
            self._restore()

    def on_epoch_end(self, epoch, logs=None):
        if self.swap_on_epoch:
            self._load_averages()

    def on_train_end(self, logs=None):
        # `fit` has copied the averages into the weights already: keep them there.
        self._backup = None

    def _begin(self, event):
        if self._load_averages():
            self._swapped_for = event

    def _end(self, event):
        if self._swapped_for == event:
            self._restore()
            self._swapped_for = None

    def on_test_begin(self, logs=None):
        self._begin("test")

    def on_test_end(self, logs=None):
        self._end("test")

    def on_predict_begin(self, logs=None):
        self._begin("predict")

    def on_predict_end(self, logs=None):
        self._end("predict")
