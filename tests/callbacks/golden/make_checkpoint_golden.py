"""Golden behaviour of Keras 3's `ModelCheckpoint` (JAX backend), driven by scripted logs.

Run: KERAS_BACKEND=jax /tmp/kenv/bin/python tests/callbacks/golden/make_checkpoint_golden.py
Writes checkpoint_golden.json beside this script.

Each case drives one real Keras `ModelCheckpoint` by hand, as `fit` would: `on_epoch_begin`,
`on_train_batch_end` with each scripted batch's logs, `on_epoch_end` with the epoch's logs.
Its model is a stub that records each `save` / `save_weights` call (which method, which
path), so a case records exactly which files Keras writes and when, what it prints
(`verbose=1`), which warnings it gives, and the error of a filepath template that names a
missing key. A last section records the constructor errors.
"""

import contextlib
import io
import json
import warnings
from pathlib import Path

import keras


class StubModel:
    """Records saves instead of writing files."""

    def __init__(self):
        self.saves = []
        self.metrics = []
        self.stop_training = False

    def save(self, filepath, overwrite=True):
        self.saves.append(["save", filepath])

    def save_weights(self, filepath, overwrite=True):
        self.saves.append(["save_weights", filepath])


# (name, kwargs, epochs): each epoch is (list of batch logs, epoch logs)
CASES = [
    ("every_epoch_template", {"filepath": "ckpt-{epoch:02d}.keras"},
     [([{"loss": 1.0}], {"loss": 1.0}), ([{"loss": 0.5}], {"loss": 0.5}),
      ([{"loss": 0.25}], {"loss": 0.25})]),
    ("best_only_min", {"filepath": "best.keras", "save_best_only": True, "verbose": 1},
     [([], {"loss": 1.0, "val_loss": v}) for v in (1.0, 0.8, 0.9, 0.7, 0.7)]),
    ("best_only_max_threshold",
     {"filepath": "acc-{epoch}.weights.h5", "save_weights_only": True, "save_best_only": True,
      "monitor": "val_acc", "mode": "max", "initial_value_threshold": 0.5, "verbose": 1},
     [([], {"val_acc": v}) for v in (0.4, 0.6, 0.55, 0.7)]),
    ("metric_template_weights",
     {"filepath": "m-{epoch:03d}-{val_loss:.2f}.weights.h5", "save_weights_only": True,
      "verbose": 1},
     [([], {"loss": 0.9, "val_loss": 0.123}), ([], {"loss": 0.8, "val_loss": 0.456})]),
    ("int_save_freq",
     {"filepath": "b-{epoch}-{batch}.keras", "save_freq": 3, "verbose": 1},
     [([{"loss": 1.0 - 0.1 * b} for b in range(4)], {"loss": 0.7}) for _ in range(3)]),
    ("int_save_freq_best",
     {"filepath": "b.keras", "save_freq": 5, "save_best_only": True, "monitor": "loss",
      "mode": "min", "verbose": 1},
     [([{"loss": v} for v in losses], {"loss": losses[-1]})
      for losses in ([0.9, 0.8, 0.7, 0.6], [0.65, 0.5, 0.55, 0.58], [0.4, 0.45, 0.3, 0.2])]),
    ("missing_monitor_saves",
     {"filepath": "x-{epoch}.keras", "save_best_only": True, "monitor": "val_loss"},
     [([], {"loss": 1.0}), ([], {"loss": 0.5})]),
    ("missing_template_key", {"filepath": "{epoch}-{val_acc:.2f}.keras"},
     [([], {"loss": 1.0})]),
    ("batch_template_epoch_freq", {"filepath": "{epoch}-{batch}.keras"},
     [([], {"loss": 1.0})]),
]

BAD_ARGS = [
    ("weights_only_bad_ending", {"filepath": "model.keras", "save_weights_only": True}),
    ("model_bad_ending", {"filepath": "model.weights"}),
    ("save_freq_string", {"filepath": "model.keras", "save_freq": "batch"}),
]


def run_case(kwargs, epochs):
    model = StubModel()
    callback = keras.callbacks.ModelCheckpoint(**kwargs)
    callback.set_model(model)
    events = []
    error = None
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            for epoch, (batches, epoch_logs) in enumerate(epochs):
                callback.on_epoch_begin(epoch)
                for batch, logs in enumerate(batches):
                    out = io.StringIO()
                    with contextlib.redirect_stdout(out):
                        callback.on_train_batch_end(batch, dict(logs))
                    events.append({"event": f"batch {epoch}/{batch}",
                                   "saves": model.saves, "stdout": out.getvalue()})
                    model.saves = []
                out = io.StringIO()
                with contextlib.redirect_stdout(out):
                    callback.on_epoch_end(epoch, dict(epoch_logs))
                events.append({"event": f"epoch {epoch}", "saves": model.saves,
                               "stdout": out.getvalue()})
                model.saves = []
        except KeyError as e:
            error = {"type": "KeyError", "message": e.args[0]}
    return {"events": events, "error": error,
            "warnings": [str(w.message) for w in caught if "save best" in str(w.message)],
            "best": None if callback.best is None else float(callback.best)}


def main():
    cases = {}
    for name, kwargs, epochs in CASES:
        cases[name] = {"kwargs": kwargs, "epochs": [[b, e] for b, e in epochs],
                       **run_case(kwargs, epochs)}
    errors = {}
    for name, kwargs in BAD_ARGS:
        try:
            keras.callbacks.ModelCheckpoint(**kwargs)
        except ValueError as e:
            errors[name] = {"kwargs": kwargs, "message": str(e)}
    out = {"keras_version": keras.__version__, "cases": cases, "errors": errors}
    path = Path(__file__).parent / "checkpoint_golden.json"
    path.write_text(json.dumps(out, indent=1) + "\n")
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
