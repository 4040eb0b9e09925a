"""`text_dataset_from_directory`: batches of texts (and labels) read from class folders.

Keras returns a `tf.data.Dataset` of byte strings; lamina returns a `PyDataset`
(`TextDirectoryDataset`) of numpy arrays of Python strings, which `fit`, `evaluate` and
`predict` take as `x` and which iterates the same way (`for texts, labels in dataset`).
Files are found, ordered and split exactly as Keras does (see `directory_utils`); only the
files of the batch being asked for are read.
"""

import numpy as np

from lamina.utils import directory_utils
from lamina.utils.batched_dataset import BatchedDataset
from lamina.validation import validate_positive_int

_OWNER = "text_dataset_from_directory"


def text_dataset_from_directory(directory, labels="inferred", label_mode="int",
                                class_names=None, batch_size=32, max_length=None, shuffle=True,
                                seed=None, validation_split=None, subset=None,
                                follow_links=False, verbose=True):
    """Makes a dataset of batches of texts from a directory of `.txt` files.

    With `labels="inferred"`, each sub-folder of `directory` is a class, labelled by its
    index in the sorted folder names: `main/neg/1.txt` and `main/pos/2.txt` give
    `class_names == ["neg", "pos"]` and labels 0 and 1. Files are found in sub-folders at
    any depth.

    Args:
        directory: The directory of the text files.
        labels: `"inferred"` (from the sub-folders), `None` (texts only), or a list/tuple of
            integer labels, one per file, in the order of the sorted file paths (as walked by
            `os.walk`). Defaults to `"inferred"`.
        label_mode: `"int"` (int32 labels), `"categorical"` (one-hot float32 vectors),
            `"binary"` (float32 0/1 of shape `(batch, 1)`, for exactly 2 classes) or `None`
            (texts only). Defaults to `"int"`.
        class_names: With inferred labels, the sub-folders to use, in the order that gives
            their labels. Defaults to `None`: all of them, sorted.
        batch_size: Texts per batch, or `None` for single texts (no batch axis).
            Defaults to `32`.
        max_length: Keep at most this many characters of each text. Defaults to `None`.
        shuffle: Whether to shuffle the files (once, as Keras does, and again after every
            epoch); without it they are in sorted order. Defaults to `True`.
        seed: Seed for the shuffling. Defaults to `None`.
        validation_split: Fraction of the files kept for validation, or `None`.
            Defaults to `None`.
        subset: With `validation_split`, `"training"`, `"validation"` or `"both"` (a
            `(training, validation)` pair). Defaults to `None`.
        follow_links: Whether to enter sub-folders that are symbolic links.
            Defaults to `False`.
        verbose: Whether to print how many files and classes were found. Defaults to `True`.

    Returns:
        A `TextDirectoryDataset` (a `keras.utils.PyDataset`), or a `(training, validation)`
        pair of them with `subset="both"`. Each batch is `(texts, labels)`, or `texts` alone
        without labels; `texts` is a numpy array of Python strings (dtype object), read as
        UTF-8. It has `class_names` and `file_paths` attributes and `len()` (batches).

    Raises:
        ValueError: If an argument is not valid, `directory` does not exist or holds no
            `.txt` file, or the labels do not match the files.

    Example:
    >>> import os, tempfile
    >>> folder = tempfile.TemporaryDirectory()
    >>> for name, text in (("neg", "dull"), ("pos", "great fun")):
    ...     os.makedirs(os.path.join(folder.name, name))
    ...     with open(os.path.join(folder.name, name, "0.txt"), "w") as f:
    ...         _ = f.write(text)
    >>> dataset = text_dataset_from_directory(folder.name, shuffle=False, verbose=False)
    >>> texts, labels = dataset[0]
    >>> dataset.class_names, texts.tolist(), labels.tolist()
    (['neg', 'pos'], ['dull', 'great fun'], [0, 1])
    >>> folder.cleanup()
    """
    labels, label_mode = directory_utils.check_labels(labels, label_mode, class_names, _OWNER)
    if batch_size is not None:
        validate_positive_int(batch_size, "batch_size", _OWNER)
    if max_length is not None:
        validate_positive_int(max_length, "max_length", _OWNER)
    directory_utils.check_validation_split(validation_split, subset, shuffle, seed, _OWNER)
    if shuffle and seed is None:
        seed = np.random.randint(1e6)
    file_paths, labels, class_names = directory_utils.index_directory(
        directory, labels, (".txt",), class_names, shuffle, seed, follow_links, _OWNER)
    if verbose:
        print(f"Found {len(file_paths)} files" + (
            "." if labels is None else f" belonging to {len(class_names)} classes."))
    if not file_paths:
        raise ValueError(f"`{_OWNER}` found no text file in {str(directory)!r}. Allowed "
                         "format: .txt.")
    directory_utils.check_label_range(labels, label_mode, class_names, _OWNER)
    return directory_utils.make_subsets(
        file_paths, labels, validation_split, subset, shuffle, verbose, _OWNER,
        lambda paths, part_labels, part_shuffle: TextDirectoryDataset(
            paths, part_labels, label_mode, class_names, max_length, batch_size,
            shuffle=part_shuffle, seed=seed))


class TextDirectoryDataset(BatchedDataset):
    """Batches of texts read from files; made by `text_dataset_from_directory`.

    Attributes:
        class_names: The class names, in label order (`None` without labels).
        file_paths: The files, in the order of the first pass.
    """

    def __init__(self, file_paths, labels, label_mode, class_names, max_length, batch_size,
                 shuffle, seed):
        super().__init__(len(file_paths), batch_size, shuffle, seed)
        self.file_paths = list(file_paths)
        self.class_names = class_names
        self._labels = labels
        self._label_mode = label_mode
        self._max_length = max_length

    def _load(self, indices):
        texts = np.empty(len(indices), dtype=object)
        texts[:] = [self._read(self.file_paths[i]) for i in indices]
        if self._labels is None:
            return texts
        labels = directory_utils.encode_labels(self._labels[indices], self._label_mode,
                                               len(self.class_names))
        return texts, labels

    def _read(self, path):
        with open(path, "rb") as f:
            data = f.read()
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as error:
            raise ValueError(f"`{_OWNER}` cannot read {path!r}: it is not UTF-8 text "
                             f"({error}).") from error
        return text if self._max_length is None else text[:self._max_length]
