"""Keras 2's `keras.layers.advanced_activations` module path, deprecated in Keras 3.

It held the activation layers. Each name resolves to the object in `lamina.layers`, with a
`DeprecationWarning` naming its Keras 3 spelling (see `lamina.deprecation`). `lamina.layers`
never imports this module.
"""

from lamina.deprecation import module_getattr as _module_getattr

_NAMES = ("ELU", "LeakyReLU", "PReLU", "ReLU", "Softmax")
__getattr__ = _module_getattr(__name__, {name: f"lamina.layers:{name}" for name in _NAMES})


def __dir__():
    return list(_NAMES)
