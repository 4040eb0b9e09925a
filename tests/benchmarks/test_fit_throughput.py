"""Smoke tests for `benchmarks/fit_throughput.py`: every runner trains, and they agree.

The runners are a benchmark's measuring sticks, so the tests check that they compute the same
thing: the same starting model (against a numpy forward pass) and, without shuffling or
dropout, the same epoch loss and accuracy. The `lamina` runner joins in once `import lamina`
provides `Sequential`; until then its cases are skipped.
"""

import argparse
import importlib.util
import json
import pathlib
import statistics
import sys
import types

import numpy as np
import pytest
import torch

_BENCHMARKS = pathlib.Path(__file__).resolve().parents[2] / "benchmarks"
_SPEC = importlib.util.spec_from_file_location("fit_throughput", _BENCHMARKS / "fit_throughput.py")
fit_throughput = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(fit_throughput)
workloads = sys.modules["workloads"]  # imported by fit_throughput from the benchmarks folder

ROWS = 256
# A CPU LSTM over 200 steps trains a few dozen reviews per second: less data for it.
ROWS_FOR = {"imdb_lstm": 32}
CPU = torch.device("cpu")
ALL_RUNNERS = list(fit_throughput.RUNNERS)


@pytest.fixture(autouse=True)
def _lamina_on_cpu(monkeypatch):
    monkeypatch.setenv("LAMINA_DEVICE", "cpu")  # the Lamina runner sets it; undone after each test


def _runner(name, workload):
    if name == "lamina" and fit_throughput.lamina_problem() is not None:
        pytest.skip(f"lamina runner not ready: {fit_throughput.lamina_problem()}")
    weights = workloads.initial_weights(workload, seed=0)
    return fit_throughput.RUNNERS[name](workload, weights, CPU)


def test_fraud_table_has_the_real_shape_and_positive_rate():
    x, y = workloads.load_fraud()
    assert x.shape == (227_845, 29) and y.shape == (227_845, 1)
    assert x.dtype == np.float32 and y.dtype == np.float32
    assert set(np.unique(y)) == {0.0, 1.0}
    assert y.mean() == pytest.approx(0.0017, abs=1e-5)
    assert abs(x.mean()) < 0.01 and x.std() == pytest.approx(1.0, abs=0.01)
    x_head, y_head = workloads.load_fraud(max_rows=100)
    np.testing.assert_array_equal(x_head, x[:100])
    np.testing.assert_array_equal(y_head, y[:100])


def test_mnist_is_scaled_and_one_hot():
    x, y = workloads.load_mnist(max_rows=ROWS)
    with np.load(workloads.MNIST_PATH, allow_pickle=False) as raw:
        images, labels = raw["x_train"][:ROWS], raw["y_train"][:ROWS]
    np.testing.assert_allclose(x, images.reshape(ROWS, 784) / 255.0, rtol=1e-6)
    np.testing.assert_array_equal(y.argmax(axis=1), labels)
    np.testing.assert_array_equal(y.sum(axis=1), np.ones(ROWS))


def test_initial_weights_are_glorot_uniform_kernels_and_zero_biases():
    weights = workloads.initial_weights(workloads.WORKLOADS["mnist_mlp"], seed=3)
    kernel, bias, _, last_bias = weights
    limit = np.sqrt(6.0 / (784 + 1000))
    assert kernel.shape == (784, 1000) and np.abs(kernel).max() <= limit
    assert kernel.std() == pytest.approx(limit / np.sqrt(3.0), rel=0.01)  # uniform's std
    assert not bias.any() and not last_bias.any()
    again = workloads.initial_weights(workloads.WORKLOADS["mnist_mlp"], seed=3)
    np.testing.assert_array_equal(kernel, again[0])


@pytest.mark.parametrize("runner_name", ALL_RUNNERS)
@pytest.mark.parametrize("workload_name", [
    name if name != "imdb_lstm" else pytest.param(name, marks=pytest.mark.slow)
    for name in workloads.WORKLOADS])
def test_runner_starts_from_the_shared_model_and_trains(runner_name, workload_name):
    workload = workloads.WORKLOADS[workload_name]
    runner = _runner(runner_name, workload)
    x, y = workload.load(ROWS_FOR.get(workload_name, ROWS))
    expected = workloads.reference_forward(workload, workloads.initial_weights(workload), x)
    np.testing.assert_allclose(runner.predict(x), expected, atol=1e-5)
    history = runner.fit(x, y, epochs=3)
    assert len(history) == 3
    for epoch in history:
        assert np.isfinite(epoch["loss"]) and 0.0 <= epoch["acc"] <= 1.0
    # Not epoch by epoch: torch's default RMSprop (no bias correction) overshoots at first.
    assert history[-1]["loss"] < history[0]["loss"]


def test_mnist_images_are_the_flat_rows_reshaped():
    x, y = workloads.load_mnist_images(max_rows=ROWS)
    flat, flat_y = workloads.load_mnist(max_rows=ROWS)
    assert x.shape == (ROWS, 28, 28, 1)
    np.testing.assert_array_equal(x.reshape(ROWS, 784), flat)
    np.testing.assert_array_equal(y, flat_y)


def test_cnn_workload_shapes():
    workload = workloads.WORKLOADS["mnist_cnn"]
    assert workload.conv_shapes == [(3, 1, 32), (3, 32, 64)]
    assert workload.flat_features == 5 * 5 * 64  # 28 -conv-> 26 -pool-> 13 -conv-> 11 -pool-> 5
    shapes = [w.shape for w in workloads.initial_weights(workload)]
    assert shapes == [(3, 3, 1, 32), (32,), (3, 3, 32, 64), (64,), (1600, 128), (128,),
                      (128, 10), (10,)]


def test_imdb_tokens_are_int32_reviews_with_a_balanced_learnable_label():
    x, y = workloads.load_imdb_tokens()
    assert x.shape == (3_200, 200) and x.dtype == np.int32 and y.shape == (3_200, 1)
    assert x.min() >= 1 and x.max() < 20_000
    np.testing.assert_array_equal(y[:, 0], x.mean(axis=1) < 10_000)
    assert 0.4 < y.mean() < 0.6
    x_few, y_few = workloads.load_imdb_tokens(max_rows=100)
    np.testing.assert_array_equal(x_few, x[:100])  # rows come in order: a prefix is stable
    np.testing.assert_array_equal(y_few, y[:100])


def test_lstm_initial_weights_follow_keras_initializers():
    workload = workloads.WORKLOADS["imdb_lstm"]
    table, kernel, recurrent, bias, dense, dense_bias = workloads.initial_weights(workload)
    assert table.shape == (20_000, 128) and np.abs(table).max() <= 0.05
    assert kernel.shape == (128, 512) and np.abs(kernel).max() <= np.sqrt(6.0 / (128 + 512))
    np.testing.assert_allclose(recurrent @ recurrent.T, np.eye(128), atol=1e-5)  # orthogonal
    np.testing.assert_array_equal(bias, np.repeat([0.0, 1.0, 0.0, 0.0], 128))  # forget gate 1
    assert dense.shape == (128, 1) and not dense_bias.any()


@pytest.mark.parametrize("runner_name", ALL_RUNNERS)
def test_lstm_runners_start_from_the_shared_model(runner_name):
    workload = workloads.WORKLOADS["imdb_lstm"]
    runner = _runner(runner_name, workload)
    x, _ = workload.load(8)
    expected = workloads.reference_forward(workload, workloads.initial_weights(workload), x)
    np.testing.assert_allclose(runner.predict(x), expected, atol=1e-5)


@pytest.mark.parametrize("workload_name", ["mnist_mlp", "fraud", "mnist_cnn", "imdb_lstm"])
def test_runners_report_the_same_epoch_without_shuffle(workload_name):
    workload = workloads.WORKLOADS[workload_name]
    x, y = workload.load(ROWS_FOR.get(workload_name, ROWS))
    expert = _runner("torch_expert", workload).fit(x, y, epochs=1, shuffle=False)[0]
    names = ["torch_idiomatic"]
    if fit_throughput.lamina_problem() is None:
        names += ["lamina", "lamina_pydataset"]
    for name in names:
        other = _runner(name, workload).fit(x, y, epochs=1, shuffle=False)[0]
        assert other["loss"] == pytest.approx(expert["loss"], rel=2e-3), name
        assert other["acc"] == pytest.approx(expert["acc"], abs=2.0 / len(x)), name


def test_main_prints_tables_and_writes_json(tmp_path, capsys):
    output = tmp_path / "result.json"
    returned = fit_throughput.main([
        "--workloads", "fraud", "mnist_mlp", "--runners", "torch_expert", "torch_idiomatic",
        "--repeats", "2", "--epochs", "1", "--max-rows", "128",
        "--threads", str(torch.get_num_threads()), "--output", str(output)])
    written = json.loads(output.read_text())
    assert written == json.loads(json.dumps(returned))
    assert written["machine"]["torch"] == torch.__version__
    assert [entry["workload"] for entry in written["workloads"]] == ["fraud", "mnist_mlp"]
    for entry in written["workloads"]:
        assert entry["samples"] == 128 and entry["ratios"] == {}
        for row in entry["runners"].values():
            assert len(row["runs"]) == 2
            assert row["samples_per_s"] == pytest.approx(statistics.median(row["runs"]))
    printed = capsys.readouterr().out
    assert "fraud: 128 samples, batch 2000" in printed and "torch_idiomatic" in printed


def test_ratios_divide_lamina_by_each_peer(monkeypatch):
    class StandIn(fit_throughput.TorchExpert):  # plays lamina so ratios exist without it
        name = "lamina"

    monkeypatch.setitem(fit_throughput.RUNNERS, "lamina", StandIn)
    workload = workloads.WORKLOADS["mnist_mlp"]
    result = fit_throughput.benchmark_workload(
        workload, ["lamina", "torch_expert", "torch_idiomatic"], CPU, epochs=1, repeats=1,
        max_rows=ROWS, seed=0)
    rates = {name: row["samples_per_s"] for name, row in result["runners"].items()}
    for peer, target in [("torch_expert", 0.95), ("torch_idiomatic", 1.5)]:
        ratio = result["ratios"][f"lamina/{peer}"]
        assert ratio["value"] == pytest.approx(rates["lamina"] / rates[peer])
        assert ratio["target"] == target and ratio["met"] == (ratio["value"] >= target)
    table = fit_throughput.format_table(result, CPU, 2)
    assert "lamina/torch_idiomatic" in table and "target >= 1.50x" in table


def test_pydataset_runner_is_timed_against_the_array_runner(monkeypatch):
    class ArrayStandIn(fit_throughput.TorchExpert):  # stand-ins: ratios exist without lamina
        name = "lamina"

    class PyDatasetStandIn(fit_throughput.TorchIdiomatic):
        name = "lamina_pydataset"

    monkeypatch.setitem(fit_throughput.RUNNERS, "lamina", ArrayStandIn)
    monkeypatch.setitem(fit_throughput.RUNNERS, "lamina_pydataset", PyDatasetStandIn)
    result = fit_throughput.benchmark_workload(
        workloads.WORKLOADS["mnist_mlp"], ["lamina", "lamina_pydataset"], CPU, epochs=1,
        repeats=2, max_rows=ROWS, seed=0)
    runs = {name: row["runs"] for name, row in result["runners"].items()}
    ratio = result["ratios"]["lamina_pydataset/lamina"]
    expected = [a / b for a, b in zip(runs["lamina_pydataset"], runs["lamina"])]
    assert ratio["paired"] == pytest.approx(expected)
    assert ratio["value"] == pytest.approx(statistics.median(expected))
    assert ratio["target"] == 0.8 and ratio["met"] == (ratio["value"] >= 0.8)
    assert "lamina_pydataset/lamina" in fit_throughput.format_table(result, CPU, 2)


def test_lamina_runner_explains_a_missing_package(monkeypatch):
    monkeypatch.setitem(sys.modules, "lamina", types.ModuleType("lamina"))
    workload = workloads.WORKLOADS["fraud"]
    with pytest.raises(RuntimeError, match="`lamina.Sequential` does not exist yet"):
        fit_throughput.Lamina(workload, workloads.initial_weights(workload), CPU)


@pytest.mark.parametrize("text", ["0", "-2", "two"])
def test_positive_int_rejects_other_values(text):
    with pytest.raises(argparse.ArgumentTypeError, match="expected a positive integer"):
        fit_throughput.positive_int(text)
