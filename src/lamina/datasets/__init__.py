"""Small classic datasets, downloaded once and cached where Keras caches them."""

from lamina.datasets import mnist

__all__ = ["mnist"]
