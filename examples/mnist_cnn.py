"""The classic Keras MNIST convnet, on lamina.

Conv2D(32) -> MaxPooling2D -> Conv2D(64) -> MaxPooling2D -> Flatten -> Dropout -> Dense softmax,
trained with Adam on channels-last images `(n, 28, 28, 1)`, as Keras' "Simple MNIST convnet"
example does. Run with `python examples/mnist_cnn.py`; like `mnist_mlp.py` it reads the MNIST copy
that ships with the repository, so no network is needed. Expect about 99% test accuracy after
the default 12 epochs (`LAMINA_EXAMPLE_EPOCHS` to change).
"""

import os
import sys

import numpy as np
from mnist_mlp import prime_mnist_cache

import lamina as keras
from lamina import layers

EPOCHS = int(os.environ.get("LAMINA_EXAMPLE_EPOCHS", 12))


def main():
    prime_mnist_cache()
    keras.utils.set_random_seed(1)
    (x_train, y_train), (x_test, y_test) = keras.datasets.mnist.load_data()
    x_train = np.expand_dims(x_train.astype("float32") / 255, -1)  # (60000, 28, 28, 1)
    x_test = np.expand_dims(x_test.astype("float32") / 255, -1)
    y_train, y_test = keras.utils.to_categorical(y_train, 10), keras.utils.to_categorical(y_test, 10)

    model = keras.Sequential([
        keras.Input(shape=(28, 28, 1)),
        layers.Conv2D(32, kernel_size=(3, 3), activation="relu"),
        layers.MaxPooling2D(pool_size=(2, 2)),
        layers.Conv2D(64, kernel_size=(3, 3), activation="relu"),
        layers.MaxPooling2D(pool_size=(2, 2)),
        layers.Flatten(),
        layers.Dropout(0.5),
        layers.Dense(10, activation="softmax"),
    ])
    model.summary()
    model.compile(loss="categorical_crossentropy", optimizer="adam", metrics=["accuracy"])
    model.fit(x_train, y_train, batch_size=128, epochs=EPOCHS, validation_split=0.1)
    loss, acc = model.evaluate(x_test, y_test, verbose=0)
    print(f"Test loss: {loss:.4f}  test accuracy: {acc:.4f}")
    return acc


if __name__ == "__main__":
    sys.exit(0 if main() >= 0.985 or EPOCHS < 12 else 1)
