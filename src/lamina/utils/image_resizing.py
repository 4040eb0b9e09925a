"""Resizing decoded images exactly as Keras' `image_dataset_from_directory` does.

Keras resizes with `tf.image.resize` (no antialiasing), whose kernels differ from Pillow's
(Pillow's bilinear antialiases when shrinking, its bicubic uses another cubic). lamina has
no TensorFlow, so each method is written here as TensorFlow computes it, in numpy: a resize
is separable, so every method is one `(out, in)` weight matrix per axis, built once per pair
of sizes (cached) and kept as its band of non-zero weights; an image is resized by a few
weighted gathers along each axis. `"nearest"` is a gather
instead and keeps the image's dtype (uint8), as TensorFlow does.

Which sample positions and weights each method uses (`scale = in_size / out_size`):
- `bilinear`, `bicubic`: sample at `(o + 0.5) * scale - 0.5`; taps outside the image are
  clamped (bilinear) or dropped and the others renormalised (bicubic, Keys' cubic with
  `a = -0.5`, weights read from a 1024-entry table as TensorFlow does).
- `nearest`: input pixel `floor((o + 0.5) * scale)`.
- `area`: the mean of the input box `[o * scale, (o + 1) * scale)`, partial pixels weighted
  by their overlap.
- `lanczos3`, `lanczos5`, `gaussian`, `mitchellcubic`: TensorFlow's `scale_and_translate`
  kernels, sampled at `(o + 0.5) * scale` in pixel-centre coordinates, normalised to sum 1.
"""

import functools
import math

import numpy as np

INTERPOLATIONS = ("bilinear", "nearest", "bicubic", "area", "lanczos3", "lanczos5",
                  "gaussian", "mitchellcubic")
_TABLE_SIZE = 1024  # TensorFlow's table of bicubic weights
_KEYS_A = -0.5


def resize(image, size, interpolation):
    """Resizes a `(height, width, channels)` array to `size` `(height, width)`.

    Returns float32 (the input's dtype for `"nearest"`), like `tf.image.resize`.
    """
    (height, width), (new_height, new_width) = image.shape[:2], size
    if interpolation == "nearest":
        rows = _nearest_indices(height, new_height)
        cols = _nearest_indices(width, new_width)
        return image[rows[:, None], cols[None, :]]
    image = image.astype(np.float32, copy=False)
    taps, weights = _band(interpolation, height, new_height)  # (new_height, k) each
    rows = sum(weights[:, k, None, None] * image[taps[:, k]] for k in range(taps.shape[1]))
    taps, weights = _band(interpolation, width, new_width)  # (new_width, k) each
    # (new_height, new_width, channels)
    return sum(weights[None, :, k, None] * rows[:, taps[:, k]] for k in range(taps.shape[1]))


def crop_box(height, width, size):
    """Keras' `smart_resize` window: the largest centred `(top, left, height, width)` crop
    with the aspect ratio of `size` `(height, width)`."""
    crop_height = max(min(height, int(float(width * size[0]) / size[1])), 1)
    crop_width = max(min(width, int(float(height * size[1]) / size[0])), 1)
    return (int(float(height - crop_height) / 2), int(float(width - crop_width) / 2),
            crop_height, crop_width)


def resize_with_pad(image, size, interpolation):
    """`tf.image.resize_with_pad`: resize to fit inside `size` keeping the aspect ratio, then
    pad with zeros, centred (the odd pixel of padding goes to the bottom/right)."""
    (height, width), (target_height, target_width) = image.shape[:2], size
    ratio = max(width / target_width, height / target_height)
    inner_height, inner_width = height / ratio, width / ratio
    top = max(0, math.floor((target_height - inner_height) / 2))
    left = max(0, math.floor((target_width - inner_width) / 2))
    inner = resize(image, (math.floor(inner_height), math.floor(inner_width)), interpolation)
    padded = np.zeros((target_height, target_width, image.shape[2]), inner.dtype)
    padded[top:top + inner.shape[0], left:left + inner.shape[1]] = inner
    return padded


def _nearest_indices(in_size, out_size):
    scale = np.float32(in_size / out_size)
    positions = (np.arange(out_size, dtype=np.float32) + np.float32(0.5)) * scale
    return np.minimum(np.floor(positions).astype(np.int64), in_size - 1)


@functools.lru_cache(maxsize=64)
def _band(interpolation, in_size, out_size):
    """The resizing of one axis as `(taps, weights)`, two `(out_size, k)` arrays: output
    `o` is the sum over `j` of `weights[o, j] * input[taps[o, j]]`. Each row of the
    `(out_size, in_size)` weight matrix is non-zero on a short run of inputs (2 for
    bilinear, 4 for bicubic...), so a product with the whole matrix would mostly add zeros."""
    matrix = weight_matrix(interpolation, in_size, out_size)
    nonzero = matrix != 0
    first = np.argmax(nonzero, axis=1)
    last = in_size - 1 - np.argmax(nonzero[:, ::-1], axis=1)
    width = int((last - first).max()) + 1
    taps = first[:, None] + np.arange(width)  # (out_size, width)
    inside = taps <= last[:, None]
    taps = np.where(inside, taps, first[:, None])
    weights = np.where(inside, np.take_along_axis(matrix, taps, axis=1), 0.0)
    taps, weights = taps.astype(np.intp), weights.astype(np.float32)
    taps.flags.writeable = weights.flags.writeable = False  # shared by the cache's callers
    return taps, weights


def weight_matrix(interpolation, in_size, out_size):
    """The `(out_size, in_size)` float64 matrix that resizes one axis (not `"nearest"`)."""
    if interpolation == "bilinear":
        return _bilinear(in_size, out_size)
    if interpolation == "bicubic":
        return _bicubic(in_size, out_size)
    if interpolation == "area":
        return _area(in_size, out_size)
    return _scale_and_translate(_KERNELS[interpolation], in_size, out_size)


def _half_pixel(in_size, out_size):
    scale = np.float32(in_size / out_size)
    return (np.arange(out_size, dtype=np.float32) + np.float32(0.5)) * scale - np.float32(0.5)


def _bilinear(in_size, out_size):
    position = _half_pixel(in_size, out_size)
    floor = np.floor(position)
    lower = np.maximum(floor, 0).astype(np.int64)
    upper = np.minimum(np.ceil(position), in_size - 1).astype(np.int64)
    fraction = (position - floor).astype(np.float64)
    matrix = np.zeros((out_size, in_size))
    rows = np.arange(out_size)
    np.add.at(matrix, (rows, lower), 1.0 - fraction)
    np.add.at(matrix, (rows, upper), fraction)
    return matrix


def _keys_table():
    x = np.arange(_TABLE_SIZE + 1, dtype=np.float64) / _TABLE_SIZE
    a = _KEYS_A
    near = ((a + 2) * x - (a + 3)) * x * x + 1  # |distance| in [0, 1]
    far_x = x + 1
    far = ((a * far_x - 5 * a) * far_x + 8 * a) * far_x - 4 * a  # |distance| in [1, 2]
    return near.astype(np.float32), far.astype(np.float32)


def _bicubic(in_size, out_size):
    near, far = _keys_table()
    position = _half_pixel(in_size, out_size)
    floor = np.floor(position)
    offset = np.rint((position - floor) * np.float32(_TABLE_SIZE)).astype(np.int64)
    taps = floor.astype(np.int64)[:, None] + np.arange(-1, 3)  # (out, 4)
    weights = np.stack([far[offset], near[offset], near[_TABLE_SIZE - offset],
                        far[_TABLE_SIZE - offset]], axis=1).astype(np.float64)
    inside = (taps >= 0) & (taps < in_size)
    weights = np.where(inside, weights, 0.0)
    weights /= weights.sum(axis=1, keepdims=True)
    matrix = np.zeros((out_size, in_size))
    rows = np.repeat(np.arange(out_size), 4)
    np.add.at(matrix, (rows, np.clip(taps, 0, in_size - 1).ravel()), weights.ravel())
    return matrix


def _area(in_size, out_size):
    scale = in_size / out_size
    matrix = np.zeros((out_size, in_size))
    for out in range(out_size):
        start, end = out * scale, (out + 1) * scale
        for source in range(math.floor(start), math.ceil(end)):
            overlap = min(source + 1, end) - max(source, start)
            matrix[out, min(source, in_size - 1)] += overlap / scale
    return matrix


def _lanczos(radius):
    def kernel(x):
        x = np.abs(x)
        safe = np.where(x <= 1e-3, 1.0, x)
        value = radius * np.sin(np.pi * safe) * np.sin(np.pi * safe / radius) / (np.pi * safe) ** 2
        return np.where(x > radius, 0.0, np.where(x <= 1e-3, 1.0, value))
    return kernel, radius


def _gaussian(x):
    x = np.abs(x)
    return np.where(x >= 1.5, 0.0, np.exp(-x * x / (2 * 0.5 * 0.5)))


def _mitchell(x):
    x = np.abs(x)
    outer = (((-7 / 18) * x + 2) * x - 10 / 3) * x + 16 / 9
    inner = ((7 / 6) * x - 2) * x * x + 8 / 9
    return np.where(x >= 2, 0.0, np.where(x >= 1, outer, inner))


_KERNELS = {"lanczos3": _lanczos(3), "lanczos5": _lanczos(5), "gaussian": (_gaussian, 1.5),
            "mitchellcubic": (_mitchell, 2.0)}


def _scale_and_translate(kernel, in_size, out_size):
    function, radius = kernel
    matrix = np.zeros((out_size, in_size))
    for out in range(out_size):
        sample = (out + 0.5) * (in_size / out_size)
        start = min(max(math.ceil(sample - radius - 0.5), 0), in_size - 1)
        end = min(max(math.floor(sample + radius - 0.5), 0), in_size - 1) + 1
        weights = function(np.arange(start, end) + 0.5 - sample)
        total = weights.sum()
        matrix[out, start:end] = weights / total if abs(total) > 0 else weights
    return matrix
