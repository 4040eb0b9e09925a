"""`ArrayData`: in-memory arrays, kept on the device and batched by index.

The arrays (numpy, torch, pandas, Python lists, or lists/dicts of them; a torch
`TensorDataset` arrives here as its tensors) are converted once and kept on the device when
they fit; each epoch draws one permutation on the device and batches are gathered by index
(`index_select`), so the loop never touches a Python list of indices and never waits on the
host.
"""

import torch

from lamina import config
from lamina.layers.keras_tensor import flatten, map_structure
from lamina.training.data_adapters.conversion import (
    check_batch_size, class_sample_weights, class_weight_table, convert_batch, num_samples)

_DEVICE_FRACTION = 0.5  # keep the data on the GPU when it takes at most this share of free memory


class ArrayData:
    """In-memory arrays `(x, y, sample_weight)`, batched by index on the device.

    Args:
        x, y, sample_weight: arrays or structures of arrays with the same first dimension.
        batch_size: samples per batch.
        input_dtypes: `{input name: torch dtype}` of the model's inputs, or `None`.
        class_weight: optional dict `{class index: weight}`, folded into the sample weights.
        device: where batches are delivered.
    """

    one_shot = False  # the arrays can be read again every epoch
    endless = False
    order = None  # the shuffled order of the latest pass (see `batches`)
    sharding = None  # in a multi-process run, this process's share (see `sharding.py`)

    def __init__(self, x, y=None, sample_weight=None, batch_size=32, input_dtypes=None,
                 class_weight=None, device=None):
        device = torch.device(device or config.device())
        if x is None:
            raise ValueError("`x` is required: pass the input data. Received: x=None.")
        self.x, self.y, self.sample_weight = convert_batch(x, y, sample_weight, input_dtypes)
        self.num_samples = num_samples(
            {"x": self.x, "y": self.y, "sample_weight": self.sample_weight})
        if class_weight is not None:
            table = class_weight_table(class_weight)
            if self.y is None:
                raise ValueError("`class_weight` is only supported for models with a single "
                                 "output and requires `y`.")
            self.sample_weight = class_sample_weights(self.y, table, self.sample_weight)
        self.batch_size = check_batch_size(batch_size)
        self.device = device
        self._move_to(device)

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
        count = self.num_samples if self.sharding is None else \
            self.sharding.share(self.num_samples)
        return -(-count // self.batch_size)

    def batches(self, shuffle=False, order=None, skip=0):
        """Yield `(x, y, sample_weight)` batches for one pass over the data.

        The pass's shuffled order (a permutation of the samples, or of the batches for
        `shuffle="batch"`; `None` unshuffled) is kept in `self.order` once the pass starts.
        Passing it back as `order`, with `skip` batches already done, replays the rest of
        that pass exactly (how `BackupAndRestore` resumes an epoch); skipped batches are
        not gathered.
        """
        n, size = self.num_samples, self.batch_size
        device = self._index_device()
        if self.sharding is not None:  # several processes: this one's share of a shared order
            order = self.sharding.pass_order(n, shuffle, size, device) if order is None \
                else torch.as_tensor(order).to(device)
            self.order = order
            local = self.sharding.local(order, n)[skip * size:]
            for indices in local.split(size) if len(local) else ():  # none left: no batch
                yield self._gather(indices)
        elif shuffle == "batch":  # Keras' legacy option: shuffle whole batches, keep their contents
            order = torch.randperm(self.num_batches, device=device) if order is None \
                else torch.as_tensor(order).to(device)
            self.order = order
            for b in order[skip:].tolist():  # one host read per epoch
                yield self._slice(b * size, min(n, (b + 1) * size))
        elif shuffle:
            order = torch.randperm(n, device=device) if order is None \
                else torch.as_tensor(order).to(device)
            self.order = order
            rest = order[skip * size:]
            for indices in rest.split(size) if len(rest) else ():  # none left: no batch
                yield self._gather(indices)
        else:
            self.order = None
            for start in range(skip * size, n, size):
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

    def close(self):
        """Nothing to release (the same interface as the streamed adapters)."""


def _slice_copy(data, start, stop):
    part = object.__new__(ArrayData)
    part.__dict__.update(data.__dict__)
    cut = lambda t: None if t is None else t[start:stop]  # noqa: E731
    part.x, part.y = map_structure(cut, data.x), map_structure(cut, data.y)
    part.sample_weight = map_structure(cut, data.sample_weight)
    part.num_samples = stop - start
    return part
