"""Masks that flow with tensors from layer to layer, as in Keras 3.

A mask is a boolean tensor riding on a tensor as its `_keras_mask` attribute (e.g. `(batch,
time)` on a `(batch, time, features)` sequence: `False` marks padding). `Layer.__call__` uses
these helpers:

1. Before `call`: a layer whose `call` takes `mask` and was given none receives the mask of its
   first input (a list of masks for a list of inputs); a `call` with `<name>_mask` parameters
   (e.g. `query_mask`) receives the mask of its `<name>` argument.
2. After `call`: a layer that `supports_masking` attaches `compute_mask(inputs, mask)` to its
   outputs (the default passes the mask through); a layer that does not drops the mask, with
   a warning, as Keras does.

Nothing here runs for tensors without masks beyond one attribute lookup per call.
"""

import warnings

from lamina.layers.keras_tensor import flatten


def get_mask(value):
    """The mask of a tensor; for a list/tuple, the list of its tensors' masks. `None` when no
    tensor carries one."""
    if isinstance(value, (list, tuple)):
        masks = [getattr(t, "_keras_mask", None) for t in value]
        return masks if any(m is not None for m in masks) else None
    return getattr(value, "_keras_mask", None)


def fill_mask_arguments(layer, args, kwargs):
    """Pass the inputs' masks to `call` where it takes them (step 1 above); return the mask
    that `compute_mask` receives: the `mask` argument, else the first input's mask."""
    first = args[0] if args else next(iter(kwargs.values()))
    if layer._call_has_mask:
        previous = kwargs.get("mask")
        if previous is None:
            previous = get_mask(first)
            if previous is not None:
                kwargs["mask"] = previous
    else:
        previous = get_mask(first)
    if layer._call_mask_arguments:
        named = dict(zip(layer._call_argument_names, args))
        named.update(kwargs)
        for name in layer._call_mask_arguments:
            if kwargs.get(f"{name}_mask") is None and name in named:
                mask = get_mask(named[name])
                if mask is not None:
                    kwargs[f"{name}_mask"] = mask
    return first, previous


def attach_output_masks(layer, inputs, outputs, previous):
    """Step 2 above: put `layer.compute_mask(inputs, previous)` on the outputs that carry no
    mask yet, or warn that a layer without mask support drops `previous`."""
    if not layer.supports_masking:
        if previous is not None and any(m is not None for m in flatten(previous)):
            warnings.warn(
                f"Layer '{layer.name}' ({type(layer).__name__}) received an input that carries a "
                "mask, but it does not support masking: the mask stops here and the layers "
                "after it will not see it.", UserWarning, stacklevel=3)
        return
    flat = flatten(outputs)
    if all(getattr(t, "_keras_mask", None) is not None for t in flat):
        return
    masks = layer.compute_mask(inputs, previous)
    if masks is None:
        return
    for tensor, mask in zip(flat, flatten(masks)):
        if mask is not None and getattr(tensor, "_keras_mask", None) is None:
            tensor._keras_mask = mask
