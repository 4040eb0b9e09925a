"""Which hooks `fit`/`evaluate`/`predict` call, when, with which logs; the lazy batch logs."""

import numpy as np
import pytest

import lamina as keras
from lamina.callbacks import (
    CallbackList,
    CSVLogger,
    EarlyStopping,
    History,
    LearningRateScheduler,
    ProgbarLogger,
    ReduceLROnPlateau,
)


class Spy(keras.callbacks.Callback):
    """Records every event with the log keys it received."""

    def __init__(self):
        super().__init__()
        self.events = []

    def _log(self, event, logs):
        self.events.append((event, None if logs is None else sorted(logs)))


for _hook in ("on_train_begin", "on_train_end", "on_test_begin", "on_test_end",
              "on_predict_begin", "on_predict_end"):
    setattr(Spy, _hook, lambda self, logs=None, _h=_hook: self._log(_h, logs))
for _hook in ("on_epoch_begin", "on_epoch_end", "on_train_batch_begin", "on_train_batch_end",
              "on_test_batch_begin", "on_test_batch_end", "on_predict_batch_begin",
              "on_predict_batch_end"):
    setattr(Spy, _hook, lambda self, i, logs=None, _h=_hook: self._log(f"{_h} {i}", logs))


def model_and_data():
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2, activation="softmax")])
    model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["acc"])
    x = np.random.default_rng(1).normal(size=(8, 3))
    y = np.eye(2)[[0, 1] * 4]
    return model, x, y


def test_fit_with_validation_calls_every_hook_in_keras_order():
    model, x, y = model_and_data()
    spy = Spy()
    history = model.fit(x, y, batch_size=4, epochs=2, validation_data=(x[:4], y[:4]),
                        callbacks=[spy], verbose=0)
    metrics, val = ["acc", "loss"], ["acc", "loss", "val_acc", "val_loss"]
    epoch = lambda e: [
        (f"on_epoch_begin {e}", None),
        ("on_train_batch_begin 0", None), ("on_train_batch_end 0", metrics),
        ("on_train_batch_begin 1", None), ("on_train_batch_end 1", metrics),
        ("on_test_begin", None),
        ("on_test_batch_begin 0", None), ("on_test_batch_end 0", metrics),
        ("on_test_end", metrics),
        (f"on_epoch_end {e}", val)]
    assert spy.events == [("on_train_begin", None), *epoch(0), *epoch(1),
                          ("on_train_end", val)]
    assert spy.params == {"verbose": 0, "epochs": 2, "steps": 2}
    assert spy.model is model and model.history is history


def test_evaluate_and_predict_call_their_hooks():
    model, x, y = model_and_data()
    spy = Spy()
    model.evaluate(x, y, batch_size=8, callbacks=[spy], verbose=0)
    assert spy.events == [("on_test_begin", None), ("on_test_batch_begin 0", None),
                          ("on_test_batch_end 0", ["acc", "loss"]),
                          ("on_test_end", ["acc", "loss"])]
    assert spy.params == {"verbose": 0, "epochs": 1, "steps": 1}
    outputs = []
    spy = Spy()
    grab = keras.callbacks.LambdaCallback(
        on_predict_batch_end=lambda batch, logs: outputs.append(logs["outputs"]))
    result = model.predict(x, batch_size=4, callbacks=[spy, grab], verbose=0)
    assert spy.events == [("on_predict_begin", None),
                          ("on_predict_batch_begin 0", None),
                          ("on_predict_batch_end 0", ["outputs"]),
                          ("on_predict_batch_begin 1", None),
                          ("on_predict_batch_end 1", ["outputs"]),
                          ("on_predict_end", None)]
    np.testing.assert_allclose(np.concatenate([o.cpu().numpy() for o in outputs]), result)


def test_stop_evaluating_and_stop_predicting_end_the_loop_early():
    model, x, y = model_and_data()

    class Stop(keras.callbacks.Callback):
        def on_test_batch_end(self, batch, logs=None):
            self.model.stop_evaluating = True

        def on_predict_batch_end(self, batch, logs=None):
            self.model.stop_predicting = True

    # Only the first batch (the first 2 samples) counts.
    first = model.evaluate(x[:2], y[:2], verbose=0, return_dict=True)
    got = model.evaluate(x, y, batch_size=2, callbacks=[Stop()], verbose=0, return_dict=True)
    assert got == pytest.approx(first)
    assert model.predict(x, batch_size=2, callbacks=[Stop()], verbose=0).shape == (2, 2)
    assert model.evaluate(x, y, batch_size=2, verbose=0) != pytest.approx(first["loss"])


def test_epoch_callbacks_do_not_read_batch_logs(monkeypatch):
    # Per-batch logs stay on the device unless a callback reads them: with epoch-level
    # callbacks only, each metric's result is computed once per epoch (for the epoch logs).
    reads = []
    metric_cls = type(keras.metrics.Mean())
    original = metric_cls.result
    monkeypatch.setattr(metric_cls, "result", lambda self: reads.append(self.name)
                        or original(self))
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    x, y = np.ones((32, 3)), np.zeros((32, 1))
    callbacks = [EarlyStopping(monitor="loss", patience=5), ReduceLROnPlateau(monitor="loss"),
                 LearningRateScheduler(lambda epoch, lr: lr),
                 keras.callbacks.LambdaCallback(on_epoch_end=lambda epoch, logs: None)]
    model.fit(x, y, batch_size=4, epochs=3, callbacks=callbacks, verbose=0)  # 8 steps each
    assert reads == ["loss"] * 3


def test_default_callbacks_come_after_the_users():
    user = EarlyStopping()
    callbacks = CallbackList([user], add_history=True, add_progbar=True, verbose=1, epochs=1,
                             steps=1)
    assert [type(c) for c in callbacks.callbacks] == [EarlyStopping, History, ProgbarLogger]
    assert callbacks.params == {"verbose": 1, "epochs": 1, "steps": 1}
    # A History or ProgbarLogger given by the user is used, not doubled.
    history = History()
    assert CallbackList([history], add_history=True).history is history


def test_progress_bar_shows_the_logs_added_by_callbacks(capsys, tmp_path):
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])
    model.compile(optimizer=keras.optimizers.SGD(0.01), loss="mse")
    logger = CSVLogger(tmp_path / "log.csv")
    history = model.fit(np.ones((4, 3)), np.zeros((4, 1)), epochs=2, verbose=2,
                        callbacks=[LearningRateScheduler(lambda epoch: 0.5 ** epoch), logger])
    out = capsys.readouterr().out
    assert "learning_rate: 1.0000" in out and "learning_rate: 0.5000" in out
    assert history.history["learning_rate"] == [1.0, 0.5]
    rows = (tmp_path / "log.csv").read_text().splitlines()
    # The scheduler comes first in the list, so the logger sees its `learning_rate` (and, as
    # Keras does without validation, adds a `val_` column for every key).
    assert rows == ["epoch,learning_rate,loss,val_learning_rate,val_loss",
                    f"0,1.0,{history.history['loss'][0]},NA,NA",
                    f"1,0.5,{history.history['loss'][1]},NA,NA"]


def test_lambda_callback_hooks_are_called_per_batch():
    seen = []
    callback = keras.callbacks.LambdaCallback(
        on_train_batch_end=lambda batch, logs: seen.append(("train", batch)),
        on_test_batch_begin=lambda batch, logs: seen.append(("test", batch)),
        on_train_end=lambda logs: seen.append(("end", sorted(logs))))
    model, x, y = model_and_data()
    model.fit(x, y, batch_size=4, validation_data=(x, y), callbacks=[callback], verbose=0)
    assert seen == [("train", 0), ("train", 1), ("test", 0), ("test", 1),
                    ("end", ["acc", "loss", "val_acc", "val_loss"])]


def test_progress_bar_with_unknown_steps_counts_every_batch(capsys, monkeypatch):
    from lamina.callbacks import progbar_logger

    monkeypatch.setattr(progbar_logger, "_clock", lambda: 0.0)  # redraws only the first step
    logger = ProgbarLogger()
    logger.set_params({"verbose": "auto", "epochs": 2, "steps": None})
    logger.on_train_begin()
    for epoch in range(2):
        logger.on_epoch_begin(epoch)
        for batch in range(5):
            logger.on_train_batch_end(batch, {"loss": 0.5})
        logger.on_epoch_end(epoch, {"loss": 0.25})
    # The final line counts all 5 batches; the count becomes the second epoch's target.
    assert logger.verbose == 1 and logger.target == 5 and logger.progbar.target == 5
    out = capsys.readouterr().out
    assert "Epoch 2/2" in out and "5/5" in out and "loss: 0.2500" in out
