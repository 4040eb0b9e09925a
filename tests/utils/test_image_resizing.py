"""The resizing behind `image_dataset_from_directory`, against `tf.image.resize` and
`tf.image.resize_with_pad` (golden values from `golden/make_dataset_utils_golden.py`)."""

import json
import pathlib

import numpy as np
import pytest

from lamina.utils import image_resizing

GOLDEN = pathlib.Path(__file__).parent / "golden"
CASES = json.loads((GOLDEN / "dataset_utils_golden.json").read_text())["resize"]
ARRAYS = np.load(GOLDEN / "dataset_utils_golden.npz")


@pytest.mark.parametrize("method", image_resizing.INTERPOLATIONS)
@pytest.mark.parametrize("k", range(len(CASES)),
                         ids=[f"{c['shape']}->{c['size']}" for c in CASES])
def test_resize_matches_tensorflow(k, method):
    image = ARRAYS[f"resize:{k}:image"]
    expected = ARRAYS[f"resize:{k}:{method}"]
    resized = image_resizing.resize(image, tuple(CASES[k]["size"]), method)
    assert resized.dtype == expected.dtype  # uint8 for nearest, float32 otherwise
    np.testing.assert_allclose(resized, expected, atol=5e-4, rtol=0)


@pytest.mark.parametrize("k", range(len(CASES)))
def test_resize_with_pad_matches_tensorflow(k):
    image = ARRAYS[f"resize:{k}:image"]
    padded = image_resizing.resize_with_pad(image, tuple(CASES[k]["size"]), "bilinear")
    np.testing.assert_allclose(padded, ARRAYS[f"resize:{k}:pad"], atol=5e-4, rtol=0)


def test_bilinear_weights_by_hand():
    # 4 -> 2: output pixel o samples input position (o + 0.5) * 2 - 0.5 = 0.5, 2.5.
    image = np.array([0.0, 10.0, 20.0, 60.0], np.float32).reshape(1, 4, 1)
    np.testing.assert_allclose(image_resizing.resize(image, (1, 2), "bilinear")[0, :, 0],
                               [5.0, 40.0])
    # area 4 -> 3: boxes [0, 4/3), [4/3, 8/3), [8/3, 4) of width 4/3.
    area = image_resizing.resize(image, (1, 3), "area")[0, :, 0]
    np.testing.assert_allclose(area, [(0 + 10 / 3) * 0.75, (10 * 2 / 3 + 20 * 2 / 3) * 0.75,
                                      (20 / 3 + 60) * 0.75], rtol=1e-6)


def test_crop_box_is_keras_smart_resize_window():
    assert image_resizing.crop_box(340, 500, (200, 200)) == (0, 80, 340, 340)
    assert image_resizing.crop_box(10, 4, (1, 2)) == (4, 0, 2, 4)
    assert image_resizing.crop_box(3, 100, (50, 1)) == (0, 49, 3, 1)
