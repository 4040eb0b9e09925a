"""The HTTP face of `PredictionService`: a FastAPI app.

Routes: `GET /` (the web page), `GET /v1/model`, `POST /v1/predict`, `GET /healthz`,
`GET /openapi.json` and `GET /docs` (an offline page rendered from the schema: FastAPI's own
docs page loads its scripts from a CDN, which a machine without network cannot reach).
"""

import asyncio
import contextlib
import logging
from importlib import resources

from lamina.serve.batching import BatcherClosedError
from lamina.serve.docs_page import render_docs
from lamina.serve.inputs import RequestError, parse_request
from lamina.serve.middleware import (
    DEFAULT_MAX_BODY_BYTES,
    BodySizeLimit,
    SecurityHeaders,
)
from lamina.serve.service import PredictionService

logger = logging.getLogger("lamina.serve")
# Bodies larger than this are parsed on a worker thread, so the event loop keeps serving.
PARSE_IN_THREAD_BYTES = 256 * 1024
ROUTES = ("GET /", "GET /v1/model", "POST /v1/predict", "GET /healthz", "GET /openapi.json",
          "GET /docs")
STATIC_FILES = {"app.js": "text/javascript; charset=utf-8", "style.css": "text/css; charset=utf-8"}


def create_app(model, max_batch_size=32, batch_window_ms=2.0, batching=True,
               max_body_bytes=DEFAULT_MAX_BODY_BYTES):
    """A FastAPI app serving `model`'s predictions and its web page.

    Args:
        model: A built lamina model, or a `PredictionService`.
        max_batch_size: Most samples run in one forward pass. Defaults to 32.
        batch_window_ms: How long a request waits for others to share its forward pass, in
            milliseconds. Defaults to 2.
        batching: Whether concurrent requests are batched together. Defaults to `True`.
        max_body_bytes: Largest accepted request body; larger ones get 413. Defaults to 8 MiB.

    Returns:
        A `fastapi.FastAPI` app; run it with any ASGI server (`lamina serve` uses uvicorn).
        Its worker thread stops when the app's lifespan ends (or with `app.state.service.close()`).

    Raises:
        ImportError: If FastAPI is not installed (`pip install "lamina[serve]"`).
        ValueError: If `max_body_bytes` is not a positive integer.
    """
    fastapi, responses = _import_fastapi()
    if isinstance(max_body_bytes, bool) or not isinstance(max_body_bytes, int) or (
            max_body_bytes < 1):
        raise ValueError("`create_app` expects `max_body_bytes` to be a positive integer. "
                         f"Received: max_body_bytes={max_body_bytes!r} (of type "
                         f"{type(max_body_bytes).__name__}).")
    from starlette.concurrency import run_in_threadpool
    from starlette.exceptions import HTTPException

    from lamina import __version__
    from lamina.serve import schemas

    if isinstance(model, PredictionService):
        service = model
    else:
        service = PredictionService(model, max_batch_size=max_batch_size,
                                    batch_window_ms=batch_window_ms, batching=batching)
    spec = service.spec
    JSONResponse = responses.JSONResponse

    def error(status, message):
        return JSONResponse({"detail": message}, status_code=status)

    files = {name: _static(name) for name in ("index.html", *STATIC_FILES)}  # read once

    @contextlib.asynccontextmanager
    async def lifespan(app):
        yield
        service.close()

    app = fastapi.FastAPI(
        title=f"lamina serve: {spec.name}", version=__version__, lifespan=lifespan,
        description="Predictions from a lamina model. Every array is batch first.",
        docs_url=None, redoc_url=None, openapi_url="/openapi.json")
    app.state.service = service
    errors = {code: {"model": schemas.ErrorBody, "description": text} for code, text in (
        (400, "Not JSON"), (413, "Body too large"), (415, "Not application/json"),
        (422, "JSON that does not fit the model's inputs"), (503, "Shutting down"))}

    @app.get("/", include_in_schema=False)
    async def index():
        return responses.HTMLResponse(files["index.html"],
                                      headers={"cache-control": "no-cache"})

    @app.get("/static/{filename}", include_in_schema=False)
    async def static(filename: str):
        if filename not in STATIC_FILES:
            raise HTTPException(404)
        return responses.Response(files[filename], media_type=STATIC_FILES[filename],
                                  headers={"cache-control": "no-cache"})

    @app.get("/docs", include_in_schema=False)
    async def docs():
        return responses.HTMLResponse(render_docs(app.openapi()))

    @app.get("/v1/model", response_model=schemas.ModelInfo, summary="Describe the model")
    async def model_info():
        """The model's name, inputs and outputs (shapes, dtypes) and summary text."""
        return service.info()

    @app.get("/healthz", response_model=schemas.Health, summary="Liveness",
             responses={503: {"model": schemas.Health}})
    async def healthz():
        """`ok` while the worker thread runs, with request and forward-pass counts."""
        alive = service.batcher.is_alive()
        body = {"status": "ok" if alive else "unavailable", "model": spec.name,
                "requests": service.batcher.requests_done,
                "model_calls": service.batcher.model_calls}
        return JSONResponse(body, status_code=200 if alive else 503)

    @app.post("/v1/predict", summary="Predict", response_model=schemas.PredictResponse,
              responses=errors, openapi_extra={"requestBody": schemas.request_body_schema(spec)})
    async def predict(request: fastapi.Request):
        """Run the model on a batch. Concurrent requests share forward passes."""
        content_type = request.headers.get("content-type", "")
        if content_type.split(";")[0].strip().lower() != "application/json":
            return error(415, "`POST /v1/predict` takes a JSON body with the header "
                              "`Content-Type: application/json`. Received: Content-Type="
                              f"{content_type or None!r}.")
        body = await request.body()
        try:
            if len(body) > PARSE_IN_THREAD_BYTES:
                arrays, top_k = await run_in_threadpool(parse_request, body, spec)
            else:
                arrays, top_k = parse_request(body, spec)
        except RequestError as refused:
            return error(refused.status, refused.message)
        try:
            outputs = await asyncio.wrap_future(service.predict(arrays))
        except BatcherClosedError as closed:
            return error(503, str(closed))
        except Exception as failure:  # noqa: BLE001 - the model refused this input: say why
            logger.warning("The model failed on a request: %s: %s", type(failure).__name__,
                           failure)
            return error(422, "The model could not run on this input: "
                              f"{type(failure).__name__}: {failure}")
        return JSONResponse(service.to_json(outputs, top_k))

    @app.exception_handler(HTTPException)
    async def http_error(request, exception):
        detail = exception.detail
        if exception.status_code == 404:
            detail = (f"Not found: {request.method} {request.url.path}. This service answers "
                      + ", ".join(ROUTES) + ".")
        elif exception.status_code == 405:
            allowed = {k.lower(): v for k, v in (exception.headers or {}).items()}.get("allow")
            detail = (f"{request.method} is not allowed on {request.url.path}. Allowed: "
                      f"{allowed or 'see /docs'}.")
        return JSONResponse({"detail": detail}, status_code=exception.status_code,
                            headers=exception.headers)

    app.add_middleware(BodySizeLimit, max_bytes=max_body_bytes)
    app.add_middleware(SecurityHeaders)  # added last: outermost, so 413 answers get it too
    return app


def _static(filename):
    return (resources.files("lamina.serve") / "static" / filename).read_bytes()


def _import_fastapi():
    try:
        import fastapi
        from fastapi import responses
    except ImportError as error:
        raise ImportError('`lamina serve` needs FastAPI and uvicorn. Install them with: '
                          'pip install "lamina[serve]"') from error
    return fastapi, responses
