"""End to end in a real browser: train an MNIST MLP, save it, run `lamina serve` in a
subprocess, open the page in headless Chromium (Playwright), draw a "1" and a "0" with the
mouse, and read the predicted digits from the page. Screenshots are saved and their paths
printed (into `$LAMINA_TEST_ARTIFACTS` when set, else pytest's temporary directory)."""

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import numpy as np
import pytest
import torch

REPO = Path(__file__).resolve().parents[2]
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


def _chromium():
    for candidate in (os.environ.get("LAMINA_CHROMIUM"), shutil.which("chromium"),
                      shutil.which("chromium-browser"), shutil.which("google-chrome"),
                      "/usr/bin/chromium"):
        if candidate and os.path.isfile(candidate) and os.access(candidate, os.X_OK):
            return candidate
    return None


def _trained_mnist_model(tmp_path, monkeypatch):
    """A 784-128-10 MLP, 2 epochs on MNIST (about 96% test accuracy), saved as `.keras`."""
    import lamina as keras

    home = tmp_path / "keras"
    (home / "datasets").mkdir(parents=True)
    shutil.copyfile(REPO / "examples" / "data" / "mnist.npz", home / "datasets" / "mnist.npz")
    monkeypatch.setenv("KERAS_HOME", str(home))
    (x_train, y_train), (x_test, y_test) = keras.datasets.mnist.load_data()
    x_train = x_train.reshape(-1, 784).astype("float32") / 255
    x_test = x_test.reshape(-1, 784).astype("float32") / 255
    model = keras.Sequential([keras.Input(shape=(784,)),
                              keras.layers.Dense(128, activation="relu"),
                              keras.layers.Dense(10, activation="softmax")], name="mnist_mlp")
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["acc"])
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # small matmuls: on a busy machine, 2 threads thrash (10x slower)
    try:
        model.fit(x_train, y_train, batch_size=128, epochs=2, verbose=0)
        _, accuracy = model.evaluate(x_test, y_test, verbose=0)
    finally:
        torch.set_num_threads(threads)
    path = tmp_path / "mnist_mlp.keras"
    model.save(path)
    return path, accuracy


def _free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _start_server(model_path, port):
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": os.pathsep.join(
        [str(REPO / "src"), os.environ.get("PYTHONPATH", "")])}
    process = subprocess.Popen(
        [sys.executable, "-m", "lamina.cli", "serve", str(model_path), "--port", str(port),
         "--log-level", "warning"], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if process.poll() is not None:
            with process.stdout:
                raise RuntimeError(f"`lamina serve` exited: {process.stdout.read().decode()}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2):
                return process
        except OSError:
            time.sleep(0.25)
    process.kill()
    process.wait()
    process.stdout.close()
    raise RuntimeError("`lamina serve` did not answer /healthz within 90 s")


def _stroke(page, points):
    page.mouse.move(*points[0])
    page.mouse.down()
    for point in points[1:]:
        page.mouse.move(*point, steps=2)
    page.mouse.up()


def _read_prediction(page):
    page.wait_for_selector('#prediction[data-ready="true"]', timeout=15000)
    return page.locator("#prediction").inner_text()


@pytest.mark.slow
def test_draw_digits_in_chromium(tmp_path, monkeypatch):
    sync_api = pytest.importorskip("playwright.sync_api",
                                   reason="Playwright is not installed (pip install playwright)")
    executable = _chromium()
    if executable is None:
        pytest.skip("No Chromium executable found (looked for $LAMINA_CHROMIUM, chromium, "
                    "chromium-browser, google-chrome); Playwright cannot download one here.")
    started = time.monotonic()
    model_path, accuracy = _trained_mnist_model(tmp_path, monkeypatch)
    print(f"\nTrained to {accuracy:.4f} test accuracy in {time.monotonic() - started:.1f} s")
    assert accuracy >= 0.95
    artifacts = Path(os.environ.get("LAMINA_TEST_ARTIFACTS", tmp_path))
    artifacts.mkdir(parents=True, exist_ok=True)
    port = _free_port()
    started = time.monotonic()
    server = _start_server(model_path, port)
    print(f"`lamina serve` answered after {time.monotonic() - started:.1f} s")
    problems = []
    try:
        with sync_api.sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
            page.on("console", lambda m: m.type == "error" and problems.append(m.text))
            page.goto(f"http://127.0.0.1:{port}/")
            page.wait_for_selector("#draw:not([hidden])")
            assert page.locator("#model-name").inner_text() == "mnist_mlp"
            assert "Total params: 101,770" in page.locator("#summary").inner_text()

            box = page.locator("#canvas").bounding_box()
            cx, cy = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
            # "1": one vertical stroke, 70% of the canvas tall.
            _stroke(page, [(cx, box["y"] + 0.15 * box["height"]),
                           (cx, box["y"] + 0.85 * box["height"])])
            one = _read_prediction(page)
            page.screenshot(path=str(artifacts / "draw_one.png"), full_page=True)

            page.click("#clear")
            assert page.locator("#prediction").inner_text() == ""
            # "0": an upright ellipse, drawn as one closed stroke.
            angles = np.linspace(0, 2 * np.pi, 48)
            rx, ry = 0.22 * box["width"], 0.32 * box["height"]
            _stroke(page, [(cx + rx * np.sin(a), cy - ry * np.cos(a)) for a in angles])
            zero = _read_prediction(page)
            page.screenshot(path=str(artifacts / "draw_zero.png"), full_page=True)
            bars = page.locator("#bars .bar").count()
            browser.close()
    finally:
        server.terminate()
        server.wait(timeout=30)
        server.stdout.close()
    print(f"\nScreenshots: {artifacts / 'draw_one.png'} and {artifacts / 'draw_zero.png'}")
    assert (one, zero) == ("1", "0")
    assert bars == 10
    assert problems == []


@pytest.mark.slow
def test_form_for_other_models_in_chromium(tmp_path):
    """A two-input model gets a form built from its input spec; its answer is shown."""
    import json
    import threading

    import lamina as keras
    from lamina.serve import create_app

    sync_api = pytest.importorskip("playwright.sync_api",
                                   reason="Playwright is not installed (pip install playwright)")
    executable = _chromium()
    if executable is None:
        pytest.skip("No Chromium executable found (looked for $LAMINA_CHROMIUM, chromium, "
                    "chromium-browser, google-chrome); Playwright cannot download one here.")
    uvicorn = pytest.importorskip("uvicorn", reason="the page needs the [serve] extra")
    a, b = keras.Input(shape=(2,), name="a"), keras.Input(shape=(3,), name="b")
    model = keras.Model([a, b], keras.layers.Dense(2)(keras.layers.Concatenate()([a, b])),
                        name="two_inputs")
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(model), host="127.0.0.1", port=port,
                                           log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)  # no signal handlers off main
    thread.start()
    try:
        while not server.started:
            time.sleep(0.05)
        with sync_api.sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
            page = browser.new_page()
            page.goto(f"http://127.0.0.1:{port}/")
            page.wait_for_selector("#form-card:not([hidden])")
            assert page.locator("#draw").is_hidden()
            assert page.locator("#input-0").input_value() == "[[0,0]]"  # zeros of (1, 2)
            page.fill("#input-0", "[[1, 2]]")
            page.fill("#input-1", "[[3, 4, 5]]")
            page.click("#form button[type=submit]")
            page.wait_for_selector("#outputs:not(:empty)")
            shown = json.loads(page.locator("#outputs").inner_text())
            page.fill("#input-1", "[[3, 4]]")  # wrong shape: the server's message is shown
            page.click("#form button[type=submit]")
            page.wait_for_selector("#error:not([hidden])")
            error = page.locator("#error").inner_text()
            page.screenshot(path=str(tmp_path / "form.png"), full_page=True)
            browser.close()
    finally:
        server.should_exit = True
        thread.join(30)
    expected = model.predict({"a": np.array([[1.0, 2.0]]), "b": np.array([[3.0, 4.0, 5.0]])},
                             verbose=0)
    np.testing.assert_allclose(shown["outputs"], expected, rtol=1e-6)
    assert error.startswith("422: Input 'b' expects an array of shape (batch, 3)")
    print(f"\nScreenshot: {tmp_path / 'form.png'}")
