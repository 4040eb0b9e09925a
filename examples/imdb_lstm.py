"""The classic Keras IMDB sentiment LSTM, on lamina.

Embedding(20000, 128) -> LSTM(128) -> Dense(1, sigmoid) reads the first reviews' last 80 words
and says whether the review is positive, trained with Adam and binary cross-entropy, as
Keras' `imdb_lstm.py` example does. Run with `python examples/imdb_lstm.py`: it downloads the
IMDB reviews on first use (into `$KERAS_HOME/datasets`, as Keras does). Expect about 80-83%
test accuracy; `LAMINA_EXAMPLE_EPOCHS` sets the number of epochs (default 15, as Keras').

One change from Keras' script: it used `LSTM(128, dropout=0.2, recurrent_dropout=0.2)`.
Recurrent dropout needs a new mask at every time step, so the layer would run as a Python
loop over the 80 steps; without it, lamina runs the whole layer as one fused torch kernel
(cuDNN on a GPU), several times faster, for about the same accuracy.
"""

import os
import sys

import lamina as keras
from lamina import layers

MAX_FEATURES = 20_000  # vocabulary: the most frequent words
MAXLEN = 80  # words kept per review (its last ones)
BATCH_SIZE = 32
EPOCHS = int(os.environ.get("LAMINA_EXAMPLE_EPOCHS", "15"))


def load_imdb(max_features=MAX_FEATURES, maxlen=MAXLEN):
    """IMDB reviews as `(x_train, y_train), (x_test, y_test)`, padded to `maxlen` tokens."""
    (x_train, y_train), (x_test, y_test) = keras.datasets.imdb.load_data(
        num_words=max_features)
    x_train = keras.utils.pad_sequences(x_train, maxlen=maxlen)  # (25000, maxlen) int32
    x_test = keras.utils.pad_sequences(x_test, maxlen=maxlen)
    return (x_train, y_train), (x_test, y_test)


def build_model(max_features=MAX_FEATURES):
    """The compiled classifier: token ids in, the probability that a review is positive out."""
    model = keras.Sequential([
        keras.Input(shape=(None,), dtype="int32"),
        layers.Embedding(max_features, 128),
        layers.LSTM(128, dropout=0.2),
        layers.Dense(1, activation="sigmoid"),
    ])
    model.compile(loss="binary_crossentropy", optimizer="adam", metrics=["accuracy"])
    return model


def train(model, x_train, y_train, x_test, y_test, batch_size=BATCH_SIZE, epochs=EPOCHS,
          verbose="auto"):
    """Fits `model`, validating on the test reviews; returns the test `(loss, accuracy)`."""
    model.fit(x_train, y_train, batch_size=batch_size, epochs=epochs,
              validation_data=(x_test, y_test), verbose=verbose)
    return model.evaluate(x_test, y_test, batch_size=batch_size, verbose=0)


def main():
    keras.utils.set_random_seed(1)
    (x_train, y_train), (x_test, y_test) = load_imdb()
    print(f"{len(x_train)} train sequences, {len(x_test)} test sequences, "
          f"x_train shape {x_train.shape}")
    model = build_model()
    model.summary()
    loss, acc = train(model, x_train, y_train, x_test, y_test)
    print(f"Test loss: {loss:.4f}  test accuracy: {acc:.4f}")
    return acc


if __name__ == "__main__":
    sys.exit(0 if main() >= 0.78 or EPOCHS < 2 else 1)
