"""`lamina demo`: the classic first Keras tutorial, a 784-1000-10 MLP trained on MNIST.

The same steps as `examples/mnist_mlp.py` (seed 1, pixels / 255, one-hot labels, Adam,
batch 64, accuracy reported as `acc`); the package cannot import `examples/`, so the steps
live here too. MNIST comes from the Keras cache (`$KERAS_HOME/datasets/mnist.npz`); in a
checkout of the repository, its copy in `examples/data/` is put there first, so no network
is needed.
"""

import os
import shutil
from pathlib import Path

# Where a checkout of the repository keeps its MNIST copy (src/lamina/demo.py -> repo root).
REPOSITORY_MNIST = Path(__file__).resolve().parents[2] / "examples" / "data" / "mnist.npz"


def prime_mnist_cache(source=REPOSITORY_MNIST):
    """Copy `source` to where `mnist.load_data()` looks, unless a copy is there already.

    Returns:
        The cache path when a copy was made, else `None` (already cached, or no `source`).
    """
    cache = Path(os.environ.get("KERAS_HOME", Path.home() / ".keras")) / "datasets" / "mnist.npz"
    if cache.exists() or not Path(source).is_file():
        return None
    cache.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(source, cache)
    return cache


def train_mnist_mlp(epochs=10, batch_size=64, verbose=1, print_fn=print):
    """Train the tutorial's MLP on MNIST and evaluate it on the test split.

    Args:
        epochs: Training epochs. Defaults to 10 (about 98% test accuracy).
        batch_size: Samples per step. Defaults to 64.
        verbose: Progress output of `fit` (0, 1 or 2). Defaults to 1.
        print_fn: Where the summary and results are written. Defaults to `print`.

    Returns:
        `(model, test_accuracy)`.
    """
    import lamina as keras
    from lamina.layers import Dense

    copied = prime_mnist_cache()
    if copied is not None:
        print_fn(f"Copied the repository's MNIST into {copied}")
    keras.utils.set_random_seed(1)
    (x_train, y_train), (x_test, y_test) = keras.datasets.mnist.load_data()
    x_train = x_train.reshape(-1, 784).astype("float32") / 255  # (60000, 784)
    x_test = x_test.reshape(-1, 784).astype("float32") / 255  # (10000, 784)
    y_train, y_test = keras.utils.to_categorical(y_train), keras.utils.to_categorical(y_test)

    # The example's network; `keras.Input` is Keras 3's spelling of its `input_dim=784`.
    model = keras.models.Sequential([keras.Input(shape=(784,)),
                                     Dense(1000, activation="relu"),
                                     Dense(10, activation="softmax")])
    if print_fn is print:
        model.summary()  # rich's own printing, as in the example
    else:
        model.summary(print_fn=print_fn)
    model.compile(loss="categorical_crossentropy", optimizer="adam", metrics=["acc"])
    history = model.fit(x_train, y_train, validation_data=(x_test, y_test), epochs=epochs,
                        batch_size=batch_size, verbose=verbose)
    loss, acc = model.evaluate(x_test, y_test, verbose=0)
    print_fn(f"Test loss: {loss:.4f}  test accuracy: {acc:.4f}")
    if epochs:
        print_fn(f"val_acc per epoch: {[round(v, 4) for v in history.history['val_acc']]}")
    return model, acc
