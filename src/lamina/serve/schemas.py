"""Pydantic models of the service's JSON, for its OpenAPI schema (`/openapi.json`, `/docs`).

Imported only by `create_app`, once FastAPI (and so pydantic) is known to be installed.
"""

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class TensorInfo(BaseModel):
    name: str = Field(description="The input's or output's name.")
    shape: list[int | None] | None = Field(
        description="Batch first; null where any size is accepted (null if unknown).")
    dtype: str = Field(description="Element type, e.g. float32.")


class OutputInfo(TensorInfo):
    probabilities: bool = Field(description="Whether it ends in softmax or sigmoid.")


class ImageInfo(BaseModel):
    height: int
    width: int
    layout: Literal["hw", "hwc", "chw", "flat"] = Field(
        description="(H, W), (H, W, 1), (1, H, W) or H*W values per sample.")


class BatchingInfo(BaseModel):
    enabled: bool
    max_batch_size: int
    batch_window_ms: float


class ModelInfo(BaseModel):
    name: str
    inputs: list[TensorInfo]
    outputs: list[OutputInfo]
    summary: str = Field(description="The text of `model.summary()`.")
    image: ImageInfo | None = Field(
        description="For one single-channel image input, its size and layout.")
    image_classifier: bool = Field(description="Whether the page's drawing canvas drives it.")
    batching: BatchingInfo


class TopClass(BaseModel):
    model_config = ConfigDict(populate_by_name=True)
    class_index: int = Field(alias="class")
    probability: float


class PredictResponse(BaseModel):
    outputs: Any = Field(description="The output as nested lists (batch first), or an object "
                                     "of them by output name for several outputs.")
    top: Any | None = Field(None, description="For class probabilities: per sample, the "
                                                 "most probable classes first (by output name "
                                                 "for several outputs).")


class Health(BaseModel):
    status: Literal["ok", "unavailable"]
    model: str
    requests: int = Field(description="Requests answered so far.")
    model_calls: int = Field(description="Forward passes run so far (fewer with batching).")


class ErrorBody(BaseModel):
    detail: str = Field(description="What was expected and what was received.")


def request_body_schema(spec):
    """The OpenAPI `requestBody` of `POST /v1/predict`, with an example of zeros for `spec`."""
    def sample(input_spec):
        dims = [] if input_spec.shape is None else [d or 1 for d in input_spec.shape[1:]]
        value = 0
        for size in reversed(dims):
            value = [value] * size
        return [value]

    if len(spec.inputs) == 1:
        example = {"inputs": sample(spec.inputs[0])}
    else:
        example = {"inputs": {s.name: sample(s) for s in spec.inputs}}
    names = ", ".join(f"{s.name} {s.shape_text()} {s.dtype_name}" for s in spec.inputs)
    return {
        "required": True,
        "content": {"application/json": {
            "schema": {
                "type": "object",
                "required": ["inputs"],
                "additionalProperties": False,
                "properties": {
                    "inputs": {
                        "description": f"Arrays for the model's inputs ({names}), batch first: "
                                       "one nested list for a single input, or an object of "
                                       "them by input name.",
                        "anyOf": [{"type": "array", "items": {}},
                                  {"type": "object", "additionalProperties": {
                                      "type": "array", "items": {}}}],
                    },
                    "top_k": {"type": "integer", "minimum": 1, "maximum": 1000,
                              "description": "How many top classes to list (default 5)."},
                },
            },
            "example": example,
        }},
    }
