"""Keras 1 constructor arguments of the built-in layers, renamed to their Keras 2/3 names.

`Dense(output_dim=10, init="uniform", W_regularizer=l2(0.01))` is Keras 1's spelling of
`Dense(units=10, kernel_initializer="uniform", kernel_regularizer=l2(0.01))`. Keras 2
translated these with a decorator on each constructor; here `Layer.__init_subclass__` calls
`accept_keras1_arguments(cls)` for every lamina layer class, which wraps the constructors of the
classes listed in `_ARGUMENTS` once, when the class is defined. Each legacy argument is
renamed (and `dim_ordering`'s values mapped) before the real constructor runs, with one
`DeprecationWarning` naming the modern spelling. Constructors without legacy arguments run
as they are: the wrapper only looks at the keyword names.
"""

import functools

from lamina import deprecation

_DIM_ORDERING = {"tf": "channels_last", "th": "channels_first", "default": None}

_WEIGHTS = {"init": "kernel_initializer", "W_regularizer": "kernel_regularizer",
            "b_regularizer": "bias_regularizer", "W_constraint": "kernel_constraint",
            "b_constraint": "bias_constraint", "bias": "use_bias"}
_CONV = {**_WEIGHTS, "nb_filter": "filters", "border_mode": "padding"}
_RNN = {"output_dim": "units", "init": "kernel_initializer",
        "inner_init": "recurrent_initializer", "W_regularizer": "kernel_regularizer",
        "U_regularizer": "recurrent_regularizer", "b_regularizer": "bias_regularizer",
        "dropout_W": "dropout", "dropout_U": "recurrent_dropout"}
_GATED_RNN = {**_RNN, "inner_activation": "recurrent_activation"}
_DATA_FORMAT = {"dim_ordering": "data_format"}
_POOL = {"border_mode": "padding", "dim_ordering": "data_format"}
_POOL_1D = {"pool_length": "pool_size", "stride": "strides", "border_mode": "padding"}
_RATE = {"p": "rate"}

# Class name -> ({Keras 1 name: modern name}, (Keras 1 names joined into `kernel_size`)).
_ARGUMENTS = {
    "Dense": ({**_WEIGHTS, "output_dim": "units"}, ()),
    "Conv1D": ({**_CONV, "filter_length": "kernel_size", "subsample_length": "strides"}, ()),
    "Conv2D": ({**_CONV, "subsample": "strides", **_DATA_FORMAT}, ("nb_row", "nb_col")),
    "Conv3D": ({**_CONV, "subsample": "strides", **_DATA_FORMAT},
               ("kernel_dim1", "kernel_dim2", "kernel_dim3")),
    "SimpleRNN": (_RNN, ()),
    "GRU": (_GATED_RNN, ()),
    "LSTM": (_GATED_RNN, ()),
    "Embedding": ({"init": "embeddings_initializer", "W_regularizer": "embeddings_regularizer",
                   "W_constraint": "embeddings_constraint"}, ()),
    "BatchNormalization": ({"beta_init": "beta_initializer",
                            "gamma_init": "gamma_initializer"}, ()),
    "PReLU": ({"init": "alpha_initializer"}, ()),
    "Dropout": (_RATE, ()),
    "SpatialDropout1D": (_RATE, ()),
    "SpatialDropout2D": ({**_RATE, **_DATA_FORMAT}, ()),
    "SpatialDropout3D": ({**_RATE, **_DATA_FORMAT}, ()),
    "GaussianDropout": (_RATE, ()),
    "GaussianNoise": ({"sigma": "stddev"}, ()),
    "MaxPooling1D": (_POOL_1D, ()),
    "AveragePooling1D": (_POOL_1D, ()),
    "UpSampling1D": ({"length": "size"}, ()),
    **{name: (_POOL, ()) for name in ("MaxPooling2D", "MaxPooling3D", "AveragePooling2D",
                                      "AveragePooling3D")},
    **{name: (_DATA_FORMAT, ()) for name in (
        "GlobalMaxPooling2D", "GlobalMaxPooling3D", "GlobalAveragePooling2D",
        "GlobalAveragePooling3D", "UpSampling2D", "UpSampling3D", "ZeroPadding2D",
        "ZeroPadding3D", "Cropping2D", "Cropping3D")},
}


def accept_keras1_arguments(cls):
    """Wrap `cls.__init__` to translate Keras 1 arguments, if `cls` is a built-in layer
    listed in `_ARGUMENTS` (a user's class of the same name is left alone)."""
    found = _ARGUMENTS.get(cls.__name__)
    if found is None or not cls.__module__.startswith("lamina.layers."):
        return
    renames, kernel_parts = found
    legacy = frozenset(renames) | frozenset(kernel_parts)
    init = cls.__init__
    owner = cls.__name__

    @functools.wraps(init)
    def __init__(self, *args, **kwargs):
        if not legacy.isdisjoint(kwargs):
            kwargs = _translate(owner, renames, kernel_parts, kwargs)
        init(self, *args, **kwargs)

    cls.__init__ = __init__


def _translate(owner, renames, kernel_parts, kwargs):
    kwargs = dict(kwargs)
    for old, new in renames.items():
        if old not in kwargs:
            continue
        value = kwargs.pop(old)
        _check_not_both(owner, old, new, kwargs)
        if old == "dim_ordering":
            value = _DIM_ORDERING.get(value, value)  # an unknown value fails in the layer
        kwargs[new] = value
        deprecation.warn(f"`{owner}({old}=...)` is deprecated in Keras 3; use "
                         f"`{new}={deprecation.short_repr(value)}`.")
    given = [part for part in kernel_parts if part in kwargs]
    if given:
        if len(given) != len(kernel_parts):
            missing = ", ".join(f"`{p}`" for p in kernel_parts if p not in kwargs)
            raise ValueError(
                f"`{owner}` received the Keras 1 kernel size arguments "
                f"{', '.join(f'`{p}`' for p in given)} without {missing}. Pass "
                f"`kernel_size=` (an integer or a tuple of {len(kernel_parts)} integers) "
                "instead. Received: " + ", ".join(f"{p}={kwargs[p]!r}" for p in given) + ".")
        _check_not_both(owner, given[0], "kernel_size", kwargs)
        kernel_size = tuple(kwargs.pop(part) for part in kernel_parts)
        kwargs["kernel_size"] = kernel_size
        deprecation.warn(f"`{owner}({', '.join(f'{p}=...' for p in kernel_parts)})` is "
                         f"deprecated in Keras 3; use `kernel_size={kernel_size!r}`.")
    return kwargs


def _check_not_both(owner, old, new, kwargs):
    if new in kwargs:
        raise ValueError(f"`{owner}` received both `{old}` (its Keras 1 name) and `{new}`. "
                         f"Pass only `{new}`. Received: {new}={kwargs[new]!r}.")
