"""Keras 2's `keras.utils.vis_utils` module path, deprecated in Keras 3.

It held `plot_model` and `model_to_dot`, which are `keras.utils.plot_model` and
`keras.utils.model_to_dot` now (in `lamina.utils.model_visualization`). Taking them from here
works, with a `DeprecationWarning` naming that spelling; the call is forwarded, and
`model_visualization` (with its optional dependencies) is imported only then.
`lamina.utils` never imports this module.
"""

from lamina import deprecation

_NAMES = ("model_to_dot", "plot_model")


def _plot_model(*args, **kwargs):
    """`lamina.utils.model_visualization.plot_model(*args, **kwargs)`."""
    from lamina.utils import model_visualization

    return model_visualization.plot_model(*args, **kwargs)


def _model_to_dot(*args, **kwargs):
    """`lamina.utils.model_visualization.model_to_dot(*args, **kwargs)`."""
    from lamina.utils import model_visualization

    return model_visualization.model_to_dot(*args, **kwargs)


_FORWARDS = {"plot_model": _plot_model, "model_to_dot": _model_to_dot}


def __getattr__(name):
    forward = _FORWARDS.get(name)
    if forward is None:
        raise AttributeError(f"module '{__name__}' has no attribute '{name}'")
    deprecation.warn(f"`{__name__}.{name}` (a Keras 2 import path) is deprecated in Keras 3; "
                     f"use `lamina.utils.{name}`.")
    return forward


def __dir__():
    return list(_NAMES)
