"""Warnings for Keras 1/2 spellings that lamina still accepts, pointing at the user's line.

A legacy spelling (a module path such as `keras.layers.core`, an argument such as `lr=`, a
method such as `fit_generator`) keeps working and emits one `DeprecationWarning` that names
its modern spelling. The warning is attributed to the first frame outside lamina, so Python's
default filters show it once per line of user code, and `-W error::DeprecationWarning` points
there.

Legacy module paths are served by a module-level `__getattr__` (see `module_getattr`): the
legacy names are resolved, and warned about, when they are taken from the module, so a
plain `import lamina` never warns.
"""

import importlib
import os
import sys
import warnings

_LAMINA_DIR = os.path.dirname(os.path.abspath(__file__)) + os.sep


def _is_importlib(filename):
    # The frozen import machinery; `warnings.warn` itself skips these frames when it counts.
    return "importlib" in filename and "_bootstrap" in filename


def _user_stacklevel():
    """The `stacklevel` for `warnings.warn` called from `warn` that names the first frame
    outside lamina (import-machinery frames are skipped by `warnings` and not counted)."""
    frame = sys._getframe(2)  # the caller of `warn`
    level = 2
    while frame is not None:
        filename = frame.f_code.co_filename
        if not _is_importlib(filename):
            if not filename.startswith(_LAMINA_DIR):
                break
            level += 1
        frame = frame.f_back
    return level


def warn(message, category=DeprecationWarning):
    """Emit `message` as a `category` warning attributed to the user's line.

    Args:
        message: The text, naming the modern spelling.
        category: The warning class. Defaults to `DeprecationWarning`.
    """
    warnings.warn(message, category, stacklevel=_user_stacklevel())


def short_repr(value):
    """`repr(value)` for messages: short literals as written, anything else as `...`."""
    text = repr(value)
    return text if len(text) <= 40 and not text.startswith("<") else "..."


def module_getattr(module_name, table):
    """A module `__getattr__` serving the legacy names of module `module_name`.

    Args:
        module_name: The legacy module's name, e.g. `"lamina.layers.core"`.
        table: `{legacy name: "package.module:attribute"}`, where the modern object lives.
            The message names it as `package.module.attribute`.

    Returns:
        A function to assign to the module's `__getattr__`: it returns the object a legacy
        name stands for (with one `DeprecationWarning`), and raises `AttributeError` for any
        other name.
    """

    def __getattr__(name):
        target = table.get(name)
        if target is None:
            raise AttributeError(f"module '{module_name}' has no attribute '{name}'")
        where, attribute = target.split(":")
        value = getattr(importlib.import_module(where), attribute)
        # `from package import name` looks the name up twice: once from the import machinery
        # (`hasattr`, to decide whether to import a submodule), once from the user's line.
        # Only the second is the user's, so only it warns.
        if not _is_importlib(sys._getframe(1).f_code.co_filename):
            warn(f"`{module_name}.{name}` (a Keras 2 import path) is deprecated in Keras 3; "
                 f"use `{where}.{attribute}`.")
        return value

    return __getattr__
