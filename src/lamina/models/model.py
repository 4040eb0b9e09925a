"""`Model`: a layer with training and a summary; functional or subclassed.

`Model(inputs, outputs)` builds a functional model (a `FunctionalGraph` replayed by `call`);
`Model()` from a subclass is a subclassed model whose `call` the user writes. Both share the
training API of `lamina.training.Trainer`. There is no `__new__` trick: one class, two ways of
defining `call`.
"""

import inspect

import torch
from torch import nn

from lamina.layers.keras_tensor import flatten
from lamina.layers.layer import Layer
from lamina.models.functional import FunctionalGraph
from lamina.naming import unique_name
from lamina.registry import register
from lamina.training.trainer import Trainer


@register("keras", aliases=("Functional",))
class Model(Trainer, Layer):
    """A model: layers with `compile`, `fit`, `evaluate`, `predict`, `summary` and saving.

    Functional: `Model(inputs, outputs, name=None)` where `inputs`/`outputs` are KerasTensors (or
    lists/dicts of them) from `keras.Input(...)` and layer calls. Subclassed: define layers in
    `__init__` (after `super().__init__()`) and the forward pass in `call(inputs, training=None)`.

    Example:
    >>> import lamina as keras
    >>> inputs = keras.Input(shape=(4,))
    >>> model = keras.Model(inputs, keras.layers.Dense(2)(inputs))
    >>> model.count_params()
    10
    """

    def __init__(self, *args, **kwargs):
        inputs = kwargs.pop("inputs", args[0] if len(args) > 0 else None)
        outputs = kwargs.pop("outputs", args[1] if len(args) > 1 else None)
        if len(args) > 2:
            raise TypeError(f"`Model` takes at most 2 positional arguments (inputs, outputs). "
                            f"Received {len(args)}.")
        if (inputs is None) != (outputs is None):
            raise ValueError("A functional `Model` needs both `inputs` and `outputs`. Received: "
                             f"inputs={inputs!r}, outputs={outputs!r}.")
        if inputs is not None and kwargs.get("name") is None:
            kwargs["name"] = unique_name("functional")
        Layer.__init__(self, **kwargs)
        Trainer.__init__(self)
        self._graph = None
        if inputs is not None:
            self._set_graph(FunctionalGraph(inputs, outputs))

    def _set_graph(self, graph):
        names = [layer.name for layer in graph.layers]
        duplicated = sorted({n for n in names if names.count(n) > 1})
        if duplicated:
            raise ValueError(f"The name {duplicated[0]!r} is used {names.count(duplicated[0])} "
                             "times in the model. All layer names should be unique.")
        self._graph = graph
        self._layers = nn.ModuleDict({_key(layer.name): layer for layer in graph.layers})
        self.built = True
        first = flatten(graph.inputs)
        if len(first) == 1:
            self._build_shape = first[0].shape

    # -- structure ------------------------------------------------------------------------------
    @property
    def layers(self):
        """The model's layers: graph order for functional models (input layers first), attribute
        order for subclassed ones."""
        if self._graph is not None:
            return list(self._graph.layers)
        return _child_layers(self)

    def get_layer(self, name=None, index=None):
        """A layer by `name` or by `index` in `layers`."""
        if (name is None) == (index is None):
            raise ValueError("`get_layer` expects exactly one of `name` or `index`. Received: "
                             f"name={name!r}, index={index!r}.")
        layers = self.layers
        if index is not None:
            if not -len(layers) <= index < len(layers):
                raise ValueError(f"Was asked to retrieve layer at index {index} but model only "
                                 f"has {len(layers)} layers.")
            return layers[index]
        for layer in layers:
            if layer.name == name:
                return layer
        raise ValueError(f"No such layer: {name}. Existing layers are: "
                         f"{[layer.name for layer in layers]}.")

    @property
    def inputs(self):
        return None if self._graph is None else flatten(self._graph.inputs)

    @property
    def outputs(self):
        return None if self._graph is None else flatten(self._graph.outputs)

    @property
    def input(self):
        return None if self._graph is None else self._graph.inputs

    @property
    def output(self):
        return None if self._graph is None else self._graph.outputs

    @property
    def input_names(self):
        return [] if self._graph is None else list(self._graph.input_names)

    @property
    def output_names(self):
        if self._graph is None:
            return ["output"]
        return list(self._graph.output_names)

    @property
    def input_shape(self):
        if self._graph is None:
            return self._build_shape
        shapes = [t.shape for t in flatten(self._graph.inputs)]
        return shapes[0] if len(shapes) == 1 else shapes

    @property
    def output_shape(self):
        if self._graph is None:
            raise RuntimeError(f"Model '{self.name}' has no defined output shape: it is a "
                                 "subclassed model. Call it on data to see its outputs.")
        shapes = [t.shape for t in flatten(self._graph.outputs)]
        return shapes[0] if len(shapes) == 1 else shapes

    # -- build and call -------------------------------------------------------------------------
    def call(self, inputs, training=None, mask=None):
        if self._graph is None:
            raise NotImplementedError(  # abstract: a subclassed model defines call()
                f"Model {type(self).__name__} does not have a `call()` method implemented. A "
                "subclassed model defines `call(self, inputs, training=None)`; a functional "
                "model is created with `Model(inputs, outputs)`."
            )
        return self._graph.run(inputs)

    def build(self, input_shape):
        """Build a subclassed model's weights by running `call` once on zeros of `input_shape`
        (unknown dimensions taken as 1), and record `input_shape` as Keras does: it is the
        model's `build_config` (`{"input_shape": ...}`), what `summary`, `export` and saving
        read."""
        dummy = _zeros_like_shape(input_shape)
        with torch.inference_mode(False), torch.no_grad():
            self.call(dummy)
        self._build_shape = _as_shape(input_shape)
        self.built = True

    def _build_for(self, args, kwargs):
        if type(self).build is Model.build:  # nothing to build up front: sublayers build lazily
            first = args[0] if args else next(iter(kwargs.values()))
            shape = getattr(first, "shape", None)
            self._build_shape = (None, *tuple(shape)[1:]) if shape is not None else None
            self.built = True
            return
        Layer._build_for(self, args, kwargs)

    def summary(self, line_length=None, positions=None, print_fn=None, expand_nested=False,
                show_trainable=False, layer_range=None):
        """Print a table of the layers, their output shapes and parameter counts, in Keras'
        layout. See `lamina.models.summary.print_summary`."""
        from lamina.models.summary import print_summary

        print_summary(self, line_length=line_length, positions=positions, print_fn=print_fn,
                      expand_nested=expand_nested, show_trainable=show_trainable,
                      layer_range=layer_range)

    # -- configuration and saving ---------------------------------------------------------------
    def get_config(self):
        """Keras 3's config: for a functional model `name`, `trainable`, `layers` (each with
        its `inbound_nodes`), `input_layers` and `output_layers`; for a subclassed model
        `name` and `trainable` (override `get_config` to add constructor arguments)."""
        from lamina.saving.functional_config import graph_config

        config = {"name": self.name, "trainable": self.trainable}
        if self._graph is not None:
            config.update(graph_config(self._graph))
        return config

    @classmethod
    def from_config(cls, config, custom_objects=None):
        """Rebuild a model from `get_config()`: a functional config's layers are created and
        called again on new `Input`s; other configs go to the constructor."""
        from lamina.saving import serialization_lib
        from lamina.saving.functional_config import rebuild_graph

        is_functional = "layers" in config and "input_layers" in config
        with serialization_lib.load_context(custom_objects, serialization_lib.in_safe_mode()):
            if is_functional and (cls is Model or "layers" not in
                                  inspect.signature(cls.__init__).parameters):
                inputs, outputs = rebuild_graph(config)
                return cls(inputs=inputs, outputs=outputs, name=config.get("name"),
                           trainable=config.get("trainable", True))
            return cls(**config)

    def get_compile_config(self):
        """The arguments given to `compile`, in Keras' serialised form (`None` if not
        compiled)."""
        if not self.compiled:
            return None
        from lamina.saving.serialization_lib import serialize_keras_object

        return serialize_keras_object(self._compile_config)

    def save(self, filepath, overwrite=True, zipped=None, **kwargs):
        """Save the model as a `.keras` file (Keras 3's format) or a legacy `.h5` / `.hdf5`
        file: architecture, weights, compile arguments and optimizer state. See
        `lamina.saving.save_model`."""
        from lamina.saving import save_model

        save_model(self, filepath, overwrite=overwrite, zipped=zipped, **kwargs)

    def save_weights(self, filepath, overwrite=True, max_shard_size=None):
        """Save the weights to a `.weights.h5` file (Keras 3's layout), to `.weights.json`
        and its shards with `max_shard_size` (GB), or to a legacy `.h5` file. See
        `lamina.saving.save_weights`."""
        from lamina.saving import save_weights

        save_weights(self, filepath, overwrite=overwrite, max_shard_size=max_shard_size)

    def load_weights(self, filepath, skip_mismatch=False, by_name=False):
        """Load weights from a `.weights.h5`, `.weights.json` (sharded), `.keras` or legacy
        `.h5` file written by lamina or Keras (`by_name` for legacy files). See
        `lamina.saving.load_weights`."""
        from lamina.saving import load_weights

        load_weights(self, filepath, skip_mismatch=skip_mismatch, by_name=by_name)

    def export(self, filepath, format="onnx", verbose=True, input_signature=None, **kwargs):
        """Export the inference pass (`training=False`) as an ONNX file or a `torch.export` program.

        The batch dimension stays dynamic. The model itself is not changed. See
        `lamina.saving.export.export_model` for the details.

        Args:
            filepath: Path of the file to write.
            format: `"onnx"` (inputs and outputs named after the model's; needs the `onnx`
                extra) or `"torch"` (a `.pt2` file for `torch.export.load`). Defaults to
                `"onnx"`.
            verbose: Whether to print where the file was saved. Defaults to `True`.
            input_signature: Shapes (`None` for unknown dimensions, batch first), `keras.Input`
                tensors or example arrays, one per model input. Defaults to `None`: the
                model's input shapes.
            **kwargs: `opset_version` for `"onnx"`; `torch.export.export`'s arguments for
                `"torch"`.

        Example:
        >>> import os, tempfile, torch
        >>> import lamina as keras
        >>> model = keras.Sequential([keras.Input(shape=(4,)), keras.layers.Dense(2)])
        >>> path = os.path.join(tempfile.mkdtemp(), "model.pt2")
        >>> model.export(path, format="torch", verbose=False)
        >>> torch.export.load(path).module()(torch.ones(3, 4)).shape
        torch.Size([3, 2])
        """
        from lamina.saving.export import export_model

        export_model(self, filepath, format=format, verbose=verbose,
                     input_signature=input_signature, **kwargs)

    def to_json(self, **kwargs):
        """The model's architecture as a JSON string (Keras' dict form); `kwargs` go to
        `json.dumps`. Rebuild it with `keras.models.model_from_json`."""
        import json

        from lamina.saving.serialization_lib import serialize_keras_object

        return json.dumps(serialize_keras_object(self), **kwargs)


def _key(name):
    """A layer's key among the model's submodules (torch forbids dots in module names)."""
    return name.replace(".", "_")


def _child_layers(module):
    found = []
    for child in module.children():
        if isinstance(child, Layer):
            found.append(child)
        elif isinstance(child, (nn.ModuleList, nn.ModuleDict)):
            found.extend(_child_layers(child))
    return found


def _as_shape(shape):
    """`shape` (a shape, or a list / dict of shapes) with each shape as a tuple."""
    if isinstance(shape, (list, tuple)) and shape and isinstance(shape[0], (list, tuple)):
        return [_as_shape(s) for s in shape]
    if isinstance(shape, dict):
        return {k: _as_shape(s) for k, s in shape.items()}
    return tuple(None if d is None else int(d) for d in shape)


def _zeros_like_shape(shape):
    from lamina import config

    if isinstance(shape, (list, tuple)) and shape and isinstance(shape[0], (list, tuple)):
        return [_zeros_like_shape(s) for s in shape]
    if isinstance(shape, dict):
        return {k: _zeros_like_shape(s) for k, s in shape.items()}
    return torch.zeros([1 if d is None else d for d in shape], device=config.device())
