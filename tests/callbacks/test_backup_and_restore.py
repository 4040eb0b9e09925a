"""BackupAndRestore: an interrupted `fit` resumed from its backup ends bit for bit where an
uninterrupted one does (weights, optimizer, history, other callbacks' decisions); backups
survive a crash mid-write; bad input and bad backups fail clearly."""

import functools
import os

import numpy as np
import pytest
import torch

import lamina as keras
from lamina.callbacks import BackupAndRestore, EarlyStopping, ReduceLROnPlateau
from lamina.callbacks.backup_and_restore import STATE_FILE

EPOCHS, BATCH = 4, 8
RNG = np.random.default_rng(7)
X = RNG.normal(size=(52, 6)).astype("float32")  # 7 batches of 8 (the last one of 4)
Y = RNG.integers(0, 3, size=52)
X_VAL, Y_VAL = RNG.normal(size=(20, 6)).astype("float32"), RNG.integers(0, 3, size=20)


@functools.lru_cache
def reference_run(**fit_kwargs):
    """An uninterrupted run (computed once per set of `fit` arguments): model and history."""
    model = make_model()
    return model, train(model, [], **fit_kwargs)


def make_model(seed=1, optimizer=None):
    keras.utils.set_random_seed(seed)
    model = keras.Sequential([
        keras.Input((6,)), keras.layers.Dense(16, activation="relu"),
        keras.layers.Dropout(0.3), keras.layers.Dense(3, activation="softmax")])
    model.compile(optimizer or keras.optimizers.Adam(0.01),
                  loss="sparse_categorical_crossentropy", metrics=["acc"])
    return model


def train(model, callbacks, epochs=EPOCHS, **kwargs):
    kwargs = {"batch_size": BATCH, "validation_data": (X_VAL, Y_VAL), **kwargs}
    return model.fit(X, Y, epochs=epochs, callbacks=callbacks, verbose=0, **kwargs)


class Interrupt(keras.callbacks.Callback):
    """Raises at the end of batch `batch` of epoch `epoch` (a crash mid-training)."""

    def __init__(self, epoch, batch):
        super().__init__()
        self.at, self.epoch = (epoch, batch), None

    def on_epoch_begin(self, epoch, logs=None):
        self.epoch = epoch

    def on_train_batch_end(self, batch, logs=None):
        if (self.epoch, batch) == self.at:
            raise KeyboardInterrupt("interrupted")


def random_interruption(seed, steps=7):
    """An epoch in [1, EPOCHS - 1) and a batch of it, drawn by a seeded generator."""
    rng = np.random.default_rng(seed)
    return int(rng.integers(1, EPOCHS - 1)), int(rng.integers(0, steps))


def assert_bit_equal(model, reference):
    for got, want in zip(model.state_dict().values(), reference.state_dict().values(),
                         strict=True):
        assert torch.equal(got, want)
    got, want = model.optimizer.variables, reference.optimizer.variables
    assert all(torch.equal(a, b) for a, b in zip(got, want, strict=True))


def interrupted_then_resumed(tmp_path, interruption, fresh, save_freq, model_fn=make_model,
                             extra=list, **fit_kwargs):
    """Train with an interruption, then call `fit` again (on a new model and callbacks, as a
    restarted process would, when `fresh`); return the model and the second call's history."""
    model = model_fn()
    backup = BackupAndRestore(tmp_path / "backup", save_freq=save_freq)
    with pytest.raises(KeyboardInterrupt):
        train(model, [backup, *extra(), Interrupt(*interruption)], **fit_kwargs)
    if fresh:
        model = model_fn(seed=99)  # other initial weights: all must come from the backup
        backup = BackupAndRestore(tmp_path / "backup", save_freq=save_freq)
    torch.manual_seed(1234)  # the generators' state must come from the backup too
    history = train(model, [backup, *extra()], **fit_kwargs)
    return model, history


@pytest.mark.parametrize("save_freq", ["epoch", 4])
@pytest.mark.parametrize("fresh", [False, True], ids=["same_objects", "new_process"])
def test_resume_after_interruption_is_bit_for_bit(tmp_path, save_freq, fresh):
    reference, expected = reference_run()
    interruption = random_interruption(seed=len(str(save_freq)) + 2 * fresh)
    model, history = interrupted_then_resumed(tmp_path, interruption, fresh, save_freq)
    assert_bit_equal(model, reference)
    assert history.history == expected.history
    assert history.epoch == list(range(EPOCHS))
    assert not (tmp_path / "backup").exists()  # deleted after the successful fit


@pytest.mark.parametrize("fit_kwargs", [{"shuffle": "batch"}, {"steps_per_epoch": 4},
                                        {"shuffle": False, "steps_per_epoch": 6}],
                         ids=["batch_shuffle", "pass_spans_epochs", "unshuffled_spanning"])
def test_resume_is_exact_for_other_shuffles_and_steps_per_epoch(tmp_path, fit_kwargs):
    reference, expected = reference_run(**fit_kwargs)
    model, history = interrupted_then_resumed(tmp_path, (2, 1), True, 3, **fit_kwargs)
    assert_bit_equal(model, reference)
    assert history.history == expected.history


def test_resume_at_an_epochs_last_batch_runs_only_its_end(tmp_path):
    reference, expected = reference_run()
    # save_freq=7: a backup after the last batch of each epoch, before its validation
    model, history = interrupted_then_resumed(tmp_path, (2, 6), True, 7)
    assert_bit_equal(model, reference)
    assert history.history == expected.history


def test_early_stopping_and_reduce_lr_state_survive_the_resume(tmp_path):
    def callbacks():
        return [EarlyStopping(monitor="val_loss", patience=3, min_delta=0.01,
                              restore_best_weights=True),
                ReduceLROnPlateau(monitor="val_loss", factor=0.5, patience=1, min_delta=0.01)]

    def model_fn(seed=1):
        return make_model(seed, keras.optimizers.Adam(0.05))

    reference = model_fn()
    expected = train(reference, callbacks(), epochs=30)
    stopped = len(expected.history["loss"])
    assert 4 < stopped < 30  # it does stop early, after the interruption below
    assert len(set(expected.history["learning_rate"])) > 1  # and lowers the rate
    model, history = interrupted_then_resumed(tmp_path, (4, 2), True, 3, model_fn=model_fn,
                                              extra=callbacks, epochs=30)
    assert history.history == expected.history  # stops at the same epoch, same rates
    assert_bit_equal(model, reference)  # the same best weights restored


class Samples(torch.utils.data.Dataset):
    def __len__(self):
        return len(X)

    def __getitem__(self, index):
        return torch.from_numpy(X[index]), torch.tensor(Y[index])


def test_a_torch_dataset_resumes_after_the_batches_done(tmp_path):
    def fit(model, callbacks):
        return model.fit(Samples(), epochs=3, batch_size=BATCH, shuffle=False, verbose=0,
                         callbacks=callbacks)

    reference = make_model()
    expected = fit(reference, [])
    model = make_model()
    seen = []
    spy = keras.callbacks.LambdaCallback(on_train_batch_begin=lambda b, logs: seen.append(b))
    with pytest.raises(KeyboardInterrupt):
        fit(model, [BackupAndRestore(tmp_path, save_freq=4), Interrupt(1, 5)])
    history = fit(model, [BackupAndRestore(tmp_path, save_freq=4), spy])
    # Backups after batches 4, 8 and 12 overall: epoch 1 resumes after its first 5.
    assert seen[:4] == [5, 6, 0, 1]
    assert_bit_equal(model, reference)  # unshuffled: the same batches, so the same result
    assert history.history == expected.history


def test_a_generator_continues_its_stream_at_the_saved_step(tmp_path):
    def batches():
        while True:
            yield X[:BATCH], Y[:BATCH]

    model = make_model()
    with pytest.raises(KeyboardInterrupt):
        model.fit(batches(), epochs=3, steps_per_epoch=4, verbose=0,
                  callbacks=[BackupAndRestore(tmp_path, save_freq=2), Interrupt(1, 2)])
    seen = []
    spy = keras.callbacks.LambdaCallback(on_train_batch_begin=lambda b, logs: seen.append(b))
    history = model.fit(batches(), epochs=3, steps_per_epoch=4, verbose=0,
                        callbacks=[BackupAndRestore(tmp_path, save_freq=2), spy])
    assert seen == [2, 3, 0, 1, 2, 3]  # the rest of epoch 1 (from batch 2), then epoch 2
    assert len(history.history["loss"]) == 3


def test_keep_the_backup_and_double_checkpoint(tmp_path):
    model = make_model()
    train(model, [BackupAndRestore(tmp_path, double_checkpoint=True,
                                   delete_checkpoint=False)], epochs=2)
    assert sorted(os.listdir(tmp_path)) == [STATE_FILE, STATE_FILE + ".bkp"]
    previous = torch.load(tmp_path / (STATE_FILE + ".bkp"), weights_only=True)
    latest = torch.load(tmp_path / STATE_FILE, weights_only=True)
    assert (previous["epoch"], latest["epoch"]) == (1, 2)
    # A finished run's backup resumes after its last epoch: nothing left to train.
    history = train(model, [BackupAndRestore(tmp_path, delete_checkpoint=False)], epochs=2)
    assert len(history.history["loss"]) == 2 and history.epoch == [0, 1]


@pytest.mark.parametrize("latest", ["damaged", "missing"])
def test_an_unreadable_latest_backup_falls_back_to_the_previous_one(tmp_path, latest):
    model = make_model()
    with pytest.raises(KeyboardInterrupt):
        train(model, [BackupAndRestore(tmp_path, double_checkpoint=True), Interrupt(3, 0)])
    if latest == "damaged":
        (tmp_path / STATE_FILE).write_bytes(b"\x00garbage")
    else:  # killed between moving it to `.bkp` and writing the new one
        os.remove(tmp_path / STATE_FILE)
    seen = []
    spy = keras.callbacks.LambdaCallback(on_epoch_begin=lambda e, logs: seen.append(e))
    train(model, [BackupAndRestore(tmp_path), spy])
    assert seen == [2, 3]  # from the previous backup (after epoch 1)


def test_a_damaged_backup_without_a_previous_one_is_an_error(tmp_path):
    (tmp_path / STATE_FILE).write_bytes(b"PK\x03\x04 truncated")
    with pytest.raises(ValueError, match=r"could not read its backup .*Delete the file"):
        train(make_model(), [BackupAndRestore(tmp_path)])


def test_a_file_that_is_not_a_training_state_is_an_error(tmp_path):
    torch.save({"weights": torch.ones(2)}, tmp_path / STATE_FILE)
    with pytest.raises(ValueError, match="is not a lamina training state"):
        train(make_model(), [BackupAndRestore(tmp_path)])


def test_a_backup_of_another_version_is_an_error(tmp_path):
    torch.save({"format": "lamina.fit_state", "version": 99}, tmp_path / STATE_FILE)
    with pytest.raises(ValueError, match="training state of version 99"):
        train(make_model(), [BackupAndRestore(tmp_path)])


def test_a_backup_of_another_model_is_an_error(tmp_path):
    train(make_model(), [BackupAndRestore(tmp_path, delete_checkpoint=False)], epochs=1)
    keras.utils.set_random_seed(0)
    other = keras.Sequential([keras.Input((6,)), keras.layers.Dense(3, activation="softmax")])
    other.compile("adam", loss="sparse_categorical_crossentropy", metrics=["acc"])
    with pytest.raises(ValueError, match=r"The weights in .* do not match this model"):
        train(other, [BackupAndRestore(tmp_path)])
    wider = make_model()
    wider.layers[0].kernel.data = torch.zeros(16, 7)  # same count, another shape
    with pytest.raises(ValueError, match=r"`parameters.0` has shape \(16, 6\) there"):
        train(wider, [BackupAndRestore(tmp_path)])


def test_a_mid_epoch_backup_needs_the_same_metrics(tmp_path):
    with pytest.raises(KeyboardInterrupt):
        train(make_model(), [BackupAndRestore(tmp_path, save_freq=2), Interrupt(0, 3)])
    keras.utils.set_random_seed(1)
    model = make_model()
    model.compile(keras.optimizers.Adam(0.01), loss="sparse_categorical_crossentropy")
    with pytest.raises(ValueError, match=r"saved with the metrics \['loss', 'acc'\], but "
                                         r"the model has \['loss'\]"):
        train(model, [BackupAndRestore(tmp_path, save_freq=2)])


def test_a_mid_epoch_backup_of_several_processes_needs_as_many(tmp_path):
    with pytest.raises(KeyboardInterrupt):
        train(make_model(), [BackupAndRestore(tmp_path, save_freq=2), Interrupt(0, 3)])
    state = torch.load(tmp_path / STATE_FILE, weights_only=True)
    assert "processes" not in state  # one process: nothing per process to keep
    own = {"metrics": state["metrics"], "rng": state["rng"]}
    state["processes"] = [own, own]  # as two processes under torchrun would have saved it
    torch.save(state, tmp_path / STATE_FILE)
    with pytest.raises(ValueError, match=r"saved by 2 process\(es\) in the middle of a pass "
                                         r"over the data \(epoch 0, step 2\), and 1 "
                                         r"process\(es\) are resuming it"):
        train(make_model(), [BackupAndRestore(tmp_path, save_freq=2)])


def test_an_epoch_end_backup_of_several_processes_resumes_on_one(tmp_path):
    model, history = reference_run()
    with pytest.raises(KeyboardInterrupt):
        train(make_model(), [BackupAndRestore(tmp_path), Interrupt(2, 1)])
    state = torch.load(tmp_path / STATE_FILE, weights_only=True)
    own = {"metrics": state["metrics"], "rng": state["rng"]}
    state["processes"] = [own, {"metrics": [], "rng": None}]  # rank 1's is not read here
    torch.save(state, tmp_path / STATE_FILE)
    resumed = make_model()
    assert train(resumed, [BackupAndRestore(tmp_path)]).history == history.history
    assert_bit_equal(resumed, model)


def test_rejects_an_empty_backup_dir():
    with pytest.raises(ValueError, match=r"expects `backup_dir` to be a non-empty path"):
        BackupAndRestore("")


@pytest.mark.parametrize("save_freq", ["batch", 0, -1, False])
def test_rejects_bad_save_freq(tmp_path, save_freq):
    with pytest.raises(ValueError, match="`BackupAndRestore` expects `save_freq` to be "
                                         "'epoch' or a positive integer"):
        BackupAndRestore(tmp_path, save_freq=save_freq)


def test_outside_fit_is_an_error(tmp_path):
    backup = BackupAndRestore(tmp_path)
    backup.set_model(make_model())
    with pytest.raises(RuntimeError, match="backs up and restores a running `fit`"):
        backup.on_train_begin()


def test_leaves_other_files_in_the_directory(tmp_path):
    (tmp_path / "notes.txt").write_text("mine")
    train(make_model(), [BackupAndRestore(tmp_path)], epochs=1)
    assert os.listdir(tmp_path) == ["notes.txt"]


# The child process of the crash test: trains with a `ModelCheckpoint` (ckpt/model.keras,
# every epoch) and a `BackupAndRestore` (backup/, every epoch), prints each epoch's weights,
# and makes its `block_at`-th file write hang halfway (a slow disk), waiting to be killed.
CHILD = r'''
import base64, os, sys, time
import numpy as np, torch
torch.set_num_threads(1)
import lamina as keras

folder, block_at, marker = sys.argv[1], int(sys.argv[2]), sys.argv[3]
real_fdopen, opened = os.fdopen, [0]


class HangingFile:
    """Writes half of the first chunk it is given, then hangs."""

    def __init__(self, file):
        self._file = file

    def write(self, data):
        self._file.write(bytes(data)[:max(1, len(data) // 2)])
        self._file.flush()
        open(marker, "w").close()
        time.sleep(600)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return self._file.__exit__(*exc)

    def __getattr__(self, name):
        return getattr(self._file, name)


def fdopen(fd, *args, **kwargs):  # atomic_write opens its temporary file with os.fdopen
    file = real_fdopen(fd, *args, **kwargs)
    opened[0] += 1
    return HangingFile(file) if opened[0] == block_at else file


os.fdopen = fdopen


class PrintWeights(keras.callbacks.Callback):
    def on_epoch_end(self, epoch, logs=None):
        data = b"".join(w.detach().numpy().tobytes() for w in self.model.weights)
        print("EPOCH", epoch, base64.b64encode(data).decode(), flush=True)


keras.utils.set_random_seed(3)
model = keras.Sequential([keras.Input((6,)), keras.layers.Dense(16, activation="relu"),
                          keras.layers.Dense(3, activation="softmax")])
model.compile("adam", loss="sparse_categorical_crossentropy")
rng = np.random.default_rng(0)
x, y = rng.normal(size=(64, 6)).astype("float32"), rng.integers(0, 3, size=64)
model.fit(x, y, batch_size=16, epochs=5, verbose=0, callbacks=[
    PrintWeights(),
    keras.callbacks.ModelCheckpoint(os.path.join(folder, "ckpt", "model.keras")),
    keras.callbacks.BackupAndRestore(os.path.join(folder, "backup"))])
'''


def weights_bytes(model):
    return b"".join(w.detach().numpy().tobytes() for w in model.weights)


@pytest.mark.slow
@pytest.mark.parametrize("hung", ["checkpoint", "backup"])
def test_a_kill_during_a_write_leaves_the_previous_files_loadable(tmp_path, hung):
    """Writes per epoch: the checkpoint (`on_epoch_end`), then the backup. Kill the process
    halfway through epoch 2's checkpoint (write 5) or epoch 2's backup (write 6)."""
    import base64
    import subprocess
    import sys
    import time

    script, marker = tmp_path / "child.py", tmp_path / "hung"
    script.write_text(CHILD)
    env = {**os.environ,
           "PYTHONPATH": os.path.dirname(os.path.dirname(keras.__file__))}
    block_at = {"checkpoint": 5, "backup": 6}[hung]
    child = subprocess.Popen([sys.executable, str(script), str(tmp_path), str(block_at),
                              str(marker)], stdout=subprocess.PIPE, env=env, text=True)
    try:
        deadline = time.monotonic() + 120
        while not marker.exists() and child.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        assert marker.exists(), "the child never reached the write to interrupt"
    finally:
        child.kill()  # SIGKILL: no clean-up of any kind
        out, _ = child.communicate()
    printed = {int(line.split()[1]): base64.b64decode(line.split()[2])
               for line in out.splitlines() if line.startswith("EPOCH")}
    assert sorted(printed) == [0, 1, 2]

    def listing(name):
        names = sorted(os.listdir(tmp_path / name))
        temporary = [n for n in names if n.startswith(".lamina-") and n.endswith(".tmp")]
        return [n for n in names if n not in temporary], temporary

    files, temporary = listing("ckpt")
    assert files == ["model.keras"] and len(temporary) == (hung == "checkpoint")
    checkpoint_epoch = 1 if hung == "checkpoint" else 2  # the last one written whole
    loaded = keras.saving.load_model(tmp_path / "ckpt" / "model.keras")
    assert weights_bytes(loaded) == printed[checkpoint_epoch]

    files, temporary = listing("backup")
    assert files == [STATE_FILE] and len(temporary) == (hung == "backup")
    state = torch.load(tmp_path / "backup" / STATE_FILE, weights_only=True)
    assert state["epoch"] == 2  # epochs 0 and 1 done: the backup of epoch 2 never landed
    backup_weights = b"".join(state["model"][f"parameters.{i}"].numpy().tobytes()
                              for i in range(len(loaded.weights)))
    assert backup_weights == printed[1]

    # And `fit` resumes from it: only epochs 2 to 4 run, the history has all five.
    keras.utils.set_random_seed(3)
    model = keras.Sequential([keras.Input((6,)), keras.layers.Dense(16, activation="relu"),
                              keras.layers.Dense(3, activation="softmax")])
    model.compile("adam", loss="sparse_categorical_crossentropy")
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(64, 6)).astype("float32"), rng.integers(0, 3, size=64)
    ran = []
    spy = keras.callbacks.LambdaCallback(on_epoch_begin=lambda e, logs: ran.append(e))
    history = model.fit(x, y, batch_size=16, epochs=5, verbose=0,
                        callbacks=[BackupAndRestore(tmp_path / "backup"), spy])
    assert ran == [2, 3, 4] and len(history.history["loss"]) == 5
    assert not (tmp_path / "backup").exists()
