"""`lamina.preprocessing.text` against Keras 2 golden values
(`golden/make_preprocessing_golden.py`), JSON both ways with Keras, formulas for the matrix
modes, and errors."""

import json
import math
import pathlib
import warnings

import numpy as np
import pytest

from lamina.preprocessing import text
from tests.legacy_warnings import one_deprecation

GOLDEN = json.loads((pathlib.Path(__file__).parent / "golden" / "preprocessing_golden.json")
                    .read_text())["text"]


def tokenizer(**kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        return text.Tokenizer(**kwargs)


def _fit(case):
    texts = case["fit_texts"]  # strings, or lists of tokens
    tok = tokenizer(**case["kwargs"])
    tok.fit_on_texts(texts)
    return tok, texts + ["an unseen cat word"]


@pytest.mark.parametrize("index", range(len(GOLDEN["tokenizers"])))
def test_tokenizer_matches_keras(index):
    case = GOLDEN["tokenizers"][index]
    tok, probe = _fit(case)
    assert tok.word_index == case["word_index"]
    assert [list(item) for item in tok.word_counts.items()] == case["word_counts"]
    assert dict(tok.word_docs) == case["word_docs"]
    assert {str(k): v for k, v in tok.index_docs.items()} == case["index_docs"]
    sequences = tok.texts_to_sequences(probe)
    assert sequences == case["sequences"]
    assert tok.sequences_to_texts(sequences) == case["texts"]
    for mode, expected in case["matrix"].items():
        np.testing.assert_allclose(tok.texts_to_matrix(probe, mode=mode), expected, rtol=1e-12)
    # Same JSON as Keras (key order inside the count dicts follows Python's set order).
    ours, theirs = json.loads(tok.to_json()), json.loads(case["json"])
    assert ours["class_name"] == theirs["class_name"] == "Tokenizer"
    assert {k: json.loads(v) if k in ("word_counts", "word_docs", "index_docs", "index_word",
                                      "word_index") else v for k, v in ours["config"].items()} \
        == {k: json.loads(v) if k in ("word_counts", "word_docs", "index_docs", "index_word",
                                      "word_index") else v for k, v in theirs["config"].items()}


@pytest.mark.parametrize("index", range(len(GOLDEN["tokenizers"])))
def test_a_keras_json_tokenizer_loads_and_converts_the_same(index):
    case = GOLDEN["tokenizers"][index]
    with one_deprecation("TextVectorization"):
        tok = text.tokenizer_from_json(case["json"])
    _, probe = _fit(case)
    assert tok.word_index == case["word_index"]
    assert tok.texts_to_sequences(probe) == case["sequences"]
    np.testing.assert_allclose(tok.texts_to_matrix(probe, mode="tfidf"), case["matrix"]["tfidf"])
    count = tok.document_count
    tok.fit_on_texts([["more"]])  # the restored counts keep counting
    assert tok.word_docs["more"] == 1 and tok.document_count == count + 1


def test_sequences_to_matrix_tfidf_matches_keras():
    tok = tokenizer(num_words=10)
    tok.fit_on_sequences([[1, 2, 2, 3], [3, 4], [1]])
    out = tok.sequences_to_matrix([[1, 2, 2, 3], [4, 4, 4], [], [9, 12]], mode="tfidf")
    np.testing.assert_allclose(out, GOLDEN["sequences_tfidf"], rtol=1e-12)
    # The formula, for index 2 of the first sequence: count 2, in 1 of 3 documents.
    assert out[0, 2] == pytest.approx((1 + math.log(2)) * math.log(1 + 3 / 2))


def test_matrix_modes_by_formula():
    tok = tokenizer(num_words=4)
    sequences = [[1, 1, 3, 7], [2]]  # index 7 is beyond num_words: dropped, but counted in len
    np.testing.assert_array_equal(tok.sequences_to_matrix(sequences, "count"),
                                  [[0, 2, 0, 1], [0, 0, 1, 0]])
    np.testing.assert_array_equal(tok.sequences_to_matrix(sequences, "binary"),
                                  [[0, 1, 0, 1], [0, 0, 1, 0]])
    np.testing.assert_array_equal(tok.sequences_to_matrix(sequences, "freq"),
                                  [[0, 0.5, 0, 0.25], [0, 0, 1, 0]])


def test_text_helpers_match_keras():
    with one_deprecation("TextVectorization"):
        words = text.text_to_word_sequence("Hello, World!\tfoo--bar  BAZ")
    assert words == GOLDEN["word_sequence"]
    assert text._word_sequence("a-b_c d", filters="-", lower=False, split="_") == \
        GOLDEN["word_sequence_custom"]
    with one_deprecation("Hashing"):
        hashed = text.hashing_trick("The quick brown fox jumps over the lazy dog", 17,
                                    hash_function="md5")
    assert hashed == GOLDEN["hashing_md5"]


def test_one_hot_and_custom_hashes_stay_in_range():
    with one_deprecation("Hashing"):
        indices = text.one_hot("a b c a", 5)
    assert len(indices) == 4 and indices[0] == indices[3] and all(1 <= i < 5 for i in indices)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        assert text.hashing_trick("ab cd", 3, hash_function=len) == [1, 1]  # 2 % 2 + 1
        assert text.hashing_trick("x", 9, analyzer=lambda t: ["p", "q"],
                                  hash_function=ord) == [ord("p") % 8 + 1, ord("q") % 8 + 1]


def test_tokenizer_warns_once_and_takes_keras_1_nb_words():
    with one_deprecation("TextVectorization"):
        text.Tokenizer()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        tok = text.Tokenizer(nb_words=7)
    assert tok.num_words == 7 and any("num_words" in str(w.message) for w in caught)


def test_oov_token_and_num_words_round_trip_to_texts():
    tok = tokenizer(num_words=3, oov_token="?")
    tok.fit_on_texts(["b b b a a c"])
    assert tok.word_index == {"?": 1, "b": 2, "a": 3, "c": 4}
    assert tok.texts_to_sequences(["b a c z"]) == [[2, 1, 1, 1]]
    assert tok.sequences_to_texts([[2, 3, 4, 9]]) == ["b ? ? ?"]


@pytest.mark.parametrize("call, error, match", [
    (lambda t: t.fit_on_texts("one text"), TypeError, "a single string"),
    (lambda t: t.texts_to_sequences("one text"), TypeError, "Wrap it in a list"),
    (lambda t: t.texts_to_matrix(["a"]), RuntimeError, r"fit_on_texts\(texts\)"),
    (lambda t: t.sequences_to_matrix([[1]]), RuntimeError, "num_words"),
    (lambda t: t.sequences_to_matrix([[1]], mode="onehot"), ValueError, "`mode` to be one of"),
])
def test_tokenizer_misuse(call, error, match):
    with pytest.raises(error, match=match):
        call(tokenizer())


def test_tfidf_needs_document_frequencies():
    with pytest.raises(RuntimeError, match="document frequencies"):
        tokenizer(num_words=3).sequences_to_matrix([[1]], mode="tfidf")


@pytest.mark.parametrize("kwargs, error, match", [
    ({"num_words": 0}, ValueError, "`num_words` to be a positive integer"),
    ({"analyzer": "split"}, TypeError, "`analyzer` to be a function"),
    ({"char_lvl": True}, TypeError, r"unexpected keyword arguments: \['char_lvl'\]"),
])
def test_tokenizer_rejects_bad_arguments(kwargs, error, match):
    with pytest.raises(error, match=match):
        tokenizer(**kwargs)


def test_tokenizer_from_json_rejects_other_json():
    with pytest.raises(ValueError, match="written by `Tokenizer.to_json"):
        text.tokenizer_from_json('{"config": {}}')


@pytest.mark.parametrize("kwargs, match", [
    ({"n": 1}, "at least 2"), ({"n": 5, "hash_function": "sha1"}, "'md5' or a function")])
def test_hashing_trick_rejects_bad_arguments(kwargs, match):
    with pytest.warns(DeprecationWarning), pytest.raises(ValueError, match=match):
        text.hashing_trick("a b", **kwargs)
