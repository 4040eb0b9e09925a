"""Model and training configs of legacy HDF5 files, to and from Keras 3's dict form.

In a `.h5` file each layer of a model is `{"class_name", "config"}` with no `module` (plus
`name` and `inbound_nodes` in a functional model); Keras 3 writes its own nested objects
(initializers, dtype policies) in its dict form, Keras 2 in its older spellings:
`batch_input_shape`, `axis: [3]`, `dtype` policies named `Policy`, initializers without a
module, `"Custom>Adam"` optimizers, losses with `"reduction": "auto"`, metrics as
`MeanMetricWrapper`s, inbound nodes as `[[layer, node, tensor, kwargs], ...]` lists, and a
`Lambda`'s function as `[base64 bytecode, defaults, closure]`. `upgrade_model_config` and
`upgrade_training` translate all of that into the dict form that `serialization_lib`
deserialises, so the same safety rules hold: nothing is imported or run unless
`safe_mode=False` (a lambda's bytecode included).
"""

from lamina import registry
from lamina.saving import serialization_lib

_MODELS = ("Sequential", "Functional", "Model")
_WRAPPED = ("layer", "cell", "forward_layer", "backward_layer")  # a layer inside a layer
_MODULE_BY_SUFFIX = (("_initializer", "keras.initializers"), ("_regularizer", "keras.regularizers"),
                     ("_constraint", "keras.constraints"), ("activation", "keras.activations"))
# Keras 2 arguments that Keras 3 dropped (`groups` of depthwise and separable convolutions),
# ignored when they hold the value Keras 3 assumes.
_KERAS2_ONLY = {"time_major": (False,), "groups": (1,)}
# Keras 2 arguments of one layer class that Keras 3 has no use for, whatever their value.
_SEPARABLE_EXTRA = ("kernel_initializer", "kernel_regularizer", "kernel_constraint")
_KERAS2_EXTRA = {"Embedding": ("input_length",), "SeparableConv1D": _SEPARABLE_EXTRA,
                 "SeparableConv2D": _SEPARABLE_EXTRA,
                 "MultiHeadAttention": ("query_shape", "key_shape", "value_shape")}
_WHOLE_NAME_METRICS = ("accuracy", "acc", "crossentropy", "ce")


# -- writing -------------------------------------------------------------------------------------
def legacy_config(model):
    """`model`'s `model_config` as Keras 3 writes it into `.h5` files: the model and each of
    its layers as `{"class_name", "config"}`, nested objects in Keras 3's dict form."""
    return _legacy_entry(serialization_lib.serialize_keras_object(model))


def _legacy_entry(entry):
    config = entry["config"]
    if isinstance(config, dict) and isinstance(config.get("layers"), list):
        config = {**config, "layers": [_legacy_entry(layer) for layer in config["layers"]]}
    legacy = {"class_name": entry.get("registered_name") or entry["class_name"],
              "config": config}
    for key in ("name", "inbound_nodes"):
        if key in entry:
            legacy[key] = entry[key]
    return legacy


# -- reading: architecture -----------------------------------------------------------------------
def upgrade_model_config(config):
    """The Keras 3 dict form of a legacy `model_config`.

    Raises:
        ValueError: If `config` is not a model config.
    """
    if not isinstance(config, dict) or not isinstance(config.get("class_name"), str):
        message = ("Invalid legacy HDF5 file: `model_config` should be a dict with a "
                   f"'class_name'. Received: {str(config)[:200]}.")
        raise ValueError(message)  # noqa: TRY004 (a malformed file is a bad value)
    return upgrade_layer(config)


def upgrade_layer(entry):
    """One legacy layer (or model) entry in Keras 3's dict form (entries that already have a
    `module` are Keras 3's and kept)."""
    if not isinstance(entry, dict) or not isinstance(entry.get("class_name"), str):
        message = ("Invalid legacy model config: a layer should be a dict with "
                   f"'class_name' and 'config'. Received: {str(entry)[:200]}.")
        raise ValueError(message)  # noqa: TRY004 (a malformed file is a bad value)
    if "module" in entry:  # Keras 3's form (or Keras 2.13+ for a nested layer): tidy only
        config = entry.get("config")
        if not isinstance(config, dict):
            return entry
        return {**entry, "config": _upgrade_layer_config(entry["class_name"], dict(config))}
    class_name, registered = entry["class_name"], None
    if ">" in class_name:  # registered custom class, "package>Name"
        registered, class_name = class_name, class_name.rsplit(">", 1)[1]
    config = entry.get("config")
    if class_name == "Sequential" and isinstance(config, list):  # Keras 1's form
        config = {"layers": config}
    if not isinstance(config, (dict, type(None))):
        message = (f"Invalid legacy model config: the config of '{class_name}' should "
                   f"be a dict. Received: {str(config)[:200]}.")
        raise ValueError(message)  # noqa: TRY004 (a malformed file is a bad value)
    upgraded = {"module": None if registered else ("keras" if class_name in _MODELS
                                                   else "keras.layers"),
                "class_name": class_name,
                "config": _upgrade_layer_config(class_name, dict(config or {})),
                "registered_name": registered}
    if "name" in entry:
        upgraded["name"] = entry["name"]
    if "inbound_nodes" in entry:
        upgraded["inbound_nodes"] = [_upgrade_node(node) for node in entry["inbound_nodes"]]
    return upgraded


def _upgrade_layer_config(class_name, config):
    config = {key: _upgrade_value(key, value) for key, value in config.items()}
    if class_name in _MODELS and isinstance(config.get("layers"), list):
        config["layers"] = [upgrade_layer(layer) for layer in config["layers"]]
        for key in ("input_layers", "output_layers"):
            value = config.get(key)
            if isinstance(value, list) and len(value) == 1 and _is_triple(value[0]):
                config[key] = value[0]  # one input (output): a tensor, not a list, as Keras
    if class_name == "InputLayer" and "batch_input_shape" in config:
        config.setdefault("batch_shape", config.pop("batch_input_shape"))
    axis = config.get("axis")
    if isinstance(axis, list) and len(axis) == 1:
        config["axis"] = axis[0]
    if class_name == "Lambda":
        _upgrade_lambda(config)
    for key, inert in _KERAS2_ONLY.items():
        if key in config and config[key] in inert:
            del config[key]
    for key in _KERAS2_EXTRA.get(class_name, ()):
        config.pop(key, None)
    return config


def _upgrade_value(key, value):
    if key in _WRAPPED and isinstance(value, dict) and "class_name" in value:
        return upgrade_layer(value)
    if key == "cells" and isinstance(value, list):
        return [upgrade_layer(cell) for cell in value]
    if not (isinstance(value, dict) and "class_name" in value) or "module" in value:
        return value
    if key == "dtype":  # Keras 2's mixed precision `Policy`: Keras 3 takes its name
        return (value.get("config") or {}).get("name")
    for suffix, module in _MODULE_BY_SUFFIX:
        if key.endswith(suffix):
            return upgrade_object(value, module)
    return value


def upgrade_object(value, module):
    """A legacy `{"class_name", "config"}` object of Keras' `module` in Keras 3's dict form.
    Keras 2 named its optimizers `"Custom>Adam"`: built-in names lose that prefix."""
    class_name, registered = value["class_name"], None
    if ">" in class_name:
        package, short = class_name.rsplit(">", 1)
        if package == "Custom" and short in registry._BY_MODULE.get(module, {}):
            class_name = short
        else:
            registered, class_name = class_name, short
    return {"module": None if registered else module, "class_name": class_name,
            "config": value.get("config"), "registered_name": registered}


def _upgrade_lambda(config):
    function_type = config.pop("function_type", None)
    module = config.pop("module", None)
    output_type = config.pop("output_shape_type", None)
    output_module = config.pop("output_shape_module", None)
    config["function"] = _function(config.get("function"), function_type or "lambda", module)
    if "output_shape" in config:
        config["output_shape"] = _function(config["output_shape"], output_type, output_module)


def _function(value, kind, module):
    """Keras 2's function fields: `[bytecode, defaults, closure]` for a lambda (refused in
    safe mode when deserialised), a name and its module for a function."""
    if kind == "lambda" and isinstance(value, list) and len(value) == 3 and \
            isinstance(value[0], str):
        return {"class_name": "__lambda__",
                "config": {"code": value[0], "defaults": value[1], "closure": value[2]}}
    if kind == "function" and isinstance(value, str):
        return {"module": module, "class_name": "function", "config": value,
                "registered_name": value}
    return value


def _upgrade_node(node):
    """Keras 2's `[[layer, node_index, tensor_index, kwargs], ...]` as Keras 3's
    `{"args": [...], "kwargs": {...}}` (several inputs are passed as one list)."""
    if isinstance(node, dict):
        return node
    if not isinstance(node, list) or not node:
        raise ValueError(f"Invalid legacy model config: an inbound node should be a list of "
                         f"[layer, node_index, tensor_index, kwargs]. Received: {node!r}.")
    tensors, kwargs = [], {}
    for item in node:
        if not (isinstance(item, list) and len(item) in (3, 4) and _is_triple(item[:3])):
            raise ValueError("Invalid legacy model config: an inbound node should list "
                             f"[layer, node_index, tensor_index, kwargs]. Received: {item!r}.")
        tensors.append(_tensor(item[:3]))
        if len(item) == 4 and isinstance(item[3], dict):
            kwargs = _tensors_in(item[3])
    return {"args": [tensors[0] if len(tensors) == 1 else tensors], "kwargs": kwargs}


def _tensor(triple):
    return {"class_name": "__keras_tensor__", "config": {"keras_history": list(triple)}}


def _tensors_in(value):
    """Keras 2 wrote tensors among call arguments as `[layer, node_index, tensor_index]`."""
    if _is_triple(value):
        return _tensor(value)
    if isinstance(value, list):
        return [_tensors_in(item) for item in value]
    if isinstance(value, dict):
        return {key: _tensors_in(item) for key, item in value.items()}
    return value


def _is_triple(value):
    return (isinstance(value, list) and len(value) == 3 and isinstance(value[0], str)
            and all(isinstance(v, int) and not isinstance(v, bool) for v in value[1:]))


# -- reading: training configuration -------------------------------------------------------------
def upgrade_training(training, model):
    """A legacy `training_config` as the `compile_config` dict of a `.keras` file.

    Raises:
        ValueError: If it has no `optimizer_config`.
    """
    if not isinstance(training, dict) or not isinstance(training.get("optimizer_config"), dict):
        message = ("Invalid legacy HDF5 file: `training_config` has no "
                   "`optimizer_config`. Load it with `compile=False` and compile the "
                   "model yourself.")
        raise ValueError(message)  # noqa: TRY004 (a malformed file is a bad value)
    outputs = list(getattr(model, "output_names", None) or [])
    metrics = [_nested(training.get(key), lambda v: _upgrade_metric(v, outputs))
               for key in ("metrics", "weighted_metrics")]
    for i, value in enumerate(metrics):
        if len(outputs) <= 1 and isinstance(value, list) and len(value) == 1 and \
                isinstance(value[0], list):
            metrics[i] = value[0]  # Keras 2 wrote one list per output, even for one output
    return {"optimizer": _upgrade_optimizer(training["optimizer_config"]),
            "loss": _nested(training.get("loss"), _upgrade_loss),
            "loss_weights": training.get("loss_weights"),
            "metrics": metrics[0], "weighted_metrics": metrics[1]}


def _nested(value, upgrade):
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, dict) and "class_name" in value:
        return value if "module" in value else upgrade(value)
    if isinstance(value, dict):
        return {key: _nested(item, upgrade) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_nested(item, upgrade) for item in value]
    return value


def _upgrade_optimizer(value):
    if "module" in value:
        return value
    upgraded = upgrade_object(value, "keras.optimizers")
    config = {key: item for key, item in (upgraded["config"] or {}).items()
              if key not in ("jit_compile", "is_legacy_optimizer")}
    if "lr" in config:  # Keras 1 and early Keras 2
        config.setdefault("learning_rate", config.pop("lr"))
    if config.get("decay") == 0:
        config.pop("decay")
    rate = config.get("learning_rate")
    if isinstance(rate, dict) and "class_name" in rate and "module" not in rate:
        config["learning_rate"] = upgrade_object(rate, "keras.optimizers.schedules")
    upgraded["config"] = config
    return upgraded


def _upgrade_loss(value):
    config = dict(value.get("config") or {})
    if value["class_name"] == "LossFunctionWrapper" and isinstance(config.get("fn"), str):
        return config["fn"]
    config.pop("fn", None)  # Keras 2's loss classes listed their function
    if config.get("reduction") == "auto":
        config["reduction"] = "sum_over_batch_size"  # what Keras 2's "auto" meant in fit
    return {**upgrade_object(value, "keras.losses"), "config": config}


def _upgrade_metric(value, outputs):
    """Keras 2's `MeanMetricWrapper(fn, name)` as the string the user compiled with."""
    if value["class_name"] != "MeanMetricWrapper":
        return upgrade_object(value, "keras.metrics")
    config = value.get("config") or {}
    name, function = str(config.get("name", "")), config.get("fn")
    for output in outputs:  # Keras 2 prefixed a multi-output model's metric names
        if name.startswith(f"{output}_"):
            name = name[len(output) + 1:]
            break
    if name in _WHOLE_NAME_METRICS or name in registry._BY_MODULE.get("keras.metrics", {}):
        return name
    return function if isinstance(function, str) else name
