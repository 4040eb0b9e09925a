"""Reshaping layers."""

from lamina.layers.reshaping.flatten import Flatten
from lamina.layers.reshaping.reshape import Reshape

__all__ = ["Flatten", "Reshape"]
