"""Keras 2's `keras.utils.np_utils` module path, deprecated in Keras 3.

It held `to_categorical` and `normalize`, which are `keras.utils.to_categorical` and
`keras.utils.normalize` now. Taking them from here works, with a `DeprecationWarning` naming
that spelling (see `lamina.deprecation`). `lamina.utils` never imports this module.
"""

from lamina.deprecation import module_getattr as _module_getattr

_NAMES = ("normalize", "to_categorical")
__getattr__ = _module_getattr(__name__, {name: f"lamina.utils:{name}" for name in _NAMES})


def __dir__():
    return list(_NAMES)
