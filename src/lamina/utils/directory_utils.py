"""Walking a directory of class folders, as `image_dataset_from_directory` and
`text_dataset_from_directory` do: which files, in which order, with which labels, and which of
them go to the training and validation subsets.

Keras' rules, reproduced so that the same directory and seed give the same files as Keras:
- Classes are the sub-folders of `directory` not starting with ".", sorted (or the given
  `class_names`, in that order). Each class folder is walked recursively, folders in sorted
  order of their path, files in sorted order of their name; a file counts if its name ends
  (ignoring case) with one of the allowed extensions. Without inferred labels the walk
  starts at `directory` itself.
- `file_paths` lists the classes one after another; with `shuffle` it is then shuffled by
  `np.random.RandomState(seed).shuffle`, and the labels by a second generator with the same
  seed (so they stay aligned).
- `validation_split` keeps the last `int(validation_split * n)` files for validation and the
  others for training.
"""

import numbers
import os

import numpy as np

from lamina.validation import received

LABEL_MODES = ("int", "categorical", "binary", None)
SUBSETS = ("training", "validation", "both")


def check_labels(labels, label_mode, class_names, owner):
    """Checks `labels`, `label_mode`, `class_names`; returns `(labels, label_mode)` with both
    `None` when either is."""
    if labels not in ("inferred", None):
        if not isinstance(labels, (list, tuple)):
            raise ValueError(
                f"`{owner}` expects `labels` to be 'inferred' (from the sub-folder names), None "
                "(no labels) or a list/tuple of integer labels, one per file, in the order of "
                "the sorted file paths. " + received("labels", labels))
        if not all(isinstance(v, numbers.Integral) and not isinstance(v, bool) for v in labels):
            raise TypeError(f"`{owner}` expects `labels` to hold integers. "
                            + received("labels", labels))
        if class_names:
            raise ValueError(f"`{owner}` takes `class_names` only with labels='inferred': given "
                             "labels are their own classes. " + received("labels", labels))
    if label_mode not in LABEL_MODES:
        raise ValueError(f"`{owner}` expects `label_mode` to be one of 'int', 'categorical', "
                         "'binary', None. " + received("label_mode", label_mode))
    if labels is None or label_mode is None:
        return None, None
    return labels, label_mode


def check_validation_split(validation_split, subset, shuffle, seed, owner):
    """Keras' rules for `validation_split` and `subset`."""
    if validation_split is not None and (
            isinstance(validation_split, bool) or not isinstance(validation_split, numbers.Real)
            or not (validation_split == 0 or 0 < validation_split < 1)):
        raise ValueError(f"`{owner}` expects `validation_split` to be a float between 0 and 1. "
                         + received("validation_split", validation_split))
    if subset not in SUBSETS + (None,):
        raise ValueError(f"`{owner}` expects `subset` to be one of 'training', 'validation', "
                         "'both', None. " + received("subset", subset))
    if bool(validation_split) != bool(subset):
        raise ValueError(
            f"`{owner}` takes `subset` and `validation_split` together: `subset` says which "
            "part of the split to return. Received: validation_split="
            f"{validation_split!r} and subset={subset!r}.")
    if validation_split and shuffle and seed is None:
        raise ValueError(
            f"`{owner}` needs a `seed` when it shuffles and splits (validation_split="
            f"{validation_split!r}), so that the training and validation subsets, made by "
            "separate calls, do not overlap. Pass e.g. seed=1337.")


def index_directory(directory, labels, formats, class_names, shuffle, seed, follow_links,
                    owner):
    """The files of `directory`, their labels and the class names (see the module docstring).

    Returns:
        `(file_paths, labels, class_names)`: a list of paths, an int32 array (or `None` when
        `labels` is `None`) and a list of names (`None` when `labels` is `None`).
    """
    if not os.path.isdir(directory):
        problem = "is not a directory" if os.path.exists(directory) else "does not exist"
        raise ValueError(f"`{owner}` expects `directory` to be a directory of files. "
                         f"{str(directory)!r} {problem}.")
    if labels == "inferred":
        folders = [name for name in sorted(os.listdir(directory))
                   if os.path.isdir(os.path.join(directory, name)) and not name.startswith(".")]
        if class_names is not None:
            unknown = [name for name in class_names if name not in folders]
            if unknown:
                raise ValueError(
                    f"`{owner}` expects `class_names` to be names of sub-folders of "
                    f"{str(directory)!r}, which are {folders}. These are not: {unknown}. "
                    + received("class_names", class_names))
            folders = list(class_names)
    else:
        if class_names is not None:
            raise ValueError(f"`{owner}` takes `class_names` only with labels='inferred'. "
                             + received("class_names", class_names))
        folders = [""]
    file_paths, found_labels = [], []
    for index, folder in enumerate(folders):
        top = os.path.join(directory, folder)
        for root, _, files in sorted(os.walk(top, followlinks=follow_links),
                                     key=lambda entry: entry[0]):
            for name in sorted(files):
                if name.lower().endswith(formats):
                    relative = os.path.relpath(os.path.join(root, name), top)
                    file_paths.append(os.path.join(directory, folder, relative))
                    found_labels.append(index)
    if labels == "inferred":
        labels = np.asarray(found_labels, dtype=np.int32)
        class_names = folders
    elif labels is not None:
        if len(labels) != len(file_paths):
            raise ValueError(
                f"`{owner}` expects one label per file: `labels` has {len(labels)} labels but "
                f"{str(directory)!r} has {len(file_paths)} files with the extensions "
                f"{', '.join(formats)}.")
        class_names = [str(label) for label in sorted(set(labels))]
        labels = np.asarray(labels, dtype=np.int32)
    if shuffle:
        np.random.RandomState(seed).shuffle(file_paths)
        if labels is not None:
            np.random.RandomState(seed).shuffle(labels)
    return file_paths, labels, class_names


def split_subset(file_paths, labels, validation_split, subset, owner):
    """The training or validation part of the (already shuffled) files."""
    if not validation_split:
        return file_paths, labels
    count = int(validation_split * len(file_paths))
    if count == 0:
        raise ValueError(
            f"`{owner}`: validation_split={validation_split!r} of {len(file_paths)} files "
            "is less than one file, so the validation subset would be empty. Use a larger "
            "`validation_split` or more files.")
    if subset == "training":
        return file_paths[:-count], None if labels is None else labels[:-count]
    return file_paths[-count:], None if labels is None else labels[-count:]


def make_subsets(file_paths, labels, validation_split, subset, shuffle, verbose, owner, make):
    """The dataset of `subset` (a pair for `"both"`), each made by `make(paths, labels,
    shuffle)` from its part of the files."""
    datasets = []
    for part in ("training", "validation") if subset == "both" else (subset,):
        paths, part_labels = split_subset(file_paths, labels, validation_split, part, owner)
        if verbose and part is not None:
            print(f"Using {len(paths)} files for {part}.")
        # As in Keras, the validation half of subset="both" is not shuffled.
        datasets.append(make(paths, part_labels,
                             shuffle and not (subset == "both" and part == "validation")))
    return tuple(datasets) if subset == "both" else datasets[0]


def encode_labels(labels, label_mode, num_classes):
    """Integer labels in Keras' encoding: int32 `(n,)` for "int", float32 `(n, 1)` for
    "binary", one-hot float32 `(n, num_classes)` for "categorical"."""
    if label_mode == "binary":
        return labels.astype(np.float32)[:, None]
    if label_mode == "categorical":
        return np.eye(num_classes, dtype=np.float32)[labels]
    return labels


def check_label_range(labels, label_mode, class_names, owner):
    """Labels that `label_mode` can encode: exactly 2 classes for "binary", labels in
    `[0, num_classes)` for "categorical"."""
    if label_mode == "binary" and len(class_names) != 2:
        raise ValueError(f"`{owner}` with label_mode='binary' needs exactly 2 classes. "
                         f"Received: class_names={class_names}.")
    if label_mode == "categorical" and len(labels) and (
            labels.min() < 0 or labels.max() >= len(class_names)):
        raise ValueError(
            f"`{owner}` with label_mode='categorical' one-hot encodes labels 0 to "
            f"{len(class_names) - 1} ({len(class_names)} distinct labels), so every label must "
            f"be in that range. Received labels from {labels.min()} to {labels.max()}.")
