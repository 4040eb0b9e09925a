"""`ImageDataGenerator`: Keras 2's real-time image augmentation and normalisation.

Deprecated in Keras 3 (constructing one emits one `DeprecationWarning`), kept so that Keras 2
tutorials run. Numerics and random draws follow Keras 2 (`get_random_transform` with a seed
draws exactly what Keras draws); see `affine_transformations` for the geometry.
"""

import math
import numbers
import warnings

import numpy as np

from lamina import config, deprecation
from lamina.preprocessing import affine_transformations as affine
from lamina.utils.image_utils import standardize_data_format
from lamina.validation import received

_OWNER = "ImageDataGenerator"


def _check_number(value, arg):
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"`{_OWNER}` expects `{arg}` to be a number. " + received(arg, value))
    return value


def _check_shift_range(value, arg):
    """A float (a fraction of the size, or pixels when >= 1), an int (pixels), or a 1-D
    sequence of pixel values to choose from."""
    if isinstance(value, numbers.Real) and not isinstance(value, bool):
        return value
    if (isinstance(value, (list, tuple, np.ndarray)) and np.ndim(value) == 1 and len(value)
            and all(isinstance(v, numbers.Real) and not isinstance(v, bool) for v in value)):
        return list(value)
    raise ValueError(f"`{_OWNER}` expects `{arg}` to be a float, an int or a 1-D list of "
                     "numbers. " + received(arg, value))


def _check_pair(value, arg):
    if (not isinstance(value, (list, tuple)) or len(value) != 2 or not all(
            isinstance(v, numbers.Real) and not isinstance(v, bool) for v in value)):
        raise ValueError(f"`{_OWNER}` expects `{arg}` to be a tuple or list of two floats. "
                         + received(arg, value))
    return [value[0], value[1]]


def _draw_shift(value, size, rng):
    """Keras 2's draw of a shift: uniform for a float, otherwise a value of `range(value)`
    (an int) or of the list, with a random sign; fractions (all values < 1) scale by `size`."""
    if not value:
        return 0
    if isinstance(value, numbers.Real) and not isinstance(value, numbers.Integral):
        shift = rng.uniform(-value, value)
    else:
        shift = rng.choice(value)
        shift *= rng.choice([-1, 1])
    if np.max(value) < 1:
        shift *= size
    return shift


class ImageDataGenerator:
    """Generates batches of images with real-time augmentation (Keras 2, deprecated).

    Keras 3 replaces it with preprocessing layers inside the model (`RandomFlip`,
    `RandomRotation`, `RandomTranslation`, `RandomZoom`, `Rescaling`, ...) and
    `keras.utils.image_dataset_from_directory` for folders of images.

    Args:
        featurewise_center: Subtract the dataset's per-channel mean (see `fit`).
            Defaults to `False`.
        samplewise_center: Subtract each image's own mean. Defaults to `False`.
        featurewise_std_normalization: Divide by the dataset's per-channel std (implies
            `featurewise_center`). Defaults to `False`.
        samplewise_std_normalization: Divide each image by its own std (implies
            `samplewise_center`). Defaults to `False`.
        zca_whitening: Apply ZCA whitening fitted by `fit` (implies `featurewise_center`,
            replaces `featurewise_std_normalization`). Defaults to `False`.
        zca_epsilon: Added to the singular values in ZCA whitening. Defaults to `1e-6`.
        rotation_range: Rotations drawn uniformly in `[-rotation_range, rotation_range]`
            degrees. Defaults to `0`.
        width_shift_range: A float below 1 is a fraction of the width, drawn uniformly in
            `[-w, w]`; a float of 1 or more is pixels; an int `n` draws an integer of
            `range(n)` with a random sign; a list draws one of its values with a random
            sign. Defaults to `0.0`.
        height_shift_range: The same for the height. Defaults to `0.0`.
        brightness_range: `None`, or a pair `(low, high)` of brightness factors drawn
            uniformly (Pillow's `ImageEnhance.Brightness`; the image passes through 8 bits).
            Defaults to `None`.
        shear_range: Shear angles drawn in `[-shear_range, shear_range]` degrees.
            Defaults to `0.0`.
        zoom_range: A float `z` means `[1 - z, 1 + z]`, or a pair `(low, high)`; one zoom is
            drawn per axis (above 1 zooms out). Defaults to `0.0`.
        channel_shift_range: Adds one value drawn in `[-c, c]` to every channel, clipped to
            the image's range. Defaults to `0.0`.
        fill_mode: What fills the points outside the image, for a row `abcd`:
            `"constant"`: `kkkk|abcd|kkkk` (`k = cval`), `"nearest"`: `aaaa|abcd|dddd`,
            `"reflect"`: `dcba|abcd|dcba`, `"wrap"`: `abcd|abcd|abcd` (scipy's wrap, whose
            period is one pixel shorter). Defaults to `"nearest"`.
        cval: The fill value for `fill_mode="constant"`. Defaults to `0.0`.
        horizontal_flip: Flip half of the images left-right. Defaults to `False`.
        vertical_flip: Flip half of the images upside down. Defaults to `False`.
        rescale: `None` or a factor multiplying the images (before any other
            normalisation, after augmentation). Defaults to `None`.
        preprocessing_function: `None` or a function applied to each image (rank 3, after
            augmentation) that returns an image of the same shape. Defaults to `None`.
        data_format: `"channels_last"` or `"channels_first"`. Defaults to `None`, which
            means `keras.config.image_data_format()`.
        validation_split: Fraction of the images reserved for `subset="validation"`, in
            `[0, 1)`. Defaults to `0.0`.
        interpolation_order: 1 (bilinear, Keras' default) or 0 (nearest pixel).
            Defaults to `1`.
        dtype: The dtype of the generated images. Defaults to `None`, which means
            `keras.config.floatx()`.

    Raises:
        ValueError: For an invalid value (unknown `fill_mode`, a `validation_split` outside
            `[0, 1)`, ...).
        TypeError: For an argument of the wrong type (a range that is not a number, a
            `preprocessing_function` that is not callable).

    Example:
    >>> import warnings
    >>> import numpy as np
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("ignore", DeprecationWarning)
    ...     datagen = ImageDataGenerator(rescale=1 / 255, horizontal_flip=True)
    >>> x = np.full((10, 4, 4, 3), 255.0)
    >>> batch_x, batch_y = datagen.flow(x, np.arange(10), batch_size=4, seed=1)[0]
    >>> batch_x.shape, float(batch_x.max()), batch_y.shape
    ((4, 4, 4, 3), 1.0, (4,))
    """

    def __init__(self, featurewise_center=False, samplewise_center=False,
                 featurewise_std_normalization=False, samplewise_std_normalization=False,
                 zca_whitening=False, zca_epsilon=1e-6, rotation_range=0, width_shift_range=0.0,
                 height_shift_range=0.0, brightness_range=None, shear_range=0.0, zoom_range=0.0,
                 channel_shift_range=0.0, fill_mode="nearest", cval=0.0, horizontal_flip=False,
                 vertical_flip=False, rescale=None, preprocessing_function=None,
                 data_format=None, validation_split=0.0, interpolation_order=1, dtype=None):
        deprecation.warn(
            "`ImageDataGenerator` (Keras 2) is deprecated in Keras 3; use preprocessing layers "
            "in the model (`keras.layers.RandomFlip`, `RandomRotation`, `RandomTranslation`, "
            "`RandomZoom`, `Rescaling`) and `keras.utils.image_dataset_from_directory` to read "
            "folders of images.")
        self.data_format = standardize_data_format(data_format, _OWNER)
        affine.check_fill(fill_mode, interpolation_order, _OWNER)
        if preprocessing_function is not None and not callable(preprocessing_function):
            raise TypeError(f"`{_OWNER}` expects `preprocessing_function` to be a function "
                            "or None. " + received("preprocessing_function",
                                                   preprocessing_function))
        if rescale is not None:
            _check_number(rescale, "rescale")
        if (isinstance(validation_split, bool) or not isinstance(validation_split, numbers.Real)
                or not 0 <= validation_split < 1):
            raise ValueError(f"`{_OWNER}` expects `validation_split` to be a float in [0, 1). "
                             + received("validation_split", validation_split))
        if isinstance(zoom_range, numbers.Real) and not isinstance(zoom_range, bool):
            self.zoom_range = [1 - zoom_range, 1 + zoom_range]
        else:
            self.zoom_range = _check_pair(zoom_range, "zoom_range")
        self.brightness_range = (None if brightness_range is None
                                 else _check_pair(brightness_range, "brightness_range"))
        self.rotation_range = _check_number(rotation_range, "rotation_range")
        self.shear_range = _check_number(shear_range, "shear_range")
        self.channel_shift_range = _check_number(channel_shift_range, "channel_shift_range")
        self.cval = _check_number(cval, "cval")
        self.width_shift_range = _check_shift_range(width_shift_range, "width_shift_range")
        self.height_shift_range = _check_shift_range(height_shift_range, "height_shift_range")
        self.featurewise_center = featurewise_center
        self.samplewise_center = samplewise_center
        self.featurewise_std_normalization = featurewise_std_normalization
        self.samplewise_std_normalization = samplewise_std_normalization
        self.zca_whitening = zca_whitening
        self.zca_epsilon = zca_epsilon
        self.fill_mode = fill_mode
        self.horizontal_flip = horizontal_flip
        self.vertical_flip = vertical_flip
        self.rescale = rescale
        self.preprocessing_function = preprocessing_function
        self.interpolation_order = interpolation_order
        self.dtype = dtype or config.floatx()
        self._validation_split = validation_split
        # Axes of a batch, as in Keras 2 (an image's axes are one less).
        if self.data_format == "channels_first":
            self.channel_axis, self.row_axis, self.col_axis = 1, 2, 3
        else:
            self.channel_axis, self.row_axis, self.col_axis = 3, 1, 2
        self.mean = None
        self.std = None
        self.zca_whitening_matrix = None
        self._imply_options()

    def _imply_options(self):
        """Keras 2's implied options, each with its Keras 2 warning."""
        if self.zca_whitening:
            if not self.featurewise_center:
                self.featurewise_center = True
                warnings.warn("This ImageDataGenerator specifies `zca_whitening`, which "
                              "overrides setting of `featurewise_center`.", stacklevel=3)
            if self.featurewise_std_normalization:
                self.featurewise_std_normalization = False
                warnings.warn("This ImageDataGenerator specifies `zca_whitening`, which "
                              "overrides setting of `featurewise_std_normalization`.",
                              stacklevel=3)
        if self.featurewise_std_normalization and not self.featurewise_center:
            self.featurewise_center = True
            warnings.warn("This ImageDataGenerator specifies `featurewise_std_normalization`, "
                          "which overrides setting of `featurewise_center`.", stacklevel=3)
        if self.samplewise_std_normalization and not self.samplewise_center:
            self.samplewise_center = True
            warnings.warn("This ImageDataGenerator specifies `samplewise_std_normalization`, "
                          "which overrides setting of `samplewise_center`.", stacklevel=3)

    # -- iterators -----------------------------------------------------------------------

    def flow(self, x, y=None, batch_size=32, shuffle=True, sample_weight=None, seed=None,
             save_to_dir=None, save_prefix="", save_format="png", ignore_class_split=False,
             subset=None):
        """Batches of augmented images from arrays: a `NumpyArrayIterator` (a `PyDataset`).

        Args:
            x: Images `(samples, height, width, channels)` (channels first with
                `data_format="channels_first"`), or a tuple `(images, other)` where `other`
                is an array or list of arrays passed along unchanged as extra inputs.
            y: Labels, passed along unchanged, or `None` for batches of `x` only.
                Defaults to `None`.
            batch_size: Images per batch. Defaults to `32`.
            shuffle: Shuffle the samples at each epoch. Defaults to `True`.
            sample_weight: Per-sample weights, or `None`. Defaults to `None`.
            seed: Seed of the shuffling and the augmentation. Defaults to `None`.
            save_to_dir: A folder to save the generated images to (to look at them), or
                `None`. Defaults to `None`.
            save_prefix: File-name prefix of the saved images. Defaults to `""`.
            save_format: `"png"`, `"jpeg"`, ... Defaults to `"png"`.
            ignore_class_split: Allow a `subset` whose labels miss some classes.
                Defaults to `False`.
            subset: `"training"` or `"validation"` (with `validation_split`): the
                validation subset is the first `validation_split` of the samples.
                Defaults to `None`.

        Returns:
            A `NumpyArrayIterator` yielding `x`, `(x, y)` or `(x, y, sample_weight)`.
        """
        from lamina.preprocessing.iterators import NumpyArrayIterator

        return NumpyArrayIterator(
            x, y, self, batch_size=batch_size, shuffle=shuffle, sample_weight=sample_weight,
            seed=seed, data_format=self.data_format, save_to_dir=save_to_dir,
            save_prefix=save_prefix, save_format=save_format,
            ignore_class_split=ignore_class_split, subset=subset, dtype=self.dtype)

    def flow_from_directory(self, directory, target_size=(256, 256), color_mode="rgb",
                            classes=None, class_mode="categorical", batch_size=32, shuffle=True,
                            seed=None, save_to_dir=None, save_prefix="", save_format="png",
                            follow_links=False, subset=None, interpolation="nearest",
                            keep_aspect_ratio=False):
        """Batches of augmented images read from a folder with one sub-folder per class: a
        `DirectoryIterator`. See `DirectoryIterator` for the arguments."""
        from lamina.preprocessing.file_iterators import DirectoryIterator

        return DirectoryIterator(
            directory, self, target_size=target_size, color_mode=color_mode, classes=classes,
            class_mode=class_mode, batch_size=batch_size, shuffle=shuffle, seed=seed,
            data_format=self.data_format, save_to_dir=save_to_dir, save_prefix=save_prefix,
            save_format=save_format, follow_links=follow_links, subset=subset,
            interpolation=interpolation, keep_aspect_ratio=keep_aspect_ratio, dtype=self.dtype)

    def flow_from_dataframe(self, dataframe, directory=None, x_col="filename", y_col="class",
                            weight_col=None, target_size=(256, 256), color_mode="rgb",
                            classes=None, class_mode="categorical", batch_size=32, shuffle=True,
                            seed=None, save_to_dir=None, save_prefix="", save_format="png",
                            subset=None, interpolation="nearest", validate_filenames=True,
                            **kwargs):
        """Batches of augmented images whose paths and labels are in a pandas DataFrame: a
        `DataFrameIterator`. See `DataFrameIterator` for the arguments; Keras 2's removed
        `has_ext`, `sort` and `drop_duplicates` are accepted and ignored, and
        `class_mode="other"` means `"raw"`, each with a `DeprecationWarning`."""
        from lamina.preprocessing.file_iterators import DataFrameIterator

        for name in ("has_ext", "sort", "drop_duplicates"):
            if kwargs.pop(name, None) is not None:
                deprecation.warn(f"`flow_from_dataframe({name}=...)` is deprecated and has no "
                                 "effect: the files are read as the DataFrame lists them.")
        if kwargs:
            raise TypeError(f"`flow_from_dataframe` got unexpected keyword arguments: "
                            f"{sorted(kwargs)}.")
        if class_mode == "other":
            deprecation.warn("`class_mode='other'` is deprecated; use `class_mode='raw'`.")
            class_mode = "raw"
        return DataFrameIterator(
            dataframe, directory, self, x_col=x_col, y_col=y_col, weight_col=weight_col,
            target_size=target_size, color_mode=color_mode, classes=classes,
            class_mode=class_mode, batch_size=batch_size, shuffle=shuffle, seed=seed,
            data_format=self.data_format, save_to_dir=save_to_dir, save_prefix=save_prefix,
            save_format=save_format, subset=subset, interpolation=interpolation,
            validate_filenames=validate_filenames, dtype=self.dtype)

    # -- normalisation -------------------------------------------------------------------

    def _check_fitted(self):
        missing = [name for name, needed, value in (
            ("featurewise_center", self.featurewise_center, self.mean),
            ("featurewise_std_normalization", self.featurewise_std_normalization, self.std),
            ("zca_whitening", self.zca_whitening, self.zca_whitening_matrix),
        ) if needed and value is None]
        if missing:
            raise RuntimeError(
                f"This `ImageDataGenerator` uses {', '.join(f'`{m}`' for m in missing)}, which "
                "need statistics of the training images, but it has not been fit. Call "
                "`datagen.fit(x_train)` once before generating batches.")

    def _featurewise(self, x):
        if self.featurewise_center:
            x -= self.mean
        if self.featurewise_std_normalization:
            x /= self.std + 1e-6
        if self.zca_whitening:
            flat = x.reshape(-1, math.prod(x.shape[-3:]))  # (images, height * width * channels)
            x = np.reshape(flat @ self.zca_whitening_matrix, x.shape)
        return x

    def standardize(self, x):
        """Applies the normalisation options to `x`, in place where `x` is a float array.

        The order is Keras 2's: `preprocessing_function`, `rescale`, sample-wise centring and
        scaling (over the whole of `x`: pass one image), then the feature-wise statistics
        and ZCA whitening from `fit`.

        Args:
            x: One image (or a batch, treated as one sample by the sample-wise options).

        Returns:
            The normalised array.

        Raises:
            RuntimeError: If a feature-wise option is set and `fit` has not run.
        """
        self._check_fitted()
        if self.preprocessing_function:
            x = self.preprocessing_function(x)
        x = np.asarray(x)
        if x.dtype.kind != "f":
            x = x.astype(self.dtype)
        if self.rescale:
            x *= self.rescale
        if self.samplewise_center:
            x -= np.mean(x, keepdims=True)
        if self.samplewise_std_normalization:
            x /= np.std(x, keepdims=True) + 1e-6
        return self._featurewise(x)

    def _standardize_batch(self, batch):
        """`standardize` applied to each image of `batch` (written back into it)."""
        self._check_fitted()
        if self.preprocessing_function:
            for i in range(len(batch)):
                batch[i] = self.preprocessing_function(batch[i])
        if self.rescale:
            batch *= self.rescale
        axes = tuple(range(1, batch.ndim))
        if self.samplewise_center:
            batch -= np.mean(batch, axis=axes, keepdims=True)
        if self.samplewise_std_normalization:
            batch /= np.std(batch, axis=axes, keepdims=True) + 1e-6
        batch[...] = self._featurewise(batch)
        return batch

    # -- augmentation --------------------------------------------------------------------

    def _draw_transform(self, img_shape, rng):
        """Keras 2's draws, in Keras 2's order, from `rng` (a `RandomState` or `np.random`)."""
        row_axis, col_axis = self.row_axis - 1, self.col_axis - 1
        theta = rng.uniform(-self.rotation_range, self.rotation_range) if self.rotation_range else 0
        tx = _draw_shift(self.height_shift_range, img_shape[row_axis], rng)
        ty = _draw_shift(self.width_shift_range, img_shape[col_axis], rng)
        shear = rng.uniform(-self.shear_range, self.shear_range) if self.shear_range else 0
        if self.zoom_range[0] == 1 and self.zoom_range[1] == 1:
            zx, zy = 1, 1
        else:
            zx, zy = rng.uniform(self.zoom_range[0], self.zoom_range[1], 2)
        flip_horizontal = (rng.random() < 0.5) * self.horizontal_flip
        flip_vertical = (rng.random() < 0.5) * self.vertical_flip
        channel_shift_intensity = None
        if self.channel_shift_range != 0:
            channel_shift_intensity = rng.uniform(-self.channel_shift_range,
                                                  self.channel_shift_range)
        brightness = None
        if self.brightness_range is not None:
            brightness = rng.uniform(self.brightness_range[0], self.brightness_range[1])
        return {"theta": theta, "tx": tx, "ty": ty, "shear": shear, "zx": zx, "zy": zy,
                "flip_horizontal": flip_horizontal, "flip_vertical": flip_vertical,
                "channel_shift_intensity": channel_shift_intensity, "brightness": brightness}

    def get_random_transform(self, img_shape, seed=None):
        """Draws the parameters of one random transformation.

        Args:
            img_shape: The shape of one image.
            seed: A seed for these draws only; `None` draws from numpy's global generator
                (as Keras 2; with a seed, Keras 2 also reseeded the global generator, which
                this does not). Defaults to `None`.

        Returns:
            A dict with `theta`, `tx`, `ty`, `shear`, `zx`, `zy`, `flip_horizontal`,
            `flip_vertical`, `channel_shift_intensity` and `brightness`; see
            `apply_transform`.
        """
        rng = np.random if seed is None else np.random.RandomState(seed)
        return self._draw_transform(img_shape, rng)

    def _image_axes(self):
        return self.row_axis - 1, self.col_axis - 1, self.channel_axis - 1

    def _finish_transform(self, x, params):
        """The non-affine part of `apply_transform`, on one image."""
        row_axis, col_axis, _ = self._image_axes()
        if params.get("channel_shift_intensity") is not None:
            x = affine.channel_shift(x, params["channel_shift_intensity"])
        if params.get("flip_horizontal", False):
            x = np.flip(x, col_axis)
        if params.get("flip_vertical", False):
            x = np.flip(x, row_axis)
        if params.get("brightness") is not None:
            x = affine.brightness_shift(x, params["brightness"], False, self.data_format)
        return x

    def apply_transform(self, x, transform_parameters):
        """Applies a transformation to one image.

        Args:
            x: One image of rank 3.
            transform_parameters: A dict as from `get_random_transform`: `theta` (rotation,
                degrees), `tx` and `ty` (shifts in pixels: `tx` moves along the columns, as
                in Keras 2), `shear` (degrees), `zx`, `zy` (zooms), `flip_horizontal`,
                `flip_vertical`, `channel_shift_intensity`, `brightness`. Missing keys mean
                no change.

        Returns:
            The transformed image, of the same shape.
        """
        row_axis, col_axis, channel_axis = self._image_axes()
        x = affine.affine_transform(
            x, transform_parameters.get("theta", 0), transform_parameters.get("tx", 0),
            transform_parameters.get("ty", 0), transform_parameters.get("shear", 0),
            transform_parameters.get("zx", 1), transform_parameters.get("zy", 1),
            row_axis, col_axis, channel_axis, self.fill_mode, self.cval,
            self.interpolation_order, owner="ImageDataGenerator.apply_transform")
        return self._finish_transform(x, transform_parameters)

    def random_transform(self, x, seed=None):
        """`apply_transform(x, get_random_transform(x.shape, seed))`."""
        return self.apply_transform(x, self.get_random_transform(np.shape(x), seed))

    def _augment_batch(self, batch, rng):
        """Random transformations of each image of `batch`, drawn in order from `rng`,
        written back into `batch`."""
        params = [self._draw_transform(batch.shape[1:], rng) for _ in range(len(batch))]
        row_axis, col_axis, channel_axis = self._image_axes()
        affine.affine_transform_batch(batch, params, row_axis, col_axis, channel_axis,
                                      self.fill_mode, self.cval, self.interpolation_order)
        for i, p in enumerate(params):
            if (p["channel_shift_intensity"] is not None or p["flip_horizontal"]
                    or p["flip_vertical"] or p["brightness"] is not None):
                batch[i] = self._finish_transform(batch[i], p)
        return batch

    def fit(self, x, augment=False, rounds=1, seed=None):
        """Computes the statistics that `featurewise_center`,
        `featurewise_std_normalization` and `zca_whitening` use.

        Args:
            x: Sample images, of rank 4 (rescaled by `rescale` first).
            augment: Compute the statistics on randomly augmented copies. Defaults to
                `False`.
            rounds: With `augment`, how many augmented copies of `x` to use. Defaults to `1`.
            seed: Seed of the augmentation. Defaults to `None`.

        Raises:
            ValueError: If `x` is not of rank 4.
        """
        x = np.array(x, dtype=self.dtype)  # a copy
        if x.ndim != 4:
            raise ValueError(f"`{_OWNER}.fit` expects `x` to be images of rank 4. Received: x "
                             f"of shape {x.shape}.")
        if x.shape[self.channel_axis] not in (1, 3, 4):
            warnings.warn(
                f"`{_OWNER}.fit` expects images with 1, 3 or 4 channels on axis "
                f"{self.channel_axis} (data_format={self.data_format!r}). Received: x of shape "
                f"{x.shape}, with {x.shape[self.channel_axis]} channels.", stacklevel=2)
        rng = np.random if seed is None else np.random.RandomState(seed)
        if self.rescale:
            x *= self.rescale
        if augment:
            x = np.concatenate([self._augment_batch(x.copy(), rng) for _ in range(rounds)])
        axes = (0, self.row_axis, self.col_axis)
        shape = [1, 1, 1]
        shape[self.channel_axis - 1] = x.shape[self.channel_axis]
        if self.featurewise_center:
            self.mean = np.reshape(np.mean(x, axis=axes), shape)
            x -= self.mean
        if self.featurewise_std_normalization:
            self.std = np.reshape(np.std(x, axis=axes), shape)
            x /= self.std + 1e-6
        if self.zca_whitening:
            n = len(x)
            u, s, _ = np.linalg.svd(np.reshape(x, (n, -1)).T, full_matrices=False)
            s_inv = np.sqrt(n) / (s + self.zca_epsilon)
            self.zca_whitening_matrix = (u * s_inv).dot(u.T)
