"""Shared pieces of the service tests: small models and a TestClient for them."""

import contextlib
import warnings

import pytest


@contextlib.contextmanager
def client_for(model, **kwargs):
    """A TestClient of `create_app(model, **kwargs)`; its lifespan closes the batcher. Skips
    the test where the [serve] extra or httpx is missing."""
    pytest.importorskip("fastapi", reason="the service tests need the [serve] extra (FastAPI)")
    pytest.importorskip("httpx", reason="FastAPI's TestClient needs httpx")
    with warnings.catch_warnings():
        # Starlette 1.x prefers the `httpx2` package and warns, on import, when it finds httpx.
        warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
        from fastapi.testclient import TestClient

    from lamina.serve import create_app

    app = create_app(model, **kwargs)
    with TestClient(app) as client:
        yield client


@pytest.fixture
def mlp():
    """A 784-16-10 softmax MLP (an MNIST-shaped classifier)."""
    import lamina as keras

    return keras.Sequential([keras.Input(shape=(784,)), keras.layers.Dense(16, activation="relu"),
                             keras.layers.Dense(10, activation="softmax")])


@pytest.fixture
def two_input_model():
    """Inputs `image` (4, 4, 1) and `meta` (3,); outputs `score` (linear, 2) and `label`
    (softmax, 3)."""
    import lamina as keras

    image = keras.Input(shape=(4, 4, 1), name="image")
    meta = keras.Input(shape=(3,), name="meta")
    joined = keras.layers.Concatenate()([keras.layers.Flatten()(image), meta])
    hidden = keras.layers.Dense(8, activation="tanh")(joined)
    score = keras.layers.Dense(2, name="score")(hidden)
    label = keras.layers.Dense(3, activation="softmax", name="label")(hidden)
    return keras.Model([image, meta], [score, label])
