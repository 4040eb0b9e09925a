"""`image_dataset_from_directory`: batches of images (and labels) read from class folders.

Keras returns a `tf.data.Dataset`; lamina returns a `PyDataset` (`ImageDirectoryDataset`)
that `fit`, `evaluate` and `predict` take as `x` and that iterates the same way
(`for images, labels in dataset`). Files are found, ordered and split exactly as Keras does
(see `directory_utils`), images are decoded and resized as TensorFlow does (see
`image_resizing`), and only the images of the batch being asked for are read.
"""

import os

import numpy as np

from lamina.utils import directory_utils, image_resizing
from lamina.utils.batched_dataset import BatchedDataset
from lamina.utils.image_utils import check_image_size, pil_image, standardize_data_format
from lamina.validation import received, validate_choice, validate_positive_int

ALLOWLIST_FORMATS = (".bmp", ".gif", ".jpeg", ".jpg", ".png")
_CHANNELS = {"grayscale": 1, "rgb": 3, "rgba": 4}
_OWNER = "image_dataset_from_directory"


def image_dataset_from_directory(directory, labels="inferred", label_mode="int",
                                 class_names=None, color_mode="rgb", batch_size=32,
                                 image_size=(256, 256), shuffle=True, seed=None,
                                 validation_split=None, subset=None, interpolation="bilinear",
                                 follow_links=False, crop_to_aspect_ratio=False,
                                 pad_to_aspect_ratio=False, data_format=None, verbose=True):
    """Makes a dataset of batches of images from a directory of image files.

    With `labels="inferred"`, each sub-folder of `directory` is a class, labelled by its
    index in the sorted folder names: `main/cats/1.png` and `main/dogs/2.jpg` give
    `class_names == ["cats", "dogs"]` and labels 0 and 1. Files are `.png`, `.jpg`,
    `.jpeg`, `.bmp` or `.gif` (the first frame), found in sub-folders at any depth.

    Args:
        directory: The directory of the images.
        labels: `"inferred"` (from the sub-folders), `None` (images only), or a list/tuple of
            integer labels, one per image file, in the order of the sorted file paths (as
            walked by `os.walk`). Defaults to `"inferred"`.
        label_mode: `"int"` (int32 labels, for `sparse_categorical_crossentropy`),
            `"categorical"` (one-hot float32 vectors), `"binary"` (float32 0/1 of shape
            `(batch, 1)`, for exactly 2 classes) or `None` (images only). Defaults to `"int"`.
        class_names: With inferred labels, the sub-folders to use, in the order that gives
            their labels. Defaults to `None`: all of them, sorted.
        color_mode: `"grayscale"`, `"rgb"` or `"rgba"`: 1, 3 or 4 channels.
            Defaults to `"rgb"`.
        batch_size: Images per batch, or `None` for single images (no batch axis).
            Defaults to `32`.
        image_size: `(height, width)` every image is resized to. Defaults to `(256, 256)`.
        shuffle: Whether to shuffle the files (once, as Keras does, and again after every
            epoch); without it they are in sorted order. Defaults to `True`.
        seed: Seed for the shuffling. Defaults to `None`.
        validation_split: Fraction of the files kept for validation, or `None`.
            Defaults to `None`.
        subset: With `validation_split`, `"training"`, `"validation"` or `"both"` (a
            `(training, validation)` pair). Defaults to `None`.
        interpolation: How images are resized: `"bilinear"`, `"nearest"`, `"bicubic"`,
            `"area"`, `"lanczos3"`, `"lanczos5"`, `"gaussian"` or `"mitchellcubic"`, computed
            as `tf.image.resize` does. Defaults to `"bilinear"`.
        follow_links: Whether to enter sub-folders that are symbolic links.
            Defaults to `False`.
        crop_to_aspect_ratio: Resize without distortion by first cropping the largest centred
            window with the aspect ratio of `image_size`. Defaults to `False`.
        pad_to_aspect_ratio: Resize without distortion by fitting the image inside
            `image_size` and padding the rest with zeros. Defaults to `False`.
        data_format: `"channels_last"` or `"channels_first"`. Defaults to `None`, which
            means `keras.config.image_data_format()`.
        verbose: Whether to print how many files and classes were found. Defaults to `True`.

    Returns:
        An `ImageDirectoryDataset` (a `keras.utils.PyDataset`), or a `(training, validation)`
        pair of them with `subset="both"`. Each batch is `(images, labels)`, or `images`
        alone without labels; `images` is float32 `(batch, height, width, channels)` (uint8
        with `interpolation="nearest"`, as in Keras). It has `class_names` and `file_paths`
        attributes, `len()` (batches) and reads only the files of the batch asked for.

    Raises:
        ValueError: If an argument is not valid, `directory` does not exist or holds no
            image, or the labels do not match the files.

    Example:
    >>> import os, tempfile
    >>> import numpy as np
    >>> from lamina.utils import save_img
    >>> folder = tempfile.TemporaryDirectory()
    >>> for name in ("cats", "dogs"):
    ...     os.makedirs(os.path.join(folder.name, name))
    ...     save_img(os.path.join(folder.name, name, "0.png"), np.zeros((8, 8, 3)))
    >>> dataset = image_dataset_from_directory(folder.name, image_size=(4, 4), shuffle=False)
    Found 2 files belonging to 2 classes.
    >>> images, labels = next(iter(dataset))
    >>> dataset.class_names, images.shape, labels.tolist()
    (['cats', 'dogs'], (2, 4, 4, 3), [0, 1])
    >>> folder.cleanup()
    """
    labels, label_mode = directory_utils.check_labels(labels, label_mode, class_names, _OWNER)
    num_channels = _CHANNELS.get(color_mode) if isinstance(color_mode, str) else None
    if num_channels is None:
        raise ValueError(f"`{_OWNER}` expects `color_mode` to be one of 'grayscale', 'rgb', "
                         "'rgba'. " + received("color_mode", color_mode))
    image_size = check_image_size(image_size, "image_size", _OWNER)
    interpolation = validate_choice(interpolation.lower() if isinstance(interpolation, str)
                                    else interpolation, "interpolation",
                                    image_resizing.INTERPOLATIONS, _OWNER)
    if crop_to_aspect_ratio and pad_to_aspect_ratio:
        raise ValueError(f"`{_OWNER}` takes only one of `crop_to_aspect_ratio` and "
                         "`pad_to_aspect_ratio`: crop the image to the aspect ratio of "
                         "`image_size`, or pad it. Received: both True.")
    if batch_size is not None:
        validate_positive_int(batch_size, "batch_size", _OWNER)
    data_format = standardize_data_format(data_format, _OWNER)
    directory_utils.check_validation_split(validation_split, subset, shuffle, seed, _OWNER)
    pil_image()  # fail now, not in the first batch, without Pillow
    if shuffle and seed is None:
        seed = np.random.randint(1e6)
    file_paths, labels, class_names = directory_utils.index_directory(
        directory, labels, ALLOWLIST_FORMATS, class_names, shuffle, seed, follow_links, _OWNER)
    if verbose:
        print(f"Found {len(file_paths)} files" + (
            "." if labels is None else f" belonging to {len(class_names)} classes."))
    if not file_paths:
        raise ValueError(f"`{_OWNER}` found no image in {str(directory)!r}. Allowed formats: "
                         f"{', '.join(ALLOWLIST_FORMATS)}.")
    directory_utils.check_label_range(labels, label_mode, class_names, _OWNER)
    options = {"label_mode": label_mode, "class_names": class_names, "image_size": image_size,
               "num_channels": num_channels, "interpolation": interpolation,
               "crop_to_aspect_ratio": crop_to_aspect_ratio,
               "pad_to_aspect_ratio": pad_to_aspect_ratio, "data_format": data_format,
               "batch_size": batch_size}
    return directory_utils.make_subsets(
        file_paths, labels, validation_split, subset, shuffle, verbose, _OWNER,
        lambda paths, part_labels, part_shuffle: ImageDirectoryDataset(
            paths, part_labels, shuffle=part_shuffle, seed=seed, **options))


class ImageDirectoryDataset(BatchedDataset):
    """Batches of images read from files; made by `image_dataset_from_directory`.

    Attributes:
        class_names: The class names, in label order (`None` without labels).
        file_paths: The files, in the order of the first pass.
    """

    def __init__(self, file_paths, labels, label_mode, class_names, image_size, num_channels,
                 interpolation, crop_to_aspect_ratio, pad_to_aspect_ratio, data_format,
                 batch_size, shuffle, seed):
        # Threads: decoding and resizing run in C (Pillow, BLAS) and release the GIL.
        super().__init__(len(file_paths), batch_size, shuffle, seed,
                         workers=min(4, os.cpu_count() or 1))
        self.file_paths = list(file_paths)
        self.class_names = class_names
        self._labels = labels
        self._label_mode = label_mode
        self._image_size = image_size
        self._num_channels = num_channels
        self._interpolation = interpolation
        self._crop = crop_to_aspect_ratio
        self._pad = pad_to_aspect_ratio
        self._channels_first = data_format == "channels_first"

    def _load(self, indices):
        images = np.stack([self._image(self.file_paths[i]) for i in indices])
        if self._labels is None:
            return images
        labels = directory_utils.encode_labels(self._labels[indices], self._label_mode,
                                               len(self.class_names))
        return images, labels

    def _image(self, path):
        image = decode_image(path, self._num_channels)  # (height, width, channels) uint8
        if self._crop:
            top, left, height, width = image_resizing.crop_box(*image.shape[:2],
                                                               self._image_size)
            image = image[top:top + height, left:left + width]
        if self._pad:
            image = image_resizing.resize_with_pad(image, self._image_size, self._interpolation)
        else:
            image = image_resizing.resize(image, self._image_size, self._interpolation)
        return image.transpose(2, 0, 1) if self._channels_first else image


def decode_image(path, num_channels):
    """The image file at `path` as a uint8 `(height, width, num_channels)` array, with the
    pixel values `tf.image.decode_image` gives (first frame of a GIF)."""
    image_module = pil_image()
    try:
        img = image_module.open(path)
    except image_module.UnidentifiedImageError as error:
        raise ValueError(f"`{_OWNER}` cannot read {path!r} as an image: Pillow does not "
                         "recognise its format.") from error
    with img:
        if num_channels == 1 and img.format == "JPEG":
            img.draft("L", None)  # the decoder's own luma, as libjpeg gives TensorFlow
        if img.mode in ("I", "I;16", "I;16B", "I;16L"):  # 16-bit grayscale: keep the high byte
            img = image_module.fromarray((np.asarray(img).astype(np.uint32) >> 8)
                                         .astype(np.uint8), "L")
        if num_channels == 1:
            if img.mode not in ("L", "LA"):
                return _luma(np.asarray(img.convert("RGB")))
            return np.asarray(img.convert("L"))[..., None]
        return np.asarray(img.convert("RGB" if num_channels == 3 else "RGBA"))


def _luma(rgb):
    """libpng's grayscale conversion (what TensorFlow uses): weights 0.299, 0.587, 0.114 in
    15-bit fixed point, rounded down."""
    weights = np.array([9797, 19234, 3737], dtype=np.uint32)
    return ((rgb.astype(np.uint32) @ weights) >> 15).astype(np.uint8)[..., None]
