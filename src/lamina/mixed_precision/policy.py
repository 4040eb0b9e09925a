"""Dtype policies: the dtype a layer computes in and the dtype it keeps its weights in.

A policy is named after a dtype (`"float32"`, `"bfloat16"`, `"float64"`: compute and weights
in that dtype) or after a mixed pair (`"mixed_float16"`, `"mixed_bfloat16"`: weights in
float32, computation in float16 or bfloat16). Every layer holds one (`layer.dtype_policy`);
a layer made with `dtype=None` takes the global policy (`set_dtype_policy`), which defaults
to `DTypePolicy(floatx())`. How a layer applies its policy is in `autocast.py`.
"""

import torch

from lamina import config, registry
from lamina.validation import received

MODULE = "keras"
_MIXED = {"mixed_float16": "float16", "mixed_bfloat16": "bfloat16"}
_GLOBAL = {"policy": None}


def _dtype_name(dtype):
    """Keras' name of a torch dtype: `torch.float32` -> `"float32"`."""
    return str(dtype).replace("torch.", "")


@registry.register(MODULE)
class DTypePolicy:
    """The compute and variable dtypes of a layer.

    Args:
        name: `"mixed_float16"` or `"mixed_bfloat16"` (variables in float32, computation in
            float16 / bfloat16), or a dtype name such as `"float32"` or `"float64"` (both in
            that dtype). Defaults to `None`: the global policy's name.

    Raises:
        TypeError: If `name` is not a string.
        ValueError: If `name` is neither a mixed policy nor a dtype name.

    Example:

    >>> from lamina import dtype_policies
    >>> policy = dtype_policies.DTypePolicy("mixed_bfloat16")
    >>> policy.compute_dtype, policy.variable_dtype
    ('bfloat16', 'float32')
    """

    def __init__(self, name=None):
        if name is None:
            name = dtype_policy().name
        if not isinstance(name, str):
            raise TypeError(f"`{type(self).__name__}` expects `name` to be a string such as "
                            f"'mixed_float16' or 'float32'. " + received("name", name))
        compute_name = _MIXED.get(name, name)
        try:
            compute = config.torch_dtype(compute_name)
        except ValueError:
            raise ValueError(
                f"`{type(self).__name__}` expects `name` to be 'mixed_float16', "
                "'mixed_bfloat16' or a dtype name such as 'float32'. "
                + received("name", name)) from None
        variable = torch.float32 if name in _MIXED else compute
        self._name = name
        self._compute, self._variable = compute, variable
        # Whether a layer casts its floating inputs (a float compute dtype other than float32;
        # float32 is the case that costs nothing per call) and runs under torch.autocast.
        self._casts_inputs = compute.is_floating_point and compute != torch.float32
        self._mixed = compute != variable

    @property
    def name(self):
        """The policy's name, as given (e.g. `"mixed_float16"`)."""
        return self._name

    @property
    def compute_dtype(self):
        """The dtype of the layer's computations and outputs, e.g. `"float16"`."""
        return _dtype_name(self._compute)

    @property
    def variable_dtype(self):
        """The dtype the layer creates its weights in, e.g. `"float32"`."""
        return _dtype_name(self._variable)

    @property
    def quantization_mode(self):
        """Always `None`: lamina has no quantized policies."""
        return None

    def get_config(self):
        return {"name": self._name}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __repr__(self):
        return f'<DTypePolicy "{self._name}">'

    def __eq__(self, other):
        return isinstance(other, DTypePolicy) and other._name == self._name

    def __hash__(self):
        return hash(self._name)


@registry.register(MODULE)
class FloatDTypePolicy(DTypePolicy):
    """Keras 3's other name of `DTypePolicy` (kept for configs that spell it so)."""


def set_dtype_policy(policy):
    """Set the policy of the layers created from now on with `dtype=None`.

    Args:
        policy: A `DTypePolicy` or its name, e.g. `"mixed_float16"`.

    Raises:
        TypeError: If `policy` is neither a string nor a `DTypePolicy`.

    Example:

    >>> from lamina import layers, mixed_precision
    >>> mixed_precision.set_global_policy("mixed_bfloat16")
    >>> layers.Dense(2).compute_dtype
    'bfloat16'
    >>> mixed_precision.set_global_policy("float32")
    """
    if isinstance(policy, str):
        policy = DTypePolicy(policy)
    elif not isinstance(policy, DTypePolicy):
        raise TypeError("`set_dtype_policy` expects `policy` to be a policy name such as "
                        "'mixed_float16' or a `DTypePolicy`. " + received("policy", policy))
    _GLOBAL["policy"] = policy


def dtype_policy():
    """The global policy: the last one set, else `DTypePolicy(floatx())`."""
    policy = _GLOBAL["policy"]
    if policy is None:
        return DTypePolicy(config.floatx())
    return policy


def serialize(policy):
    """Keras 3's dict form of `policy`: `{"module": "keras", "class_name": ..., ...}`."""
    return registry.serialize(policy)


def deserialize(config, custom_objects=None):
    """A policy from Keras' dict form."""
    return registry.deserialize(config, MODULE, "dtype policy", custom_objects)


def get(identifier):
    """The policy for a layer's `dtype` argument.

    Args:
        identifier: `None` (the global policy), a `DTypePolicy`, a policy or dtype name,
            Keras' dict form, or a torch / numpy dtype.

    Returns:
        A `DTypePolicy`.

    Raises:
        ValueError: If `identifier` names no policy.
    """
    if identifier is None:
        return dtype_policy()
    if isinstance(identifier, DTypePolicy):
        return identifier
    if isinstance(identifier, dict):
        return deserialize(identifier)
    if isinstance(identifier, str):
        return DTypePolicy(identifier)
    try:
        return DTypePolicy(_dtype_name(config.torch_dtype(identifier)))
    except ValueError:
        raise ValueError("Cannot interpret `dtype`: expected a policy name such as "
                         "'mixed_float16', a dtype or a `DTypePolicy`. "
                         + received("dtype", identifier)) from None
