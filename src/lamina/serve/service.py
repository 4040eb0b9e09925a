"""`PredictionService`: a model, its `ModelSpec`, a `DynamicBatcher` and the JSON it answers with.

This is everything the HTTP layer (`app.py`) needs, without HTTP: tests and other front ends
can use it directly.
"""

import numpy as np
import torch

from lamina import config
from lamina.layers.keras_tensor import flatten
from lamina.serve.batching import DynamicBatcher
from lamina.serve.spec import describe

DEFAULT_TOP_K = 5
# Rows of an output with no known activation count as probabilities when they sum to 1 +- this.
PROBABILITY_TOLERANCE = 1e-3


class PredictionService:
    """Runs a lamina model for the prediction service.

    Args:
        model: A built lamina `Model` (functional, `Sequential`, or subclassed and built).
        max_batch_size: See `DynamicBatcher`. Defaults to 32.
        batch_window_ms: See `DynamicBatcher`. Defaults to 2.
        batching: Whether concurrent requests share model calls. Defaults to `True`.

    Example:
    >>> import numpy as np, lamina as keras
    >>> inputs = keras.Input(shape=(3,))
    >>> model = keras.Model(inputs, keras.layers.Softmax()(inputs))
    >>> service = PredictionService(model)
    >>> outputs = service.predict([np.array([[0.0, 0.0, 1.0]], "float32")]).result()
    >>> answer = service.to_json(outputs, top_k=1)
    >>> answer["top"][0][0]["class"], round(answer["top"][0][0]["probability"], 4)
    (2, 0.5761)
    >>> service.close()
    """

    def __init__(self, model, max_batch_size=32, batch_window_ms=2.0, batching=True):
        self.model = model
        self.spec = describe(model)
        self.summary = _summary_text(model)
        self._device = next((p.device for p in model.parameters()), config.device())
        self.batcher = DynamicBatcher(self._predict_batch, max_batch_size=max_batch_size,
                                      batch_window_ms=batch_window_ms, enabled=batching)

    def predict(self, arrays):
        """Queue checked input arrays (see `inputs.parse_request`); a `Future` of the outputs."""
        return self.batcher.submit(arrays)

    def close(self):
        self.batcher.close()

    def _predict_batch(self, arrays):
        """Run on the batcher's thread: numpy in, numpy out, under `torch.inference_mode`."""
        tensors = [torch.from_numpy(array).to(self._device, spec.dtype)
                   for array, spec in zip(arrays, self.spec.inputs)]
        if self.spec.input_structure == "single":
            x = tensors[0]
        else:
            x = dict(zip(self.spec.input_names(), tensors))
        with torch.inference_mode():
            outputs = self.model.predict_step((x,))
            # host sync: each answer goes back to its client as numbers
            return [t.to("cpu", torch.float32 if t.dtype == torch.bfloat16 else t.dtype).numpy()
                    for t in flatten(outputs)]

    def output_names(self, count):
        names = [spec.name for spec in self.spec.outputs]
        if len(names) != count:  # a subclassed model: known only from what it returned
            names = ["output"] if count == 1 else [f"output_{i}" for i in range(count)]
        return names

    def to_json(self, outputs, top_k=None):
        """The response body for one request's `outputs` (numpy arrays, batch first).

        `outputs` is the single output as nested lists, or a dict by output name; `top` (the
        same structure, one list of `{"class", "probability"}` per sample, most probable
        first) is added for outputs that hold class probabilities.
        """
        names = self.output_names(len(outputs))
        known = {spec.name: spec.probabilities for spec in self.spec.outputs}
        values, tops = {}, {}
        for name, array in zip(names, outputs):
            values[name] = _to_list(array)
            if _holds_probabilities(array, known.get(name, False)):
                tops[name] = _top_classes(array, top_k)
        if len(names) == 1:
            body = {"outputs": values[names[0]]}
            if tops:
                body["top"] = tops[names[0]]
            return body
        body = {"outputs": values}
        if tops:
            body["top"] = tops
        return body

    def info(self):
        """The `GET /v1/model` body."""
        spec = self.spec
        outputs = [{**s.to_json(), "probabilities": s.probabilities} for s in spec.outputs]
        return {
            "name": spec.name,
            "inputs": [s.to_json() for s in spec.inputs],
            "outputs": outputs,
            "summary": self.summary,
            "image": spec.image,
            "image_classifier": spec.image_classifier,
            "batching": {"enabled": self.batcher.enabled,
                         "max_batch_size": self.batcher.max_batch_size,
                         "batch_window_ms": self.batcher.batch_window_ms},
        }


def _summary_text(model):
    lines = []
    model.summary(print_fn=lines.append)
    return "\n".join(lines)


def _to_list(array):
    """Nested lists for JSON; non-finite values (which JSON cannot hold) become `null`."""
    if array.dtype.kind == "f" and not np.isfinite(array).all():
        return np.where(np.isfinite(array), array.astype(np.float64), None).tolist()
    return array.tolist()


def _holds_probabilities(array, ends_in_probabilities):
    """Softmax or sigmoid outputs, or rows of non-negative values summing to 1."""
    if array.ndim != 2 or array.dtype.kind != "f":
        return False
    if ends_in_probabilities:
        return True
    return (array.shape[1] > 1 and bool((array >= 0).all())
            and bool(np.allclose(array.sum(axis=1), 1.0, atol=PROBABILITY_TOLERANCE)))


def _top_classes(array, top_k):
    """Per sample, the `top_k` most probable classes; one sigmoid unit is classes 0 and 1."""
    if array.shape[1] == 1:
        array = np.concatenate([1 - array, array], axis=1)
    k = min(top_k or DEFAULT_TOP_K, array.shape[1])
    order = np.argsort(-array, axis=1, kind="stable")[:, :k]
    return [[{"class": int(c), "probability": float(row[c])} for c in classes]
            for row, classes in zip(array, order)]

