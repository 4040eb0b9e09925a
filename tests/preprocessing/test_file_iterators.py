"""`flow_from_directory` and `flow_from_dataframe`: which files, in which order, with which
labels (Keras 2's listing and per-class split), pixels checked against the written files."""

import os
import warnings

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from lamina.preprocessing.image import (
    DataFrameIterator,
    DirectoryIterator,
    ImageDataGenerator,
)
from tests.legacy_warnings import one_deprecation

# Each class has its own colour, and each file a brightness, so a pixel tells the file.
COLOURS = {"cats": (1, 0, 0), "dogs": (0, 1, 0), "zebras": (0, 0, 1)}


def make(**kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        return ImageDataGenerator(**kwargs)


def _write(path, colour, level, size=(6, 4)):
    path.parent.mkdir(parents=True, exist_ok=True)
    pixel = tuple(int(level * c) for c in colour)
    Image.new("RGB", size, pixel).save(path)


@pytest.fixture
def folder(tmp_path):
    for name, colour in COLOURS.items():
        for i in range(4):
            _write(tmp_path / name / f"{i}.png", colour, 40 + 50 * i)
    _write(tmp_path / "dogs" / "puppies" / "p.jpg", COLOURS["dogs"], 250)  # nested: found
    (tmp_path / "cats" / "notes.txt").write_text("not an image")
    _write(tmp_path / ".ipynb_checkpoints" / "x.png", (1, 1, 1), 9)  # a hidden folder
    return tmp_path


def _level(image):
    return round(float(image.max()))


def test_flow_from_directory_lists_the_files_as_keras_does(folder, capsys):
    it = make().flow_from_directory(folder, target_size=(4, 6), batch_size=5, shuffle=False)
    assert capsys.readouterr().out.strip() == "Found 13 images belonging to 3 classes."
    assert isinstance(it, DirectoryIterator)
    assert it.class_indices == {"cats": 0, "dogs": 1, "zebras": 2}
    assert it.samples == it.n == 13 and len(it) == 3 and it.num_classes == 3
    assert it.filenames[:6] == ["cats/0.png", "cats/1.png", "cats/2.png", "cats/3.png",
                                "dogs/0.png", "dogs/1.png"]
    assert it.filenames[8] == os.path.join("dogs", "puppies", "p.jpg")
    assert it.filepaths[0] == os.path.join(folder, "cats/0.png")
    np.testing.assert_array_equal(it.classes, [0] * 4 + [1] * 5 + [2] * 4)
    x, y = it[0]
    assert x.shape == (5, 4, 6, 3) and x.dtype == np.float32
    np.testing.assert_array_equal(y, np.eye(3, dtype="float32")[[0, 0, 0, 0, 1]])
    assert [_level(image) for image in x] == [40, 90, 140, 190, 40]
    np.testing.assert_array_equal(x[4, 0, 0], [0, 40, 0])  # a green dog


@pytest.mark.parametrize("class_mode, check", [
    ("binary", lambda y: y.tolist() == [0.0, 0.0, 0.0, 0.0, 1.0]),
    ("sparse", lambda y: y.dtype == np.float32 and y.tolist() == [0, 0, 0, 0, 1]),
])
def test_integer_class_modes(folder, class_mode, check):
    it = make().flow_from_directory(folder, target_size=(4, 6), batch_size=5, shuffle=False,
                                    class_mode=class_mode, classes=["cats", "dogs"])
    assert it.samples == 9 and check(it[0][1])


def test_input_and_no_labels(folder):
    generator = make(rescale=1 / 255)
    x, y = generator.flow_from_directory(folder, (4, 6), class_mode="input", batch_size=2,
                                         shuffle=False)[0]
    np.testing.assert_array_equal(x, y)
    assert x[0].max() == pytest.approx(40 / 255)
    x = generator.flow_from_directory(folder, (4, 6), class_mode=None, batch_size=2)[0]
    assert isinstance(x, np.ndarray) and x.shape == (2, 4, 6, 3)


def test_grayscale_channels_first_and_resizing(folder):
    generator = make(data_format="channels_first")
    x, _ = generator.flow_from_directory(folder, target_size=(2, 3), color_mode="grayscale",
                                         batch_size=1, shuffle=False)[1]
    assert x.shape == (1, 1, 2, 3)
    assert x.max() == round(0.299 * 90)  # Pillow's luma of a red pixel of level 90


def test_subset_splits_each_class_on_its_own(folder):
    generator = make(validation_split=0.5)
    val = generator.flow_from_directory(folder, (4, 6), subset="validation", shuffle=False)
    train = generator.flow_from_directory(folder, (4, 6), subset="training", shuffle=False)
    assert val.filenames == ["cats/0.png", "cats/1.png", "dogs/0.png", "dogs/1.png",
                             "zebras/0.png", "zebras/1.png"]
    assert train.samples == 7 and train.filenames[2] == "dogs/2.png"


def test_classes_choose_and_order_the_folders(folder):
    it = make().flow_from_directory(folder, (4, 6), classes=["zebras", "cats"], shuffle=False)
    assert it.class_indices == {"zebras": 0, "cats": 1} and it.filenames[0] == "zebras/0.png"


@pytest.mark.parametrize("kwargs, match", [
    ({"class_mode": "onehot"}, "`class_mode` to be one of"),
    ({"color_mode": "cmyk"}, "`color_mode` to be one of"),
    ({"interpolation": "cubic"}, "`interpolation` to be one of"),
    ({"target_size": (0, 4)}, "`target_size` to be a tuple of 2 positive integers"),
    ({"classes": ["cats", "horses"]}, r"Not found: \['horses'\]"),
    ({"subset": "validation"}, "no `validation_split`"),
])
def test_flow_from_directory_rejects_bad_arguments(folder, kwargs, match):
    with pytest.raises(ValueError, match=match):
        make().flow_from_directory(folder, **kwargs)


def test_flow_from_directory_needs_a_folder(tmp_path):
    with pytest.raises(ValueError, match="does not exist"):
        make().flow_from_directory(tmp_path / "missing")
    (tmp_path / "file").write_text("x")
    with pytest.raises(ValueError, match="is not a folder"):
        make().flow_from_directory(tmp_path / "file")


def test_flow_from_directory_rejects_an_unknown_subset(folder):
    with pytest.raises(ValueError, match="`subset` to be one of"):
        make(validation_split=0.5).flow_from_directory(folder, subset="test")


@pytest.fixture
def frame(folder):
    files = ["cats/0.png", "dogs/1.png", "zebras/2.png", "cats/3.png", "dogs/missing.png"]
    return pd.DataFrame({"filename": files, "class": ["cats", "dogs", "zebras", "cats", "dogs"],
                         "score": [0.5, 1.5, 2.5, 3.5, 4.5], "w": [1.0, 2.0, 3.0, 4.0, 5.0]})


def test_flow_from_dataframe_reads_the_listed_files(folder, frame, capsys):
    with pytest.warns(UserWarning, match="1 invalid image filename"):
        it = make().flow_from_dataframe(frame, folder, target_size=(4, 6), batch_size=4,
                                        shuffle=False, weight_col="w")
    assert "Found 4 validated image filenames belonging to 3 classes." in capsys.readouterr().out
    assert isinstance(it, DataFrameIterator) and it.filenames == frame.filename[:4].tolist()
    x, y, w = it[0]
    assert [_level(image) for image in x] == [40, 90, 140, 190]
    np.testing.assert_array_equal(y.argmax(1), [0, 1, 2, 0])
    np.testing.assert_array_equal(w, [1, 2, 3, 4])


def test_flow_from_dataframe_raw_multi_output_and_multi_label(folder, frame):
    frame = frame[:4]
    _, y = make().flow_from_dataframe(frame, folder, y_col="score", class_mode="raw",
                                      target_size=(4, 6), shuffle=False)[0]
    np.testing.assert_array_equal(y, [0.5, 1.5, 2.5, 3.5])
    _, (score, b) = make().flow_from_dataframe(frame, folder, y_col=["score", "w"],
                                           class_mode="multi_output", target_size=(4, 6),
                                           shuffle=False)[0]
    np.testing.assert_array_equal(score, [0.5, 1.5, 2.5, 3.5])
    np.testing.assert_array_equal(b, [1, 2, 3, 4])
    multi = frame.assign(tags=[["cats", "dogs"], ["dogs"], ["zebras", "cats"], ["cats"]])
    _, y = make().flow_from_dataframe(multi, folder, y_col="tags", target_size=(4, 6),
                                      shuffle=False)[0]
    np.testing.assert_array_equal(y, [[1, 1, 0], [0, 1, 0], [1, 0, 1], [1, 0, 0]])


def test_flow_from_dataframe_classes_filter_the_rows(folder, frame):
    it = make().flow_from_dataframe(frame[:4], folder, classes=["dogs", "cats"],
                                    class_mode="sparse", target_size=(4, 6), shuffle=False)
    assert it.filenames == ["cats/0.png", "dogs/1.png", "cats/3.png"]
    assert it[0][1].tolist() == [1, 0, 1]


def test_flow_from_dataframe_keras_2_arguments(folder, frame):
    with one_deprecation("has no effect"):
        make().flow_from_dataframe(frame[:4], folder, has_ext=True, target_size=(4, 6))
    with one_deprecation("class_mode='raw'"):
        it = make().flow_from_dataframe(frame[:4], folder, y_col="score", class_mode="other")
    assert it.class_mode == "raw"
    with pytest.raises(TypeError, match=r"unexpected keyword arguments: \['colour'\]"):
        make().flow_from_dataframe(frame, folder, colour="red")


@pytest.mark.parametrize("kwargs, error, match", [
    ({"class_mode": "multi_output"}, TypeError, "`y_col` to be a list"),
    ({"x_col": "w"}, TypeError, "x_col='w' to hold file paths"),
    ({"y_col": "w", "class_mode": "sparse"}, TypeError, "to hold class names"),
    ({"y_col": "w"}, TypeError, "class names or lists of them"),
    ({"class_mode": "binary"}, ValueError, "exactly 2 classes"),
    ({"class_mode": "raw", "y_col": "w", "classes": ["cats"]}, ValueError, "has none"),
    ({"weight_col": "class"}, TypeError, "to be numeric"),
])
def test_flow_from_dataframe_rejects_bad_columns(folder, frame, kwargs, error, match):
    with pytest.raises(error, match=match):
        make().flow_from_dataframe(frame, folder, validate_filenames=False, **kwargs)
