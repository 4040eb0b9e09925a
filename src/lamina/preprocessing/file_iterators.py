"""Keras 2's iterators over image files: `DirectoryIterator` (one sub-folder per class, from
`ImageDataGenerator.flow_from_directory`) and `DataFrameIterator` (paths and labels in a pandas
DataFrame, from `flow_from_dataframe`).

Files are listed as Keras 2 lists them: in each class folder, walked recursively in sorted
order, the files whose lower-cased names end with one of `Iterator.white_list_formats`. With
`subset`, each class is split on its own: the first `validation_split` of its files are the
validation subset, the rest the training subset. Folders whose names start with "." (such as
`.ipynb_checkpoints`) are not classes.
"""

import collections
import os
import warnings

import numpy as np

from lamina import config
from lamina.preprocessing.iterators import Iterator, save_batch
from lamina.utils.image_utils import (
    COLOR_MODES,
    INTERPOLATIONS,
    check_image_size,
    img_to_array,
    load_img,
    standardize_data_format,
)
from lamina.validation import received, validate_choice

_CHANNELS = {"rgb": 3, "rgba": 4, "grayscale": 1}


class FileIterator(Iterator):
    """What `DirectoryIterator` and `DataFrameIterator` share: reading a batch of files
    into arrays, augmenting them, and their labels for each `class_mode`."""

    allowed_class_modes = ("categorical", "binary", "sparse", "input", None)

    def set_processing_attrs(self, image_data_generator, target_size, color_mode, data_format,
                             save_to_dir, save_prefix, save_format, subset, interpolation,
                             keep_aspect_ratio, class_mode):
        owner = type(self).__name__
        self.image_data_generator = image_data_generator
        self.target_size = check_image_size(target_size, "target_size", owner)
        validate_choice(color_mode, "color_mode", COLOR_MODES, owner)
        validate_choice(interpolation, "interpolation", INTERPOLATIONS, owner)
        validate_choice(class_mode, "class_mode", self.allowed_class_modes, owner)
        self.color_mode = color_mode
        self.class_mode = class_mode
        self.data_format = standardize_data_format(data_format, owner)
        channels = (_CHANNELS[color_mode],)
        self.image_shape = (self.target_size + channels if self.data_format == "channels_last"
                            else channels + self.target_size)
        self.save_to_dir = save_to_dir
        self.save_prefix = save_prefix
        self.save_format = save_format
        self.interpolation = interpolation
        self.keep_aspect_ratio = keep_aspect_ratio
        self.subset = subset
        self.split = None
        if subset is not None:
            validate_choice(subset, "subset", ("training", "validation"), owner)
            validation_split = getattr(image_data_generator, "_validation_split", 0)
            if not validation_split:
                raise ValueError(
                    f"`{owner}` got subset={subset!r}, but the ImageDataGenerator has no "
                    "`validation_split` to split by. Pass e.g. "
                    "`ImageDataGenerator(validation_split=0.2)`.")
            self.split = ((0, validation_split) if subset == "validation"
                          else (validation_split, 1))

    @property
    def filepaths(self):
        """The path of every image file."""
        return self._filepaths

    def _make_batch(self, index_array, rng):
        batch_x = np.zeros((len(index_array), *self.image_shape), dtype=self.dtype)
        for i, j in enumerate(index_array):
            img = load_img(self._filepaths[j], color_mode=self.color_mode,
                           target_size=self.target_size, interpolation=self.interpolation,
                           keep_aspect_ratio=self.keep_aspect_ratio)
            batch_x[i] = img_to_array(img, data_format=self.data_format, dtype=self.dtype)
            img.close()
        generator = self.image_data_generator
        if generator is not None:
            batch_x = generator._standardize_batch(generator._augment_batch(batch_x, rng))
        if self.save_to_dir:
            save_batch(batch_x, index_array, rng, self.save_to_dir, self.save_prefix,
                       self.save_format, self.data_format, 10**7)
        if self.class_mode is None:
            return batch_x
        if self.class_mode == "input":
            batch_y = batch_x.copy()
        elif self.class_mode in ("binary", "sparse"):
            batch_y = np.asarray([self.classes[j] for j in index_array], dtype=self.dtype)
        elif self.class_mode == "categorical":
            batch_y = np.zeros((len(index_array), len(self.class_indices)), dtype=self.dtype)
            for i, j in enumerate(index_array):
                batch_y[i, self.classes[j]] = 1.0  # one class, or a list of them
        elif self.class_mode == "multi_output":
            batch_y = [target[index_array] for target in self._targets]
        else:  # "raw"
            batch_y = self._targets[index_array]
        weights = self.sample_weight
        return (batch_x, batch_y) if weights is None else (batch_x, batch_y, weights[index_array])


def _valid_files(folder, formats, follow_links):
    """`(root, name)` of the image files under `folder`, in Keras 2's order."""
    for root, _, files in sorted(os.walk(folder, followlinks=follow_links), key=lambda e: e[0]):
        for name in sorted(files):
            if name.lower().endswith(formats):
                yield root, name


class DirectoryIterator(FileIterator):
    """Batches of images read from `directory`, which holds one sub-folder per class.

    Args:
        directory: The folder of class folders.
        image_data_generator: The `ImageDataGenerator` that augments and normalises, or
            `None`.
        target_size: `(height, width)` every image is resized to. Defaults to `(256, 256)`.
        color_mode: `"rgb"`, `"rgba"` or `"grayscale"`. Defaults to `"rgb"`.
        classes: Class folder names, in the order of their indices; `None` takes every
            sub-folder, sorted. Defaults to `None`.
        class_mode: The labels: `"categorical"` (one-hot), `"binary"` or `"sparse"` (the
            class index, as a float), `"input"` (the images themselves, for autoencoders)
            or `None` (batches of images only). Defaults to `"categorical"`.
        batch_size: Images per batch. Defaults to `32`.
        shuffle: Shuffle the images at each epoch. Defaults to `True`.
        seed: Seed of the shuffling and augmentation. Defaults to `None`.
        data_format: Defaults to `None`, meaning `keras.config.image_data_format()`.
        save_to_dir, save_prefix, save_format: Save the generated images; see
            `ImageDataGenerator.flow`.
        follow_links: Follow symbolic links to folders. Defaults to `False`.
        subset: `"training"` or `"validation"` with the generator's `validation_split`.
            Defaults to `None`.
        interpolation: Pillow's resampling filter (see `load_img`). Defaults to `"nearest"`.
        keep_aspect_ratio: Crop to the aspect ratio of `target_size` before resizing.
            Defaults to `False`.
        dtype: Defaults to `None`, meaning `keras.config.floatx()`.

    Attributes:
        class_indices: `{class name: index}`.
        classes: The class index of every file, an int32 array.
        filenames: Paths relative to `directory`. `filepaths` are the full paths.
        samples, n: The number of files. `num_classes`: the number of classes.

    Raises:
        ValueError: If `directory` is not a folder, a class folder is missing, or an option
            is invalid.
    """

    def __init__(self, directory, image_data_generator, target_size=(256, 256),
                 color_mode="rgb", classes=None, class_mode="categorical", batch_size=32,
                 shuffle=True, seed=None, data_format=None, save_to_dir=None, save_prefix="",
                 save_format="png", follow_links=False, subset=None, interpolation="nearest",
                 keep_aspect_ratio=False, dtype=None):
        self.dtype = dtype or config.floatx()
        self.set_processing_attrs(image_data_generator, target_size, color_mode, data_format,
                                  save_to_dir, save_prefix, save_format, subset, interpolation,
                                  keep_aspect_ratio, class_mode)
        if not os.path.isdir(directory):
            raise ValueError("`DirectoryIterator` expects `directory` to be a folder of class "
                             f"folders. {str(directory)!r} "
                             + ("is not a folder." if os.path.exists(directory)
                                else "does not exist."))
        self.directory = directory
        folders = sorted(name for name in os.listdir(directory)
                         if os.path.isdir(os.path.join(directory, name))
                         and not name.startswith("."))
        if classes:
            missing = [name for name in classes if name not in folders]
            if missing:
                raise ValueError(f"`DirectoryIterator` expects `classes` to name sub-folders of "
                                 f"{str(directory)!r}, which are {folders}. Not found: "
                                 f"{missing}.")
            folders = list(classes)
        self.num_classes = len(folders)
        self.class_indices = {name: index for index, name in enumerate(folders)}
        self.filenames, labels = [], []
        for name in folders:
            class_dir = os.path.join(directory, name)
            found = list(_valid_files(class_dir, self.white_list_formats, follow_links))
            if self.split:
                found = found[int(self.split[0] * len(found)):int(self.split[1] * len(found))]
            for root, file in found:
                self.filenames.append(os.path.join(
                    name, os.path.relpath(os.path.join(root, file), class_dir)))
            labels += [self.class_indices[name]] * len(found)
        self.classes = np.asarray(labels, dtype="int32")
        self.samples = len(self.filenames)
        print(f"Found {self.samples} images belonging to {self.num_classes} classes.")
        self._filepaths = [os.path.join(directory, name) for name in self.filenames]
        super().__init__(self.samples, batch_size, shuffle, seed)

    @property
    def labels(self):
        """The class index of every file."""
        return self.classes

    @property
    def sample_weight(self):
        return None


class DataFrameIterator(FileIterator):
    """Batches of images whose paths (and labels) are columns of a pandas DataFrame.

    Args:
        dataframe: The DataFrame.
        directory: The folder the paths in `x_col` are relative to, or `None` for absolute
            paths. Defaults to `None`.
        image_data_generator: The `ImageDataGenerator`, or `None`. Defaults to `None`.
        x_col: The column of file paths. Defaults to `"filename"`.
        y_col: The label column (a list of columns for `"multi_output"`, or for `"raw"`
            several targets). Defaults to `"class"`.
        weight_col: A column of sample weights, or `None`. Defaults to `None`.
        classes: The class names to keep, in index order; `None` takes every label found,
            sorted. Only for the class modes with classes. Defaults to `None`.
        class_mode: As `DirectoryIterator`'s (`"categorical"` labels may be lists, for
            several classes per image), plus `"raw"` (`y_col` as it is) and
            `"multi_output"` (one array per column of `y_col`). Defaults to
            `"categorical"`.
        validate_filenames: Drop (with a warning) the rows whose file is missing or not an
            image. Defaults to `True`.
        Others: See `DirectoryIterator`.

    Raises:
        TypeError: If a column has values of the wrong type for `class_mode`.
        ValueError: If an option is invalid.
    """

    allowed_class_modes = ("binary", "categorical", "input", "multi_output", "raw", "sparse",
                           None)

    def __init__(self, dataframe, directory=None, image_data_generator=None, x_col="filename",
                 y_col="class", weight_col=None, target_size=(256, 256), color_mode="rgb",
                 classes=None, class_mode="categorical", batch_size=32, shuffle=True, seed=None,
                 data_format="channels_last", save_to_dir=None, save_prefix="",
                 save_format="png", subset=None, interpolation="nearest",
                 keep_aspect_ratio=False, dtype="float32", validate_filenames=True):
        self.dtype = dtype
        self.set_processing_attrs(image_data_generator, target_size, color_mode, data_format,
                                  save_to_dir, save_prefix, save_format, subset, interpolation,
                                  keep_aspect_ratio, class_mode)
        self.directory = directory or ""
        df = dataframe.copy()
        with_classes = class_mode not in ("input", "multi_output", "raw", None)
        self._check_columns(df, x_col, y_col, weight_col, classes, with_classes)
        if validate_filenames:
            paths = df[x_col].map(lambda name: os.path.join(self.directory, name))
            valid = paths.map(lambda path: path.lower().endswith(self.white_list_formats)
                              and os.path.isfile(path)).astype(bool)
            if (~valid).sum():
                warnings.warn(f"Found {int((~valid).sum())} invalid image filename(s) in "
                              f"x_col={x_col!r}: they are ignored.", stacklevel=3)
            df = df[valid]
        if with_classes:
            df, classes = self._filter_classes(df, y_col, classes)
            self.class_indices = {name: index for index, name in enumerate(classes)}
        if self.split:
            df = df.iloc[int(self.split[0] * len(df)):int(self.split[1] * len(df))]
        if with_classes:
            self.classes = [[self.class_indices[v] for v in label]
                            if isinstance(label, (list, tuple)) else self.class_indices[label]
                            for label in df[y_col]]
        self.filenames = df[x_col].tolist()
        self._sample_weight = df[weight_col].values if weight_col else None
        if class_mode == "multi_output":
            self._targets = [np.array(df[column].tolist()) for column in y_col]
        elif class_mode == "raw":
            self._targets = df[y_col].values
        self.samples = len(self.filenames)
        validated = "validated" if validate_filenames else "non-validated"
        print(f"Found {self.samples} {validated} image filenames"
              + (f" belonging to {len(classes)} classes." if with_classes else "."))
        self._filepaths = [os.path.join(self.directory, name) for name in self.filenames]
        super().__init__(self.samples, batch_size, shuffle, seed)

    def _check_columns(self, df, x_col, y_col, weight_col, classes, with_classes):
        mode = self.class_mode
        if mode == "multi_output" and not isinstance(y_col, list):
            raise TypeError("`DataFrameIterator` with class_mode='multi_output' expects `y_col` "
                            "to be a list of columns. " + received("y_col", y_col))
        if not all(isinstance(v, str) for v in df[x_col]):
            raise TypeError(f"`DataFrameIterator` expects the column x_col={x_col!r} to hold "
                            "file paths (strings).")
        if mode in ("binary", "sparse") and not all(isinstance(v, str) for v in df[y_col]):
            raise TypeError(f"`DataFrameIterator` with class_mode={mode!r} expects the column "
                            f"y_col={y_col!r} to hold class names (strings).")
        if mode == "binary" and len(set(classes) if classes else df[y_col].unique()) != 2:
            raise ValueError("`DataFrameIterator` with class_mode='binary' needs exactly 2 "
                             f"classes. Found: {sorted(set(classes or df[y_col].unique()))}.")
        if mode == "categorical" and not all(isinstance(v, (str, list, tuple))
                                             for v in df[y_col]):
            raise TypeError(f"`DataFrameIterator` with class_mode='categorical' expects the "
                            f"column y_col={y_col!r} to hold class names or lists of them.")
        if classes and not with_classes:
            raise ValueError(f"`DataFrameIterator` uses `classes` only with class modes that "
                             f"have classes; class_mode={mode!r} has none. "
                             + received("classes", classes))
        if weight_col and not issubclass(df[weight_col].dtype.type, np.number):
            raise TypeError(f"`DataFrameIterator` expects the column weight_col={weight_col!r} "
                            "to be numeric.")

    @staticmethod
    def _filter_classes(df, y_col, classes):
        """The rows with at least one kept class (dropping the other classes from lists),
        and the class names."""
        if classes:
            classes = list(collections.OrderedDict.fromkeys(classes))

            def keep(label):
                if isinstance(label, (list, tuple)):
                    return [v for v in label if v in classes] or None
                return label if label in classes else None

            df = df.copy()
            df[y_col] = df[y_col].map(keep)
            return df.dropna(subset=[y_col]), classes
        found = set()
        for label in df[y_col]:
            found.update(label if isinstance(label, (list, tuple)) else [label])
        return df, sorted(found)

    @property
    def labels(self):
        """The labels: class indices, or the raw targets for `"raw"`/`"multi_output"`."""
        return self._targets if self.class_mode in ("multi_output", "raw") else self.classes

    @property
    def sample_weight(self):
        return self._sample_weight
