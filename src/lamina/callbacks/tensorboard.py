"""`TensorBoard`: writes the logs of `fit` and `evaluate` as TensorBoard event files.

The files are written by `torch.utils.tensorboard.SummaryWriter` (no TensorFlow), one run per
directory as Keras lays them out: `log_dir/train` and `log_dir/validation`. The weight images,
embeddings, graph and profiler helpers live in `lamina.callbacks.tensorboard_assets`.
"""

import importlib.util
import numbers
import os
import time
from collections.abc import Mapping

from lamina.callbacks import tensorboard_assets as assets
from lamina.callbacks.callback import Callback
from lamina.registry import register
from lamina.validation import received

_clock = time.perf_counter  # replaced by tests

_PROFILE_BATCH_RULE = ("a non-negative integer (0 disables profiling), a pair `(start, stop)` of "
                       "positive integers with start <= stop, or the string 'start,stop'")


@register("keras.callbacks")
class TensorBoard(Callback):
    """Write the training logs for TensorBoard (`tensorboard --logdir=log_dir`).

    Written to `log_dir/train` (and to `log_dir/validation` for validation data):

    - `epoch_<name>` scalars at the end of every epoch, with the epoch as the step, for each
      entry of the logs (`epoch_loss`, `epoch_accuracy`, ...), the optimizer's
      `epoch_learning_rate` and, with `write_steps_per_second`, `epoch_steps_per_second`.
      Validation values go to the validation run under the same names (`val_loss` is written
      as `epoch_loss` in `log_dir/validation`).
    - `batch_<name>` scalars every `update_freq` batches when `update_freq` is an integer, with
      the 1-based batch count of this `fit` as the step. Only those batches read the logs back
      from the device; the others cost a counter increment.
    - `evaluation_<name>_vs_iterations` in the validation run after each evaluation (a
      standalone `evaluate` or the validation of an epoch), with `optimizer.iterations` as step.
    - `<weight path>/histogram` (and `<weight path>/image` with `write_images`) every
      `histogram_freq` epochs.
    - The model's op graph, traced once at the start of `fit` on zeros shaped like its inputs
      (`SummaryWriter.add_graph`); if tracing fails a warning says why and training goes on.
    - A `torch.profiler` trace of the profiled batches, as Chrome trace-event JSON, in
      `log_dir/train/plugins/profile/<YYYY_MM_DD_HH_MM_SS>/<host>_<pid>.<ns>.pt.trace.json`.
      TensorBoard's PyTorch profiler plugin (`torch-tb-profiler`), Perfetto and
      `chrome://tracing` read it; each profiled batch is annotated `ProfilerStep#<batch>`.
    - Embedding matrices every `embeddings_freq` epochs, as TSV files
      `log_dir/train/embeddings/<layer name>.tsv` (the latest epoch's values) listed in
      `log_dir/projector_config.pbtxt` for TensorBoard's projector.

    Writers are flushed at every epoch end and closed at the end of `fit` (or of a standalone
    `evaluate`). Needs the `tensorboard` package: `pip install lamina[tensorboard]`.

    Args:
        log_dir: Directory to write the runs to. Defaults to `"logs"`.
        histogram_freq: Write weight histograms every this many epochs (0: never). Defaults
            to `0`.
        write_graph: Write the model's graph. Defaults to `True`.
        write_images: Also write each weight as an image when writing histograms. Defaults
            to `False`.
        write_steps_per_second: Also write the training steps per second, per epoch and per
            logged batch. Defaults to `False`.
        update_freq: `"epoch"` (epoch scalars only), `"batch"` (same as 1) or a positive
            integer `n`: also write `batch_*` scalars every `n` batches. Defaults to `"epoch"`.
        profile_batch: Batches to profile, counted from 1 within a `fit`: `n` profiles batch
            `n` only, `(start, stop)` batches `start` to `stop`; 0 disables profiling.
            Defaults to `0`.
        embeddings_freq: Write the `Embedding` layers' matrices every this many epochs (0:
            never). Defaults to `0`.
        embeddings_metadata: A metadata file name (relative to `log_dir`) for all embedding
            layers, or a dict from `Embedding` layer name to file name. Defaults to `None`.

    Raises:
        ImportError: If the `tensorboard` package is not installed.
        ValueError: If a frequency or `profile_batch` is out of range, or (when the callback
            is given a model) `embeddings_metadata` names a layer that is not one of the
            model's `Embedding` layers.
        TypeError: If `log_dir` is not a path or `embeddings_metadata` is neither a file name
            nor a dict.

    Example:
    >>> import tempfile
    >>> import numpy as np
    >>> import lamina as keras
    >>> model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])
    >>> model.compile(optimizer="sgd", loss="mse")
    >>> log_dir = tempfile.mkdtemp()
    >>> history = model.fit(np.zeros((8, 3)), np.zeros((8, 1)), epochs=2, verbose=0,
    ...                     callbacks=[keras.callbacks.TensorBoard(log_dir, write_graph=False)])
    >>> sorted(os.listdir(log_dir))
    ['train']
    """

    _primary_process_only = True  # several processes: rank 0 alone runs it

    def __init__(self, log_dir="logs", histogram_freq=0, write_graph=True, write_images=False,
                 write_steps_per_second=False, update_freq="epoch", profile_batch=0,
                 embeddings_freq=0, embeddings_metadata=None):
        super().__init__()
        if importlib.util.find_spec("tensorboard") is None:
            raise ImportError("The `TensorBoard` callback writes event files with "
                              "`torch.utils.tensorboard`, which needs the `tensorboard` "
                              "package. Install it with: pip install 'lamina[tensorboard]'")
        if not isinstance(log_dir, (str, os.PathLike)):
            raise TypeError("`TensorBoard` expects `log_dir` to be a path (a string or "
                            "`os.PathLike`). " + received("log_dir", log_dir))
        self.log_dir = os.fspath(log_dir)
        self.histogram_freq = _non_negative_int(histogram_freq, "histogram_freq")
        self.write_graph = write_graph
        self.write_images = write_images
        self.write_steps_per_second = write_steps_per_second
        self.update_freq = _update_freq(update_freq)
        self.profile_batch = profile_batch
        self._start_batch, self._stop_batch = _profile_range(profile_batch)
        self.embeddings_freq = _non_negative_int(embeddings_freq, "embeddings_freq")
        if embeddings_metadata is not None and not isinstance(embeddings_metadata, (str, dict)):
            raise TypeError("`TensorBoard` expects `embeddings_metadata` to be a file name or a "
                            "dict from `Embedding` layer name to file name. "
                            + received("embeddings_metadata", embeddings_metadata))
        self.embeddings_metadata = embeddings_metadata
        self._writers = {}
        self._profiler = None
        self._in_fit = False
        self._global_train_batch = 0
        self._evaluated_this_epoch = False

    # -- writers --------------------------------------------------------------------------------
    def _writer(self, run):
        """The `SummaryWriter` of `run` (`"train"` or `"validation"`), created on first use so
        that a run with nothing to show leaves no event file."""
        if run not in self._writers:
            from torch.utils.tensorboard import SummaryWriter

            self._writers[run] = SummaryWriter(os.path.join(self.log_dir, run))
        return self._writers[run]

    def _close_writers(self):
        for writer in self._writers.values():
            writer.close()
        self._writers = {}

    # -- fit --------------------------------------------------------------------------------------
    def set_model(self, model):
        super().set_model(model)
        if self.embeddings_freq and isinstance(self.embeddings_metadata, dict):
            names = {layer.name for layer in assets.embedding_layers(model)}
            unknown = sorted(set(self.embeddings_metadata) - names)
            if unknown:
                raise ValueError("`TensorBoard` received `embeddings_metadata` for layers that "
                                 f"are not `Embedding` layers of the model: {unknown}. The "
                                 f"model's `Embedding` layers are: {sorted(names)}.")

    def on_train_begin(self, logs=None):
        self._in_fit = True
        self._global_train_batch = 0
        if self.write_graph:
            assets.write_graph(self._writer("train"), self.model)

    def on_train_end(self, logs=None):
        if self._profiler is not None:
            self._profiler.stop()
            self._profiler = None
        self._in_fit = False
        self._close_writers()

    def on_train_batch_begin(self, batch, logs=None):
        self._global_train_batch += 1
        if self.write_steps_per_second:
            self._batch_start_time = _clock()
        if self._start_batch and self._global_train_batch == self._start_batch:
            self._profiler = assets.BatchProfiler(os.path.join(self.log_dir, "train"),
                                                  self.model)
        if self._profiler is not None:
            self._profiler.begin_step(self._global_train_batch)

    def on_train_batch_end(self, batch, logs=None):
        step = self._global_train_batch
        if self._profiler is not None:
            self._profiler.end_step()
            if step >= self._stop_batch:
                self._profiler.stop()
                self._profiler = None
        if self.update_freq == "epoch" or step % self.update_freq:
            return  # nothing written: the logs stay unread on the device
        writer = self._writer("train")
        if isinstance(logs, Mapping):
            for name, value in logs.items():
                # Host sync: reading a value waits for this batch (only on logged batches).
                writer.add_scalar(f"batch_{name}", float(value), step)
        if self.write_steps_per_second:
            elapsed = _clock() - self._batch_start_time
            writer.add_scalar("batch_steps_per_second", 1.0 / elapsed, step)

    def on_epoch_begin(self, epoch, logs=None):
        self._evaluated_this_epoch = False
        if self.write_steps_per_second:
            self._epoch_start_time = _clock()
            # A device-side copy, read back at the epoch's end: no sync here.
            self._epoch_start_iterations = self.model.optimizer.iterations.clone()

    def on_epoch_end(self, epoch, logs=None):
        logs = dict(logs or {})
        train_logs = {k: v for k, v in logs.items() if not k.startswith("val_")}
        val_logs = {k[len("val_"):]: v for k, v in logs.items() if k.startswith("val_")}
        optimizer = self.model.optimizer
        if optimizer is not None:
            optimizer = getattr(optimizer, "inner_optimizer", optimizer)  # LossScaleOptimizer
            train_logs["learning_rate"] = float(optimizer.learning_rate)
        if self.write_steps_per_second:
            # Host sync (once an epoch): the number of updates this epoch.
            steps = float(self.model.optimizer.iterations - self._epoch_start_iterations)
            train_logs["steps_per_second"] = steps / (_clock() - self._epoch_start_time)
        writer = self._writer("train")
        for name, value in train_logs.items():
            writer.add_scalar(f"epoch_{name}", value, epoch)
        if val_logs:
            for name, value in val_logs.items():
                self._writer("validation").add_scalar(f"epoch_{name}", value, epoch)
            if not self._evaluated_this_epoch:  # validation ran without the test hooks
                self._write_evaluation(val_logs)
        if self.histogram_freq and epoch % self.histogram_freq == 0:
            assets.write_weights(writer, self.model, epoch, self.write_images)
        if self.embeddings_freq and epoch % self.embeddings_freq == 0:
            assets.write_embeddings(self.log_dir, self.model, self.embeddings_metadata)
        for run_writer in self._writers.values():
            run_writer.flush()

    # -- evaluate ---------------------------------------------------------------------------------
    def on_test_end(self, logs=None):
        self._evaluated_this_epoch = True
        self._write_evaluation(dict(logs or {}))
        if not self._in_fit:  # a standalone `evaluate`: nothing else will close the writers
            self._close_writers()

    def _write_evaluation(self, logs):
        optimizer = self.model.optimizer
        if optimizer is None or not logs:
            return
        step = int(optimizer.iterations)  # host sync, once per evaluation
        writer = self._writer("validation")
        for name, value in logs.items():
            writer.add_scalar(f"evaluation_{name}_vs_iterations", value, step)


def _non_negative_int(value, arg):
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 0:
        raise ValueError(f"`TensorBoard` expects `{arg}` to be a non-negative integer. "
                         + received(arg, value))
    return int(value)


def _update_freq(value):
    if value == "batch":
        return 1
    if value == "epoch":
        return value
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value <= 0:
        raise ValueError("`TensorBoard` expects `update_freq` to be 'epoch', 'batch' or a "
                         "positive integer. " + received("update_freq", value))
    return int(value)


def _profile_range(value):
    """`(start, stop)` batches to profile, 1-based; `(0, 0)` when profiling is off."""
    pair = value
    if isinstance(value, str):
        try:
            pair = tuple(int(part) for part in value.split(","))
        except ValueError:
            pair = None
        if pair is not None and len(pair) == 1:
            pair = pair[0]
    if isinstance(pair, numbers.Integral) and not isinstance(pair, bool) and pair >= 0:
        return int(pair), int(pair)
    if (isinstance(pair, (tuple, list)) and len(pair) == 2
            and all(isinstance(p, numbers.Integral) and not isinstance(p, bool) for p in pair)
            and 1 <= pair[0] <= pair[1]):
        return int(pair[0]), int(pair[1])
    raise ValueError(f"`TensorBoard` expects `profile_batch` to be {_PROFILE_BATCH_RULE}. "
                     + received("profile_batch", value))
