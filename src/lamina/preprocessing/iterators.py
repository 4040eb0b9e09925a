"""Keras 2's image iterators: `Iterator`, the base, and `NumpyArrayIterator`, which
`ImageDataGenerator.flow` returns.

An iterator is a `keras.utils.PyDataset` (Keras 2's `Sequence`): `fit(iterator)`, `len()`,
indexing and the legacy `fit_generator` work, and `next(iterator)` / `for batch in iterator`
loop over the batches forever, as in Keras 2.

Randomness differs from Keras 2 in one way, on purpose: a batch depends only on the seed, the
epoch and its index (the shuffled order of an epoch and the augmentation of a batch come from
generators seeded with those), never on the order in which batches are asked for, so batches
made by several workers at once are reproducible. Without a `seed`, one is drawn from numpy's
global generator when the iterator is made (so `np.random.seed` still governs it).
"""

import numbers
import os
import threading
import warnings

import numpy as np

from lamina import config
from lamina.utils.image_utils import array_to_img, standardize_data_format
from lamina.utils.py_dataset import PyDataset
from lamina.validation import received, validate_positive_int


class Iterator(PyDataset):
    """Base class of the image iterators: batches of samples `0..n-1` by index.

    A subclass defines `_get_batches_of_transformed_samples(index_array)` (or, to receive
    the batch's random generator, `_make_batch(index_array, rng)`).

    Args:
        n: Number of samples.
        batch_size: Samples per batch.
        shuffle: Shuffle the samples at each epoch.
        seed: Seed of the shuffling and augmentation, or `None`.
        **kwargs: `PyDataset`'s `workers`, `use_multiprocessing`, `max_queue_size`.
    """

    white_list_formats = ("png", "jpg", "jpeg", "bmp", "ppm", "tif", "tiff")

    def __init__(self, n, batch_size, shuffle, seed, **kwargs):
        super().__init__(**kwargs)
        owner = type(self).__name__
        self.n = int(n)
        self.batch_size = validate_positive_int(batch_size, "batch_size", owner)
        if seed is not None and (isinstance(seed, bool) or not isinstance(seed, numbers.Integral)):
            raise TypeError(f"`{owner}` expects `seed` to be an integer or None. "
                            + received("seed", seed))
        self.shuffle = bool(shuffle)
        self.seed = seed
        self.batch_index = 0
        self.total_batches_seen = 0
        self.epoch = 0
        self.lock = threading.Lock()
        self._base_seed = int(seed if seed is not None else np.random.randint(2**31)) % 2**32
        self._orders = {}  # epoch -> sample order (the latest two are kept)

    def _order(self, epoch):
        with self.lock:
            order = self._orders.get(epoch)
            if order is None:
                if self.shuffle:
                    order = np.random.RandomState([self._base_seed, epoch]).permutation(self.n)
                else:
                    order = np.arange(self.n)
                self._orders = {e: o for e, o in self._orders.items() if e >= epoch - 1}
                self._orders[epoch] = order
            return order

    @property
    def index_array(self):
        """The order of the samples in the current epoch."""
        return self._order(self.epoch)

    def __len__(self):
        return (self.n + self.batch_size - 1) // self.batch_size  # the last batch may be short

    def _batch(self, epoch, index):
        index_array = self._order(epoch)[self.batch_size * index:self.batch_size * (index + 1)]
        rng = np.random.RandomState([self._base_seed, epoch, index + 1])
        self.total_batches_seen += 1
        return self._make_batch(index_array, rng)

    def __getitem__(self, index):
        if (isinstance(index, bool) or not isinstance(index, numbers.Integral)
                or not 0 <= index < len(self)):
            raise IndexError(f"`{type(self).__name__}` has {len(self)} batches (0 to "
                             f"{len(self) - 1}). " + received("index", index))
        return self._batch(self.epoch, int(index))

    def _make_batch(self, index_array, rng):
        make = getattr(self, "_get_batches_of_transformed_samples", None)
        if make is None:
            raise TypeError(
                f"`{type(self).__name__}` (an `Iterator`) must define "
                "`_get_batches_of_transformed_samples(self, index_array)`, returning the batch "
                "of the samples at `index_array`.")
        return make(index_array)

    def on_epoch_end(self):
        """Moves to the next epoch, whose samples come in a new order with `shuffle`."""
        self.epoch += 1

    def reset(self):
        """Restarts `next()` at the first batch of the current epoch."""
        self.batch_index = 0

    def __iter__(self):
        return self

    def __next__(self):
        """The next batch, endlessly: after the last batch of an epoch comes the first of the
        next (reshuffled) one, as in Keras 2."""
        with self.lock:
            epoch, index = self.epoch, self.batch_index
            self.batch_index += 1
            if self.batch_index >= len(self):
                self.batch_index = 0
                self.epoch += 1
        return self._batch(epoch, index)


def save_batch(batch_x, index_array, rng, save_to_dir, save_prefix, save_format, data_format,
               hash_range):
    """Saves each generated image as `{prefix}_{index}_{random}.{format}` (Keras 2's names)."""
    for x, index in zip(batch_x, index_array):
        img = array_to_img(x, data_format, scale=True)
        name = f"{save_prefix}_{index}_{rng.randint(hash_range)}.{save_format}"
        img.save(os.path.join(save_to_dir, name))


class NumpyArrayIterator(Iterator):
    """Batches of images from arrays, augmented and normalised by an `ImageDataGenerator`.
    Made by `ImageDataGenerator.flow`, whose arguments it takes (plus `image_data_generator`,
    `data_format` and `dtype`, which `flow` fills in).

    Raises:
        ValueError: If `x` is not of rank 4, lengths differ, or `subset` is invalid.
    """

    def __init__(self, x, y, image_data_generator, batch_size=32, shuffle=False,
                 sample_weight=None, seed=None, data_format=None, save_to_dir=None,
                 save_prefix="", save_format="png", subset=None, ignore_class_split=False,
                 dtype=None):
        owner = "NumpyArrayIterator"
        data_format = standardize_data_format(data_format, owner)
        self.dtype = dtype or config.floatx()
        x_misc = []
        if isinstance(x, (tuple, list)):
            if len(x) != 2:
                raise ValueError(f"`{owner}` expects `x` to be an array of images or a pair "
                                 f"(images, other inputs). Received: a {type(x).__name__} of "
                                 f"{len(x)} items.")
            x, misc = x
            x_misc = [np.asarray(m) for m in (misc if isinstance(misc, list) else [misc])]
            for m in x_misc:
                if len(m) != len(x):
                    raise ValueError(f"`{owner}` expects the arrays in `x` to have the same "
                                     f"length. Received: {len(x)} images and an array of "
                                     f"length {len(m)}.")
        for name, value in (("y", y), ("sample_weight", sample_weight)):
            if value is not None and len(value) != len(x):
                raise ValueError(f"`{owner}` expects `x` (images) and `{name}` to have the same "
                                 f"length. Received: x of length {len(x)}, {name} of length "
                                 f"{len(value)}.")
        y = None if y is None else np.asarray(y)
        sample_weight = None if sample_weight is None else np.asarray(sample_weight)
        if subset is not None:
            split = _split_index(len(x), subset, image_data_generator, owner)
            if (y is not None and not ignore_class_split
                    and not np.array_equal(np.unique(y[:split]), np.unique(y[split:]))):
                raise ValueError(
                    "The training and validation subsets have different classes after the "
                    "split (the validation subset is the first `validation_split` of the "
                    "samples). If the samples are sorted by label, shuffle them first, or pass "
                    "`ignore_class_split=True`.")
            part = slice(None, split) if subset == "validation" else slice(split, None)
            x, x_misc = x[part], [m[part] for m in x_misc]
            y = None if y is None else y[part]
            sample_weight = None if sample_weight is None else sample_weight[part]
        self.x = np.asarray(x, dtype=self.dtype)
        if self.x.ndim != 4:
            raise ValueError(f"`{owner}` expects `x` to be images of rank 4 (samples, height, "
                             f"width, channels). Received: x of shape {self.x.shape}.")
        channel_axis = 3 if data_format == "channels_last" else 1
        if self.x.shape[channel_axis] not in (1, 3, 4):
            warnings.warn(f"`{owner}` expects 1, 3 or 4 channels on axis {channel_axis} "
                          f"(data_format={data_format!r}). Received: x of shape "
                          f"{self.x.shape}.", stacklevel=3)
        self.x_misc = x_misc
        self.y = y
        self.sample_weight = sample_weight
        self.image_data_generator = image_data_generator
        self.data_format = data_format
        self.save_to_dir = save_to_dir
        self.save_prefix = save_prefix
        self.save_format = save_format
        super().__init__(len(self.x), batch_size, shuffle, seed)

    def _make_batch(self, index_array, rng):
        batch_x = self.x[index_array]  # a copy, (batch, height, width, channels)
        generator = self.image_data_generator
        if generator is not None:
            batch_x = generator._standardize_batch(generator._augment_batch(batch_x, rng))
        if self.save_to_dir:
            save_batch(batch_x, index_array, rng, self.save_to_dir, self.save_prefix,
                       self.save_format, self.data_format, 10**4)
        inputs = [batch_x] + [m[index_array] for m in self.x_misc] if self.x_misc else batch_x
        if self.y is None:
            return inputs
        if self.sample_weight is None:
            return inputs, self.y[index_array]
        return inputs, self.y[index_array], self.sample_weight[index_array]


def _split_index(count, subset, image_data_generator, owner):
    """Where Keras 2 splits `count` samples: the first `int(count * validation_split)`."""
    if subset not in ("training", "validation"):
        raise ValueError(f"`{owner}` expects `subset` to be 'training', 'validation' or None. "
                         + received("subset", subset))
    validation_split = image_data_generator._validation_split
    if not validation_split:
        raise ValueError(
            f"`{owner}` got subset={subset!r}, but the ImageDataGenerator has no "
            "`validation_split` to split by. Pass e.g. "
            "`ImageDataGenerator(validation_split=0.2)`.")
    return int(count * validation_split)
