"""Smoke test of `benchmarks/serve_load.py`: both servers answer every request, and the
no-batching server runs one request per forward pass."""

import importlib.util
from pathlib import Path

import pytest

_PATH = Path(__file__).resolve().parents[2] / "benchmarks" / "serve_load.py"


@pytest.mark.slow
def test_serve_load_runs_both_modes(capsys):
    spec = importlib.util.spec_from_file_location("serve_load", _PATH)
    serve_load = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(serve_load)
    summary, ratios = serve_load.main(["--duration", "2", "--max-requests", "40", "--clients",
                                       "4", "--repeats", "1", "--warmup", "4", "--no-save",
                                       "--torch-threads", "1"])
    out = capsys.readouterr().out
    lines = {line.split()[0]: line.split() for line in out.splitlines()[2:4]}
    for mode in ("batching", "no_batching"):
        requests, errors = int(lines[mode][1]), int(lines[mode][2])
        assert 0 < requests <= 40 and errors == 0
    assert summary["no_batching"]["mean_batch"] == 1.0
    assert summary["batching"]["mean_batch"] >= 1.0
    assert ratios["requests_per_s"] > 0
