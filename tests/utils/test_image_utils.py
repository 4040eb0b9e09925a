"""`load_img`, `img_to_array`, `array_to_img`, `save_img`: pixels checked against the values
written with Pillow, resizing against Pillow's own `resize`."""

import io
import pathlib
import sys

import numpy as np
import pytest
from PIL import Image

from lamina import config
from lamina.utils import image_utils
from lamina.utils.image_utils import array_to_img, img_to_array, load_img, save_img


def _pixels(height, width, channels, seed=0):
    return np.random.default_rng(seed).integers(0, 256, (height, width, channels), np.uint8)


@pytest.fixture
def rgb_png(tmp_path):
    pixels = _pixels(5, 7, 3)
    path = tmp_path / "a.png"
    Image.fromarray(pixels, "RGB").save(path)
    return path, pixels


def test_load_img_reads_the_written_pixels(rgb_png):
    path, pixels = rgb_png
    img = load_img(path)
    assert img.mode == "RGB" and img.size == (7, 5)
    np.testing.assert_array_equal(np.asarray(img), pixels)


@pytest.mark.parametrize("kind", [str, bytes, pathlib.Path, "bytesio"])
def test_load_img_accepts_paths_and_buffers(rgb_png, kind):
    path, pixels = rgb_png
    if kind == "bytesio":
        source = io.BytesIO(path.read_bytes())
    elif kind is bytes:
        source = str(path).encode()
    else:
        source = kind(path)
    np.testing.assert_array_equal(np.asarray(load_img(source)), pixels)


def test_grayscale_uses_the_itu_r_601_luma(rgb_png):
    path, pixels = rgb_png
    img = load_img(path, color_mode="grayscale")
    r, g, b = (pixels[..., i].astype(np.int64) for i in range(3))
    # Pillow's fixed-point L = 0.299 R + 0.587 G + 0.114 B, rounded.
    expected = (r * 19595 + g * 38470 + b * 7471 + 0x8000) >> 16
    assert img.mode == "L"
    np.testing.assert_array_equal(np.asarray(img), expected)


def test_rgba_adds_an_opaque_alpha_and_rgb_drops_it(tmp_path, rgb_png):
    path, pixels = rgb_png
    rgba = np.asarray(load_img(path, color_mode="rgba"))
    np.testing.assert_array_equal(rgba[..., :3], pixels)
    np.testing.assert_array_equal(rgba[..., 3], 255)
    gray_path = tmp_path / "g.png"
    Image.fromarray(pixels[..., 0], "L").save(gray_path)
    rgb = np.asarray(load_img(gray_path))
    np.testing.assert_array_equal(rgb, np.repeat(pixels[..., :1], 3, axis=2))


def test_sixteen_bit_grayscale_is_kept(tmp_path):
    values = np.array([[0, 1000], [40000, 65535]], np.uint16)
    path = tmp_path / "deep.png"
    Image.fromarray(values).save(path)
    x = img_to_array(load_img(path, color_mode="grayscale"))
    np.testing.assert_array_equal(x[..., 0], values.astype(np.float32))


@pytest.mark.parametrize("interpolation", image_utils.INTERPOLATIONS)
def test_target_size_resizes_like_pillow(rgb_png, interpolation):
    path, pixels = rgb_png
    img = load_img(path, target_size=(3, 4), interpolation=interpolation)
    filters = {"nearest": Image.NEAREST, "bilinear": Image.BILINEAR,
               "bicubic": Image.BICUBIC, "hamming": Image.HAMMING, "box": Image.BOX,
               "lanczos": Image.LANCZOS}
    expected = Image.fromarray(pixels, "RGB").resize((4, 3), filters[interpolation])
    assert img.size == (4, 3)
    np.testing.assert_array_equal(np.asarray(img), np.asarray(expected))


def test_keep_aspect_ratio_crops_the_centre(tmp_path):
    # 4 rows x 8 columns, each pixel holds its column index: a (2, 2) target crops the
    # centred 4x4 window (columns 2..5), and nearest resizing keeps columns 3 and 5.
    columns = np.tile(np.arange(8, dtype=np.uint8) * 10, (4, 1))
    path = tmp_path / "wide.png"
    Image.fromarray(columns, "L").save(path)
    img = load_img(path, color_mode="grayscale", target_size=(2, 2), keep_aspect_ratio=True)
    np.testing.assert_array_equal(np.asarray(img), [[30, 50], [30, 50]])
    assert image_utils.centred_crop_box((8, 4), (2, 2)) == (2, 0, 6, 4)
    assert image_utils.centred_crop_box((4, 9), (2, 1)) == (0, 3, 4, 5)


def test_same_size_target_returns_the_image_untouched(rgb_png):
    path, pixels = rgb_png
    np.testing.assert_array_equal(np.asarray(load_img(path, target_size=(5, 7))), pixels)


def test_load_img_rejects_bad_arguments(rgb_png, tmp_path):
    path, _ = rgb_png
    with pytest.raises(ValueError, match="`color_mode` to be one of.*Received: color_mode='cmyk'"):
        load_img(path, color_mode="cmyk")
    with pytest.raises(ValueError, match="`interpolation` to be one of.*'area'"):
        load_img(path, target_size=(2, 2), interpolation="area")
    with pytest.raises(ValueError, match=r"`target_size` to be a tuple of 2 positive.*\(0, 3\)"):
        load_img(path, target_size=(0, 3))
    with pytest.raises(TypeError, match="`path` to be a path.*of type int"):
        load_img(3)
    text = tmp_path / "notes.png"
    text.write_text("not an image")
    with pytest.raises(ValueError, match="cannot read .*notes.png.* as an image"):
        load_img(text)


def test_missing_pillow_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "PIL", None)
    with pytest.raises(ImportError, match=r"lamina\[image\]"):
        load_img("whatever.png")


def test_img_to_array_layouts_and_dtype():
    pixels = _pixels(2, 3, 3)
    img = Image.fromarray(pixels, "RGB")
    x = img_to_array(img)
    assert x.dtype == np.float32
    np.testing.assert_array_equal(x, pixels.astype(np.float32))
    np.testing.assert_array_equal(img_to_array(img, "channels_first"), pixels.transpose(2, 0, 1))
    assert img_to_array(img, dtype="uint8").dtype == np.uint8
    gray = Image.fromarray(pixels[..., 0], "L")
    np.testing.assert_array_equal(img_to_array(gray)[..., 0], pixels[..., 0])
    assert img_to_array(gray, data_format="channels_first").shape == (1, 2, 3)


def test_global_data_format_is_the_default(monkeypatch):
    monkeypatch.setattr(config, "_IMAGE_DATA_FORMAT", "channels_first")
    assert img_to_array(Image.new("RGB", (3, 2))).shape == (3, 2, 3)
    assert array_to_img(np.zeros((3, 2, 5))).size == (5, 2)


def test_img_to_array_and_data_format_errors():
    with pytest.raises(ValueError, match=r"rank 2 \(grayscale\) or 3.*shape \(4,\)"):
        img_to_array(np.zeros(4))
    with pytest.raises(ValueError, match="`img_to_array` expects `data_format`.*'nhwc'"):
        img_to_array(Image.new("L", (2, 2)), data_format="nhwc")


def test_array_to_img_scales_min_to_0_and_max_to_255():
    x = np.array([[[2.0, 4.0, 6.0], [10.0, 3.0, 2.0]]])  # (1, 2, 3)
    expected = ((x - 2.0) / 8.0 * 255).astype(np.uint8)
    img = array_to_img(x)
    assert img.mode == "RGB"
    np.testing.assert_array_equal(np.asarray(img), expected)
    np.testing.assert_array_equal(np.asarray(array_to_img(x, scale=False)), x.astype(np.uint8))
    flat = array_to_img(np.full((2, 2, 1), 5.0))  # max == min: no division by zero
    np.testing.assert_array_equal(np.asarray(flat), 0)


def test_array_to_img_modes_and_channels_first():
    rgba = np.arange(16, dtype=np.float32).reshape(2, 2, 4)
    img = array_to_img(rgba, scale=False)
    assert img.mode == "RGBA"
    np.testing.assert_array_equal(np.asarray(img), rgba.astype(np.uint8))
    chw = rgba.transpose(2, 0, 1)
    np.testing.assert_array_equal(np.asarray(array_to_img(chw, "channels_first", scale=False)),
                                  rgba.astype(np.uint8))
    deep = array_to_img(np.array([[[300.0], [7.0]]]), scale=False)
    assert deep.mode == "I"
    np.testing.assert_array_equal(np.asarray(deep), [[300, 7]])


def test_array_to_img_rejects_bad_shapes():
    with pytest.raises(ValueError, match=r"single image of rank 3.*shape \(2, 2\)"):
        array_to_img(np.zeros((2, 2)))
    with pytest.raises(ValueError, match="1 .grayscale., 3 .RGB. or 4 .RGBA. channels.*2 channels"):
        array_to_img(np.zeros((2, 2, 2)))


def test_save_img_round_trips_and_infers_the_format(tmp_path):
    pixels = _pixels(4, 3, 3).astype(np.float32)
    path = tmp_path / "out.png"
    save_img(path, pixels, scale=False)
    np.testing.assert_array_equal(img_to_array(load_img(path)), pixels)
    save_img(str(tmp_path / "chw.png"), pixels.transpose(2, 0, 1), "channels_first", scale=False)
    np.testing.assert_array_equal(img_to_array(load_img(tmp_path / "chw.png")), pixels)
    save_img(tmp_path / "photo.jpg", pixels, quality=95)
    with Image.open(tmp_path / "photo.jpg") as img:
        assert img.format == "JPEG"
    buffer = io.BytesIO()
    save_img(buffer, pixels, file_format="bmp", scale=False)
    with Image.open(io.BytesIO(buffer.getvalue())) as img:
        assert img.format == "BMP"


def test_save_img_drops_alpha_for_jpeg_with_a_warning(tmp_path):
    with pytest.warns(UserWarning, match="JPEG has no alpha channel"):
        save_img(tmp_path / "a.jpeg", np.full((2, 2, 4), 200.0), scale=False)
    with Image.open(tmp_path / "a.jpeg") as img:
        assert img.mode == "RGB"
