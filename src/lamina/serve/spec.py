"""What a served model takes and gives: names, shapes and dtypes of its inputs and outputs.

`describe(model)` reads them once from the model's functional graph (a `Sequential` has one
too). A subclassed model has no graph: its single input takes the shape it was built with (or
any rank), and its outputs are only known from the values it returns.
"""

import math

import numpy as np
import torch

from lamina import config

# A flat vector is read as a square image only from this side up: 64 features (8x8) and more.
MIN_IMAGE_SIDE = 8
PROBABILITY_ACTIVATIONS = ("softmax", "sigmoid")


class TensorSpec:
    """One input or output: its `name`, `shape` (batch first, `None` where free; `None` when
    wholly unknown) and `dtype` (a `torch.dtype`).

    `wire_dtype` is the numpy dtype values are parsed into: the same, except `bfloat16` (which
    numpy lacks) travels as `float32` and is cast on the device.
    """

    def __init__(self, name, shape, dtype, probabilities=False):
        self.name = name
        self.shape = None if shape is None else tuple(shape)
        self.dtype = dtype
        self.wire_dtype = np.dtype("float32" if dtype == torch.bfloat16 else _dtype_name(dtype))
        self.probabilities = probabilities

    @property
    def dtype_name(self):
        return _dtype_name(self.dtype)

    def shape_text(self):
        """The shape as users write it, `batch` for the first dimension: `(batch, 28, 28)`."""
        if self.shape is None:
            return "(batch, ...)"
        dims = ["batch"] + ["None" if d is None else str(d) for d in self.shape[1:]]
        return "(" + ", ".join(dims) + ("," if len(dims) == 1 else "") + ")"

    def to_json(self):
        return {"name": self.name, "shape": None if self.shape is None else list(self.shape),
                "dtype": self.dtype_name}


class ModelSpec:
    """A model's inputs and outputs as the service sees them.

    Attributes:
        name: The model's name.
        inputs: List of `TensorSpec`, in the order the model takes them.
        outputs: List of `TensorSpec` (empty when only known at run time).
        input_structure: `"single"`, or `"dict"` when the model takes several inputs (they
            are passed by name).
        image: For a single-input model whose input is one grayscale image, a dict
            `{"height", "width", "layout"}` with layout `"hw"` `(H, W)`, `"hwc"` `(H, W, 1)`,
            `"chw"` `(1, H, W)` or `"flat"` `(H*W,)`; else `None`.
        image_classifier: Whether the web page's canvas can drive the model: an image input
            and one output of shape `(batch, classes)` with more than one class.
    """

    def __init__(self, name, inputs, outputs):
        self.name = name
        self.inputs = inputs
        self.outputs = outputs
        self.input_structure = "single" if len(inputs) == 1 else "dict"
        self.image = image_layout(inputs[0]) if len(inputs) == 1 else None
        self.image_classifier = (
            self.image is not None and len(outputs) == 1 and outputs[0].shape is not None
            and len(outputs[0].shape) == 2 and (outputs[0].shape[1] or 0) > 1)

    def input_names(self):
        return [spec.name for spec in self.inputs]


def describe(model):
    """The `ModelSpec` of a lamina model.

    Example:
    >>> import lamina as keras
    >>> inputs = keras.Input(shape=(784,), name="pixels")
    >>> model = keras.Model(inputs, keras.layers.Dense(10, activation="softmax")(inputs))
    >>> spec = describe(model)
    >>> spec.inputs[0].shape_text(), spec.image, spec.outputs[0].probabilities
    ('(batch, 784)', {'height': 28, 'width': 28, 'layout': 'flat'}, True)
    """
    graph = getattr(model, "_graph", None)
    if graph is None:  # subclassed: the shape it was built with, if any; outputs unknown
        shape = getattr(model, "_build_shape", None)
        return ModelSpec(model.name, [TensorSpec("input", shape, config.torch_dtype(None))], [])
    inputs = _named(graph.inputs, graph.input_names)
    outputs = _named(graph.outputs, graph.output_names)
    return ModelSpec(
        model.name,
        [TensorSpec(name, t.shape, t.dtype) for name, t in inputs],
        [TensorSpec(name, t.shape, t.dtype, probabilities=_ends_in_probabilities(t))
         for name, t in outputs],
    )


def image_layout(spec):
    """The single-channel image layout of an input `TensorSpec`, or `None` (see `ModelSpec`)."""
    if spec.shape is None or not spec.dtype.is_floating_point:
        return None
    dims = spec.shape[1:]
    if any(d is None for d in dims):
        return None
    if len(dims) == 1:
        side = math.isqrt(dims[0])
        height = width = side if side * side == dims[0] else 0
        layout = "flat"
    elif len(dims) == 2:
        (height, width), layout = dims, "hw"
    elif len(dims) == 3 and dims[2] == 1:
        (height, width), layout = dims[:2], "hwc"
    elif len(dims) == 3 and dims[0] == 1:
        (height, width), layout = dims[1:], "chw"
    else:
        return None
    if min(height, width) < MIN_IMAGE_SIDE:
        return None
    return {"height": height, "width": width, "layout": layout}


def _named(structure, layer_names):
    """(name, KerasTensor) pairs: dict keys when the graph's structure is a dict, else the
    layer names, made unique with a suffix where one layer gives several outputs."""
    if isinstance(structure, dict):
        return list(structure.items())
    from lamina.layers.keras_tensor import flatten

    tensors = flatten(structure)
    names = list(layer_names)
    for i, name in enumerate(names):
        if names.count(name) > 1:
            names[i] = f"{name}_{sum(1 for n in layer_names[:i] if n == name)}"
    return list(zip(names, tensors))


def _ends_in_probabilities(tensor):
    """Whether the layer making `tensor` ends in softmax or sigmoid."""
    node = tensor.node
    layer = None if node is None else node.layer
    if layer is None:
        return False
    if type(layer).__name__ == "Softmax":
        return True
    activation = getattr(layer, "activation", None)
    return getattr(activation, "__name__", None) in PROBABILITY_ACTIVATIONS


def _dtype_name(dtype):
    return str(dtype).replace("torch.", "")
