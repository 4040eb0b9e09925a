"""Resampling images through an affine map, as `scipy.ndimage.affine_transform` does with
`order=0` or `order=1` (scipy is not a dependency of lamina).

For each output pixel `o = (i, j)` the input is read at `c = matrix @ o + offset`, in array
index coordinates, and interpolated from the neighbouring pixels (the nearest one with
`order=0`, bilinearly with `order=1`). Where `c` falls outside the image, `fill_mode` says what
is read, exactly as scipy's modes of the same names (a row `a b c d` extended):

- `"constant"`: `k k k k | a b c d | k k k k`, `k = cval`. A coordinate outside
  `[0, size - 1]` on either axis reads `cval`; there is no interpolation across the edge.
- `"nearest"`: `a a a a | a b c d | d d d d`.
- `"reflect"`: `d c b a | a b c d | d c b a` (the edge pixel is repeated).
- `"wrap"`: scipy's `"wrap"`, whose period is `size - 1`, not `size`: the first and last pixels
  are the same point of the period (`a b c d` continues `b c d b c d`).

Everything is vectorised over a batch of images, each with its own map: one gather per
neighbour for the whole batch. Coordinates and weights are computed in float64 in scipy's
order of operations, and the sum in float64, so outputs agree with scipy's to the rounding of
the output dtype (float32 outputs are equal, or one unit in the last place apart).
"""

import numpy as np

FILL_MODES = ("constant", "nearest", "reflect", "wrap")
INTERPOLATION_ORDERS = (0, 1)


def _map_reflect(c, size):
    """scipy's `"reflect"` coordinate map: into `(-1, size)` by symmetry about -0.5 and
    `size - 0.5`."""
    period = 2 * size
    low = c < 0
    c_low = np.where(c < -period, period * np.trunc(-c / period) + c, c)
    c_low = np.where(c_low < -size, c_low + period,
                     np.where(c_low > -1e-15, 1e-15, -c_low) - 1)
    high = c > size - 1
    c_high = c - period * np.trunc(c / period)
    c_high = np.where(c_high >= size, period - c_high - 1, c_high)
    return np.where(low, c_low, np.where(high, c_high, c))


def _map_wrap(c, size):
    """scipy's `"wrap"` coordinate map: into `[0, size - 1]` with period `size - 1`."""
    period = size - 1
    c_low = c + period * (np.trunc(-c / period) + 1)
    c_high = c - period * np.trunc(c / period)
    return np.where(c < 0, c_low, np.where(c > size - 1, c_high, c))


def _map_index(index, size, mode):
    """The pixel an integer index outside `[0, size)` reads (scipy's spline boundary
    modes: `"nearest"` clamps, `"reflect"` repeats the edge, the others mirror)."""
    if size == 1:
        return np.zeros_like(index)
    if mode == "nearest":
        return np.clip(index, 0, size - 1)
    if mode == "reflect":
        index = np.mod(index, 2 * size)
        return np.where(index >= size, 2 * size - 1 - index, index)
    period = 2 * size - 2  # mirror: `c b | a b c d | c b`
    index = np.mod(index, period)
    return np.where(index >= size, period - index, index)


def _axis(c, size, mode, order):
    """Per output pixel along one axis: the neighbours read, their weights, and (for
    `"constant"`) whether the coordinate is inside the image."""
    inside = None
    if mode == "constant":
        inside = (c >= 0) & (c <= size - 1)
        c = np.where(inside, c, 0.0)
    elif size == 1:
        c = np.zeros_like(c)
    elif mode == "reflect":
        c = _map_reflect(c, size)
    elif mode == "wrap":
        c = _map_wrap(c, size)
    if order == 0:
        start = np.floor(c + 0.5).astype(np.int64)
        return [_map_index(start, size, mode)], [None], inside
    floor = np.floor(c)
    start = floor.astype(np.int64)
    w0 = 1.0 - (c - floor)  # scipy's order-1 weights: 1 - t, then whatever makes 1
    w1 = 1.0 - w0
    return [_map_index(start, size, mode), _map_index(start + 1, size, mode)], [w0, w1], inside


def _to_dtype(values, dtype):
    """Store float64 results as `dtype`, rounding and clipping integers as scipy does."""
    dtype = np.dtype(dtype)
    if dtype.kind in "ui":
        info = np.iinfo(dtype)
        values = np.trunc(np.where(values > 0, values + 0.5, values - 0.5))
        values = np.clip(values, info.min, info.max)
    elif dtype.kind == "b":
        values = values != 0
    return values.astype(dtype)


def resample(images, matrices, offsets, fill_mode="nearest", cval=0.0, order=1):
    """Resamples each image of a batch through its own affine map.

    Args:
        images: Array `(batch, size0, size1, channels)`.
        matrices: Array `(batch, 2, 2)`: output index `(i, j)` to input coordinate.
        offsets: Array `(batch, 2)`, added to `matrices @ (i, j)`.
        fill_mode: `"constant"`, `"nearest"`, `"reflect"` or `"wrap"` (see the module
            docstring). Defaults to `"nearest"`.
        cval: The value read outside the image with `fill_mode="constant"`.
            Defaults to `0.0`.
        order: 0 (nearest pixel) or 1 (bilinear). Defaults to `1`.

    Returns:
        An array of the shape and dtype of `images`.
    """
    images = np.asarray(images)
    batch, size0, size1, channels = images.shape
    matrices = np.asarray(matrices, dtype=np.float64)
    offsets = np.asarray(offsets, dtype=np.float64)
    rows = np.arange(size0, dtype=np.float64)[None, :, None]  # (1, size0, 1)
    cols = np.arange(size1, dtype=np.float64)[None, None, :]  # (1, 1, size1)

    def coordinate(axis):  # scipy's order: ((offset + i * m0) + j * m1)
        m = matrices[:, axis, :, None, None]
        return offsets[:, axis, None, None] + rows * m[:, 0] + cols * m[:, 1]  # (b, s0, s1)

    index0, weight0, inside0 = _axis(coordinate(0), size0, fill_mode, order)
    index1, weight1, inside1 = _axis(coordinate(1), size1, fill_mode, order)
    flat = images.reshape(batch * size0 * size1, channels)
    base = (np.arange(batch) * (size0 * size1))[:, None, None]  # (batch, 1, 1)
    total = np.zeros((batch, size0, size1, channels), dtype=np.float64)
    for r, wr in zip(index0, weight0):
        for c, wc in zip(index1, weight1):
            value = np.take(flat, base + r * size1 + c, axis=0)  # (batch, size0, size1, ch)
            total += value if wr is None else value * (wr * wc)[..., None]
    if fill_mode == "constant":
        total[~(inside0 & inside1)] = cval
    return _to_dtype(total, images.dtype)
