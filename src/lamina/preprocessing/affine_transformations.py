"""Keras 2's image transformations on numpy arrays: the affine map (rotation, shift, shear,
zoom) composed into one matrix about the image centre, channel shifts, brightness, flips.

Numerics follow Keras 2 (`keras.preprocessing.image` in tf.keras 2.x, kept in Keras 3 as
`keras.src.legacy.preprocessing.image`) exactly, including two of its conventions:

- The matrix is built in `(x, y)` coordinates and conjugated by the swap of the two image axes
  before use, so `tx` (which `ImageDataGenerator` draws from `height_shift_range`) moves the
  image along its *columns*, `ty` along its rows, and `zx` stretches the columns.
- The centre is taken as `(height / 2 - 0.5, width / 2 - 0.5)` *before* that swap: exact for
  square images, slightly off-centre for others.

The resampling is `resampling.resample`, which reproduces `scipy.ndimage.affine_transform`.

The public functions here are Keras 2 APIs that Keras 3 dropped: each call emits one
`DeprecationWarning` naming its replacement. `ImageDataGenerator` uses the private versions.
"""

import numbers

import numpy as np

from lamina import deprecation
from lamina.preprocessing.resampling import FILL_MODES, INTERPOLATION_ORDERS, resample
from lamina.utils import image_utils
from lamina.validation import received


def transform_matrix_offset_center(matrix, x, y):
    """`matrix` (3x3) moved to act about the centre of an image of `x` rows and `y` columns:
    `offset @ matrix @ offset⁻¹` with the offset `(x / 2 - 0.5, y / 2 - 0.5)`."""
    o_x, o_y = float(x) / 2 - 0.5, float(y) / 2 - 0.5
    offset_matrix = np.array([[1, 0, o_x], [0, 1, o_y], [0, 0, 1]])
    reset_matrix = np.array([[1, 0, -o_x], [0, 1, -o_y], [0, 0, 1]])
    return np.dot(np.dot(offset_matrix, matrix), reset_matrix)


def transform_matrix(theta=0, tx=0, ty=0, shear=0, zx=1, zy=1):
    """Keras 2's 3x3 matrix: rotation · shift · shear · zoom (angles in degrees), or `None`
    for the identity."""
    matrix = None

    def compose(part):
        return part if matrix is None else np.dot(matrix, part)

    if theta != 0:
        theta = np.deg2rad(theta)
        matrix = np.array([[np.cos(theta), -np.sin(theta), 0],
                           [np.sin(theta), np.cos(theta), 0], [0, 0, 1]])
    if tx != 0 or ty != 0:
        matrix = compose(np.array([[1, 0, tx], [0, 1, ty], [0, 0, 1]]))
    if shear != 0:
        shear = np.deg2rad(shear)
        matrix = compose(np.array([[1, -np.sin(shear), 0], [0, np.cos(shear), 0], [0, 0, 1]]))
    if zx != 1 or zy != 1:
        matrix = compose(np.array([[zx, 0, 0], [0, zy, 0], [0, 0, 1]]))
    return matrix


def check_axes(x, row_axis, col_axis, channel_axis, owner):
    """Keras 2's checks on a single image and its axes."""
    axes = (row_axis, col_axis, channel_axis)
    if sorted(axes) != [0, 1, 2]:
        raise ValueError(f"`{owner}` expects `row_axis`, `col_axis` and `channel_axis` to be "
                         f"0, 1 and 2 in some order. Received: row_axis={row_axis}, "
                         f"col_axis={col_axis}, channel_axis={channel_axis}.")
    if channel_axis not in (0, 2):
        raise ValueError(f"`{owner}` expects the channels first or last: `channel_axis` 0 or "
                         "2. " + received("channel_axis", channel_axis))
    if np.ndim(x) != 3:
        raise ValueError(f"`{owner}` expects `x` to be a single image of rank 3 (with a "
                         f"channel axis). Received: x of shape {np.shape(x)}.")


def check_fill(fill_mode, order, owner):
    if fill_mode not in FILL_MODES:
        raise ValueError(f"`{owner}` expects `fill_mode` to be one of "
                         f"{', '.join(map(repr, FILL_MODES))}. " + received("fill_mode", fill_mode))
    if isinstance(order, bool) or order not in INTERPOLATION_ORDERS:
        raise ValueError(
            f"`{owner}` supports interpolation orders 0 (nearest pixel) and 1 (bilinear, "
            "Keras' default); higher-order splines need scipy, which lamina does not use. "
            + received("order", order))


def affine_transform_batch(images, params, row_axis, col_axis, channel_axis,
                           fill_mode="nearest", cval=0.0, order=1):
    """Applies one affine transform per image of a batch, in place where there is one.

    Args:
        images: Array `(batch, ...)` of images of rank 3.
        params: One dict per image with any of `theta`, `tx`, `ty`, `shear`, `zx`, `zy`.
        row_axis, col_axis, channel_axis: The axes of one image.
        fill_mode, cval, order: See `resampling.resample`.

    Returns:
        `images`, with the transformed images written in.
    """
    height, width = images.shape[1 + row_axis], images.shape[1 + col_axis]
    chosen, matrices, offsets = [], [], []
    for index, p in enumerate(params):
        matrix = transform_matrix(p.get("theta", 0), p.get("tx", 0), p.get("ty", 0),
                                  p.get("shear", 0), p.get("zx", 1), p.get("zy", 1))
        if matrix is None:
            continue
        matrix = transform_matrix_offset_center(matrix, height, width)
        if col_axis > row_axis:  # Keras' (x, y) to (row, column) swap: P @ M @ P
            matrix[:, [0, 1]] = matrix[:, [1, 0]]
            matrix[[0, 1]] = matrix[[1, 0]]
        chosen.append(index)
        matrices.append(matrix[:2, :2])
        offsets.append(matrix[:2, 2])
    if chosen:
        selected = np.moveaxis(images[chosen], 1 + channel_axis, -1)  # (n, size0, size1, ch)
        out = resample(selected, np.stack(matrices), np.stack(offsets), fill_mode, cval, order)
        images[chosen] = np.moveaxis(out, -1, 1 + channel_axis)
    return images


def affine_transform(x, theta=0, tx=0, ty=0, shear=0, zx=1, zy=1, row_axis=1, col_axis=2,
                     channel_axis=0, fill_mode="nearest", cval=0.0, order=1,
                     owner="apply_affine_transform"):
    """`apply_affine_transform` without the deprecation warning."""
    check_axes(x, row_axis, col_axis, channel_axis, owner)
    check_fill(fill_mode, order, owner)
    x = np.array(x)  # a copy, like Keras'
    params = {"theta": theta, "tx": tx, "ty": ty, "shear": shear, "zx": zx, "zy": zy}
    return affine_transform_batch(x[None], [params], row_axis, col_axis, channel_axis,
                                  fill_mode, cval, order)[0]


def channel_shift(x, intensity):
    """Adds `intensity` to every value, clipped to the image's own range."""
    x = np.asarray(x)
    return np.clip(x + intensity, np.min(x), np.max(x))


def brightness_shift(x, brightness, scale=True, data_format=None):
    """Pillow's `ImageEnhance.Brightness(brightness)` on an image array.

    The image goes through an 8-bit Pillow image: values are stretched to `[0, 255]` first
    when `scale` is true or when they leave that range (and stretched back without `scale`).
    """
    image_utils.pil_image()  # an ImportError naming the `image` extra when Pillow is missing
    from PIL import ImageEnhance
    x_min, x_max = np.min(x), np.max(x)
    local_scale = (x_min < 0) or (x_max > 255)
    img = image_utils.array_to_img(x, data_format=data_format, scale=local_scale or scale)
    img = ImageEnhance.Brightness(img).enhance(brightness)
    x = image_utils.img_to_array(img, data_format=data_format)
    if not scale and local_scale:
        x = x / 255 * (x_max - x_min) + x_min
    return x


def _warn(name, replacement):
    deprecation.warn(f"`preprocessing.image.{name}` (a Keras 2 function) is deprecated in "
                     f"Keras 3; use {replacement}.")


def _check_pair(value, arg, owner):
    if (not isinstance(value, (list, tuple)) or len(value) != 2
            or not all(isinstance(v, numbers.Real) for v in value)):
        raise ValueError(f"`{owner}` expects `{arg}` to be a tuple or list of two floats. "
                         + received(arg, value))


def apply_affine_transform(x, theta=0, tx=0, ty=0, shear=0, zx=1, zy=1, row_axis=1,
                           col_axis=2, channel_axis=0, fill_mode="nearest", cval=0.0,
                           order=1):
    """Applies Keras 2's affine transform to one image (deprecated).

    Args:
        x: An image of rank 3.
        theta: Rotation angle in degrees. Defaults to `0`.
        tx: Shift along the columns, in pixels (see the module docstring). Defaults to `0`.
        ty: Shift along the rows, in pixels. Defaults to `0`.
        shear: Shear angle in degrees. Defaults to `0`.
        zx: Zoom of the columns (above 1 zooms out). Defaults to `1`.
        zy: Zoom of the rows. Defaults to `1`.
        row_axis, col_axis, channel_axis: The axes of `x`. Default to `1`, `2`, `0`
            (channels first, as in Keras 2).
        fill_mode: `"constant"`, `"nearest"`, `"reflect"` or `"wrap"`; see
            `ImageDataGenerator`. Defaults to `"nearest"`.
        cval: The fill value of `fill_mode="constant"`. Defaults to `0.0`.
        order: Interpolation order, 0 or 1. Defaults to `1`.

    Returns:
        The transformed image, of the shape and dtype of `x`.

    Raises:
        ValueError: If the axes, `x`'s rank, `fill_mode` or `order` is invalid.

    Example:
    >>> import warnings
    >>> import numpy as np
    >>> x = np.arange(9, dtype="float32").reshape(3, 3, 1)
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("ignore", DeprecationWarning)
    ...     y = apply_affine_transform(x, theta=90, row_axis=0, col_axis=1, channel_axis=2)
    >>> y[..., 0].round(4).tolist()
    [[2.0, 5.0, 8.0], [1.0, 4.0, 7.0], [0.0, 3.0, 6.0]]
    """
    _warn("apply_affine_transform", "`keras.ops.image.affine_transform`, or the `RandomRotation`"
          ", `RandomTranslation`, `RandomShear` and `RandomZoom` layers")
    return affine_transform(x, theta, tx, ty, shear, zx, zy, row_axis, col_axis, channel_axis,
                            fill_mode, cval, order)


def random_rotation(x, rg, row_axis=1, col_axis=2, channel_axis=0, fill_mode="nearest",
                    cval=0.0, interpolation_order=1):
    """Rotates one image by an angle drawn uniformly in `[-rg, rg]` degrees (deprecated).
    See `apply_affine_transform` for the other arguments."""
    _warn("random_rotation", "the `keras.layers.RandomRotation` layer")
    theta = np.random.uniform(-rg, rg)
    return affine_transform(x, theta=theta, row_axis=row_axis, col_axis=col_axis,
                            channel_axis=channel_axis, fill_mode=fill_mode, cval=cval,
                            order=interpolation_order, owner="random_rotation")


def random_shift(x, wrg, hrg, row_axis=1, col_axis=2, channel_axis=0, fill_mode="nearest",
                 cval=0.0, interpolation_order=1):
    """Shifts one image by fractions drawn uniformly in `[-hrg, hrg]` of its height and
    `[-wrg, wrg]` of its width (deprecated). See `apply_affine_transform`."""
    _warn("random_shift", "the `keras.layers.RandomTranslation` layer")
    tx = np.random.uniform(-hrg, hrg) * np.shape(x)[row_axis]
    ty = np.random.uniform(-wrg, wrg) * np.shape(x)[col_axis]
    return affine_transform(x, tx=tx, ty=ty, row_axis=row_axis, col_axis=col_axis,
                            channel_axis=channel_axis, fill_mode=fill_mode, cval=cval,
                            order=interpolation_order, owner="random_shift")


def random_shear(x, intensity, row_axis=1, col_axis=2, channel_axis=0, fill_mode="nearest",
                 cval=0.0, interpolation_order=1):
    """Shears one image by an angle drawn uniformly in `[-intensity, intensity]` degrees
    (deprecated). See `apply_affine_transform`."""
    _warn("random_shear", "the `keras.layers.RandomShear` layer")
    shear = np.random.uniform(-intensity, intensity)
    return affine_transform(x, shear=shear, row_axis=row_axis, col_axis=col_axis,
                            channel_axis=channel_axis, fill_mode=fill_mode, cval=cval,
                            order=interpolation_order, owner="random_shear")


def random_zoom(x, zoom_range, row_axis=1, col_axis=2, channel_axis=0, fill_mode="nearest",
                cval=0.0, interpolation_order=1):
    """Zooms one image by factors drawn uniformly in `zoom_range` (a pair), one per axis
    (deprecated). See `apply_affine_transform`."""
    _warn("random_zoom", "the `keras.layers.RandomZoom` layer")
    _check_pair(zoom_range, "zoom_range", "random_zoom")
    if zoom_range[0] == 1 and zoom_range[1] == 1:
        zx, zy = 1, 1
    else:
        zx, zy = np.random.uniform(zoom_range[0], zoom_range[1], 2)
    return affine_transform(x, zx=zx, zy=zy, row_axis=row_axis, col_axis=col_axis,
                            channel_axis=channel_axis, fill_mode=fill_mode, cval=cval,
                            order=interpolation_order, owner="random_zoom")


def apply_channel_shift(x, intensity, channel_axis=0):
    """Adds `intensity` to every channel of one image, clipped to the image's range
    (deprecated). `channel_axis` is accepted for Keras 2's signature; the shift is the same
    for every channel."""
    _warn("apply_channel_shift", "the `keras.layers.RandomColorJitter` layer")
    return channel_shift(x, intensity)


def random_channel_shift(x, intensity_range, channel_axis=0):
    """`apply_channel_shift` by an intensity drawn in `[-intensity_range, intensity_range]`
    (deprecated)."""
    _warn("random_channel_shift", "the `keras.layers.RandomColorJitter` layer")
    return channel_shift(x, np.random.uniform(-intensity_range, intensity_range))


def apply_brightness_shift(x, brightness, scale=True):
    """Pillow's brightness enhancement by the factor `brightness` on one channels-last image
    (deprecated). See `ImageDataGenerator`'s `brightness_range`."""
    _warn("apply_brightness_shift", "the `keras.layers.RandomBrightness` layer")
    return brightness_shift(x, brightness, scale)


def random_brightness(x, brightness_range, scale=True):
    """`apply_brightness_shift` by a factor drawn uniformly in `brightness_range` (a pair)
    (deprecated)."""
    _warn("random_brightness", "the `keras.layers.RandomBrightness` layer")
    _check_pair(brightness_range, "brightness_range", "random_brightness")
    return brightness_shift(x, np.random.uniform(brightness_range[0], brightness_range[1]),
                            scale)
