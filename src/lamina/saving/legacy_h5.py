"""Keras' legacy HDF5 files (`.h5`, `.hdf5`): whole models and weights, from Keras 2 or 3.

A whole-model file carries root attributes `model_config` (the architecture as JSON),
`training_config` (the `compile` arguments, with `optimizer_config`), `keras_version` and
`backend`; a group `model_weights`; and, for a compiled model, `optimizer_weights`. A weights
file is that `model_weights` group alone, at the root. Both hold, in attribute `layer_names`,
every layer of `model.layers`, and for each layer a group of that name whose attribute
`weight_names` lists its datasets (`dense/kernel:0` in Keras 2, `sequential/dense/kernel` in
Keras 3), in Keras' legacy order: the layer's trainable weights, then the others, sublayers
included. Values are in Keras' layout. Long name lists are split over attributes `name0`,
`name1`, ... to stay under HDF5's 64 KB header limit.

Loading follows Keras: by position among the layers that have weights (topological), or with
`by_name=True` by layer name. Reading is as careful as for `.weights.h5`: links, external or
virtual storage and non-numeric dtypes are refused, and every declared shape is compared with
the model's before anything is read. The architecture goes through `legacy_config`'s
translation into Keras 3's dict form and then the same safe deserialiser as `.keras` files.
"""

import io
import json
import os
import warnings

import h5py
import numpy as np

from lamina.saving import keras_zip, serialization_lib, weights_h5
from lamina.saving.atomic import atomic_write
from lamina.saving.legacy_config import (
    legacy_config,
    upgrade_model_config,
    upgrade_training,
)

BACKEND = "torch"
HEADER_LIMIT = 64512  # bytes: HDF5 refuses larger object headers (so attributes)


# -- writing -------------------------------------------------------------------------------------
def save_model(model, filepath, overwrite=True, include_optimizer=True):
    """Save `model` as a legacy whole-model HDF5 file, laid out as Keras 3 writes it.

    Args:
        model: A lamina `Model` with a config (Sequential, functional or registered).
        filepath: Path ending in `.h5` or `.hdf5`.
        overwrite: Whether to replace an existing file. Defaults to `True`.
        include_optimizer: Whether to write the `compile` arguments and the optimizer's
            state (for a compiled model). Defaults to `True`.

    Raises:
        FileExistsError: If the file exists and `overwrite=False`.
    """
    filepath = os.fspath(filepath)
    keras_zip._check_overwrite(filepath, overwrite)
    buffer = io.BytesIO()
    with h5py.File(buffer, "w") as h5file:
        h5file.attrs["keras_version"] = keras_zip.KERAS_VERSION
        h5file.attrs["backend"] = BACKEND
        h5file.attrs["model_config"] = json.dumps(legacy_config(model)).encode("utf8")
        compiled = include_optimizer and getattr(model, "compiled", False)
        if compiled:
            h5file.attrs["training_config"] = json.dumps(_training_config(model)).encode("utf8")
        write_weights(h5file.create_group("model_weights"), model)
        if compiled:
            _write_optimizer(h5file, model)
    with atomic_write(filepath) as file:
        file.write(buffer.getvalue())


def save_weights(model, filepath, overwrite=True):
    """Write `model`'s weights in the legacy HDF5 layout (`layer_names`, one group per
    layer), atomically. See `write_weights`."""
    filepath = os.fspath(filepath)
    keras_zip._check_overwrite(filepath, overwrite)
    buffer = io.BytesIO()
    with h5py.File(buffer, "w") as h5file:
        write_weights(h5file, model)
    with atomic_write(filepath) as file:
        file.write(buffer.getvalue())


def write_weights(group, model):
    """Write the legacy weights layout of `model` into `group` (a file or `model_weights`)."""
    write_names(group, "layer_names", [layer.name for layer in model.layers])
    group.attrs["backend"] = BACKEND
    group.attrs["keras_version"] = keras_zip.KERAS_VERSION
    for layer in sorted(model.layers, key=lambda layer: layer.name):  # as Keras: by name
        _write_subset(group.create_group(layer.name), layer, legacy_weights(layer))
    _write_subset(group.create_group("top_level_model_weights"), model,
                  weights_h5.own_variables(model))


def legacy_weights(layer):
    """A layer's weights in Keras' legacy order: trainable ones, then the others."""
    return list(layer.trainable_weights) + list(layer.non_trainable_weights)


def _write_subset(group, layer, variables):
    # Dataset names only need to be unique within the layer (loading goes by position): the
    # torch attribute path does that where Keras' variable paths may repeat (Bidirectional).
    qualified = {id(t): n for n, t in [*layer.named_parameters(), *layer.named_buffers()]}
    names = [f"{layer.name}/{qualified.get(id(v), f'weight_{i}').replace('.', '/')}"
             for i, v in enumerate(variables)]
    write_names(group, "weight_names", names)
    for name, variable in zip(names, variables):
        group.create_dataset(name, data=weights_h5._keras_value(variable))


def _write_optimizer(h5file, model):
    optimizer = model.optimizer
    values = weights_h5.optimizer_values(optimizer, model)
    if not values:
        return
    owners = weights_h5._slot_owners(optimizer)
    params = getattr(optimizer, "_params", [])
    names, used = [], set()
    for i, variable in enumerate(weights_h5._keras_ordered(optimizer, model)):
        if id(variable) in owners:
            kind, index = owners[id(variable)]
            path = getattr(params[index], "path", f"variable_{index}").replace("/", "_")
            name = f"{optimizer.name}/{path}_{kind.lstrip('~')}"
        else:
            name = f"{optimizer.name}/{('iteration', 'learning_rate')[min(i, 1)]}"
        name = name if name not in used else f"{name}_{i}"
        used.add(name)
        names.append(name)
    group = h5file.create_group("optimizer_weights")
    write_names(group, "weight_names", names)
    for name, value in zip(names, values):
        group.create_dataset(name, data=value)


def _training_config(model):
    """Keras 3's `training_config`: the `compile` arguments, with `optimizer_config`."""
    config = {key: serialization_lib.serialize_keras_object(value)
              for key, value in model._compile_config.items() if key != "optimizer"}
    config["steps_per_execution"] = 1
    optimizer = serialization_lib.serialize_keras_object(model.optimizer)
    config["optimizer_config"] = {
        "class_name": optimizer.get("registered_name") or optimizer["class_name"],
        "config": optimizer["config"]}
    return config


def write_names(group, key, names):
    """Store a list of names as attribute `key`, split into `key0`, `key1`, ... if too big
    for one HDF5 header (as Keras does)."""
    data = [name.encode("utf8") for name in names]
    too_long = [name for name in names if len(name.encode("utf8")) > HEADER_LIMIT]
    if too_long:
        raise ValueError(f"Cannot save the names {too_long[:3]} in HDF5: each name must be "
                         f"under {HEADER_LIMIT} bytes.")
    array = np.asarray(data) if data else np.zeros((0,), dtype="S1")
    chunks = 1
    while array.nbytes / chunks > HEADER_LIMIT:
        chunks += 1
    if chunks == 1:
        group.attrs[key] = array
        return
    for index, part in enumerate(np.array_split(array, chunks)):
        group.attrs[f"{key}{index}"] = part


# -- reading -------------------------------------------------------------------------------------
def load_model(filepath, custom_objects=None, compile=True, safe_mode=True):
    """Load a legacy whole-model HDF5 file written by Keras 2, Keras 3 or lamina.

    Args:
        filepath: Path of a `.h5` or `.hdf5` file.
        custom_objects: Optional dict mapping the names of custom classes and functions (as
            in the file) to the objects. Defaults to `None`.
        compile: Whether to compile the model with its saved `training_config` and restore
            the optimizer state. Defaults to `True`.
        safe_mode: Refuse files that would run code (a `Lambda`'s marshalled bytecode, a
            function from a module that is not lamina's). Defaults to `True`.

    Returns:
        The model, with its weights.

    Raises:
        ValueError: If the file has no model config (weights only), the config cannot be
            built safely, or the weights do not match it.
    """
    filepath = os.fspath(filepath)
    with h5py.File(filepath, "r") as h5file:
        raw = h5file.attrs.get("model_config")
        if raw is None:
            raise ValueError(
                f"{filepath!r} has no model config: it holds weights only. Build the model "
                "and call `model.load_weights(filepath)` instead of `load_model`.")
        config = upgrade_model_config(_json_attribute(raw, "model_config"))
        with serialization_lib.load_context(custom_objects, safe_mode):
            model = serialization_lib._deserialize(config)
        if not (hasattr(model, "layers") and hasattr(model, "compile")):
            raise ValueError(f"Invalid legacy HDF5 file {filepath!r}: its `model_config` "
                             f"describes a {type(model).__name__}, not a model.")
        group = weights_h5.checked_group(h5file, "model_weights")
        if group is None:
            raise ValueError(f"Invalid legacy HDF5 file {filepath!r}: it has a model config "
                             "but no `model_weights` group.")
        load_topological(group, model)
        raw = h5file.attrs.get("training_config")
        if compile and raw is not None:
            training = _json_attribute(raw, "training_config")
            with serialization_lib.load_context(custom_objects, safe_mode):
                arguments = keras_zip.compile_arguments(model, upgrade_training(training,
                                                                                model))
                model.compile(**arguments)
            optimizer_group = weights_h5.checked_group(h5file, "optimizer_weights")
            if optimizer_group is not None:
                _load_optimizer(model, optimizer_group)
    return model


def _json_attribute(raw, key):
    text = raw.decode("utf8") if isinstance(raw, (bytes, np.bytes_)) else raw
    if not isinstance(text, str):
        message = f"Invalid legacy HDF5 file: attribute `{key}` is not a JSON string."
        raise ValueError(message)  # noqa: TRY004 (a malformed file is a bad value)
    return json.loads(text, object_hook=_json_object)


def _json_object(value):
    # Keras 2 wrote tuples and TensorShapes as {"class_name": "__tuple__", "items": [...]}.
    if value.get("class_name") in ("__tuple__", "TensorShape") and "items" in value:
        items = value["items"]
        return tuple(items) if value["class_name"] == "__tuple__" and items is not None \
            else items
    return value


def load_weights(model, filepath, skip_mismatch=False, by_name=False):
    """Read a legacy HDF5 weights (or whole-model) file into the built `model`.

    Args:
        model: The model, built.
        filepath: Path of a `.h5` or `.hdf5` file.
        skip_mismatch: Warn and skip the layers whose saved weights do not match (shapes;
            with `by_name`, counts too) instead of raising. Defaults to `False`.
        by_name: Match layers by name (layers absent from the file keep their weights)
            instead of by position. Defaults to `False`.

    Raises:
        ValueError: If the layers or their weights do not match (see `skip_mismatch`).
    """
    filepath = os.fspath(filepath)
    with h5py.File(filepath, "r") as h5file:
        group = h5file
        if "layer_names" not in h5file.attrs and "model_weights" in h5file:
            group = weights_h5.checked_group(h5file, "model_weights")
        if "layer_names" not in group.attrs and "layer_names0" not in group.attrs:
            raise ValueError(
                f"{filepath!r} is not a legacy HDF5 weights file: it has no `layer_names`. "
                "(Keras 3's weights files are named `.weights.h5`; rename it so.)")
        if by_name:
            _load_by_name(group, model, skip_mismatch)
        else:
            load_topological(group, model, skip_mismatch)


def load_topological(group, model, skip_mismatch=False):
    """Assign the file's layers, in order, to the model's layers that have weights.

    Raises:
        ValueError: If the counts of such layers or of a layer's weights differ, or (unless
            `skip_mismatch`) a shape does.
    """
    layers = [layer for layer in model.layers if legacy_weights(layer)]
    names = [name for name in read_names(group, "layer_names")
             if read_names(_layer_group(group, name), "weight_names")]
    if len(names) != len(layers):
        raise ValueError(
            f"Layer count mismatch when loading weights from file: the model has "
            f"{len(layers)} layers with weights, the file {len(names)} ({names}). Build the "
            "same architecture, or pass `by_name=True` to match layers by name.")
    for k, (name, layer) in enumerate(zip(names, layers)):
        label = f"layer #{k} (named '{layer.name}' in the model, '{name}' in the file)"
        _set_layer(layer, _layer_group(group, name), label, skip_mismatch, count_fatal=True)
    if "top_level_model_weights" in group:
        top = _layer_group(group, "top_level_model_weights")
        _set_layer(model, top, "the model's own weights", skip_mismatch, count_fatal=True,
                   variables=weights_h5.own_variables(model))


def _load_by_name(group, model, skip_mismatch):
    by_name = {}
    for layer in model.layers:
        by_name.setdefault(layer.name, []).append(layer)
    for k, name in enumerate(read_names(group, "layer_names")):
        for layer in by_name.get(name, []):
            _set_layer(layer, _layer_group(group, name), f"layer #{k} (named '{name}')",
                       skip_mismatch, count_fatal=False)
    if "top_level_model_weights" in group:
        _set_layer(model, _layer_group(group, "top_level_model_weights"),
                   "the model's own weights", skip_mismatch, count_fatal=False,
                   variables=weights_h5.own_variables(model))


def _set_layer(layer, group, label, skip_mismatch, count_fatal, variables=None):
    variables = legacy_weights(layer) if variables is None else variables
    names = read_names(group, "weight_names")
    if len(names) != len(variables):
        problem = (f"Weight count mismatch for {label}: the layer expects {len(variables)} "
                   f"weight(s), the file holds {len(names)}.")
        if count_fatal or not skip_mismatch:
            raise ValueError(problem)
        warnings.warn(f"Skipping loading weights for {label}: {problem}", stacklevel=4)
        return
    datasets = [dataset(group, name) for name in names]  # checked, nothing read yet
    for variable, data, name in zip(variables, datasets, names):
        shape = tuple(getattr(variable, "keras_shape", variable.shape))
        if tuple(data.shape) != shape:
            problem = (f"Shape mismatch in {label} for weight '{name}': the layer expects "
                       f"{shape}, the file holds {tuple(data.shape)}.")
            if not skip_mismatch:
                raise ValueError(problem + " Pass `skip_mismatch=True` to skip such layers.")
            warnings.warn(f"Skipping loading weights for {label}: {problem}", stacklevel=4)
            return
    for variable, data in zip(variables, datasets):
        weights_h5.assign_value(variable, np.asarray(data[()]))


def _load_optimizer(model, group):
    """Restore the optimizer state; as Keras, warn and keep a fresh optimizer if the file's
    state does not fit (another optimizer, or Keras 2's older slot layout)."""
    names = read_names(group, "weight_names")
    datasets = [dataset(group, name) for name in names]
    optimizer = model.optimizer
    expected = weights_h5.optimizer_variable_count(optimizer, model)
    # Keras 2 (2.11+) lists [iteration, *slots] where Keras 3 has [iteration, learning_rate,
    # *slots]: the learning rate comes from `training_config` then.
    offset = int(len(datasets) + 1 == expected and bool(names)
                 and names[0].split("/")[-1] in ("iteration:0", "iter:0"))
    ordered = weights_h5._keras_ordered(optimizer, model)

    def read(i, shape):
        if offset and i == 1:
            return ordered[1].detach().cpu().numpy()  # the learning rate it was compiled with
        data = datasets[i - offset if i > 1 else i]
        if tuple(data.shape) != tuple(shape):
            raise ValueError(f"The optimizer weight '{data.name}' has shape {data.shape}; the "
                             f"optimizer expects {tuple(shape)}.")
        return np.asarray(data[()])

    try:
        weights_h5.load_optimizer_values(optimizer, model, len(datasets) + offset, read)
    except ValueError as error:
        warnings.warn(f"Could not restore the optimizer state from the file ({error}) The "
                      "model is compiled with a freshly initialised optimizer.", stacklevel=3)


def read_names(group, key):
    """The list of names stored by `write_names` (or Keras) as attribute `key` of `group`."""
    if key in group.attrs:
        values = list(group.attrs[key])
    else:
        values, index = [], 0
        while f"{key}{index}" in group.attrs:
            values.extend(group.attrs[f"{key}{index}"])
            index += 1
    names = [v.decode("utf8") if isinstance(v, (bytes, np.bytes_)) else v for v in values]
    for name in names:
        if not isinstance(name, str):
            message = (f"Invalid legacy HDF5 file: attribute `{key}` of '{group.name}' "
                       f"should list names (strings). Found {name!r}.")
            raise ValueError(message)  # noqa: TRY004 (a malformed file is a bad value)
    return names


def _layer_group(group, name):
    found = weights_h5.checked_group(group, _checked_path(group, name))
    if found is None:
        raise ValueError(f"Invalid legacy HDF5 file: '{group.name}' lists layer '{name}' but "
                         "has no group of that name.")
    return found


def dataset(group, name):
    """The dataset at the path `name` below `group` (checked as in `weights_h5`, unread)."""
    parent, _, leaf = _checked_path(group, name).rpartition("/")
    holder = weights_h5.checked_group(group, parent) if parent else group
    if holder is None or leaf not in holder:
        raise ValueError(f"Invalid legacy HDF5 file: '{group.name}' lists weight '{name}' "
                         "but holds no such dataset.")
    return weights_h5.checked_dataset(holder, leaf)


def _checked_path(group, name):
    parts = name.split("/")
    if any(part in ("", ".", "..") for part in parts):
        raise ValueError(f"Invalid legacy HDF5 file: '{group.name}' names the object "
                         f"{name!r}, which is not a plain relative path.")
    return name
