"""Data adapters: what `fit`/`evaluate`/`predict` receive, turned into device batches.

`get_data_adapter` picks one by the type of `x`:

- arrays, tensors, pandas objects, lists, dicts of these, a torch `TensorDataset`:
  `ArrayData` (kept on the device, batched by index; an epoch is one pass);
- a `keras.utils.PyDataset` (Keras 2's `Sequence`): `PyDatasetData` (one pass of its batches);
- a torch `DataLoader`: `DataLoaderData` (one pass of the loader, used as it is);
- a map-style torch `Dataset`: `TorchDatasetData` (one pass, `batch_size` samples a batch);
- a torch `IterableDataset`: `DataLoaderData` over `DataLoader(x, batch_size)`;
- a Python generator or iterator: `GeneratorData` (one stream, continued across epochs).

Every adapter offers `batches(shuffle, order=None, skip=0)`, `first_batch()`, `num_batches`
(`None` when unknown), `one_shot`, `device`, `order` (the latest pass's shuffled order, to
replay it: arrays only), `split(validation_split)` and `close()`.
"""

import collections.abc
import inspect

from torch.utils.data import DataLoader, Dataset, IterableDataset, TensorDataset

from lamina.training.data_adapters.array_data import ArrayData
from lamina.training.data_adapters.conversion import unpack_x_y_sample_weight
from lamina.training.data_adapters.py_dataset_data import PyDatasetData
from lamina.training.data_adapters.stream_data import GeneratorData, StreamData
from lamina.training.data_adapters.torch_data import DataLoaderData, TorchDatasetData
from lamina.utils.py_dataset import PyDataset

__all__ = ["ArrayData", "DataLoaderData", "GeneratorData", "PyDatasetData", "StreamData",
           "TorchDatasetData", "get_data_adapter", "unpack_x_y_sample_weight"]


def get_data_adapter(x, y=None, sample_weight=None, batch_size=32, class_weight=None,
                     input_dtypes=None, device=None):
    """The adapter for `x` (see the list above).

    Args:
        x: The inputs, or a source that yields whole batches.
        y: Targets; only with arrays (a batch source yields its own).
        sample_weight: Per-sample weights; only with arrays.
        batch_size: Samples per batch, for arrays and torch `Dataset`s. Defaults to 32.
        class_weight: Optional dict `{class index: weight}` folded into the sample weights.
        input_dtypes: `{input name: torch dtype}` of the model's inputs, or `None`.
        device: Where batches are delivered. Defaults to `config.device()`.

    Returns:
        An `ArrayData` or a `StreamData`.
    """
    common = {"class_weight": class_weight, "input_dtypes": input_dtypes, "device": device}
    if isinstance(x, TensorDataset) and 1 <= len(x.tensors) <= 3:
        _reject_separate(x, "a torch TensorDataset", y, sample_weight)
        return ArrayData(*x.tensors, batch_size=batch_size, **common)
    if isinstance(x, PyDataset):
        _reject_separate(x, "a PyDataset", y, sample_weight)
        return PyDatasetData(x, **common)
    if isinstance(x, DataLoader):
        _reject_separate(x, "a torch DataLoader", y, sample_weight)
        return DataLoaderData(x, **common)
    if isinstance(x, IterableDataset):
        _reject_separate(x, "a torch IterableDataset", y, sample_weight)
        return DataLoaderData(DataLoader(x, batch_size=batch_size), **common)
    if isinstance(x, Dataset):
        _reject_separate(x, "a torch Dataset", y, sample_weight)
        if not hasattr(x, "__len__"):
            raise TypeError(f"`x` is a torch Dataset (`{type(x).__name__}`) without `__len__`: "
                            "lamina batches a map-style Dataset by index and needs its size. "
                            "Define `__len__`, or pass a `DataLoader` over it.")
        return TorchDatasetData(x, batch_size, **common)
    if isinstance(x, collections.abc.Iterator):
        _reject_separate(x, "a Python generator", y, sample_weight)
        return GeneratorData(x, **common)
    if inspect.isgeneratorfunction(x):
        raise TypeError(f"`x` is the generator function `{x.__name__}`, not a generator: call "
                        f"it, e.g. `fit({x.__name__}(), ...)`.")
    return ArrayData(x, y, sample_weight, batch_size=batch_size, **common)


def _reject_separate(x, kind, y, sample_weight):
    """Keras' rule: a source of whole batches carries its own targets and weights."""
    for name, value, what in (("y", y, "the targets"),
                              ("sample_weight", sample_weight, "the sample weights")):
        if value is not None:
            raise ValueError(f"When providing `x` as {kind}, `{name}` should not be passed. "
                             f"Instead, {what} should be included as part of {kind}: each "
                             "batch is `(x, y)` or `(x, y, sample_weight)`.")
