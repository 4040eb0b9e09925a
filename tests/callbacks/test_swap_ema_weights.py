"""SwapEMAWeights: validation with the moving averages, hand-computed.

The model is `y = w * x` with w = 1, trained on x = 1, y = 0 (mse: loss w^2, gradient 2w) by
SGD(0.1) with `use_ema=True, ema_momentum=0.5`, one step per epoch:
    step 1: w = 1 - 0.2 = 0.8,    average = w (first update) = 0.8
    step 2: w = 0.8 * 0.8 = 0.64, average = 0.5 * 0.8 + 0.5 * 0.64 = 0.72
So the validation loss (x = 1, y = 0) is w^2 of whichever weight is in the model.
"""

import numpy as np
import pytest

import lamina as keras
from lamina.callbacks import SwapEMAWeights

RAW, AVERAGE = [0.8, 0.64], [0.8, 0.72]


def ema_model(use_ema=True, mixed=False):
    model = keras.Sequential([keras.Input((1,)), keras.layers.Dense(
        1, use_bias=False, kernel_initializer="ones")])
    optimizer = keras.optimizers.SGD(0.1, use_ema=use_ema, ema_momentum=0.5)
    if mixed:
        optimizer = keras.optimizers.LossScaleOptimizer(optimizer)
    model.compile(optimizer=optimizer, loss="mse")
    return model


class Weights(keras.callbacks.Callback):
    """Records the weight value seen at each event."""

    def __init__(self):
        super().__init__()
        self.seen = []

    def _record(self, event):
        self.seen.append((event, round(float(self.model.get_weights()[0].item()), 6)))

    def on_test_begin(self, logs=None):
        self._record("test")

    def on_epoch_begin(self, epoch, logs=None):
        self._record("epoch_begin")

    def on_epoch_end(self, epoch, logs=None):
        self._record("epoch_end")


def fit(model, callbacks):
    one, zero = np.ones((1, 1)), np.zeros((1, 1))
    return model.fit(one, zero, validation_data=(one, zero), epochs=2, shuffle=False,
                     verbose=0, callbacks=callbacks)


@pytest.mark.parametrize("mixed", [False, True])
def test_validation_sees_the_averages_and_training_the_raw_weights(mixed):
    model, spy = ema_model(mixed=mixed), Weights()
    history = fit(model, [SwapEMAWeights(), spy])
    assert history.history["val_loss"] == pytest.approx([a * a for a in AVERAGE])
    assert history.history["loss"] == pytest.approx([1.0, RAW[0] ** 2])
    assert spy.seen == [("epoch_begin", 1.0), ("test", 0.8), ("epoch_end", 0.8),
                        ("epoch_begin", 0.8), ("test", 0.72), ("epoch_end", 0.64)]
    if not mixed:  # LossScaleOptimizer does not pass `finalize_variable_values` on (yet)
        assert model.get_weights()[0].item() == pytest.approx(0.72)  # fit ends on averages


def test_without_the_callback_validation_uses_the_raw_weights():
    history = fit(ema_model(), [])
    assert history.history["val_loss"] == pytest.approx([r * r for r in RAW])


def test_swap_on_epoch_keeps_the_averages_until_the_next_epoch():
    model, spy = ema_model(), Weights()
    fit(model, [SwapEMAWeights(swap_on_epoch=True), spy])
    assert spy.seen == [("epoch_begin", 1.0), ("test", 0.8), ("epoch_end", 0.8),
                        ("epoch_begin", 0.8), ("test", 0.72), ("epoch_end", 0.72)]
    assert model.get_weights()[0].item() == pytest.approx(0.72)
    np.testing.assert_allclose(model.optimizer._ema_averages[0].item(), 0.72)


def test_evaluate_and_predict_after_training():
    model = ema_model()
    model.fit(np.ones((1, 1)), np.zeros((1, 1)), epochs=2, verbose=0)  # weights: 0.72
    model.set_weights([np.array([[0.5]], "float32")])  # raw weights differ from the average
    x = np.ones((1, 1))
    assert model.predict(x, verbose=0, callbacks=[SwapEMAWeights()]).item() == \
        pytest.approx(0.72)
    assert model.evaluate(x, np.zeros((1, 1)), verbose=0, callbacks=[SwapEMAWeights()]) == \
        pytest.approx(0.72 ** 2)
    assert model.get_weights()[0].item() == 0.5  # put back after each


def test_requires_an_ema_optimizer():
    with pytest.raises(ValueError, match="`SwapEMAWeights` needs an optimizer that keeps "
                                         "moving averages.*Received: use_ema=False"):
        fit(ema_model(use_ema=False), [SwapEMAWeights()])
    with pytest.raises(RuntimeError, match="`SwapEMAWeights` found no moving averages: the "
                                           "optimizer is not built yet"):
        ema_model().predict(np.ones((1, 1)), verbose=0, callbacks=[SwapEMAWeights()])
