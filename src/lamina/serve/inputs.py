"""Turn a `POST /v1/predict` body into checked numpy arrays, or a `RequestError` saying what was
expected and what was received.

The body is `{"inputs": ARRAY}` for a single-input model, `{"inputs": {"name": ARRAY, ...}}`
with one entry per input (any model), and optionally `"top_k"`. Every array carries the batch
dimension first, so one sample is `[sample]`.
"""

import json

import numpy as np

ALLOWED_KEYS = ("inputs", "top_k")
MAX_TOP_K = 1000


class RequestError(ValueError):
    """A request the service refuses; `status` is the HTTP status code to answer with."""

    def __init__(self, status, message):
        super().__init__(message)
        self.status = status
        self.message = message


def parse_request(body, spec):
    """Parse and check a predict request.

    Args:
        body: The request body, `bytes`.
        spec: The model's `ModelSpec`.

    Returns:
        `(arrays, top_k)`: one numpy array per model input (in `spec.inputs` order, cast to
        each input's wire dtype, all with the same number of samples) and the requested
        number of top classes (`None` when not given).

    Raises:
        RequestError: 400 for a body that is not JSON; 422 for JSON that does not fit the model.

    Example:
    >>> import lamina as keras
    >>> from lamina.serve.spec import describe
    >>> inputs = keras.Input(shape=(2,))
    >>> spec = describe(keras.Model(inputs, keras.layers.Dense(1)(inputs)))
    >>> arrays, top_k = parse_request(b'{"inputs": [[1, 2.5]]}', spec)
    >>> arrays[0].dtype, arrays[0].tolist(), top_k
    (dtype('float32'), [[1.0, 2.5]], None)
    """
    payload = _load_json(body)
    if not isinstance(payload, dict):
        raise RequestError(422, 'The request body must be a JSON object such as '
                                f'{{"inputs": [...]}}. Received: a JSON {_json_kind(payload)}.')
    unknown = [key for key in payload if key not in ALLOWED_KEYS]
    if unknown or "inputs" not in payload:
        raise RequestError(422, f'The request body takes the keys {list(ALLOWED_KEYS)} '
                                f'("inputs" required). Received keys: {list(payload)}.')
    top_k = _check_top_k(payload.get("top_k"))
    values = _by_input(payload["inputs"], spec)
    arrays = [to_array(value, input_spec) for value, input_spec in zip(values, spec.inputs)]
    counts = {s.name: len(a) for s, a in zip(spec.inputs, arrays)}
    if len(set(counts.values())) > 1:
        raise RequestError(422, "All inputs must have the same number of samples. Received: "
                                + ", ".join(f"{name}={n}" for name, n in counts.items()) + ".")
    return arrays, top_k


def to_array(value, spec):
    """One input's JSON value as a numpy array of `spec.wire_dtype`, checked against `spec`.

    Raises:
        RequestError: 422 when the value is not a rectangular nested list of finite numbers
            of the input's rank, fixed dimensions and dtype.
    """
    where = f"Input '{spec.name}'"
    expected = f"an array of shape {spec.shape_text()} with {spec.dtype_name} values"
    if not isinstance(value, list):
        raise RequestError(422, f"{where} expects {expected} (a nested JSON list, batch "
                                f"first). Received: a JSON {_json_kind(value)}.")
    try:
        array = np.array(value)
    except (ValueError, OverflowError) as error:  # ragged lists, integers beyond int64
        raise RequestError(422, f"{where} expects {expected}: a rectangular nested list of "
                                "numbers, every row the same length. Received: a ragged list "
                                f"({error}).") from error
    kind = array.dtype.kind
    if kind not in "iuf" and not (kind == "b" and spec.wire_dtype.kind == "b"):
        raise RequestError(422, f"{where} expects {expected}. Received: "
                                f"{_content_text(array)}.")
    if len(array) == 0:
        raise RequestError(422, f"{where} expects {expected} and at least one sample. "
                                f"Received: an array of shape {array.shape}.")
    if spec.shape is not None:
        _check_shape(array, spec, where, expected)
    return _cast(array, spec, where)


def _check_shape(array, spec, where, expected):
    if array.ndim != len(spec.shape):
        hint = ""
        if array.ndim == len(spec.shape) - 1:
            hint = ' Every array starts with the batch dimension: send one sample as [sample].'
        raise RequestError(422, f"{where} expects {expected} (rank {len(spec.shape)}). "
                                f"Received: an array of shape {array.shape} (rank "
                                f"{array.ndim}).{hint}")
    wrong = [i for i, (got, want) in enumerate(zip(array.shape[1:], spec.shape[1:]), start=1)
             if want is not None and got != want]
    if wrong:
        raise RequestError(422, f"{where} expects {expected}. Received: an array of shape "
                                f"{array.shape} (axis {wrong[0]} has size "
                                f"{array.shape[wrong[0]]}, expected {spec.shape[wrong[0]]}).")


def _cast(array, spec, where):
    target = spec.wire_dtype
    if target.kind == "f":
        if array.dtype.kind == "f":
            _check_finite(array, where, "finite numbers")
        with np.errstate(over="ignore"):  # values too large become inf, reported just below
            cast = array.astype(target)
        _check_finite(cast, where, f"numbers that fit in {spec.dtype_name}")
        return cast
    if target.kind in "iu":
        if array.dtype.kind == "f":
            fractional = np.argwhere(~np.isfinite(array) | (array != np.round(array)))
            if len(fractional):
                index = tuple(int(i) for i in fractional[0])
                raise RequestError(422, f"{where} expects integers ({spec.dtype_name}). "
                                        f"Received: {array[index].item()!r} at index {index}.")
        info = np.iinfo(target)
        outside = np.argwhere((array < info.min) | (array > info.max))
        if len(outside):
            index = tuple(int(i) for i in outside[0])
            raise RequestError(422, f"{where} expects integers from {info.min} to {info.max} "
                                    f"({spec.dtype_name}). Received: {array[index].item()!r} at "
                                    f"index {index}.")
    return array.astype(target)


def _check_finite(array, where, what):
    bad = np.argwhere(~np.isfinite(array))
    if len(bad):
        index = tuple(int(i) for i in bad[0])
        raise RequestError(422, f"{where} expects {what}. Received: {array[index].item()!r} at "
                                f"index {index}.")


def _by_input(inputs, spec):
    """The JSON value of each model input, in `spec.inputs` order."""
    names = spec.input_names()
    if isinstance(inputs, dict):
        missing = [name for name in names if name not in inputs]
        extra = [key for key in inputs if key not in names]
        if missing or extra:
            raise RequestError(422, f'"inputs" must name the model\'s inputs {names}. Received '
                                    f"names: {list(inputs)} (missing {missing}, unknown {extra}).")
        return [inputs[name] for name in names]
    if len(names) > 1:
        raise RequestError(422, f"The model takes {len(names)} inputs; send them by name: "
                                '{"inputs": {' + ", ".join(f'"{n}": [...]' for n in names)
                                + "}}. Received: a JSON " + _json_kind(inputs) + ".")
    return [inputs]


def _check_top_k(value):
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_TOP_K:
        raise RequestError(422, f'"top_k" must be an integer from 1 to {MAX_TOP_K}. '
                                f"Received: top_k={value!r} (of type {type(value).__name__}).")
    return value


def _load_json(body):
    try:
        return json.loads(body, parse_constant=_reject_constant)
    except (ValueError, RecursionError) as error:  # JSONDecodeError and UnicodeDecodeError
        raise RequestError(400, f"The request body is not valid JSON: {error}.") from error


def _reject_constant(name):
    raise ValueError(f"{name} is not a JSON number; send finite numbers only")


def _json_kind(value):
    kinds = {dict: "object", list: "array", str: "string", bool: "boolean", type(None): "null"}
    return kinds.get(type(value), "number")


def _content_text(array):
    kind = array.dtype.kind
    if kind == "b":
        return "booleans (true/false)"
    if kind in "US":
        return f"strings ({str(array.flat[0])!r}...)"
    return "null, objects, integers beyond 64 bits or mixed values"
