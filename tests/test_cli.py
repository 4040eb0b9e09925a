"""The `lamina` command: summary, predict, serve's arguments, demo."""

import numpy as np
import pytest
import torch

import lamina as keras
from lamina import cli
from lamina.cli import build_parser, main


@pytest.fixture
def saved(tmp_path):
    """A small softmax model saved as `.keras`."""
    model = keras.Sequential([keras.Input(shape=(4,)), keras.layers.Dense(3, activation="softmax")])
    model.save(tmp_path / "small.keras")
    return model, str(tmp_path / "small.keras")


@pytest.fixture
def two_outputs(tmp_path):
    a, b = keras.Input(shape=(2,), name="a"), keras.Input(shape=(3,), name="b")
    hidden = keras.layers.Concatenate()([a, b])
    model = keras.Model([a, b], [keras.layers.Dense(1, name="y")(hidden),
                                 keras.layers.Dense(2, name="z")(hidden)])
    model.save(tmp_path / "two.keras")
    return model, str(tmp_path / "two.keras")


def test_summary_prints_the_model_summary(saved, capsys):
    model, path = saved
    assert main(["summary", path]) == 0
    out = capsys.readouterr().out
    assert f'Model: "{model.name}"' in out and "Total params: 15 (60.00 B)" in out


def test_predict_prints_or_writes_outputs(saved, tmp_path, capsys):
    model, path = saved
    x = np.random.default_rng(0).normal(size=(5, 4)).astype("float32")
    np.save(tmp_path / "x.npy", x)
    expected = model.predict(x, verbose=0)
    assert main(["predict", path, str(tmp_path / "x.npy"), "--batch-size", "2"]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"{model.output_names[0]}: shape (5, 3), dtype float32\n")
    assert main(["predict", path, str(tmp_path / "x.npy"), "-o", str(tmp_path / "y.npy")]) == 0
    np.testing.assert_allclose(np.load(tmp_path / "y.npy"), expected, rtol=1e-6)
    assert "Wrote" in capsys.readouterr().out


def test_predict_named_inputs_and_several_outputs(two_outputs, tmp_path):
    model, path = two_outputs
    rng = np.random.default_rng(1)
    a, b = rng.normal(size=(3, 2)).astype("float32"), rng.normal(size=(3, 3)).astype("float32")
    np.savez(tmp_path / "x.npz", b=b, a=a)
    assert main(["predict", path, str(tmp_path / "x.npz"), "-o", str(tmp_path / "y.npz")]) == 0
    y, z = model.predict({"a": a, "b": b}, verbose=0)
    with np.load(tmp_path / "y.npz") as written:
        np.testing.assert_allclose(written["y"], y, rtol=1e-6)
        np.testing.assert_allclose(written["z"], z, rtol=1e-6)


@pytest.mark.parametrize("arguments, message", [
    (["x.txt"], r"INPUT must be a .npy or .npz file. Received: '.*x.txt'"),
    (["only_a.npz"], (r"must hold one array per model input, named \['a', 'b'\]. Received "
                      r"arrays: \['a'\] \(missing \['b'\]\)")),
    (["both.npz", "-o", "out.npy"], (r"The model has 2 outputs \(\['y', 'z'\]\); write them to "
                                     r"an .npz file")),
    (["both.npz", "-o", "out.csv"], r"-o must name a .npy or .npz file. Received: '.*out.csv'"),
    (["missing.npy"], r"No such file or directory"),
])
def test_predict_errors_exit_1_with_a_message(two_outputs, tmp_path, capsys, arguments, message):
    import re

    _, path = two_outputs
    np.savez(tmp_path / "only_a.npz", a=np.zeros((1, 2), "float32"))
    np.savez(tmp_path / "both.npz", a=np.zeros((1, 2), "float32"), b=np.zeros((1, 3), "float32"))
    (tmp_path / "x.txt").write_text("1 2")
    args = [str(tmp_path / a) if i == 0 or a.startswith("out") else a
            for i, a in enumerate(arguments)]
    assert main(["predict", path, *args]) == 1
    err = capsys.readouterr().err
    assert err.startswith("lamina predict: error: ") and re.search(message, err), err


def test_unsafe_model_file_is_refused(tmp_path, capsys):
    model = keras.Sequential([keras.Input(shape=(3,)), keras.layers.Lambda(lambda t: t + 1)])
    model.save(tmp_path / "lambda.keras")
    assert main(["summary", str(tmp_path / "lambda.keras")]) == 1
    assert "safe_mode=False" in capsys.readouterr().err


def test_serve_arguments_reach_serve_model(saved, monkeypatch):
    from lamina.serve import server

    calls = []
    monkeypatch.setattr(server, "serve_model", lambda model, **kw: calls.append((model, kw)))
    _, path = saved
    assert main(["serve", path]) == 0
    assert calls[-1][1] == {"host": "127.0.0.1", "port": 8000, "max_batch_size": 32,
                            "batch_window_ms": 2.0, "batching": True,
                            "max_body_bytes": 8 * 1024 * 1024, "log_level": "info"}
    threads = torch.get_num_threads()
    try:
        assert main(["serve", path, "--host", "0.0.0.0", "--port", "9000", "--max-batch-size",
                     "64", "--batch-window-ms", "0.5", "--no-batching", "--max-body-size",
                     "512KiB", "--log-level", "warning", "--torch-threads", "1"]) == 0
        assert torch.get_num_threads() == 1
    finally:
        torch.set_num_threads(threads)
    assert calls[-1][1] == {"host": "0.0.0.0", "port": 9000, "max_batch_size": 64,
                            "batch_window_ms": 0.5, "batching": False, "max_body_bytes": 524288,
                            "log_level": "warning"}
    assert isinstance(calls[-1][0], keras.Model)


@pytest.mark.parametrize("arguments, message", [
    (["--port", "70000"], r"argument --port: expected a port from 0 to 65535. Received: '70000'"),
    (["--port", "http"], r"argument --port: expected an integer. Received: 'http'"),
    (["--max-batch-size", "0"], r"expected a positive integer. Received: '0'"),
    (["--batch-window-ms", "-1"], r"expected milliseconds from 0 to 1000. Received: '-1'"),
    (["--batch-window-ms", "soon"], r"expected milliseconds from 0 to 1000. Received: 'soon'"),
    (["--max-body-size", "8 parsecs"], r"expected a positive size such as 8MiB"),
    (["--max-body-size", "0"], r"expected a positive size such as 8MiB"),
])
def test_serve_rejects_bad_arguments(capsys, arguments, message):
    import re

    with pytest.raises(SystemExit) as exit_info:
        build_parser().parse_args(["serve", "m.keras", *arguments])
    assert exit_info.value.code == 2
    assert re.search(message, capsys.readouterr().err)


def test_size_units():
    parser = build_parser()
    for text, expected in (("1048576", 1048576), ("8M", 8 << 20), ("512k", 512 << 10),
                           ("2MB", 2 << 20), ("100b", 100)):
        assert parser.parse_args(["serve", "m", "--max-body-size", text]).max_body_size == expected


def test_a_command_is_required(capsys):
    with pytest.raises(SystemExit):
        main([])
    assert "the following arguments are required: COMMAND" in capsys.readouterr().err


def test_demo_saves_and_serves_the_trained_model(tmp_path, monkeypatch, capsys):
    from lamina import demo
    from lamina.serve import server

    model = keras.Sequential([keras.Input(shape=(784,)), keras.layers.Dense(10)])
    trained, served = [], []
    monkeypatch.setattr(demo, "train_mnist_mlp", lambda epochs: trained.append(epochs)
                        or (model, 0.5))
    monkeypatch.setattr(server, "serve_model", lambda model, **kw: served.append((model, kw)))
    out_path = tmp_path / "mnist.keras"
    assert main(["demo", "--epochs", "3", "--save", str(out_path), "--serve",
                 "--port", "8765"]) == 0
    assert trained == [3] and served == [(model, {"host": "127.0.0.1", "port": 8765})]
    assert f"Saved the model to {out_path}" in capsys.readouterr().out
    loaded = keras.saving.load_model(out_path)
    np.testing.assert_array_equal(loaded.get_weights()[0], model.get_weights()[0])


@pytest.mark.slow
def test_demo_trains_the_tutorial_mlp(capsys):
    from lamina.demo import train_mnist_mlp

    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # small matmuls: on a busy machine, 2 threads thrash
    try:
        model, accuracy = train_mnist_mlp(epochs=1, verbose=0)
    finally:
        torch.set_num_threads(threads)
    out = capsys.readouterr().out
    assert "Copied the repository's MNIST into" in out  # the tests' private Keras cache
    assert "Total params: 795,010" in out and f"test accuracy: {accuracy:.4f}" in out
    assert accuracy >= 0.95 and model.count_params() == 795010


def test_serve_gives_torch_half_the_cores_by_default(monkeypatch):
    monkeypatch.setattr(cli.os, "cpu_count", lambda: 8)
    assert cli.default_torch_threads() == 4
    monkeypatch.setattr(cli.os, "cpu_count", lambda: 1)
    assert cli.default_torch_threads() == 1
    monkeypatch.setattr(cli.os, "cpu_count", lambda: None)  # unknown: as on 2 cores
    assert cli.default_torch_threads() == 1
