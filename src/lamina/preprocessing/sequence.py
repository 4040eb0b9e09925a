"""`keras.preprocessing.sequence`: `pad_sequences` (an alias of `keras.utils.pad_sequences`),
and Keras 2's `TimeseriesGenerator`, `skipgrams` and `make_sampling_table`, which Keras 3
dropped. Each emits one `DeprecationWarning` (when called, or for `TimeseriesGenerator` when
constructed) naming what to use instead.
"""

import json
import numbers
import random

import numpy as np

from lamina import deprecation
from lamina.utils.py_dataset import PyDataset
from lamina.utils.sequence_utils import pad_sequences as _pad_sequences
from lamina.validation import received, validate_positive_int


def pad_sequences(sequences, maxlen=None, dtype="int32", padding="pre", truncating="pre",
                  value=0.0):
    """`lamina.utils.pad_sequences` under its Keras 2 path (deprecated); see there.

    Example:
    >>> import warnings
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("ignore", DeprecationWarning)
    ...     pad_sequences([[1], [2, 3]]).tolist()
    [[0, 1], [2, 3]]
    """
    deprecation.warn("`preprocessing.sequence.pad_sequences` is deprecated; use "
                     "`lamina.utils.pad_sequences`.")
    return _pad_sequences(sequences, maxlen=maxlen, dtype=dtype, padding=padding,
                          truncating=truncating, value=value)


def _check_index(value, arg):
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 0:
        raise ValueError(f"`TimeseriesGenerator` expects `{arg}` to be a non-negative integer. "
                         + received(arg, value))
    return int(value)


class TimeseriesGenerator(PyDataset):
    """Batches of windows of a timeseries (Keras 2, deprecated: use
    `keras.utils.timeseries_dataset_from_array`).

    Sample `k` of the generator ends just before step `row = start_index + length + k *
    stride`: it is `data[row - length:row:sampling_rate]`, and its target is
    `targets[row]`.

    Args:
        data: Consecutive steps, indexed by time on axis 0 (an array or a list).
        targets: One target per step of `data`.
        length: Steps of history each sample spans (before `sampling_rate`).
        sampling_rate: Keep every `sampling_rate`-th step of a window. Defaults to `1`.
        stride: Steps between the ends of consecutive samples. Defaults to `1`.
        start_index: Steps before it are not used. Defaults to `0`.
        end_index: The last step used as a target (`None` for the last step).
            Defaults to `None`.
        shuffle: Draw each batch's samples at random (with replacement, from numpy's global
            generator) instead of in order. Defaults to `False`.
        reverse: Put the steps of each sample in reverse order. Defaults to `False`.
        batch_size: Samples per batch. Defaults to `128`.
        **kwargs: `PyDataset`'s `workers`, `use_multiprocessing`, `max_queue_size`.

    Raises:
        ValueError: If `data` and `targets` differ in length, or no sample fits.

    Example:
    >>> import warnings
    >>> import numpy as np
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("ignore", DeprecationWarning)
    ...     gen = TimeseriesGenerator(np.arange(10), np.arange(10) * 10, length=3,
    ...                               batch_size=2)
    >>> len(gen), gen[0][0].tolist(), gen[0][1].tolist()
    (4, [[0, 1, 2], [1, 2, 3]], [30, 40])
    """

    def __init__(self, data, targets, length, sampling_rate=1, stride=1, start_index=0,
                 end_index=None, shuffle=False, reverse=False, batch_size=128, **kwargs):
        deprecation.warn("`TimeseriesGenerator` (Keras 2) is deprecated in Keras 3; use "
                         "`keras.utils.timeseries_dataset_from_array`.")
        super().__init__(**kwargs)
        if len(data) != len(targets):
            raise ValueError("`TimeseriesGenerator` expects `data` and `targets` to have the "
                             f"same length. Received: {len(data)} steps of data and "
                             f"{len(targets)} targets.")
        self.data = data
        self.targets = targets
        self._data, self._targets = np.asarray(data), np.asarray(targets)
        self.length = validate_positive_int(length, "length", self)
        self.sampling_rate = validate_positive_int(sampling_rate, "sampling_rate", self)
        self.stride = validate_positive_int(stride, "stride", self)
        self.batch_size = validate_positive_int(batch_size, "batch_size", self)
        self.start_index = _check_index(start_index, "start_index") + self.length
        self.end_index = len(data) - 1 if end_index is None else _check_index(end_index,
                                                                             "end_index")
        self.shuffle = shuffle
        self.reverse = reverse
        if self.start_index > self.end_index:
            raise ValueError(
                f"`TimeseriesGenerator` has no sample: the first target step, start_index + "
                f"length = {self.start_index}, is after end_index = {self.end_index}.")

    def __len__(self):
        span = self.batch_size * self.stride
        return (self.end_index - self.start_index + span) // span

    def __getitem__(self, index):
        if isinstance(index, bool) or not isinstance(index, numbers.Integral) or not (
                0 <= index < len(self)):
            raise IndexError(f"`TimeseriesGenerator` has {len(self)} batches. "
                             + received("index", index))
        if self.shuffle:
            rows = np.random.randint(self.start_index, self.end_index + 1, size=self.batch_size)
        else:
            first = self.start_index + self.batch_size * self.stride * index
            rows = np.arange(first, min(first + self.batch_size * self.stride,
                                        self.end_index + 1), self.stride)
        steps = np.arange(-self.length, 0, self.sampling_rate)  # (steps,)
        samples = self._data[rows[:, None] + steps]  # (batch, steps, ...)
        if self.reverse:
            samples = samples[:, ::-1]
        return samples, self._targets[rows]

    def get_config(self):
        """Keras 2's config, with `data` and `targets` as JSON strings.

        Raises:
            TypeError: If `data` or `targets` cannot be written as JSON.
        """
        config = {}
        for name in ("data", "targets"):
            value = getattr(self, name)
            value = value.tolist() if isinstance(value, np.ndarray) else value
            try:
                config[name] = json.dumps(value)
            except TypeError as error:
                raise TypeError(f"`TimeseriesGenerator.get_config` cannot write `{name}` as "
                                "JSON: it must be an array or a list of numbers.") from error
        return {**config, "length": self.length, "sampling_rate": self.sampling_rate,
                "stride": self.stride, "start_index": self.start_index,
                "end_index": self.end_index, "shuffle": self.shuffle, "reverse": self.reverse,
                "batch_size": self.batch_size}

    def to_json(self, **kwargs):
        """`{"class_name": "TimeseriesGenerator", "config": get_config()}` as JSON."""
        return json.dumps({"class_name": type(self).__name__, "config": self.get_config()},
                          **kwargs)


def make_sampling_table(size, sampling_factor=1e-5):
    """word2vec's probability of keeping each word rank, for `skipgrams` (Keras 2; Keras 3
    dropped it).

    With Zipf-distributed word frequencies, `frequency(rank) ≈ 1 / (rank * (log(rank) +
    γ) + 1/2 - 1 / (12 * rank))` (γ ≈ 0.577), and word2vec keeps a word with probability
    `min(1, sqrt(sampling_factor / frequency))`.

    Args:
        size: The number of ranks (entry 0 is computed as rank 1).
        sampling_factor: word2vec's sampling factor. Defaults to `1e-5`.

    Returns:
        A float array of `size` probabilities.

    Example:
    >>> import warnings
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("ignore", DeprecationWarning)
    ...     make_sampling_table(4).round(5).tolist()
    [0.00315, 0.00315, 0.00548, 0.00742]
    """
    deprecation.warn("`make_sampling_table` (Keras 2) was dropped from Keras 3, which has no "
                     "replacement; lamina keeps Keras 2's version.")
    gamma = 0.577
    rank = np.arange(validate_positive_int(size, "size", "make_sampling_table"))
    rank[0] = 1
    inv_fq = rank * (np.log(rank) + gamma) + 0.5 - 1.0 / (12.0 * rank)
    f = sampling_factor * inv_fq
    return np.minimum(1.0, f / np.sqrt(f))


def skipgrams(sequence, vocabulary_size, window_size=4, negative_samples=1.0, shuffle=True,
              categorical=False, sampling_table=None, seed=None):
    """Skip-gram pairs of a sequence of word indices (Keras 2; Keras 3 dropped it).

    Each word `w` (not 0, kept with probability `sampling_table[w]` when given) pairs with
    every other non-zero word within `window_size` of it (label 1); then
    `int(positives * negative_samples)` pairs of a word with a random index in
    `[1, vocabulary_size)` are added (label 0).

    Args:
        sequence: Word indices; 0 is not a word.
        vocabulary_size: One more than the largest word index.
        window_size: Half-width of the window. Defaults to `4`.
        negative_samples: Negative pairs per positive pair. Defaults to `1.0`.
        shuffle: Shuffle the pairs (and their labels alike). Defaults to `True`.
        categorical: Labels as `[0, 1]`/`[1, 0]` instead of `1`/`0`. Defaults to `False`.
        sampling_table: `None`, or the keep probability of each index (see
            `make_sampling_table`). Defaults to `None`.
        seed: Seed of all the random draws; `None` uses Python's global `random`.
            Defaults to `None`.

    Returns:
        `(couples, labels)`: lists of `[word, context]` pairs and of labels.
    """
    deprecation.warn("`skipgrams` (Keras 2) was dropped from Keras 3, which has no "
                     "replacement; lamina keeps Keras 2's version.")
    rng = random if seed is None else random.Random(seed)
    couples, labels = [], []
    for i, wi in enumerate(sequence):
        if not wi or (sampling_table is not None and sampling_table[wi] < rng.random()):
            continue
        for j in range(max(0, i - window_size), min(len(sequence), i + window_size + 1)):
            if j != i and sequence[j]:
                couples.append([wi, sequence[j]])
                labels.append([0, 1] if categorical else 1)
    if negative_samples > 0 and couples:
        count = int(len(labels) * negative_samples)
        words = [c[0] for c in couples]
        rng.shuffle(words)
        couples += [[words[i % len(words)], rng.randint(1, vocabulary_size - 1)]
                    for i in range(count)]
        labels += [[1, 0] if categorical else 0 for _ in range(count)]
    if shuffle:
        order = list(range(len(couples)))
        rng.shuffle(order)
        couples, labels = [couples[i] for i in order], [labels[i] for i in order]
    return couples, labels
