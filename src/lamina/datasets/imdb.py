"""IMDB: 50,000 movie reviews labelled by sentiment (1 positive, 0 negative).

25,000 reviews are for training and 25,000 for testing. Each review is a list of word
indices, a word's index being its frequency rank in the training reviews (1 is the most
frequent word), so "the 10,000 most frequent words" is a cut on the index. The files come
from the URLs Keras uses and are cached where Keras caches them, `$KERAS_HOME/datasets`
(by default `~/.keras/datasets`), checked against Keras' pinned hashes.

Reading without unpickling. `imdb.npz` stores the reviews as numpy object arrays of Python
lists, which numpy can only save as a pickle stream, and unpickling runs whatever code the
stream names. lamina never unpickles: `_read_pickle` walks the stream's opcodes itself and
builds only lists, tuples, numbers and strings. The only names it accepts are the three
numpy uses to describe an array (`ndarray`, `dtype`, `_reconstruct`), and it records them
without importing or calling anything. A file holding anything else is refused.

License: the reviews are from the Large Movie Review Dataset of Andrew L. Maas et al.,
"Learning Word Vectors for Sentiment Analysis" (ACL 2011),
https://ai.stanford.edu/~amaas/data/sentiment/.
"""

import io
import itertools
import json
import numbers
import struct
import zipfile

import numpy as np

from lamina.utils.file_utils import get_file
from lamina.validation import received

ORIGIN_FOLDER = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/"
ORIGIN = ORIGIN_FOLDER + "imdb.npz"
WORD_INDEX_ORIGIN = ORIGIN_FOLDER + "imdb_word_index.json"
SHA256 = "69664113be75683a8fe16e3ed0ab59fda8886cb3cd7ada244f7d9544e4676b9f"
WORD_INDEX_MD5 = "bfafd718b763782e994055a2d397834f"


def _check_int(value, arg, low=0, allow_none=False):
    if value is None and allow_none:
        return None
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < low:
        kind = "a positive integer" if low == 1 else "a non-negative integer"
        raise ValueError(f"`imdb.load_data` expects `{arg}` to be {kind}"
                         + (" or None. " if allow_none else ". ") + received(arg, value))
    return int(value)


def load_data(path="imdb.npz", num_words=None, skip_top=0, maxlen=None, seed=113,
              start_char=1, oov_char=2, index_from=3):
    """Loads the IMDB reviews, downloading them on first use.

    The steps, in Keras' order: each split is shuffled (`np.random.RandomState(seed)`, the
    training split first); every word index is shifted up by `index_from` and each review
    starts with `start_char`; with `maxlen`, reviews of `maxlen` or more indices (counting
    `start_char`) are dropped; then indices outside `[skip_top, num_words)` become
    `oov_char`, or are removed when `oov_char` is `None`.

    Args:
        path: Name of the cached file in `$KERAS_HOME/datasets`. Defaults to `"imdb.npz"`.
        num_words: Keep only indices below `num_words`: with the default `index_from=3`,
            the `num_words - 3` most frequent words. Defaults to `None`, meaning the
            largest index present, which, as in Keras, is itself out of range.
        skip_top: Indices below `skip_top` (the most frequent words, and the markers) are
            out of range. Defaults to `0`.
        maxlen: Keep only reviews shorter than `maxlen`. Defaults to `None` (keep all).
        seed: Seed of the shuffle. Defaults to `113`.
        start_char: Index marking the start of every review; `None` for no marker.
            Defaults to `1`.
        oov_char: Index replacing out-of-range words; `None` removes them instead.
            Defaults to `2`.
        index_from: Shift added to every word index; indices below it are free for
            padding (0), `start_char` and `oov_char`. Defaults to `3`.

    Returns:
        `(x_train, y_train), (x_test, y_test)`: `x_*` are 1-D object arrays of reviews,
        each a list of Python ints; `y_*` are integer arrays of labels, 0 or 1.

    Raises:
        ValueError: If an argument is invalid, if `maxlen` leaves a split empty, or if the
            file is not the Keras IMDB file (wrong hash, or content that is not plain
            arrays).
        OSError: If the file is not cached and cannot be downloaded; the message names
            the path where a copy fetched by hand must be put.

    Example:

    ```python
    (x_train, y_train), (x_test, y_test) = lamina.datasets.imdb.load_data(num_words=20000)
    x_train = lamina.utils.pad_sequences(x_train, maxlen=200)  # (25000, 200) int32
    ```
    """
    num_words = _check_int(num_words, "num_words", low=1, allow_none=True)
    skip_top = _check_int(skip_top, "skip_top")
    maxlen = _check_int(maxlen, "maxlen", low=1, allow_none=True)
    start_char = _check_int(start_char, "start_char", allow_none=True)
    oov_char = _check_int(oov_char, "oov_char", allow_none=True)
    index_from = _check_int(index_from, "index_from")
    path = get_file(fname=path, origin=ORIGIN, file_hash=SHA256)
    arrays = _load_npz(path)
    rng = np.random.RandomState(seed)
    splits = []
    for name in ("train", "test"):
        reviews, labels = arrays[f"x_{name}"], np.asarray(arrays[f"y_{name}"])
        if not isinstance(reviews, list) or labels.shape != (len(reviews),):
            raise _not_imdb(path, f"`x_{name}` is not a list of reviews matching `y_{name}`")
        order = np.arange(len(reviews))
        rng.shuffle(order)
        values, lengths = _flatten(path, [reviews[i] for i in order])
        values, lengths = _shift(values + index_from, lengths, start_char)
        labels = labels[order]
        if maxlen:
            keep = lengths < maxlen  # (reviews,)
            values, lengths, labels = values[np.repeat(keep, lengths)], lengths[keep], labels[keep]
        splits.append([values, lengths, labels])
    if maxlen and not (len(splits[0][1]) and len(splits[1][1])):
        raise ValueError(f"`imdb.load_data` kept no review of one split with maxlen={maxlen}: "
                         "only reviews shorter than `maxlen` are kept. Increase `maxlen`.")
    if num_words is None:
        num_words = int(max(values.max(initial=0) for values, _, _ in splits))
    results = []
    for values, lengths, labels in splits:
        in_range = (values >= skip_top) & (values < num_words)
        if oov_char is not None:
            values = np.where(in_range, values, oov_char)
        else:
            rows = np.repeat(np.arange(len(lengths)), lengths)
            lengths = np.bincount(rows[in_range], minlength=len(lengths))
            values = values[in_range]
        results.append((_unflatten(values, lengths), labels))
    return tuple(results)


def get_word_index(path="imdb_word_index.json"):
    """Returns the dictionary mapping each word to its index, downloading it on first use.

    The indices are those of `imdb.npz` before `load_data` shifts them by `index_from`.

    Args:
        path: Name of the cached file in `$KERAS_HOME/datasets`.
            Defaults to `"imdb_word_index.json"`.

    Returns:
        A `dict` from word (`str`) to index (`int`, 1 for the most frequent word).

    Example:

    ```python
    index_from = 3
    (x_train, _), _ = lamina.datasets.imdb.load_data(index_from=index_from)
    words = {i + index_from: w for w, i in lamina.datasets.imdb.get_word_index().items()}
    words.update({0: "[PAD]", 1: "[START]", 2: "[OOV]"})
    " ".join(words[i] for i in x_train[0])
    ```
    """
    path = get_file(fname=path, origin=WORD_INDEX_ORIGIN, file_hash=WORD_INDEX_MD5)
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def _shift(values, lengths, start_char):
    """Prepends `start_char` to every review of the flat `values`."""
    if start_char is None:
        return values, lengths
    lengths = lengths + 1
    starts = np.cumsum(lengths) - lengths  # (reviews,)
    shifted = np.full(len(values) + len(lengths), start_char, dtype=np.int64)
    words = np.ones(len(shifted), dtype=bool)
    words[starts] = False
    shifted[words] = values
    return shifted, lengths


def _flatten(path, reviews):
    """Reviews (lists of ints) as one flat int64 array and their lengths."""
    if not all(type(review) is list for review in reviews):
        raise _not_imdb(path, "a review is not a list")
    lengths = np.fromiter(map(len, reviews), dtype=np.int64, count=len(reviews))
    try:
        values = np.fromiter(itertools.chain.from_iterable(reviews), dtype=np.int64,
                             count=int(lengths.sum()))
    except (TypeError, ValueError, OverflowError) as error:
        raise _not_imdb(path, f"a review holds something other than word indices ({error})")
    return values, lengths


def _unflatten(values, lengths):
    """The flat `values` cut into a 1-D object array of Python lists of `lengths`."""
    flat = values.tolist()
    ends = np.cumsum(lengths).tolist()
    reviews = np.empty(len(ends), dtype=object)
    for row, (start, end) in enumerate(zip([0, *ends[:-1]], ends)):
        reviews[row] = flat[start:end]  # one by one: equal lengths must not make it 2-D
    return reviews


def _not_imdb(path, reason):
    return ValueError(f"{path} is not a Keras IMDB file: {reason}. Delete it so that a fresh "
                      "copy is downloaded, or pass another `path`.")


def _load_npz(path):
    """The arrays of an `.npz` file: numeric ones as numpy arrays, object ones as lists."""
    arrays = {}
    with zipfile.ZipFile(path) as archive:
        for member in archive.namelist():
            if member.endswith(".npy"):
                arrays[member[:-4]] = _read_npy(path, archive.read(member))
    missing = {"x_train", "y_train", "x_test", "y_test"} - arrays.keys()
    if missing:
        raise _not_imdb(path, f"it has no {', '.join(sorted(missing))}")
    return arrays


def _read_npy(path, data):
    stream = io.BytesIO(data)
    version = np.lib.format.read_magic(stream)
    read_header = (np.lib.format.read_array_header_1_0 if version == (1, 0)
                   else np.lib.format.read_array_header_2_0)
    shape, _, dtype = read_header(stream)
    if not dtype.hasobject:
        return np.lib.format.read_array(io.BytesIO(data), allow_pickle=False)
    try:
        items = _read_pickle(data, stream.tell())
    except (IndexError, KeyError, AttributeError, TypeError, ValueError, struct.error,
            UnicodeDecodeError) as error:
        raise _not_imdb(path, f"its object array cannot be read without unpickling ({error})")
    if len(shape) != 1 or len(items) != shape[0]:
        raise _not_imdb(path, f"an object array of shape {shape} holds {len(items)} items")
    return items


# Names a numpy object array's pickle stream may mention: recorded, never imported or called.
_NUMPY_NAMES = {("numpy", "ndarray"), ("numpy", "dtype"),
                ("numpy.core.multiarray", "_reconstruct"),
                ("numpy._core.multiarray", "_reconstruct")}


class _Call:
    """A `REDUCE` of an accepted name: the name, its arguments and (after `BUILD`) state."""

    __slots__ = ("args", "name", "state")

    def __init__(self, name, args):
        self.name, self.args, self.state = name, args, None


def _read_pickle(data, pos):
    """The items of the 1-D object array pickled in `data` from `pos`, as a list.

    Only the opcodes numpy's pickles of lists of numbers use are understood (protocols 2 to
    5); any other opcode, or any name outside `_NUMPY_NAMES`, raises a `ValueError`.
    """
    stack, marks, memo = [], [], {}
    push, unpack_from = stack.append, struct.unpack_from
    while True:
        op = data[pos]
        pos += 1
        # The word indices: by far the most frequent opcodes, so tested first.
        if op == 0x4B:  # BININT1
            push(data[pos])
            pos += 1
        elif op == 0x4D:  # BININT2
            push(data[pos] | data[pos + 1] << 8)
            pos += 2
        elif op == 0x4A:  # BININT
            push(unpack_from("<i", data, pos)[0])
            pos += 4
        elif op == 0x65:  # APPENDS: extend the list below the mark with what is above it
            mark = marks.pop()
            stack[mark - 1].extend(stack[mark:])
            del stack[mark:]
        elif op == 0x28:  # MARK
            marks.append(len(stack))
        elif op == 0x5D:  # EMPTY_LIST
            push([])
        elif op in (0x71, 0x72, 0x94):  # BINPUT, LONG_BINPUT, MEMOIZE
            key, pos = ((data[pos], pos + 1) if op == 0x71 else
                        (unpack_from("<I", data, pos)[0], pos + 4) if op == 0x72 else
                        (len(memo), pos))
            memo[key] = stack[-1]
        elif op == 0x2E:  # STOP
            return _array_items(stack.pop())
        else:
            pos = _rare_opcode(op, data, pos, stack, marks, memo)


def _rare_opcode(op, data, pos, stack, marks, memo):
    """Opcodes seen a few times per stream; returns the position after the opcode."""
    unpack_from = struct.unpack_from
    if op in (0x80, 0x95):  # PROTO, FRAME: framing only
        return pos + (1 if op == 0x80 else 8)
    if op in (0x68, 0x6A):  # BINGET, LONG_BINGET
        key, pos = ((data[pos], pos + 1) if op == 0x68 else
                    (unpack_from("<I", data, pos)[0], pos + 4))
        stack.append(memo[key])
    elif op in (0x4E, 0x88, 0x89):  # NONE, NEWTRUE, NEWFALSE
        stack.append({0x4E: None, 0x88: True, 0x89: False}[op])
    elif op == 0x61:  # APPEND
        item = stack.pop()
        stack[-1].append(item)
    elif op in (0x8C, 0x55, 0x43, 0x58, 0x54, 0x42):  # strings (0x55/0x54: Python 2's)
        wide = op in (0x58, 0x54, 0x42)
        size = unpack_from("<I", data, pos)[0] if wide else data[pos]
        pos += 4 if wide else 1
        raw = data[pos:pos + size]
        stack.append(raw.decode("utf-8") if op in (0x8C, 0x58) else raw)
        return pos + size
    elif op == 0x8A:  # LONG1
        size = data[pos]
        stack.append(int.from_bytes(data[pos + 1:pos + 1 + size], "little", signed=True))
        return pos + 1 + size
    elif op == 0x47:  # BINFLOAT
        stack.append(unpack_from(">d", data, pos)[0])
        return pos + 8
    elif op in (0x29, 0x85, 0x86, 0x87, 0x74):  # EMPTY_TUPLE, TUPLE1-3, TUPLE
        start = marks.pop() if op == 0x74 else len(stack) - {0x29: 0, 0x85: 1, 0x86: 2,
                                                               0x87: 3}[op]
        items = tuple(stack[start:])
        del stack[start:]
        stack.append(items)
    elif op in (0x63, 0x93):  # GLOBAL, STACK_GLOBAL
        if op == 0x63:
            module_end = data.index(b"\n", pos)
            name_end = data.index(b"\n", module_end + 1)
            module, name = data[pos:module_end].decode(), data[module_end + 1:name_end].decode()
            pos = name_end + 1
        else:
            name, module = stack.pop(), stack.pop()
        if (module, name) not in _NUMPY_NAMES:
            raise ValueError(f"the pickle names `{module}.{name}`, which is not part of a "
                             "numpy array")
        stack.append((module, name))
    elif op == 0x52:  # REDUCE: recorded, never called
        args, name = stack.pop(), stack.pop()
        if type(name) is not tuple or name not in _NUMPY_NAMES or type(args) is not tuple:
            raise ValueError("the pickle calls something other than a numpy array constructor")
        stack.append(_Call(name[1], args))
    elif op == 0x62:  # BUILD
        state = stack.pop()
        if type(stack[-1]) is not _Call or stack[-1].state is not None:
            raise ValueError("the pickle sets the state of something other than an array")
        stack[-1].state = state
    else:
        raise ValueError(f"the pickle uses opcode {bytes([op])!r}, which numpy does not use "
                         "for arrays of lists")
    return pos


def _text(value):
    return value.decode("latin1") if isinstance(value, bytes) else value


def _array_items(array):
    """The items of a reconstructed 1-D object array: `_reconstruct(...)` then its state."""
    if type(array) is not _Call or array.name != "_reconstruct" or type(array.state) is not tuple:
        raise ValueError("the pickle does not hold a numpy array")
    shape, dtype, _, items = array.state[-4:]  # (version,) shape, dtype, fortran order, data
    if (type(dtype) is not _Call or dtype.name != "dtype" or not dtype.args
            or _text(dtype.args[0]) not in ("O4", "O8")):
        raise ValueError("the pickled array is not an object array")
    if type(items) is not list or shape != (len(items),):
        raise ValueError("the pickled object array is not 1-D or misses items")
    return items
