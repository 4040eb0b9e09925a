"""Turns what users pass to `fit`/`evaluate`/`predict` into device batches.

`ArrayData` takes numpy arrays, Python lists, torch tensors, pandas objects and dicts/lists of
them. The arrays are converted once (float64 to float32, inputs to the dtype of the model's
`Input`s) and kept on the device when they fit; each epoch draws one permutation on the device
and batches are gathered by index (`index_select`), so the loop never touches a Python list of
indices and never waits on the host.
"""

import numbers

import numpy as np
import torch

from lamina import config
from lamina.layers.keras_tensor import flatten, map_structure

_DEVICE_FRACTION = 0.5  # keep the data on the GPU when it takes at most this share of free memory


def _is_pandas(value):
    return type(value).__module__.split(".")[0] == "pandas" and hasattr(value, "to_numpy")


def _as_structure(value, argument):
    """Normalise containers: pandas to numpy, lists of numbers to arrays; keep lists/dicts of
    arrays (multiple inputs or outputs) as structures."""
    if value is None:
        return None
    if _is_pandas(value):
        return value.to_numpy()
    if isinstance(value, dict):
        return {key: _as_structure(item, argument) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        if value and all(isinstance(v, (np.ndarray, torch.Tensor)) or _is_pandas(v)
                         for v in value):
            return [_as_structure(item, argument) for item in value]
        return np.asarray(value)
    if isinstance(value, (np.ndarray, torch.Tensor)):
        return value
    raise TypeError(
        f"`{argument}` must be a numpy array, a torch tensor, a pandas object, a Python list, or "
        f"a list/dict of these. Received: {argument} of type {type(value).__name__}. (Generators, "
        "`PyDataset` and `DataLoader` inputs arrive with the data-input issue, #7.)"
    )


def _to_tensor(value, argument, dtype=None):
    if isinstance(value, np.ndarray):
        if value.dtype.kind not in "biuf":
            raise TypeError(
                f"`{argument}` must hold numbers (bool, int or float). Received: {argument} with "
                f"dtype {value.dtype}. Convert it first, e.g. `np.asarray({argument}, "
                "dtype='float32')`."
            )
        if not value.flags.writeable:  # e.g. pandas' views; torch wants writable memory
            value = value.copy()
        tensor = torch.from_numpy(np.ascontiguousarray(value))
    else:
        tensor = value
    if dtype is not None and tensor.dtype != dtype:
        tensor = tensor.to(dtype)
    elif tensor.dtype == torch.float64:
        tensor = tensor.to(config.torch_dtype(None))
    return tensor


def _length(structure, argument):
    sizes = {tuple(t.shape[:1]) for t in flatten(structure)}
    if any(size == () for size in sizes):
        raise ValueError(f"`{argument}` must have a batch dimension; received a scalar.")
    return {size[0] for size in sizes}


class ArrayData:
    """In-memory arrays `(x, y, sample_weight)`, batched by index on the device.

    Args:
        x, y, sample_weight: arrays or structures of arrays with the same first dimension.
        batch_size: samples per batch.
        input_dtypes: torch dtypes of the model's inputs (flat order) to convert `x` to, or `None`.
        class_weight: optional dict `{class index: weight}`, folded into the sample weights.
        device: where batches are delivered.
    """

    def __init__(self, x, y=None, sample_weight=None, batch_size=32, input_dtypes=None,
                 class_weight=None, device=None):
        device = torch.device(device or config.device())
        x = _as_structure(x, "x")
        if x is None:
            raise ValueError("`x` is required: pass the input data. Received: x=None.")
        y, sample_weight = _as_structure(y, "y"), _as_structure(sample_weight, "sample_weight")
        flat_x = flatten(x)
        dtypes = list(input_dtypes) if input_dtypes and len(input_dtypes) == len(flat_x) else None
        converted = iter([_to_tensor(v, "x", dtypes[i] if dtypes else None)
                          for i, v in enumerate(flat_x)])
        self.x = map_structure(lambda _: next(converted), x)
        self.y = None if y is None else map_structure(lambda v: _to_tensor(v, "y"), y)
        self.sample_weight = None if sample_weight is None else map_structure(
            lambda v: _to_tensor(v, "sample_weight", torch.float32), sample_weight
        )
        sizes = {"x": _length(self.x, "x")}
        if self.y is not None:
            sizes["y"] = _length(self.y, "y")
        if self.sample_weight is not None:
            sizes["sample_weight"] = _length(self.sample_weight, "sample_weight")
        every = set().union(*sizes.values())
        if len(every) != 1:
            shown = "\n".join(f"'{name}' sizes: {', '.join(map(str, sorted(s)))}"
                              for name, s in sizes.items())
            raise ValueError("Data cardinality is ambiguous. Make sure all arrays contain the "
                             f"same number of samples.\n{shown}")
        self.num_samples = every.pop()
        if class_weight is not None:
            self.sample_weight = self._fold_class_weight(class_weight)
        if not isinstance(batch_size, numbers.Integral) or batch_size <= 0:
            raise ValueError("`batch_size` must be a positive integer. "
                             f"Received: batch_size={batch_size!r} (of type "
                             f"{type(batch_size).__name__}).")
        self.batch_size = int(batch_size)
        self.device = device
        self._move_to(device)

    def _fold_class_weight(self, class_weight):
        if not isinstance(class_weight, dict):
            raise TypeError("`class_weight` must be a dict mapping class indices to weights. "
                            f"Received: class_weight={class_weight!r}")
        if self.y is None or len(flatten(self.y)) != 1:
            raise ValueError("`class_weight` is only supported for models with a single output "
                             "and requires `y`.")
        y = flatten(self.y)[0]
        labels = y.argmax(-1) if y.dim() > 1 and y.shape[-1] > 1 else y.reshape(len(y))
        labels = labels.round().long() if labels.is_floating_point() else labels.long()
        table = torch.ones(int(max(max(class_weight), int(labels.max()))) + 1)
        for label, weight in class_weight.items():
            table[int(label)] = float(weight)
        weights = table[labels]
        if self.sample_weight is not None:
            weights = weights * flatten(self.sample_weight)[0].reshape(len(y))
        return weights

    def _move_to(self, device):
        tensors = flatten(self.x) + flatten(self.y) + flatten(self.sample_weight)
        total = sum(t.numel() * t.element_size() for t in tensors if t is not None)
        if device.type == "cuda":
            free, _ = torch.cuda.mem_get_info(device)
            self.resident = total <= _DEVICE_FRACTION * free
        else:
            self.resident = True
        target = device if self.resident else torch.device("cpu")
        move = lambda t: None if t is None else t.to(target)  # noqa: E731
        self.x, self.y = map_structure(move, self.x), map_structure(move, self.y)
        self.sample_weight = map_structure(move, self.sample_weight)
        if not self.resident and device.type == "cuda":
            pin = lambda t: None if t is None else t.pin_memory()  # noqa: E731
            self.x, self.y = map_structure(pin, self.x), map_structure(pin, self.y)
            self.sample_weight = map_structure(pin, self.sample_weight)

    def split(self, validation_split):
        """Keras' `validation_split`: the LAST fraction of the samples (before shuffling) becomes
        validation data. Returns `(train, validation)`."""
        if not 0 < validation_split < 1:
            raise ValueError("`validation_split` must be a float in (0, 1). "
                             f"Received: validation_split={validation_split!r}")
        split_at = int(self.num_samples * (1 - validation_split))
        if split_at == 0 or split_at == self.num_samples:
            raise ValueError(
                f"`validation_split={validation_split}` leaves no samples for training or for "
                f"validation with {self.num_samples} samples."
            )
        head, tail = _slice_copy(self, 0, split_at), _slice_copy(self, split_at, self.num_samples)
        return head, tail

    @property
    def num_batches(self):
        return -(-self.num_samples // self.batch_size)

    def batches(self, shuffle=False):
        """Yield `(x, y, sample_weight)` batches for one pass over the data."""
        n, size = self.num_samples, self.batch_size
        if shuffle == "batch":  # Keras' legacy option: shuffle whole batches, keep their contents
            order = torch.randperm(self.num_batches, device=self._index_device())
            for b in order.tolist():  # one host read per epoch
                yield self._slice(b * size, min(n, (b + 1) * size))
        elif shuffle:
            permutation = torch.randperm(n, device=self._index_device())
            for indices in permutation.split(size):
                yield self._gather(indices)
        else:
            for start in range(0, n, size):
                yield self._slice(start, min(n, start + size))

    def _index_device(self):
        return self.device if self.resident else torch.device("cpu")

    def _deliver(self, t):
        return t if self.resident else t.to(self.device, non_blocking=True)

    def _slice(self, start, stop):
        return self._take(lambda t: self._deliver(t[start:stop]))

    def _gather(self, indices):
        return self._take(lambda t: self._deliver(t.index_select(0, indices)))

    def _take(self, take):
        """`(x, y, sample_weight)` with `take` applied to every array (a plain tensor directly:
        this runs every step)."""
        return tuple(None if part is None else take(part) if isinstance(part, torch.Tensor)
                     else map_structure(take, part)
                     for part in (self.x, self.y, self.sample_weight))

    def first_batch(self, size=2):
        return self._slice(0, min(size, self.num_samples))


def _slice_copy(data, start, stop):
    part = object.__new__(ArrayData)
    part.__dict__.update(data.__dict__)
    cut = lambda t: None if t is None else t[start:stop]  # noqa: E731
    part.x, part.y = map_structure(cut, data.x), map_structure(cut, data.y)
    part.sample_weight = map_structure(cut, data.sample_weight)
    part.num_samples = stop - start
    return part


def unpack_x_y_sample_weight(data):
    """`(x,)`, `(x, y)` or `(x, y, sample_weight)` -> `(x, y, sample_weight)` (Keras' helper)."""
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
