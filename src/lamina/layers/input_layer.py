"""`Input` and `InputLayer`: the entry points of a functional graph."""

from lamina import config
from lamina.layers.keras_tensor import KerasTensor, Node
from lamina.layers.layer import Layer
from lamina.naming import unique_name
from lamina.registry import register
from lamina.validation import validate_shape


@register("keras.layers")
class InputLayer(Layer):
    """The layer behind `Input(...)`: holds the symbolic input tensor of a functional model.

    Args:
        shape: Shape of one sample, without the batch dimension, e.g. `(784,)`.
        batch_size: Optional fixed batch size. Defaults to `None`.
        dtype: Dtype of the input. Defaults to `"float32"`.
        sparse: Must be `False` (sparse inputs are not supported). Defaults to `False`.
        batch_shape: Full shape including the batch dimension, instead of `shape`.
        name: Name. Defaults to `"input_layer"`, numbered.
        input_tensor: Not supported: lamina builds inputs from shapes only.
    """

    def __init__(self, shape=None, batch_size=None, dtype=None, sparse=None, batch_shape=None,
                 input_tensor=None, optional=False, name=None, **kwargs):
        # Keras 2 spellings
        shape = kwargs.pop("input_shape", shape)
        batch_shape = kwargs.pop("batch_input_shape", batch_shape)
        if dtype is None:  # floatx, whatever the global dtype policy (as Keras)
            dtype = config.floatx()
        super().__init__(name=name or unique_name("input_layer"), dtype=dtype, **kwargs)
        if sparse:
            raise ValueError("`InputLayer` does not support `sparse=True` in lamina: PyTorch "
                             "layers take dense tensors. Received: sparse=True.")
        if input_tensor is not None:
            raise ValueError("`InputLayer` does not support `input_tensor` in lamina. Pass "
                             "`shape=` instead. Received: input_tensor=" + repr(input_tensor))
        if shape is None and batch_shape is None:
            raise ValueError("`Input` expects a `shape` (one sample, without the batch "
                             "dimension) or a `batch_shape`. Received: shape=None.")
        if batch_shape is not None:
            batch_shape = validate_shape(batch_shape, "batch_shape", self)
        else:
            shape = validate_shape(shape, "shape", self)
            batch_shape = (batch_size, *shape)
        self.batch_shape = batch_shape
        self.optional = optional
        self.built = True
        tensor = KerasTensor(batch_shape, dtype=self._dtype, name=self.name)
        Node(self, (), {}, tensor)
        self.output_tensor = tensor

    @property
    def dtype(self):
        return str(self._dtype).replace("torch.", "")

    def call(self, inputs):
        return inputs

    def get_config(self):
        return {"batch_shape": self.batch_shape, "dtype": self.dtype, "sparse": False,
                "name": self.name}


def Input(shape=None, batch_size=None, dtype=None, sparse=None, batch_shape=None, name=None,
          tensor=None, optional=False):
    """A symbolic input of a functional model (Keras' `keras.Input`).

    Args:
        shape: Shape of one sample, without the batch dimension, e.g. `(784,)`.
        batch_size: Optional fixed batch size. Defaults to `None`.
        dtype: Dtype. Defaults to `"float32"`.
        batch_shape: Full shape including the batch dimension, instead of `shape`.
        name: Name of the input. Defaults to `"input_layer"`, numbered.

    Returns:
        A `KerasTensor`.

    Example:
    >>> import lamina as keras
    >>> keras.Input(shape=(784,)).shape
    (None, 784)
    """
    layer = InputLayer(shape=shape, batch_size=batch_size, dtype=dtype or config.floatx(),
                       sparse=sparse, batch_shape=batch_shape, name=name, input_tensor=tensor,
                       optional=optional)
    return layer.output_tensor
