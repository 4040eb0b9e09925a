"""`DynamicBatcher`: queued requests share model calls, each gets its own rows back, shapes
are never mixed, and one bad request does not fail the others."""

import threading

import numpy as np
import pytest

from lamina.serve.batching import BatcherClosedError, DynamicBatcher


class Recorder:
    """A predict function that records the batch sizes it was called with."""

    def __init__(self, fail_on=None):
        self.sizes = []
        self.fail_on = fail_on

    def __call__(self, arrays):
        x = arrays[0]
        self.sizes.append(len(x))
        if self.fail_on is not None and (x == self.fail_on).any():
            raise ValueError(f"cannot take {self.fail_on}")
        return [x * 10, x.sum(axis=tuple(range(1, x.ndim)), keepdims=False)]


def _request(start, rows, width=2):
    return [np.arange(start, start + rows * width, dtype=np.float32).reshape(rows, width)]


def test_queued_requests_share_one_call_and_get_their_own_rows():
    recorder = Recorder()
    # A long window and a batch size of exactly the queued samples: one call, as soon as all
    # six samples are in.
    batcher = DynamicBatcher(recorder, max_batch_size=6, batch_window_ms=1000)
    requests = [_request(0, 1), _request(100, 2), _request(200, 3)]
    futures = [batcher.submit(r) for r in requests]
    results = [f.result(timeout=10) for f in futures]
    batcher.close()
    assert recorder.sizes == [6]
    assert batcher.model_calls == 1 and batcher.requests_done == 3
    for request, (scaled, sums) in zip(requests, results):
        np.testing.assert_array_equal(scaled, request[0] * 10)
        np.testing.assert_array_equal(sums, request[0].sum(axis=1))


def test_requests_from_many_threads_are_batched():
    recorder = Recorder()
    batcher = DynamicBatcher(recorder, max_batch_size=16, batch_window_ms=1000)
    results = [None] * 16
    barrier = threading.Barrier(16)

    def client(i):
        barrier.wait()
        results[i] = batcher.submit(_request(i * 10, 1)).result(timeout=10)

    threads = [threading.Thread(target=client, args=(i,)) for i in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    batcher.close()
    assert recorder.sizes == [16]
    for i, (scaled, _) in enumerate(results):
        np.testing.assert_array_equal(scaled, _request(i * 10, 1)[0] * 10)


def test_max_batch_size_bounds_each_call_and_a_larger_request_runs_alone():
    recorder = Recorder()
    batcher = DynamicBatcher(recorder, max_batch_size=4, batch_window_ms=100)
    futures = [batcher.submit(_request(0, n)) for n in (3, 2, 6, 1, 1)]
    for future in futures:
        future.result(timeout=10)
    batcher.close()
    # 3 (+2 would be 5 > 4), then 2 (+6 > 4), then 6 alone, then 1 + 1 when the window ends.
    assert recorder.sizes == [3, 2, 6, 2]


def test_different_per_sample_shapes_are_never_concatenated():
    recorder = Recorder()
    batcher = DynamicBatcher(recorder, max_batch_size=5, batch_window_ms=1000)
    requests = [_request(0, 1, width=2), _request(50, 2, width=3), _request(90, 1, width=2),
                [np.ones((1, 2), np.int64)]]  # same shape, other dtype
    futures = [batcher.submit(r) for r in requests]
    results = [f.result(timeout=10) for f in futures]
    batcher.close()
    assert sorted(recorder.sizes) == [1, 2, 2]  # width 2 float32 (2 rows), width 3, the int64
    for request, (scaled, _) in zip(requests, results):
        np.testing.assert_array_equal(scaled, request[0] * 10)
        assert scaled.dtype == request[0].dtype


def test_a_failing_request_does_not_fail_the_others():
    recorder = Recorder(fail_on=-1)
    batcher = DynamicBatcher(recorder, max_batch_size=3, batch_window_ms=1000)
    good_a, bad, good_b = _request(1, 1), [np.array([[-1.0, 2.0]], np.float32)], _request(5, 1)
    futures = [batcher.submit(r) for r in (good_a, bad, good_b)]
    np.testing.assert_array_equal(futures[0].result(timeout=10)[0], good_a[0] * 10)
    with pytest.raises(ValueError, match="cannot take -1"):
        futures[1].result(timeout=10)
    np.testing.assert_array_equal(futures[2].result(timeout=10)[0], good_b[0] * 10)
    batcher.close()
    assert recorder.sizes == [3, 1, 1, 1]  # the shared call failed; each then ran alone
    assert batcher.requests_done == 3


def test_without_batching_every_request_runs_alone():
    recorder = Recorder()
    batcher = DynamicBatcher(recorder, max_batch_size=8, batch_window_ms=50, enabled=False)
    futures = [batcher.submit(_request(i, 1)) for i in range(4)]
    for future in futures:
        future.result(timeout=10)
    batcher.close()
    assert recorder.sizes == [1, 1, 1, 1]
    assert (batcher.max_batch_size, batcher.batch_window_ms) == (1, 0.0)


def test_outputs_without_the_batch_dimension_are_an_error():
    batcher = DynamicBatcher(lambda arrays: [arrays[0].sum(keepdims=True)[0]])
    with pytest.raises(ValueError, match=r"returned an output of shape \(1,\) for a batch of 2 "
                                         r"samples; the service needs outputs with the batch "
                                         r"dimension first"):
        batcher.submit(_request(0, 2)).result(timeout=10)
    batcher.close()


def test_close_finishes_queued_requests_then_refuses_new_ones():
    gate = threading.Event()

    def slow(arrays):
        gate.wait(10)
        return [arrays[0]]

    batcher = DynamicBatcher(slow, max_batch_size=1)
    futures = [batcher.submit(_request(i, 1)) for i in range(3)]
    closer = threading.Thread(target=batcher.close)
    closer.start()
    gate.set()
    closer.join()
    assert [f.result(timeout=10)[0][0, 0] for f in futures] == [0.0, 1.0, 2.0]
    assert not batcher.is_alive()
    with pytest.raises(BatcherClosedError, match="The prediction service is shutting down"):
        batcher.submit(_request(0, 1))


def test_a_cancelled_request_is_skipped_and_the_worker_keeps_going():
    gate = threading.Event()
    recorder = Recorder()

    def slow(arrays):
        gate.wait(10)
        return recorder(arrays)

    batcher = DynamicBatcher(slow, max_batch_size=1)
    first = batcher.submit(_request(0, 1))  # the worker is busy with this one
    gone = batcher.submit(_request(10, 1))
    last = batcher.submit(_request(20, 1))
    assert gone.cancel()  # its client went away before it ran
    gate.set()
    np.testing.assert_array_equal(last.result(timeout=10)[0], _request(20, 1)[0] * 10)
    assert first.done() and gone.cancelled() and batcher.is_alive()
    assert recorder.sizes == [1, 1]  # the cancelled request never reached the model
    batcher.close()


@pytest.mark.parametrize("kwargs, message", [
    ({"max_batch_size": 0}, (r"`max_batch_size` to be a positive integer. Received: "
                             r"max_batch_size=0 \(of type int\)")),
    ({"max_batch_size": True}, r"max_batch_size=True \(of type bool\)"),
    ({"batch_window_ms": -1}, (r"`batch_window_ms` to be a number from 0 to 1000. Received: "
                               r"batch_window_ms=-1 \(of type int\)")),
    ({"batch_window_ms": "2"}, r"batch_window_ms='2' \(of type str\)"),
])
def test_rejects_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        DynamicBatcher(lambda arrays: arrays, **kwargs)
