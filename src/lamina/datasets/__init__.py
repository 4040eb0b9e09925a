"""Small classic datasets, downloaded once and cached where Keras caches them."""

from lamina.datasets import imdb, mnist

__all__ = ["imdb", "mnist"]
