"""MNIST: 70,000 grayscale 28x28 images of handwritten digits, 0 to 9.

60,000 images are for training and 10,000 for testing. The data comes from the URL Keras
uses and is cached where Keras caches it, `$KERAS_HOME/datasets/mnist.npz` (by default
`~/.keras/datasets/mnist.npz`), so a copy downloaded by Keras is reused and a copy put
there by hand (on a machine without network access) is found.

Two files are accepted: the one Keras publishes (sha256 `731c5ac6...`) and a byte-different
rebuild holding the same arrays, written by another tool from the four original MNIST files
(sha256 `8e083283...`). Both are read with `allow_pickle=False`.

License: MNIST is by Yann LeCun, Corinna Cortes and Christopher J.C. Burges, derived from
NIST data, and is available under the Creative Commons Attribution-Share Alike 3.0 license
(https://creativecommons.org/licenses/by-sa/3.0/).
"""

import numpy as np

from lamina.utils.file_utils import get_file

ORIGIN = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/mnist.npz"
# Keras' pinned hash, then the rebuild with the same arrays in other bytes.
SHA256 = (
    "731c5ac602752760c8e48fbffcf8c3b850d9dc2a2aedcf2cc48468fc17b673d1",
    "8e083283c91432a55ec214b424b750f347064b1c21bf79cd5a9a425e1c6c2048",
)


def load_data(path="mnist.npz"):
    """Loads MNIST, downloading it on first use.

    Args:
        path: Name of the cached file in `$KERAS_HOME/datasets`. Defaults to `"mnist.npz"`.

    Returns:
        `(x_train, y_train), (x_test, y_test)`, all `uint8` numpy arrays:
        `x_train` `(60000, 28, 28)` and `x_test` `(10000, 28, 28)` hold pixel values from 0
        to 255; `y_train` `(60000,)` and `y_test` `(10000,)` hold the digits, 0 to 9.

    Raises:
        ValueError: If the cached file is neither of the two accepted files.
        OSError: If the file is not cached and cannot be downloaded; the message names the
            path where a copy fetched by hand must be put.

    Example:

    ```python
    (x_train, y_train), (x_test, y_test) = lamina.datasets.mnist.load_data()
    x_train.shape  # (60000, 28, 28)
    ```
    """
    path = get_file(fname=path, origin=ORIGIN, file_hash=SHA256)
    with np.load(path, allow_pickle=False) as data:
        return (data["x_train"], data["y_train"]), (data["x_test"], data["y_test"])
