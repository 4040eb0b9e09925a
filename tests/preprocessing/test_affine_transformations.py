"""The affine resampler and Keras 2's transformation functions: hand-computed cases (a 90°
rotation is `np.rot90`, an integer shift is a shifted copy with the fill, a flip is `x[:, ::-1]`,
a zoom of a linear ramp is the ramp at the zoomed coordinates, each fill mode on a known row)
and golden values from Keras 3's copy of Keras 2 (scipy's `affine_transform`, see
`golden/make_preprocessing_golden.py`). Float32 outputs agree with scipy's to one unit in the
last place: atol 1e-4 on values up to 255."""

import pathlib

import numpy as np
import pytest

from lamina.preprocessing import affine_transformations as affine
from lamina.preprocessing import image
from lamina.preprocessing.resampling import resample
from tests.legacy_warnings import one_deprecation

GOLDEN = np.load(pathlib.Path(__file__).parent / "golden" / "preprocessing_golden.npz")
CASES = {
    "rot90": {"theta": 90}, "rot33": {"theta": 33.0}, "tx2": {"tx": 2},
    "ty_frac": {"ty": -1.6}, "shear": {"shear": 25.0}, "zoom_in": {"zx": 0.5, "zy": 0.7},
    "zoom_out": {"zx": 1.6, "zy": 1.3},
    "combo": {"theta": -20.0, "tx": 1.3, "ty": 0.4, "shear": 10.0, "zx": 0.9, "zy": 1.2},
}
MODES = ("constant", "nearest", "reflect", "wrap")
ROW = np.array([1.0, 2.0, 4.0, 8.0, 16.0], dtype="float32")


def _shift_row(offset, mode, order=1, cval=-1.0):
    """`ROW` (as a 1x5 image) read at columns `j + offset`."""
    x = ROW.reshape(1, 1, 5, 1)
    return resample(x, np.eye(2)[None], np.array([[0.0, offset]]), mode, cval, order)[0, 0, :, 0]


@pytest.mark.parametrize("mode, offset, expected", [
    # Inside the row: linear interpolation, e.g. 1.7 = 0.7 * 1 + 0.3 * 2 (read at -0.3 + 1).
    ("constant", -0.3, [-1.0, 1.7, 3.4, 6.8, 13.6]),  # outside [0, 4]: cval, no blending
    ("constant", 4.0, [16.0, -1.0, -1.0, -1.0, -1.0]),
    ("nearest", -0.3, [1.0, 1.7, 3.4, 6.8, 13.6]),  # the edge value continues
    ("nearest", 3.7, [13.6, 16.0, 16.0, 16.0, 16.0]),
    ("reflect", -3.2, [4.8, 2.4, 1.2, 1.0, 1.8]),  # d c b a | a b c d: -3.2 is 0.2*8 + 0.8*4
    ("reflect", 5.5, [12.0, 6.0, 3.0, 1.5, 1.0]),
    ("wrap", 4.3, [1.3, 2.6, 5.2, 10.4, 1.3]),  # period 4 (size - 1): 4.3 reads 0.3
    ("wrap", -0.3, [13.6, 1.7, 3.4, 6.8, 13.6]),  # -0.3 reads 3.7
])
def test_fill_modes_on_a_known_row(mode, offset, expected):
    np.testing.assert_allclose(_shift_row(offset, mode), expected, rtol=1e-6)


def test_order_zero_reads_the_nearest_pixel():
    np.testing.assert_array_equal(_shift_row(0.6, "nearest", order=0), [2, 4, 8, 16, 16])
    np.testing.assert_array_equal(_shift_row(-0.4, "constant", order=0), [-1, 2, 4, 8, 16])


def test_integer_images_are_rounded_like_scipy():
    x = np.array([[[0], [3]]], dtype=np.uint8)[None]  # (1, 1, 2, 1)
    out = resample(x, np.eye(2)[None], np.array([[0.0, 0.5]]), "nearest", 0.0, 1)
    assert out.dtype == np.uint8 and out[0, 0, :, 0].tolist() == [2, 3]  # 1.5 rounds up


@pytest.mark.parametrize("mode", MODES)
def test_quarter_turn_of_a_square_image_is_rot90(mode):
    x = np.random.default_rng(0).normal(size=(5, 5, 2)).astype("float32")
    out = affine.affine_transform(x, theta=90, row_axis=0, col_axis=1, channel_axis=2,
                                  fill_mode=mode)
    np.testing.assert_allclose(out, np.rot90(x), atol=1e-5)


def test_integer_shift_is_a_shifted_copy_with_the_fill():
    x = np.arange(30, dtype="float32").reshape(5, 6, 1)
    # Keras 2's `tx` moves along the columns: the output reads column j + 2.
    out = affine.affine_transform(x, tx=2, row_axis=0, col_axis=1, channel_axis=2,
                                  fill_mode="constant", cval=-7.0)
    np.testing.assert_allclose(out[:, :4], x[:, 2:], atol=1e-5)
    np.testing.assert_array_equal(out[:, 4:], -7.0)
    out = affine.affine_transform(x, ty=-1, row_axis=0, col_axis=1, channel_axis=2,
                                  fill_mode="nearest")
    np.testing.assert_allclose(out[1:], x[:-1], atol=1e-5)
    np.testing.assert_allclose(out[0], x[0], atol=1e-5)


def test_zoom_about_the_centre_samples_a_ramp_at_the_zoomed_coordinates():
    rows, cols = np.meshgrid(np.arange(5.0), np.arange(5.0), indexing="ij")
    ramp = (10 * rows + cols).astype("float32")[..., None]  # bilinear reads it exactly
    out = affine.affine_transform(ramp, zx=0.5, zy=0.5, row_axis=0, col_axis=1,
                                  channel_axis=2)
    expected = 10 * (2 + 0.5 * (rows - 2)) + (2 + 0.5 * (cols - 2))
    np.testing.assert_allclose(out[..., 0], expected, atol=1e-5)


def test_flip_and_channel_shift():
    x = np.random.default_rng(1).uniform(0, 10, (3, 4, 2)).astype("float32")
    with pytest.warns(DeprecationWarning):
        generator = image.ImageDataGenerator()
    np.testing.assert_array_equal(generator.apply_transform(x, {"flip_horizontal": True}),
                                  x[:, ::-1])
    np.testing.assert_array_equal(generator.apply_transform(x, {"flip_vertical": True}),
                                  x[::-1])
    shifted = generator.apply_transform(x, {"channel_shift_intensity": 3.0})
    np.testing.assert_allclose(shifted, np.clip(x + 3.0, x.min(), x.max()))


@pytest.mark.parametrize("name", sorted(CASES))
@pytest.mark.parametrize("mode", MODES)
def test_matches_keras_channels_last(name, mode):
    for order in (0, 1):
        out = affine.affine_transform(GOLDEN["x_last"], row_axis=0, col_axis=1, channel_axis=2,
                                      fill_mode=mode, cval=17.0, order=order, **CASES[name])
        np.testing.assert_allclose(out, GOLDEN[f"affine_last_{name}_{mode}_{order}"], atol=1e-4)


@pytest.mark.parametrize("name", sorted(CASES))
@pytest.mark.parametrize("mode", MODES)
def test_matches_keras_channels_first(name, mode):
    out = affine.affine_transform(GOLDEN["x_first"], row_axis=1, col_axis=2, channel_axis=0,
                                  fill_mode=mode, cval=0.25, **CASES[name])
    np.testing.assert_allclose(out, GOLDEN[f"affine_first_{name}_{mode}"], atol=1e-6)


def test_batched_transform_equals_one_image_at_a_time():
    x = np.random.default_rng(2).normal(size=(3, 6, 7, 2)).astype("float32")
    params = [CASES["rot33"], {}, CASES["combo"]]
    batch = affine.affine_transform_batch(x.copy(), params, 0, 1, 2, "reflect")
    for i, p in enumerate(params):
        one = affine.affine_transform(x[i], row_axis=0, col_axis=1, channel_axis=2,
                                      fill_mode="reflect", **p)
        np.testing.assert_allclose(batch[i], one, atol=1e-6)


def test_brightness_goes_through_pillow():
    x = np.array([0, 100, 200, 254], dtype="float32").reshape(2, 2, 1)
    with one_deprecation("RandomBrightness"):
        out = image.apply_brightness_shift(x, 0.5, scale=False)
    np.testing.assert_array_equal(out.ravel(), [0, 50, 100, 127])
    out = affine.brightness_shift(x, 2.0, scale=False)
    np.testing.assert_array_equal(out.ravel(), [0, 200, 255, 255])  # clipped to 8 bits
    # Outside [0, 255] the image is stretched to 8 bits and back.
    out = affine.brightness_shift(x / 254 * 2 - 1, 1.0, scale=False)
    np.testing.assert_allclose(out.ravel(), np.array([0, 100, 200, 254]) / 255 * 2 - 1,
                               atol=1e-2)


@pytest.mark.parametrize("call, match", [
    (lambda: image.apply_affine_transform(np.zeros((3, 3, 1)), theta=10, row_axis=0,
                                          col_axis=1, channel_axis=2), "affine_transform"),
    (lambda: image.random_rotation(np.zeros((1, 3, 3)), 10), "RandomRotation"),
    (lambda: image.random_shift(np.zeros((1, 3, 3)), 0.1, 0.1), "RandomTranslation"),
    (lambda: image.random_shear(np.zeros((1, 3, 3)), 10), "RandomShear"),
    (lambda: image.random_zoom(np.zeros((1, 3, 3)), (0.9, 1.1)), "RandomZoom"),
    (lambda: image.apply_channel_shift(np.zeros((1, 3, 3)), 1.0), "RandomColorJitter"),
    (lambda: image.random_channel_shift(np.zeros((1, 3, 3)), 1.0), "RandomColorJitter"),
    (lambda: image.random_brightness(np.zeros((3, 3, 1)), (0.5, 1.5)), "RandomBrightness"),
])
def test_each_function_warns_once_naming_its_replacement(call, match):
    with one_deprecation(match):
        out = call()
    assert np.shape(out) in ((3, 3, 1), (1, 3, 3))


def test_random_functions_draw_from_numpys_global_generator():
    x = np.random.default_rng(3).normal(size=(1, 6, 6)).astype("float32")
    np.random.seed(5)
    with one_deprecation("RandomRotation"):
        out = image.random_rotation(x, 40)
    np.random.seed(5)
    theta = np.random.uniform(-40, 40)
    np.testing.assert_allclose(out, affine.affine_transform(x, theta=theta), atol=1e-6)


@pytest.mark.parametrize("kwargs, match", [
    ({"fill_mode": "mirror"}, "fill_mode"),
    ({"order": 3}, "interpolation orders 0"),
    ({"row_axis": 0, "col_axis": 0, "channel_axis": 2}, "0, 1 and 2"),
    ({"row_axis": 0, "col_axis": 2, "channel_axis": 1}, "channels first or last"),
])
def test_rejects_bad_options(kwargs, match):
    with pytest.raises(ValueError, match=match):
        affine.affine_transform(np.zeros((3, 3, 3)), theta=10, **kwargs)


def test_rejects_an_image_that_is_not_rank_3():
    with pytest.raises(ValueError, match="rank 3"):
        affine.affine_transform(np.zeros((3, 3)), theta=10)


@pytest.mark.parametrize("call", [
    lambda: image.random_zoom(np.zeros((1, 3, 3)), 0.5),
    lambda: image.random_brightness(np.zeros((3, 3, 1)), (0.5,)),
])
def test_random_functions_reject_a_range_that_is_not_a_pair(call):
    with pytest.warns(DeprecationWarning), pytest.raises(ValueError, match="two floats"):
        call()
