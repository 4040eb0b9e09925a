"""`pad_sequences`: turn a list of variable-length sequences into one rectangular array.

Keras 3's semantics, vectorised: the sequences are truncated with Python slicing (cheap on
lists), converted to one flat array in a single numpy call, and scattered into the padded
output with one fancy-indexing assignment, instead of one numpy call per sequence.
"""

import itertools
import numbers

import numpy as np

from lamina.validation import received, validate_choice

_SIDES = ("pre", "post")


def _lengths_and_sample_shape(sequences):
    """Each sequence's length, and the shape of one step, from the first non-empty one."""
    lengths = []
    sample_shape = None
    for sequence in sequences:
        try:
            length = len(sequence)
        except TypeError as error:
            raise ValueError("`pad_sequences` expects `sequences` to be a list of iterables. "
                             f"Found a non-iterable element: {sequence!r} (of type "
                             f"{type(sequence).__name__}).") from error
        lengths.append(length)
        if sample_shape is None and length:
            sample_shape = np.asarray(sequence).shape[1:]
    return np.asarray(lengths, dtype=np.int64), sample_shape or ()


def _flatten(pieces, dtype, sample_shape):
    """All truncated sequences as one `(total, *sample_shape)` array of `dtype`."""
    if sample_shape == ():
        # One conversion for everything; anything irregular takes the checked path below.
        try:
            flat = np.asarray(list(itertools.chain.from_iterable(pieces)), dtype=dtype)
        except (ValueError, TypeError):
            flat = None
        if flat is not None and flat.ndim == 1:
            return flat
    arrays = []
    for index, piece in enumerate(pieces):
        if not len(piece):
            continue
        array = np.asarray(piece, dtype=dtype)
        if array.shape[1:] != sample_shape:
            raise ValueError(f"`pad_sequences` expects every step of every sequence to have "
                             f"the shape {sample_shape} (taken from the first non-empty "
                             f"sequence). The sequence at position {index} has steps of "
                             f"shape {array.shape[1:]}.")
        arrays.append(array)
    if not arrays:
        return np.empty((0, *sample_shape), dtype=dtype)
    return np.concatenate(arrays)


def pad_sequences(sequences, maxlen=None, dtype="int32", padding="pre", truncating="pre",
                  value=0.0):
    """Pads (and truncates) sequences to a common length.

    Turns a list of `num_samples` sequences (lists of integers, say) into an array of
    shape `(num_samples, maxlen)`. Shorter sequences are filled with `value`, on the side
    `padding` names; longer ones lose steps on the side `truncating` names. Sequences whose
    steps are themselves arrays give `(num_samples, maxlen, *step_shape)`.

    Args:
        sequences: A list (or any sized iterable) of sequences.
        maxlen: Length of the output sequences. Defaults to `None`, meaning the length of
            the longest sequence.
        dtype: Type of the output. Use `object` for sequences of variable-length strings.
            Defaults to `"int32"`.
        padding: `"pre"` or `"post"`: pad before or after each sequence.
            Defaults to `"pre"`.
        truncating: `"pre"` or `"post"`: drop steps from the start or from the end of a
            sequence longer than `maxlen`. Defaults to `"pre"`.
        value: The padding value, a number or (with a string or object `dtype`) a string.
            Defaults to `0.0`.

    Returns:
        A numpy array of shape `(len(sequences), maxlen, *step_shape)`.

    Raises:
        ValueError: If `sequences` or one of its elements has no length, if steps have
            different shapes, if `padding`, `truncating` or `maxlen` is invalid, or if
            `value` is a string while `dtype` is numeric.

    Example:

    >>> sequences = [[1], [2, 3], [4, 5, 6]]
    >>> pad_sequences(sequences)
    array([[0, 0, 1],
           [0, 2, 3],
           [4, 5, 6]], dtype=int32)
    >>> pad_sequences(sequences, padding="post", value=-1)
    array([[ 1, -1, -1],
           [ 2,  3, -1],
           [ 4,  5,  6]], dtype=int32)
    >>> pad_sequences(sequences, maxlen=2, truncating="post")
    array([[0, 1],
           [2, 3],
           [4, 5]], dtype=int32)
    """
    if not hasattr(sequences, "__len__"):
        raise ValueError("`pad_sequences` expects `sequences` to be a list of sequences. "
                         + received("sequences", sequences))
    validate_choice(padding, "padding", _SIDES, "pad_sequences")
    validate_choice(truncating, "truncating", _SIDES, "pad_sequences")
    if maxlen is not None and (isinstance(maxlen, bool) or not isinstance(
            maxlen, numbers.Integral) or maxlen < 0):
        raise ValueError("`pad_sequences` expects `maxlen` to be a non-negative integer or "
                         "None. " + received("maxlen", maxlen))
    is_text = dtype is object or np.dtype(dtype).kind in "OSU"
    if isinstance(value, str) and not is_text:
        raise ValueError(f"`pad_sequences` cannot pad with the string {value!r} in an array "
                         f"of dtype {dtype!r}. Pass `dtype=object` for variable-length "
                         "strings.")
    lengths, sample_shape = _lengths_and_sample_shape(sequences)
    if maxlen is None:
        maxlen = int(lengths.max()) if len(lengths) else 0
    maxlen = int(maxlen)
    output = np.full((len(lengths), maxlen, *sample_shape), value, dtype=dtype)
    if maxlen == 0:
        return output
    if truncating == "pre":
        pieces = [sequence[-maxlen:] for sequence in sequences]
    else:
        pieces = [sequence[:maxlen] for sequence in sequences]
    flat = _flatten(pieces, dtype, sample_shape)  # (total, *sample_shape)
    kept = np.minimum(lengths, maxlen)  # (num_samples,)
    rows = np.repeat(np.arange(len(kept)), kept)  # (total,)
    starts = np.cumsum(kept) - kept
    columns = np.arange(len(rows)) - np.repeat(starts, kept)  # position within its sequence
    if padding == "pre":
        columns += np.repeat(maxlen - kept, kept)
    output[rows, columns] = flat
    return output
