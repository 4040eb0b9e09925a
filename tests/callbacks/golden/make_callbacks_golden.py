"""Golden behaviour of Keras 3's monitoring callbacks and `CSVLogger` (JAX backend).

Run: KERAS_BACKEND=jax /tmp/kenv/bin/python tests/callbacks/golden/make_callbacks_golden.py
Writes callbacks_golden.json beside this script.

Each case drives one real Keras callback by hand, epoch by epoch, with a scripted sequence of
monitored values (as `fit` would after each epoch). Before each `on_epoch_end` the model's
weights are set to the epoch index, so the weights left after `on_train_end` say which
epoch `restore_best_weights` restored. Recorded: the epochs run, `stopped_epoch`,
`best_epoch`, the restored epoch, the logs each epoch ended with (ReduceLROnPlateau adds
`learning_rate`) and the learning rate after each epoch. The CSV cases record the file text.
"""

import json
import math
import os
import tempfile
from pathlib import Path

import keras
import numpy as np

NAN = float("nan")

MONITOR_CASES = [
    # (name, callback class, kwargs, monitor, values)
    ("es_patience2_restore", "EarlyStopping",
     {"patience": 2, "restore_best_weights": True},
     "val_loss", [1.0, 0.8, 0.9, 0.85, 0.7, 0.75, 0.72, 0.71]),
    ("es_patience0", "EarlyStopping", {}, "val_loss", [1.0, 0.9, 0.95, 0.5]),
    ("es_min_delta", "EarlyStopping", {"patience": 1, "min_delta": 0.1},
     "val_loss", [1.0, 0.95, 0.8, 0.75, 0.72]),
    ("es_baseline_never_beaten", "EarlyStopping",
     {"patience": 3, "baseline": 0.5, "restore_best_weights": True},
     "val_loss", [1.0, 0.8, 0.9, 0.7, 0.6, 0.55]),
    ("es_baseline_beaten", "EarlyStopping", {"patience": 1, "baseline": 0.9},
     "loss", [1.0, 0.95, 0.85, 0.86, 0.87, 0.84]),
    ("es_start_from_epoch", "EarlyStopping",
     {"patience": 1, "start_from_epoch": 2, "restore_best_weights": True},
     "val_loss", [0.1, 0.2, 0.9, 0.95, 0.96, 0.5]),
    ("es_max_mode", "EarlyStopping", {"patience": 2, "mode": "max", "min_delta": -0.01,
                                      "restore_best_weights": True},
     "val_acc", [0.5, 0.6, 0.595, 0.58, 0.57, 0.9]),
    ("es_nan", "EarlyStopping", {"patience": 1, "restore_best_weights": True},
     "val_loss", [1.0, NAN, 0.5, NAN, NAN]),
    ("rop_patience2", "ReduceLROnPlateau", {"patience": 2, "factor": 0.5},
     "val_loss", [1.0, 1.0, 1.0, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0]),
    ("rop_cooldown_min_lr", "ReduceLROnPlateau",
     {"patience": 1, "factor": 0.2, "cooldown": 2, "min_lr": 0.003},
     "loss", [1.0] * 10),
    ("rop_min_delta_max", "ReduceLROnPlateau",
     {"patience": 1, "mode": "max", "min_delta": 0.05, "factor": 0.5},
     "val_acc", [0.5, 0.54, 0.6, 0.62, 0.7, 0.71, 0.72]),
]

CSV_CASES = [
    # (name, kwargs, list of epoch logs per fit call)
    ("csv_plain", {}, [[{"loss": 0.5, "acc": 0.25}, {"loss": 0.125, "acc": 0.75}]]),
    ("csv_with_val", {"separator": ";"},
     [[{"loss": 0.5, "val_loss": 0.625}, {"loss": 0.25, "val_loss": 0.375}]]),
    ("csv_append", {"append": True}, [[{"loss": 1.5}], [{"loss": 0.75}, {"loss": 0.5}]]),
    ("csv_overwrite", {}, [[{"loss": 1.5}], [{"loss": 0.75}]]),
    ("csv_array_and_string", {}, [[{"loss": 0.5, "note": "x", "vec": [1, 2]}]]),
]


def model_with_lr(learning_rate=0.1):
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=learning_rate), loss="mse")
    return model


def run_monitor_case(cls_name, kwargs, monitor, values):
    model = model_with_lr()
    callback = getattr(keras.callbacks, cls_name)(monitor=monitor, **kwargs)
    callback.set_model(model)
    callback.set_params({"verbose": 0, "epochs": len(values), "steps": 1})
    model.stop_training = False
    callback.on_train_begin()
    epochs, logs_seen, lrs = [], [], []
    for epoch, value in enumerate(values):
        callback.on_epoch_begin(epoch)
        model.set_weights([np.full(w.shape, float(epoch), "float32")
                           for w in model.get_weights()])
        logs = {monitor: value}
        callback.on_epoch_end(epoch, logs)
        epochs.append(epoch)
        logs_seen.append({k: (None if isinstance(v, float) and math.isnan(v) else float(v))
                          for k, v in logs.items()})
        lrs.append(float(model.optimizer.learning_rate))
        if model.stop_training:
            break
    callback.on_train_end()
    weights_epoch = float(model.get_weights()[0].flat[0])
    result = {"epochs": epochs, "logs": logs_seen, "learning_rates": lrs,
              "weights_epoch": weights_epoch, "wait": int(callback.wait)}
    if cls_name == "EarlyStopping":
        result["stopped_epoch"] = int(callback.stopped_epoch)
        result["best_epoch"] = int(callback.best_epoch)
    return result


def run_csv_case(kwargs, runs):
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "log.csv")
        for run in runs:
            callback = keras.callbacks.CSVLogger(path, **kwargs)
            callback.on_train_begin()
            for epoch, logs in enumerate(run):
                callback.on_epoch_end(epoch, dict(logs))
            callback.on_train_end()
        with open(path, newline="") as f:
            return f.read()


def main():
    out = {"values": {}, "cases": {}}
    for name, cls_name, kwargs, monitor, values in MONITOR_CASES:
        out["cases"][name] = {"class": cls_name, "kwargs": kwargs, "monitor": monitor,
                              "values": [None if math.isnan(v) else v for v in values],
                              **run_monitor_case(cls_name, kwargs, monitor, values)}
    for name, kwargs, runs in CSV_CASES:
        out["cases"][name] = {"class": "CSVLogger", "kwargs": kwargs, "runs": runs,
                              "text": run_csv_case(kwargs, runs)}
    out.pop("values")
    path = Path(__file__).with_name("callbacks_golden.json")
    path.write_text(json.dumps(out, indent=1, sort_keys=True) + "\n")
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
