"""Preprocessing layers."""

from lamina.layers.preprocessing.normalization import Normalization

__all__ = ["Normalization"]
