"""The HTTP service: answers equal `model.predict`, bad requests get 4xx with clear messages,
and the service keeps serving after them."""

import json

import numpy as np
import pytest

from tests.serve.conftest import client_for

JSON = {"content-type": "application/json"}


def test_predict_equals_model_predict(mlp):
    x = np.random.default_rng(0).random((3, 784), dtype=np.float32)
    with client_for(mlp) as client:
        response = client.post("/v1/predict", json={"inputs": x.tolist()})
    assert response.status_code == 200
    body = response.json()
    expected = mlp.predict(x, verbose=0)
    np.testing.assert_allclose(np.array(body["outputs"], np.float32), expected, rtol=1e-6,
                               atol=1e-7)
    # Softmax output: the top classes, most probable first, are the sorted probabilities.
    for row, top in zip(expected, body["top"]):
        order = np.argsort(-row, kind="stable")[:5]
        assert [t["class"] for t in top] == order.tolist()
        np.testing.assert_allclose([t["probability"] for t in top], row[order], rtol=1e-6)


def test_named_inputs_and_outputs_equal_model_predict(two_input_model):
    rng = np.random.default_rng(1)
    image = rng.normal(size=(2, 4, 4, 1)).astype("float32")
    meta = rng.normal(size=(2, 3)).astype("float32")
    with client_for(two_input_model) as client:
        response = client.post("/v1/predict", json={
            "inputs": {"meta": meta.tolist(), "image": image.tolist()}, "top_k": 2})
    assert response.status_code == 200
    body = response.json()
    score, label = two_input_model.predict({"image": image, "meta": meta}, verbose=0)
    assert set(body["outputs"]) == {"score", "label"}
    np.testing.assert_allclose(body["outputs"]["score"], score, rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(body["outputs"]["label"], label, rtol=1e-6, atol=1e-7)
    # Only the softmax head lists top classes; the linear head does not.
    assert list(body["top"]) == ["label"]
    assert [[t["class"] for t in top] for top in body["top"]["label"]] == \
        np.argsort(-label, axis=1, kind="stable")[:, :2].tolist()


def test_single_input_by_name_and_sigmoid_top():
    import lamina as keras

    inputs = keras.Input(shape=(2,), name="features")
    model = keras.Model(inputs, keras.layers.Dense(1, activation="sigmoid")(inputs))
    x = np.array([[0.5, -1.0]], "float32")
    with client_for(model) as client:
        body = client.post("/v1/predict", json={"inputs": {"features": x.tolist()}}).json()
    p = float(model.predict(x, verbose=0)[0, 0])
    # One sigmoid unit: class 1 with probability p, class 0 with 1 - p, the larger first.
    expected = sorted([(1, p), (0, 1 - p)], key=lambda item: -item[1])
    assert [(t["class"], pytest.approx(t["probability"], rel=1e-6)) for t in body["top"][0]] \
        == expected


def test_rows_summing_to_one_count_as_probabilities_without_softmax():
    import lamina as keras

    inputs = keras.Input(shape=(3,))
    model = keras.Model(inputs, keras.layers.Activation("relu")(inputs))  # not a softmax
    with client_for(model) as client:
        distribution = client.post("/v1/predict", json={"inputs": [[0.2, 0.5, 0.3]]}).json()
        other = client.post("/v1/predict", json={"inputs": [[1.0, 1.0, 1.0]]}).json()
    # Non-negative rows summing to 1 (within 1e-3) get top classes; other rows do not.
    assert [t["class"] for t in distribution["top"][0]] == [1, 2, 0]
    assert [t["probability"] for t in distribution["top"][0]] == pytest.approx([0.5, 0.3, 0.2])
    assert "top" not in other and other["outputs"] == [[1.0, 1.0, 1.0]]


def test_model_info_describes_inputs_outputs_and_summary(two_input_model, mlp):
    with client_for(two_input_model, max_batch_size=8, batch_window_ms=1.5) as client:
        info = client.get("/v1/model").json()
    assert info["inputs"] == [{"name": "image", "shape": [None, 4, 4, 1], "dtype": "float32"},
                              {"name": "meta", "shape": [None, 3], "dtype": "float32"}]
    assert [(o["name"], o["shape"], o["probabilities"]) for o in info["outputs"]] == [
        ("score", [None, 2], False), ("label", [None, 3], True)]
    assert info["image"] is None and info["image_classifier"] is False
    assert info["batching"] == {"enabled": True, "max_batch_size": 8, "batch_window_ms": 1.5}
    assert "Total params: 205" in info["summary"]  # (16+3)*8+8 + 8*2+2 + 8*3+3
    with client_for(mlp, batching=False) as client:
        info = client.get("/v1/model").json()
    assert info["image"] == {"height": 28, "width": 28, "layout": "flat"}
    assert info["image_classifier"] is True
    assert info["batching"]["enabled"] is False


@pytest.mark.parametrize("body, status, message", [
    (b"{not json", 400, r"not valid JSON: Expecting property name"),
    (b'{"inputs": [[NaN]]}', 400, r"NaN is not a JSON number"),
    (b'{"inputs": [[' + b"0, " * 783 + b'1e400]]}', 422,
     r"expects finite numbers. Received: inf at index \(0, 783\)"),
    (b"[1, 2]", 422, r"must be a JSON object .* Received: a JSON array"),
    (b'{"input": []}', 422,
     r"takes the keys \['inputs', 'top_k'\].*Received keys: \['input'\]"),
    (b'{"inputs": [[0.5, 0.5]]}', 422,
     (r"shape \(batch, 784\) with float32 values\. Received: an array of shape \(1, 2\) "
      r"\(axis 1 has size 2, expected 784\)")),
    (json.dumps({"inputs": [0.0] * 784}).encode(), 422,
     (r"\(rank 2\)\. Received: an array of shape \(784,\) \(rank 1\)\. Every array starts with "
      r"the batch dimension")),
    (b'{"inputs": [[1, 2], [3]]}', 422, r"rectangular nested list .* Received: a ragged list"),
    (b'{"inputs": [["a"]]}', 422, r"Received: strings \('a'"),
    (b'{"inputs": [[null]]}', 422, r"Received: null, objects"),
    (b'{"inputs": [[true]]}', 422, r"Received: booleans"),
    (b'{"inputs": []}', 422, r"at least one sample. Received: an array of shape \(0,\)"),
    (b'{"inputs": 3}', 422, r"nested JSON list, batch first\)\. Received: a JSON number"),
    (b'{"inputs": [[1]], "top_k": 0}', 422, r'"top_k" must be an integer from 1 to 1000'),
])
def test_bad_requests_get_4xx_and_the_next_request_works(mlp, body, status, message):
    import re

    with client_for(mlp) as client:
        response = client.post("/v1/predict", content=body, headers=JSON)
        assert response.status_code == status
        assert re.search(message, response.json()["detail"]), response.json()["detail"]
        good = client.post("/v1/predict", json={"inputs": [[0.0] * 784]})
        assert good.status_code == 200 and len(good.json()["outputs"][0]) == 10


def test_wrong_content_type_is_415(mlp):
    with client_for(mlp) as client:
        response = client.post("/v1/predict", content=b'{"inputs": [[0]]}',
                               headers={"content-type": "text/plain"})
    assert response.status_code == 415
    assert "Content-Type: application/json`. Received: Content-Type='text/plain'" in \
        response.json()["detail"]


def test_oversized_bodies_get_413_by_declared_and_streamed_size(mlp):
    big = b"[" + b"0," * 2000 + b"0]"
    with client_for(mlp, max_body_bytes=3500) as client:  # a good request is ~2.4 kB
        declared = client.post("/v1/predict", content=big, headers=JSON)
        assert declared.status_code == 413
        assert declared.json()["detail"] == (
            f"The request body is too large: at most 3500 bytes are accepted. Received: "
            f"{len(big)} bytes (Content-Length).")
        streamed = client.post("/v1/predict", content=iter([big[:3000], big[3000:]]),
                               headers=JSON)  # chunked: no Content-Length
        assert streamed.status_code == 413
        assert "at most 3500 bytes are accepted. Received: at least" in streamed.json()["detail"]
        bad_length = client.post("/v1/predict", content=b"{}",
                                 headers={**JSON, "content-length": "2x"})
        assert bad_length.status_code == 400
        assert "Content-Length header must be a whole number" in bad_length.json()["detail"]
        assert client.post("/v1/predict", json={"inputs": [[0] * 784]}).status_code == 200


def test_unknown_routes_and_methods(mlp):
    with client_for(mlp) as client:
        missing = client.get("/v2/predict")
        assert missing.status_code == 404
        assert missing.json()["detail"].startswith("Not found: GET /v2/predict. This service "
                                                   "answers GET /, GET /v1/model, POST /v1/predict")
        assert client.get("/static/../app.py").status_code == 404
        assert client.get("/static/secret.txt").status_code == 404
        wrong = client.get("/v1/predict")
        assert wrong.status_code == 405
        assert wrong.json()["detail"] == "GET is not allowed on /v1/predict. Allowed: POST."
        assert client.get("/healthz").json()["status"] == "ok"


def test_model_errors_are_422_for_that_request_only():
    import lamina as keras

    inputs = keras.Input(shape=(2,), dtype="int32")
    model = keras.Model(inputs, keras.layers.Embedding(5, 3)(inputs))
    with client_for(model) as client:
        bad = client.post("/v1/predict", json={"inputs": [[1, 7]]})  # index 7 of 5 rows
        assert bad.status_code == 422
        assert bad.json()["detail"].startswith("The model could not run on this input: "
                                               "ValueError: Layer 'embedding' (`Embedding`) "
                                               "expects indices in [0, input_dim) = [0, 5)")
        fractional = client.post("/v1/predict", json={"inputs": [[1, 2.5]]})
        assert fractional.status_code == 422
        assert "expects integers (int32). Received: 2.5 at index (0, 1)" in \
            fractional.json()["detail"]
        good = client.post("/v1/predict", json={"inputs": [[1, 4]]})
    assert good.status_code == 200
    np.testing.assert_allclose(good.json()["outputs"],
                               model.predict(np.array([[1, 4]], "int32"), verbose=0), rtol=1e-6)


def test_health_counts_requests_and_model_calls(mlp):
    with client_for(mlp) as client:
        for _ in range(3):
            client.post("/v1/predict", json={"inputs": [[0] * 784]})
        assert client.get("/healthz").json() == {"status": "ok", "model": mlp.name,
                                                 "requests": 3, "model_calls": 3}
        client.app.state.service.close()  # the worker is gone: unhealthy, and predict says so
        assert client.get("/healthz").status_code == 503
        closed = client.post("/v1/predict", json={"inputs": [[0] * 784]})
        assert closed.status_code == 503
        assert closed.json()["detail"] == "The prediction service is shutting down."


def test_openapi_and_offline_docs(mlp):
    with client_for(mlp) as client:
        schema = client.get("/openapi.json").json()
        docs = client.get("/docs")
    predict = schema["paths"]["/v1/predict"]["post"]
    example = predict["requestBody"]["content"]["application/json"]["example"]
    assert np.array(example["inputs"]).shape == (1, 784)
    assert {"200", "400", "413", "415", "422"} <= set(predict["responses"])
    assert set(schema["paths"]) == {"/v1/model", "/healthz", "/v1/predict"}
    assert docs.status_code == 200 and "<code>/v1/predict</code>" in docs.text
    assert "<script" not in docs.text and "cdn" not in docs.text.lower()


def test_page_and_static_files_are_self_contained(mlp):
    with client_for(mlp) as client:
        page = client.get("/")
        script = client.get("/static/app.js")
        style = client.get("/static/style.css")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert script.headers["content-type"].startswith("text/javascript")
    assert style.headers["content-type"].startswith("text/css")
    for marker in ('id="canvas"', 'id="prediction"', 'id="clear"', 'id="summary"', 'id="form"'):
        assert marker in page.text
    for response in (page, script, style):  # nothing from the network: no CDN, no fonts
        assert "http://" not in response.text and "https://" not in response.text
        assert response.headers["content-security-policy"].startswith("default-src 'self'")
        assert response.headers["x-content-type-options"] == "nosniff"


def test_create_app_checks_its_arguments(mlp):
    from lamina.serve import create_app

    with pytest.raises(ValueError, match=r"`create_app` expects `max_body_bytes` to be a positive "
                                         r"integer. Received: max_body_bytes=0 \(of type int\)"):
        create_app(mlp, max_body_bytes=0)


def test_missing_fastapi_names_the_extra(mlp, monkeypatch):
    import sys

    from lamina.serve import create_app

    monkeypatch.setitem(sys.modules, "fastapi", None)  # import fastapi now raises ImportError
    with pytest.raises(ImportError, match=r'pip install "lamina\[serve\]"'):
        create_app(mlp)
