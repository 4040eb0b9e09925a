"""Objects to and from Keras 3's JSON dict form, with safe loading by default.

An object is written as `{"module", "class_name", "config", "registered_name"}` (a layer
adds `build_config`), exactly as Keras 3 writes it, so configs move both ways. Reading a
dict finds the class through lamina's registry: Keras' own module names (`keras.layers`,
`keras.src.models.functional`, ...) map onto it, and custom classes are found in
`custom_objects`, in a `CustomObjectScope`, or among classes registered with
`register_keras_serializable`. Nothing else is imported unless the caller passes
`safe_mode=False`; a `Lambda`'s marshalled bytecode is refused in safe mode too.
"""

import base64
import contextlib
import importlib
import marshal
import threading
import types

import numpy as np

from lamina import registry

# Keras' module names -> the lamina registry tables that hold those objects.
_KERAS_MODULES = {
    "keras": ("keras", "keras.layers"),
    "keras.models": ("keras",),
    "keras.src.models.functional": ("keras",),
    "keras.src.models.sequential": ("keras",),
    "keras.src.models.model": ("keras",),
    "keras.dtype_policies": ("keras",),
    "keras.src.dtype_policies.dtype_policy": ("keras",),
}
_CUSTOM_OBJECTS = {}  # "package>name" -> object (register_keras_serializable)
_CUSTOM_NAMES = {}  # id(object) -> "package>name"


class _LoadContext(threading.local):
    def __init__(self):
        self.custom_objects = []  # stack of dicts (CustomObjectScope, load_model)
        self.safe_mode = None  # None: not inside a load; else the load's safe_mode


_CONTEXT = _LoadContext()


def register_keras_serializable(package="Custom", name=None):
    """Decorator recording a class or function under `"package>name"` so that files can name it.

    Args:
        package: The package part of the registered name. Defaults to `"Custom"`.
        name: The name part. Defaults to the object's `__name__`.

    Returns:
        The decorator; it returns the object unchanged.

    Raises:
        ValueError: If `package` contains '>' or the object has no `get_config` (classes).

    Example:
    >>> import lamina as keras
    >>> @keras.saving.register_keras_serializable(package="demo")
    ... def double(x):
    ...     return 2 * x
    >>> keras.saving.get_registered_name(double)
    'demo>double'
    """
    if not isinstance(package, str) or ">" in package:
        raise ValueError("`register_keras_serializable` expects `package` to be a string "
                         f"without '>'. Received: package={package!r} "
                         f"(of type {type(package).__name__}).")

    def decorate(obj):
        key = f"{package}>{name or obj.__name__}"
        if isinstance(obj, type) and not hasattr(obj, "get_config"):
            raise ValueError(f"Cannot register {obj.__name__}: a class registered with "
                             "`register_keras_serializable` must implement `get_config()`.")
        _CUSTOM_OBJECTS[key] = obj
        _CUSTOM_NAMES[id(obj)] = key
        return obj

    return decorate


def get_registered_name(obj):
    """The name `obj` (a class, function or instance's class) is saved under."""
    key = _CUSTOM_NAMES.get(id(obj)) or _CUSTOM_NAMES.get(id(type(obj)))
    if key is not None:
        return key
    found = registry.registered_name(obj)
    if found is not None:
        return found[1]
    return getattr(obj, "__name__", type(obj).__name__)


def get_registered_object(name, custom_objects=None, module_objects=None):
    """The object registered as `name`: in `custom_objects`, an active `CustomObjectScope`,
    `register_keras_serializable`'s table or `module_objects`, else `None`."""
    for table in (custom_objects or {}, *reversed(_CONTEXT.custom_objects), _CUSTOM_OBJECTS,
                  module_objects or {}):
        if name in table:
            return table[name]
    return None


def get_custom_objects():
    """The global dict of registered custom objects (`"package>name"` -> object); editable."""
    return _CUSTOM_OBJECTS


class CustomObjectScope:
    """Within `with CustomObjectScope({"Name": cls}):`, loading finds `cls` under `"Name"`.

    Args:
        custom_objects: Dicts mapping names (as written in files) to classes or functions.
    """

    def __init__(self, *custom_objects):
        self.custom_objects = {}
        for table in custom_objects:
            self.custom_objects.update(table or {})

    def __enter__(self):
        _CONTEXT.custom_objects.append(self.custom_objects)
        return self

    def __exit__(self, *exc_info):
        _CONTEXT.custom_objects.pop()


custom_object_scope = CustomObjectScope


@contextlib.contextmanager
def load_context(custom_objects=None, safe_mode=True):
    """Deserialisation inside this block sees `custom_objects` and `safe_mode` (used by
    `load_model` and by models' `from_config` for their nested layers)."""
    previous = _CONTEXT.safe_mode
    _CONTEXT.custom_objects.append(dict(custom_objects or {}))
    _CONTEXT.safe_mode = bool(safe_mode) if previous is None else (previous and safe_mode)
    try:
        yield
    finally:
        _CONTEXT.custom_objects.pop()
        _CONTEXT.safe_mode = previous


def in_safe_mode():
    """The current load's `safe_mode` (`True` outside any load)."""
    return True if _CONTEXT.safe_mode is None else _CONTEXT.safe_mode


# -- serialising ---------------------------------------------------------------------------------
def serialize_keras_object(obj):
    """Keras 3's JSON-ready form of `obj` (a layer, model, optimizer, loss, function, ...).

    Plain values (`None`, numbers, strings, lists, dicts) come back as JSON values; numpy
    arrays as Keras' `"__numpy__"` dict; functions as `class_name` "function"; objects with
    `get_config` as the full dict, with `build_config` for built layers.
    """
    if obj is None or isinstance(obj, (bool, int, float, str)):
        return obj
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, np.ndarray):
        return {"class_name": "__numpy__", "config": {"value": obj.tolist(),
                                                      "dtype": str(obj.dtype)}}
    if isinstance(obj, (list, tuple)):
        return [serialize_keras_object(item) for item in obj]
    if isinstance(obj, dict):
        return {key: serialize_keras_object(value) for key, value in obj.items()}
    if isinstance(obj, types.FunctionType) and obj.__name__ == "<lambda>":
        return serialize_lambda(obj)
    custom = _CUSTOM_NAMES.get(id(obj)) or _CUSTOM_NAMES.get(id(type(obj)))
    if callable(obj) and not hasattr(obj, "get_config"):  # a function
        found = registry.registered_name(obj)
        if custom is None and found is not None:
            return registry.serialize(obj)
        return {"module": getattr(obj, "__module__", None), "class_name": "function",
                "config": custom or obj.__name__, "registered_name": custom or "function"}
    config = obj.get_config()
    module, class_name, registered = _class_identity(obj, custom)
    if (module, class_name) == ("keras.layers", "Lambda") and callable(obj.function):
        config = {**config, "function": serialize_keras_object(obj.function)}  # Keras' form
    result = {"module": module, "class_name": class_name,
              "config": serialize_keras_object(config), "registered_name": registered}
    get_build_config = getattr(obj, "get_build_config", None)
    if get_build_config is not None and getattr(obj, "built", False):
        build_config = get_build_config()
        if build_config is not None:
            result["build_config"] = serialize_keras_object(build_config)
    return result


def _class_identity(obj, custom):
    """(module, class_name, registered_name) as Keras writes them for `obj`."""
    cls = type(obj)
    if custom is not None:
        return cls.__module__, cls.__name__, custom
    found = registry.registered_name(cls)  # a class: its own registration, not its base's
    if found is not None:
        module, name = found
        if module == "keras" and name == "Model" and getattr(obj, "_graph", None) is not None:
            return "keras.src.models.functional", "Functional", "Functional"
        return module, name, None
    return cls.__module__, cls.__name__, f"Custom>{cls.__name__}"


def serialize_lambda(function):
    """Keras' `"__lambda__"` form of a Python lambda: its marshalled bytecode in base64.
    Loading it needs `safe_mode=False` (running saved bytecode can run any code)."""
    code = base64.b64encode(marshal.dumps(function.__code__)).decode("ascii")
    defaults = None if function.__defaults__ is None else list(function.__defaults__)
    closure = None if function.__closure__ is None else [
        cell.cell_contents for cell in function.__closure__]
    return {"class_name": "__lambda__",
            "config": {"code": code, "defaults": defaults, "closure": closure}}


# -- deserialising -------------------------------------------------------------------------------
def deserialize_keras_object(config, custom_objects=None, safe_mode=True, **kwargs):
    """Build the object described by Keras' dict form `config` (see `serialize_keras_object`).

    Args:
        config: A dict (or a plain JSON value, returned as is; a string is looked up as a
            registered name).
        custom_objects: Optional dict of names (as in the file) to classes or functions.
            Defaults to `None`.
        safe_mode: Refuse anything that could run code the file carries: Python lambdas
            (marshalled bytecode) and classes from modules that are neither lamina's (Keras'
            names) nor registered. Inside `load_model` the load's value holds. Defaults to
            `True`.
        **kwargs: Ignored (Keras' `module_objects`, `printable_module_name`).

    Returns:
        The object.

    Raises:
        ValueError: If the name is unknown, or the file needs `safe_mode=False`.
    """
    with load_context(custom_objects, safe_mode):
        return _deserialize(config)


def _deserialize(config):
    if config is None or isinstance(config, (bool, int, float)):
        return config
    if isinstance(config, str):
        found = get_registered_object(config)
        return found if found is not None else config
    if isinstance(config, (list, tuple)):
        return [_deserialize(item) for item in config]
    if not isinstance(config, dict):
        raise TypeError("`deserialize_keras_object` expects a dict, list or JSON value. "
                        f"Received: config={config!r} (of type {type(config).__name__}).")
    if "class_name" not in config:
        return {key: _deserialize(value) for key, value in config.items()}
    class_name, inner = config["class_name"], config.get("config")
    if class_name == "__numpy__":
        return np.asarray(inner["value"], dtype=inner["dtype"])
    if class_name == "__lambda__":
        return load_lambda(inner)
    if class_name in ("__tensor__", "__bytes__"):
        value = inner["value"]
        return np.asarray(value, dtype=inner["dtype"]) if class_name == "__tensor__" else \
            value.encode("latin-1")
    target = resolve(config)
    if class_name == "function":
        return target
    inner = dict(inner or {})
    if not isinstance(target, type):
        raise TypeError(f"'{class_name}' in the file resolves to {target!r}, which is not a "
                        "class and cannot be built from a config.")
    instance = _from_config(target, inner)
    build_config = config.get("build_config")
    if build_config and not getattr(instance, "built", True):
        build_from_config(instance, build_config)
    return instance


def _from_config(cls, inner):
    if registry.registered_name(cls) == ("keras.layers", "Lambda") and \
            isinstance(inner.get("function"), dict):
        inner = {**inner, "function": _deserialize(inner["function"])}  # lambdas: safe_mode
    from_config = getattr(cls, "from_config", None)
    if from_config is None:
        return cls(**inner)
    return from_config(_clean_layer_config(cls, inner))


def resolve(config):
    """The class or function a Keras dict names, found without importing arbitrary modules.

    Raises:
        ValueError: If nothing by that name is known, or only an import (refused in safe
            mode) could find it.
    """
    class_name, module = config["class_name"], config.get("module")
    registered = config.get("registered_name")
    name = config.get("config") if class_name == "function" else class_name
    for key in (registered, name):
        if key:
            found = get_registered_object(key)
            if found is not None:
                return found
    if module is None or module == "builtins" or str(module).startswith("keras") or \
            str(module).startswith("lamina"):
        found = _lookup_builtin(module, name)
        if found is not None:
            return found
        if not str(module).startswith("lamina"):
            raise ValueError(
                f"Could not locate {'function' if class_name == 'function' else 'class'} "
                f"'{name}' (module {module!r}). lamina implements Keras' built-in objects; a "
                "custom object must be passed as `custom_objects={...}` or registered with "
                "`@keras.saving.register_keras_serializable()`.")
    if in_safe_mode():
        raise ValueError(
            f"The file names '{name}' from the Python module '{module}', which is neither "
            "part of lamina nor a registered custom object. Loading it would import that "
            "module and run its code, which a file from an untrusted source could abuse. "
            "Pass the object explicitly with `custom_objects={'" + str(name) + "': ...}`, "
            "register it with `@keras.saving.register_keras_serializable()`, or, if you trust "
            "this file, load it with `safe_mode=False`.")
    try:
        return getattr(importlib.import_module(module), name)
    except (ImportError, AttributeError) as error:
        raise ValueError(f"Could not locate '{name}' in module '{module}': {error}.") from error


def _lookup_builtin(module, name):
    tables = _KERAS_MODULES.get(module)
    if tables is None and module and module.startswith("keras.src."):
        tables = ("keras." + module.split(".")[2],)  # keras.src.layers.core.dense -> layers
    if tables is None:
        tables = (module,) if module in registry._BY_MODULE else ()
    for table in (*tables, *registry._BY_MODULE):  # then any family: Keras moves names around
        found = registry._BY_MODULE.get(table, {}).get(name)
        if found is not None:
            return found
    return None


def load_lambda(config):
    """Rebuild a lambda from Keras' `"__lambda__"` config, only with `safe_mode=False`.

    Raises:
        ValueError: In safe mode: running bytecode from a file can run any code.
    """
    if in_safe_mode():
        raise ValueError(
            "The file contains a Python lambda (a `Lambda` layer's function, saved as "
            "marshalled bytecode). Loading it would run code from the file, which a file from "
            "an untrusted source could use to do anything your account can do. If you trust "
            "this file, load it with `safe_mode=False`, e.g. "
            "`keras.saving.load_model(path, safe_mode=False)`; better, replace the lambda by a "
            "registered function or layer (`@keras.saving.register_keras_serializable()`).")
    code = marshal.loads(base64.b64decode(config["code"]))  # trusted: safe_mode=False
    defaults = config.get("defaults")
    closure = config.get("closure")
    cells = None if closure is None else tuple(types.CellType(value) for value in closure)
    return types.FunctionType(code, {"__builtins__": __builtins__}, code.co_name,
                              None if defaults is None else tuple(defaults), cells)


def build_from_config(instance, build_config):
    """Build `instance` (a layer or model) from its saved `build_config`."""
    custom = getattr(instance, "build_from_config", None)
    if custom is not None:
        custom(build_config)
        return
    shape = build_config.get("input_shape") if isinstance(build_config, dict) else None
    if shape is None:
        return
    from lamina.layers.keras_tensor import KerasTensor

    if shape and all(isinstance(s, (list, tuple)) for s in shape):
        args = ([KerasTensor(tuple(s)) for s in shape],)
    else:
        args = (KerasTensor(tuple(shape)),)
    if hasattr(instance, "_graph") and not hasattr(type(instance), "_rebuild"):  # a Model
        instance.build(_shape_of(args[0]))
        return
    instance._build_for(args, {})


def _shape_of(value):
    if isinstance(value, list):
        return [tuple(v.shape) for v in value]
    return tuple(value.shape)


# Keys Keras writes that lamina's constructors do not take, ignored when they hold their
# inert default (anything else reaches the constructor and fails with its own message).
_INERT_KEYS = {"quantization_config": (None,), "ragged": (False,), "shared_object_id": None,
               "lora_rank": (None,), "lora_alpha": (None,)}


def _clean_layer_config(cls, inner):
    if not isinstance(inner, dict):
        return inner
    accepted = _accepted_arguments(cls)
    cleaned = {}
    for key, value in inner.items():
        inert = _INERT_KEYS.get(key, ())
        if key not in accepted and (inert is None or value in inert):
            continue
        cleaned[key] = value
    return cleaned


def _accepted_arguments(cls):
    import inspect

    names = set()
    for klass in cls.__mro__:
        init = klass.__dict__.get("__init__")
        if init is None:
            continue
        try:
            names.update(inspect.signature(init).parameters)
        except (TypeError, ValueError):  # a builtin without a signature
            continue
    return names | {"input_shape", "input_dim", "batch_size", "batch_input_shape"}
