"""Core layers: `Dense`, `Activation`, `Embedding`, `Lambda`, `Masking`, `TorchModuleWrapper`.

Keras 2's `keras.layers.core` module also held layers that now live in other families
(`Dropout`, `Flatten`, `Reshape`, ...): they can still be imported from here, with a
`DeprecationWarning` naming `keras.layers.<Name>` (see `lamina.deprecation`).
"""

from lamina.deprecation import module_getattr as _module_getattr
from lamina.layers.core.activation import Activation
from lamina.layers.core.dense import Dense
from lamina.layers.core.embedding import Embedding
from lamina.layers.core.lambda_layer import Lambda
from lamina.layers.core.masking import Masking
from lamina.layers.core.torch_module_wrapper import TorchModuleWrapper

__all__ = ["Activation", "Dense", "Embedding", "Lambda", "Masking", "TorchModuleWrapper"]

# Keras 2's `keras.layers.core` names that live in other families now.
_KERAS2_NAMES = ("ActivityRegularization", "Dropout", "Flatten", "Permute", "RepeatVector",
                 "Reshape", "SpatialDropout1D", "SpatialDropout2D", "SpatialDropout3D")
__getattr__ = _module_getattr(__name__,
                              {name: f"lamina.layers:{name}" for name in _KERAS2_NAMES})
