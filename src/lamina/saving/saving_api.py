"""The public entry points: `save_model`/`load_model` (`.keras`) and
`save_weights`/`load_weights` (`.weights.h5`, or the weights inside a `.keras` file)."""

import io
import os
import zipfile

import h5py

from lamina.saving import keras_zip, weights_h5
from lamina.saving.atomic import atomic_write
from lamina.saving.keras_zip import load_model, save_model

__all__ = ["load_model", "load_weights", "save_model", "save_weights"]


def save_weights(model, filepath, overwrite=True):
    """Write `model`'s weights to a `.weights.h5` file in Keras 3's layout (atomically).

    Args:
        model: A built lamina `Model` (or layer).
        filepath: Path ending in `.weights.h5`.
        overwrite: Whether to replace an existing file. Defaults to `True`.

    Raises:
        ValueError: If `filepath` does not end in `.weights.h5`.
        FileExistsError: If the file exists and `overwrite=False`.
    """
    filepath = os.fspath(filepath)
    if not filepath.endswith(".weights.h5"):
        raise ValueError("The filename must end in `.weights.h5` (Keras 3's weights format). "
                         f"Received: filepath={filepath!r}.")
    keras_zip._check_overwrite(filepath, overwrite)
    buffer = io.BytesIO()
    with h5py.File(buffer, "w") as h5file:
        weights_h5.save_to_h5(model, h5file, include_optimizer=False)
    with atomic_write(filepath) as file:
        file.write(buffer.getvalue())


def load_weights(model, filepath, skip_mismatch=False):
    """Read weights saved by lamina or Keras 3 into the built `model`.

    Args:
        model: The model, built with the same architecture as the saved one.
        filepath: A `.weights.h5` file, or a `.keras` file (its weights are used).
        skip_mismatch: Warn and skip layers whose saved variables do not match instead of
            raising. Defaults to `False`.

    Raises:
        ValueError: If the file type is not one of those, or (unless `skip_mismatch`) the
            saved weights do not match the model's.
    """
    filepath = os.fspath(filepath)
    if filepath.endswith(".keras"):
        with zipfile.ZipFile(filepath, "r") as archive:
            members = keras_zip._checked_members(archive)
            data = keras_zip._read_member(archive, keras_zip.WEIGHTS, members)
        source = io.BytesIO(data)
    elif filepath.endswith(".weights.h5"):
        source = filepath
    else:
        raise ValueError("`load_weights` reads `.weights.h5` or `.keras` files. Received: "
                         f"filepath={filepath!r}.")
    with h5py.File(source, "r") as h5file:
        weights_h5.load_from_h5(model, h5file, skip_mismatch=skip_mismatch,
                                load_optimizer=False)
