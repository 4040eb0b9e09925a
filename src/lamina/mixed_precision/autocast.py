"""How a layer applies its dtype policy around `call` (`Layer.__call__` delegates here).

Weights stay in the policy's variable dtype; computation follows the compute dtype:

- A float32 layer given float32 inputs outside any mixed layer: nothing happens.
  `Layer.__call__` makes two comparisons (`needs_policy`) and calls `call` directly.
- A mixed layer (`"mixed_float16"`, `"mixed_bfloat16"`): floating inputs are cast to the
  compute dtype and `call` runs under `torch.autocast` (on `config.device()`'s type), which
  runs matmuls and convolutions in that dtype while the float32 weights are cast per op, so
  no layer needs code of its own. A layer without sublayers then casts its floating outputs
  to the compute dtype, since that is what Keras returns (torch keeps some ops, such as
  layer norm or softmax on CUDA, in float32). A container (a model, a block of layers)
  leaves its sublayers' outputs as they are.
- A layer whose compute and variable dtypes agree (`"float32"`, `"float64"`, `"bfloat16"`):
  floating inputs are cast to that dtype, and inside a mixed layer autocast is switched off
  for the call. So `Activation("softmax", dtype="float32")` at the end of a mixed model
  computes and returns float32, Keras' idiom for a stable output.

Integer inputs (token ids) and layers made with `autocast=False` are never cast.
"""

import torch

from lamina import config


class _AutocastState:
    """The compute dtype of the innermost mixed layer being called, or `None`."""

    dtype = None


STATE = _AutocastState()


def needs_policy(policy, first):
    """Whether a layer of `policy` called with first argument `first` has dtype work to do:
    a compute dtype other than float32, a mixed layer around it, or a floating input of
    another dtype. False for a float32 layer given float32 inputs (two comparisons)."""
    return (policy._casts_inputs or STATE.dtype is not None
            or (isinstance(first, torch.Tensor) and first.dtype != policy._compute
                and first.is_floating_point()))


def call_with_policy(layer, call, args, kwargs):
    """Run `call(layer, *args, **kwargs)` under `layer.dtype_policy` (see the module doc)."""
    policy = layer._dtype_policy
    compute = policy._compute
    if not layer.autocast or not compute.is_floating_point:
        return call(layer, *args, **kwargs)
    args, kwargs = _cast(args, compute), _cast(kwargs, compute)
    previous = STATE.dtype
    target = compute if policy._mixed else None
    if target == previous:
        outputs = call(layer, *args, **kwargs)
    else:
        device_type = config.device().type
        context = (torch.autocast(device_type, dtype=target) if target is not None
                   else torch.autocast(device_type, enabled=False))
        STATE.dtype = target
        try:
            with context:
                outputs = call(layer, *args, **kwargs)
        finally:
            STATE.dtype = previous
    if target is not None and _is_leaf(layer):
        outputs = _cast(outputs, compute)
    return outputs


def _is_leaf(layer):
    """Whether `layer` has no sublayers (cached: sublayers are made in `__init__`)."""
    leaf = layer.__dict__.get("_policy_leaf")
    if leaf is None:
        leaf = not any(hasattr(m, "_dtype_policy") for m in layer.modules() if m is not layer)
        layer.__dict__["_policy_leaf"] = leaf
    return leaf


def _cast(value, dtype):
    """`value` with every floating tensor in it (nested in lists, tuples, dicts) as `dtype`."""
    if isinstance(value, torch.Tensor):
        return value.to(dtype) if value.is_floating_point() and value.dtype != dtype else value
    if isinstance(value, list):
        return [_cast(v, dtype) for v in value]
    if isinstance(value, tuple):
        cast = [_cast(v, dtype) for v in value]
        return type(value)(*cast) if hasattr(value, "_fields") else tuple(cast)  # namedtuples
    if isinstance(value, dict):
        return {k: _cast(v, dtype) for k, v in value.items()}
    return value


def float32_outputs(values):
    """`values` (a list of model outputs) with float16 / bfloat16 tensors as float32: losses
    and metrics are computed in float32, as in Keras. An output's mask stays with it."""
    return [_float32(v) if isinstance(v, torch.Tensor) and v.dtype in _HALF else v
            for v in values]


def _float32(value):
    converted = value.float()
    mask = getattr(value, "_keras_mask", None)
    if mask is not None:
        converted._keras_mask = mask
    return converted


_HALF = (torch.float16, torch.bfloat16)
