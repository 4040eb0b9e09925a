"""Automatic object names, as Keras 3 gives them: `dense`, `dense_1`, `mean_squared_error`, ...

One counter per name, shared by layers, models, losses and metrics (Keras keeps one table too),
reset by `clear_session()`.
"""

import re

_NAME_COUNTS = {}


def to_snake_case(name):
    """Keras' rule: `"Conv2DTranspose"` -> `"conv2d_transpose"`, `"ReLU"` -> `"re_lu"`."""
    name = re.sub(r"\W+", "", name)
    name = re.sub(r"(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub(r"([a-z])([A-Z])", r"\1_\2", name).lower()


def unique_name(base):
    """`base`, then `base_1`, `base_2`, ... on later calls."""
    count = _NAME_COUNTS.get(base, 0)
    _NAME_COUNTS[base] = count + 1
    return base if count == 0 else f"{base}_{count}"


def auto_name(class_name):
    """The automatic name of an instance of `class_name`: snake case, made unique."""
    return unique_name(to_snake_case(class_name))


def clear_session():
    """Reset the automatic names, as Keras' `clear_session()` does: the next `Dense` is `dense`
    again."""
    _NAME_COUNTS.clear()
