"""EarlyStopping and ReduceLROnPlateau against Keras 3 (golden runs) and in `fit`."""

import json
import math
from pathlib import Path

import numpy as np
import pytest
import torch

import lamina as keras
from lamina.callbacks import EarlyStopping, ReduceLROnPlateau

GOLDEN = json.loads((Path(__file__).parent / "golden" / "callbacks_golden.json").read_text())
MONITOR_CASES = {name: case for name, case in GOLDEN["cases"].items()
                 if case["class"] in ("EarlyStopping", "ReduceLROnPlateau")}


def tiny_model(learning_rate=0.1):
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=learning_rate), loss="mse")
    return model


def drive(callback, model, monitor, values):
    """What the golden script does with Keras: one `on_epoch_end` per scripted value, the
    weights set to the epoch index first."""
    callback.set_model(model)
    callback.set_params({"verbose": 0, "epochs": len(values), "steps": 1})
    model.stop_training = False
    callback.on_train_begin()
    epochs, logs_seen, rates = [], [], []
    for epoch, value in enumerate(values):
        callback.on_epoch_begin(epoch)
        model.set_weights([np.full(w.shape, float(epoch), "float32")
                           for w in model.get_weights()])
        logs = {monitor: value}
        callback.on_epoch_end(epoch, logs)
        epochs.append(epoch)
        logs_seen.append({k: None if math.isnan(v) else v for k, v in logs.items()})
        rates.append(float(np.float32(model.optimizer.learning_rate)))
        if model.stop_training:
            break
    callback.on_train_end()
    return epochs, logs_seen, rates, float(model.get_weights()[0].flat[0])


@pytest.mark.parametrize("name", sorted(MONITOR_CASES))
def test_matches_keras_on_scripted_values(name):
    case = MONITOR_CASES[name]
    cls = {"EarlyStopping": EarlyStopping, "ReduceLROnPlateau": ReduceLROnPlateau}[case["class"]]
    callback = cls(monitor=case["monitor"], **case["kwargs"])
    values = [float("nan") if v is None else v for v in case["values"]]
    epochs, logs, rates, weights_epoch = drive(callback, tiny_model(), case["monitor"], values)
    assert epochs == case["epochs"]
    assert logs == case["logs"]  # learning_rate logged as Keras reads it (float32)
    assert rates == case["learning_rates"]
    assert weights_epoch == case["weights_epoch"]
    assert callback.wait == case["wait"]
    if case["class"] == "EarlyStopping":
        assert (callback.stopped_epoch, callback.best_epoch) == (case["stopped_epoch"],
                                                                  case["best_epoch"])


class ScriptedValidation(keras.Sequential):
    """A model whose validation loss is read from a script, one value per evaluation."""

    def __init__(self, layers, script):
        super().__init__(layers)
        self._untracked(script=list(script))

    def test_step(self, data):
        return {"loss": torch.tensor(self.script.pop(0))}


class RecordWeights(keras.callbacks.Callback):
    def __init__(self):
        super().__init__()
        self.by_epoch = []

    def on_epoch_end(self, epoch, logs=None):
        self.by_epoch.append(self.model.get_weights())


def test_early_stopping_in_fit_stops_and_restores_the_best_epoch(capsys):
    # Keras' rule with patience 2: best at epoch 1 (0.8); epochs 2, 3 do not improve, so
    # training stops after epoch 3 (0-based) and the weights of epoch 1 come back.
    script = [1.0, 0.8, 0.9, 0.85, 0.7, 0.6]
    model = ScriptedValidation([keras.Input((2,)), keras.layers.Dense(1)], script)
    model.compile(optimizer=keras.optimizers.SGD(0.1), loss="mse")
    record = RecordWeights()
    stop = EarlyStopping(patience=2, restore_best_weights=True, verbose=1)
    x, y = np.random.default_rng(0).normal(size=(8, 2)), np.ones((8, 1))
    history = model.fit(x, y, validation_data=(x, y), epochs=6, callbacks=[record, stop],
                        verbose=0)
    assert history.epoch == [0, 1, 2, 3]
    assert history.history["val_loss"] == pytest.approx([1.0, 0.8, 0.9, 0.85])
    assert (stop.stopped_epoch, stop.best_epoch, stop.best) == (3, 1, pytest.approx(0.8))
    for got, want in zip(model.get_weights(), record.by_epoch[1]):
        np.testing.assert_array_equal(got, want)
    assert not np.array_equal(record.by_epoch[1][0], record.by_epoch[3][0])
    assert capsys.readouterr().out.splitlines() == [
        "Epoch 4: early stopping", "Restoring model weights from the end of the best epoch: 2."]


def test_early_stopping_reuse_starts_afresh():
    stop = EarlyStopping(monitor="loss", patience=1)
    model = tiny_model()
    drive(stop, model, "loss", [1.0, 2.0])
    assert stop.stopped_epoch == 1
    drive(stop, model, "loss", [1.0, 0.5])
    assert (stop.stopped_epoch, stop.best) == (0, 0.5)


def test_auto_mode_follows_the_metric_direction():
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(2, activation="softmax")])
    model.compile(optimizer="sgd", loss="categorical_crossentropy", metrics=["acc", "mae"])
    x, y = np.ones((4, 2), "float32"), np.eye(2, dtype="float32")[[0, 1, 0, 1]]
    model.fit(x, y, verbose=0)  # builds the compiled metrics
    for monitor, values, stopped in [("val_acc", [0.5, 0.6, 0.55], 2),  # higher is better
                                     ("val_mae", [0.5, 0.6, 0.55], 1),  # lower is better
                                     ("loss", [0.5, 0.4, 0.45], 2)]:
        stop = EarlyStopping(monitor=monitor)
        drive(stop, model, monitor, values)
        assert stop.stopped_epoch == stopped, monitor
    with pytest.raises(ValueError, match="cannot tell whether `val_custom` should go up"):
        drive(EarlyStopping(monitor="val_custom"), model, "val_custom", [1.0])
    stop = EarlyStopping(monitor="val_custom", mode="max")
    drive(stop, model, "val_custom", [1.0, 2.0, 1.5])
    assert stop.best == 2.0


def test_per_output_losses_are_minimised_in_auto_mode():
    inputs = keras.Input((2,))
    model = keras.Model(inputs, [keras.layers.Dense(1, name="a")(inputs),
                                 keras.layers.Dense(1, name="b")(inputs)])
    model.compile(optimizer="sgd", loss=["mse", "mse"])
    stop = EarlyStopping(monitor="val_a_loss")
    drive(stop, model, "val_a_loss", [1.0, 0.5, 0.7])
    assert stop.stopped_epoch == 2


def test_missing_monitor_warns_with_the_available_keys():
    stop = EarlyStopping(monitor="val_loss")
    model = tiny_model()
    stop.set_model(model)
    stop.on_train_begin()
    with pytest.warns(UserWarning, match=r"Early stopping is conditioned on metric `val_loss` "
                                         r"which is not available. Available metrics are: "
                                         r"loss,acc"):
        stop.on_epoch_end(0, {"loss": 1.0, "acc": 0.5})
    reduce = ReduceLROnPlateau(monitor="val_acc", mode="max")
    reduce.set_model(model)
    reduce.on_train_begin()
    with pytest.warns(UserWarning, match="Learning rate reduction is conditioned on metric "
                                         "`val_acc`.*loss,learning_rate"):
        reduce.on_epoch_end(0, {"loss": 1.0})


def test_reduce_lr_on_plateau_in_fit_writes_the_device_rate(capsys):
    model = ScriptedValidation([keras.Input((1,)), keras.layers.Dense(1)], [1.0] * 4)
    model.compile(optimizer=keras.optimizers.SGD(0.4), loss="mse")
    reduce = ReduceLROnPlateau(patience=1, factor=0.5, min_lr=0.06, verbose=1)
    history = model.fit(np.ones((4, 1)), np.ones((4, 1)), validation_data=(np.ones((4, 1)),
                        np.ones((4, 1))), epochs=4, callbacks=[reduce], verbose=0)
    # Epoch 0 sets the best; each later epoch fails to improve and halves the rate (patience
    # 1), down to min_lr.
    expected = [0.4, 0.4, 0.2, 0.1]
    assert history.history["learning_rate"] == [float(np.float32(r)) for r in expected]
    assert model.optimizer._learning_rate.item() == pytest.approx(0.06)
    assert "Epoch 4: ReduceLROnPlateau reducing learning rate to 0.06." in capsys.readouterr().out


def test_monitor_callbacks_reject_bad_arguments():
    with pytest.raises(ValueError, match="`EarlyStopping` expects `mode` to be one of 'auto', "
                                         "'min', 'max'. Received: mode='maximum'"):
        EarlyStopping(mode="maximum")
    with pytest.raises(ValueError, match="`EarlyStopping` expects `patience` to be a "
                                         "non-negative integer. Received: patience=-1"):
        EarlyStopping(patience=-1)
    with pytest.raises(ValueError, match="`EarlyStopping` expects `start_from_epoch`"):
        EarlyStopping(start_from_epoch=1.5)
    with pytest.raises(ValueError, match="`EarlyStopping` expects `baseline` to be a finite "
                                         "float or None. Received: baseline='0.5'"):
        EarlyStopping(baseline="0.5")
    with pytest.raises(ValueError, match="`EarlyStopping` expects `min_delta` to be a finite"):
        EarlyStopping(min_delta=float("nan"))
    with pytest.raises(TypeError, match="`EarlyStopping` expects `monitor` to be the name"):
        EarlyStopping(monitor=3)
    with pytest.raises(ValueError, match=r"`ReduceLROnPlateau` expects `factor` to be a float "
                                         r"in \[0, 1\). Received: factor=1.0"):
        ReduceLROnPlateau(factor=1.0)
    with pytest.raises(ValueError, match="`ReduceLROnPlateau` expects `min_lr` to be a "
                                         "non-negative float. Received: min_lr=-0.1"):
        ReduceLROnPlateau(min_lr=-0.1)
    with pytest.raises(ValueError, match="`ReduceLROnPlateau` expects `cooldown`"):
        ReduceLROnPlateau(cooldown=-2)
