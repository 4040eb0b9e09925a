"""Writes `progbar_golden.json`: the lines real Keras 3 prints for scripted progress runs.

Run from the repository root with:
    KERAS_BACKEND=jax /tmp/kenv/bin/python tests/utils/golden/make_progbar_golden.py

Each scenario drives `keras.utils.Progbar` with a fake clock. For every call we record the
visible text Keras wrote (colour codes, backspaces, `\\r` and padding removed), or `None`
when it wrote nothing. The scenarios themselves are stored too, so the test replays the
same calls on `lamina.utils.Progbar`.
"""

import contextlib
import io
import json
import os
import re
import types

_ANSI = re.compile(r"\x1b\[[0-9;]*m")


def _fit_like():
    # 938 steps: a slow first step, then 3 ms per step; acc/loss as `fit` passes them.
    calls, t = [], 0.5
    calls.append([t, "update", 1, [["acc", 0.5], ["loss", 2.0]], None])
    for step in range(2, 939):
        t = round(0.5 + 0.003 * (step - 1), 4)
        calls.append([t, "update", step,
                      [["acc", round(0.5 + 0.43 * step / 938, 4)],
                       ["loss", round(2.0 - 1.76 * step / 938, 4)]], False])
    calls.append([round(t + 0.001, 4), "update", 938, [["acc", 0.93], ["loss", 0.24]], True])
    return {"kwargs": {"target": 938, "stateless_metrics": []}, "calls": calls}


SCENARIOS = {
    "fit_like": _fit_like(),
    "averaged_with_add": {
        "kwargs": {"target": 5},
        "calls": [[1.0, "add", 1, [["loss", 4.0]]], [2.0, "add", 1, [["loss", 2.0]]],
                  [3.0, "add", 2, [["loss", 1.0]]], [4.5, "add", 1, [["loss", 0.5]]]],
    },
    "stateful_named": {
        "kwargs": {"target": 4, "stateful_metrics": ["acc"]},
        "calls": [[0.1, "update", 1, [["acc", 0.25], ["loss", 1.0]], None],
                  [0.2, "update", 2, [["acc", 0.5], ["loss", 3.0]], None],
                  [0.3, "update", 3, [["acc", 0.75], ["loss", 2.0]], None],
                  [0.4, "update", 4, [["acc", 1.0], ["loss", 2.0]], None]],
    },
    "unknown_target": {
        "kwargs": {"target": None},
        "calls": [[0.2, "update", 1, [["loss", 1.0]], None],
                  [0.4, "update", 2, [["loss", 3.0]], None],
                  [0.6, "update", 3, [["loss", 2.0]], None],
                  [0.7, "update", 3, [["loss", 2.5]], True]],
    },
    "long_eta": {
        "kwargs": {"target": 100000},
        "calls": [[2.0, "update", 1, None, None], [4.0, "update", 2, None, None],
                  [9999.0, "update", 99965, None, None],
                  [10001.0, "update", 99990, None, None],
                  [200000.0, "update", 100000, None, None]],
    },
    "value_formats": {
        "kwargs": {"target": 2, "stateless_metrics": []},
        "calls": [[0.5, "update", 1, [["tiny", 1e-5], ["neg", -0.5], ["zero", 0.0],
                                      ["big", 12345.678]], None],
                  [2.5, "update", 2, [["tiny", 2e-4], ["neg", -0.25], ["zero", 0.0],
                                      ["big", 0.002]], None]],
    },
    "samples_unit_slow": {
        "kwargs": {"target": 3, "unit_name": "sample", "width": 10},
        "calls": [[3.0, "update", 1, None, None], [5.5, "update", 2, None, None],
                  [8.0, "update", 3, None, None]],
    },
    "fast_steps_in_us": {
        "kwargs": {"target": 1000, "width": 30, "interval": 0.0},
        "calls": [[0.001, "update", 1, None, None], [0.0015, "update", 500, None, None],
                  [0.002, "update", 1000, None, None]],
    },
    "verbose_2": {
        "kwargs": {"target": 4, "verbose": 2},
        "calls": [[1.0, "update", 1, [["loss", 0.8]], None],
                  [2.0, "update", 2, [["loss", 0.6]], None],
                  [3.0, "update", 3, [["loss", 0.4]], None],
                  [4.0, "update", 4, [["loss", 0.2]], None]],
    },
}


def _visible(text):
    if not text:
        return None
    text = _ANSI.sub("", text).replace("\b", "").replace("\r", "")
    return text.strip("\n").rstrip(" ")


def run(scenario):
    # Imported here: pytest imports this file (doctest collection) in lamina's venv, no Keras.
    from keras.src.utils import progbar as keras_progbar

    clock = [0.0]
    keras_progbar.time = types.SimpleNamespace(time=lambda: clock[0])
    kwargs = dict(scenario["kwargs"])
    for key in ("stateful_metrics", "stateless_metrics"):
        if key in kwargs:
            kwargs[key] = set(kwargs[key])
    out = io.StringIO()
    printed = []
    with contextlib.redirect_stdout(out):
        bar = keras_progbar.Progbar(**kwargs)
        for t, method, *args in scenario["calls"]:
            clock[0] = t
            before = len(out.getvalue())
            values = [tuple(pair) for pair in args[1]] if args[1] else None
            if method == "add":
                bar.add(args[0], values)
            else:
                bar.update(args[0], values, finalize=args[2])
            printed.append(_visible(out.getvalue()[before:]))
    return printed


def main():
    golden = {}
    for name, scenario in SCENARIOS.items():
        golden[name] = {**scenario, "printed": run(scenario)}
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "progbar_golden.json")
    with open(path, "w", encoding="utf-8") as f:
        json.dump(golden, f, ensure_ascii=False, indent=None, separators=(",", ":"))
        f.write("\n")
    for name, entry in golden.items():
        shown = [line for line in entry["printed"] if line is not None]
        print(name, len(shown), shown[-1])


if __name__ == "__main__":
    main()
