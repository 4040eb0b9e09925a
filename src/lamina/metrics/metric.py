"""The `Metric` base class: state kept in buffers on the device, updated without a host sync.

A metric is a `torch.nn.Module` whose state variables (`add_variable`) are buffers, so
`.to(device)`, `state_dict` and `torch.compile` treat them as usual. `update_state` changes them
in place under `torch.no_grad()`; `result()` returns a fresh tensor computed from them, still on
the device. Nothing here reads a value back to the host: the caller decides when to (the
progress bar does, at a bounded rate).

Keras code that writes its own metric calls `self.v.assign_add(x)` on its variables: the buffers
are `MetricVariable`s, tensors with Keras' variable methods. They survive `.to(device)` because
`Metric._apply` re-wraps the moved tensors.
"""

import numbers
import re

import torch

from lamina import config
from lamina.losses.loss import dtype_name
from lamina.naming import auto_name
from lamina.registry import register
from lamina.validation import received


class MetricVariable(torch.Tensor):
    """A metric state tensor with Keras' variable methods (`assign`, `assign_add`, `numpy`).

    Torch functions on it return plain tensors (`__torch_function__` is disabled, as for
    `nn.Parameter`), so it costs nothing in computations.
    """

    __torch_function__ = torch._C._disabled_torch_function_impl
    name = None  # shadows a read-only attribute of `torch.Tensor`, so the name can be set

    @property
    def value(self):
        """A snapshot of the value, on the device (Keras code returns `variable.value` from
        `result()`; a snapshot keeps a later `reset_state` from changing what it returned)."""
        return self.detach().clone()

    def _operand(self, value):
        if isinstance(value, numbers.Number):
            return value  # a Python scalar goes to the kernel as an argument: no device copy
        return torch.as_tensor(value).to(device=self.device, dtype=self.dtype)

    def assign(self, value):
        """Overwrite the value in place."""
        with torch.no_grad():
            operand = self._operand(value)
            if isinstance(operand, numbers.Number):
                self.fill_(operand)
            else:
                self.copy_(operand)
        return self

    def assign_add(self, value):
        with torch.no_grad():
            self.add_(self._operand(value))
        return self

    def assign_sub(self, value):
        with torch.no_grad():
            self.sub_(self._operand(value))
        return self

    def numpy(self):
        """The value as a numpy array (copies from the device: a host sync)."""
        return self.detach().cpu().numpy()

    # -- torch plumbing: copies and pickles keep the class and the labels ------------------
    def __deepcopy__(self, memo):
        if id(self) not in memo:
            memo[id(self)] = _rebuild(self.detach().clone(), dict(self.__dict__))
        return memo[id(self)]

    def __reduce_ex__(self, protocol):
        return _rebuild, (self.detach().as_subclass(torch.Tensor), dict(self.__dict__))


def _rebuild(tensor, labels):
    variable = tensor.as_subclass(MetricVariable)
    variable.__dict__.update(labels)
    return variable


def _initial_value(initializer, shape, dtype, owner):
    if initializer is None or initializer == "zeros":
        return torch.zeros(shape, dtype=dtype)
    if initializer == "ones":
        return torch.ones(shape, dtype=dtype)
    if isinstance(initializer, numbers.Number) and not isinstance(initializer, bool):
        return torch.full(shape, initializer, dtype=dtype)
    if callable(initializer) and not isinstance(initializer, str):
        return torch.as_tensor(initializer(shape, dtype=dtype), dtype=dtype)
    raise ValueError(f"`{type(owner).__name__}.add_variable` expects `initializer` to be "
                     "'zeros', 'ones', a number or a callable `(shape, dtype)`. "
                     + received("initializer", initializer))


@register("keras.metrics", aliases=("metric",))
class Metric(torch.nn.Module):
    """Base class of metrics: state variables, `update_state`, `result`, `reset_state`.

    Subclasses create their state in `__init__` with `add_variable`, accumulate it in
    `update_state(...)` and compute the value in `result()`. Calling the metric updates it and
    returns the result.

    Args:
        dtype: The dtype of the state and results. Defaults to `None`, meaning `floatx()`.
        name: The metric name (the key in `fit`'s logs). Defaults to the snake-case class
            name.

    Example:
    >>> import torch
    >>> class Total(Metric):
    ...     def __init__(self, name="total", dtype=None):
    ...         super().__init__(name=name, dtype=dtype)
    ...         self.total = self.add_variable((), "zeros", name="total")
    ...     def update_state(self, values):
    ...         self.total.assign_add(torch.as_tensor(values).sum())
    ...     def result(self):
    ...         return self.total.clone()
    >>> metric = Total()
    >>> metric.update_state([1.0, 2.0]); metric.update_state([3.0])
    >>> float(metric.result())
    6.0
    """

    _direction = None  # "up" or "down": which way is better, for callbacks' "auto" modes

    def __init__(self, dtype=None, name=None):
        super().__init__()
        self.name = name or auto_name(type(self).__name__)
        self._torch_dtype = config.torch_dtype(dtype)
        self._variable_keys = []  # buffer names of the variables, in creation order
        self._variable_info = {}  # buffer name -> (Keras variable name, aggregation)

    @property
    def dtype(self):
        """The name of the metric's dtype, e.g. `"float32"`."""
        return dtype_name(self._torch_dtype)

    def _check_super_called(self):
        if "_variable_keys" not in self.__dict__:
            raise RuntimeError(
                f"`{type(self).__name__}` did not call `super().__init__()` in its `__init__`. "
                "A metric's state lives in buffers that `Metric.__init__` sets up: add "
                "`super().__init__(name=name, dtype=dtype)` as the first line.")

    # -- state -----------------------------------------------------------------------------
    def add_variable(self, shape, initializer, dtype=None, aggregation="sum", name=None):
        """Create a state variable: a buffer on `config.device()`, returned.

        Args:
            shape: Its shape, e.g. `()`.
            initializer: `"zeros"`, `"ones"`, a number, or a callable `(shape, dtype)`.
            dtype: Its dtype. Defaults to `None`, meaning the metric's dtype.
            aggregation: How replicas combine it in distributed runs (`"sum"`, `"mean"`).
                Defaults to `"sum"`.
            name: Its Keras name. Defaults to `"variable"`.

        Returns:
            The `MetricVariable`. Assign it to an attribute of any name.
        """
        self._check_super_called()
        torch_dtype = self._torch_dtype if dtype is None else config.torch_dtype(dtype)
        shape = tuple(shape) if isinstance(shape, (list, tuple)) else (shape,)
        value = _initial_value(initializer, shape, torch_dtype, self)
        variable = value.to(config.device()).as_subclass(MetricVariable)
        name = name or "variable"
        base = key = re.sub(r"\W", "_", name)  # buffer names must be identifiers
        count = 1
        while key in self._buffers or key in self.__dict__ or hasattr(type(self), key):
            key, count = f"{base}_{count}", count + 1
        self.register_buffer(key, variable)
        self._variable_keys.append(key)
        self._variable_info[key] = (name, aggregation)
        self._label(key)
        return self._buffers[key]

    def add_weight(self, shape=(), initializer=None, dtype=None, name=None):
        """Keras' older spelling of `add_variable` (zeros unless told otherwise)."""
        return self.add_variable(shape, initializer, dtype=dtype, name=name)

    def _label(self, key):
        variable = self._buffers[key]
        variable.name, variable.aggregation = self._variable_info[key]
        variable.path = f"{self.name}/{variable.name}"

    def __setattr__(self, name, value):
        # `self.true_positives = self.add_variable(..., name="tp")`: file the buffer under the
        # attribute's name, so `.to()` (which replaces buffers) and the attribute stay one.
        keys = self.__dict__.get("_variable_keys")
        if keys is not None and isinstance(value, MetricVariable) and name not in self._buffers:
            old = next((k for k in keys if self._buffers[k] is value), None)
            if old is not None and name not in self.__dict__:
                renamed = [(name if k == old else k, v) for k, v in self._buffers.items()]
                self._buffers.clear()
                self._buffers.update(renamed)  # same order, so `variables` keeps its order
                keys[keys.index(old)] = name
                self._variable_info[name] = self._variable_info.pop(old)
                return
        super().__setattr__(name, value)

    def _apply(self, fn, recurse=True):
        super()._apply(fn, recurse)
        for key in self._variable_keys:  # a moved or cast buffer comes back a plain tensor
            if not isinstance(self._buffers[key], MetricVariable):
                self._buffers[key] = self._buffers[key].as_subclass(MetricVariable)
                self._label(key)
        return self

    @property
    def variables(self):
        """The state variables, this metric's first, then those of metrics it holds."""
        found = [self._buffers[key] for key in self._variable_keys]
        for child in self.children():
            if isinstance(child, Metric):
                found.extend(child.variables)
        return found

    def _state_device(self):
        return self._buffers[self._variable_keys[0]].device if self._variable_keys \
            else config.device()

    def _on_state_device(self, values):
        """`values` as a tensor beside the state, keeping a `_keras_mask` it carries."""
        mask = getattr(values, "_keras_mask", None)
        moved = torch.as_tensor(values, device=self._state_device())
        if mask is not None and moved is not values:
            moved._keras_mask = mask.to(moved.device)
        return moved

    # -- the API subclasses fill -----------------------------------------------------------
    def update_state(self, *args, **kwargs):
        """Accumulate a batch into the state; subclasses override this."""
        raise TypeError(f"`{type(self).__name__}` subclasses `Metric` but does not define "
                        "`update_state(...)`. Add it: it accumulates a batch into the state.")

    def result(self):
        """The metric value from the state; subclasses override this."""
        raise TypeError(f"`{type(self).__name__}` subclasses `Metric` but does not define "
                        "`result()`. Add it: it computes the value from the state.")

    def reset_state(self):
        """Set every state variable back to zero (in place, on the device)."""
        with torch.no_grad():
            for variable in self.variables:
                variable.zero_()

    def forward(self, *args, **kwargs):
        """Update with one batch and return the result (what calling the metric does)."""
        self.update_state(*args, **kwargs)
        return self.result()

    def __call__(self, *args, **kwargs):
        self._check_super_called()
        return super().__call__(*args, **kwargs)

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __repr__(self):
        return f"<{type(self).__name__} name={self.name}>"
