"""Tests for `utils.pad_sequences`, against Keras 3's own outputs (`golden/`)."""

import json
import pathlib

import numpy as np
import pytest

from lamina import utils
from lamina.utils import pad_sequences

GOLDEN = json.loads((pathlib.Path(__file__).parent / "golden" / "sequence_golden.json").read_text())


def _reference(sequences, maxlen, padding, truncating, value, dtype="int32"):
    """A one-sequence-at-a-time oracle written from the definition."""
    maxlen = max(map(len, sequences)) if maxlen is None else maxlen
    rows = []
    for sequence in sequences:
        kept = list(sequence)[-maxlen:] if truncating == "pre" else list(sequence)[:maxlen]
        fill = [value] * (maxlen - len(kept)) if maxlen else []
        rows.append(fill + kept if padding == "pre" else kept + fill)
    return np.array(rows, dtype=dtype).reshape(len(sequences), maxlen)


@pytest.mark.parametrize("case", GOLDEN["cases"], ids=lambda case: f"{case['input']}-{case['kwargs']}")
def test_matches_keras(case):
    kwargs = dict(case["kwargs"])
    if kwargs["dtype"] == "object":
        kwargs["dtype"] = object
    out = pad_sequences(GOLDEN[case["input"]], **kwargs)
    assert str(out.dtype) == case["dtype"]
    if case["dtype"] == "object":
        assert out.tolist() == case["output"]
    else:
        np.testing.assert_array_equal(out, np.array(case["output"], dtype=case["dtype"]))


def test_exported_as_keras_does():
    assert utils.pad_sequences is pad_sequences


@pytest.mark.parametrize("padding", ["pre", "post"])
@pytest.mark.parametrize("truncating", ["pre", "post"])
@pytest.mark.parametrize("maxlen", [None, 1, 5, 30])
def test_random_ragged_lists_match_the_oracle(padding, truncating, maxlen):
    rng = np.random.default_rng(0)
    sequences = [rng.integers(1, 1000, n).tolist() for n in rng.integers(0, 25, 200)]
    out = pad_sequences(sequences, maxlen=maxlen, padding=padding, truncating=truncating,
                        value=-3)
    np.testing.assert_array_equal(out, _reference(sequences, maxlen, padding, truncating, -3))


def test_accepts_numpy_rows_tuples_and_an_object_array_of_lists():
    ragged = np.empty(3, dtype=object)
    ragged[:] = [[1, 2, 3], [4], []]
    expected = [[1, 2, 3], [0, 0, 4], [0, 0, 0]]
    assert pad_sequences(ragged).tolist() == expected
    assert pad_sequences([np.array([1, 2, 3]), (4,), ()]).tolist() == expected
    assert pad_sequences(np.arange(6).reshape(2, 3), maxlen=2).tolist() == [[1, 2], [4, 5]]


def test_floats_truncate_into_an_integer_dtype_as_numpy_casts():
    assert pad_sequences([[1.7, -2.2]], maxlen=3).tolist() == [[0, 1, -2]]
    assert pad_sequences([[1.5]], dtype="float32", value=0.25).dtype == np.float32


def test_string_padding_with_object_dtype():
    out = pad_sequences([["a", "bb"], ["ccc"]], dtype="object", padding="post", value="")
    assert out.tolist() == [["a", "bb"], ["ccc", ""]]


def test_empty_inputs():
    assert pad_sequences([]).shape == (0, 0)
    assert pad_sequences([[], []]).shape == (2, 0)
    assert pad_sequences([[1, 2]], maxlen=0).shape == (1, 0)
    np.testing.assert_array_equal(pad_sequences([[], []], maxlen=2), np.zeros((2, 2)))


def test_rejects_a_non_sequence():
    with pytest.raises(ValueError, match=r"`pad_sequences` expects `sequences` to be a list "
                                         r"of sequences. Received: sequences=5 \(of type int\)"):
        pad_sequences(5)


def test_rejects_a_non_iterable_element():
    with pytest.raises(ValueError, match=r"a list of iterables. Found a non-iterable element: "
                                         r"3 \(of type int\)"):
        pad_sequences([[1, 2], 3])


@pytest.mark.parametrize("arg", ["padding", "truncating"])
def test_rejects_an_unknown_side(arg):
    with pytest.raises(ValueError, match=f"`pad_sequences` expects `{arg}` to be one of 'pre', "
                                         f"'post'. Received: {arg}='middle'"):
        pad_sequences([[1]], **{arg: "middle"})


@pytest.mark.parametrize("maxlen", [-1, 2.5, True])
def test_rejects_a_bad_maxlen(maxlen):
    with pytest.raises(ValueError, match=r"`maxlen` to be a non-negative integer or None"):
        pad_sequences([[1]], maxlen=maxlen)


def test_rejects_a_string_value_for_a_numeric_dtype():
    with pytest.raises(ValueError, match=r"cannot pad with the string 'x' in an array of dtype "
                                         r"'int32'. Pass `dtype=object`"):
        pad_sequences([["a"]], value="x")


def test_rejects_steps_of_different_shapes():
    with pytest.raises(ValueError, match=r"the shape \(2,\) \(taken from the first non-empty "
                                         r"sequence\). The sequence at position 2 has steps of "
                                         r"shape \(3,\)"):
        pad_sequences([[], [[1, 2]], [[1, 2, 3]]])
    with pytest.raises(ValueError, match=r"the shape \(\) .* position 1 has steps of shape \(2,\)"):
        pad_sequences([[1], [[1, 2]]])
