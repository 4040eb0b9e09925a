"""`LossScaleOptimizer`: dynamic loss scaling around another optimizer, decided on the device.

One update (`step()` or `apply`), with `scale` the current loss scale:

    unscale every gradient by `scale` and test them all for inf/NaN   (one torch AMP kernel)
    copy the weights and the inner optimizer's slots into backups     (one foreach copy)
    the inner optimizer's update (clipping, decay, rule)
    where a gradient was not finite: put the backups back             (one `where` per tensor)
    scale, step_counter <- the AMP scale update                       (one torch AMP kernel)

Nothing is read back to the host. The price of keeping the skip decision on the device is
one backup of the weights and slots (memory for one more copy of them, and a copy plus a
`where` per step); a skipped step is otherwise exact: weights and slots stay bit for bit.
"""

import torch

from lamina import registry
from lamina.optimizers.optimizer import MODULE, Optimizer, check_float
from lamina.validation import received, validate_positive_int

_BASE_DEFAULTS = {"weight_decay": None, "clipnorm": None, "global_clipnorm": None,
                  "clipvalue": None, "use_ema": False, "ema_momentum": 0.99,
                  "ema_overwrite_frequency": None, "loss_scale_factor": None,
                  "gradient_accumulation_steps": None}


@registry.register(MODULE)
class LossScaleOptimizer(Optimizer):
    """An optimizer that scales the loss up so float16 gradients do not underflow.

    `scale_loss(loss)` multiplies the loss by the current scale before `backward()`; each
    update divides the gradients by it again and hands them to `inner_optimizer`. The scale
    adapts, as in Keras: a step whose gradients hold an inf or NaN is skipped (weights and
    slots unchanged) and halves the scale; after `dynamic_growth_steps` finite steps in a row
    the scale doubles. `compile` wraps the optimizer in one automatically when the model's
    dtype policy is `"mixed_float16"`.

    Unlike Keras, the inner optimizer's `iterations` also counts skipped steps: lamina's
    Adam keeps its step count on the host to avoid a sync per step, and the host cannot
    know, without a sync, which steps were skipped.

    Args:
        inner_optimizer: The `Optimizer` to wrap. Its `loss_scale_factor` is reset to
            `None`, so gradients are not unscaled twice.
        initial_scale: Positive float, the first loss scale. A power of two keeps the
            unscaling exact. Defaults to `2.0 ** 15`.
        dynamic_growth_steps: Positive integer, the number of finite steps after which the
            scale doubles. Defaults to `2000`.
        name: String. Defaults to `"loss_scale_optimizer"`.

    Raises:
        TypeError: If `inner_optimizer` is not an `Optimizer`.
        ValueError: For a bad scale or step count, `dynamic=False`, or a base optimizer
            argument (set those on the inner optimizer).

    Example:

    >>> import torch
    >>> from lamina import optimizers
    >>> w = torch.nn.Parameter(torch.tensor([1.0]))
    >>> opt = optimizers.LossScaleOptimizer(optimizers.SGD(0.5), initial_scale=8.0)
    >>> opt.scale_loss(torch.tensor(2.0))
    tensor(16.)
    >>> _ = opt.apply_gradients([(torch.tensor([float("inf")]), w)])  # skipped
    >>> w.detach(), opt.dynamic_scale
    (tensor([1.]), tensor(4.))
    >>> _ = opt.apply_gradients([(torch.tensor([4.0]), w)])  # unscaled: 4 / 4 = 1
    >>> w.detach()
    tensor([0.5000])
    """

    def __init__(self, inner_optimizer, initial_scale=2.0 ** 15, dynamic_growth_steps=2000,
                 name=None, **kwargs):
        owner = type(self).__name__
        if not kwargs.pop("dynamic", True):
            raise ValueError(f"`{owner}` always scales dynamically; `dynamic=False` is not "
                             "supported. For a fixed scale, set `loss_scale_factor` on the "
                             "inner optimizer instead. Received: dynamic=False.")
        for arg, default in _BASE_DEFAULTS.items():  # in old Keras configs, at their defaults
            if arg in kwargs and kwargs.pop(arg) != default:
                raise ValueError(f"`{owner}` does not support `{arg}`. Set `{arg}` on the "
                                 "inner optimizer instead.")
        if kwargs:
            raise ValueError(f"`{owner}` does not support the arguments "
                             f"{', '.join(sorted(kwargs))}. Received: {kwargs}.")
        if not isinstance(inner_optimizer, Optimizer):
            raise TypeError(f"`{owner}` expects `inner_optimizer` to be an `Optimizer`, e.g. "
                            "`LossScaleOptimizer(keras.optimizers.Adam())`. "
                            + received("inner_optimizer", inner_optimizer))
        initial_scale = check_float(initial_scale, "initial_scale", owner)
        if initial_scale == 0:
            raise ValueError(f"`{owner}` expects `initial_scale` to be a positive float. "
                             + received("initial_scale", initial_scale))
        super().__init__(learning_rate=0.0, name=name)
        self.inner_optimizer = inner_optimizer
        self.initial_scale = initial_scale
        self.dynamic_growth_steps = validate_positive_int(
            dynamic_growth_steps, "dynamic_growth_steps", self)
        inner_optimizer.loss_scale_factor = None

    # -- delegated to the inner optimizer -----------------------------------------------------

    @property
    def learning_rate(self):
        """The inner optimizer's learning rate (read and assigned through it)."""
        return self.inner_optimizer.learning_rate

    @learning_rate.setter
    def learning_rate(self, value):
        if "inner_optimizer" not in self.__dict__:  # the base constructor's own rate, 0.0
            Optimizer.learning_rate.fset(self, value)
        else:
            self.inner_optimizer.learning_rate = value

    @property
    def iterations(self):
        """The inner optimizer's `iterations`."""
        return self.inner_optimizer.iterations

    @property
    def variables(self):
        """Keras' order: `[iterations, learning_rate, step_counter, dynamic_scale]` of this
        wrapper (its own `iterations` stays 0, as in Keras), then the inner variables."""
        return super().variables + self.inner_optimizer.variables

    # -- building -----------------------------------------------------------------------------

    def build(self, params):
        """Build this wrapper and the inner optimizer on `params` (see `Optimizer.build`)."""
        if self.built:
            return
        super().build(params)
        self.step_counter = self.add_variable((), initializer="zeros", dtype="int32",
                                              name="step_counter")
        self.dynamic_scale = self.add_variable((), initializer=self.initial_scale,
                                               dtype="float32", name="dynamic_scale")
        inner = self.inner_optimizer
        inner.build(self._params)
        # the inner index of each of our parameters (None: the same list, the usual case)
        self._inner_index = inner._indices_of(self._params)
        self._found_inf = torch.zeros((), dtype=torch.float32, device=self._iterations.device)
        # state an update writes: the weights and, per weight, each slot; then other variables
        slot_lists = list(inner._slots.values())
        per_param = [[p, *(slots[i] for slots in slot_lists)]
                     for p, i in zip(self._params, self._inner_order())]
        in_slots = {id(t) for slots in slot_lists for t in slots}
        self._state_per_param = per_param
        self._other_state = [v for v in inner._variables if id(v) not in in_slots]
        with torch.no_grad():
            self._backup_per_param = [[torch.empty_like(t) for t in ts] for ts in per_param]
            self._other_backup = [torch.empty_like(t) for t in self._other_state]

    def _inner_order(self):
        n = len(self._params)
        return range(n) if self._inner_index is None else self._inner_index

    # -- updating -----------------------------------------------------------------------------

    def scale_loss(self, loss):
        """`loss` times the current scale (`initial_scale` before the optimizer is built)."""
        scale = self.dynamic_scale if self.built else self.initial_scale
        return loss * scale

    def apply(self, grads, trainable_variables=None):
        """See `Optimizer.apply`; the caller's gradient tensors are left unchanged."""
        grads = [g if g is None else torch.as_tensor(g).detach().clone() for g in grads]
        super().apply(grads, trainable_variables)

    @torch.no_grad()
    def _update(self, grads, params, indices):
        """Unscale, check, update through the inner optimizer, undo if not finite, rescale.

        `grads` are unscaled in place: they are the parameters' `.grad` (`step()`) or
        copies (`apply`)."""
        found_inf = self._found_inf.zero_()
        inv_scale = torch.reciprocal(self.dynamic_scale)
        by_dtype = {}
        for g in grads:
            by_dtype.setdefault(g.dtype, []).append(g)
        for group in by_dtype.values():  # torch's AMP kernel takes one dtype per call
            torch._amp_foreach_non_finite_check_and_unscale_(group, found_inf, inv_scale)
        chosen = range(len(self._params)) if indices is None else indices
        state = [t for i in chosen for t in self._state_per_param[i]] + self._other_state
        backup = [t for i in chosen for t in self._backup_per_param[i]] + self._other_backup
        torch._foreach_copy_(backup, state)
        inner_indices = indices
        if self._inner_index is not None:
            inner_indices = [self._inner_index[i] for i in chosen]
        self.inner_optimizer._update(grads, params, inner_indices)
        skipped = found_inf > 0
        for current, saved in zip(state, backup):
            torch.where(skipped, saved, current, out=current)
        # Keras' rule: halve on a skipped step; double after `dynamic_growth_steps` finite ones
        torch._amp_update_scale_(self.dynamic_scale, self.step_counter, found_inf, 2.0, 0.5,
                                 self.dynamic_growth_steps)

    # -- config and state ---------------------------------------------------------------------

    def finalize_variable_values(self, var_list=None):
        """The inner optimizer's: with `use_ema`, the averages become the weights."""
        self.inner_optimizer.finalize_variable_values(var_list)

    def get_config(self):
        return {"name": self.name,
                "inner_optimizer": registry.serialize(self.inner_optimizer),
                "initial_scale": self.initial_scale,
                "dynamic_growth_steps": self.dynamic_growth_steps}

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = dict(config)
        inner = config.pop("inner_optimizer")
        if isinstance(inner, dict):
            inner = registry.deserialize(inner, MODULE, "optimizer", custom_objects)
        return cls(inner, **config)

    def load_own_variables(self, store):
        """Read `variables` (this wrapper's four, then the inner optimizer's) from `store`.

        Raises:
            ValueError: If the optimizer is not built or the store does not match it.
        """
        own = Optimizer.variables.fget(self)
        inner = self.inner_optimizer.variables
        if len(store.keys()) != len(own) + len(inner) or not self.built:
            raise ValueError(
                f"`{type(self).__name__}` '{self.name}' has {len(own) + len(inner)} variables "
                f"but the store holds {len(store.keys())}. Build the optimizer on the model's "
                "parameters (`optimizer.build(params)`) around the same inner optimizer as "
                "the saved one before loading.")
        with torch.no_grad():
            for i, variable in enumerate(own):
                variable.copy_(torch.as_tensor(store[str(i)]))
        self.inner_optimizer.load_own_variables(
            {str(i): store[str(len(own) + i)] for i in range(len(inner))})
