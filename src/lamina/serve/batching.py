"""Dynamic batching: requests from many connections run through the model together.

Each request is one or more samples (numpy arrays, batch first, one per model input). A single
worker thread takes the oldest request, waits up to `batch_window_ms` for more, while the
total stays within `max_batch_size` samples, then runs requests with the same per-sample
shapes and dtypes as one concatenated batch and hands each request its own rows back.

Why one thread: the model runs one batch at a time (torch already spreads one batch over the
cores), and a server answering many small requests is fastest when they share a forward pass.
Why group by per-sample shape: inputs with free dimensions (e.g. sequences of any length) may
come in different shapes, which must never be concatenated.
"""

import collections
import math
import threading
import time
from concurrent.futures import Future

import numpy as np


class BatcherClosedError(RuntimeError):
    """The batcher was closed before it could run a request."""


class _Request:
    __slots__ = ("arrays", "future", "key", "size")

    def __init__(self, arrays):
        self.arrays = arrays
        self.size = len(arrays[0])
        self.key = tuple((a.shape[1:], a.dtype.str) for a in arrays)
        self.future = Future()


class DynamicBatcher:
    """Queues requests from any thread and runs them in batches on one worker thread.

    Args:
        predict_fn: Called on the worker thread with a list of numpy arrays (one per model
            input, batch first); returns a list of numpy arrays (one per output, batch first).
        max_batch_size: Most samples run in one call (a larger request runs alone).
            Defaults to 32.
        batch_window_ms: How long the oldest request waits for others to join it, in
            milliseconds. Defaults to 2.
        enabled: `False` runs every request on its own, in arrival order. Defaults to `True`.

    Attributes:
        model_calls: How many times `predict_fn` has been called.
        requests_done: How many requests have been answered (with a result or an error).

    Example:
    >>> import numpy as np
    >>> batcher = DynamicBatcher(lambda arrays: [arrays[0] * 2])
    >>> batcher.submit([np.array([[1.0], [2.0]])]).result()[0].tolist()
    [[2.0], [4.0]]
    >>> batcher.close()
    """

    def __init__(self, predict_fn, max_batch_size=32, batch_window_ms=2.0, enabled=True):
        if isinstance(max_batch_size, bool) or not isinstance(max_batch_size, int) or (
                max_batch_size < 1):
            raise ValueError("`DynamicBatcher` expects `max_batch_size` to be a positive "
                             f"integer. Received: max_batch_size={max_batch_size!r} (of type "
                             f"{type(max_batch_size).__name__}).")
        if isinstance(batch_window_ms, bool) or not isinstance(batch_window_ms, (int, float)) or (
                not 0 <= batch_window_ms <= 1000):
            raise ValueError("`DynamicBatcher` expects `batch_window_ms` to be a number from 0 "
                             f"to 1000. Received: batch_window_ms={batch_window_ms!r} (of type "
                             f"{type(batch_window_ms).__name__}).")
        self.predict_fn = predict_fn
        self.max_batch_size = max_batch_size if enabled else 1
        self.batch_window_ms = float(batch_window_ms) if enabled else 0.0
        self.enabled = enabled
        self.model_calls = 0
        self.requests_done = 0
        self._pending = collections.deque()
        self._pending_samples = 0
        # The worker is woken only when this many samples are queued: 1 when it is idle; while
        # it gathers a batch, as many as fill it (else it sleeps to the window's end). Waking a
        # thread per request costs far more than the request on a busy machine.
        self._wake_at = math.inf
        self._condition = threading.Condition()
        self._closed = False
        self._thread = threading.Thread(target=self._work, name="lamina-serve-batcher",
                                        daemon=True)
        self._thread.start()

    def submit(self, arrays):
        """Queue one request (a list of numpy arrays, one per model input, batch first, all
        with the same number of samples); returns a `concurrent.futures.Future` of the list of
        output arrays (this request's rows only)."""
        request = _Request(arrays)
        with self._condition:
            if self._closed:
                raise BatcherClosedError("The prediction service is shutting down.")
            self._pending.append(request)
            self._pending_samples += request.size
            if self._pending_samples >= self._wake_at:
                self._condition.notify()
        return request.future

    def is_alive(self):
        return self._thread.is_alive()

    def close(self, timeout=5.0):
        """Stop taking requests, finish the queued ones and end the worker thread."""
        with self._condition:
            self._closed = True
            self._condition.notify_all()
        self._thread.join(timeout)

    # -- worker thread --------------------------------------------------------------------------
    def _work(self):
        while True:
            batch = self._next_batch()
            if batch is None:
                return
            if not batch:  # all cancelled
                continue
            groups = {}
            for request in batch:  # same per-sample shapes and dtypes only
                groups.setdefault(request.key, []).append(request)
            for group in groups.values():
                self._run(group)

    def _next_batch(self):
        """The oldest request and those that join it within the window (or `None` once the
        batcher is closed and drained)."""
        with self._condition:
            while not self._pending and not self._closed:
                self._wake_at = 1
                self._condition.wait()
            if not self._pending:
                return None
            batch, total = [], 0
            deadline = time.monotonic() + self.batch_window_ms / 1000
            while True:
                if self._pending:
                    size = self._pending[0].size
                    if batch and total + size > self.max_batch_size:
                        break
                    request = self._pending.popleft()
                    self._pending_samples -= size
                    # A request whose client went away was cancelled: drop it. Once running,
                    # a future can no longer be cancelled, so its result can always be set.
                    if not request.future.set_running_or_notify_cancel():
                        continue
                    batch.append(request)
                    total += size
                    if total >= self.max_batch_size:
                        break
                    continue
                remaining = deadline - time.monotonic()
                if remaining <= 0 or self._closed:
                    break
                self._wake_at = self.max_batch_size - total
                self._condition.wait(remaining)
            self._wake_at = math.inf
            return batch if batch or self._pending or not self._closed else None

    def _run(self, group):
        try:
            if len(group) == 1:
                outputs = [self._call(group[0].arrays, group[0].size)]
            else:
                joined = [np.concatenate(parts) for parts in zip(*(r.arrays for r in group))]
                ends = np.cumsum([r.size for r in group])  # each request's last row + 1
                rows = [np.split(out, ends[:-1]) for out in self._call(joined, int(ends[-1]))]
                outputs = [list(parts) for parts in zip(*rows)]
        except Exception as error:  # noqa: BLE001 - handed to the waiting request(s)
            if len(group) == 1:
                group[0].future.set_exception(error)
                self.requests_done += 1
                return
            for request in group:  # one bad request must not fail the others: run each alone
                self._run([request])
            return
        for request, result in zip(group, outputs):
            request.future.set_result(result)
        self.requests_done += len(group)

    def _call(self, arrays, size):
        self.model_calls += 1
        outputs = self.predict_fn(arrays)
        for out in outputs:
            if out.ndim == 0 or len(out) != size:
                raise ValueError(f"The model returned an output of shape {out.shape} for a batch "
                                 f"of {size} samples; the service needs outputs with the batch "
                                 "dimension first.")
        return outputs
