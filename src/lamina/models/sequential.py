"""`Sequential`: a plain stack of layers, each with one input and one output."""

from torch import nn

from lamina.layers.core.torch_module_wrapper import TorchModuleWrapper
from lamina.layers.input_layer import Input, InputLayer
from lamina.layers.keras_tensor import KerasTensor
from lamina.layers.layer import Layer
from lamina.models.functional import FunctionalGraph
from lamina.models.model import Model, _key
from lamina.naming import unique_name
from lamina.registry import register


@register("keras")
class Sequential(Model):
    """A linear stack of layers.

    The input shape comes from a leading `keras.Input(shape)`, from `input_shape=`/`input_dim=`
    on the first layer, or from the first data the model sees (deferred build).

    Args:
        layers: Optional list of layers to add.
        trainable: Whether the model's weights are trainable. Defaults to `True`.
        name: Name. Defaults to `"sequential"`, numbered.

    Example:
    >>> import lamina as keras
    >>> model = keras.Sequential([keras.Input(shape=(784,)), keras.layers.Dense(10)])
    >>> model.output_shape
    (None, 10)
    """

    def __init__(self, layers=None, trainable=True, name=None):
        super().__init__(trainable=trainable, name=name or unique_name("sequential"))
        self._layers = nn.ModuleDict()
        self._input_layer = None
        self._call_layers = []
        for layer in layers or []:
            self.add(layer, rebuild=False)
        self._rebuild()

    def add(self, layer, rebuild=True):
        """Append a layer (or a `keras.Input`, or a plain `torch.nn.Module`) to the stack."""
        if isinstance(layer, KerasTensor):
            layer = layer.node.layer if layer.node is not None else layer
        if isinstance(layer, InputLayer):
            if self._call_layers or self._input_layer is not None:
                raise ValueError("An `Input` can only be the first entry of a Sequential model.")
            self._input_layer = layer
            self._layers[_key(layer.name)] = layer
            return
        if isinstance(layer, nn.Module) and not isinstance(layer, Layer):
            layer = TorchModuleWrapper(layer)
        if not isinstance(layer, Layer):
            raise TypeError("Only instances of `keras.Layer` (or `torch.nn.Module`) can be added "
                            f"to a Sequential model. Received: {layer!r} "
                            f"(of type {type(layer).__name__})")
        if _key(layer.name) in self._layers:
            raise ValueError("All layers added to a Sequential model should have unique names. "
                             f"Name '{layer.name}' is already the name of a layer in this model. "
                             "Update the `name` argument to pass a unique name.")
        if not self._call_layers and self._input_layer is None:
            shape = getattr(layer, "_batch_input_shape", None)
            if shape is not None:  # Keras 2 style: Dense(..., input_dim=784) as the first layer
                self._input_layer = Input(batch_shape=shape).node.layer
                self._layers[_key(self._input_layer.name)] = self._input_layer
        self._layers[_key(layer.name)] = layer
        self._call_layers.append(layer)
        if rebuild:
            try:
                self._rebuild()
            except Exception:  # a layer that does not fit leaves the model as it was
                self.pop()
                raise

    def pop(self, rebuild=True):
        """Remove and return the last layer."""
        if not self._call_layers:
            raise IndexError("There are no layers in the model.")
        layer = self._call_layers.pop()
        del self._layers[_key(layer.name)]
        if rebuild:
            self._rebuild()
        return layer

    def _rebuild(self):
        """Connect the stack into a functional graph when the input shape is known."""
        self._graph = None
        if self._input_layer is None or not self._call_layers:
            self.built = False
            return
        x = inputs = self._input_layer.output_tensor
        for layer in self._call_layers:
            x = layer(x)
            if isinstance(x, (list, tuple, dict)):
                raise ValueError(f"All layers in a Sequential model should have a single output "
                                 f"tensor. Layer '{layer.name}' returned {type(x).__name__}.")
        self._graph = FunctionalGraph(inputs, x)
        self.built = True
        self._build_shape = inputs.shape

    def build(self, input_shape=None):
        """Build the stack for inputs of `input_shape` (including the batch dimension)."""
        if input_shape is None:
            if self._graph is None:
                raise ValueError("`Sequential.build` needs an `input_shape` when the model has no "
                                 "`Input`. Received: input_shape=None.")
            return
        if self._input_layer is None:
            self._input_layer = Input(batch_shape=(None, *tuple(input_shape)[1:])).node.layer
            self._layers[_key(self._input_layer.name)] = self._input_layer
        self._rebuild()

    def _build_for(self, args, kwargs):
        first = args[0] if args else next(iter(kwargs.values()))
        self.build(tuple(first.shape))

    def call(self, inputs, training=None, mask=None):
        for layer in self._call_layers:
            inputs = layer(inputs)  # `training` reaches each layer through the call context
        return inputs

    @property
    def layers(self):
        """The layers, without the input layer."""
        return list(self._call_layers)

    @property
    def input_shape(self):
        if self._input_layer is None:
            raise RuntimeError(f"Sequential model '{self.name}' has no input shape yet: add an "
                                 "`Input(shape)` first or call the model on data.")
        return self._input_layer.batch_shape

    def get_config(self):
        """Keras 3's config: `name`, `trainable`, `dtype`, `layers` (the input layer first,
        each in Keras' dict form) and `build_input_shape`."""
        from lamina.mixed_precision import policy as dtype_policies
        from lamina.saving.serialization_lib import serialize_keras_object

        layers = ([self._input_layer] if self._input_layer is not None else []) + self.layers
        config = {"name": self.name, "trainable": self.trainable,
                  "dtype": dtype_policies.serialize(self._dtype_policy),
                  "layers": [serialize_keras_object(layer) for layer in layers]}
        for entry in config["layers"]:  # Keras 2's input_dim=: the InputLayer entry holds it
            entry["config"].pop("batch_input_shape", None)
        if self._input_layer is not None:
            config["build_input_shape"] = self._input_layer.batch_shape
        return config

    @classmethod
    def from_config(cls, config, custom_objects=None):
        from lamina.saving import serialization_lib

        model = cls(name=config.get("name"), trainable=config.get("trainable", True))
        with serialization_lib.load_context(custom_objects, serialization_lib.in_safe_mode()):
            for entry in config.get("layers", []):
                entry = {key: value for key, value in entry.items() if key != "build_config"}
                if "module" not in entry:  # lamina's earlier form: {"class_name", "config"}
                    entry = {**entry, "module": "keras.layers"}
                model.add(serialization_lib._deserialize(entry), rebuild=False)
        shape = config.get("build_input_shape")
        if model._input_layer is None and shape is not None:
            model.build(tuple(shape))
        else:
            model._rebuild()
        return model
