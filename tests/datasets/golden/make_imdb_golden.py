"""Writes `imdb_golden.json`: Keras 3's `imdb.load_data` on a small fake `imdb.npz`.

The fake file has the real file's layout (object arrays of lists of word indices, integer
labels); its content is written into the JSON so the tests rebuild the same file. Run with
real Keras (never under pytest):
`KERAS_BACKEND=jax /tmp/kenv/bin/python tests/datasets/golden/make_imdb_golden.py`
"""

import json
import pathlib
import tempfile

import numpy as np
from keras.src.datasets import imdb

rng = np.random.default_rng(2024)


def reviews(count):
    # Word indices from 1 (most frequent) with a long tail, as in the real file.
    return [(rng.zipf(1.5, int(n)) % 60 + 1).tolist() for n in rng.integers(1, 30, count)]


RAW = {"x_train": reviews(40), "y_train": rng.integers(0, 2, 40).tolist(),
       "x_test": reviews(30), "y_test": rng.integers(0, 2, 30).tolist()}

CASES = [
    {},
    {"num_words": 20},
    {"num_words": 25, "skip_top": 6},
    {"maxlen": 15},
    {"seed": 7, "maxlen": 25, "num_words": 30},
    {"start_char": None},
    {"oov_char": None, "num_words": 18, "skip_top": 4},
    {"start_char": None, "index_from": 0, "oov_char": None},
    {"start_char": 5, "oov_char": 9, "index_from": 10, "num_words": 40},
    {"index_from": 0, "start_char": None, "skip_top": 2},
]


def main():
    with tempfile.TemporaryDirectory() as tmp:
        path = pathlib.Path(tmp) / "imdb.npz"
        arrays = {}
        for name, value in RAW.items():
            if name.startswith("x_"):
                array = np.empty(len(value), dtype=object)
                for i, review in enumerate(value):
                    array[i] = review
                arrays[name] = array
            else:
                arrays[name] = np.array(value, dtype=np.int64)
        np.savez(path, **arrays)
        imdb.get_file = lambda **kwargs: str(path)  # the real one would check Keras' hash
        cases = []
        for kwargs in CASES:
            (x_train, y_train), (x_test, y_test) = imdb.load_data(**kwargs)
            cases.append({"kwargs": kwargs, "x_train": [list(map(int, r)) for r in x_train],
                          "y_train": y_train.tolist(), "x_test": [list(map(int, r)) for r in x_test],
                          "y_test": y_test.tolist(), "y_dtype": str(y_train.dtype)})
        try:
            imdb.load_data(maxlen=2)
        except ValueError as error:
            print("maxlen=2:", error)
    out = pathlib.Path(__file__).with_name("imdb_golden.json")
    out.write_text(json.dumps({"raw": RAW, "cases": cases}) + "\n")
    print(f"wrote {len(cases)} cases to {out}")


if __name__ == "__main__":
    main()
