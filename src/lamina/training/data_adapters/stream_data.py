"""`StreamData`: batches that arrive one by one from Python (generators, `PyDataset`, torch
`DataLoader`/`Dataset`), prepared in a background thread while the model trains.

On an accelerator, a background thread pulls the next batches from the source, converts them
to tensors, checks that each has the structure of the first, folds in `class_weight`, and on
CUDA pins them and starts their copy to the device (`non_blocking`); the training loop only
takes ready batches from a short queue, so reading data overlaps with compute. On the CPU the
same work runs inline (see `_Inline`: the cores are busy with the step). The loop never
iterates over samples in Python.

Two kinds of source:
- restartable (`PyDataset`, `DataLoader`, `Dataset`): every `batches()` call is a new pass;
- one-shot (a generator or any iterator): all passes continue the one stream, which ends when
  the iterator does. Up to `_DEPTH + 1` batches are read ahead, so a generator used again
  after `fit` resumes a little further on.
"""

import itertools
import queue
import threading
import types

import torch

from lamina import config
from lamina.training.data_adapters.conversion import (
    class_sample_weights, class_weight_table, convert_batch, describe, num_samples,
    unpack_x_y_sample_weight)

_DEPTH = 2  # batches waiting in the queue, ready for the training step
_END = object()


class _Prefetcher:
    """Iterates `batches` in a background thread, keeping up to `_DEPTH` of them ready.

    An exception raised by the source is re-raised in the consuming thread, in order."""

    def __init__(self, batches):
        self._queue = queue.Queue(maxsize=_DEPTH)
        self._stopping = threading.Event()
        self._done = False
        self._batches = batches
        self._thread = threading.Thread(target=self._run, name="lamina-prefetch", daemon=True)
        self._thread.start()

    def _run(self):
        try:
            for batch in self._batches:
                if not self._put((batch, None)):
                    return
            self._put((_END, None))
        except Exception as error:  # handed to the consuming thread, raised there
            self._put((_END, error))

    def _put(self, item):
        while not self._stopping.is_set():
            try:
                self._queue.put(item, timeout=0.05)
                return True
            except queue.Full:
                continue
        return False

    def __iter__(self):
        return self

    def __next__(self):
        if self._done:
            raise StopIteration
        batch, error = self._queue.get()
        if batch is _END:
            self._done = True
            if error is not None:
                raise error
            raise StopIteration
        return batch

    def close(self):
        """Stop the thread (after the batch it is preparing) and release the source."""
        self._stopping.set()
        self._thread.join()
        if hasattr(self._batches, "close"):
            self._batches.close()  # our own pass generator: runs its clean-up


class _Inline:
    """The same interface as `_Prefetcher`, preparing each batch when it is asked for.

    Used when training on the CPU: there torch's threads already use every core for the
    step, and a producer thread beside them only takes cores away (measured on two cores,
    `mnist_mlp` from a `PyDataset`: 0.58x the throughput of arrays with a thread, 0.96x
    inline). Parallel reading is
    still there where it pays: a `PyDataset`'s `workers`, a `DataLoader`'s `num_workers`."""

    def __init__(self, batches):
        self._batches = batches

    def __iter__(self):
        return self

    def __next__(self):
        return next(self._batches)

    def close(self):
        self._batches.close()


class StreamData:
    """Base of the adapters whose batches come from Python one at a time.

    Subclasses set `kind` (a phrase for messages), `one_shot`, and `num_batches` (an int, or
    `None` when unknown or endless), and define `_raw_pass(shuffle)`, an iterator over the
    source's batches (for a one-shot source, called once), and `_peek()`, the first raw batch,
    read without losing it (for building the model and checking input shapes).

    Args:
        class_weight: Optional dict `{class index: weight}`, folded into each batch's weights.
        input_dtypes: `{input name: torch dtype}` of the model's inputs, or `None`.
        device: Where batches are delivered.
    """

    kind = "data source"
    order = None  # a stream's order is not replayed (see `batches`)
    sharding = None  # in a multi-process run, this process's share (see `sharding.py`)
    one_shot = False
    endless = False  # a restartable source whose passes never end (`num_batches` is None)
    num_batches = None

    def __init__(self, class_weight=None, input_dtypes=None, device=None):
        self.device = torch.device(device or config.device())
        self._table = None if class_weight is None else class_weight_table(class_weight)
        self._input_dtypes = input_dtypes
        self._signature = None
        self._first = None
        self._live = None  # the one-shot stream's prefetcher, alive across passes

    # -- what the trainer calls ----------------------------------------------------------------
    def first_batch(self):
        if self._first is None:
            self._first = self._convert(self._peek(), 0)
        return self._first

    def batches(self, shuffle=False, order=None, skip=0):
        """Yield device batches `(x, y, sample_weight)`: one pass over a restartable source;
        the continuation of the stream for a one-shot one (nothing once it has ended).

        `skip` (restartable sources): leave out the pass's first `skip` batches, read from
        the source but neither converted nor trained on (how `BackupAndRestore` resumes an
        epoch). `order` is accepted for the interface of `ArrayData.batches` and ignored: a
        stream's order is its source's, not replayed (`self.order` stays `None`)."""
        if self.one_shot:
            if self._live is None:
                self._live = self._prefetcher(self._converted(self._raw_pass(shuffle)))
            for batch in self._live:  # a plain loop: leaving early must not stop the stream
                yield batch
            return
        self._begin_pass()
        raw = self._raw_pass(shuffle)
        prefetcher = self._prefetcher(self._converted(_skipped(raw, skip) if skip else raw))
        try:
            yield from prefetcher
        finally:
            prefetcher.close()
            self._end_pass()

    def split(self, validation_split):
        raise ValueError(
            "`validation_split` is only supported when `x` and `y` are arrays or tensors: it "
            f"holds out the last samples, and {self.kind} has no last samples to hold out. "
            f"Received: validation_split={validation_split!r} with `x` {self.kind}. Pass the "
            "validation data as `validation_data=` instead."
        )

    def close(self):
        """Stop the background work (threads, worker pools) of this adapter."""
        if self._live is not None:
            self._live.close()

    def _prefetcher(self, batches):
        """A background thread for an accelerator; inline on the CPU (see `_Inline`)."""
        return _Inline(batches) if self.device.type == "cpu" else _Prefetcher(batches)

    # -- hooks for subclasses -------------------------------------------------------------------
    def _begin_pass(self):
        """Called in the training thread before a pass over a restartable source."""

    def _end_pass(self):
        """Called in the training thread when a pass ends (or is abandoned)."""

    # -- conversion (runs in the background thread) ---------------------------------------------
    def _converted(self, raw_batches):
        try:
            for index, raw in enumerate(raw_batches):
                yield self._convert(raw, index)
        finally:  # our pass generators clean up (a user's generator is behind a `chain`)
            if hasattr(raw_batches, "close"):
                raw_batches.close()

    def _convert(self, raw, index):
        x, y, sample_weight = unpack_x_y_sample_weight(raw)
        if x is None:
            raise ValueError(f"Batch {index} of {self.kind} has no inputs: `x` is None. Each "
                             "batch must be `x`, `(x,)`, `(x, y)` or `(x, y, sample_weight)`.")
        on_cuda = self.device.type == "cuda"
        # On CPU the batch gets its own memory (the source may reuse its buffers); on CUDA,
        # pinning below makes that copy.
        x, y, sample_weight = convert_batch(x, y, sample_weight, self._input_dtypes,
                                            copy=not on_cuda)
        signature = _signature(x, y, sample_weight)
        if self._signature is None:
            self._signature = signature
        elif signature != self._signature:
            raise ValueError(
                f"Every batch of {self.kind} must have the structure of the first one. The "
                f"first batch was {self._signature}; batch {index} is {signature}."
            )
        num_samples({"x": x, "y": y, "sample_weight": sample_weight},
                    where=f" (in batch {index} of {self.kind})")
        if self._table is not None:
            if y is None:
                raise ValueError("`class_weight` is only supported for models with a single "
                                 f"output and requires targets, but batch {index} of "
                                 f"{self.kind} has no `y`.")
            sample_weight = class_sample_weights(y, self._table, sample_weight)
        if self.device.type != "cpu":
            x, y, sample_weight = (_deliver(part, self.device, on_cuda)
                                   for part in (x, y, sample_weight))
        return x, y, sample_weight


def _skipped(raw_batches, count):
    """`raw_batches` without its first `count` items; closing it closes the source's pass."""
    try:
        for index, raw in enumerate(raw_batches):
            if index >= count:
                yield raw
    finally:
        if hasattr(raw_batches, "close"):
            raw_batches.close()


def _signature(x, y, sample_weight):
    parts = [f"x={describe(x)}"]
    if y is not None or sample_weight is not None:
        parts.append(f"y={describe(y)}")
    if sample_weight is not None:
        parts.append(f"sample_weight={describe(sample_weight)}")
    return "(" + ", ".join(parts) + ")"


def _deliver(structure, device, pin):
    """Start copying a batch part to the device (page-locked first, so the copy is async)."""
    if structure is None:
        return None
    if isinstance(structure, torch.Tensor):
        if pin and structure.device.type == "cpu" and not structure.is_pinned():
            structure = structure.pin_memory()
        return structure.to(device, non_blocking=True)
    if isinstance(structure, dict):
        return {key: _deliver(v, device, pin) for key, v in structure.items()}
    return type(structure)(_deliver(v, device, pin) for v in structure)


class GeneratorData(StreamData):
    """A Python generator or iterator yielding `x`, `(x, y)` or `(x, y, sample_weight)`.

    It can be iterated once: every epoch continues where the previous one stopped, so more
    than one epoch needs `steps_per_epoch` (and the generator enough batches, e.g. a
    `while True:` loop). `shuffle` does not apply (the generator decides the order).
    """

    one_shot = True

    def __init__(self, iterator, class_weight=None, input_dtypes=None, device=None):
        super().__init__(class_weight, input_dtypes, device)
        self.kind = ("the generator" if isinstance(iterator, types.GeneratorType)
                     else "the iterator")
        self._source = iterator
        try:
            self._head = next(iterator)  # read now: an empty source fails before training
        except StopIteration:
            raise ValueError(
                f"`x` is a Python {self.kind[4:]} that yielded no batch. It must yield at least "
                "one batch: `x`, `(x, y)` or `(x, y, sample_weight)`."
            ) from None

    def _peek(self):
        return self._head

    def _raw_pass(self, shuffle):
        stream = itertools.chain([self._head], self._source)
        return stream if self.sharding is None else self.sharding.select(stream)
