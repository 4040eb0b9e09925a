"""Layers: the `Layer` base class and the built-in layers (Keras' `keras.layers`)."""

from lamina.layers.core.activation import Activation
from lamina.layers.core.dense import Dense
from lamina.layers.core.lambda_layer import Lambda
from lamina.layers.core.torch_module_wrapper import TorchModuleWrapper
from lamina.layers.input_layer import Input, InputLayer
from lamina.layers.keras_tensor import KerasTensor
from lamina.layers.layer import Layer
from lamina.layers.regularization.dropout import Dropout
from lamina.layers.reshaping.flatten import Flatten
from lamina.layers.reshaping.reshape import Reshape
from lamina.layers.variable import Variable

__all__ = [
    "Activation",
    "Dense",
    "Dropout",
    "Flatten",
    "Input",
    "InputLayer",
    "KerasTensor",
    "Lambda",
    "Layer",
    "Reshape",
    "TorchModuleWrapper",
    "Variable",
]
