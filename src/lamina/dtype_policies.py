"""Dtype policies: Keras 3's `keras.dtype_policies` (defined in `lamina.mixed_precision`)."""

from lamina.mixed_precision.policy import (
    DTypePolicy,
    FloatDTypePolicy,
    deserialize,
    get,
    serialize,
)

__all__ = ["DTypePolicy", "FloatDTypePolicy", "deserialize", "get", "serialize"]
