"""What every data adapter shares: user containers to tensors, batch checks, class weights.

Arrays arrive as numpy arrays, torch tensors, pandas objects, Python lists, or lists/dicts of
these (several inputs or outputs). They become torch tensors: float64 to float32 (Keras'
`floatx`), the model's inputs to the dtype of their `Input`, sample weights to float32.
"""

import numbers

import numpy as np
import torch

from lamina import config
from lamina.layers.keras_tensor import flatten, map_structure

STREAM_KINDS = ("a generator or iterator, a `keras.utils.PyDataset`, a torch `DataLoader` or "
                "`Dataset`")


def is_pandas(value):
    return type(value).__module__.split(".")[0] == "pandas" and hasattr(value, "to_numpy")


def as_structure(value, argument):
    """Normalise containers: pandas to numpy, lists of numbers to arrays; keep lists/dicts of
    arrays (multiple inputs or outputs) as structures."""
    if value is None:
        return None
    if is_pandas(value):
        return value.to_numpy()
    if isinstance(value, dict):
        return {key: as_structure(item, argument) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        if value and all(isinstance(v, (np.ndarray, torch.Tensor)) or is_pandas(v)
                         for v in value):
            return [as_structure(item, argument) for item in value]
        return np.asarray(value)
    if isinstance(value, (np.ndarray, torch.Tensor)):
        return value
    raise TypeError(
        f"`{argument}` must be a numpy array, a torch tensor, a pandas object, a Python list, or "
        f"a list/dict of these; `x` may also be {STREAM_KINDS}. Received: {argument} of type "
        f"{type(value).__name__}."
    )


def to_tensor(value, argument, dtype=None, copy=False):
    """One array as a tensor (of `dtype` when given; float64 becomes float32).

    With `copy=True` the tensor never shares memory with a numpy `value`: a batch handed over
    by a generator stays valid even if the generator refills its buffer for the next one.
    """
    shared = False
    if isinstance(value, np.ndarray):
        if value.dtype.kind not in "biuf":
            raise TypeError(
                f"`{argument}` must hold numbers (bool, int or float). Received: {argument} with "
                f"dtype {value.dtype}. Convert it first, e.g. `np.asarray({argument}, "
                "dtype='float32')`."
            )
        if not value.flags.writeable:  # e.g. pandas' views; torch wants writable memory
            value = value.copy()
        tensor, shared = torch.from_numpy(np.ascontiguousarray(value)), True
    else:
        tensor = value
    if dtype is not None and tensor.dtype != dtype:
        return tensor.to(dtype)
    if tensor.dtype == torch.float64:
        return tensor.to(config.torch_dtype(None))
    return tensor.clone() if copy and shared else tensor


def convert_inputs(x, input_dtypes, copy=False):
    """`x` as tensors; `input_dtypes` maps the model's input names to dtypes (matched by key
    for a dict `x`, else in order), or is `None`."""
    input_dtypes = input_dtypes or {}
    if isinstance(x, dict):
        return {key: map_structure(lambda v, d=input_dtypes.get(key): to_tensor(v, "x", d, copy),
                                   value) for key, value in x.items()}
    flat = flatten(x)
    dtypes = list(input_dtypes.values())
    dtypes = dtypes if len(dtypes) == len(flat) else [None] * len(flat)
    converted = iter([to_tensor(v, "x", dtype, copy) for v, dtype in zip(flat, dtypes)])
    return map_structure(lambda _: next(converted), x)


def convert_batch(x, y, sample_weight, input_dtypes, copy=False):
    """`(x, y, sample_weight)` of user containers as tensors (structures kept)."""
    x = convert_inputs(as_structure(x, "x"), input_dtypes, copy)
    y = as_structure(y, "y")
    y = None if y is None else map_structure(lambda v: to_tensor(v, "y", copy=copy), y)
    sample_weight = as_structure(sample_weight, "sample_weight")
    sample_weight = None if sample_weight is None else map_structure(
        lambda v: to_tensor(v, "sample_weight", torch.float32, copy), sample_weight)
    return x, y, sample_weight


def num_samples(parts, where=""):
    """The common first dimension of the named parts (`{"x": x, "y": y, ...}`)."""
    sizes = {}
    for name, structure in parts.items():
        if structure is None:
            continue
        shapes = {tuple(t.shape[:1]) for t in flatten(structure)}
        if () in shapes:
            raise ValueError(f"`{name}` must have a batch dimension{where}; received a scalar.")
        sizes[name] = {shape[0] for shape in shapes}
    every = set().union(*sizes.values())
    if len(every) != 1:
        shown = "\n".join(f"'{name}' sizes: {', '.join(map(str, sorted(s)))}"
                          for name, s in sizes.items())
        raise ValueError("Data cardinality is ambiguous. Make sure all arrays contain the "
                         f"same number of samples{where}.\n{shown}")
    return every.pop()


def check_batch_size(batch_size):
    if isinstance(batch_size, bool) or not isinstance(batch_size, numbers.Integral) or (
            batch_size <= 0):
        raise ValueError("`batch_size` must be a positive integer. "
                         f"Received: batch_size={batch_size!r} (of type "
                         f"{type(batch_size).__name__}).")
    return int(batch_size)


def class_weight_table(class_weight):
    """`{class index: weight}` as a float32 table indexed by class (missing classes weigh 1)."""
    if not isinstance(class_weight, dict):
        raise TypeError("`class_weight` must be a dict mapping class indices to weights. "
                        f"Received: class_weight={class_weight!r}")
    bad = [key for key in class_weight
           if isinstance(key, bool) or not isinstance(key, numbers.Integral) or key < 0]
    if bad:
        raise ValueError("`class_weight` keys must be non-negative integer class indices. "
                         f"Received: class_weight={class_weight!r}")
    table = torch.ones(max(class_weight, default=0) + 1)
    for label, weight in class_weight.items():
        table[int(label)] = float(weight)
    return table


def class_sample_weights(y, table, sample_weight=None):
    """Per-sample weights from the class of each target (Keras: the argmax of one-hot targets,
    else the rounded label); classes outside `table` weigh 1. No host sync."""
    if isinstance(y, (list, tuple, dict)):
        raise ValueError("`class_weight` is only supported for models with a single output "
                         "and requires `y`.")
    labels = y.argmax(-1) if y.dim() > 1 and y.shape[-1] > 1 else y.reshape(y.shape[0])
    labels = labels.round().long() if labels.is_floating_point() else labels.long()
    table = table.to(labels.device)
    known = (labels >= 0) & (labels < table.shape[0])
    weights = torch.where(known, table[labels.clamp(0, table.shape[0] - 1)], 1.0)
    if sample_weight is not None:
        weights = weights * flatten(sample_weight)[0].reshape(weights.shape)
    return weights


def describe(structure):
    """A short description of a batch part's structure, for error messages."""
    if structure is None:
        return "None"
    if isinstance(structure, dict):
        items = sorted(structure.items(), key=lambda item: str(item[0]))  # order is no matter
        return "{" + ", ".join(f"{key!r}: {describe(v)}" for key, v in items) + "}"
    if isinstance(structure, (list, tuple)):
        inner = ", ".join(describe(v) for v in structure)
        return f"[{inner}]" if isinstance(structure, list) else f"({inner})"
    return f"tensor(rank {structure.dim()})"


def unpack_x_y_sample_weight(data):
    """`(x,)`, `(x, y)` or `(x, y, sample_weight)` -> `(x, y, sample_weight)` (Keras' helper).

    Example:
    >>> unpack_x_y_sample_weight(("inputs", "targets"))
    ('inputs', 'targets', None)
    """
    if isinstance(data, list):
        data = tuple(data)
    if not isinstance(data, tuple):
        return data, None, None
    if len(data) == 1:
        return data[0], None, None
    if len(data) == 2:
        return data[0], data[1], None
    if len(data) == 3:
        return data
    raise ValueError("Data is expected to be in format `x`, `(x,)`, `(x, y)`, or "
                     f"`(x, y, sample_weight)`, found: {data!r}")
