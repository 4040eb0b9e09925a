"""The classic first Keras tutorial, on lamina: a 784-1000-10 MLP on MNIST.

Run with `make demo` (or `python examples/mnist_mlp.py`). The MNIST file ships with the repository
(`examples/data/mnist.npz`) and is copied into the Keras dataset cache
(`$KERAS_HOME/datasets`, default `~/.keras/datasets`) when no copy is there, so no network is
needed. Expect about 98% test accuracy.
"""

import os
import shutil
import sys
from pathlib import Path

import lamina as keras
from lamina.layers import Dense

EPOCHS = int(os.environ.get("LAMINA_DEMO_EPOCHS", 10))


def prime_mnist_cache():
    """Put the repository's MNIST copy where `mnist.load_data()` looks, unless one is there."""
    cache = Path(os.environ.get("KERAS_HOME", Path.home() / ".keras")) / "datasets" / "mnist.npz"
    if not cache.exists():
        cache.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(Path(__file__).parent / "data" / "mnist.npz", cache)
        print(f"Copied the repository's MNIST into {cache}")


def main():
    prime_mnist_cache()
    keras.utils.set_random_seed(1)
    (x_train, y_train), (x_test, y_test) = keras.datasets.mnist.load_data()
    x_train = x_train.reshape(-1, 784).astype("float32") / 255
    x_test = x_test.reshape(-1, 784).astype("float32") / 255
    y_train, y_test = keras.utils.to_categorical(y_train), keras.utils.to_categorical(y_test)

    model = keras.models.Sequential()
    model.add(Dense(1000, input_dim=784, activation="relu"))
    model.add(Dense(10, activation="softmax"))
    model.summary()
    model.compile(loss="categorical_crossentropy", optimizer="adam", metrics=["acc"])
    history = model.fit(x_train, y_train, validation_data=(x_test, y_test), epochs=EPOCHS,
                        batch_size=64, verbose=1)
    loss, acc = model.evaluate(x_test, y_test, verbose=0)
    print(f"Test loss: {loss:.4f}  test accuracy: {acc:.4f}")
    print(f"val_acc per epoch: {[round(v, 4) for v in history.history['val_acc']]}")
    preds = model.predict(x_test, verbose=0)
    print(f"predict: {preds.shape}, rows sum to {preds.sum(axis=1).mean():.4f}")
    return acc


if __name__ == "__main__":
    sys.exit(0 if main() >= 0.975 or EPOCHS < 10 else 1)
