"""`split_dataset`: split a dataset in two (e.g. training and test) by a fraction or a count.

What comes back depends on what goes in, so that each part is something `fit` takes and
iterates like the input:
- arrays (numpy, torch, pandas), or a tuple/list of them (`(x, y)`, `(x, y, sample_weight)`),
  or a torch `TensorDataset`: two torch `TensorDataset`s, as Keras' torch backend returns.
  `fit` serves them like arrays (kept on the device, batched by its `batch_size`); iterating
  gives tuples of tensors, one sample at a time.
- a dict of arrays, or arrays of strings or objects (which are not tensors): two torch
  `Dataset`s (`ArraySamples`) of numpy samples, batched by `fit`.
- any other map-style torch `Dataset`: two `torch.utils.data.Subset`s of it (nothing is
  loaded).
- a `keras.utils.PyDataset` (batches): its batches are read and cut into samples, and each
  part is a `PyDataset` (`ArrayBatches`) with the same batch size, as Keras keeps the
  batching of a batched `tf.data.Dataset`.

The split itself is Keras': the first `left_size` samples go left and the last `right_size`
right (both after shuffling with `random.Random(seed)`, the generator Keras uses, so a seed
gives the same parts as in Keras).
"""

import numbers
import random

import numpy as np
import torch
from torch.utils.data import Dataset, IterableDataset, Subset, TensorDataset

from lamina.utils.batched_dataset import BatchedDataset
from lamina.utils.py_dataset import PyDataset
from lamina.validation import received

_OWNER = "split_dataset"


def split_dataset(dataset, left_size=None, right_size=None, shuffle=False, seed=None):
    """Splits a dataset into a left part and a right part (e.g. train and test).

    Args:
        dataset: A numpy array or torch tensor, a tuple/list/dict of them (same number of
            samples each), a torch `Dataset` with `__len__`, or a `keras.utils.PyDataset`.
            A list that is not of arrays is one array of samples.
        left_size: A float in `(0, 1)`, the fraction of the samples that goes left, or an
            int, the number of them. Defaults to `None`: all the samples not on the right.
        right_size: As `left_size`, for the right part. Defaults to `None`: all the samples
            not on the left.
        shuffle: Whether to shuffle the samples before splitting. Defaults to `False`.
        seed: Seed for the shuffling. Defaults to `None`.

    Returns:
        A `(left, right)` pair; their type depends on `dataset` (see the module docstring).

    Raises:
        TypeError: If `dataset`, `left_size` or `right_size` is of an unsupported type.
        ValueError: If the sizes do not fit the dataset, or its arrays differ in length.

    Example:
    >>> import numpy as np
    >>> left, right = split_dataset((np.arange(10), np.arange(10) * 2), left_size=0.8)
    >>> len(left), len(right), [int(v) for v in right[0]]
    (8, 2, [8, 16])
    """
    if left_size is None and right_size is None:
        raise ValueError(f"`{_OWNER}` needs `left_size` or `right_size` (or both). Received: "
                         "left_size=None and right_size=None.")
    kind, content, total = _as_content(dataset)
    left_size, right_size = _split_sizes(left_size, right_size, total)
    order = list(range(total))
    if shuffle:
        if seed is None:
            seed = random.randint(0, int(1e6))
        random.Random(seed).shuffle(order)
    left, right = order[:left_size], order[total - right_size:]
    return _take(kind, content, left), _take(kind, content, right)


def _as_content(dataset):
    """`(kind, content, number of samples)`: the dataset in one of the forms `_take` cuts."""
    if isinstance(dataset, TensorDataset):
        return _arrays(tuple(dataset.tensors))
    if isinstance(dataset, IterableDataset):
        raise TypeError(f"`{_OWNER}` needs the size of `dataset`; a torch IterableDataset has "
                        "none. Pass a map-style Dataset, or arrays.")
    if isinstance(dataset, Dataset):
        if not hasattr(dataset, "__len__"):
            raise TypeError(f"`{_OWNER}` needs the size of `dataset`: define `__len__` on "
                            f"`{type(dataset).__name__}`.")
        return "subset", dataset, len(dataset)
    if isinstance(dataset, PyDataset):
        return _unbatch(dataset)
    if isinstance(dataset, dict):
        return _arrays({key: _as_array(value) for key, value in dataset.items()})
    if isinstance(dataset, (list, tuple)) and dataset and all(_is_array(v) for v in dataset):
        return _arrays(tuple(_as_array(value) for value in dataset))
    if isinstance(dataset, (list, tuple)) or _is_array(dataset):
        return _arrays(_as_array(dataset))
    raise TypeError(f"`{_OWNER}` expects `dataset` to be an array, a tuple/list/dict of arrays, "
                    "a torch Dataset or a keras.utils.PyDataset. "
                    + received("dataset", dataset))


def _is_array(value):
    return isinstance(value, (np.ndarray, torch.Tensor)) or hasattr(value, "to_numpy")


def _as_array(value):
    if isinstance(value, torch.Tensor):
        return value
    return value.to_numpy() if hasattr(value, "to_numpy") else np.asarray(value)


def _arrays(structure):
    leaves = _leaves(structure)
    lengths = [len(leaf) if leaf.ndim else None for leaf in leaves]
    if None in lengths or len(set(lengths)) != 1:
        shapes = [tuple(leaf.shape) for leaf in leaves]
        raise ValueError(f"`{_OWNER}` expects the arrays of `dataset` to have the same number of "
                         f"samples (first dimension). Received arrays of shapes {shapes}.")
    tensors = isinstance(structure, (tuple, np.ndarray, torch.Tensor)) and all(
        isinstance(leaf, torch.Tensor) or leaf.dtype.kind in "biufc" for leaf in leaves)
    return ("tensors" if tensors else "samples"), structure, lengths[0]


def _unbatch(dataset):
    """The samples of all the batches of a `PyDataset`, as arrays."""
    if dataset.num_batches is None:
        raise ValueError(f"`{_OWNER}` cannot split the endless PyDataset "
                         f"`{type(dataset).__name__}` (its `num_batches` is None).")
    batches = [_numpy(batch) for batch in dataset]
    unbatched = isinstance(dataset, BatchedDataset) and dataset.batch_size is None
    if not batches:
        raise ValueError(f"`{_OWNER}` received an empty PyDataset (no batches).")
    join = np.stack if unbatched else np.concatenate
    structure = _map_parts(join, batches)
    _, structure, total = _arrays(structure)
    batch_size = None if unbatched else len(_leaves(batches[0])[0])
    return ("batches", batch_size), structure, total


def _numpy(batch):
    if isinstance(batch, tuple):
        return tuple(_numpy(item) for item in batch)
    if isinstance(batch, list):  # a PyDataset may return [x, y] for (x, y)
        return tuple(_numpy(item) for item in batch)
    if isinstance(batch, dict):
        return {key: _numpy(item) for key, item in batch.items()}
    if isinstance(batch, torch.Tensor):
        return batch.detach().cpu().numpy()
    return np.asarray(batch)


def _map_parts(join, batches):
    """Joins a list of same-structured batches leaf by leaf."""
    first = batches[0]
    if isinstance(first, tuple):
        return tuple(_map_parts(join, [b[i] for b in batches]) for i in range(len(first)))
    if isinstance(first, dict):
        return {key: _map_parts(join, [b[key] for b in batches]) for key in first}
    return join(batches)


def _leaves(structure):
    if isinstance(structure, tuple):
        return [leaf for item in structure for leaf in _leaves(item)]
    if isinstance(structure, dict):
        return [leaf for item in structure.values() for leaf in _leaves(item)]
    return [structure]


def _index(structure, indices):
    if isinstance(structure, tuple):
        return tuple(_index(item, indices) for item in structure)
    if isinstance(structure, dict):
        return {key: _index(item, indices) for key, item in structure.items()}
    if isinstance(structure, torch.Tensor):
        return structure[torch.as_tensor(indices, dtype=torch.long)]
    return structure[np.asarray(indices, dtype=np.int64)]


def _take(kind, content, indices):
    if kind == "subset":
        return Subset(content, indices)
    part = _index(content, indices)
    if kind == "tensors":
        parts = part if isinstance(part, tuple) else (part,)
        return TensorDataset(*(p if isinstance(p, torch.Tensor) else torch.from_numpy(p)
                               for p in parts))
    if kind == "samples":
        return ArraySamples(part)
    return ArrayBatches(part, batch_size=kind[1])


def _split_sizes(left_size, right_size, total):
    """Keras' rules: the two sizes as sample counts."""
    sizes = {"left_size": left_size, "right_size": right_size}
    for name, size in sizes.items():
        if size is not None and (isinstance(size, bool) or not isinstance(size, numbers.Real)):
            raise TypeError(f"`{_OWNER}` expects `{name}` to be an int, a float or None. "
                            + received(name, size))
    if left_size == 0 and right_size == 0:
        raise ValueError(f"`{_OWNER}`: `left_size` and `right_size` are both 0; at least one "
                         "must be positive.")
    counts = {}
    for name, size in sizes.items():
        if size is None:
            continue
        if isinstance(size, numbers.Integral):
            if not 0 < size < total:
                raise ValueError(f"`{_OWNER}` expects `{name}` to be an integer from 1 to "
                                 f"{total - 1} (the dataset has {total} samples) or a float in "
                                 "(0, 1). " + received(name, size))
            counts[name] = int(size)
        else:
            if not 0 < size < 1:
                raise ValueError(f"`{_OWNER}` expects `{name}` to be a float in (0, 1) or an "
                                 f"integer from 1 to {total - 1}. " + received(name, size))
            counts[name] = round(size * total)
    fractions = all(s is not None and not isinstance(s, numbers.Integral)
                    for s in sizes.values())
    if fractions and left_size + right_size > 1:
        raise ValueError(f"`{_OWNER}`: the fractions `left_size` and `right_size` add up to "
                         f"more than 1. Received: left_size={left_size} and "
                         f"right_size={right_size}.")
    left = counts.get("left_size", total - counts.get("right_size", 0))
    right = counts.get("right_size", total - left)
    if left + right > total:
        raise ValueError(f"`{_OWNER}`: left_size={left_size} and right_size={right_size} ask "
                         f"for {left + right} samples; the dataset has {total}.")
    for name, count in (("left", left), ("right", right)):
        if count == 0:
            raise ValueError(f"`{_OWNER}`: with {total} samples, left_size={left_size} and "
                             f"right_size={right_size} leave the {name} part empty.")
    return left, right


class ArraySamples(Dataset):
    """A torch `Dataset` of the samples of an array, or a tuple/dict of arrays: item `i` is
    row `i` of each, in the same structure. Made by `split_dataset`."""

    def __init__(self, arrays):
        self.arrays = arrays
        self._length = len(_leaves(arrays)[0])

    def __len__(self):
        return self._length

    def __getitem__(self, index):
        if not -self._length <= index < self._length:
            raise IndexError(f"`ArraySamples` has {self._length} samples. "
                             + received("index", index))
        return _row(self.arrays, index)

    def __getitems__(self, indices):
        return [self[i] for i in indices]


def _row(structure, index):
    if isinstance(structure, tuple):
        return tuple(_row(item, index) for item in structure)
    if isinstance(structure, dict):
        return {key: _row(item, index) for key, item in structure.items()}
    return structure[index]


class ArrayBatches(BatchedDataset):
    """A `PyDataset` of batches of arrays (an array, or a tuple/dict of them), in order.
    Made by `split_dataset` from a `PyDataset`."""

    def __init__(self, arrays, batch_size):
        super().__init__(len(_leaves(arrays)[0]), batch_size)
        self.arrays = arrays

    def _load(self, indices):
        return _index(self.arrays, indices)
