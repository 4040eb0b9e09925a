"""`image_dataset_from_directory`: files, class names, labels, split membership and pixels
against Keras 3 (golden values from `golden/make_dataset_utils_golden.py`, made with
TensorFlow installed), per-epoch reshuffling, training with `fit`, and errors."""

import json
import os
import pathlib

import numpy as np
import pytest
from PIL import Image

import lamina
from lamina.utils import image_dataset_from_directory
from lamina.utils.image_dataset_utils import decode_image

GOLDEN = pathlib.Path(__file__).parent / "golden"
CASES = json.loads((GOLDEN / "dataset_utils_golden.json").read_text())["images"]
ARRAYS = np.load(GOLDEN / "dataset_utils_golden.npz")
# Pillow's libjpeg decodes with the accurate integer IDCT, TensorFlow with the fast one: JPEG
# pixels may differ by a few levels (at most 6.2 on this noise image); PNGs match exactly.
JPEG_TOLERANCE = 7.0


@pytest.fixture(scope="module")
def root(tmp_path_factory):
    """The directory Keras read: the exact bytes of each file, plus a non-image file."""
    base = tmp_path_factory.mktemp("images")
    for key in ARRAYS.files:
        if key.startswith("file:"):
            path = base / key[len("file:"):]
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(ARRAYS[key].tobytes())
    (base / "cats" / "notes.txt").write_text("not an image")
    return str(base)


def _kwargs(case):
    kwargs = dict(case["kwargs"])
    if "image_size" in kwargs:
        kwargs["image_size"] = tuple(kwargs["image_size"])
    return kwargs


def _relative(paths, root):
    return [os.path.relpath(p, root) for p in paths]


def _collect(dataset):
    xs, ys = [], []
    for batch in dataset:
        if isinstance(batch, tuple):
            xs.append(batch[0])
            ys.append(batch[1])
        else:
            xs.append(batch)
    return np.concatenate(xs), (np.concatenate(ys) if ys else None)


def _check_pixels(x, expected, file_paths):
    assert x.dtype == expected.dtype and x.shape == expected.shape
    for image, want, path in zip(x, expected, file_paths):
        tolerance = JPEG_TOLERANCE if path.endswith(".jpg") else 1e-3
        np.testing.assert_allclose(image.astype(np.float64), want, atol=tolerance, rtol=0)


ORDERED = [name for name, case in CASES.items()
           if f"images:{name}:x" in ARRAYS.files]


@pytest.mark.parametrize("name", ORDERED)
def test_files_labels_and_pixels_match_keras(root, name):
    case = CASES[name]
    dataset = image_dataset_from_directory(root, verbose=False, **_kwargs(case))
    assert _relative(dataset.file_paths, root) == case["file_paths"]
    assert dataset.class_names == case["class_names"]
    x, y = _collect(dataset)
    _check_pixels(x, ARRAYS[f"images:{name}:x"], case["file_paths"])
    if f"images:{name}:y" in ARRAYS.files:
        expected = ARRAYS[f"images:{name}:y"]
        assert y.dtype == expected.dtype
        np.testing.assert_array_equal(y, expected)
    else:
        assert y is None


@pytest.mark.parametrize("name", ["shuffled", "shuffled_no_labels", "split_training",
                                  "split_validation"])
def test_shuffled_file_order_and_split_membership_match_keras(root, name):
    case = CASES[name]
    dataset = image_dataset_from_directory(root, verbose=False, **_kwargs(case))
    assert _relative(dataset.file_paths, root) == case["file_paths"]
    assert dataset.class_names == case["class_names"]


def test_subset_both_matches_keras_and_validation_keeps_its_order(root):
    case = CASES["both"]
    train, val = image_dataset_from_directory(root, verbose=False, **_kwargs(case))
    assert _relative(train.file_paths, root) == case["train_file_paths"]
    assert _relative(val.file_paths, root) == case["val_file_paths"]
    assert train.class_names == val.class_names == case["class_names"]
    x, y = _collect(val)
    _check_pixels(x, ARRAYS["images:both:val_x"], case["val_file_paths"])
    np.testing.assert_array_equal(y, ARRAYS["images:both:val_y"])
    assert train.shuffle and not val.shuffle


def test_labels_follow_the_files_when_shuffled(root):
    dataset = image_dataset_from_directory(root, image_size=(3, 3), seed=3, batch_size=4,
                                           verbose=False)
    _, labels = _collect(dataset)
    folders = [p.split(os.sep)[0] for p in _relative(dataset.file_paths, root)]
    assert [dataset.class_names[i] for i in labels] == folders


def test_unbatched_samples_have_no_batch_axis(root):
    dataset = image_dataset_from_directory(root, image_size=(3, 3), batch_size=None,
                                           shuffle=False, verbose=False)
    image, label = dataset[0]
    assert [list(image.shape), list(label.shape)] == CASES["unbatched_shapes"]
    assert len(dataset) == 9


@pytest.fixture
def coded(tmp_path):
    """12 images, each filled with one value that identifies it: class * 100 + index."""
    for c, name in enumerate(("a", "b", "c")):
        (tmp_path / name).mkdir()
        for i in range(4):
            value = c * 100 + i
            Image.fromarray(np.full((2, 2), value, np.uint8), "L").save(
                tmp_path / name / f"{i}.png")
    return str(tmp_path)


def test_reshuffles_every_epoch_with_the_seed(coded):
    def passes(seed):
        dataset = image_dataset_from_directory(coded, image_size=(2, 2), batch_size=5,
                                               color_mode="grayscale", seed=seed, verbose=False)
        orders = []
        for _ in range(3):
            x, y = _collect(dataset)
            codes = x[:, 0, 0, 0].astype(int)
            np.testing.assert_array_equal(codes // 100, y)  # labels travel with their image
            orders.append(codes.tolist())
        return orders, dataset
    orders, dataset = passes(seed=11)
    first = [int(os.path.basename(p)[0]) + 100 * "abc".index(p.split(os.sep)[-2])
             for p in dataset.file_paths]
    assert sorted(orders[0]) == sorted(orders[1]) == list(range(4)) + list(
        range(100, 104)) + list(range(200, 204))
    assert orders[1] != orders[0] and orders[2] != orders[1]
    assert passes(seed=11)[0] == orders
    # The first pass is in `file_paths` order (Keras' shuffled order).
    assert passes(seed=11)[1].file_paths == dataset.file_paths
    assert orders[0] == first


def test_not_shuffled_stays_sorted(coded):
    dataset = image_dataset_from_directory(coded, image_size=(2, 2), batch_size=5,
                                           shuffle=False, color_mode="grayscale", verbose=False)
    for _ in range(2):
        x, _ = _collect(dataset)
        assert x[:, 0, 0, 0].astype(int).tolist() == [0, 1, 2, 3, 100, 101, 102, 103, 200,
                                                      201, 202, 203]


def test_verbose_prints_counts(coded, capsys):
    image_dataset_from_directory(coded, image_size=(2, 2), seed=1, validation_split=0.25,
                                 subset="both")
    assert capsys.readouterr().out.splitlines() == [
        "Found 12 files belonging to 3 classes.", "Using 9 files for training.",
        "Using 3 files for validation."]
    image_dataset_from_directory(coded, labels=None, image_size=(2, 2))
    assert capsys.readouterr().out == "Found 12 files.\n"


def test_decode_image_matches_tensorflow_conversions(tmp_path):
    rgb = np.random.default_rng(0).integers(0, 256, (6, 5, 3), np.uint8)
    Image.fromarray(rgb, "RGB").save(tmp_path / "rgb.png")
    r, g, b = (rgb[..., i].astype(np.int64) for i in range(3))
    # libpng's fixed-point luma, rounded down (what TensorFlow decodes a PNG to).
    luma = (9797 * r + 19234 * g + 3737 * b) >> 15
    np.testing.assert_array_equal(decode_image(str(tmp_path / "rgb.png"), 1)[..., 0], luma)
    deep = np.array([[0, 255, 256], [40000, 65535, 511]], np.uint16)
    Image.fromarray(deep).save(tmp_path / "deep.png")
    np.testing.assert_array_equal(decode_image(str(tmp_path / "deep.png"), 3)[..., 1],
                                  deep >> 8)
    np.testing.assert_array_equal(decode_image(str(tmp_path / "rgb.png"), 4)[..., 3], 255)


def test_fit_trains_a_cnn_on_the_dataset(tmp_path):
    rng = np.random.default_rng(0)
    for name, low in (("dark", 0), ("light", 150)):
        (tmp_path / name).mkdir()
        for i in range(12):
            pixels = rng.integers(low, low + 100, (10, 12, 3), np.uint8)
            Image.fromarray(pixels, "RGB").save(tmp_path / name / f"{i}.png")
    train, val = image_dataset_from_directory(tmp_path, image_size=(8, 8), batch_size=6,
                                              seed=2, validation_split=0.25, subset="both",
                                              label_mode="binary", verbose=False)
    lamina.utils.set_random_seed(0)
    model = lamina.Sequential([
        lamina.Input((8, 8, 3)), lamina.layers.Lambda(lambda t: t / 255),
        lamina.layers.Conv2D(4, 3, activation="relu"), lamina.layers.GlobalAveragePooling2D(),
        lamina.layers.Dense(1, activation="sigmoid")])
    model.compile(optimizer=lamina.optimizers.Adam(0.05), loss="binary_crossentropy")
    history = model.fit(train, validation_data=val, epochs=8, verbose=0)
    losses = history.history["loss"]
    assert losses[-1] < 0.5 * losses[0]
    # evaluate() on the dataset equals the loss computed here from predict() on its arrays.
    x, y = _collect(val)
    p = np.clip(model.predict(x, verbose=0).astype(np.float64), 1e-7, 1 - 1e-7)
    expected = -np.mean(y * np.log(p) + (1 - y) * np.log(1 - p))
    np.testing.assert_allclose(model.evaluate(val, verbose=0), expected, rtol=1e-4)


@pytest.mark.parametrize("kwargs, error, message", [
    ({"color_mode": "cmyk"}, ValueError, "`color_mode` to be one of 'grayscale', 'rgb', 'rgba'"),
    ({"label_mode": "sparse"}, ValueError, "`label_mode` to be one of 'int', 'categorical'"),
    ({"labels": "folders"}, ValueError, "`labels` to be 'inferred'.*Received: labels='folders'"),
    ({"labels": [0.5] * 9}, TypeError, "`labels` to hold integers"),
    ({"labels": [0] * 5}, ValueError, "one label per file: `labels` has 5 labels but .* has 11"),
    ({"labels": [0] * 11, "class_names": ["a"]}, ValueError,
     "`class_names` only with labels='inferred'"),
    ({"labels": None, "class_names": ["cats"]}, ValueError,
     "`class_names` only with labels='inferred'"),
    ({"class_names": ["cats", "cows"]}, ValueError, r"These are not: \['cows'\]"),
    ({"label_mode": "binary"}, ValueError, "label_mode='binary' needs exactly 2 classes"),
    ({"labels": [0, 1, 2, 5, 0, 1, 2, 0, 1, 2, 0], "label_mode": "categorical"}, ValueError,
     "every label must be in that range. Received labels from 0 to 5"),
    ({"subset": "training"}, ValueError, "`subset` and `validation_split` together"),
    ({"validation_split": 0.2}, ValueError, "`subset` and `validation_split` together"),
    ({"validation_split": 0.2, "subset": "test", "seed": 1}, ValueError,
     "`subset` to be one of 'training', 'validation', 'both', None"),
    ({"validation_split": 1.5, "subset": "both", "seed": 1}, ValueError,
     "`validation_split` to be a float between 0 and 1"),
    ({"validation_split": 0.2, "subset": "both"}, ValueError, "needs a `seed` when it shuffles"),
    ({"validation_split": 0.05, "subset": "training", "seed": 1}, ValueError,
     "validation subset would be empty"),
    ({"interpolation": "cubic"}, ValueError, "`interpolation` to be one of 'bilinear'"),
    ({"image_size": (4,)}, ValueError, r"`image_size` to be a tuple of 2 positive integers"),
    ({"crop_to_aspect_ratio": True, "pad_to_aspect_ratio": True}, ValueError,
     "only one of `crop_to_aspect_ratio` and `pad_to_aspect_ratio`"),
    ({"batch_size": 0}, ValueError, "`batch_size` to be a positive integer"),
    ({"data_format": "NHWC"}, ValueError, "`data_format` to be 'channels_last'"),
])
def test_rejects_bad_arguments(root, kwargs, error, message):
    with pytest.raises(error, match=message):
        image_dataset_from_directory(root, verbose=False, **kwargs)


def test_rejects_missing_and_empty_directories(tmp_path, root):
    with pytest.raises(ValueError, match="`directory` to be a directory.*nowhere' does not "
                                         "exist"):
        image_dataset_from_directory(tmp_path / "nowhere")
    with pytest.raises(ValueError, match="is not a directory"):
        image_dataset_from_directory(os.path.join(root, "top.png"))
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "x.txt").write_text("text")
    with pytest.raises(ValueError, match="found no image in .*Allowed formats: .bmp, .gif"):
        image_dataset_from_directory(tmp_path, verbose=False)


def test_unreadable_image_fails_when_its_batch_is_loaded(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "fake.png").write_text("not a png")
    dataset = image_dataset_from_directory(tmp_path, verbose=False)
    with pytest.raises(ValueError, match="cannot read .*fake.png.* as an image"):
        dataset[0]
