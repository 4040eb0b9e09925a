"""One registry of every serialisable lamina object, keyed by its Keras name.

Each class or function that Keras knows by name is recorded with `@register("keras.losses")`
(optionally with aliases). Deserialisation (`get`, `deserialize`) looks names up here, so no
module needs to import another family to find a class by name, and the import graph keeps
its floors (see DESIGN.md).
"""

import difflib

_BY_MODULE = {}  # module -> {name: obj}
_NAME_OF = {}  # id(obj) -> (module, canonical name)


def register(module, name=None, aliases=()):
    """Decorator: record `obj` as Keras' `module.name` (and under each alias)."""

    def decorate(obj):
        canonical = name or obj.__name__
        table = _BY_MODULE.setdefault(module, {})
        for key in (canonical, *aliases):
            table[key] = obj
        _NAME_OF.setdefault(id(obj), (module, canonical))
        return obj

    return decorate


def registered_name(obj):
    """`(module, name)` under which `obj` (or its class) is registered, or `None`."""
    found = _NAME_OF.get(id(obj))
    if found is None and not isinstance(obj, type):
        found = _NAME_OF.get(id(type(obj)))
    return found


def names(module):
    """Sorted names registered under `module`."""
    return sorted(_BY_MODULE.get(module, {}))


def lookup(module, name, kind, custom_objects=None):
    """Return the object registered as `module.name`, or raise a `ValueError` that lists the
    valid names and the closest match."""
    if custom_objects and name in custom_objects:
        return custom_objects[name]
    table = _BY_MODULE.get(module, {})
    if name in table:
        return table[name]
    raise unknown_name_error(kind, name, sorted(table))


def unknown_name_error(kind, name, valid):
    close = difflib.get_close_matches(str(name), valid, n=1, cutoff=0.6)
    hint = f" Did you mean '{close[0]}'?" if close else ""
    return ValueError(
        f"Unknown {kind}: '{name}'.{hint} Valid names are: {', '.join(sorted(valid))}."
    )


def serialize(obj):
    """Keras 3's dict form of an object: `module`, `class_name`, `config`, `registered_name`.

    A function is written as Keras writes one: `class_name` "function" and its name as the
    config. An object must have `get_config`. Unregistered (custom) objects get
    `registered_name` `"Custom>Name"`, as Keras' `register_keras_serializable` default package.
    `None` (an absent regularizer, constraint, ...) is written as `None`, as Keras does.
    """
    if obj is None:
        return None
    found = registered_name(obj)
    is_function = callable(obj) and not hasattr(obj, "get_config")
    if found is not None:
        (module, name), registered = found, None
    elif is_function:
        module, name = getattr(obj, "__module__", None), getattr(obj, "__name__", repr(obj))
        registered = None
    else:
        module, name = type(obj).__module__, type(obj).__name__
        registered = f"Custom>{name}"
    if is_function:
        return {"module": module, "class_name": "function", "config": name,
                "registered_name": registered or "function"}
    return {"module": module, "class_name": name, "config": obj.get_config(),
            "registered_name": registered}


def deserialize(config, module, kind, custom_objects=None):
    """Build an object from Keras' dict form (`{"class_name": ..., "config": ...}`)."""
    if not isinstance(config, dict) or "class_name" not in config:
        raise TypeError(
            f"Expected a {kind} config dict with a 'class_name' key. Received: {config!r}"
        )
    class_name, inner = config["class_name"], config.get("config")
    if class_name == "function":
        return lookup(module, inner, kind, custom_objects)
    key = config.get("registered_name")
    if not (custom_objects and key in custom_objects):
        key = class_name
    return lookup(module, key, kind, custom_objects).from_config(inner or {})


def get(identifier, module, kind, custom_objects=None):
    """Resolve a user's `identifier` for an object of the family `module` (e.g. what a layer
    receives as `kernel_constraint=`): `None` stays `None`; a name or Keras' dict form is
    deserialised; a class is instantiated with its defaults; any other callable is returned as
    is. A class found by name or config is instantiated too."""
    if identifier is None:
        return None
    if isinstance(identifier, (str, dict)):
        if isinstance(identifier, str):
            identifier = {"class_name": identifier, "config": {}}
        identifier = deserialize(identifier, module, kind, custom_objects)
    if isinstance(identifier, type):
        return identifier()
    if callable(identifier):
        return identifier
    family = module.rsplit(".", 1)[-1]
    raise TypeError(f"`{family}.get` expects `identifier` to be a string, a config dict, a "
                    f"class or a callable. Received: identifier={identifier!r} "
                    f"(of type {type(identifier).__name__}).")
