"""Symbolic tensors of the functional API, the nodes that connect them, and shape inference.

`Input(shape)` returns a `KerasTensor`: a shape (with `None` for unknown dimensions) and a dtype,
no data. Calling a layer on KerasTensors records a `Node` (layer, arguments, outputs) and returns
new KerasTensors. Output shapes are not written by hand per layer: the layer's `call` runs on
fake tensors (`torch._subclasses.FakeTensorMode`: shapes and dtypes, no memory, no compute).
Unknown dimensions are filled with two different placeholder sizes; an output dimension that
changes between the two runs is unknown (`None`) too.
"""

import torch
from torch._subclasses.fake_tensor import FakeTensorMode

from lamina import config

_PLACEHOLDER_SIZES = (2, 3)  # two sizes for unknown dims; differing outputs become None


class KerasTensor:
    """A symbolic tensor: the shape and dtype of a value that flows through a functional graph.

    Attributes:
        shape: tuple of ints, `None` where unknown (the batch dimension usually is).
        dtype: a `torch.dtype`.
        name: optional name (the `Input`'s name).
    """

    __slots__ = ("shape", "dtype", "name", "_history", "_keras_mask", "__weakref__")

    def __init__(self, shape, dtype=None, name=None):
        self.shape = tuple(shape)
        self.dtype = config.torch_dtype(dtype)
        self.name = name
        self._history = None  # (node, index in node.outputs)
        self._keras_mask = None  # the symbolic mask the real tensor will carry (layers/masks.py)

    @property
    def ndim(self):
        return len(self.shape)

    @property
    def node(self):
        return None if self._history is None else self._history[0]

    def __repr__(self):
        dtype = str(self.dtype).replace("torch.", "")
        return f"<KerasTensor shape={self.shape}, dtype={dtype}, name={self.name}>"

    def __bool__(self):
        raise TypeError(
            "A symbolic KerasTensor has no value, so it cannot be used as a Python bool. This "
            "usually means Python control flow (`if`, `and`, `while`) ran on the output of "
            "`Input(...)`. Move that logic into a layer's `call` method."
        )

    def __array__(self, *args, **kwargs):
        raise TypeError(
            "A symbolic KerasTensor (from `Input(...)` or a layer called on one) cannot be "
            "converted to a numpy array: it has no value until the model is called on data."
        )


class Node:
    """One call of a layer inside a functional graph: `outputs = layer(*args, **kwargs)`."""

    def __init__(self, layer, args, kwargs, outputs):
        self.layer = layer
        self.args = args
        self.kwargs = kwargs
        self.input_tensors = [t for t in flatten(args) if isinstance(t, KerasTensor)] + [
            t for t in flatten(kwargs) if isinstance(t, KerasTensor)
        ]
        self.outputs = outputs  # the output structure, of KerasTensors
        self.output_tensors = flatten(outputs)
        for index, tensor in enumerate(self.output_tensors):
            tensor._history = (self, index)
        layer._inbound_nodes.append(self)

    @property
    def parent_nodes(self):
        return [t.node for t in self.input_tensors if t.node is not None]


# -- nested structures (tuples, lists, dicts) ---------------------------------------------------
def flatten(structure):
    """Leaves of nested tuples/lists/dicts (dicts in key-insertion order)."""
    if isinstance(structure, (list, tuple)):
        return [leaf for item in structure for leaf in flatten(item)]
    if isinstance(structure, dict):
        return [leaf for item in structure.values() for leaf in flatten(item)]
    return [structure]


def map_structure(fn, structure):
    if isinstance(structure, list):
        return [map_structure(fn, item) for item in structure]
    if isinstance(structure, tuple):
        return tuple(map_structure(fn, item) for item in structure)
    if isinstance(structure, dict):
        return {key: map_structure(fn, item) for key, item in structure.items()}
    return fn(structure)


def is_symbolic(structure):
    if isinstance(structure, KerasTensor):
        return True
    if isinstance(structure, (list, tuple)):
        return any(is_symbolic(item) for item in structure)
    if isinstance(structure, dict):
        return any(is_symbolic(item) for item in structure.values())
    return False


def shape_of(structure):
    """The shape structure (tuples) of a structure of tensors or KerasTensors."""
    return map_structure(
        lambda t: tuple(t.shape) if hasattr(t, "shape") else t, structure
    )


# -- shape inference ---------------------------------------------------------------------------
def infer_outputs(fn, args, kwargs):
    """Run `fn(*args, **kwargs)` with KerasTensors replaced by fake tensors; return the output
    structure as new KerasTensors (not yet attached to a node)."""
    runs = []
    for size in _PLACEHOLDER_SIZES:
        def to_fake(t, size=size):
            if not isinstance(t, KerasTensor):
                return t
            fake = torch.empty(
                [size if d is None else d for d in t.shape], dtype=t.dtype, device=config.device()
            )
            if t._keras_mask is not None:
                fake._keras_mask = to_fake(t._keras_mask)
            return fake

        with FakeTensorMode(allow_non_fake_inputs=True), torch.no_grad():
            runs.append(fn(*map_structure(to_fake, args), **map_structure(to_fake, kwargs)))
    first, second = runs

    def to_symbolic(t1, t2):
        tensor = KerasTensor([a if a == b else None for a, b in zip(t1.shape, t2.shape)],
                             dtype=t1.dtype)
        mask1, mask2 = getattr(t1, "_keras_mask", None), getattr(t2, "_keras_mask", None)
        if mask1 is not None and mask2 is not None:
            tensor._keras_mask = to_symbolic(mask1, mask2)
        return tensor

    tensors = iter(to_symbolic(t1, t2) for t1, t2 in zip(flatten(first), flatten(second)))
    return map_structure(lambda leaf: next(tensors), first)


def real_weights_context():
    """A context in which new weights are real tensors even while shapes are being inferred."""
    return _unset_fake()


try:  # a stable helper in torch >= 2.1; without it, weights are never built during inference
    from torch._subclasses.fake_tensor import unset_fake_temporarily as _unset_fake
except ImportError:  # pragma: no cover
    import contextlib

    _unset_fake = contextlib.nullcontext
