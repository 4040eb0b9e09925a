"""CSVLogger: byte-for-byte the file Keras 3 writes (golden), and in `fit`."""

import json
from pathlib import Path

import numpy as np
import pytest

import lamina as keras
from lamina.callbacks import CSVLogger

GOLDEN = json.loads((Path(__file__).parent / "golden" / "callbacks_golden.json").read_text())
CSV_CASES = {name: case for name, case in GOLDEN["cases"].items()
             if case["class"] == "CSVLogger"}


@pytest.mark.parametrize("name", sorted(CSV_CASES))
def test_writes_the_same_file_as_keras(name, tmp_path):
    case = CSV_CASES[name]
    path = tmp_path / "log.csv"
    for run in case["runs"]:
        logger = CSVLogger(path, **case["kwargs"])
        logger.on_train_begin()
        for epoch, logs in enumerate(run):
            logger.on_epoch_end(epoch, dict(logs))
        logger.on_train_end()
    assert path.read_bytes().decode() == case["text"]


def test_logs_the_epochs_of_fit(tmp_path):
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse", metrics=["mae"])
    x, y = np.random.default_rng(0).normal(size=(8, 2)), np.ones((8, 1))
    path = tmp_path / "log.csv"
    history = model.fit(x, y, validation_data=(x, y), epochs=3, verbose=0,
                        callbacks=[CSVLogger(str(path), separator="\t")])
    lines = path.read_text().splitlines()
    assert lines[0] == "epoch\tloss\tmae\tval_loss\tval_mae"
    rows = np.array([[float(v) for v in line.split("\t")] for line in lines[1:]])
    np.testing.assert_array_equal(rows[:, 0], [0, 1, 2])
    for column, key in enumerate(["loss", "mae", "val_loss", "val_mae"], start=1):
        assert rows[:, column].tolist() == history.history[key]  # repr round-trips floats


def test_numpy_scalars_and_arrays(tmp_path):
    path = tmp_path / "log.csv"
    logger = CSVLogger(path)
    logger.on_train_begin()
    logger.on_epoch_end(0, {"loss": np.float32(0.5), "per_class": np.array([1.0, 2.0]),
                            "val_loss": np.array(0.25)})
    logger.on_train_end()
    assert path.read_text().splitlines() == ["epoch,loss,per_class,val_loss",
                                             '0,0.5,"""[1.0, 2.0]""",0.25']


def test_rejects_bad_arguments():
    with pytest.raises(TypeError, match="`CSVLogger` expects `filename` to be a path"):
        CSVLogger(3)
    with pytest.raises(ValueError, match="`CSVLogger` expects `separator` to be a "
                                         "one-character string. Received: separator=';;'"):
        CSVLogger("log.csv", separator=";;")
