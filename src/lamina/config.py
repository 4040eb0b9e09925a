"""Global settings: the device lamina computes on, the float type, the fuzz factor.

The device is chosen in one place. By default it is CUDA when available, else CPU; set the
environment variable `LAMINA_DEVICE` (e.g. `cpu`, `cuda:1`, `mps`) before import, or call
`lamina.config.set_device(...)` before building models.
"""

import os

import torch

_FLOATX = "float32"
_EPSILON = 1e-7
_IMAGE_DATA_FORMAT = "channels_last"
_DEVICE = None


def device():
    """The `torch.device` new weights and training batches are placed on."""
    global _DEVICE
    if _DEVICE is None:
        chosen = os.environ.get("LAMINA_DEVICE")
        if chosen is None:
            chosen = "cuda" if torch.cuda.is_available() else "cpu"
        _DEVICE = torch.device(chosen)
    return _DEVICE


def set_device(value):
    """Choose the device for weights built and batches fed from now on (`"cpu"`, `"cuda"`...)."""
    global _DEVICE
    try:
        _DEVICE = torch.device(value)
    except (RuntimeError, TypeError) as error:
        raise ValueError(
            f"`set_device` expects a torch device name such as 'cpu' or 'cuda:0'. "
            f"Received: device={value!r} (of type {type(value).__name__})."
        ) from error


def floatx():
    """The default float dtype name, `"float32"`."""
    return _FLOATX


def set_floatx(value):
    global _FLOATX
    if value not in ("float16", "bfloat16", "float32", "float64"):
        raise ValueError("`set_floatx` expects one of 'float16', 'bfloat16', 'float32', "
                         f"'float64'. Received: value={value!r} (of type {type(value).__name__}).")
    _FLOATX = value


def epsilon():
    """The fuzz factor used in numeric expressions, `1e-7`."""
    return _EPSILON


def set_epsilon(value):
    global _EPSILON
    _EPSILON = float(value)


def image_data_format():
    return _IMAGE_DATA_FORMAT


def set_image_data_format(value):
    global _IMAGE_DATA_FORMAT
    if value not in ("channels_last", "channels_first"):
        raise ValueError("`set_image_data_format` expects 'channels_last' or 'channels_first'. "
                         f"Received: value={value!r} (of type {type(value).__name__}).")
    _IMAGE_DATA_FORMAT = value


def torch_dtype(dtype):
    """Map a Keras dtype name (or torch dtype, or `None` for floatx) to a `torch.dtype`."""
    if dtype is None:
        dtype = _FLOATX
    if isinstance(dtype, torch.dtype):
        return dtype
    name = getattr(dtype, "name", dtype)  # numpy dtypes
    try:
        found = getattr(torch, str(name))
    except AttributeError:
        found = None
    if not isinstance(found, torch.dtype):
        raise ValueError(f"Unknown dtype: {dtype!r}. Use a name such as 'float32' or 'int64'.")
    return found
