"""The public entry points, dispatching on the file name as Keras 3 does.

- `save_model` / `load_model`: `.keras` (Keras 3's zip, `keras_zip.py`) or legacy `.h5` /
  `.hdf5` (`legacy_h5.py`).
- `save_weights` / `load_weights`: `.weights.h5` (Keras 3's layout), `.weights.json` with
  its shards (`max_shard_size`), the weights inside a `.keras` file, or legacy `.h5` /
  `.hdf5` weights (`by_name` loading too).
"""

import io
import os
import warnings
import zipfile

import h5py

from lamina.saving import keras_zip, legacy_h5, weights_h5
from lamina.saving.atomic import atomic_write

__all__ = ["load_model", "load_weights", "save_model", "save_weights"]

_LEGACY = (".h5", ".hdf5")


def _is_legacy(filepath):
    return filepath.endswith(_LEGACY) and not filepath.endswith(".weights.h5")


def save_model(model, filepath, overwrite=True, zipped=None, **kwargs):
    """Save `model`: architecture, weights, compile arguments and optimizer state.

    The file name picks the format: `.keras` (Keras 3's zip, recommended) or `.h5` /
    `.hdf5` (the legacy HDF5 layout, as Keras 3's `model.save("x.h5")` writes it).

    Args:
        model: A lamina `Model`.
        filepath: Path ending in `.keras`, `.h5` or `.hdf5`, or a writable binary file
            object (then `.keras`).
        overwrite: Whether to replace an existing file. Defaults to `True`.
        zipped: For `.keras`: must be `True` (lamina writes the zip only). Defaults to
            `None` (`True`).
        **kwargs: `include_optimizer` (default `True`).

    Raises:
        ValueError: If the file name has another extension.
        FileExistsError: If the file exists and `overwrite=False`.
        TypeError: For unknown keyword arguments.

    Example:
    >>> import os, tempfile
    >>> import lamina as keras
    >>> model = keras.Sequential([keras.Input(shape=(3,)), keras.layers.Dense(2)])
    >>> path = os.path.join(tempfile.mkdtemp(), "model.h5")
    >>> keras.saving.save_model(model, path)
    >>> keras.saving.load_model(path).layers[0].units
    2
    """
    if not hasattr(filepath, "write") and _is_legacy(os.fspath(filepath)):
        include_optimizer = kwargs.pop("include_optimizer", True)
        if kwargs:
            raise TypeError(f"`save_model` got unexpected keyword arguments: {sorted(kwargs)}.")
        legacy_h5.save_model(model, filepath, overwrite=overwrite,
                             include_optimizer=include_optimizer)
        return
    keras_zip.save_model(model, filepath, overwrite=overwrite,
                         zipped=True if zipped is None else zipped, **kwargs)


def load_model(filepath, custom_objects=None, compile=True, safe_mode=True):
    """Load a model saved by lamina or Keras: `.keras` (Keras 3) or legacy `.h5` / `.hdf5`
    (Keras 2 or 3). See `keras_zip.load_model` and `legacy_h5.load_model` for the
    arguments; `safe_mode` applies to both formats."""
    if not hasattr(filepath, "read"):
        path = os.fspath(filepath)
        if _is_legacy(path):
            return legacy_h5.load_model(path, custom_objects=custom_objects, compile=compile,
                                        safe_mode=safe_mode)
        if path.endswith(".weights.json"):
            raise ValueError(f"{path!r} indexes sharded weights only. Build the model and "
                             "call `model.load_weights(filepath)` instead of `load_model`.")
        if not path.endswith((".keras", ".weights.h5")):
            raise ValueError("`load_model` reads `.keras` files (Keras 3's format) and legacy "
                             f"`.h5` / `.hdf5` files. Received: filepath={path!r}.")
    return keras_zip.load_model(filepath, custom_objects=custom_objects, compile=compile,
                                safe_mode=safe_mode)


def save_weights(model, filepath, overwrite=True, max_shard_size=None):
    """Write `model`'s weights (atomically).

    Args:
        model: A built lamina `Model` (or layer).
        filepath: Path ending in `.weights.h5` (Keras 3's layout); with `max_shard_size`,
            in `.weights.json` (an index, with shards `NAME_00000.weights.h5`, ... beside
            it); or in `.h5` / `.hdf5` for Keras 2's legacy weights layout.
        overwrite: Whether to replace an existing file. Defaults to `True`.
        max_shard_size: Largest size of one shard, in GB (a float). Defaults to `None`: one
            file.

    Raises:
        ValueError: If the file name does not fit, or `max_shard_size` is not positive.
        FileExistsError: If the file (the index, when sharding) exists and
            `overwrite=False`.
    """
    filepath = os.fspath(filepath)
    if max_shard_size is not None:
        _save_sharded(model, filepath, overwrite, max_shard_size)
        return
    if _is_legacy(filepath):
        legacy_h5.save_weights(model, filepath, overwrite=overwrite)
        return
    if not filepath.endswith(".weights.h5"):
        raise ValueError("The filename must end in `.weights.h5` (Keras 3's weights format), "
                         "or `.weights.json` with `max_shard_size`. Received: "
                         f"filepath={filepath!r}.")
    keras_zip._check_overwrite(filepath, overwrite)
    buffer = io.BytesIO()
    with h5py.File(buffer, "w") as h5file:
        weights_h5.save_to_h5(model, h5file, include_optimizer=False)
    with atomic_write(filepath) as file:
        file.write(buffer.getvalue())


def _save_sharded(model, filepath, overwrite, max_shard_size):
    if isinstance(max_shard_size, bool) or not isinstance(max_shard_size, (int, float)):
        raise TypeError("`save_weights` expects `max_shard_size` to be a number of GB. "
                        f"Received: max_shard_size={max_shard_size!r} (of type "
                        f"{type(max_shard_size).__name__}).")
    if not max_shard_size > 0:
        raise ValueError("`save_weights` expects `max_shard_size` to be a positive number of "
                         f"GB. Received: max_shard_size={max_shard_size!r}.")
    if filepath.endswith("weights.h5"):  # Keras renames it too
        renamed = filepath[:-len("h5")] + "json"
        warnings.warn(f"Sharded weights are indexed by a `.json` file: saving {renamed!r} "
                      f"instead of {filepath!r}.", stacklevel=3)
        filepath = renamed
    if not filepath.endswith("weights.json"):
        raise ValueError("The filename must end in `.weights.json` when `max_shard_size` is "
                         f"given. Received: filepath={filepath!r}.")
    keras_zip._check_overwrite(filepath, overwrite)
    weights_h5.save_sharded(model, filepath, max_shard_size)


def load_weights(model, filepath, skip_mismatch=False, by_name=False):
    """Read weights saved by lamina or Keras into the built `model`.

    Args:
        model: The model, built with the same architecture as the saved one.
        filepath: A `.weights.h5` file, a `.weights.json` index of shards, a `.keras` file
            (its weights are used), or a legacy `.h5` / `.hdf5` file (weights or whole
            model).
        skip_mismatch: Warn and skip layers whose saved variables do not match instead of
            raising. Defaults to `False`.
        by_name: Legacy `.h5` files only: match layers by name instead of by position.
            Defaults to `False`.

    Raises:
        ValueError: If the file type is not one of those, `by_name` is asked of a Keras 3
            file, or (unless `skip_mismatch`) the saved weights do not match the model's.
    """
    filepath = os.fspath(filepath)
    if _is_legacy(filepath):
        legacy_h5.load_weights(model, filepath, skip_mismatch=skip_mismatch, by_name=by_name)
        return
    if by_name:
        raise ValueError("`by_name` only supports loading legacy '.h5' or '.hdf5' files: "
                         "Keras 3 files address weights by their place in the model. Received: "
                         f"filepath={filepath!r}.")
    if filepath.endswith(".weights.json"):
        with weights_h5.ShardedReader(filepath) as reader:
            weights_h5.load_from_h5(model, reader, skip_mismatch=skip_mismatch,
                                    load_optimizer=False)
        return
    if filepath.endswith(".keras"):
        with zipfile.ZipFile(filepath, "r") as archive:
            members = keras_zip._checked_members(archive)
            data = keras_zip._read_member(archive, keras_zip.WEIGHTS, members)
        source = io.BytesIO(data)
    elif filepath.endswith(".weights.h5"):
        source = filepath
    else:
        raise ValueError("`load_weights` reads `.weights.h5`, `.weights.json` (sharded), "
                         "`.keras` or legacy `.h5` / `.hdf5` files. Received: "
                         f"filepath={filepath!r}.")
    with h5py.File(source, "r") as h5file:
        weights_h5.load_from_h5(model, h5file, skip_mismatch=skip_mismatch,
                                load_optimizer=False)
