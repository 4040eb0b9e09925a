"""`to_categorical` and `normalize`: small array utilities for preparing data.

Both take numpy arrays (and array-likes) or torch tensors and answer in kind. They are meant
for data preparation, not for the training step: checking labels reads them on the host.
"""

import numbers

import numpy as np
import torch
import torch.nn.functional as F

from lamina import config
from lamina.validation import received, validate_positive_int


def _check_labels(low, high, integral, num_classes, x):
    if not integral:
        raise ValueError("`to_categorical` expects `x` to hold integer class indices; it holds "
                         f"non-integer values. Received: x={x!r}.")
    if low < 0 or (num_classes is not None and high >= num_classes):
        bound = "" if num_classes is None else f" and below num_classes={num_classes}"
        raise ValueError(f"`to_categorical` expects class indices of at least 0{bound}. "
                         f"Received: x with values from {low} to {high}.")


def to_categorical(x, num_classes=None):
    """Converts a vector of class indices to a one-hot (binary class) matrix.

    Labels of shape `(..., 1)` are treated as `(...)`, as in Keras; the class axis is added
    last. For use with `categorical_crossentropy`.

    Args:
        x: Array-like or torch tensor of class indices, integers from `0` to
            `num_classes - 1` (integer-valued floats are accepted).
        num_classes: Total number of classes. Defaults to `None`, meaning `max(x) + 1`.

    Returns:
        A float32 numpy array for array-like input, or a tensor of the default float type on
        `x`'s device for tensor input, of shape `x.shape + (num_classes,)`.

    Example:

    >>> to_categorical([0, 2, 1], num_classes=3)
    array([[1., 0., 0.],
           [0., 0., 1.],
           [0., 1., 0.]], dtype=float32)
    """
    if num_classes is not None:
        num_classes = validate_positive_int(num_classes, "num_classes", "to_categorical")
    if isinstance(x, torch.Tensor):
        labels = x.detach()
        if labels.ndim > 1 and labels.shape[-1] == 1:
            labels = labels.squeeze(-1)  # (...,)
        if labels.numel() == 0 and num_classes is None:
            raise ValueError("`to_categorical` cannot infer `num_classes` from an empty `x`; "
                             "pass `num_classes`.")
        if labels.is_complex():
            raise TypeError("`to_categorical` expects `x` to hold integer class indices. "
                            f"Received: x of dtype {labels.dtype}.")
        if labels.numel():
            values = labels if labels.is_floating_point() else labels.long()
            checks = [values.min(), values.max()]
            if values.is_floating_point():
                bad = (values != values.trunc()) | ~torch.isfinite(values)
                checks.append(bad.any().to(values.dtype))
            # Host-device synchronisation: one read of the range and the integrality check.
            low, high, *non_integral = torch.stack(checks).tolist()
            _check_labels(low, high, not any(non_integral), num_classes, x)
        return F.one_hot(labels.long(), num_classes or -1).to(config.torch_dtype(None))

    labels = np.asarray(x)
    if labels.dtype.kind not in "biuf":
        raise TypeError("`to_categorical` expects `x` to hold integer class indices. "
                        f"Received: x of dtype {labels.dtype}.")
    shape = labels.shape
    if len(shape) > 1 and shape[-1] == 1:
        shape = shape[:-1]
    flat = labels.reshape(-1)
    if flat.size:
        integral = labels.dtype.kind != "f" or bool(np.all(np.isfinite(flat))
                                                    and np.all(flat == np.trunc(flat)))
        _check_labels(flat.min(), flat.max(), integral, num_classes, x)
    elif num_classes is None:
        raise ValueError("`to_categorical` cannot infer `num_classes` from an empty `x`; "
                         "pass `num_classes`.")
    flat = flat.astype(np.int64)
    if num_classes is None:
        num_classes = int(flat.max()) + 1
    categorical = np.zeros((flat.size, num_classes), dtype=np.float32)
    categorical[np.arange(flat.size), flat] = 1
    return categorical.reshape(shape + (num_classes,))


def normalize(x, axis=-1, order=2):
    """Scales `x` to unit norm along `axis`.

    Vectors of norm zero are returned unchanged (all zeros).

    Args:
        x: Numpy array, or anything else convertible to a torch tensor.
        axis: The axis along which to normalise. Defaults to `-1`.
        order: The norm's order, an integer of at least 1 (`2` is the Euclidean norm).
            Defaults to `2`.

    Returns:
        A normalised copy: a numpy array for numpy input (float64 for integer input),
        otherwise a tensor on `x`'s device.

    Example:

    >>> normalize(np.array([[3.0, 4.0], [0.0, 0.0]]))
    array([[0.6, 0.8],
           [0. , 0. ]])
    """
    if isinstance(order, bool) or not isinstance(order, numbers.Integral) or order < 1:
        raise ValueError("`normalize` expects `order` to be an integer of at least 1. "
                         + received("order", order))
    if isinstance(axis, bool) or not isinstance(axis, numbers.Integral):
        raise TypeError("`normalize` expects `axis` to be an integer. " + received("axis", axis))
    order, axis = int(order), int(axis)
    if isinstance(x, np.ndarray):
        x = np.atleast_1d(x)
        norm = np.linalg.norm(x, order, axis, keepdims=True)
        norm[norm == 0] = 1
        return x / norm
    x = torch.as_tensor(x)
    if x.ndim == 0:
        x = x.reshape(1)
    if not x.is_floating_point():
        x = x.to(config.torch_dtype(None))
    epsilon = config.epsilon()
    if order == 2:
        # As Keras: x * rsqrt(sum(x^2)), the inverse norm capped at 1 / epsilon.
        return x * torch.rsqrt(x.square().sum(axis, keepdim=True)).clamp(max=1.0 / epsilon)
    norm = torch.linalg.vector_norm(x, ord=order, dim=axis, keepdim=True)
    return x / norm.clamp(min=epsilon)
