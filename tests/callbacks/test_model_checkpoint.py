"""ModelCheckpoint: Keras 3's behaviour on scripted logs (golden), and the files it writes in
`fit` holding the weights of the epoch (or batch) they were written at."""

import contextlib
import io
import json
import re
import warnings
from pathlib import Path

import numpy as np
import pytest
import torch

import lamina as keras
from lamina.callbacks import ModelCheckpoint

GOLDEN = json.loads((Path(__file__).parent / "golden" / "checkpoint_golden.json").read_text())


class StubModel:
    """What the golden script gives Keras: records saves instead of writing files."""

    def __init__(self):
        self.saves = []
        self.metrics = []
        self.stop_training = False

    def save(self, filepath, overwrite=True):
        self.saves.append(["save", filepath])

    def save_weights(self, filepath, overwrite=True):
        self.saves.append(["save_weights", filepath])


def drive(kwargs, epochs):
    """The golden script's `run_case`, on lamina's callback."""
    model = StubModel()
    callback = ModelCheckpoint(**kwargs)
    callback.set_model(model)
    events, error = [], None

    def record(event, hook, *args):
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            hook(*args)
        events.append({"event": event, "saves": model.saves, "stdout": out.getvalue()})
        model.saves = []

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            for epoch, (batches, epoch_logs) in enumerate(epochs):
                callback.on_epoch_begin(epoch)
                for batch, logs in enumerate(batches):
                    record(f"batch {epoch}/{batch}", callback.on_train_batch_end, batch,
                           dict(logs))
                record(f"epoch {epoch}", callback.on_epoch_end, epoch, dict(epoch_logs))
        except KeyError as e:
            error = {"type": "KeyError", "message": e.args[0]}
    return {"events": events, "error": error,
            "warnings": [str(w.message) for w in caught if "save best" in str(w.message)],
            "best": callback.best}


@pytest.mark.parametrize("name", sorted(GOLDEN["cases"]))
def test_matches_keras_on_scripted_logs(name):
    case = GOLDEN["cases"][name]
    result = drive(case["kwargs"], case["epochs"])
    assert result["events"] == case["events"]  # which files, which method, what it prints
    assert result["error"] == case["error"]
    assert result["warnings"] == case["warnings"]
    assert result["best"] == case["best"]


@pytest.mark.parametrize("name", sorted(GOLDEN["errors"]))
def test_rejects_what_keras_rejects(name):
    case = GOLDEN["errors"][name]
    keras_message = case["message"]
    if "save_freq" in case["kwargs"]:  # lamina's message follows its template
        keras_message = "`ModelCheckpoint` expects `save_freq` to be 'epoch' or a positive"
    with pytest.raises(ValueError, match=re.escape(keras_message)):
        ModelCheckpoint(**case["kwargs"])


@pytest.mark.parametrize("save_freq", [0, -2, True, 2.5, "batch"])
def test_rejects_bad_save_freq(save_freq):
    with pytest.raises(ValueError, match=r"expects `save_freq` to be 'epoch' or a positive "
                                         r"integer .*Received: save_freq="):
        ModelCheckpoint("m.keras", save_freq=save_freq)


def test_legacy_h5_model_path_is_accepted_as_in_keras(tmp_path):
    model, x, y = model_and_data()
    log = WeightsLog()
    model.fit(x, y, batch_size=40, epochs=1, verbose=0,
              callbacks=[log, ModelCheckpoint(tmp_path / "model.h5")])
    assert_same_weights(keras.saving.load_model(tmp_path / "model.h5"), log.at_epoch[0])


def test_rejects_a_filepath_that_is_not_a_path():
    with pytest.raises(TypeError, match=r"expects `filepath` to be a string or a `PathLike`. "
                                        r"Received: filepath=3 \(of type int\)"):
        ModelCheckpoint(3)


def test_accepts_a_pathlike(tmp_path):
    assert ModelCheckpoint(tmp_path / "m.keras").filepath == str(tmp_path / "m.keras")


def model_and_data(seed=0):
    keras.utils.set_random_seed(seed)
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(8, activation="relu"),
                              keras.layers.Dense(3, activation="softmax")])
    model.compile(keras.optimizers.Adam(0.05), loss="sparse_categorical_crossentropy",
                  metrics=["acc"])
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(40, 4)).astype("float32")
    y = rng.integers(0, 3, size=40)
    return model, x, y


class WeightsLog(keras.callbacks.Callback):
    """The model's weights after each batch and each epoch, as host copies."""

    def __init__(self):
        super().__init__()
        self.at_batch, self.at_epoch = {}, {}
        self.epoch = 0

    def on_epoch_begin(self, epoch, logs=None):
        self.epoch = epoch

    def on_train_batch_end(self, batch, logs=None):
        self.at_batch[(self.epoch, batch)] = [w.detach().clone() for w in self.model.weights]

    def on_epoch_end(self, epoch, logs=None):
        self.at_epoch[epoch] = [w.detach().clone() for w in self.model.weights]


def assert_same_weights(model, expected):
    assert len(model.weights) == len(expected)
    for weight, value in zip(model.weights, expected):
        assert torch.equal(weight.detach(), value)


def test_every_epoch_writes_loadable_models_named_by_the_template(tmp_path):
    model, x, y = model_and_data()
    log = WeightsLog()
    template = str(tmp_path / "ckpt" / "model-{epoch:02d}-{loss:.3f}.keras")
    history = model.fit(x, y, batch_size=10, epochs=3, verbose=0,
                        callbacks=[log, ModelCheckpoint(template)])
    losses = history.history["loss"]
    expected = [f"model-{e + 1:02d}-{losses[e]:.3f}.keras" for e in range(3)]
    assert sorted(p.name for p in (tmp_path / "ckpt").iterdir()) == expected
    for epoch, name in enumerate(expected):
        loaded = keras.saving.load_model(tmp_path / "ckpt" / name)
        assert_same_weights(loaded, log.at_epoch[epoch])


def test_weights_only_every_n_batches_counts_across_epochs(tmp_path):
    model, x, y = model_and_data()
    log = WeightsLog()
    template = str(tmp_path / "w-{epoch}-{batch}.weights.h5")
    model.fit(x, y, batch_size=10, epochs=3, verbose=0,  # 4 batches an epoch
              callbacks=[log, ModelCheckpoint(template, save_weights_only=True, save_freq=3)])
    # batches 3, 6, 9, 12 overall: (epoch 0, batch 2), (1, 1), (2, 0), (2, 3), 1-based names
    saved = {(0, 2): "w-1-3", (1, 1): "w-2-2", (2, 0): "w-3-1", (2, 3): "w-3-4"}
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        f"{name}.weights.h5" for name in saved.values())
    for (epoch, batch), name in saved.items():
        fresh, _, _ = model_and_data(seed=1)
        fresh.load_weights(tmp_path / f"{name}.weights.h5")
        assert_same_weights(fresh, log.at_batch[(epoch, batch)])


def test_save_best_only_keeps_the_epoch_with_the_best_validation_accuracy(tmp_path):
    model, x, y = model_and_data()
    log = WeightsLog()
    path = tmp_path / "best.keras"
    history = model.fit(x[:30], y[:30], batch_size=10, epochs=6, verbose=0,
                        validation_data=(x[30:], y[30:]),
                        callbacks=[log, ModelCheckpoint(path, monitor="val_acc",
                                                        save_best_only=True)])
    accuracy = history.history["val_acc"]
    best = int(np.argmax(accuracy))  # "auto": accuracy goes up; the first of ties is kept
    assert_same_weights(keras.saving.load_model(path), log.at_epoch[best])


def test_verbose_prints_keras_messages_in_fit(tmp_path, capsys):
    model, x, y = model_and_data()
    path = tmp_path / "m.weights.h5"
    model.fit(x, y, batch_size=40, epochs=1, verbose=0,
              callbacks=[ModelCheckpoint(path, save_weights_only=True, verbose=1)])
    assert capsys.readouterr().out == (f"\nEpoch 1: saving model to {path}\n"
                                       f"\nEpoch 1: finished saving model to {path}\n")


def test_batch_level_best_only_decides_on_the_epochs_running_loss(tmp_path):
    model, x, y = model_and_data()
    log = WeightsLog()
    losses = {}

    class RunningLoss(keras.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            self.epoch = epoch

        def on_train_batch_end(self, batch, logs=None):
            losses[(self.epoch, batch)] = float(logs["loss"])

    path = tmp_path / "b.keras"
    checkpoint = ModelCheckpoint(path, monitor="loss", save_best_only=True, save_freq=2)
    model.fit(x, y, batch_size=10, epochs=2, verbose=0,
              callbacks=[log, RunningLoss(), checkpoint])
    checked = [(0, 1), (0, 3), (1, 1), (1, 3)]  # every 2 batches
    best_at = min(checked, key=lambda key: losses[key])  # first of ties: strict improvement
    assert checkpoint.best == losses[best_at]
    assert_same_weights(keras.saving.load_model(path), log.at_batch[best_at])


def test_a_directory_as_filepath_is_an_error(tmp_path):
    model, x, y = model_and_data()
    (tmp_path / "m.keras").mkdir()
    with pytest.raises(IsADirectoryError, match="Please specify a non-directory filepath for "
                                                "ModelCheckpoint"):
        model.fit(x, y, epochs=1, verbose=0,
                  callbacks=[ModelCheckpoint(tmp_path / "m.keras")])


def test_missing_template_key_fails_in_fit_with_keras_message(tmp_path):
    model, x, y = model_and_data()
    with pytest.raises(KeyError, match="Failed to format this callback filepath.*val_loss"):
        model.fit(x, y, epochs=1, verbose=0,
                  callbacks=[ModelCheckpoint(tmp_path / "{val_loss:.2f}.keras")])


def test_non_scalar_monitor_falls_back_to_saving(tmp_path):
    model = StubModel()
    callback = ModelCheckpoint("m.keras", monitor="loss", save_best_only=True)
    callback.set_model(model)
    with pytest.warns(UserWarning, match="Can save best model only when `monitor` is a "
                                         "scalar value"):
        callback.on_epoch_end(0, {"loss": torch.ones(2)})
    assert model.saves == [["save", "m.keras"]]


def test_state_round_trips():
    callback = ModelCheckpoint("m.keras", save_freq=3)
    callback.best, callback._current_epoch = 0.25, 4
    callback._batches_seen_since_last_saving, callback._last_batch_seen = 2, 7
    other = ModelCheckpoint("m.keras", save_freq=3)
    other.set_state(callback.get_state())
    assert (other.best, other._current_epoch, other._batches_seen_since_last_saving,
            other._last_batch_seen) == (0.25, 4, 2, 7)
