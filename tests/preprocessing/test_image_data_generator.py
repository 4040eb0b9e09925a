"""`ImageDataGenerator`: its random draws, transforms and statistics against Keras 2 golden
values (`golden/make_preprocessing_golden.py`), its normalisation against formulas, and its
errors."""

import json
import pathlib
import warnings

import numpy as np
import pytest

from lamina.preprocessing.image import ImageDataGenerator
from tests.legacy_warnings import one_deprecation

HERE = pathlib.Path(__file__).parent / "golden"
GOLDEN = json.loads((HERE / "preprocessing_golden.json").read_text())["image"]
ARRAYS = np.load(HERE / "preprocessing_golden.npz")
SEEDS = (0, 1, 7)


def make(**kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        return ImageDataGenerator(**kwargs)


def test_constructing_warns_once_naming_the_modern_replacements():
    with one_deprecation("RandomFlip.*image_dataset_from_directory"):
        ImageDataGenerator(rotation_range=10)


@pytest.mark.parametrize("name", ["floats", "pixels", "constant", "first"])
def test_random_draws_match_keras(name):
    spec = GOLDEN[name]
    generator = make(**spec["config"])
    x = ARRAYS["x_first" if name == "first" else "x_last"]
    for seed, expected in zip(SEEDS, spec["draws"]):
        params = generator.get_random_transform(x.shape, seed=seed)
        assert set(params) == set(expected)
        for key, value in expected.items():
            if value is None:
                assert params[key] is None, key
            else:
                assert float(params[key]) == pytest.approx(value, rel=1e-12, abs=1e-12), key
        out = generator.random_transform(x.copy(), seed=seed)
        np.testing.assert_allclose(out, ARRAYS[f"random_{name}_{seed}"], atol=1e-3)


def test_a_seeded_draw_leaves_numpys_global_generator_alone():
    generator = make(rotation_range=30)
    np.random.seed(11)
    expected = np.random.uniform()
    np.random.seed(11)
    generator.get_random_transform((4, 4, 3), seed=5)
    assert np.random.uniform() == expected


def test_an_unseeded_draw_uses_numpys_global_generator():
    generator = make(rotation_range=30, shear_range=5)
    np.random.seed(4)
    params = generator.get_random_transform((4, 4, 3))
    np.random.seed(4)
    assert params["theta"] == np.random.uniform(-30, 30)
    assert params["shear"] == np.random.uniform(-5, 5)


@pytest.mark.parametrize("name", ["featurewise", "zca", "samplewise", "augmented"])
def test_fit_and_standardize_match_keras(name):
    config = GOLDEN[f"fit_{name}"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # zca_whitening's "overrides" notice
        generator = make(**config)
    batch = ARRAYS["fit_x"]
    generator.fit(batch, augment=name == "augmented", rounds=2, seed=3)
    for stat in ("mean", "std"):
        if f"fit_{name}_{stat}" in ARRAYS.files:
            np.testing.assert_allclose(getattr(generator, stat), ARRAYS[f"fit_{name}_{stat}"],
                                       rtol=1e-5)
    out = np.stack([generator.standardize(b.copy()) for b in batch])
    np.testing.assert_allclose(out, ARRAYS[f"fit_{name}_standardized"], rtol=1e-4, atol=1e-5)
    # The iterators' batched path gives what one image at a time gives.
    np.testing.assert_allclose(generator._standardize_batch(batch.copy()), out, rtol=1e-5,
                               atol=1e-5)


def test_featurewise_statistics_are_per_channel():
    x = np.random.default_rng(0).normal(2.0, 3.0, (8, 5, 5, 3)).astype("float32")
    generator = make(featurewise_center=True, featurewise_std_normalization=True)
    generator.fit(x)
    np.testing.assert_allclose(generator.mean.ravel(), x.mean(axis=(0, 1, 2)), rtol=1e-5)
    np.testing.assert_allclose(generator.std.ravel(), x.std(axis=(0, 1, 2)), rtol=1e-5)
    assert generator.mean.shape == (1, 1, 3)
    first = make(featurewise_center=True, data_format="channels_first")
    first.fit(x.transpose(0, 3, 1, 2))
    assert first.mean.shape == (3, 1, 1)


def test_standardize_applies_the_options_in_keras_order():
    x = np.arange(12, dtype="float32").reshape(2, 2, 3)
    generator = make(preprocessing_function=lambda image: image + 1.0, rescale=0.5,
                     samplewise_center=True, samplewise_std_normalization=True)
    y = (x + 1.0) * 0.5
    y = y - y.mean()
    np.testing.assert_allclose(generator.standardize(x.copy()), y / (y.std() + 1e-6),
                               rtol=1e-6)


def test_standardize_works_in_place_on_float_arrays_and_converts_others():
    generator = make(rescale=2.0)
    x = np.ones((2, 2, 1), dtype="float32")
    assert generator.standardize(x) is x and x[0, 0, 0] == 2.0
    out = generator.standardize(np.ones((2, 2, 1), dtype="uint8"))
    assert out.dtype == np.float32 and out[0, 0, 0] == 2.0


def test_standardize_before_fit_explains_the_fix():
    generator = make(featurewise_center=True)
    with pytest.raises(RuntimeError, match=r"datagen.fit\(x_train\)"):
        generator.standardize(np.zeros((2, 2, 3), dtype="float32"))


def test_zca_whitening_decorrelates_the_fitted_images():
    rng = np.random.default_rng(1)
    x = (rng.normal(size=(200, 2, 2, 1)) @ np.ones((1, 1))).astype("float32")
    x[..., 0, 1, 0] = x[..., 0, 0, 0] * 0.8 + 0.2 * x[..., 0, 1, 0]  # correlated pixels
    with pytest.warns(UserWarning, match="overrides setting of `featurewise_center`"):
        generator = make(zca_whitening=True, zca_epsilon=1e-9)
    generator.fit(x)
    white = generator._standardize_batch(x.copy()).reshape(200, -1)
    np.testing.assert_allclose(np.cov(white.T, bias=True), np.eye(4), atol=1e-2)  # float32


@pytest.mark.parametrize("kwargs, match", [
    ({"featurewise_std_normalization": True}, "overrides setting of `featurewise_center`"),
    ({"samplewise_std_normalization": True}, "overrides setting of `samplewise_center`"),
    ({"zca_whitening": True, "featurewise_center": True,
      "featurewise_std_normalization": True}, "featurewise_std_normalization`"),
])
def test_implied_options_warn_as_keras_does(kwargs, match):
    with pytest.warns(UserWarning, match=match):
        make(**kwargs)


def test_zoom_and_shift_ranges():
    assert make(zoom_range=0.25).zoom_range == [0.75, 1.25]
    assert make(zoom_range=(0.5, 2)).zoom_range == [0.5, 2]
    generator = make(width_shift_range=2, height_shift_range=[-3, 5])
    for seed in range(20):  # an int n draws from range(n) with a sign; a list from its values
        params = generator.get_random_transform((10, 10, 3), seed=seed)
        assert params["ty"] in (-1, 0, 1) and params["tx"] in (-5, -3, 3, 5)


def test_brightness_through_apply_transform_in_both_data_formats():
    x = np.full((3, 2, 4), 100.0, dtype="float32")
    out = make(data_format="channels_first").apply_transform(x, {"brightness": 1.5})
    np.testing.assert_array_equal(out, 150.0)
    out = make().apply_transform(x.transpose(1, 2, 0), {"brightness": 0.5})
    np.testing.assert_array_equal(out, 50.0)


def test_fit_warns_about_an_odd_number_of_channels():
    with pytest.warns(UserWarning, match="1, 3 or 4 channels"):
        make(featurewise_center=True).fit(np.zeros((2, 3, 3, 5)))


@pytest.mark.parametrize("kwargs, error, match", [
    ({"fill_mode": "mirror"}, ValueError, "`fill_mode` to be one of"),
    ({"interpolation_order": 3}, ValueError, "interpolation orders 0"),
    ({"validation_split": 1.0}, ValueError, r"`validation_split` to be a float in \[0, 1\)"),
    ({"zoom_range": (0.5, 1.0, 2.0)}, ValueError, "`zoom_range` to be a tuple or list of two"),
    ({"brightness_range": 0.5}, ValueError, "`brightness_range` to be a tuple or list"),
    ({"width_shift_range": "0.2"}, ValueError, "`width_shift_range` to be a float"),
    ({"rotation_range": None}, TypeError, "`rotation_range` to be a number"),
    ({"rescale": "1/255"}, TypeError, "`rescale` to be a number"),
    ({"data_format": "channels_middle"}, ValueError, "data_format"),
    ({"preprocessing_function": 3}, TypeError, "`preprocessing_function` to be a function"),
])
def test_rejects_bad_arguments(kwargs, error, match):
    with pytest.raises(error, match=match):
        make(**kwargs)


def test_fit_rejects_data_that_is_not_rank_4():
    with pytest.raises(ValueError, match="rank 4"):
        make(featurewise_center=True).fit(np.zeros((4, 4, 3)))
