"""Layers: the `Layer` base class and the built-in layers (Keras' `keras.layers`).

Each family lives in its own subpackage, whose `__all__` lists the layers it exports here.
"""

from lamina.layers.activations import *  # noqa: F403
from lamina.layers.activations import __all__ as _activations
from lamina.layers.attention import *  # noqa: F403
from lamina.layers.attention import __all__ as _attention
from lamina.layers.convolutional import *  # noqa: F403
from lamina.layers.convolutional import __all__ as _convolutional
from lamina.layers.core.activation import Activation
from lamina.layers.core.dense import Dense
from lamina.layers.core.embedding import Embedding
from lamina.layers.core.lambda_layer import Lambda
from lamina.layers.core.masking import Masking
from lamina.layers.core.torch_module_wrapper import TorchModuleWrapper
from lamina.layers.input_layer import Input, InputLayer
from lamina.layers.keras_tensor import KerasTensor
from lamina.layers.layer import Layer
from lamina.layers.merging import *  # noqa: F403
from lamina.layers.merging import __all__ as _merging
from lamina.layers.normalization import *  # noqa: F403
from lamina.layers.normalization import __all__ as _normalization
from lamina.layers.pooling import *  # noqa: F403
from lamina.layers.pooling import __all__ as _pooling
from lamina.layers.preprocessing import *  # noqa: F403
from lamina.layers.preprocessing import __all__ as _preprocessing
from lamina.layers.regularization import *  # noqa: F403
from lamina.layers.regularization import __all__ as _regularization
from lamina.layers.reshaping import *  # noqa: F403
from lamina.layers.reshaping import __all__ as _reshaping
from lamina.layers.rnn import *  # noqa: F403
from lamina.layers.rnn import __all__ as _rnn
from lamina.layers.variable import Variable

__all__ = sorted([
    "Activation",
    "Dense",
    "Embedding",
    "Input",
    "InputLayer",
    "KerasTensor",
    "Lambda",
    "Layer",
    "Masking",
    "TorchModuleWrapper",
    "Variable",
    *_activations,
    *_attention,
    *_convolutional,
    *_merging,
    *_normalization,
    *_pooling,
    *_preprocessing,
    *_regularization,
    *_reshaping,
    *_rnn,
])
