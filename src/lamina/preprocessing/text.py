"""`keras.preprocessing.text`: Keras 2's `Tokenizer`, `text_to_word_sequence`, `one_hot` and
`hashing_trick`, deprecated in Keras 3 in favour of the `TextVectorization` and `Hashing`
layers. Each constructor or function call emits one `DeprecationWarning`; results are Keras
2's, and `Tokenizer.to_json` files move both ways between lamina and Keras.
"""

import collections
import hashlib
import json
import numbers

import numpy as np

from lamina import deprecation
from lamina.validation import received, validate_choice

DEFAULT_FILTERS = '!"#$%&()*+,-./:;<=>?@[\\]^_`{|}~\t\n'
MATRIX_MODES = ("binary", "count", "tfidf", "freq")


def _word_sequence(text, filters=DEFAULT_FILTERS, lower=True, split=" "):
    if lower:
        text = text.lower()
    text = text.translate(str.maketrans({c: split for c in filters}))
    return [word for word in text.split(split) if word]


def text_to_word_sequence(input_text, filters=DEFAULT_FILTERS, lower=True, split=" "):
    """Splits a text into words (deprecated: use `keras.layers.TextVectorization`).

    Args:
        input_text: The text.
        filters: Characters removed (replaced by `split`). Defaults to punctuation, tabs and
            line breaks.
        lower: Lower-case the text first. Defaults to `True`.
        split: The word separator. Defaults to `" "`.

    Returns:
        The list of words.

    Example:
    >>> import warnings
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("ignore", DeprecationWarning)
    ...     text_to_word_sequence("Hello, world!  Hello...")
    ['hello', 'world', 'hello']
    """
    deprecation.warn("`text_to_word_sequence` (Keras 2) is deprecated in Keras 3; use the "
                     "`keras.layers.TextVectorization` layer.")
    return _word_sequence(input_text, filters, lower, split)


def _hashing_trick(text, n, hash_function, filters, lower, split, analyzer, owner):
    if isinstance(n, bool) or not isinstance(n, numbers.Integral) or n < 2:
        raise ValueError(f"`{owner}` expects `n` (the size of the vocabulary, index 0 "
                         "excluded) to be an integer of at least 2. " + received("n", n))
    if hash_function is None:
        hash_function = hash
    elif hash_function == "md5":
        def hash_function(word):
            return int(hashlib.md5(word.encode()).hexdigest(), 16)
    elif not callable(hash_function):
        raise ValueError(f"`{owner}` expects `hash_function` to be None, 'md5' or a function. "
                         + received("hash_function", hash_function))
    words = _word_sequence(text, filters, lower, split) if analyzer is None else analyzer(text)
    return [hash_function(word) % (n - 1) + 1 for word in words]


def hashing_trick(text, n, hash_function=None, filters=DEFAULT_FILTERS, lower=True, split=" ",
                  analyzer=None):
    """Turns a text into word indices in `[1, n)` by hashing (deprecated: use the
    `keras.layers.Hashing` layer).

    Args:
        text: The text.
        n: One more than the largest index.
        hash_function: `None` for Python's `hash` (which varies between runs for strings),
            `"md5"` (stable), or a function from a string to an int. Defaults to `None`.
        filters, lower, split: See `text_to_word_sequence`.
        analyzer: A function from the text to its words, replacing the splitting.
            Defaults to `None`.

    Returns:
        A list of integers.

    Example:
    >>> import warnings
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("ignore", DeprecationWarning)
    ...     hashing_trick("the cat the", 10, hash_function="md5")
    [6, 3, 6]
    """
    deprecation.warn("`hashing_trick` (Keras 2) is deprecated in Keras 3; use the "
                     "`keras.layers.Hashing` layer.")
    return _hashing_trick(text, n, hash_function, filters, lower, split, analyzer,
                          "hashing_trick")


def one_hot(input_text, n, filters=DEFAULT_FILTERS, lower=True, split=" ", analyzer=None):
    """`hashing_trick` with Python's `hash` (deprecated: use the `keras.layers.Hashing`
    layer). Despite its name, it returns word indices, not one-hot vectors."""
    deprecation.warn("`one_hot` (Keras 2) is deprecated in Keras 3; use the "
                     "`keras.layers.Hashing` layer.")
    return _hashing_trick(input_text, n, None, filters, lower, split, analyzer, "one_hot")


def _check_texts(texts, owner):
    if isinstance(texts, str):
        raise TypeError(f"`{owner}` expects a list of texts, and received a single string "
                        f"(which would be read as one text per character). Wrap it in a "
                        f"list: [{texts[:20]!r}...].")


class Tokenizer:
    """Maps words to indices by frequency (Keras 2, deprecated: use the
    `keras.layers.TextVectorization` layer).

    Index 0 is never a word; the most frequent word gets 1 (or 2 when `oov_token` takes 1).

    Args:
        num_words: Keep only the words of index below `num_words` when converting texts
            (`None` keeps all). Defaults to `None`.
        filters: Characters removed from texts. Defaults to punctuation, tabs and line
            breaks.
        lower: Lower-case texts. Defaults to `True`.
        split: The word separator. Defaults to `" "`.
        char_level: Every character is a token. Defaults to `False`.
        oov_token: A token standing for the words not in the vocabulary (index 1), or
            `None` to drop them. Defaults to `None`.
        analyzer: A function from a text to its tokens, replacing the splitting.
            Defaults to `None`.
        **kwargs: `document_count` (when restoring), and Keras 1's `nb_words`.

    Attributes:
        word_index: `{word: index}`; `index_word` the reverse.
        word_counts: `{word: count}` in order of first appearance.
        word_docs: `{word: number of texts containing it}`; `index_docs` by index.
        document_count: The number of texts (or sequences) fitted on.

    Example:
    >>> import warnings
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("ignore", DeprecationWarning)
    ...     tokenizer = Tokenizer(num_words=4, oov_token="<unk>")
    >>> tokenizer.fit_on_texts(["The cat sat.", "The dog sat on the mat."])
    >>> tokenizer.word_index["the"], tokenizer.texts_to_sequences(["the dog sat"])
    (2, [[2, 1, 3]])
    """

    def __init__(self, num_words=None, filters=DEFAULT_FILTERS, lower=True, split=" ",
                 char_level=False, oov_token=None, analyzer=None, **kwargs):
        deprecation.warn("`Tokenizer` (Keras 2) is deprecated in Keras 3; use the "
                         "`keras.layers.TextVectorization` layer.")
        if "nb_words" in kwargs:
            num_words = kwargs.pop("nb_words")
            deprecation.warn("`Tokenizer(nb_words=...)` is deprecated; use `num_words`.")
        document_count = kwargs.pop("document_count", 0)
        if kwargs:
            raise TypeError(f"`Tokenizer` got unexpected keyword arguments: {sorted(kwargs)}.")
        if num_words is not None and (isinstance(num_words, bool) or not isinstance(
                num_words, numbers.Integral) or num_words < 1):
            raise ValueError("`Tokenizer` expects `num_words` to be a positive integer or None. "
                             + received("num_words", num_words))
        if analyzer is not None and not callable(analyzer):
            raise TypeError("`Tokenizer` expects `analyzer` to be a function or None. "
                            + received("analyzer", analyzer))
        self.word_counts = collections.OrderedDict()
        self.word_docs = collections.defaultdict(int)
        self.filters = filters
        self.split = split
        self.lower = lower
        self.num_words = num_words
        self.document_count = document_count
        self.char_level = char_level
        self.oov_token = oov_token
        self.index_docs = collections.defaultdict(int)
        self.word_index = {}
        self.index_word = {}
        self.analyzer = analyzer

    def _tokens(self, text):
        if self.char_level or isinstance(text, list):
            if self.lower:
                text = [t.lower() for t in text] if isinstance(text, list) else text.lower()
            return text
        if self.analyzer is not None:
            return self.analyzer(text)
        return _word_sequence(text, self.filters, self.lower, self.split)

    def fit_on_texts(self, texts):
        """Counts the words of `texts` (strings, or lists of tokens) and rebuilds the index.

        Raises:
            TypeError: If `texts` is a single string.
        """
        _check_texts(texts, "Tokenizer.fit_on_texts")
        for text in texts:
            self.document_count += 1
            tokens = self._tokens(text)
            for w in tokens:
                self.word_counts[w] = self.word_counts.get(w, 0) + 1
            for w in set(tokens):
                self.word_docs[w] += 1
        # A stable sort: equally frequent words keep their order of first appearance.
        ranked = sorted(self.word_counts.items(), key=lambda item: item[1], reverse=True)
        vocabulary = ([] if self.oov_token is None else [self.oov_token])
        vocabulary += [word for word, _ in ranked]
        self.word_index = dict(zip(vocabulary, range(1, len(vocabulary) + 1)))
        self.index_word = {index: word for word, index in self.word_index.items()}
        for w, count in list(self.word_docs.items()):
            self.index_docs[self.word_index[w]] = count

    def fit_on_sequences(self, sequences):
        """Counts, for `tfidf`, the sequences of indices each index occurs in."""
        self.document_count += len(sequences)
        for sequence in sequences:
            for index in set(sequence):
                self.index_docs[index] += 1

    def texts_to_sequences(self, texts):
        """Each text as a list of word indices (unknown words dropped, or `oov_token`)."""
        return list(self.texts_to_sequences_generator(texts))

    def texts_to_sequences_generator(self, texts):
        """`texts_to_sequences`, one text at a time."""
        _check_texts(texts, "Tokenizer.texts_to_sequences")
        num_words = self.num_words
        oov_index = self.word_index.get(self.oov_token)
        for text in texts:
            sequence = []
            for w in self._tokens(text):
                index = self.word_index.get(w)
                if index is not None and not (num_words and index >= num_words):
                    sequence.append(index)
                elif oov_index is not None:
                    sequence.append(oov_index)
            yield sequence

    def sequences_to_texts(self, sequences):
        """Each sequence of indices as a text of space-separated words."""
        return list(self.sequences_to_texts_generator(sequences))

    def sequences_to_texts_generator(self, sequences):
        """`sequences_to_texts`, one sequence at a time."""
        num_words = self.num_words
        oov_index = self.word_index.get(self.oov_token)
        for sequence in sequences:
            words = []
            for index in sequence:
                word = self.index_word.get(index)
                if word is not None and not (num_words and index >= num_words):
                    words.append(word)
                elif oov_index is not None:
                    words.append(self.index_word[oov_index])
            yield " ".join(words)

    def texts_to_matrix(self, texts, mode="binary"):
        """`sequences_to_matrix(texts_to_sequences(texts), mode)`.

        Raises:
            RuntimeError: If the tokenizer has not been fit on texts.
        """
        if not self.word_index:
            raise RuntimeError("`Tokenizer.texts_to_matrix` needs a vocabulary: call "
                               "`tokenizer.fit_on_texts(texts)` first.")
        validate_choice(mode, "mode", MATRIX_MODES, "Tokenizer.texts_to_matrix")
        return self.sequences_to_matrix(self.texts_to_sequences(texts), mode=mode)

    def sequences_to_matrix(self, sequences, mode="binary"):
        """Sequences of indices as a `(len(sequences), num_words)` float64 matrix.

        Args:
            sequences: Lists of word indices.
            mode: `"binary"` (1 where the index occurs), `"count"`, `"freq"` (count over the
                sequence's length) or `"tfidf"` (`(1 + log(count)) * log(1 +
                document_count / (1 + documents with the index))`). Defaults to `"binary"`.

        Returns:
            A numpy array; `num_words` is `len(word_index) + 1` when not set.

        Raises:
            ValueError: If `mode` is unknown.
            RuntimeError: Without `num_words` before fitting, or for `"tfidf"` before
                fitting.
        """
        validate_choice(mode, "mode", MATRIX_MODES, "Tokenizer.sequences_to_matrix")
        if self.num_words:
            num_words = self.num_words
        elif self.word_index:
            num_words = len(self.word_index) + 1
        else:
            raise RuntimeError("`Tokenizer.sequences_to_matrix` needs the width of the matrix: "
                               "pass `Tokenizer(num_words=...)`, or fit on texts first.")
        if mode == "tfidf" and not self.document_count:
            raise RuntimeError("`Tokenizer.sequences_to_matrix(mode='tfidf')` needs document "
                               "frequencies: fit on texts or sequences first.")
        lengths = np.asarray([len(s) for s in sequences], dtype=np.int64)
        flat = np.fromiter((i for s in sequences for i in s), dtype=np.int64, count=lengths.sum())
        rows = np.repeat(np.arange(len(lengths)), lengths)
        kept = (flat >= 0) & (flat < num_words)
        counts = np.zeros((len(lengths), num_words))
        np.add.at(counts, (rows[kept], flat[kept]), 1)
        if mode == "count":
            return counts
        if mode == "binary":
            return (counts > 0).astype(np.float64)
        if mode == "freq":
            return counts / np.maximum(lengths, 1)[:, None]
        docs = np.zeros(num_words)
        for index, count in self.index_docs.items():
            if 0 <= index < num_words:
                docs[index] = count
        idf = np.log(1 + self.document_count / (1 + docs))  # (num_words,)
        present = counts > 0
        return np.where(present, (1 + np.log(np.where(present, counts, 1))) * idf, 0.0)

    def get_config(self):
        """Keras 2's config: the options, and the counts and indices as JSON strings."""
        return {
            "num_words": self.num_words, "filters": self.filters, "lower": self.lower,
            "split": self.split, "char_level": self.char_level, "oov_token": self.oov_token,
            "document_count": self.document_count,
            "word_counts": json.dumps(self.word_counts), "word_docs": json.dumps(self.word_docs),
            "index_docs": json.dumps(self.index_docs), "index_word": json.dumps(self.index_word),
            "word_index": json.dumps(self.word_index),
        }

    def to_json(self, **kwargs):
        """The tokenizer as a JSON string (Keras 2's format); `**kwargs` go to `json.dumps`.
        Load it with `tokenizer_from_json`. (`analyzer`, a function, is not saved.)"""
        return json.dumps({"class_name": type(self).__name__, "config": self.get_config()},
                          **kwargs)


def tokenizer_from_json(json_string):
    """The `Tokenizer` saved by `Tokenizer.to_json` (lamina's or Keras 2's).

    Raises:
        ValueError: If the string is not a saved tokenizer.
    """
    try:
        config = dict(json.loads(json_string)["config"])
        counts = {name: json.loads(config.pop(name)) for name in (
            "word_counts", "word_docs", "index_docs", "index_word", "word_index")}
    except (TypeError, KeyError, ValueError) as error:
        raise ValueError("`tokenizer_from_json` expects the JSON string written by "
                         "`Tokenizer.to_json()`, with a 'config' holding 'word_counts', "
                         "'word_docs', 'index_docs', 'index_word' and 'word_index'.") from error
    tokenizer = Tokenizer(**config)
    tokenizer.word_counts = collections.OrderedDict(counts["word_counts"])
    tokenizer.word_docs = collections.defaultdict(int, counts["word_docs"])
    tokenizer.index_docs = collections.defaultdict(
        int, {int(k): v for k, v in counts["index_docs"].items()})
    tokenizer.index_word = {int(k): v for k, v in counts["index_word"].items()}
    tokenizer.word_index = counts["word_index"]
    return tokenizer
