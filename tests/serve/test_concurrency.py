"""Concurrent HTTP requests: fewer model calls than requests, each answer its own rows, mixed
shapes kept apart, a bad request failing alone."""

import asyncio

import numpy as np
import pytest

from lamina.serve import create_app

httpx = pytest.importorskip("httpx", reason="the concurrency tests post with httpx")
pytest.importorskip("fastapi", reason="the service tests need the [serve] extra (FastAPI)")


async def _post_all(app, bodies):
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        return await asyncio.gather(*(client.post("/v1/predict", json=b) for b in bodies))


def _serve_concurrently(model, bodies, **kwargs):
    app = create_app(model, **kwargs)
    try:
        responses = asyncio.run(_post_all(app, bodies))
    finally:
        app.state.service.close()
    return responses, app.state.service.batcher


def test_concurrent_requests_share_model_calls_and_get_their_own_rows(mlp):
    x = np.random.default_rng(2).random((16, 784), dtype=np.float32)
    # The batch closes as soon as its 16 samples are in (the long window is only a bound).
    responses, batcher = _serve_concurrently(
        mlp, [{"inputs": [row.tolist()]} for row in x], max_batch_size=16, batch_window_ms=1000)
    expected = mlp.predict(x, verbose=0)
    assert [r.status_code for r in responses] == [200] * 16
    assert batcher.model_calls == 1 and batcher.requests_done == 16
    for row, response in zip(expected, responses):
        np.testing.assert_allclose(response.json()["outputs"], [row], rtol=1e-6, atol=1e-7)


def test_without_batching_each_request_is_its_own_call(mlp):
    x = np.random.default_rng(3).random((4, 784), dtype=np.float32)
    responses, batcher = _serve_concurrently(
        mlp, [{"inputs": [row.tolist()]} for row in x], batching=False)
    assert batcher.model_calls == 4
    for row, response in zip(mlp.predict(x, verbose=0), responses):
        np.testing.assert_allclose(response.json()["outputs"], [row], rtol=1e-6, atol=1e-7)


def test_sequences_of_different_lengths_are_run_apart():
    import lamina as keras

    inputs = keras.Input(shape=(None, 2))  # any length
    pooled = keras.layers.GlobalAveragePooling1D()(inputs)
    model = keras.Model(inputs, keras.layers.Dense(3)(pooled))
    rng = np.random.default_rng(4)
    samples = [rng.normal(size=(1, n, 2)).astype("float32") for n in (2, 3, 2, 4)]
    responses, batcher = _serve_concurrently(
        model, [{"inputs": s.tolist()} for s in samples], max_batch_size=4, batch_window_ms=1000)
    assert batcher.model_calls == 3  # lengths 2 (two requests together), 3 and 4
    for sample, response in zip(samples, responses):
        assert response.status_code == 200
        np.testing.assert_allclose(response.json()["outputs"], model.predict(sample, verbose=0),
                                   rtol=1e-6, atol=1e-7)


def test_a_request_the_model_refuses_fails_alone():
    import lamina as keras

    inputs = keras.Input(shape=(2,), dtype="int32")
    model = keras.Model(inputs, keras.layers.Embedding(5, 3)(inputs))
    bodies = [{"inputs": [[1, 2]]}, {"inputs": [[0, 9]]}, {"inputs": [[4, 3]]}]
    responses, batcher = _serve_concurrently(model, bodies, max_batch_size=3,
                                             batch_window_ms=1000)
    assert [r.status_code for r in responses] == [200, 422, 200]
    assert "expects indices in [0, input_dim) = [0, 5)" in responses[1].json()["detail"]
    for body, response in ((bodies[0], responses[0]), (bodies[2], responses[2])):
        expected = model.predict(np.array(body["inputs"], "int32"), verbose=0)
        np.testing.assert_allclose(response.json()["outputs"], expected, rtol=1e-6)
    assert batcher.model_calls == 4  # the shared call, then each request alone
