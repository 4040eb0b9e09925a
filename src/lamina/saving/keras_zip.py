"""The `.keras` file: Keras 3's zip of `metadata.json`, `config.json` and `model.weights.h5`.

`save_model` writes what Keras 3 writes (the model's config in Keras' dict form with its
`compile_config`, weights and optimizer state in Keras' HDF5 layout), atomically. `load_model`
reads files from lamina or Keras 3 without extracting anything to disk: member names are
checked, sizes bounded, the HDF5 weights opened from memory, and the config deserialised
in safe mode unless the caller opts out.
"""

import datetime
import io
import json
import os
import zipfile

import h5py

from lamina.saving import serialization_lib, weights_h5
from lamina.saving.atomic import atomic_write

KERAS_VERSION = "3.15.1"  # the Keras file format version lamina writes
CONFIG = "config.json"
METADATA = "metadata.json"
WEIGHTS = "model.weights.h5"
_MAX_MEMBER_BYTES = 1 << 34  # 16 GiB: a member declaring more is refused
_MAX_EXPANSION = 1000  # declared / stored bytes above this (and 4 GiB) is a zip bomb


def save_model(model, filepath, overwrite=True, zipped=True, **kwargs):
    """Save `model` (architecture, weights, compile arguments, optimizer state) as `.keras`.

    Args:
        model: A lamina `Model`.
        filepath: Path ending in `.keras`, or a writable binary file object.
        overwrite: Whether to replace an existing file. Defaults to `True`.
        zipped: Must be `True` (lamina writes the zip only). Defaults to `True`.

    Raises:
        ValueError: If `filepath` does not end in `.keras`, or `zipped=False`.
        FileExistsError: If the file exists and `overwrite=False`.
    """
    include_optimizer = kwargs.pop("include_optimizer", True)
    if kwargs:
        raise TypeError(f"`save_model` got unexpected keyword arguments: {sorted(kwargs)}.")
    if not zipped:
        raise ValueError("`save_model` writes the zipped `.keras` format only. "
                         "Received: zipped=False.")
    if hasattr(filepath, "write"):
        _write_zip(model, filepath, include_optimizer)
        return
    filepath = os.fspath(filepath)
    if not filepath.endswith(".keras"):
        raise ValueError(
            "The filename must end in `.keras` (Keras 3's format), e.g. "
            f"`model.save('model.keras')`. Received: filepath={filepath!r}. To save only the "
            "weights, use `model.save_weights('model.weights.h5')`.")
    _check_overwrite(filepath, overwrite)
    with atomic_write(filepath) as file:
        _write_zip(model, file, include_optimizer)


def _check_overwrite(filepath, overwrite):
    if not overwrite and os.path.exists(filepath):
        raise FileExistsError(f"The file {filepath!r} exists and `overwrite=False`. Pass "
                              "`overwrite=True` to replace it.")


def model_config(model):
    """The `config.json` dict of `model`: its Keras dict form plus `compile_config`."""
    config = serialization_lib.serialize_keras_object(model)
    compile_config = getattr(model, "_compile_config", None)
    config["compile_config"] = (serialization_lib.serialize_keras_object(compile_config)
                                if getattr(model, "compiled", False) and compile_config
                                else {})
    return config


def _write_zip(model, file, include_optimizer):
    config = model_config(model)
    metadata = {"keras_version": KERAS_VERSION,
                "date_saved": datetime.datetime.now().strftime("%Y-%m-%d@%H:%M:%S")}
    weights = io.BytesIO()
    with h5py.File(weights, "w") as h5file:
        weights_h5.save_to_h5(model, h5file, include_optimizer=include_optimizer)
    with zipfile.ZipFile(file, "w") as archive:
        archive.writestr(METADATA, json.dumps(metadata))
        archive.writestr(CONFIG, json.dumps(config))
        archive.writestr(WEIGHTS, weights.getvalue())


def load_model(filepath, custom_objects=None, compile=True, safe_mode=True):
    """Load a model saved as `.keras` by lamina or by Keras 3.

    Args:
        filepath: Path of a `.keras` file, or a readable binary file object.
        custom_objects: Optional dict mapping the names of custom classes and functions (as
            in the file) to the objects. Defaults to `None`.
        compile: Whether to compile the model with its saved compile arguments and restore
            the optimizer state. Defaults to `True`.
        safe_mode: Refuse files that would run code: Python lambdas (marshalled bytecode)
            and objects from modules that are neither lamina's nor registered. Set to `False`
            only for files you trust. Defaults to `True`.

    Returns:
        The model, with its weights.

    Raises:
        ValueError: If the file is not a valid `.keras` zip, holds unsafe member names, or
            needs `safe_mode=False`.
    """
    if not hasattr(filepath, "read"):
        filepath = os.fspath(filepath)
        if filepath.endswith(".weights.h5"):
            raise ValueError(
                f"{filepath!r} holds weights only. Build the model and call "
                "`model.load_weights(filepath)` instead of `load_model`.")
        if not filepath.endswith(".keras"):
            raise ValueError("`load_model` reads `.keras` files (Keras 3's format). "
                             f"Received: filepath={filepath!r}.")
        if not zipfile.is_zipfile(filepath):
            raise ValueError(f"{filepath!r} is not a `.keras` file: it is not a zip archive.")
    with zipfile.ZipFile(filepath, "r") as archive:
        members = _checked_members(archive)
        config = json.loads(_read_member(archive, CONFIG, members))
        weights = _read_member(archive, WEIGHTS, members) if WEIGHTS in members else None
    return model_from_config(config, weights, custom_objects, compile, safe_mode)


def model_from_config(config, weights, custom_objects=None, compile=True, safe_mode=True):
    """Build the model of a `config.json` dict, compile it and read `weights` (HDF5 bytes)."""
    if not isinstance(config, dict) or "class_name" not in config:
        raise ValueError("Invalid `.keras` file: `config.json` is not a model config.")
    compile_config = config.get("compile_config") if compile else None
    config = {key: value for key, value in config.items() if key != "compile_config"}
    with serialization_lib.load_context(custom_objects, safe_mode):
        model = serialization_lib._deserialize(config)
        if compile_config:
            model.compile(**compile_arguments(model, compile_config))
    if weights is not None:
        with h5py.File(io.BytesIO(weights), "r") as h5file:
            weights_h5.load_from_h5(model, h5file, load_optimizer=bool(compile_config))
    return model


def compile_arguments(model, compile_config):
    """`compile` keyword arguments from a saved `compile_config` (Keras' or lamina's).

    Keras records the `jit_compile` it resolved for its backend (XLA); that says nothing
    about `torch.compile`, so lamina keeps its own default. Keras-only arguments at their
    defaults (`steps_per_execution=1`) are dropped.
    """
    arguments = serialization_lib._deserialize(dict(compile_config))
    arguments.pop("jit_compile", None)
    if arguments.get("steps_per_execution", 1) in (1, None):
        arguments.pop("steps_per_execution", None)
    return arguments


def _checked_members(archive):
    """Member names of a `.keras` zip, refusing paths that could escape a directory and
    members whose declared size is implausible."""
    names = set()
    for info in archive.infolist():
        name = info.filename
        parts = name.replace("\\", "/").split("/")
        if (name.startswith(("/", "\\")) or ".." in parts or ":" in parts[0]
                or "\x00" in name):
            raise ValueError(f"Refusing the `.keras` file: it holds a member named {name!r}, "
                             "a path that points outside the archive's own directory.")
        stored = max(info.compress_size, 1)
        if info.file_size > _MAX_MEMBER_BYTES or (
                info.file_size > (1 << 32) and info.file_size > _MAX_EXPANSION * stored):
            raise ValueError(f"Refusing the `.keras` file: member {name!r} declares "
                             f"{info.file_size} bytes from {info.compress_size} stored (a "
                             "decompression bomb).")
        names.add(name)
    if CONFIG not in names:
        raise ValueError("Invalid `.keras` file: it has no `config.json`. Found members: "
                         f"{sorted(names)}.")
    return names


def _read_member(archive, name, members):
    if name not in members:
        raise ValueError(f"Invalid `.keras` file: it has no `{name}`.")
    return archive.read(name)
