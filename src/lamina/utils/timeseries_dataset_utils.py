"""`timeseries_dataset_from_array`: sliding windows over a timeseries, in batches.

Keras returns a `tf.data.Dataset`; lamina returns a `PyDataset` (`TimeseriesDataset`) that
`fit`, `evaluate` and `predict` take as `x` and that iterates the same way. Windows are cut
from the array when their batch is asked for (one numpy gather per batch), never stored.
"""

import numbers

import numpy as np

from lamina.utils.batched_dataset import BatchedDataset
from lamina.validation import received, validate_positive_int

_OWNER = "timeseries_dataset_from_array"


def timeseries_dataset_from_array(data, targets, sequence_length, sequence_stride=1,
                                  sampling_rate=1, batch_size=128, shuffle=False, seed=None,
                                  start_index=None, end_index=None):
    """Makes a dataset of sliding windows over a timeseries given as an array.

    Window `i` starts at step `start_index + i * sequence_stride` and takes
    `sequence_length` steps, `sampling_rate` apart: `data[s], data[s + r], ...,
    data[s + (sequence_length - 1) * r]`. Its target is `targets[s]`, the target of its first
    step (shift `targets` to predict later steps). Windows stop before `end_index`.

    Args:
        data: Array of the timesteps, `(steps, ...)`.
        targets: Array of one target per step (`targets[i]` goes with the window starting at
            step `i`), or `None` for windows alone.
        sequence_length: Steps per window.
        sequence_stride: Steps between the starts of two windows. Defaults to `1`.
        sampling_rate: Steps between two samples of a window (e.g. 6 keeps one hourly sample
            from 10-minute data). Defaults to `1`.
        batch_size: Windows per batch (the last may be smaller), or `None` for single windows
            without a batch axis. Defaults to `128`.
        shuffle: Whether to shuffle the windows (again after every epoch). Defaults to `False`.
        seed: Seed for the shuffling. Defaults to `None`.
        start_index: First step used (for a validation or test part of the series).
            Defaults to `None` (0).
        end_index: Steps from here on are not used. Defaults to `None` (all).

    Returns:
        A `TimeseriesDataset` (a `keras.utils.PyDataset`) of batches `(windows, targets)`, or
        `windows` alone when `targets` is `None`; `windows` is `(batch, sequence_length, ...)`
        with the dtype of `data`.

    Raises:
        ValueError: If an index, stride or rate is out of range, or the data is too short for
            one window.

    Example:
    >>> import numpy as np
    >>> dataset = timeseries_dataset_from_array(np.arange(10), np.arange(10) * 10,
    ...                                         sequence_length=3, sampling_rate=2,
    ...                                         batch_size=2)
    >>> x, y = dataset[0]
    >>> len(dataset), x.tolist(), y.tolist()
    (3, [[0, 2, 4], [1, 3, 5]], [0, 10])
    """
    data = np.asarray(data)
    if data.ndim == 0:
        raise ValueError(f"`{_OWNER}` expects `data` to be an array of timesteps, of rank 1 or "
                         f"more. Received: data={data!r}, of rank 0.")
    length = len(data)
    sequence_length = validate_positive_int(sequence_length, "sequence_length", _OWNER)
    for name, value in (("sequence_stride", sequence_stride), ("sampling_rate", sampling_rate)):
        validate_positive_int(value, name, _OWNER)
        if value >= length:
            raise ValueError(f"`{_OWNER}` expects `{name}` to be smaller than the length of "
                             f"`data` ({length}). " + received(name, value))
    if batch_size is not None:
        validate_positive_int(batch_size, "batch_size", _OWNER)
    start = _check_index(start_index, "start_index", 0, length - 1)
    end = _check_index(end_index, "end_index", 1, length - 1, default=length)
    if end <= start:
        raise ValueError(f"`{_OWNER}` expects `end_index` to be larger than `start_index`. "
                         f"Received: start_index={start_index!r} and end_index={end_index!r}.")
    span = (sequence_length - 1) * sampling_rate + 1
    count = end - start - span + 1  # windows that fit in [start, end)
    if targets is not None:
        targets = np.asarray(targets)
        count = min(count, len(targets) - start)
    if count <= 0:
        raise ValueError(
            f"`{_OWNER}`: a window spans {span} steps (sequence_length={sequence_length}, "
            f"sampling_rate={sampling_rate}) but there are only {end - start} steps from "
            f"start_index={start} to end_index={end}"
            + ("" if targets is None else f" (and {len(targets)} targets)")
            + ", so there is no window. Use a shorter `sequence_length` or more data.")
    starts = np.arange(0, count, sequence_stride)
    if shuffle:
        if seed is None:
            seed = np.random.randint(1e6)
        np.random.RandomState(seed).shuffle(starts)  # Keras' first order of the windows
    return TimeseriesDataset(data[start:end], None if targets is None else targets[start:],
                             starts, sequence_length, sampling_rate, batch_size, shuffle, seed)


def _check_index(value, name, low, high, default=0):
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or not (
            low <= value <= high):
        raise ValueError(f"`{_OWNER}` expects `{name}` to be an integer from {low} to {high} "
                         f"(data has {high + 1} steps). " + received(name, value))
    return int(value)


class TimeseriesDataset(BatchedDataset):
    """Batches of windows over a timeseries; made by `timeseries_dataset_from_array`.

    Args:
        data: The steps in use, `data[start_index:end_index]`.
        targets: `targets[start_index:]`, or `None`.
        starts: The first step of each window, in `data` (in the order of the first pass).
        sequence_length, sampling_rate, batch_size, shuffle, seed: See
            `timeseries_dataset_from_array`.
    """

    def __init__(self, data, targets, starts, sequence_length, sampling_rate, batch_size,
                 shuffle, seed):
        super().__init__(len(starts), batch_size, shuffle, seed)
        self._data = data
        self._targets = targets
        self._starts = starts
        self._offsets = np.arange(sequence_length) * sampling_rate

    def _load(self, indices):
        starts = self._starts[indices]
        windows = self._data[starts[:, None] + self._offsets]  # (batch, sequence_length, ...)
        if self._targets is None:
            return windows
        return windows, self._targets[starts]
