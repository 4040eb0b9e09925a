"""Tests for `Progbar`: Keras 3's exact lines, the pipe mode, the interval, lazy tensor reads."""

import io
import json
import os
import re
import sys
import types

import numpy as np
import pytest
import torch

from lamina.utils import Progbar
from lamina.utils import progbar as progbar_module

_GOLDEN_PATH = os.path.join(os.path.dirname(__file__), "golden", "progbar_golden.json")
with open(_GOLDEN_PATH, encoding="utf-8") as _f:
    GOLDEN = json.load(_f)  # written by golden/make_progbar_golden.py from real Keras 3
_ANSI = re.compile(r"\x1b\[[0-9;]*m")


class FakeClock:
    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now


@pytest.fixture
def clock(monkeypatch):
    fake = FakeClock()
    monkeypatch.setattr(progbar_module, "_clock", fake)
    return fake


class TerminalStream(io.StringIO):
    def isatty(self):
        return True


_READS = {torch.Tensor.tolist, torch.Tensor.item, torch.Tensor.__float__, torch.Tensor.__int__,
          torch.Tensor.__bool__, torch.Tensor.numpy, torch.Tensor.cpu, torch.Tensor.__format__}


class CountingTensor(torch.Tensor):
    """A tensor that counts every way of reading its value on the host."""

    reads = 0

    @classmethod
    def __torch_function__(cls, func, types, args=(), kwargs=None):
        if func in _READS:
            CountingTensor.reads += 1
        return super().__torch_function__(func, types, args, kwargs or {})


def counting(value):
    return torch.tensor(value, dtype=torch.float64).as_subclass(CountingTensor)


def _visible(text):
    """The text a reader sees: no colour codes, `\\r`, padding or final newline."""
    if not text:
        return None
    return _ANSI.sub("", text).replace("\r", "").strip("\n").rstrip(" ")


def replay(scenario, stream, clock, tensors=False):
    """Runs a golden scenario on lamina's `Progbar`; what each call wrote."""
    clock.now = 0.0
    bar = Progbar(**scenario["kwargs"], stream=stream)
    written = []
    for t, method, *args in scenario["calls"]:
        clock.now = t
        values = args[1]
        if tensors and values:
            values = [(name, torch.tensor(value, dtype=torch.float64)) for name, value in values]
        before = len(stream.getvalue())
        if method == "add":
            bar.add(args[0], values)
        else:
            bar.update(args[0], values, finalize=args[2])
        written.append(stream.getvalue()[before:])
    return written


@pytest.mark.parametrize("name", sorted(GOLDEN))
@pytest.mark.parametrize("tensors", [False, True])
def test_terminal_lines_match_keras(clock, name, tensors):
    written = replay(GOLDEN[name], TerminalStream(), clock, tensors)
    assert [_visible(text) for text in written] == GOLDEN[name]["printed"]


def test_terminal_line_bytes_follow_keras(clock):
    stream = TerminalStream()
    bar = Progbar(4, stateful_metrics=["acc"], stream=stream)
    clock.now = 0.1
    bar.update(1, [("acc", 0.25), ("loss", 1.0)])
    clock.now = 0.2
    bar.update(4, [("acc", 1.0), ("loss", 1.0)])
    # Keras' bytes, less its backspaces and an empty grey segment on the full bar.
    assert stream.getvalue() == (
        "\r\x1b[1m1/4\x1b[0m \x1b[32m━━━━━\x1b[0m\x1b[37m━━━━━━━━━━━━━━━\x1b[0m \x1b[1m0s\x1b[0m"
        " 100ms/step - acc: 0.2500 - loss: 1.0000"
        "\r\x1b[1m4/4\x1b[0m \x1b[32m━━━━━━━━━━━━━━━━━━━━\x1b[0m \x1b[1m0s\x1b[0m"
        " 33ms/step - acc: 1.0000 - loss: 1.0000 \n")


def _pipe_expectation(scenario):
    """Lines a pipe gets: Keras' line at the end of a run, or 30 s after the last line."""
    target = scenario["kwargs"]["target"]
    expected, last, seen = [], 0.0, 0
    for (t, method, *args), line in zip(scenario["calls"], scenario["printed"]):
        seen = seen + args[0] if method == "add" else args[0]
        finalize = args[2] if method == "update" and args[2] is not None else (
            target is not None and seen >= target)
        if line is not None and (finalize or t - last >= 30):
            expected.append(line)
            last = t
        else:
            expected.append(None)
    return expected


@pytest.mark.parametrize("name", sorted(GOLDEN))
def test_pipe_prints_final_lines_without_colour(clock, name):
    stream = io.StringIO()
    written = replay(GOLDEN[name], stream, clock)
    assert [text or None for text in written] == [
        None if line is None else line + "\n" for line in _pipe_expectation(GOLDEN[name])]
    assert "\x1b" not in stream.getvalue() and "\r" not in stream.getvalue()


def test_pipe_epoch_is_one_exact_line(clock):
    stream = io.StringIO()
    replay(GOLDEN["fit_like"], stream, clock, tensors=True)
    assert stream.getvalue() == (
        "938/938 ━━━━━━━━━━━━━━━━━━━━ 3s 3ms/step - acc: 0.9300 - loss: 0.2400\n")


def test_pipe_long_run_prints_a_line_every_30_seconds(clock):
    stream = io.StringIO()
    bar = Progbar(1000, stream=stream)
    for step in range(1, 1001):
        clock.now = float(step)
        bar.update(step)
    lines = stream.getvalue().splitlines()
    assert len(lines) == 34  # t = 30, 60, ..., 990, then the final line at 1000
    # 1 s/step and 970 steps left: an ETA of 16 min 10 s.
    assert lines[0] == "  30/1000 ━━━━━━━━━━━━━━━━━━━━ 16:10 1s/step"
    assert lines[-1] == "1000/1000 ━━━━━━━━━━━━━━━━━━━━ 1000s 1s/step"


def _run_steps(bar, clock, values_for_step, steps=100):
    for step in range(1, steps + 1):
        clock.now = step / 64  # binary fractions keep the interval arithmetic exact
        bar.update(step, values_for_step(step))


def test_terminal_prints_at_most_once_per_interval(clock):
    stream = TerminalStream()
    bar = Progbar(100, interval=1 / 16, stream=stream)
    _run_steps(bar, clock, lambda step: None)
    lines = stream.getvalue().split("\r")[1:]
    counts = [int(_visible(line).split("/")[0]) for line in lines]
    # A step every 1/64 s, a line at most every 1/16 s: steps 1, 5, ..., 97, then the end.
    assert counts == list(range(1, 100, 4)) + [100]


@pytest.mark.parametrize("stream_type, expected_reads", [(TerminalStream, 26), (io.StringIO, 1)])
def test_tensor_values_are_read_only_when_a_line_is_printed(clock, stream_type, expected_reads):
    CountingTensor.reads = 0
    stream = stream_type()
    bar = Progbar(100, interval=1 / 16, stateful_metrics=["acc"], stream=stream)
    _run_steps(bar, clock, lambda step: [("acc", counting(step / 100)), ("loss", counting(step))])
    # One read per printed line, both values together.
    assert CountingTensor.reads == expected_reads
    assert stream.getvalue().rstrip().endswith("- acc: 1.0000 - loss: 100.0000")


def test_averaged_tensors_are_summed_on_device_in_bounded_memory(clock, monkeypatch):
    monkeypatch.setattr(progbar_module, "_FOLD_AT", 4)
    CountingTensor.reads = 0
    stream = io.StringIO()
    bar = Progbar(None, stream=stream)
    for step in range(1, 11):
        bar.add(1 if step % 2 else 2, [("loss", counting(step))])
        assert len(bar._values["loss"].parts) < 4
    bar.update(bar._seen_so_far, finalize=True)
    # Steps of weight 1 (odd) and 2 (even): sum(w * v) / sum(w) = 85 / 15.
    assert stream.getvalue() == "     15/Unknown 0s 0s/step - loss: 5.6667\n"
    assert CountingTensor.reads == 1


def test_numpy_and_python_values_and_dict_input(clock):
    stream = io.StringIO()
    bar = Progbar(2, stream=stream)
    bar.update(1, {"a": np.float32(0.5), "b": np.array([1.0, 3.0]), "c": 1})
    bar.update(2, {"a": np.float32(1.5), "b": np.array([3.0, 5.0]), "c": 3})
    # `update(2)` finalizes, so each shows its last value, as Keras does.
    assert stream.getvalue() == (
        "2/2 ━━━━━━━━━━━━━━━━━━━━ 0s 0s/step - a: 1.5000 - b: 4.0000 - c: 3.0000\n")


def test_stream_defaults_to_sys_stdout_at_print_time(clock, capsys, monkeypatch):
    bar = Progbar(1)
    replacement = io.StringIO()
    with monkeypatch.context() as patch:
        patch.setattr(sys, "stdout", replacement)
        bar.update(1)
    assert replacement.getvalue() == "1/1 ━━━━━━━━━━━━━━━━━━━━ 0s 0s/step\n"
    Progbar(2, width=4).update(2, [("loss", 0.25)])
    assert capsys.readouterr().out == "2/2 ━━━━ 0s 0s/step - loss: 0.2500\n"


def test_notebook_output_is_redrawn(clock, capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "ipykernel", types.ModuleType("ipykernel"))
    bar = Progbar(2, width=2)
    bar.update(1)
    bar.update(2)
    out = capsys.readouterr().out
    assert out.startswith("\r\x1b[1m1/2") and out.endswith("\n")
    assert _visible(out.split("\r")[-1]) == "2/2 ━━ 0s 0s/step"


def test_verbose_0_prints_nothing_and_verbose_2_one_line(clock):
    silent = io.StringIO()
    replay({**GOLDEN["verbose_2"], "kwargs": {"target": 4, "verbose": 0}}, silent, clock)
    assert silent.getvalue() == ""
    terminal = TerminalStream()
    replay(GOLDEN["verbose_2"], terminal, clock)
    assert terminal.getvalue() == "4/4 - 4s - 1s/step - loss: 0.2000\n"


def test_verbose_2_formats_negative_values_like_verbose_1(clock):
    stream = io.StringIO()
    Progbar(1, verbose=2, stream=stream).update(1, [("loss", -0.5)])
    # Keras prints -5.0000e-01 here (it tests `value > 1e-3` without `abs`).
    assert stream.getvalue() == "1/1 - 0s - 0s/step - loss: -0.5000\n"


def test_stream_that_cannot_encode_the_bar_gets_equals_signs(clock):
    raw = io.BytesIO()
    stream = io.TextIOWrapper(raw, encoding="ascii")
    Progbar(2, width=4, stream=stream).update(2)
    assert raw.getvalue() == b"2/2 ==== 0s 0s/step\n"


@pytest.mark.parametrize("kwargs, match", [
    ({"target": -1}, r"`Progbar` expects `target` to be a non-negative integer or None\. "
                     r"Received: target=-1 \(of type int\)\."),
    ({"target": 2.5}, r"Received: target=2\.5 \(of type float\)"),
    ({"target": 3, "width": 0}, r"`Progbar` expects `width` to be a positive integer\. "
                                r"Received: width=0"),
    ({"target": 3, "verbose": 3}, r"`Progbar` expects `verbose` to be one of 0, 1, 2\. "
                                  r"Received: verbose=3"),
    ({"target": 3, "interval": -1}, r"`Progbar` expects `interval` to be a non-negative number "
                                    r"of seconds\. Received: interval=-1"),
    ({"target": 3, "stateful_metrics": ["a"], "stateless_metrics": ["b"]},
     r"`Progbar` accepts only one of `stateful_metrics`.*Received both: "
     r"stateful_metrics=\['a'\], stateless_metrics=\['b'\]\."),
])
def test_rejects_invalid_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        Progbar(**kwargs)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_cuda_values_never_synchronise_between_printed_lines(clock, monkeypatch):
    monkeypatch.setattr(progbar_module, "_FOLD_AT", 8)
    stream = io.StringIO()
    bar = Progbar(100, stateful_metrics=["acc"], stream=stream)
    values = torch.arange(1, 101, device="cuda", dtype=torch.float32)
    torch.cuda.set_sync_debug_mode("error")  # any host-device synchronisation raises
    try:
        for step in range(1, 100):
            clock.now = step / 64
            bar.update(step, [("acc", values[step - 1] / 100), ("loss", values[step - 1])])
    finally:
        torch.cuda.set_sync_debug_mode("default")
    bar.update(100, [("acc", values[99] / 100)], finalize=False)
    bar.update(100, finalize=True)
    # loss: the mean of 1..99 (the final update brought no new loss).
    assert stream.getvalue() == (
        "100/100 ━━━━━━━━━━━━━━━━━━━━ 2s 15ms/step - acc: 1.0000 - loss: 50.0000\n")
