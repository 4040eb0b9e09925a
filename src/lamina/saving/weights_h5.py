"""Weights in Keras 3's HDF5 layout (`model.weights.h5` inside `.keras`, and `.weights.h5`).

Keras addresses each object's variables by where it sits, not by its (generated) name:
the root model's own variables are in `vars/`, a Sequential or functional model's layers in
`layers/<snake_case class name>[_n]/vars/<i>` (numbered per class in `model.layers` order),
a layer's sublayers under their attribute name (`layers/lstm/cell/vars/0`), and the
optimizer's variables in `optimizer/vars/<i>`. A layer's own variables are numbered
trainable first, then non-trainable, each in creation order; values are in Keras' layout
(`Variable.keras_value`). Each `vars` group carries the object's name as an attribute.

Reading never trusts the file: every dataset is checked (a plain, contiguous-or-chunked
dataset in the file, no links, no external or virtual storage) and its declared shape is
compared with the built model's weight before any byte is read, so a dataset declaring a
huge shape is refused without allocating it.
"""

import warnings

import h5py
import numpy as np
import torch
from torch import nn

from lamina.naming import to_snake_case
from lamina.registry import registered_name


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
def save_to_h5(model, h5file, include_optimizer=True):
    """Write the weights (and a compiled model's optimizer state) of `model` into `h5file`."""
    for path, obj in walk(model, include_optimizer):
        group = h5file.create_group(_join(path, "vars")) if path else h5file.create_group("vars")
        name = getattr(obj, "name", None)
        if isinstance(name, str):
            group.attrs["name"] = name
        values = (optimizer_values(obj, model) if path == "optimizer"
                  else [_keras_value(v) for v in own_variables(obj)])
        for index, value in enumerate(values):
            group.create_dataset(str(index), data=value)


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
            _assign(variable, read_dataset(group, str(i)))


def _assign(variable, value):
    if hasattr(variable, "assign"):
        variable.assign(value)
    else:
        with torch.no_grad():
            variable.copy_(torch.as_tensor(value))


def _load_optimizer(optimizer, model, group):
    if group is None:
        return
    if not optimizer.built:
        optimizer.build(list(model.parameters()))  # as `fit` would build it
    ordered = _keras_ordered(optimizer, model)
    names = _dataset_names(group)
    if len(names) != len(ordered):
        raise ValueError(f"The optimizer '{optimizer.name}' has {len(ordered)} variables but the "
                         f"file holds {len(names)}: it was saved with other optimizer arguments "
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
            value = read_dataset(group, str(i), expected_shape=shape)
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
    """The `vars` group at `path`, or `None` when the file has none there."""
    group = h5file
    for part in (_join(path, "vars")).split("/"):
        if part not in group:
            return None
        link = group.get(part, getlink=True)
        if not isinstance(link, h5py.HardLink):
            message = (f"Refusing the weights file: '{path}' is a {type(link).__name__}, and "
                       "links can point outside the file.")
            raise ValueError(message)  # noqa: TRY004 (a malformed file is a bad value)
        group = group[part]
        if not isinstance(group, h5py.Group):
            message = (f"Invalid weights file: expected a group at '{path}', found "
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
