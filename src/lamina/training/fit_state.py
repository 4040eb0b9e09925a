"""`FitState`: the whole state of a running `fit`, captured and restored for an exact resume.

`fit` puts one on the model (`model._fit_state`) for the length of the call. `BackupAndRestore`
(in `callbacks/`, a floor below; it only calls these methods) asks it for a snapshot when a
backup is due and hands it the snapshot it loaded at `on_train_begin`.

A snapshot is taken where the state is consistent: after every callback has seen the batch
(or the epoch), never in the middle of the callback list, so the callbacks after
`BackupAndRestore` in the list (`History` among them) are saved as they will be. It is
restored at the same place in the loop: a snapshot taken after an epoch right after
`on_train_begin`; one taken after batch `k - 1` of epoch `e` right after `on_epoch_begin(e)`
(so a `LearningRateScheduler` that already ran for epoch `e` does not run twice on the rate).
A snapshot is a dict of plain values and CPU tensors, written with `torch.save` and read with
`torch.load(weights_only=True)` (no pickled objects):

- `epoch`, `step`: the next batch to train is batch `step` of epoch `epoch`;
- `data`: `{"order", "consumed"}` of the data pass in progress (the shuffled permutation and
  the batches done), or `None`; arrays replay it exactly (see `ArrayData.batches`);
- `model`: every parameter and buffer, by rank in `model.parameters()`/`model.buffers()`;
- `optimizer`: every tensor the optimizer holds (slots, counters, the rate) and its host
  copy of the rate;
- `metrics` (only inside an epoch): the state of each metric;
- `callbacks`: `get_state()` of each callback that has one (`EarlyStopping`,
  `ReduceLROnPlateau`, `ModelCheckpoint`, `BackupAndRestore`), and `History`'s records,
  keyed by class name and rank (`"EarlyStopping:0"`);
- `rng`: the generators lamina draws from: torch's (CPU and each CUDA device), NumPy's and
  Python's `random`;
- `processes`: with several processes (`torchrun`), each process's own `metrics` and `rng`,
  by rank (the top-level entries are rank 0's). Each process restores its own: a metric
  state holds only that process's batches until the epoch's end sums them. A snapshot taken
  inside an epoch resumes only on as many processes as took it (the data shares differ).
"""

import random

import numpy as np
import torch
import torch.distributed as dist

from lamina.callbacks.history import History
from lamina.distribution import runtime
from lamina.optimizers.optimizer import Optimizer

FORMAT = "lamina.fit_state"
VERSION = 1


class FitState:
    """The resumable state of one `fit` call (see the module docstring).

    Args:
        model: The model being trained.
        callbacks: The fit's `CallbackList`.
        batches: The fit's batch stream (`position()`, `resume(order, consumed)`).
        data: The training data adapter (its first batch builds the metrics on a resume).
    """

    def __init__(self, model, callbacks, batches, data):
        self.model, self.callbacks, self.batches, self.data = model, callbacks, batches, data
        self.pending = []  # writers waiting for the next snapshot
        self._resume = None

    # -- for callbacks ----------------------------------------------------------------------
    def request_snapshot(self, writer):
        """Call `writer(snapshot)` once every callback has seen the current batch or epoch."""
        self.pending.append(writer)

    def resume_from(self, snapshot, source):
        """Resume this `fit` from `snapshot` (read from `source`, named in errors).

        Raises:
            ValueError: If the snapshot is not one of lamina's or does not fit the model and
                its optimizer.
        """
        if not isinstance(snapshot, dict) or snapshot.get("format") != FORMAT:
            raise ValueError(f"{source} is not a lamina training state (no `format: "
                             f"{FORMAT}` entry). Delete it to start training afresh.")
        if snapshot.get("version") != VERSION:
            raise ValueError(f"{source} holds a training state of version "
                             f"{snapshot.get('version')!r}; this lamina reads version "
                             f"{VERSION}. Delete it to start training afresh.")
        _check_match(_model_tensors(self.model), snapshot["model"], "weights", source)
        _check_match(optimizer_tensors(self.model.optimizer, self.model),
                     snapshot["optimizer"]["tensors"], "optimizer state", source)
        self._resume = snapshot

    # -- for the trainer --------------------------------------------------------------------
    def first_epoch(self, initial_epoch):
        """The epoch to start at: a resumed one, or `initial_epoch`. A snapshot taken after
        an epoch is restored here (after `on_train_begin`)."""
        if self._resume is None:
            return initial_epoch
        if self._resume["step"] == 0:
            snapshot, self._resume = self._resume, None
            self._apply(snapshot)
            return snapshot["epoch"]
        return self._resume["epoch"]

    def first_step(self, epoch):
        """The first batch of `epoch` to train: 0, or where a snapshot taken inside this
        epoch stopped (restored here, after `on_epoch_begin`)."""
        if self._resume is None or self._resume["epoch"] != epoch:
            return 0
        snapshot, self._resume = self._resume, None
        self._apply(snapshot)
        return snapshot["step"]

    def flush(self, epoch, step):
        """Snapshot the state (the next batch being batch `step` of `epoch`) for the writers
        that asked. Copies everything to the host: a host-device sync, once per backup."""
        snapshot = self.capture(epoch, step)
        writers, self.pending = self.pending, []
        for writer in writers:
            writer(snapshot)

    # -- capture and restore ----------------------------------------------------------------
    def capture(self, epoch, step):
        """The snapshot dict (see the module docstring)."""
        model = self.model
        if torch.cuda.is_available() and torch.cuda.is_initialized():
            torch.cuda.synchronize()  # host sync: pinned copies (best weights) must have landed
        position = self.batches.position()
        data = None
        if position is not None:
            order, consumed = position
            data = {"order": _host(order) if isinstance(order, torch.Tensor) else order,
                    "consumed": int(consumed)}
        own = {
            # Between epochs the metrics start afresh; inside one they carry its batches.
            "metrics": [[m.name, {n: _host(b) for n, b in m.named_buffers()}]
                        for m in model.metrics] if step > 0 else [],
            "rng": rng_state(),
        }
        snapshot = {
            "format": FORMAT, "version": VERSION, "epoch": int(epoch), "step": int(step),
            "data": data,
            "model": {name: _host(t) for name, t in _model_tensors(model).items()},
            "optimizer": {
                "tensors": {k: _host(t) for k, t in
                            optimizer_tensors(model.optimizer, model).items()},
                "host": _optimizer_host_values(model.optimizer)},
            "callbacks": {key: _callback_state(c)
                          for key, c in _keyed(self.callbacks.callbacks)},
            **own,
        }
        if runtime.world_size() > 1:  # every process flushes at the same step
            processes = [None] * runtime.world_size()
            dist.all_gather_object(processes, own, group=runtime.control_group())
            snapshot["processes"] = processes
        return snapshot

    def _apply(self, snapshot):
        model = self.model
        step = snapshot["step"]
        replays = snapshot["data"] is not None and (step > 0 or self.batches.steps is not None)
        own = self._own_part(snapshot, replays)
        if step > 0 and own["metrics"]:
            self._build_metrics()
        metrics = model.metrics
        saved_names = [name for name, _ in own["metrics"]]
        if saved_names not in ([], [m.name for m in metrics]):
            raise ValueError(
                f"The training state to resume was saved with the metrics {saved_names}, but "
                f"the model has {[m.name for m in metrics]}. Compile the model as it was "
                "compiled for the interrupted run, or delete the backup to start afresh.")
        with torch.no_grad():
            _copy_into(_model_tensors(model), snapshot["model"])
            _copy_into(optimizer_tensors(model.optimizer, model),
                       snapshot["optimizer"]["tensors"])
            _set_optimizer_host_values(model.optimizer, snapshot["optimizer"]["host"])
            for metric, (_, buffers) in zip(metrics, own["metrics"]):
                _copy_into(dict(metric.named_buffers()), buffers)
        states = snapshot["callbacks"]
        for key, callback in _keyed(self.callbacks.callbacks):
            if key in states:
                _set_callback_state(callback, states[key])
        # Without `steps_per_epoch` every epoch is a new pass: only an epoch left midway
        # replays its pass.
        if replays:
            self.batches.resume(snapshot["data"]["order"], snapshot["data"]["consumed"])
        set_rng_state(own["rng"])  # last: nothing above may draw from the generators

    def _own_part(self, snapshot, replays):
        """This process's `metrics` and `rng` in `snapshot` (see the module docstring).

        Raises:
            ValueError: If the snapshot replays a data pass that a different number of
                processes shared.
        """
        processes = snapshot.get("processes") or [snapshot]
        count = runtime.world_size()
        if len(processes) == count:
            return processes[runtime.rank()]
        if replays:
            raise ValueError(
                f"The training state to resume was saved by {len(processes)} process(es) in "
                f"the middle of a pass over the data (epoch {snapshot['epoch']}, step "
                f"{snapshot['step']}), and {count} process(es) are resuming it: each process "
                "would read a different share of the data than the interrupted run. Resume "
                "with the same number of processes, or back up at epoch ends "
                "(`save_freq=\"epoch\"`, without `steps_per_epoch`) to change it.")
        return snapshot  # between epochs: nothing per process but the generators

    def _build_metrics(self):
        """Build the compiled metrics (they are built from the first batch's shapes) so their
        state can be restored before any batch of this `fit` ran."""
        model = self.model
        compiled = getattr(model, "_compile_metrics", None)
        if compiled is None or compiled.built or not compiled._specs:
            return
        x, y, sample_weight = self.data.first_batch()
        with torch.no_grad():
            y_pred = model(x, training=False)  # no dropout: draws nothing from the generators
            model.compute_metrics(x, y, y_pred, sample_weight)  # overwritten just after


def _host(tensor):
    """A plain CPU copy (no subclass, no pinning), as `torch.load(weights_only=True)` reads."""
    return tensor.detach().as_subclass(torch.Tensor).to("cpu", copy=True)


def _model_tensors(model):
    """`{key: tensor}` of every parameter and buffer of the model, keyed by rank (layer
    names hold a per-process counter: `dense_3` in one run is `dense_7` in the next)."""
    return {**{f"parameters.{i}": t for i, t in enumerate(model.parameters())},
            **{f"buffers.{i}": t for i, t in enumerate(model.buffers())}}


def optimizer_tensors(optimizer, model):
    """`{path: tensor}` of every tensor `optimizer` holds (its variables, hidden slots,
    counters and rate; for a wrapper, its inner optimizer's too), found by walking its
    attributes, the model's own weights left out.

    Walking the attributes, rather than `variables`, also finds the state that torch's
    kernels keep beside Keras' variables (Adam's `torch_step`), whatever the optimizer.
    """
    found, seen = {}, {id(t) for t in model.parameters()}
    _walk(vars(optimizer), "", found, seen)
    return found


def _walk(value, path, found, seen):
    if isinstance(value, torch.Tensor):
        if id(value) not in seen:
            seen.add(id(value))
            found[path] = value
    elif isinstance(value, Optimizer):
        _walk(vars(value), path, found, seen)
    elif isinstance(value, dict):
        for key in sorted(k for k in value if isinstance(k, str)):
            _walk(value[key], f"{path}.{key}" if path else key, found, seen)
    elif isinstance(value, (list, tuple)):
        for index, item in enumerate(value):
            _walk(item, f"{path}.{index}", found, seen)


def _optimizers(optimizer):
    """The optimizer and the optimizers inside it (`inner_optimizer`)."""
    found = [optimizer]
    for value in vars(optimizer).values():
        if isinstance(value, Optimizer):
            found.extend(_optimizers(value))
    return found


def _optimizer_host_values(optimizer):
    """The rate as the host keeps it (a Python float, used unrounded by some rules)."""
    return [getattr(o, "_learning_rate_value", None) for o in _optimizers(optimizer)]


def _set_optimizer_host_values(optimizer, values):
    for o, value in zip(_optimizers(optimizer), values):
        if value is not None and o._schedule is None:
            o._learning_rate_value = value


def _check_match(live, saved, what, source):
    if set(live) != set(saved):
        missing, extra = sorted(set(live) - set(saved)), sorted(set(saved) - set(live))
        raise ValueError(
            f"The {what} in {source} do not match this model: missing {missing[:5]}, "
            f"unexpected {extra[:5]}. Resume with the model and `compile` arguments of the "
            "interrupted run, or delete the backup to start afresh.")
    for name, tensor in live.items():
        if tuple(tensor.shape) != tuple(saved[name].shape):
            raise ValueError(
                f"The {what} in {source} do not match this model: `{name}` has shape "
                f"{tuple(saved[name].shape)} there and {tuple(tensor.shape)} here. Resume "
                "with the model and `compile` arguments of the interrupted run, or delete "
                "the backup to start afresh.")


def _copy_into(live, saved):
    for name, tensor in live.items():
        tensor.copy_(saved[name])


def _keyed(callbacks):
    """`(key, callback)` for the callbacks with state: `"<class name>:<rank of the class>"`,
    so a callback added or removed between the runs does not shift the others."""
    counts = {}
    for callback in callbacks:
        if isinstance(callback, History) or callable(getattr(callback, "get_state", None)):
            name = type(callback).__name__
            counts[name] = counts.get(name, -1) + 1
            yield f"{name}:{counts[name]}", callback


def _callback_state(callback):
    if isinstance(callback, History):
        return {"history": {key: list(values) for key, values in callback.history.items()},
                "epoch": list(callback.epoch)}
    return callback.get_state()


def _set_callback_state(callback, state):
    if isinstance(callback, History):
        callback.history = {key: list(values) for key, values in state["history"].items()}
        callback.epoch = list(state["epoch"])
    else:
        callback.set_state(state)


def rng_state():
    """The states of torch's generators (CPU, each CUDA device), NumPy's and Python's."""
    kind, keys, position, has_gauss, cached_gaussian = np.random.get_state()
    version, internal, gauss_next = random.getstate()
    state = {
        "torch": torch.get_rng_state(),
        "numpy": {"kind": kind, "keys": torch.from_numpy(keys.astype(np.int64)),
                  "pos": int(position), "has_gauss": int(has_gauss),
                  "cached_gaussian": float(cached_gaussian)},
        "python": {"version": version, "internal": list(internal), "gauss_next": gauss_next},
    }
    if torch.cuda.is_available() and torch.cuda.is_initialized():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def set_rng_state(state):
    """Restore what `rng_state` returned."""
    torch.set_rng_state(state["torch"])
    saved = state["numpy"]
    np.random.set_state((saved["kind"], saved["keys"].numpy().astype(np.uint32), saved["pos"],
                         saved["has_gauss"], saved["cached_gaussian"]))
    saved = state["python"]
    random.setstate((saved["version"], tuple(saved["internal"]), saved["gauss_next"]))
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"][:torch.cuda.device_count()])
