"""`Variable`: a `torch.nn.Parameter` with Keras' variable conveniences.

A layer's weights are `Variable`s. Trainable ones are registered as parameters of the layer,
non-trainable ones (e.g. moving statistics) as buffers, so `state_dict`, `.to(device)`,
`torch.compile` and DDP see them as usual while Keras code can still call `assign`, `numpy()`,
read `name`, `path` and `trainable`.

A layer that stores a weight in another layout than Keras' (Dense kernels as torch's
`(units, input_dim)`, convolution kernels as `(out, in, kh, kw)`: the layouts torch's kernels
are fastest with) sets `keras_permutation`: the permutation that turns the stored tensor into
Keras' layout. The Keras-facing API speaks Keras' layout (`numpy()`, `assign`, `keras_shape`,
`get_weights`/`set_weights`, the repr, saving); torch's attributes (`.shape`, `state_dict`)
speak the stored layout.
"""

import numpy as np
import torch


class Variable(torch.nn.Parameter):
    """A weight tensor with Keras' variable API (`assign`, `numpy()`, `name`, `path`)."""

    def __new__(cls, data, trainable=True, name=None, path=None, keras_permutation=None):
        self = torch.Tensor._make_subclass(cls, data, bool(trainable))
        self._name = name
        self.path = path if path is not None else name
        self.keras_permutation = keras_permutation
        return self

    def __init__(self, *args, **kwargs):  # everything happens in __new__
        pass

    # -- Keras conveniences -------------------------------------------------------------
    @property
    def name(self):  # shadows torch's read-only `Tensor.name`
        return self._name

    @name.setter
    def name(self, value):
        self._name = value

    @property
    def trainable(self):
        return self.requires_grad

    @trainable.setter
    def trainable(self, value):
        self.requires_grad_(bool(value))

    @property
    def value(self):
        """The tensor itself (Keras code reads `variable.value`)."""
        return self

    @property
    def keras_shape(self):
        """The shape in Keras' layout."""
        if self.keras_permutation is None:
            return tuple(self.shape)
        return tuple(self.shape[i] for i in self.keras_permutation)

    def keras_view(self):
        """This weight in Keras' layout, as a view that stays in the autograd graph (for
        regularizers and user code written against Keras' shapes)."""
        return self if self.keras_permutation is None else self.permute(self.keras_permutation)

    def keras_value(self):
        """A detached tensor in Keras' layout."""
        value = self.detach()
        return value if self.keras_permutation is None else value.permute(self.keras_permutation)

    def numpy(self):
        """The value as a numpy array in Keras' layout (copies from the device)."""
        return self.keras_value().cpu().numpy().copy()

    def assign(self, value):
        """Overwrite the value in place (Keras' layout), keeping identity and device."""
        value = torch.as_tensor(np.asarray(value) if not torch.is_tensor(value) else value)
        if tuple(value.shape) != self.keras_shape:
            raise ValueError(
                f"Cannot assign a value of shape {tuple(value.shape)} to variable '{self.path}' "
                f"of shape {self.keras_shape}."
            )
        if self.keras_permutation is not None:
            value = value.permute(tuple(np.argsort(self.keras_permutation)))
        with torch.no_grad():
            self.copy_(value)
        return self

    def assign_add(self, value):
        with torch.no_grad():
            self.add_(torch.as_tensor(value, dtype=self.dtype, device=self.device))
        return self

    def assign_sub(self, value):
        with torch.no_grad():
            self.sub_(torch.as_tensor(value, dtype=self.dtype, device=self.device))
        return self

    # -- torch plumbing: keep the Keras attributes through copies and pickling ------------
    def __deepcopy__(self, memo):
        if id(self) in memo:
            return memo[id(self)]
        result = Variable(self.data.clone(memory_format=torch.preserve_format),
                          self.requires_grad, self.name, self.path, self.keras_permutation)
        memo[id(self)] = result
        return result

    def __reduce_ex__(self, protocol):
        return (_rebuild_variable,
                (self.data, self.requires_grad, self.name, self.path, self.keras_permutation))

    def __repr__(self):
        value = np.array2string(self.numpy(), threshold=6, edgeitems=2, precision=4)
        return (f"<Variable path={self.path}, shape={self.keras_shape}, "
                f"dtype={str(self.dtype).replace('torch.', '')}, value={value}>")

    __str__ = __repr__


def _rebuild_variable(data, requires_grad, name, path, keras_permutation):
    return Variable(data, requires_grad, name, path, keras_permutation)
