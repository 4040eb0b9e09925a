"""LearningRateScheduler and TerminateOnNaN: hand-computed SGD steps and scripted losses."""

import numpy as np
import pytest
import torch

import lamina as keras
from lamina.callbacks import LearningRateScheduler, TerminateOnNaN


def one_weight_model(learning_rate=0.1):
    """`y = w * x` with w = 0, trained with mse on x = 1, y = 1: gradient 2 * (w - 1)."""
    model = keras.Sequential([keras.Input((1,)), keras.layers.Dense(
        1, use_bias=False, kernel_initializer="zeros")])
    model.compile(optimizer=keras.optimizers.SGD(learning_rate), loss="mse")
    return model


@pytest.mark.parametrize("schedule", [lambda epoch: [0.1, 0.01][epoch],
                                      lambda epoch, lr: lr * [1.0, 0.1][epoch]])
def test_scheduler_sets_the_rate_used_by_the_next_steps(schedule):
    model = one_weight_model(0.1)
    history = model.fit(np.ones((1, 1)), np.ones((1, 1)), epochs=2, verbose=0,
                        callbacks=[LearningRateScheduler(schedule)])
    # w1 = 0 - 0.1 * 2 * (0 - 1) = 0.2; w2 = 0.2 - 0.01 * 2 * (0.2 - 1) = 0.216
    assert model.get_weights()[0].item() == pytest.approx(0.216, rel=1e-6)
    assert history.history["learning_rate"] == [float(np.float32(0.1)),
                                                float(np.float32(0.01))]
    assert model.optimizer._learning_rate.item() == pytest.approx(0.01)


def test_scheduler_receives_the_epoch_and_current_rate(capsys):
    calls = []

    def schedule(epoch, lr):
        calls.append((epoch, lr))
        return torch.tensor(lr / 2)  # a 0-d tensor is accepted

    model = one_weight_model(0.5)
    model.fit(np.ones((1, 1)), np.ones((1, 1)), epochs=3, initial_epoch=1, verbose=0,
              callbacks=[LearningRateScheduler(schedule, verbose=1)])
    assert calls == [(1, 0.5), (2, 0.25)]
    assert "Epoch 3: LearningRateScheduler setting learning rate to 0.125." in \
        capsys.readouterr().out


def test_scheduler_rejects_bad_schedules():
    with pytest.raises(TypeError, match="`LearningRateScheduler` expects `schedule` to be a "
                                        "function"):
        LearningRateScheduler(0.1)
    model = one_weight_model()
    with pytest.raises(ValueError, match=r"`LearningRateScheduler` expects `schedule` to "
                                         r"return a float learning rate. At epoch 0 it "
                                         r"returned 'fast' \(of type str\)"):
        model.fit(np.ones((1, 1)), np.ones((1, 1)), verbose=0,
                  callbacks=[LearningRateScheduler(lambda epoch: "fast")])
    with pytest.raises(ValueError, match="expects `learning_rate` to be a non-negative float"):
        model.fit(np.ones((1, 1)), np.ones((1, 1)), verbose=0,
                  callbacks=[LearningRateScheduler(lambda epoch: -1.0)])
    scheduled = keras.Sequential([keras.Input((1,)), keras.layers.Dense(1)])
    scheduled.compile(optimizer=keras.optimizers.SGD(
        keras.optimizers.schedules.ExponentialDecay(0.1, 10, 0.5)), loss="mse")
    with pytest.raises(TypeError, match="was created with a learning rate schedule"):
        scheduled.fit(np.ones((1, 1)), np.ones((1, 1)), verbose=0,
                      callbacks=[LearningRateScheduler(lambda epoch: 0.1)])


def nan_at_batch(index, batches=4):
    x = np.ones((batches, 1))
    x[index] = np.nan
    return x, np.ones((batches, 1))


def test_terminate_on_nan_stops_after_the_first_bad_batch(capsys):
    model = one_weight_model()
    seen = []
    spy = keras.callbacks.LambdaCallback(on_train_batch_end=lambda b, logs: seen.append(b))
    x, y = nan_at_batch(2)
    history = model.fit(x, y, batch_size=1, epochs=3, shuffle=False, verbose=0,
                        callbacks=[TerminateOnNaN(), spy])
    assert seen == [0, 1, 2] and history.epoch == [0]
    assert np.isnan(history.history["loss"][0])
    assert capsys.readouterr().out == "Batch 2: Invalid loss, terminating training\n"


def test_terminate_on_nan_can_raise():
    model = one_weight_model()
    ended = []
    late = keras.callbacks.LambdaCallback(on_train_end=lambda logs: ended.append(True))
    x, y = nan_at_batch(1)
    with pytest.raises(RuntimeError, match="NaN or Inf loss encountered at batch 1. Loss "
                                           "value: nan. Terminating training immediately."):
        model.fit(x, y, batch_size=1, shuffle=False, verbose=0,
                  callbacks=[TerminateOnNaN(raise_error=True), late])
    assert ended == []


def test_terminate_on_nan_ignores_finite_losses():
    model = one_weight_model()
    history = model.fit(np.ones((4, 1)), np.ones((4, 1)), batch_size=1, epochs=2, verbose=0,
                        callbacks=[TerminateOnNaN()])
    assert history.epoch == [0, 1]
