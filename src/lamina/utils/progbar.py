"""`Progbar`: Keras 3's text progress bar, cheap enough to update on every training step.

The printed lines follow Keras 3 character for character, e.g.

    938/938 ━━━━━━━━━━━━━━━━━━━━ 3s 3ms/step - acc: 0.9300 - loss: 0.2400

Three things differ from Keras, all about cost and where the text goes:

- Values may be 0-d torch tensors on any device. They are kept as tensors and read (one
  host-device synchronisation per device) only when a line is printed, which happens at most
  once per `interval` seconds, so `update` can be called on every step of a GPU loop.
- When the output is a terminal or a notebook, one line is redrawn in place with `\\r`. When
  it is a pipe, a file or a CI log, no line is redrawn: only the final line of each run is
  printed (plus one line every 30 seconds in very long runs), and without colour codes.
- The output stream can be given; by default it is `sys.stdout` at the time of printing.
"""

import math
import numbers
import os
import sys
import time

import numpy as np
import torch

from lamina.validation import received, validate_choice, validate_positive_int

# Patched by tests to drive the bar with a fake clock.
_clock = time.monotonic
# The smallest gap between two lines when the output is not redrawn in place (pipes, files).
PIPE_INTERVAL = 30.0
# Averaged tensor values are summed on their device once this many have been collected, so a
# bar that rarely prints keeps a bounded number of tensors alive.
_FOLD_AT = 1024

_BOLD, _GREEN, _GREY, _RESET = "\x1b[1m", "\x1b[32m", "\x1b[37m", "\x1b[0m"


def _is_dynamic(stream):
    """Whether `stream` redraws a line on `\\r`: a terminal, a notebook or PyCharm's console."""
    try:
        if stream.isatty():
            return True
    except (AttributeError, ValueError):  # no `isatty`, or a closed file
        pass
    if stream is sys.stdout or stream is sys.__stdout__:
        return "ipykernel" in sys.modules or "PYCHARM_HOSTED" in os.environ
    return False


class _Running:
    """A displayed value: `total / count`, where `total` may still hold unread tensors."""

    __slots__ = ("total", "parts", "count")

    def __init__(self):
        self.total, self.parts, self.count = 0.0, [], 0

    def set(self, value):
        self.total, self.parts, self.count = 0.0, [], 0
        self.add(value, 1)

    def add(self, value, weight):
        if isinstance(value, torch.Tensor):
            value = value.detach()
            if value.ndim:
                value = value.mean() if value.is_floating_point() else value.float().mean()
            self.parts.append(value if weight == 1 else value * weight)
            if len(self.parts) >= _FOLD_AT:
                # Sums on the device; nothing is read back here.
                self.parts = [torch.stack(group).sum() for group in _by_device(self.parts)]
        else:
            self.total += float(np.mean(value)) * weight
        self.count += weight

    def mean(self):
        return self.total / max(1, self.count)


def _by_device(tensors):
    groups = {}
    for tensor in tensors:
        groups.setdefault(tensor.device, []).append(tensor)
    return groups.values()


def _read(entries):
    """Fold every pending tensor of `entries` into python floats, one read per device."""
    pending = [(entry, part) for entry in entries for part in entry.parts]
    if not pending:
        return
    by_device = {}
    for entry, part in pending:
        by_device.setdefault(part.device, []).append((entry, part))
    for items in by_device.values():
        # Host-device synchronisation: once per printed line and device.
        floats = torch.stack([part for _, part in items]).tolist()
        for (entry, _), number in zip(items, floats):
            entry.total += float(number)
    for entry in entries:
        entry.parts = []


def _format_value(value):
    # Keras' verbose=2 line tests `value > 1e-3` without `abs` (so -0.5 shows as
    # -5.0000e-01); both modes use `abs` here.
    return f"{value:.4f}" if abs(value) > 1e-3 else f"{value:.4e}"


def _format_eta(seconds):
    if seconds > 3600:
        return "%d:%02d:%02d" % (seconds // 3600, (seconds % 3600) // 60, seconds % 60)
    if seconds > 60:
        return "%d:%02d" % (seconds // 60, seconds % 60)
    return "%ds" % seconds


def _format_time(time_per_unit, unit_name):
    if time_per_unit >= 1 or time_per_unit == 0:
        return f" {time_per_unit:.0f}s/{unit_name}"
    if time_per_unit >= 1e-3:
        return f" {time_per_unit * 1e3:.0f}ms/{unit_name}"
    return f" {time_per_unit * 1e6:.0f}us/{unit_name}"


class Progbar:
    """Displays a progress bar in Keras 3's format.

    Values passed to `update` are averaged over the steps since the start of the run
    ("stateless"), except those named in `stateful_metrics`, which are shown as given. Pass
    `stateless_metrics` instead to name the averaged ones and show all others as given
    (Keras' `fit` passes `stateless_metrics=set()`: its metrics are already averaged).

    Values may be python numbers, numpy values or 0-d torch tensors on any device; tensors
    are read only when a line is printed, at most once per `interval` seconds. On a terminal
    or in a notebook the line is redrawn in place; elsewhere (pipes, files, CI logs) only the
    final line of each run is printed, plus one line per 30 seconds in long runs.

    Args:
        target: Total number of steps expected, or `None` if unknown.
        width: Width of the bar, in characters. Defaults to `20`.
        verbose: `0` (silent), `1` (a bar) or `2` (one summary line at the end).
            Defaults to `1`.
        interval: Minimum time between two printed lines, in seconds. Defaults to `0.05`.
        stateful_metrics: Names of values shown as given instead of averaged.
            Defaults to `None`.
        stateless_metrics: Names of values averaged; all others are shown as given. Give at
            most one of `stateful_metrics` and `stateless_metrics`. Defaults to `None`.
        unit_name: Name of a step in the time-per-step field ("step", "sample").
            Defaults to `"step"`.
        stream: A text stream to write to. Defaults to `None`, meaning `sys.stdout` as it is
            when each line is printed.

    Example:

    >>> import io
    >>> out = io.StringIO()
    >>> bar = Progbar(3, stream=out)
    >>> for step in range(1, 4):
    ...     bar.update(step, [("loss", 1.0 / step)])
    >>> print(out.getvalue(), end="")  # doctest: +ELLIPSIS
    3/3 ━━━━━━━━━━━━━━━━━━━━ 0s ...s/step - loss: 0.3333
    """

    def __init__(self, target, width=20, verbose=1, interval=0.05, stateful_metrics=None,
                 stateless_metrics=None, unit_name="step", stream=None):
        if target is not None and (isinstance(target, bool) or not isinstance(
                target, numbers.Integral) or target < 0):
            raise ValueError("`Progbar` expects `target` to be a non-negative integer or None. "
                             + received("target", target))
        if isinstance(interval, bool) or not isinstance(interval, numbers.Real) or not (
                interval >= 0):
            raise ValueError("`Progbar` expects `interval` to be a non-negative number of "
                             "seconds. " + received("interval", interval))
        if stateful_metrics is not None and stateless_metrics is not None:
            raise ValueError("`Progbar` accepts only one of `stateful_metrics` (names shown as "
                             "given; all others are averaged) and `stateless_metrics` (names "
                             "averaged; all others are shown as given). Received both: "
                             f"stateful_metrics={stateful_metrics!r}, "
                             f"stateless_metrics={stateless_metrics!r}.")
        self.target = target
        self.width = validate_positive_int(width, "width", self)
        self.verbose = validate_choice(verbose, "verbose", (0, 1, 2), self)
        self.interval = float(interval)
        self.unit_name = unit_name
        if stateless_metrics is not None:
            self.stateful_metrics, self.stateless_metrics = None, set(stateless_metrics)
        else:
            self.stateful_metrics, self.stateless_metrics = set(stateful_metrics or ()), None
        self._stream = stream
        self._dynamic_display = _is_dynamic(sys.stdout if stream is None else stream)
        self._seen_so_far = 0
        self._values = {}  # name -> _Running, in first-seen order
        self._start = _clock()
        # A redrawn bar shows its first line at once; a logged one waits for PIPE_INTERVAL.
        self._last_update = -math.inf if self._dynamic_display else self._start
        self._time_after_first_step = None
        self._prev_total_width = 0

    def update(self, current, values=None, finalize=None):
        """Records progress and prints a line when one is due.

        Args:
            current: Index of the current step (the number of steps done).
            values: `(name, value)` pairs (or a dict) for this step. Values of names in
                `stateful_metrics` are shown as given; others are averaged over the steps.
                Defaults to `None`.
            finalize: Whether this is the last update of the run. Defaults to `None`,
                meaning `current >= target` (never, when `target` is `None`).
        """
        if finalize is None:
            finalize = self.target is not None and current >= self.target
        if isinstance(values, dict):
            values = values.items()
        for name, value in values or ():
            entry = self._values.get(name)
            if entry is None:
                entry = self._values[name] = _Running()
            if self.stateful_metrics is not None:
                stateless = name not in self.stateful_metrics
            else:
                stateless = name in self.stateless_metrics
            if stateless and not finalize:
                # Weight by the steps this value stands for; at least one, as in Keras.
                entry.add(value, max(current - self._seen_so_far, 1))
            else:
                entry.set(value)
        self._seen_so_far = current

        now = _clock()
        time_per_unit = self._estimate_step_duration(current, now)
        if self.verbose == 1:
            gap = self.interval if self._dynamic_display else max(self.interval, PIPE_INTERVAL)
            if finalize or now - self._last_update >= gap:
                self._write(self._bar_line(current, now, time_per_unit, finalize))
                self._last_update = now
        elif self.verbose == 2 and finalize and self.target:
            self._write(self._summary_line(current, now, time_per_unit))

    def add(self, n, values=None):
        """Advances the bar by `n` steps; see `update` for `values`."""
        self.update(self._seen_so_far + n, values)

    def _metrics(self):
        _read(self._values.values())
        return "".join(f" - {name}: {_format_value(entry.mean())}"
                       for name, entry in self._values.items())

    def _bar_line(self, current, now, time_per_unit, finalize):
        color = self._dynamic_display

        def styled(text, code):
            return f"{code}{text}{_RESET}" if color and text else text

        if self.target:
            digits = int(math.log10(self.target)) + 1
            count = ("%" + str(digits) + "d/%d") % (current, self.target)
            done = int(self.width * float(current) / self.target)
            bar = (styled(count, _BOLD) + " " + styled("━" * done, _GREEN)
                   + styled("━" * (self.width - done), _GREY))
            plain_bar = count + " " + "━" * max(done, self.width)
        else:
            bar = plain_bar = "%7d/Unknown" % current
        if self.target and not finalize:
            clock = _format_eta(time_per_unit * (self.target - current))
        else:
            clock = f"{now - self._start:.0f}s"  # time since the start
        info = " " + clock + _format_time(time_per_unit, self.unit_name) + self._metrics()
        styled_info = " " + styled(clock, _BOLD) + info[1 + len(clock):]

        width = len(plain_bar) + len(info)
        if not color:
            return plain_bar + info + "\n"
        line = "\r" + bar + styled_info + " " * max(0, self._prev_total_width - width)
        self._prev_total_width = width
        return line + ("\n" if finalize else "")

    def _summary_line(self, current, now, time_per_unit):
        digits = int(math.log10(self.target)) + 1
        count = ("%" + str(digits) + "d/%d") % (current, self.target)
        return (f"{count} - {now - self._start:.0f}s -"
                f"{_format_time(time_per_unit, self.unit_name)}{self._metrics()}\n")

    def _write(self, message):
        stream = sys.stdout if self._stream is None else self._stream
        try:
            stream.write(message)
        except UnicodeEncodeError:
            # A stream that cannot encode "━" (e.g. ASCII logs) gets Keras 2's "=" instead.
            encoding = getattr(stream, "encoding", None) or "utf-8"
            stream.write(message.replace("━", "=").encode(encoding, "ignore").decode(encoding))
        stream.flush()

    def _estimate_step_duration(self, current, now):
        """Seconds per step; the first step (often slow: compilation, warm-up) is left out."""
        if not current:
            return 0
        if self._time_after_first_step is not None and current > 1:
            time_per_unit = (now - self._time_after_first_step) / (current - 1)
        else:
            time_per_unit = (now - self._start) / current
        if current == 1:
            self._time_after_first_step = now
        return time_per_unit
