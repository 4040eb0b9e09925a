"""Writes `dataset_utils_golden.json` and `dataset_utils_golden.npz`: what Keras 3 (with
TensorFlow installed, for its `tf.data` datasets) gives for `image_dataset_from_directory`,
`text_dataset_from_directory`, `timeseries_dataset_from_array` and `split_dataset` on small,
fixed inputs.

Run with real Keras (never under pytest):
`KERAS_BACKEND=jax /tmp/kenv/bin/python tests/utils/golden/make_dataset_utils_golden.py`

The image directory is described by `IMAGE_FILES` (relative path -> pixel array, written as
PNG, or JPEG for `.jpg`); the bytes of each file are stored in the npz (`file:<path>`), so the
tests rebuild the same directory. The text directory is `TEXT_FILES`, stored in the JSON.
"""

import json
import os
import pathlib
import shutil
import tempfile

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras
import numpy as np
import tensorflow as tf

HERE = pathlib.Path(__file__).parent
rng = np.random.default_rng(2024)


def _rgb(h, w, c=3):
    return rng.integers(0, 256, (h, w, c), dtype=np.uint8)


IMAGE_FILES = {
    "birds/b0.png": _rgb(6, 9),
    "birds/b1.PNG": _rgb(7, 7),
    "cats/c0.png": _rgb(5, 7),
    "cats/c1.png": _rgb(8, 6, 4),
    "cats/sub/c2.png": _rgb(4, 4, 1),
    "dogs/d0.png": _rgb(9, 5),
    "dogs/d1.png": _rgb(6, 6),
    "dogs/d2.png": _rgb(10, 4),
    "dogs/d3.jpg": _rgb(6, 8),
    ".hidden/h0.png": _rgb(3, 3),
    "top.png": _rgb(5, 5),
}
OTHER_FILES = {"cats/notes.txt": "not an image"}
TEXT_FILES = {
    "neg/n0.txt": "bad movie, really bad",
    "neg/n1.txt": "boring",
    "neg/deep/n2.txt": "I fell asleep halfway",
    "pos/p0.txt": "great fun for all",
    "pos/p1.txt": "loved it",
    "pos/p2.txt": "a masterpiece of cinema",
    "pos/readme.md": "ignored",
}


def write_image_dir(root):
    for rel, pixels in IMAGE_FILES.items():
        path = os.path.join(root, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        data = tf.io.encode_jpeg(pixels) if rel.endswith(".jpg") else tf.io.encode_png(pixels)
        tf.io.write_file(path, data)
    for rel, text in OTHER_FILES.items():
        pathlib.Path(root, rel).write_text(text)


def write_text_dir(root):
    for rel, text in TEXT_FILES.items():
        path = pathlib.Path(root, rel)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


def relative(paths, root):
    return [os.path.relpath(p, root) for p in paths]


def collect(dataset):
    """All batches, concatenated: (x, y) or x."""
    xs, ys = [], []
    for batch in dataset:
        if isinstance(batch, tuple):
            xs.append(batch[0].numpy())
            ys.append(batch[1].numpy())
        else:
            xs.append(batch.numpy())
    return np.concatenate(xs), (np.concatenate(ys) if ys else None)


golden, arrays = {"images": {}, "texts": {}, "timeseries": [], "split": []}, {}
tmp = tempfile.mkdtemp()
image_root = os.path.join(tmp, "images")
write_image_dir(image_root)
for rel in IMAGE_FILES:  # the exact bytes (TensorFlow's encoders)
    arrays[f"file:{rel}"] = np.frombuffer(pathlib.Path(image_root, rel).read_bytes(), np.uint8)

IMAGE_CASES = {
    "plain": {"image_size": (4, 5), "batch_size": 4, "shuffle": False},
    "crop": {"image_size": (4, 4), "shuffle": False, "crop_to_aspect_ratio": True},
    "pad": {"image_size": (4, 6), "shuffle": False, "pad_to_aspect_ratio": True},
    "grayscale": {"image_size": (5, 5), "shuffle": False, "color_mode": "grayscale"},
    # TensorFlow cannot decode a JPEG to 4 channels: leave the dogs (and their JPEG) out.
    "rgba": {"image_size": (5, 5), "shuffle": False, "color_mode": "rgba",
             "class_names": ["birds", "cats"]},
    "categorical": {"image_size": (3, 3), "shuffle": False, "label_mode": "categorical"},
    "binary": {"image_size": (3, 3), "shuffle": False, "label_mode": "binary",
               "class_names": ["dogs", "cats"]},
    "no_labels": {"image_size": (3, 3), "shuffle": False, "labels": None},
    "given_labels": {"image_size": (3, 3), "shuffle": False, "labels": [3, 1, 1, 0, 3, 1, 0, 0,
                                                                         1, 0, 3]},
    "channels_first": {"image_size": (3, 4), "shuffle": False,
                       "data_format": "channels_first"},
    "shuffled": {"image_size": (3, 3), "shuffle": True, "seed": 1337},
    "shuffled_no_labels": {"image_size": (3, 3), "shuffle": True, "seed": 5, "labels": None},
    "split_training": {"image_size": (3, 3), "seed": 7, "validation_split": 0.5,
                       "subset": "training"},
    "split_validation": {"image_size": (3, 3), "seed": 7, "validation_split": 0.5,
                         "subset": "validation"},
}
for method in ("bilinear", "nearest", "bicubic", "area", "lanczos3", "lanczos5", "gaussian",
               "mitchellcubic"):
    IMAGE_CASES[f"interp_{method}"] = {"image_size": (5, 6), "shuffle": False,
                                       "interpolation": method}

for name, kwargs in IMAGE_CASES.items():
    ds = keras.utils.image_dataset_from_directory(image_root, verbose=False, **kwargs)
    x, y = collect(ds)
    shown = {k: (list(v) if isinstance(v, tuple) else v) for k, v in kwargs.items()}
    golden["images"][name] = {"kwargs": shown, "class_names": ds.class_names,
                              "file_paths": relative(ds.file_paths, image_root),
                              "x_dtype": str(x.dtype), "x_shape": list(x.shape)}
    if kwargs.get("shuffle", True):
        continue  # tf.data reshuffles the batches: only the file order is Keras' own
    arrays[f"images:{name}:x"] = x
    if y is not None:
        arrays[f"images:{name}:y"] = y
        golden["images"][name]["y_dtype"] = str(y.dtype)

train, val = keras.utils.image_dataset_from_directory(
    image_root, image_size=(3, 3), seed=42, validation_split=0.34, subset="both",
    verbose=False)
x, y = collect(val)  # the validation half is not shuffled by tf.data: its order is Keras'
arrays["images:both:val_x"], arrays["images:both:val_y"] = x, y
golden["images"]["both"] = {
    "kwargs": {"image_size": [3, 3], "seed": 42, "validation_split": 0.34, "subset": "both"},
    "class_names": train.class_names,
    "train_file_paths": relative(train.file_paths, image_root),
    "val_file_paths": relative(val.file_paths, image_root)}
single = next(iter(keras.utils.image_dataset_from_directory(
    image_root, image_size=(3, 3), batch_size=None, shuffle=False, verbose=False)))
golden["images"]["unbatched_shapes"] = [list(single[0].shape), list(single[1].shape)]

text_root = os.path.join(tmp, "texts")
write_text_dir(text_root)
golden["texts"]["files"] = TEXT_FILES
for name, kwargs in {"plain": {"shuffle": False, "batch_size": 4},
                     "max_length": {"shuffle": False, "max_length": 6},
                     "binary": {"shuffle": False, "label_mode": "binary"},
                     "no_labels": {"shuffle": False, "labels": None}}.items():
    ds = keras.utils.text_dataset_from_directory(text_root, verbose=False, **kwargs)
    x, y = collect(ds)
    golden["texts"][name] = {"kwargs": kwargs, "class_names": ds.class_names,
                             "x": [t.decode() for t in x],
                             "y": None if y is None else y.tolist(),
                             "y_dtype": None if y is None else str(y.dtype)}
train, val = keras.utils.text_dataset_from_directory(
    text_root, seed=3, validation_split=0.4, subset="both", verbose=False)
x_train, _ = collect(train)
x_val, y_val = collect(val)
golden["texts"]["both"] = {"kwargs": {"seed": 3, "validation_split": 0.4, "subset": "both"},
                           "train_x_sorted": sorted(t.decode() for t in x_train),
                           "val_x": [t.decode() for t in x_val], "val_y": y_val.tolist()}

data = np.arange(40, dtype="float32").reshape(20, 2)
targets = np.arange(100, 120)
for kwargs in ({"sequence_length": 5, "batch_size": 4},
               {"sequence_length": 3, "sequence_stride": 2, "sampling_rate": 3,
                "batch_size": 3},
               {"sequence_length": 4, "start_index": 3, "end_index": 15, "batch_size": 5},
               {"sequence_length": 4, "start_index": 2, "batch_size": None},
               {"sequence_length": 6, "sampling_rate": 2, "batch_size": 2, "no_targets": True},
               {"sequence_length": 5, "batch_size": 4, "shuffle": True, "seed": 11}):
    call = {k: v for k, v in kwargs.items() if k != "no_targets"}
    ds = keras.utils.timeseries_dataset_from_array(
        data, None if kwargs.get("no_targets") else targets, **call)
    batches = []
    for batch in ds:
        if isinstance(batch, tuple):
            batches.append([batch[0].numpy().tolist(), batch[1].numpy().tolist()])
        else:
            batches.append([batch.numpy().tolist()])
    golden["timeseries"].append({"kwargs": kwargs, "batches": batches})

x = np.arange(30).reshape(10, 3)
y = np.arange(10) * 10
for kwargs in ({"left_size": 0.25}, {"right_size": 3}, {"left_size": 4, "right_size": 3},
               {"left_size": 0.5, "shuffle": True, "seed": 5},
               {"left_size": 0.3, "right_size": 0.5, "shuffle": True, "seed": 9}):
    for kind in ("array", "tuple"):
        left, right = keras.utils.split_dataset(x if kind == "array" else (x, y), **kwargs)
        def rows(split):
            return [[v.tolist() for v in s] if isinstance(s, tuple) else s.tolist()
                    for s in split.as_numpy_iterator()]
        golden["split"].append({"kwargs": kwargs, "kind": kind, "left": rows(left),
                                "right": rows(right)})

# tf.image.resize itself (what the directory loader resizes with), shrinking and enlarging.
RESIZE_SIZES = [((5, 7), (3, 4)), ((5, 7), (9, 11)), ((9, 9), (4, 13)), ((3, 8), (7, 3)),
                ((16, 12), (5, 5)), ((6, 4), (6, 4))]
golden["resize"] = []
for k, (shape, size) in enumerate(RESIZE_SIZES):
    image = rng.integers(0, 256, shape + (2,), dtype=np.uint8)
    arrays[f"resize:{k}:image"] = image
    for method in ("bilinear", "nearest", "bicubic", "area", "lanczos3", "lanczos5", "gaussian",
                   "mitchellcubic"):
        arrays[f"resize:{k}:{method}"] = tf.image.resize(image, size, method=method).numpy()
    arrays[f"resize:{k}:pad"] = tf.image.resize_with_pad(image, *size).numpy()
    golden["resize"].append({"shape": list(shape), "size": list(size)})

shutil.rmtree(tmp)
(HERE / "dataset_utils_golden.json").write_text(json.dumps(golden, indent=1) + "\n")
np.savez_compressed(HERE / "dataset_utils_golden.npz", **arrays)
print("wrote", len(arrays), "arrays")
