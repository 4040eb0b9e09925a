"""`lamina serve`: an HTTP prediction service for a lamina model, and its web page.

`create_app(model)` gives a FastAPI app (`GET /` page, `GET /v1/model`, `POST /v1/predict`,
`GET /healthz`, `/openapi.json`, `/docs`); `serve_model(model)` runs it with uvicorn;
`PredictionService` and `DynamicBatcher` are the parts without HTTP. FastAPI and uvicorn come
with the `[serve]` extra and are imported only when an app is made.
"""

from lamina.serve.app import create_app
from lamina.serve.batching import DynamicBatcher
from lamina.serve.server import load_model_for_serving, serve_model
from lamina.serve.service import PredictionService

__all__ = ["DynamicBatcher", "PredictionService", "create_app", "load_model_for_serving",
           "serve_model"]
