"""Images between files, Pillow images and numpy arrays: `load_img`, `img_to_array`,
`array_to_img`, `save_img`.

Arrays are `(height, width, channels)` (or `(channels, height, width)` with
`data_format="channels_first"`), float32 by default, with pixel values in `[0, 255]` as in
Keras. Pillow comes from the `image` extra (`pip install "lamina[image]"`) and is imported
only when one of these functions runs.
"""

import io
import numbers
import pathlib
import warnings

import numpy as np

from lamina import config
from lamina.validation import received

# Keras' names for Pillow's resampling filters, in Keras' order.
INTERPOLATIONS = ("nearest", "bilinear", "bicubic", "hamming", "box", "lanczos")
COLOR_MODES = ("grayscale", "rgb", "rgba")


def pil_image():
    """The `PIL.Image` module, or an ImportError that says how to install it."""
    try:
        from PIL import Image
    except ImportError as error:
        raise ImportError("Reading and writing images needs Pillow. Install it with: "
                          "pip install 'lamina[image]'") from error
    return Image


def standardize_data_format(data_format, owner):
    """`data_format`, or the global `image_data_format()` when it is `None`."""
    if data_format is None:
        return config.image_data_format()
    if data_format not in ("channels_last", "channels_first"):
        raise ValueError(f"`{owner}` expects `data_format` to be 'channels_last' or "
                         "'channels_first'. " + received("data_format", data_format))
    return data_format


def array_to_img(x, data_format=None, scale=True, dtype=None):
    """Converts a 3D array to a Pillow image.

    Args:
        x: An image as an array-like of rank 3: `(height, width, channels)`, or
            `(channels, height, width)` with `data_format="channels_first"`. 1 channel gives a
            grayscale image (mode `"L"`, or 32-bit `"I"` when values exceed 255), 3 an `"RGB"`
            image and 4 an `"RGBA"` image.
        data_format: `"channels_last"` or `"channels_first"`. Defaults to `None`, which
            means `keras.config.image_data_format()` (`"channels_last"`).
        scale: Whether to stretch the values linearly so that the smallest becomes 0 and the
            largest 255. Without it, values are cast to 8-bit integers as they are.
            Defaults to `True`.
        dtype: The dtype `x` is converted to before scaling. Defaults to `None`, which means
            `keras.config.floatx()` (`"float32"`).

    Returns:
        A `PIL.Image.Image`.

    Raises:
        ValueError: If `x` is not of rank 3, or has a number of channels other than 1, 3
            or 4.

    Example:
    >>> import numpy as np
    >>> img = array_to_img(np.array([[[0.0], [0.5]], [[1.0], [0.25]]]))
    >>> img.mode, img.size, np.asarray(img).tolist()
    ('L', (2, 2), [[0, 127], [255, 63]])
    """
    data_format = standardize_data_format(data_format, "array_to_img")
    image = pil_image()
    x = np.asarray(x, dtype=dtype or config.floatx())
    if x.ndim != 3:
        raise ValueError("`array_to_img` expects `x` to be a single image of rank 3 "
                         f"(height, width, channels). Received: x of shape {x.shape}.")
    if data_format == "channels_first":
        x = x.transpose(1, 2, 0)  # (height, width, channels)
    if x.shape[2] not in (1, 3, 4):
        raise ValueError("`array_to_img` expects `x` to have 1 (grayscale), 3 (RGB) or 4 "
                         f"(RGBA) channels. Received: x of shape {x.shape}, with "
                         f"{x.shape[2]} channels.")
    if scale:
        x = x - np.min(x)
        peak = np.max(x)
        if peak != 0:
            x = x / peak
        x = x * 255
    if x.shape[2] == 4:
        return image.fromarray(x.astype("uint8"), "RGBA")
    if x.shape[2] == 3:
        return image.fromarray(x.astype("uint8"), "RGB")
    if np.max(x) > 255:  # beyond 8 bits: Pillow's 32-bit integer grayscale
        return image.fromarray(x[:, :, 0].astype("int32"), "I")
    return image.fromarray(x[:, :, 0].astype("uint8"), "L")


def img_to_array(img, data_format=None, dtype=None):
    """Converts a Pillow image (or anything numpy reads as an image) to a 3D array.

    Args:
        img: A `PIL.Image.Image`.
        data_format: `"channels_last"` gives `(height, width, channels)`, `"channels_first"`
            gives `(channels, height, width)`. Defaults to `None`, which means
            `keras.config.image_data_format()` (`"channels_last"`).
        dtype: The dtype of the array. Defaults to `None`, which means
            `keras.config.floatx()` (`"float32"`).

    Returns:
        A numpy array of rank 3; a grayscale image gets a channel axis of size 1.

    Raises:
        ValueError: If the image is not of rank 2 or 3 as an array.

    Example:
    >>> from PIL import Image
    >>> x = img_to_array(Image.new("RGB", (3, 2), (10, 20, 30)))
    >>> x.shape, x.dtype.name, x[0, 0].tolist()
    ((2, 3, 3), 'float32', [10.0, 20.0, 30.0])
    """
    data_format = standardize_data_format(data_format, "img_to_array")
    x = np.asarray(img, dtype=dtype or config.floatx())
    if x.ndim == 2:
        x = x[None] if data_format == "channels_first" else x[..., None]
    elif x.ndim == 3:
        if data_format == "channels_first":
            x = x.transpose(2, 0, 1)  # (channels, height, width)
    else:
        raise ValueError("`img_to_array` expects an image that reads as an array of rank 2 "
                         f"(grayscale) or 3. Received: an array of shape {x.shape}.")
    return x


def save_img(path, x, data_format=None, file_format=None, scale=True, **kwargs):
    """Saves an image given as an array to a path or a file object.

    Args:
        path: A path (string or `pathlib.Path`) or a writable binary file object.
        x: The image as an array of rank 3; see `array_to_img`.
        data_format: `"channels_last"` or `"channels_first"`. Defaults to `None`, which
            means `keras.config.image_data_format()` (`"channels_last"`).
        file_format: The format to write (`"png"`, `"jpeg"`, ...). Defaults to `None`, which
            means the extension of `path`; a file object needs it. `"jpg"` means `"jpeg"`.
        scale: Whether to stretch the values to `[0, 255]`; see `array_to_img`.
            Defaults to `True`.
        **kwargs: Passed on to `PIL.Image.Image.save` (e.g. `quality=95`).

    An RGBA image saved as JPEG, which has no alpha channel, loses its alpha channel, with a
    warning.

    Example:
    >>> import io
    >>> import numpy as np
    >>> buffer = io.BytesIO()
    >>> save_img(buffer, np.full((2, 2, 3), 7.0), file_format="png", scale=False)
    >>> img_to_array(load_img(buffer))[1, 1].tolist()
    [7.0, 7.0, 7.0]
    """
    data_format = standardize_data_format(data_format, "save_img")
    if file_format is None and isinstance(path, (str, pathlib.Path)):
        file_format = pathlib.Path(path).suffix[1:].lower() or None
    if file_format is not None and file_format.lower() == "jpg":
        file_format = "jpeg"
    img = array_to_img(x, data_format=data_format, scale=scale)
    if img.mode == "RGBA" and file_format is not None and file_format.lower() == "jpeg":
        warnings.warn("JPEG has no alpha channel: the RGBA image is saved as RGB.",
                      stacklevel=2)
        img = img.convert("RGB")
    img.save(path, format=file_format, **kwargs)


def load_img(path, color_mode="rgb", target_size=None, interpolation="nearest",
             keep_aspect_ratio=False):
    """Loads an image file as a Pillow image.

    Args:
        path: A path (string, bytes or `pathlib.Path`) or an `io.BytesIO` holding the file.
        color_mode: `"grayscale"`, `"rgb"` or `"rgba"`: the image is converted to that mode
            (a grayscale image that is already 8, 16 or 32-bit is kept as it is).
            Defaults to `"rgb"`.
        target_size: `None` to keep the size of the file, or `(height, width)` to resize
            to. Defaults to `None`.
        interpolation: The Pillow filter used to resize: `"nearest"`, `"bilinear"`,
            `"bicubic"`, `"hamming"`, `"box"` or `"lanczos"`. Defaults to `"nearest"`.
        keep_aspect_ratio: Whether to resize without distorting: the largest centred
            window of the image with the aspect ratio of `target_size` is resized, the rest
            is cropped away. Defaults to `False`.

    Returns:
        A `PIL.Image.Image`.

    Raises:
        TypeError: If `path` is neither path-like nor an `io.BytesIO`.
        ValueError: If `color_mode`, `target_size` or `interpolation` is not valid, or the
            file is not an image Pillow can read.

    Example:
    >>> import io
    >>> from PIL import Image
    >>> buffer = io.BytesIO()
    >>> Image.new("RGB", (4, 2), (255, 0, 0)).save(buffer, format="png")
    >>> img = load_img(buffer, color_mode="grayscale", target_size=(1, 2))
    >>> img.mode, img.size, img_to_array(img).ravel().tolist()
    ('L', (2, 1), [76.0, 76.0])
    """
    image = pil_image()
    if color_mode not in COLOR_MODES:
        raise ValueError("`load_img` expects `color_mode` to be one of 'grayscale', 'rgb', "
                         "'rgba'. " + received("color_mode", color_mode))
    if target_size is not None:
        target_size = check_image_size(target_size, "target_size", "load_img")
    if interpolation not in INTERPOLATIONS:
        raise ValueError("`load_img` expects `interpolation` to be one of "
                         f"{', '.join(map(repr, INTERPOLATIONS))}. "
                         + received("interpolation", interpolation))
    if isinstance(path, io.BytesIO):
        source = path
    elif isinstance(path, (str, bytes, pathlib.PurePath)):
        with open(path, "rb") as f:  # read whole, so the file is closed at once
            source = io.BytesIO(f.read())
    else:
        raise TypeError("`load_img` expects `path` to be a path (str, bytes, pathlib.Path) or "
                        "an io.BytesIO. " + received("path", path))
    try:
        img = image.open(source)
    except image.UnidentifiedImageError as error:
        raise ValueError(f"`load_img` cannot read {path!r} as an image: Pillow does not "
                         "recognise its format.") from error
    if color_mode == "grayscale":
        if img.mode not in ("L", "I;16", "I"):
            img = img.convert("L")
    elif img.mode != color_mode.upper():
        img = img.convert(color_mode.upper())
    if target_size is None:
        return img
    width_height = (target_size[1], target_size[0])  # Pillow sizes are (width, height)
    if img.size == width_height:
        return img
    resample = getattr(image.Resampling, interpolation.upper())
    box = centred_crop_box(img.size, width_height) if keep_aspect_ratio else None
    return img.resize(width_height, resample, box=box)


def centred_crop_box(size, target):
    """The largest centred `(left, upper, right, lower)` box of an image of `size`
    `(width, height)` with the aspect ratio of `target` `(width, height)`."""
    width, height = size
    crop_height = min(height, (width * target[1]) // target[0])
    crop_width = min(width, (height * target[0]) // target[1])
    left, upper = (width - crop_width) // 2, (height - crop_height) // 2
    return (left, upper, left + crop_width, upper + crop_height)


def check_image_size(size, arg, owner):
    """`size` as a `(height, width)` tuple of positive ints; an int means a square."""
    if isinstance(size, numbers.Integral) and not isinstance(size, bool):
        size = (size, size)
    if (not isinstance(size, (list, tuple)) or len(size) != 2
            or not all(isinstance(d, numbers.Integral) and not isinstance(d, bool) and d > 0
                       for d in size)):
        raise ValueError(f"`{owner}` expects `{arg}` to be a tuple of 2 positive integers "
                         "(height, width). " + received(arg, size))
    return (int(size[0]), int(size[1]))
