"""Weights in Keras 3's HDF5 layout (`model.weights.h5` inside `.keras`, and `.weights.h5`).

Keras addresses each object's variables by where it sits, not by its (generated) name:
the root model's own variables are in `vars/`, a Sequential or functional model's layers in
`layers/<snake_case class name>[_n]/vars/<i>` (numbered per class in `model.layers` order),
a layer's sublayers under their attribute name (`layers/lstm/cell/vars/0`), and the
optimizer's variables in `optimizer/vars/<i>`. A layer's own variables are numbered
trainable first, then non-trainable, each in creation order; values are in Keras' layout
(`Variable.keras_value`). Each `vars` group carries the object's name as an attribute.

Sharded weights (`save_weights(..., max_shard_size=GB)`) use Keras 3's layout: an index
`NAME.weights.json` (`{"metadata": {"total_size": bytes}, "weight_map": {"/<path>/vars":
[shard, ...]}}`) beside shards `NAME_00000.weights.h5`, `NAME_00001.weights.h5`, ... each an
HDF5 file of the layout above holding the variables that fit, in order; an object's `vars`
may straddle two shards.

Reading never trusts the file: every dataset is checked (a plain, contiguous-or-chunked
dataset in the file, no links, no external or virtual storage) and its declared shape is
compared with the built model's weight before any byte is read, so a dataset declaring a
huge shape is refused without allocating it.
"""

import contextlib
import io
import json
import os
import warnings

import h5py
import numpy as np
import torch
from torch import nn

from lamina.naming import to_snake_case
from lamina.registry import registered_name
from lamina.saving.atomic import atomic_write


def walk(model, include_optimizer=True):
    """`(path, object)` for the model and every layer (and the optimizer) holding state, in
    Keras' order; a shared object appears once, at its first path."""
    found, seen = [], set()
    _walk(model, "", found, seen)
    optimizer = getattr(model, "optimizer", None)
    if include_optimizer and getattr(model, "compiled", False) and optimizer is not None:
        found.append(("optimizer", optimizer))
    return found


def _walk(layer, path, found, seen):
    if id(layer) in seen:
        return
    seen.add(id(layer))
    found.append((path, layer))
    kind = _model_kind(layer)
    if kind is not None:
        _walk_container(layer.layers, _join(path, "layers"), found, seen)
    children = sorted(layer._modules.items(), key=lambda item: _name_key(item[0]))
    for attribute, child in children:
        if kind is not None and attribute in ("_layers", "_input_layer"):
            continue
        if _is_layer(child):
            _walk(child, _join(path, attribute), found, seen)
        elif isinstance(child, (nn.ModuleList, nn.ModuleDict)):
            _walk_container(list(child.values()) if isinstance(child, nn.ModuleDict)
                            else list(child), _join(path, attribute), found, seen)


def _walk_container(items, path, found, seen):
    used = {}
    for item in items:
        if not _is_layer(item):
            continue
        base = to_snake_case(type(item).__name__)
        if base in used:
            used[base] += 1
            name = f"{base}_{used[base]}"
        else:
            used[base] = 0
            name = base
        _walk(item, _join(path, name), found, seen)


def _is_layer(module):
    return hasattr(module, "_weight_order")


def _model_kind(layer):
    """"Sequential" or "Functional" for models whose layers Keras saves under `layers/`."""
    for cls in type(layer).__mro__:
        found = registered_name(cls) if isinstance(cls, type) else None
        if found is not None and found[0] == "keras" and cls.__name__ == found[1]:
            if found[1] == "Sequential":
                return "Sequential"
            if found[1] == "Model":
                return "Functional" if getattr(layer, "_graph", None) is not None else None
    return None


def _name_key(name):
    return f"~{name}" if name.startswith("_") else name  # private attributes last, as Keras


def _join(path, name):
    return f"{path}/{name}" if path else name


def own_variables(layer):
    """A layer's own weights in Keras' saved order: trainable ones, then the others."""
    trainable = [layer._parameters[k] for k in layer._weight_order if k in layer._parameters]
    other = [layer._buffers[k] for k in layer._weight_order if k in layer._buffers]
    return [*trainable, *other]


def _keras_value(variable):
    value = variable.detach()
    permutation = getattr(variable, "keras_permutation", None)
    if permutation is not None:
        value = value.permute(permutation)
    return value.cpu().numpy()


# -- writing -------------------------------------------------------------------------------------
def entries(model, include_optimizer=True):
    """`(path, name, variables, to_numpy)` for each object `save_to_h5` writes, in order:
    `to_numpy(variable)` gives one variable's value in Keras' layout (read only when called,
    so a sharded save holds one shard in memory at a time)."""
    for path, obj in walk(model, include_optimizer):
        name = getattr(obj, "name", None)
        name = name if isinstance(name, str) else None
        if path == "optimizer":
            yield path, name, _keras_ordered(obj, model), lambda v, o=obj: _keras_slot(v, o)
        else:
            yield path, name, own_variables(obj), _keras_value


def save_to_h5(model, h5file, include_optimizer=True):
    """Write the weights (and a compiled model's optimizer state) of `model` into `h5file`."""
    for path, name, variables, to_numpy in entries(model, include_optimizer):
        group = create_vars_group(h5file, path, name)
        for index, variable in enumerate(variables):
            group.create_dataset(str(index), data=to_numpy(variable))


def create_vars_group(h5file, path, name=None):
    """The new `vars` group of the object at `path`, carrying its `name` as Keras writes it."""
    group = h5file.create_group(_join(path, "vars"))
    if name is not None:
        group.attrs["name"] = name
    return group


def optimizer_values(optimizer, model):
    """The optimizer's variables as numpy arrays in Keras' order and layout."""
    return [_keras_slot(v, optimizer) for v in _keras_ordered(optimizer, model)]


def _slot_owners(optimizer):
    """id(slot tensor) -> (slot kind, index of its parameter in `optimizer._params`)."""
    owners = {}
    lists = dict(optimizer._slots)
    lists["~average"] = optimizer._ema_averages
    lists["~accumulator"] = optimizer._gradient_accumulators
    for kind, tensors in lists.items():
        for index, tensor in enumerate(tensors):
            owners[id(tensor)] = (kind, index)
    return owners


def _keras_ordered(optimizer, model):
    """`optimizer.variables` rearranged as Keras orders them: slots follow the model's
    `trainable_weights` order (lamina's optimizer follows `model.parameters()`)."""
    variables = list(optimizer.variables)
    params = list(getattr(optimizer, "_params", []))
    if not params:
        return variables
    owners = _slot_owners(optimizer)
    index = {id(p): i for i, p in enumerate(params)}
    keras_params = [p for p in model.trainable_weights if id(p) in index]
    by_key = {(owners[id(v)][0], owners[id(v)][1]): v for v in variables if id(v) in owners}
    if sorted(index[id(p)] for p in keras_params) == list(range(len(params))):
        position = [index[id(p)] for p in keras_params]  # keras slot i <- lamina param
        return [v if id(v) not in owners else
                by_key[(owners[id(v)][0], position[owners[id(v)][1]])] for v in variables]
    kept = {index[id(p)] for p in keras_params}  # frozen parameters have no Keras slots
    return [v for v in variables if id(v) not in owners or owners[id(v)][1] in kept]


def _keras_slot(tensor, optimizer):
    owners = _slot_owners(optimizer)
    value = tensor.detach()
    if id(tensor) in owners:
        param = optimizer._params[owners[id(tensor)][1]]
        permutation = getattr(param, "keras_permutation", None)
        if permutation is not None and tuple(value.shape) == tuple(param.shape):
            value = value.permute(permutation)
    return value.cpu().numpy()


# -- reading -------------------------------------------------------------------------------------
def load_from_h5(model, h5file, skip_mismatch=False, load_optimizer=True):
    """Read weights written by `save_to_h5` or by Keras 3 into the built `model`.

    Raises:
        ValueError: If a layer's saved variables do not match its weights (count or shape),
            unless `skip_mismatch`, which warns and leaves that layer as it is.
    """
    for path, obj in walk(model):
        if path == "optimizer":
            if load_optimizer:
                _load_optimizer(obj, model, _vars_group(h5file, path))
            continue
        variables = own_variables(obj)
        group = _vars_group(h5file, path)
        stored = [] if group is None else _dataset_names(group)
        problem = None
        if len(stored) != len(variables):
            problem = (f"Layer '{obj.name}' expects {len(variables)} variables, but the file "
                       f"holds {len(stored)} at '{_join(path, 'vars')}'.")
        else:
            for i, variable in enumerate(variables):
                shape = tuple(getattr(variable, "keras_shape", variable.shape))
                declared = tuple(checked_dataset(group, str(i)).shape)  # reads no data
                if declared != shape:
                    problem = (f"The shape of variable {i} of layer '{obj.name}' is {shape}, "
                               f"but the file holds {declared} at "
                               f"'{_join(path, f'vars/{i}')}'.")
                    break
        if problem is not None:
            if skip_mismatch:
                warnings.warn(f"Skipping loading weights for layer '{obj.name}': {problem}",
                              stacklevel=3)
                continue
            raise ValueError(problem + " The model must be built exactly as the one saved "
                             "(pass `skip_mismatch=True` to skip such layers).")
        for i, variable in enumerate(variables):
            assign_value(variable, read_dataset(group, str(i)))


def assign_value(variable, value):
    """Set a weight from a numpy value in Keras' layout."""
    if hasattr(variable, "assign"):
        variable.assign(value)
    else:
        with torch.no_grad():
            variable.copy_(torch.as_tensor(value))


def _load_optimizer(optimizer, model, group):
    """Restore the optimizer of a `.keras` file.

    A model compiled but never trained saves its optimizer unbuilt, as Keras does: only
    `iteration` and `learning_rate` (what `optimizer.variables` holds before `build`). Those
    are restored into the unbuilt optimizer, which is then built with fresh slots, exactly
    what the saved one would have built. Other state must fit (`load_optimizer_values`).
    """
    if group is None:
        return
    count = len(_dataset_names(group))

    def read(i, shape):
        return read_dataset(group, str(i), expected_shape=shape)

    if not optimizer.built and count == len(optimizer.variables):
        _load_unbuilt_optimizer(optimizer, model, read)
        return
    load_optimizer_values(optimizer, model, count, read)


def _load_unbuilt_optimizer(optimizer, model, read):
    """Set an unbuilt optimizer's variables (`iteration`, `learning_rate`...) from `read`,
    then build it on `model` as `fit` would."""
    with torch.no_grad():
        for i, variable in enumerate(optimizer.variables):
            variable.copy_(torch.as_tensor(read(i, tuple(variable.shape))))
    optimizer.build(list(model.parameters()))  # carries the values over; slots start fresh
    # Loading the built optimizer's own values back derives what depends on them (the host
    # copy of the learning rate, `iterations` under gradient accumulation).
    optimizer.load_own_variables({str(i): v for i, v in enumerate(optimizer.variables)})


def optimizer_variable_count(optimizer, model):
    """How many variables Keras saves for `optimizer` (built on `model` if it is not)."""
    if not optimizer.built:
        optimizer.build(list(model.parameters()))  # as `fit` would build it
    return len(_keras_ordered(optimizer, model))


def load_optimizer_values(optimizer, model, count, read):
    """Set the optimizer's state from `count` saved values in Keras' order and layout;
    `read(i, shape)` returns value `i`, refusing it unless it declares `shape`.

    Raises:
        ValueError: If the count or a shape does not match the optimizer's variables.
    """
    if not optimizer.built:
        optimizer.build(list(model.parameters()))  # as `fit` would build it
    ordered = _keras_ordered(optimizer, model)
    if count != len(ordered):
        raise ValueError(f"The optimizer '{optimizer.name}' has {len(ordered)} variables but the "
                         f"file holds {count}: it was saved with other optimizer arguments "
                         "or another set of trainable weights.")
    owners = _slot_owners(optimizer)
    with torch.no_grad():
        values = {}
        for i, variable in enumerate(ordered):
            param = (optimizer._params[owners[id(variable)][1]] if id(variable) in owners
                     else None)
            permutation = getattr(param, "keras_permutation", None)
            shape = tuple(variable.shape)
            if permutation is not None and shape == tuple(param.shape):
                shape = tuple(shape[p] for p in permutation)
            value = read(i, shape)
            if permutation is not None and shape != tuple(variable.shape):
                value = np.transpose(value, np.argsort(permutation))
            values[id(variable)] = value
        store = {str(j): values[id(v)] for j, v in enumerate(optimizer.variables)
                 if id(v) in values}
    if len(store) == len(optimizer.variables):
        optimizer.load_own_variables(store)
    else:  # frozen parameters' slots are not in Keras' files: keep them
        with torch.no_grad():
            for variable in ordered:
                variable.copy_(torch.as_tensor(values[id(variable)]))


def _vars_group(h5file, path):
    """The `vars` group at `path`, or `None` when the file has none there (`h5file` may be
    a `ShardedReader`)."""
    if isinstance(h5file, ShardedReader):
        return h5file.vars_group(path)
    return checked_group(h5file, _join(path, "vars"), label=path)


def checked_group(h5file, path, label=None):
    """The group at `path` (parts separated by '/') below `h5file`, or `None` when absent,
    refusing links on the way. Errors name `label` (default: `path`)."""
    group, label = h5file, path if label is None else label
    for part in path.split("/"):
        if part not in group:
            return None
        link = group.get(part, getlink=True)
        if not isinstance(link, h5py.HardLink):
            message = (f"Refusing the weights file: '{label}' is a {type(link).__name__}, "
                       "and links can point outside the file.")
            raise ValueError(message)  # noqa: TRY004 (a malformed file is a bad value)
        group = group[part]
        if not isinstance(group, h5py.Group):
            message = (f"Invalid weights file: expected a group at '{label}', found "
                       f"{type(group).__name__}.")
            raise ValueError(message)  # noqa: TRY004
    return group


def _dataset_names(group):
    names = sorted(group.keys(), key=lambda k: (not k.isdigit(), int(k) if k.isdigit() else 0))
    expected = [str(i) for i in range(len(names))]
    if names != expected:
        raise ValueError(f"Invalid weights file: the datasets of '{group.name}' should be "
                         f"named {expected}. Found {names}.")
    return names


def checked_dataset(group, name):
    """The dataset `name` of `group`, unread, after refusing links, external or virtual
    storage and non-numeric dtypes."""
    link = group.get(name, getlink=True)
    if not isinstance(link, h5py.HardLink):
        message = (f"Refusing the weights file: '{group.name}/{name}' is a "
                   f"{type(link).__name__}, and links can point outside the file.")
        raise ValueError(message)  # noqa: TRY004 (a malformed file is a bad value)
    dataset = group[name]
    if not isinstance(dataset, h5py.Dataset):
        message = f"Invalid weights file: '{group.name}/{name}' is not a dataset."
        raise ValueError(message)  # noqa: TRY004
    if dataset.external or dataset.is_virtual:
        raise ValueError(f"Refusing the weights file: '{group.name}/{name}' stores its data "
                         "outside the file (external or virtual dataset).")
    if dataset.dtype.kind not in "biuf" and dataset.attrs.get("dtype") != "bfloat16":
        raise ValueError(f"Invalid weights file: '{group.name}/{name}' has dtype "
                         f"{dataset.dtype}, not a number type.")
    return dataset


def read_dataset(group, name, expected_shape=None):
    """Read one checked dataset; with `expected_shape`, only if it declares that shape."""
    dataset = checked_dataset(group, name)
    if expected_shape is not None and tuple(dataset.shape) != tuple(expected_shape):
        raise ValueError(f"The dataset '{group.name}/{name}' declares shape "
                         f"{tuple(dataset.shape)}, but the model expects "
                         f"{tuple(expected_shape)}.")
    return np.asarray(dataset[()])


# -- sharded weights -----------------------------------------------------------------------------
_GB = 1024 ** 3
_MAX_INDEX_BYTES = 1 << 26  # a `.weights.json` index larger than 64 MiB is refused


def shard_name(index_path, number):
    """The file name of shard `number` of the index `index_path`, as Keras names it."""
    stem = os.path.splitext(os.path.basename(index_path))[0]
    return f"{stem.replace('.weights', '')}_{number:05}.weights.h5"


def save_sharded(model, filepath, max_shard_size):
    """Write `model`'s weights as the index `filepath` (`.weights.json`) and shards of at
    most `max_shard_size` GB beside it, as Keras 3 splits them.

    The plan is made (and a variable too large for one shard refused) before any file is
    touched; then the old index is removed, each shard written atomically, and the new index
    written last, so an interrupted save leaves no index rather than one that mixes old and
    new shards. Shards of the old index that the new one does not use are removed.

    Raises:
        ValueError: If one variable is larger than `max_shard_size`.
    """
    limit = float(max_shard_size) * _GB
    shards, weight_map, size, total = [[]], {}, 0, 0.0
    for path, name, variables, to_numpy in entries(model, include_optimizer=False):
        shards[-1].append((path, name, None, None))  # the object's group, where it starts
        for index, variable in enumerate(variables):
            nbytes = variable.numel() * variable.element_size()
            total += nbytes
            if nbytes > limit:
                raise ValueError(
                    f"The variable '{_join(path, f'vars/{index}')}' takes {nbytes} bytes, more "
                    f"than `max_shard_size` ({max_shard_size} GB = {int(limit)} bytes) allows "
                    "for one shard. Pass a larger `max_shard_size`.")
            size += nbytes
            if size > limit:
                shards.append([])
                size = nbytes
            shards[-1].append((path, None, index, lambda v=variable, f=to_numpy: f(v)))
            files = weight_map.setdefault("/" + _join(path, "vars"), [])
            if shard_name(filepath, len(shards) - 1) not in files:
                files.append(shard_name(filepath, len(shards) - 1))
    directory = os.path.dirname(os.path.abspath(filepath))
    old = _shards_of(filepath)
    if os.path.exists(filepath):
        os.remove(filepath)  # from here until the new index is written there is no index
    for number, items in enumerate(shards):
        with atomic_write(os.path.join(directory, shard_name(filepath, number))) as file:
            file.write(_shard_bytes(items))
    index = {"metadata": {"total_size": total}, "weight_map": weight_map}
    with atomic_write(filepath) as file:
        file.write(json.dumps(index, indent=4).encode("utf8"))
    for stale in old - {shard_name(filepath, n) for n in range(len(shards))}:
        with contextlib.suppress(FileNotFoundError):
            os.remove(os.path.join(directory, stale))


def _shard_bytes(items):
    buffer, groups = io.BytesIO(), {}
    with h5py.File(buffer, "w") as h5file:
        for path, name, index, value in items:
            if index is None:
                groups[path] = create_vars_group(h5file, path, name)
                continue
            if path not in groups:  # continued from the previous shard: no name, as Keras
                groups[path] = create_vars_group(h5file, path)
            groups[path].create_dataset(str(index), data=value())
    return buffer.getvalue()


def _shards_of(filepath):
    """Shard file names an existing index lists (empty if there is none or it is invalid)."""
    try:
        if not os.path.exists(filepath):
            return set()
        return {name for names in read_index(filepath).values() for name in names}
    except ValueError:
        return set()


def read_index(filepath):
    """`{vars path: [shard file name, ...]}` of a `.weights.json` index, checked: shard names
    must be plain `.weights.h5` file names in the index's folder.

    Raises:
        ValueError: If the index is too large, not Keras' layout, or names other files.
    """
    if os.path.getsize(filepath) > _MAX_INDEX_BYTES:
        raise ValueError(f"Refusing the sharded weights index {filepath!r}: it is larger than "
                         f"{_MAX_INDEX_BYTES} bytes.")
    with open(filepath, "rb") as file:
        try:
            index = json.loads(file.read())
        except ValueError as error:
            raise ValueError(f"Invalid sharded weights index {filepath!r}: {error}.") from error
    weight_map = index.get("weight_map") if isinstance(index, dict) else None
    if not isinstance(weight_map, dict):
        message = (f"Invalid sharded weights index {filepath!r}: it should hold a "
                   "`weight_map` dict, as Keras' `.weights.json` does.")
        raise ValueError(message)  # noqa: TRY004 (a malformed file is a bad value)
    checked = {}
    for key, names in weight_map.items():
        names = [names] if isinstance(names, str) else names
        if not isinstance(names, list) or not names:
            raise ValueError(f"Invalid sharded weights index {filepath!r}: '{key}' should "
                             f"map to shard file names. Found {names!r}.")
        for name in names:
            if not isinstance(name, str) or os.path.basename(name) != name or "\\" in name \
                    or not name.endswith(".weights.h5") or name.startswith("."):
                raise ValueError(f"Refusing the sharded weights index {filepath!r}: it names "
                                 f"the shard {name!r}; shards must be `.weights.h5` files in "
                                 "the index's own folder.")
        checked[key] = list(names)
    return checked


class ShardedReader:
    """The shards of a `.weights.json` index, opened as `load_from_h5` reads them (a context
    manager; shards open on first use)."""

    def __init__(self, filepath):
        self._directory = os.path.dirname(os.path.abspath(filepath))
        self._map = read_index(filepath)
        self._files = {}

    def vars_group(self, path):
        """The `vars` group of the object at `path`, merged over its shards, or `None`."""
        groups = []
        for name in self._map.get("/" + _join(path, "vars"), []):
            if name not in self._files:
                self._files[name] = h5py.File(os.path.join(self._directory, name), "r")
            group = checked_group(self._files[name], _join(path, "vars"))
            if group is not None:
                groups.append(group)
        if not groups:
            return None
        return groups[0] if len(groups) == 1 else _MergedGroup(groups)

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        for file in self._files.values():
            file.close()
        self._files = {}


class _MergedGroup:
    """One object's `vars` spread over several shards, seen as one group."""

    def __init__(self, groups):
        self.name = groups[0].name
        self._owner = {}
        for group in groups:
            for key in group:
                if key in self._owner:
                    raise ValueError(f"Invalid sharded weights: '{self.name}/{key}' is in "
                                     "two shards.")
                self._owner[key] = group

    def keys(self):
        return list(self._owner)

    def __contains__(self, key):
        return key in self._owner

    def get(self, key, default=None, getlink=False):
        if key not in self._owner:
            return default
        return self._owner[key].get(key, default, getlink=getlink)

    def __getitem__(self, key):
        return self._owner[key][key]
