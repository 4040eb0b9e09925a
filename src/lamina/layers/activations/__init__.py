"""Activation layers: activation functions with their own arguments or weights."""

from lamina.layers.activations.prelu import PReLU
from lamina.layers.activations.rectifiers import ELU, LeakyReLU, ReLU
from lamina.layers.activations.softmax import Softmax

__all__ = ["ELU", "LeakyReLU", "PReLU", "ReLU", "Softmax"]
