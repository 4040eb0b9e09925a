"""`serve_model` and `load_model_for_serving`: safe loading, uvicorn configuration, warnings."""

import pytest

import lamina as keras
from lamina.serve import load_model_for_serving, serve_model
from lamina.serve.server import is_loopback


def test_loading_is_safe_mode(tmp_path):
    model = keras.Sequential([keras.Input(shape=(3,)), keras.layers.Lambda(lambda t: t + 1)])
    model.save(tmp_path / "lambda.keras")
    with pytest.raises(ValueError, match=r"Python lambda.*safe_mode=False"):
        load_model_for_serving(tmp_path / "lambda.keras")


def test_loading_skips_the_optimizer(tmp_path, mlp):
    mlp.compile(optimizer="adam", loss="categorical_crossentropy")
    mlp.save(tmp_path / "mlp.keras")
    loaded = load_model_for_serving(tmp_path / "mlp.keras")
    assert not loaded.compiled
    for ours, theirs in zip(loaded.get_weights(), mlp.get_weights()):
        assert (ours == theirs).all()


@pytest.fixture
def uvicorn_runs(monkeypatch):
    """Replace `uvicorn.Server.run` by a recorder of the server's config."""
    uvicorn = pytest.importorskip("uvicorn", reason="`serve_model` needs the [serve] extra")

    seen = []
    monkeypatch.setattr(uvicorn.Server, "run", lambda server: seen.append(server.config))
    return seen


def test_serve_model_binds_loopback_by_default(mlp, uvicorn_runs, capsys):
    serve_model(mlp, port=8123, max_batch_size=4, batch_window_ms=3)
    (config,) = uvicorn_runs
    assert (config.host, config.port, config.server_header) == ("127.0.0.1", 8123, False)
    out = capsys.readouterr()
    assert out.out == (f"Serving model '{mlp.name}' at http://127.0.0.1:8123/ (batching up to 4 "
                       "samples within 3 ms). Press Ctrl-C to stop.\n")
    assert out.err == ""
    config.app.state.service.close()


def test_serve_model_warns_when_reachable_from_the_network(mlp, uvicorn_runs, capsys):
    serve_model(mlp, host="0.0.0.0", batching=False)
    out = capsys.readouterr()
    assert "(no batching)" in out.out
    assert out.err.startswith("Warning: binding 0.0.0.0 makes the model reachable from other "
                              "machines; the service has no authentication.")
    uvicorn_runs[0].app.state.service.close()


def test_serve_model_names_the_extra_without_uvicorn(mlp, monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "uvicorn", None)
    with pytest.raises(ImportError, match=r'pip install "lamina\[serve\]"'):
        serve_model(mlp)


@pytest.mark.parametrize("host, expected", [("127.0.0.1", True), ("127.0.0.2", True),
                                            ("::1", True), ("localhost", True),
                                            ("0.0.0.0", False), ("192.168.1.4", False),
                                            ("example.com", False)])
def test_is_loopback(host, expected):
    assert is_loopback(host) is expected
