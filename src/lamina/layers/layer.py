"""`Layer`: the base class of every lamina layer and model; a `torch.nn.Module` with Keras' API.

The three phases, as in Keras: `__init__` stores configuration, `build(input_shape)` creates
weights (through `add_weight`) on the first call, `call(inputs, ...)` computes with torch.
`__call__` adds what Keras adds around `call`: lazy building, symbolic (functional API) calls,
numpy inputs, the `training` flag inherited from the enclosing call, and a readable error when an
input's shape does not match the shape the layer was built for. See `layers/README.md`.
"""

import inspect
import re

import numpy as np
import torch
from torch import nn

from lamina import config, constraints, deprecation, initializers, regularizers
from lamina.layers.keras_tensor import (
    KerasTensor,
    infer_outputs,
    is_symbolic,
    map_structure,
    real_weights_context,
    shape_of,
)
from lamina.layers import legacy_arguments, masks
from lamina.layers.variable import Variable
from lamina.mixed_precision import autocast as policy_autocast
from lamina.mixed_precision import policy as dtype_policies
from lamina.naming import to_snake_case, unique_name
from lamina.registry import register



class _CallContext:
    """The `training` value of the innermost enclosing call that set one explicitly."""

    training = None


CALL_CONTEXT = _CallContext()


@register("keras.layers")
class Layer(nn.Module):
    """Base class of layers: a `torch.nn.Module` with Keras' layer API.

    Args:
        trainable: Whether the layer's weights are updated by training. Defaults to `True`.
        name: String name, unique in a model. Defaults to the snake-cased class name, numbered.
        dtype: The layer's dtype policy: a `DTypePolicy`, its name (`"mixed_float16"`,
            `"mixed_bfloat16"`) or a dtype name (`"float32"`), setting the dtype of the
            weights and of the computation (see `lamina.mixed_precision`). Defaults to
            `None`, the global policy (`"float32"` unless set).
        autocast: Whether to cast floating inputs to the compute dtype and, for a mixed
            policy, run `call` under `torch.autocast`. Defaults to `True`.
        activity_regularizer: Regularizer applied to the layer's output. Defaults to `None`.
        input_shape, input_dim, batch_size, batch_input_shape: shape of the expected input, for
            the first layer of a `Sequential` model (Keras' legacy spellings of `Input(shape)`).
    """

    _call_has_training = False
    _call_has_mask = False
    _call_argument_names = ()
    _call_mask_arguments = ()
    _computes_mask = False

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if "call" in cls.__dict__:
            cls.forward = cls.__dict__["call"]  # nn.Module.__call__ reaches call() directly
        elif "forward" in cls.__dict__:
            cls.call = cls.__dict__["forward"]  # torch style: a subclass that wrote forward()
        parameters = inspect.signature(cls.call).parameters
        cls._call_has_training = "training" in parameters
        cls._call_has_mask = "mask" in parameters
        names = [name for name in parameters if name != "self"]
        cls._call_argument_names = names
        cls._call_mask_arguments = [n for n in names if f"{n}_mask" in parameters]
        cls._computes_mask = cls.compute_mask is not Layer.compute_mask
        legacy_arguments.accept_keras1_arguments(cls)  # Dense(output_dim=...), ...

    def __init__(self, *, activity_regularizer=None, trainable=True, dtype=None, autocast=True,
                 name=None, **kwargs):
        input_shape = kwargs.pop("input_shape", None)
        input_dim = kwargs.pop("input_dim", None)
        batch_size = kwargs.pop("batch_size", None)
        batch_input_shape = kwargs.pop("batch_input_shape", None)
        if kwargs:
            raise TypeError(
                f"Unrecognized keyword arguments passed to {type(self).__name__}: {kwargs}"
            )
        if input_shape is not None or input_dim is not None:  # Keras 3 warns, in these words
            deprecation.warn("Do not pass an `input_shape`/`input_dim` argument to a layer. "
                             "In a Sequential model, start with `keras.Input(shape)` instead.",
                             UserWarning)
        super().__init__()
        if name is not None and (not isinstance(name, str) or not name or "/" in name):
            raise ValueError(f"`{type(self).__name__}` expects `name` to be a non-empty string "
                             f"without '/'. Received: name={name!r} "
                             f"(of type {type(name).__name__}).")
        self.name = name or unique_name(to_snake_case(type(self).__name__))
        self._trainable = bool(trainable)
        self._dtype_policy = dtype_policies.get(dtype)
        self._dtype = self._dtype_policy._variable  # the weights' torch dtype
        self.autocast = autocast
        self.activity_regularizer = regularizers.get(activity_regularizer)
        self.built = False
        self.supports_masking = self._computes_mask  # Keras: True when compute_mask is custom
        self._losses = []
        self._weight_order = []  # names of own weights, in creation order (Keras' order)
        self._regularized = []  # (variable, regularizer)
        self._constrained = []  # (variable, constraint)
        self._inbound_nodes = []
        self._build_shape = None
        if input_dim is not None and input_shape is None:
            input_shape = (input_dim,)
        if batch_input_shape is not None:
            self._batch_input_shape = tuple(batch_input_shape)
        elif input_shape is not None:
            shape = (input_shape,) if isinstance(input_shape, int) else tuple(input_shape)
            self._batch_input_shape = (batch_size, *shape)
        else:
            self._batch_input_shape = None

    # -- attribute tracking -------------------------------------------------------------------
    def __setattr__(self, name, value):
        if isinstance(value, nn.Module) and "_parameters" not in self.__dict__:
            raise RuntimeError(
                f"`{type(self).__name__}` assigned the layer `{name}` before calling "
                "`super().__init__()`. A layer registers its sublayers and weights from its base "
                "class, so call `super().__init__(**kwargs)` first in your `__init__`."
            )
        if isinstance(value, list) and value and all(isinstance(v, nn.Module) for v in value):
            value = nn.ModuleList(value)  # Keras tracks plain lists of layers; torch needs this
        elif isinstance(value, Variable) and "_parameters" in self.__dict__:
            key = self._key_of(value)
            if key is not None:
                if key != name:  # an alias of a weight made by add_weight: no second registration
                    object.__setattr__(self, name, value)
                return
        super().__setattr__(name, value)

    def _key_of(self, variable):
        for table in (self._parameters, self._buffers):
            for key, value in table.items():
                if value is variable:
                    return key
        return None

    # -- weights ------------------------------------------------------------------------------
    def add_weight(self, shape=None, initializer=None, dtype=None, trainable=True, autocast=True,
                   regularizer=None, constraint=None, aggregation="none",
                   overwrite_with_gradient=False, name=None, keras_permutation=None):
        """Create a weight of this layer, registered as a parameter (a buffer if not trainable).

        Args:
            shape: Shape in Keras' layout. Defaults to `()` (a scalar).
            initializer: Initializer object or name. Defaults to `"glorot_uniform"` for float
                weights, `"zeros"` otherwise.
            dtype: Dtype. Defaults to the layer's dtype.
            trainable: Whether training updates it. Defaults to `True`.
            regularizer: Regularizer object or name, adding to `layer.losses`. Defaults to `None`.
            constraint: Constraint applied after each optimizer step. Defaults to `None`.
            name: Name of the weight, e.g. `"kernel"`. Defaults to `"variable"`.
            keras_permutation: lamina only: store the weight in another layout, the one for
                which `stored.permute(keras_permutation)` is Keras' layout (see `Variable`).
                `shape` and the initializer stay in Keras' layout. Defaults to `None`.

        Returns:
            The new `Variable`.
        """
        if isinstance(shape, str):  # Keras 2 order: add_weight(name, shape, initializer, ...)
            name, shape, initializer = shape, initializer, dtype
            dtype = None
        shape = () if shape is None else ((shape,) if isinstance(shape, int) else tuple(shape))
        dtype = self._dtype if dtype is None else config.torch_dtype(dtype)
        if initializer is None:
            initializer = "glorot_uniform" if dtype.is_floating_point else "zeros"
        initializer = initializers.get(initializer)
        name = name or "variable"
        key = re.sub(r"[^0-9A-Za-z_]", "_", name)
        while key in self._parameters or key in self._buffers or key in self._modules:
            key = unique_suffix(key)
        with real_weights_context(), torch.inference_mode(False), torch.no_grad():
            value = initializers.initialize(initializer, shape, dtype, config.device())
            if keras_permutation is not None:  # initialised in Keras' layout, stored in torch's
                value = value.permute(tuple(np.argsort(keras_permutation))).contiguous()
        variable = Variable(value, trainable=trainable and self._trainable, name=name,
                            path=f"{self.name}/{name}", keras_permutation=keras_permutation)
        if trainable:
            self.register_parameter(key, variable)
        else:
            self.register_buffer(key, variable)
        self._weight_order.append(key)
        if regularizer is not None:
            self._regularized.append((variable, regularizers.get(regularizer)))
        if constraint is not None:
            self._constrained.append((variable, constraints.get(constraint)))
        return variable

    def _own_weights(self):
        tables = (self._parameters, self._buffers)
        return [t[k] for k in self._weight_order for t in tables if t.get(k) is not None]

    @property
    def weights(self):
        """All weights, own first (in creation order), then those of sublayers."""
        found, seen = [], set()
        for weight in self._own_weights() + _sub_weights(self):
            if id(weight) not in seen:
                seen.add(id(weight))
                found.append(weight)
        return found

    @property
    def trainable_weights(self):
        return [w for w in self.weights if w.requires_grad]

    @property
    def non_trainable_weights(self):
        return [w for w in self.weights if not w.requires_grad]

    variables = weights
    trainable_variables = trainable_weights
    non_trainable_variables = non_trainable_weights

    def get_weights(self):
        """The weights as numpy arrays in Keras' layout, in `weights` order."""
        return [_to_numpy(w) for w in self.weights]

    def set_weights(self, weights):
        """Set the weights from numpy arrays in Keras' layout, in `weights` order."""
        own = self.weights
        weights = list(weights)
        if len(weights) != len(own):
            raise ValueError(
                f"You called `set_weights(weights)` on layer '{self.name}' with a weight list of "
                f"length {len(weights)}, but the layer was expecting {len(own)} weights."
            )
        for variable, value in zip(own, weights):
            shape = (variable.keras_shape if isinstance(variable, Variable)
                     else tuple(variable.shape))
            if tuple(np.shape(value)) != shape:
                raise ValueError(
                    f"Layer '{self.name}' weight shape {shape} is not compatible with provided "
                    f"weight shape {tuple(np.shape(value))} (for weight '{_path(variable)}')."
                )
        for variable, value in zip(own, weights):
            if isinstance(variable, Variable):
                variable.assign(value)
            else:  # a parameter of a plain torch module inside this layer
                with torch.no_grad():
                    variable.copy_(torch.as_tensor(np.asarray(value)))

    def count_params(self):
        if not self.built:
            raise ValueError(
                f"You tried to call `count_params` on layer '{self.name}', but the layer isn't "
                "built. You can build it manually via: `layer.build(input_shape)`."
            )
        return int(sum(w.numel() for w in self.weights))

    # -- trainable, dtype -----------------------------------------------------------------------
    @property
    def trainable(self):
        return self._trainable

    @trainable.setter
    def trainable(self, value):
        value = bool(value)
        for module in self.modules():
            if isinstance(module, Layer):
                module._trainable = value
        for parameter in self.parameters():
            parameter.requires_grad_(value)

    @property
    def dtype_policy(self):
        """The layer's `DTypePolicy`; assignable (a policy or its name) before `build`."""
        return self._dtype_policy

    @dtype_policy.setter
    def dtype_policy(self, value):
        self._dtype_policy = dtype_policies.get(value)
        self._dtype = self._dtype_policy._variable

    @property
    def dtype(self):
        """The dtype of the layer's weights (Keras: the policy's `variable_dtype`)."""
        return str(self._dtype).replace("torch.", "")

    @property
    def variable_dtype(self):
        return self._dtype_policy.variable_dtype

    @property
    def compute_dtype(self):
        """The dtype of the layer's computations and outputs."""
        return self._dtype_policy.compute_dtype

    # -- losses -------------------------------------------------------------------------------
    def add_loss(self, loss):
        """Add a scalar loss tensor (computed in `call`) to be minimised with the model's loss."""
        self._losses.append(loss)

    @property
    def losses(self):
        """Losses added in the last call (`add_loss`, activity regularisers) and weight
        regularisation terms, of this layer and its sublayers."""
        return collect_losses([m for m in self.modules() if isinstance(m, Layer)])

    # -- build and call -----------------------------------------------------------------------
    def build(self, input_shape):
        """Create the layer's weights for inputs of `input_shape`. Subclasses with weights override
        this and create them with `add_weight`."""
        self.built = True

    def call(self, *args, **kwargs):
        raise NotImplementedError(  # abstract: every layer defines call()
            f"Layer {type(self).__name__} does not have a `call()` method implemented."
        )

    def __call__(self, *args, **kwargs):
        if "_parameters" not in self.__dict__:
            raise RuntimeError(
                f"`{type(self).__name__}` was called before its base class was initialised. "
                "Call `super().__init__(**kwargs)` at the start of your layer's `__init__`."
            )
        if not args and not kwargs:
            raise TypeError(f"Layer '{self.name}' was called without inputs.")
        first = args[0] if args else next(iter(kwargs.values()))
        if not isinstance(first, torch.Tensor):
            if is_symbolic(args) or is_symbolic(kwargs):
                return self._symbolic_call(args, kwargs)
            args = map_structure(_to_tensor, args)
        if not self.built:
            self._build_for(args, kwargs)
        if self._losses:
            self._losses.clear()  # a layer keeps the losses of its latest call only
        training = kwargs.get("training")
        if not self._call_has_training:
            kwargs.pop("training", None)
        elif training is None:
            kwargs["training"] = CALL_CONTEXT.training
        masked_input, previous_mask = masks.fill_mask_arguments(self, args, kwargs)
        previous = CALL_CONTEXT.training
        if training is not None:  # an explicit flag holds for every layer called inside this one
            CALL_CONTEXT.training = training
        try:  # zero-cost unless raised
            if policy_autocast.needs_policy(self._dtype_policy, args[0] if args else first):
                outputs = policy_autocast.call_with_policy(self, nn.Module.__call__, args, kwargs)
            else:  # float32 layer, float32 inputs, no mixed layer around: no dtype work
                outputs = nn.Module.__call__(self, *args, **kwargs)
        except RuntimeError as error:  # explain shape mismatches
            self._raise_if_incompatible(args, kwargs, error)
            raise
        finally:
            CALL_CONTEXT.training = previous
        if self.activity_regularizer is not None:
            self._losses.append(self.activity_regularizer(outputs) / outputs.shape[0])
        if previous_mask is not None or self._computes_mask:
            masks.attach_output_masks(self, masked_input, outputs, previous_mask)
        return outputs

    def _raise_if_incompatible(self, args, kwargs, error):
        first = args[0] if args else next(iter(kwargs.values()))
        expected = self._build_shape
        if not isinstance(expected, tuple) or not all(
            d is None or isinstance(d, int) for d in expected
        ):
            return
        received = tuple(first.shape) if hasattr(first, "shape") else None
        if received is None or (
            len(received) == len(expected)
            and all(e is None or e == r for e, r in zip(expected[1:], received[1:]))
        ):
            return
        shown = tuple(None if isinstance(first, KerasTensor) and d is None else d for d in received)
        raise ValueError(
            f'Input 0 of layer "{self.name}" is incompatible with the layer: expected '
            f"shape={expected}, found shape={shown}"
        ) from error

    def _build_for(self, args, kwargs):
        """Build from the shapes of the call's arguments (first call, or symbolic call).

        A `build` with one parameter gets the first input's shape. One with several follows
        Keras: `build(self, query_shape, value_shape, key_shape=None)` gets the shapes of the
        call arguments `query`, `value`, `key`, whether passed by position or by name."""
        build_names = list(inspect.signature(self.build).parameters)
        if len(build_names) > 1:
            named = dict(zip(self._call_argument_names, args))
            named.update(kwargs)
            shapes = []
            for index, name in enumerate(build_names):
                base = name[:-len("_shape")] if name.endswith("_shape") else None
                value = named.get(base) if base in named else (
                    args[index] if index < len(args) else None)
                if value is None:
                    break  # an optional input left out: build's default applies
                shapes.append(shape_of(value))
        else:
            first = args[0] if args else next(iter(kwargs.values()))
            shapes = [shape_of(first)]
        if shapes and isinstance(shapes[0], tuple):
            self._build_shape = (None, *shapes[0][1:]) if shapes[0] else shapes[0]
        with real_weights_context(), torch.inference_mode(False):
            self.build(*shapes)
        self.built = True

    def _symbolic_call(self, args, kwargs):
        if not self.built:
            self._build_for(args, kwargs)
        try:
            outputs = infer_outputs(self._masked_inference_call, args, kwargs)
        except RuntimeError as error:
            self._raise_if_incompatible(args, kwargs, error)
            raise
        from lamina.layers.keras_tensor import Node

        Node(self, args, kwargs, outputs)
        return outputs

    def _masked_inference_call(self, *args, **kwargs):
        masked_input, previous_mask = masks.fill_mask_arguments(self, args, kwargs)
        outputs = self._inference_call(*args, **kwargs)
        if previous_mask is not None or self._computes_mask:
            masks.attach_output_masks(self, masked_input, outputs, previous_mask)
        return outputs

    def _inference_call(self, *args, **kwargs):
        if not self._call_has_training:
            kwargs.pop("training", None)
        first = args[0] if args else next(iter(kwargs.values()), None)
        if policy_autocast.needs_policy(self._dtype_policy, first):
            return policy_autocast.call_with_policy(self, nn.Module.__call__, args, kwargs)
        return nn.Module.__call__(self, *args, **kwargs)

    def compute_mask(self, inputs, previous_mask):
        """The mask of this layer's outputs (see `layers/masks.py`). The default passes the
        input's mask through; layers that create or change masks override it."""
        return previous_mask

    def compute_output_shape(self, input_shape):
        """Output shape for inputs of `input_shape`, inferred by running `call` on fake tensors."""
        dtype = self._dtype
        shapes = _shape_structure(input_shape)
        symbolic = ([KerasTensor(s, dtype) for s in shapes] if isinstance(shapes, list)
                    else KerasTensor(shapes, dtype))
        if not self.built:
            self._build_for((symbolic,), {})
        out = infer_outputs(self._inference_call, (symbolic,), {})
        return map_structure(lambda t: t.shape, out)

    # -- graph connectivity -------------------------------------------------------------------
    @property
    def input(self):
        return self._node_attr("args")[0] if self._node_attr("args") else None

    @property
    def output(self):
        return self._node_attr("outputs")

    def _node_attr(self, attr):
        if not self._inbound_nodes:
            raise RuntimeError(
                f"Layer '{self.name}' is not connected: it has not been called on a symbolic "
                "input (`Input(...)`), so it has no input/output tensors."
            )
        return getattr(self._inbound_nodes[0], attr)

    # -- configuration ------------------------------------------------------------------------
    def get_config(self):
        """The constructor arguments, as a JSON-serialisable dict (Keras' layout)."""
        cfg = {"name": self.name, "trainable": self.trainable,
               "dtype": dtype_policies.serialize(self._dtype_policy)}
        if self._batch_input_shape is not None:
            cfg["batch_input_shape"] = self._batch_input_shape
        return cfg

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def get_build_config(self):
        return {"input_shape": self._build_shape} if self._build_shape is not None else None

    def extra_repr(self):
        return f"name={self.name!r}"


Layer.forward = Layer.call


def collect_losses(layers):
    """The losses of `layers` (their latest `add_loss` terms, then their weight regularisation,
    layer by layer): what `Layer.losses` returns and what training adds to the loss."""
    found = []
    for layer in layers:
        found.extend(layer._losses)
        found.extend(reg(var.keras_view()) for var, reg in layer._regularized)
    return found


def unique_suffix(key):
    head, _, tail = key.rpartition("_")
    return f"{head}_{int(tail) + 1}" if head and tail.isdigit() else f"{key}_1"


def _sub_weights(module):
    """Weights of the submodules of `module`: lamina layers by their `weights`, plain torch
    modules by their parameters and buffers."""
    found = []
    for child in module.children():
        if isinstance(child, Layer):
            found.extend(child.weights)
        elif isinstance(child, (nn.ModuleList, nn.ModuleDict, nn.Sequential)):
            found.extend(_sub_weights(child))
        else:
            found.extend(child.parameters())
            found.extend(child.buffers())
    return found


def _to_numpy(weight):
    if isinstance(weight, Variable):
        return weight.numpy()
    return weight.detach().cpu().numpy().copy()


def _path(weight):
    return getattr(weight, "path", None) or "?"


def _to_tensor(value):
    """numpy arrays and Python numbers given to a layer become tensors on lamina's device."""
    if isinstance(value, np.ndarray):
        tensor = torch.from_numpy(value)
        if tensor.dtype == torch.float64:
            tensor = tensor.to(config.torch_dtype(None))
        return tensor.to(config.device())
    return value


def _shape_structure(shape):
    if isinstance(shape, (list, tuple)) and shape and isinstance(shape[0], (list, tuple)):
        return [tuple(s) for s in shape]
    return tuple(shape)
