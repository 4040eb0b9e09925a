"""`lamina.preprocessing.sequence`: `pad_sequences` forwards with a warning,
`TimeseriesGenerator` and `make_sampling_table` match Keras 2 golden values, `skipgrams` is
checked by hand; and the package imports silently."""

import json
import pathlib
import subprocess
import sys
import warnings

import numpy as np
import pytest

import lamina
from lamina.preprocessing import sequence
from lamina.utils import pad_sequences
from tests.legacy_warnings import one_deprecation

GOLDEN = json.loads((pathlib.Path(__file__).parent / "golden" / "preprocessing_golden.json")
                    .read_text())["sequence"]
DATA = np.arange(40).reshape(20, 2)
TARGETS = np.arange(20) * 10


def quiet(function, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        return function(*args, **kwargs)


def test_importing_the_package_is_silent():
    code = ("import warnings; warnings.simplefilter('error'); "
            "import lamina.preprocessing, lamina.preprocessing.image, "
            "lamina.preprocessing.text, lamina.preprocessing.sequence")
    src = pathlib.Path(lamina.__file__).parent.parent
    subprocess.run([sys.executable, "-c", code], check=True, env={"PYTHONPATH": str(src)})


def test_pad_sequences_forwards_with_a_warning():
    with one_deprecation(r"use `lamina\.utils\.pad_sequences`"):
        out = sequence.pad_sequences([[1], [2, 3, 4]], maxlen=2, padding="post", value=-1)
    np.testing.assert_array_equal(out, pad_sequences([[1], [2, 3, 4]], maxlen=2,
                                                      padding="post", value=-1))
    np.testing.assert_array_equal(out, [[1, -1], [3, 4]])


@pytest.mark.parametrize("index", range(len(GOLDEN["timeseries"])))
def test_timeseries_generator_matches_keras(index):
    case = GOLDEN["timeseries"][index]
    gen = quiet(sequence.TimeseriesGenerator, DATA, TARGETS, **case["kwargs"])
    assert len(gen) == case["len"]
    for i, (x, y) in enumerate(case["batches"]):
        assert gen[i][0].tolist() == x and gen[i][1].tolist() == y


def test_timeseries_generator_windows_by_formula():
    with one_deprecation("timeseries_dataset_from_array"):
        gen = sequence.TimeseriesGenerator(DATA, TARGETS, length=4, sampling_rate=2, stride=3,
                                           batch_size=2)
    x, y = gen[1]
    rows = 4 + np.array([6, 9])  # start_index + length, then every `stride` steps
    np.testing.assert_array_equal(x, [DATA[r - 4:r:2] for r in rows])
    np.testing.assert_array_equal(y, TARGETS[rows])
    assert isinstance(gen, lamina.utils.PyDataset)


def test_timeseries_generator_shuffle_draws_rows_in_range():
    gen = quiet(sequence.TimeseriesGenerator, DATA, TARGETS, length=3, shuffle=True,
                batch_size=50)
    x, y = gen[0]
    assert x.shape == (50, 3, 2) and set(y // 10) <= set(range(3, 20))
    np.testing.assert_array_equal(x[:, -1, 0] // 2 + 1, y // 10)  # window ends before target


def test_timeseries_generator_config():
    gen = quiet(sequence.TimeseriesGenerator, DATA[:6], TARGETS[:6], length=2, batch_size=2)
    config = json.loads(gen.to_json())["config"]
    assert json.loads(config["data"]) == DATA[:6].tolist()
    assert config["start_index"] == 2 and config["end_index"] == 5
    bad = quiet(sequence.TimeseriesGenerator, [object()] * 3, [0, 1, 2], length=1)
    with pytest.raises(TypeError, match="cannot write `data` as JSON"):
        bad.get_config()


@pytest.mark.parametrize("kwargs, error, match", [
    ({"targets": TARGETS[:5]}, ValueError, "same length"),
    ({"length": 0}, ValueError, "`length` to be a positive integer"),
    ({"start_index": -1}, ValueError, "`start_index` to be a non-negative integer"),
    ({"length": 5, "end_index": 4}, ValueError, "has no sample"),
])
def test_timeseries_generator_rejects_bad_arguments(kwargs, error, match):
    arguments = {"data": DATA, "targets": TARGETS, "length": 3, **kwargs}
    with pytest.raises(error, match=match):
        quiet(sequence.TimeseriesGenerator, **arguments)


def test_timeseries_generator_index_out_of_range():
    gen = quiet(sequence.TimeseriesGenerator, DATA, TARGETS, length=3, batch_size=10)
    with pytest.raises(IndexError, match="has 2 batches"):
        gen[2]


def test_make_sampling_table_matches_keras():
    with one_deprecation("make_sampling_table"):
        table = sequence.make_sampling_table(12, sampling_factor=1e-3)
    np.testing.assert_allclose(table, GOLDEN["sampling_table"], rtol=1e-12)


def test_skipgrams_pairs_each_word_with_its_window():
    with one_deprecation("skipgrams"):
        couples, labels = sequence.skipgrams([1, 2, 0, 3], 5, window_size=1,
                                             negative_samples=0, shuffle=False)
    assert couples == [[1, 2], [2, 1]] and labels == [1, 1]  # 0 is not a word
    couples, labels = quiet(sequence.skipgrams, [1, 2, 3], 4, window_size=2,
                            negative_samples=0.5, categorical=True, seed=3)
    positives = [c for c, label in zip(couples, labels) if label == [0, 1]]
    negatives = [c for c, label in zip(couples, labels) if label == [1, 0]]
    assert sorted(positives) == [[1, 2], [1, 3], [2, 1], [2, 3], [3, 1], [3, 2]]
    assert len(negatives) == 3 and all(1 <= c[1] < 4 and c[0] in (1, 2, 3) for c in negatives)
    assert quiet(sequence.skipgrams, [1, 2, 3], 4, seed=3, categorical=True,
                 negative_samples=0.5, window_size=2) == (couples, labels)


def test_skipgrams_sampling_table_drops_words():
    couples, _ = quiet(sequence.skipgrams, [1, 2, 3], 4, window_size=2, negative_samples=0,
                       sampling_table=[0.0, 0.0, 1.0, 1.0], shuffle=False)
    assert couples == [[2, 1], [2, 3], [3, 1], [3, 2]]  # word 1 is never a centre
