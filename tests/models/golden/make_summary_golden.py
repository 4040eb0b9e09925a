"""Golden `summary()` texts from real Keras 3 (JAX backend).

Run: KERAS_BACKEND=jax /tmp/kenv/bin/python tests/models/golden/make_summary_golden.py
Writes summary_golden.json: case -> the text Keras passes to `print_fn`. Widths stay within
80 columns: Keras renders through a console of the terminal's width and cuts wider tables.
"""

import json
from pathlib import Path

import keras

texts = {}


def capture(key, model, **kwargs):
    lines = []
    model.summary(print_fn=lines.append, **kwargs)
    texts[key] = "\n".join(lines)


model = keras.models.Sequential()
model.add(keras.layers.Dense(1000, input_dim=784, activation="relu"))
model.add(keras.layers.Dense(10, activation="softmax"))
capture("tutorial_76", model, line_length=76)

a = keras.Input((4,), name="a")
b = keras.Input((4,), name="b")
shared = keras.layers.Dense(3, name="shared")
head = keras.layers.Dense(2, name="head")
head.trainable = False
model = keras.Model([a, b], [head(shared(a)), shared(b)], name="two_towers")
capture("functional_76", model, line_length=76)
capture("functional_trainable_76", model, line_length=76, show_trainable=True)

(Path(__file__).parent / "summary_golden.json").write_text(json.dumps(texts, indent=1))
print("keras", keras.__version__)
