"""Writes `sequence_golden.json`: Keras 3's `pad_sequences` on fixed inputs.

Run with real Keras (never under pytest):
`KERAS_BACKEND=jax /tmp/kenv/bin/python tests/utils/golden/make_sequence_golden.py`
"""

import json
import pathlib

import numpy as np
from keras.utils import pad_sequences

rng = np.random.default_rng(7)
SEQUENCES = [rng.integers(1, 50, int(n)).tolist() for n in rng.integers(0, 9, 12)]
SEQUENCES[3] = []  # an empty sequence is all padding
STEPS = [rng.standard_normal((int(n), 2)).round(3).tolist() for n in (3, 1, 5)]
WORDS = [["the", "cat"], ["a"], ["dogs", "bark", "loudly", "at", "night"]]

cases = []
for maxlen in (None, 0, 4, 10):
    for padding in ("pre", "post"):
        for truncating in ("pre", "post"):
            for dtype, value in (("int32", 0.0), ("float32", -1.5), ("int64", 7)):
                kwargs = {"maxlen": maxlen, "dtype": dtype, "padding": padding,
                          "truncating": truncating, "value": value}
                if maxlen == 0:
                    continue  # Keras fails on maxlen=0 with non-empty sequences
                out = pad_sequences(SEQUENCES, **kwargs)
                cases.append({"input": "SEQUENCES", "kwargs": kwargs, "dtype": str(out.dtype),
                              "output": out.tolist()})
for maxlen, padding, truncating in ((None, "pre", "pre"), (2, "post", "pre"), (4, "pre", "post")):
    kwargs = {"maxlen": maxlen, "dtype": "float32", "padding": padding,
              "truncating": truncating, "value": 9.0}
    out = pad_sequences(STEPS, **kwargs)
    cases.append({"input": "STEPS", "kwargs": kwargs, "dtype": str(out.dtype),
                  "output": out.tolist()})
for maxlen, padding in ((None, "post"), (3, "pre")):
    out = pad_sequences(WORDS, maxlen=maxlen, dtype=object, padding=padding, value="<pad>")
    cases.append({"input": "WORDS", "kwargs": {"maxlen": maxlen, "dtype": "object",
                                               "padding": padding, "value": "<pad>"},
                  "dtype": "object", "output": out.tolist()})

path = pathlib.Path(__file__).with_name("sequence_golden.json")
path.write_text(json.dumps({"SEQUENCES": SEQUENCES, "STEPS": STEPS, "WORDS": WORDS,
                            "cases": cases}) + "\n")
print(f"wrote {len(cases)} cases to {path}")
