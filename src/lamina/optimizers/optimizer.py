"""The optimizer base class: Keras 3's optimizer API over a list of torch parameters.

An optimizer is built once on a fixed list of parameters (`build`), creating its slot
variables (momentums, velocities, ...) beside them on their device. One update, whether it
comes from `step()` (gradients in `p.grad`, the torch convention) or from
`apply(grads, params)` / `apply_gradients(zip(grads, params))` (the Keras convention), runs:

    unscale (loss_scale_factor) -> [accumulate (gradient_accumulation_steps): the rest
    only at a window's last call, with the mean] -> clip (clipnorm | clipvalue |
    global_clipnorm) -> decoupled weight decay -> the update rule -> [moving average
    (use_ema)] -> iterations += 1

Every stage is a handful of list-wide `torch._foreach_*` ops (or one fused torch kernel) on
the parameters' device. The learning rate lives in a 0-d float32 tensor on that device (or
comes from a schedule computed there) and `iterations` in a 0-d int64 tensor, so an update
never reads a value back to the host and a `torch.compile`d step is not recompiled when
the rate changes. The decisions that depend on the step count (accumulation windows, EMA
timing) use a copy of the count kept on the host.

Subclasses create their slots in `build` with `add_optimizer_variables` and implement the
rule in `_foreach_update(grads, params, learning_rate, **slots)`, which receives each
slot list (keyed by slot name) restricted to the parameters being updated. A Keras-style
custom optimizer may instead override the per-variable `update_step`.
"""

import math
import numbers
import re
import warnings

import torch

from lamina import config, deprecation, registry
from lamina.optimizers import legacy_arguments
from lamina.optimizers.ema import update_moving_average
from lamina.optimizers.gradient_accumulation import accumulate
from lamina.optimizers.learning_rate_value import LearningRateValue
from lamina.validation import received, validate_positive_int

MODULE = "keras.optimizers"
SCHEDULES_MODULE = "keras.optimizers.schedules"
_FUSED_DEVICES = ("cpu", "cuda", "mps", "xpu", "hpu", "mtia")
_FUSED_DTYPES = (torch.float16, torch.bfloat16, torch.float32, torch.float64)


def check_float(value, arg, owner, low=0.0, high=None, high_open=False):
    """Return `value` as a float if it is a real number in `[low, high]` (or `[low, high)`),
    else raise the Keras-style `ValueError`."""
    ok = (isinstance(value, numbers.Real) and not isinstance(value, bool)
          and math.isfinite(value) and value >= low
          and (high is None or value < high or (value == high and not high_open)))
    if not ok:
        if high is None:
            expected = "a non-negative float" if low == 0 else f"a float >= {low:g}"
        else:
            expected = f"a float in [{low:g}, {high:g}{')' if high_open else ']'}"
        name = owner if isinstance(owner, str) else type(owner).__name__
        raise ValueError(f"`{name}` expects `{arg}` to be {expected}. " + received(arg, value))
    return float(value)


def fused_kernels_support(params):
    """Whether torch's fused optimizer kernels (Adam, AdamW, SGD) accept all of `params`."""
    return all(p.device.type in _FUSED_DEVICES and p.dtype in _FUSED_DTYPES for p in params)


def _is_schedule(value):
    """Whether `value` is a learning rate schedule (called with `iterations` each step)."""
    return any((registry.registered_name(cls) or ("",))[0] == SCHEDULES_MODULE
               for cls in type(value).__mro__)


def _check_accumulation_steps(value, owner):
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 2:
        raise ValueError(f"`{owner}` expects `gradient_accumulation_steps` to be an integer "
                         ">= 2 or None. " + received("gradient_accumulation_steps", value))
    return int(value)


def _snake_case(name):
    name = re.sub(r"(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub(r"([a-z])([A-Z])", r"\1_\2", name).lower()


class Optimizer:
    """Base class of lamina's optimizers; holds the arguments every optimizer shares.

    Args:
        learning_rate: A non-negative float, a learning rate schedule (a
            `keras.optimizers.schedules` object, called with `iterations` at each
            step), or a callable taking no argument that returns the rate.
        weight_decay: Float. If set, each weight is decayed by
            `weight * learning_rate * weight_decay` before each update (decoupled from the
            gradient, as in AdamW). Defaults to `None`.
        clipnorm: Float. If set, the gradient of each weight is rescaled so that its
            L2 norm is at most this value. Defaults to `None`.
        clipvalue: Float. If set, each gradient is clipped to `[-clipvalue, clipvalue]`.
            Defaults to `None`.
        global_clipnorm: Float. If set, all gradients are rescaled together so that their
            joint L2 norm is at most this value. Only one of `clipnorm`, `clipvalue` and
            `global_clipnorm` may be set. Defaults to `None`.
        use_ema: Whether to keep an exponential moving average of the weights (one
            "average" slot per weight), to copy into the weights at the end of training
            (`finalize_variable_values`). Defaults to `False`.
        ema_momentum: Float in `[0, 1]`: after each update `average <- ema_momentum *
            average + (1 - ema_momentum) * weight` (the first update copies the weight).
            Used with `use_ema`. Defaults to `0.99`.
        ema_overwrite_frequency: Positive integer or `None`. With `use_ema`, the weights are
            set to their average every `ema_overwrite_frequency` updates. Defaults to `None`
            (only at the end of training).
        loss_scale_factor: Float. If set, `scale_loss(loss)` multiplies the loss by it and
            every update divides the gradients by it. Defaults to `None`.
        gradient_accumulation_steps: Integer >= 2 or `None`. If set, gradients are summed
            over that many calls (`step`, `apply`) and the weights are updated at the last
            one with their mean. `iterations` counts updates; learning rate schedules see
            every call (Keras' counting). Defaults to `None`.
        name: String, the optimizer's name. Defaults to the snake-cased class name.
        **kwargs: Keras 2's `lr` (for `learning_rate`) and `decay` (the rate becomes
            `learning_rate / (1 + decay * iterations)`, an `InverseTimeDecay` schedule), each
            with a `DeprecationWarning`; see `optimizers/legacy_arguments.py`.

    Raises:
        ValueError: For an argument out of range, more than one clipping argument, or an
            unknown argument.
    """

    def __init__(self, learning_rate, weight_decay=None, clipnorm=None, clipvalue=None,
                 global_clipnorm=None, use_ema=False, ema_momentum=0.99,
                 ema_overwrite_frequency=None, loss_scale_factor=None,
                 gradient_accumulation_steps=None, name=None, **kwargs):
        owner = type(self).__name__
        learning_rate = legacy_arguments.resolve(owner, learning_rate, kwargs)
        clip_args = {"clipnorm": clipnorm, "clipvalue": clipvalue,
                     "global_clipnorm": global_clipnorm}
        if sum(v is not None for v in clip_args.values()) > 1:
            raise ValueError(
                f"`{owner}` accepts only one of `clipnorm`, `clipvalue` and `global_clipnorm`. "
                "Received: " + ", ".join(f"{k}={v!r}" for k, v in clip_args.items()) + ".")

        def optional(value, arg):
            return None if value is None else check_float(value, arg, owner)

        self.name = name or _snake_case(owner)
        self.weight_decay = optional(weight_decay, "weight_decay")
        self.clipnorm = optional(clipnorm, "clipnorm")
        self.clipvalue = optional(clipvalue, "clipvalue")
        self.global_clipnorm = optional(global_clipnorm, "global_clipnorm")
        self.use_ema = bool(use_ema)
        self.ema_momentum = check_float(ema_momentum, "ema_momentum", owner, 0.0, 1.0)
        self.ema_overwrite_frequency = None if ema_overwrite_frequency is None else \
            validate_positive_int(ema_overwrite_frequency, "ema_overwrite_frequency", owner)
        self.loss_scale_factor = optional(loss_scale_factor, "loss_scale_factor")
        self.gradient_accumulation_steps = _check_accumulation_steps(
            gradient_accumulation_steps, owner)
        self.built = False
        self._params = []
        self._variables = []  # slot variables, in Keras' order
        self._slots = {}  # slot name -> one tensor per parameter (what `_foreach_update` gets)
        self._exclude_ids, self._exclude_pattern, self._decay_mask = set(), None, None
        device = config.device()
        # `_iterations` counts updates (what update rules read, e.g. for bias corrections);
        # `_steps` counts calls of `step`/`apply` (Keras' `iteration` variable, what schedules
        # read). They are one tensor unless gradients are accumulated.
        self._iterations = torch.zeros((), dtype=torch.int64, device=device)
        self._steps = self._iterations if self.gradient_accumulation_steps is None else \
            torch.zeros((), dtype=torch.int64, device=device)
        self._host_steps, self._steps_version = 0, self._steps._version
        self._ema_averages, self._gradient_accumulators = [], []
        self._learning_rate = torch.zeros((), dtype=torch.float32, device=device)
        self._schedule = None
        self.learning_rate = learning_rate

    # -- learning rate and counters -----------------------------------------------------------

    @property
    def iterations(self):
        """Number of updates applied: a 0-d int64 tensor on the parameters' device.

        With `gradient_accumulation_steps` it counts updates, not calls (as Keras' property
        does); the calls are `variables[0]`, Keras' saved `iteration` variable.
        """
        return self._iterations

    @property
    def learning_rate(self):
        """The current learning rate as a Python float; assignable at any time.

        Assigning a float takes effect at the next update without a host-device sync.
        Reading a schedule's current value copies it to the host (a sync). The float is a
        `LearningRateValue`, so `optimizer.learning_rate.assign(value)` works as in Keras.
        """
        if self._schedule is None:
            return LearningRateValue(self._learning_rate_value, self)
        # host sync: reads a schedule's value
        return LearningRateValue(float(self._current_learning_rate()), self)

    @property
    def lr(self):
        """Keras 2's name of `learning_rate` (deprecated; read and assigned through it)."""
        deprecation.warn("`optimizer.lr` is deprecated in Keras 3; use "
                         "`optimizer.learning_rate`.")
        return self.learning_rate

    @lr.setter
    def lr(self, value):
        deprecation.warn("`optimizer.lr` is deprecated in Keras 3; use "
                         "`optimizer.learning_rate`.")
        self.learning_rate = value

    @learning_rate.setter
    def learning_rate(self, value):
        if callable(value) and not isinstance(value, torch.Tensor):
            self._schedule, self._schedule_takes_step = value, _is_schedule(value)
            return
        if self._schedule is not None and self._schedule_takes_step:
            raise TypeError(
                f"`{type(self).__name__}` was created with a learning rate schedule, so its "
                "learning rate cannot be set to a number. " + received("learning_rate", value)
                + " Create the optimizer with a float `learning_rate` to make it settable.")
        ok = (isinstance(value, numbers.Real) and not isinstance(value, bool)
              and math.isfinite(value) and value >= 0)
        if not ok:
            raise ValueError(
                f"`{type(self).__name__}` expects `learning_rate` to be a non-negative float, "
                "a learning rate schedule or a callable. " + received("learning_rate", value))
        self._schedule = None
        self._learning_rate_value = float(value)
        self._learning_rate.fill_(float(value))  # a kernel argument, not a host-device copy

    def _current_learning_rate(self):
        """The learning rate for this update, a 0-d float32 tensor on the device."""
        if self._schedule is None:
            return self._learning_rate
        if self._schedule_takes_step:
            value = self._schedule(self._steps)
        else:
            value = self._schedule()
        if isinstance(value, torch.Tensor):
            return value.to(device=self._learning_rate.device, dtype=torch.float32)
        return self._learning_rate.fill_(float(value))

    @property
    def variables(self):
        """`[iteration, learning_rate, *slots]` in Keras' order (no `learning_rate` entry
        while the rate is a schedule or callable). `iteration` counts calls; the slots start
        with the moving averages (`use_ema`) and the gradient accumulators."""
        rate = [] if self._schedule is not None else [self._learning_rate]
        return [self._steps, *rate, *self._variables]

    # -- building -----------------------------------------------------------------------------

    def build(self, params):
        """Create the optimizer's state for `params` (a list of `torch.nn.Parameter`), once.

        Raises:
            TypeError: If a parameter is not a floating-point tensor.
            ValueError: If the parameters live on more than one device.
        """
        if self.built:
            return
        params = list(params)
        owner = type(self).__name__
        for p in params:
            if not isinstance(p, torch.Tensor) or not p.is_floating_point():
                raise TypeError(f"`{owner}` can only update floating-point tensors. Received: "
                                f"{type(p).__name__} of dtype {getattr(p, 'dtype', None)}.")
        devices = sorted({str(p.device) for p in params})
        if len(devices) > 1:
            raise ValueError(
                f"`{owner}` expects all parameters on one device. Received parameters on "
                f"{', '.join(devices)}. Move the model with `model.to(device)`, or use one "
                "optimizer per device.")
        if params:
            device = params[0].device
            trusted = self._steps._version == self._steps_version
            self._iterations = self._iterations.to(device)
            self._steps = self._iterations if self.gradient_accumulation_steps is None else \
                self._steps.to(device)
            if trusted:  # the host count still holds for the moved copy
                self._steps_version = self._steps._version
            self._learning_rate = self._learning_rate.to(device)
        self._params = params
        self._index = {id(p): i for i, p in enumerate(params)}
        if self.weight_decay and (self._exclude_ids or self._exclude_pattern is not None):
            self._decay_mask = [self._use_weight_decay(p) for p in params]
        # Keras creates these first, so they lead the slots in `variables`.
        if self.use_ema:
            self._ema_averages = [self.add_variable_from_reference(p, "average")
                                  for p in params]
        if self.gradient_accumulation_steps:
            self._gradient_accumulators = [
                self.add_variable_from_reference(p, "gradient_accumulator") for p in params]
        self.built = True

    def add_variable(self, shape, initializer="zeros", dtype=None, name=None):
        """Create a state tensor of `shape` on the optimizer's device; listed in `variables`.

        `initializer` is a number, `"zeros"`, `"ones"` or a callable `(shape, dtype)`.
        `name` is accepted for Keras compatibility.
        """
        like = torch.empty(tuple(shape), dtype=config.torch_dtype(dtype),
                           device=self._iterations.device)
        value = self._initial(initializer, like)
        self._variables.append(value)
        return value

    def add_variable_from_reference(self, reference_variable, name=None, initializer="zeros"):
        """Create a state tensor shaped, typed, laid out and placed like `reference_variable`."""
        value = self._initial(initializer, reference_variable)
        self._variables.append(value)
        return value

    def add_optimizer_variables(self, trainable_variables, name, initializer="zeros"):
        """One slot per variable for each name in `name` (a string or a list of strings).

        With several names the slots are created interleaved (all names for the first
        variable, then the second...), as Keras orders them; `initializer` may then be a
        list too, one per name. Returns a list per name (a single list for a string) and
        records each list as the slot `name`.
        """
        names = [name] if isinstance(name, str) else list(name)
        initializers = list(initializer) if isinstance(initializer, (list, tuple)) \
            else [initializer] * len(names)
        lists = tuple([] for _ in names)
        for variable in trainable_variables:
            for slot_name, slot_init, slot_list in zip(names, initializers, lists):
                slot_list.append(self.add_variable_from_reference(variable, slot_name,
                                                                  slot_init))
        for slot_name, slot_list in zip(names, lists):
            self._slots[slot_name] = slot_list
        return lists[0] if isinstance(name, str) else lists

    def _add_hidden_slot(self, name, tensors):
        """Per-parameter state that torch's kernels need but Keras does not list."""
        self._slots[name] = list(tensors)

    def _initial(self, initializer, like):
        if isinstance(initializer, str) and initializer in ("zeros", "ones"):
            initializer = 0.0 if initializer == "zeros" else 1.0
        if isinstance(initializer, numbers.Real) and not isinstance(initializer, bool):
            # preserve_format: a slot shares its parameter's strides (e.g. channels_last),
            # which keeps torch's multi-tensor kernels on their fast path.
            return torch.full_like(like, float(initializer), memory_format=torch.preserve_format,
                                   requires_grad=False)
        if callable(initializer):
            value = torch.as_tensor(initializer(tuple(like.shape), dtype=like.dtype))
            return value.to(device=like.device, dtype=like.dtype).detach().clone()
        raise ValueError(f"`{type(self).__name__}` expects `initializer` to be a number, "
                         "'zeros', 'ones' or a callable `(shape, dtype)`. "
                         + received("initializer", initializer))

    def _get_variable_index(self, variable):
        return self._index[id(variable)]

    # -- Keras' per-variable helpers for custom optimizers ------------------------------------

    def assign(self, variable, value):
        variable.copy_(value)

    def assign_add(self, variable, value):
        variable.add_(value)

    def assign_sub(self, variable, value):
        variable.sub_(value)

    def update_step(self, gradient, variable, learning_rate):
        """Keras' per-variable rule, for custom optimizers; built-ins use `_foreach_update`."""
        raise TypeError(
            f"`{type(self).__name__}` defines no update rule. Override "
            "`update_step(self, gradient, variable, learning_rate)` (one variable at a time, "
            "as in Keras) or `_foreach_update(self, grads, params, learning_rate, **slots)`.")

    def _foreach_update(self, grads, params, learning_rate, **slots):
        """Apply the rule to the lists `params` and `grads` (and each slot list in `slots`).

        The default calls `update_step` per variable, as Keras does.
        """
        for gradient, variable in zip(grads, params):
            self.update_step(gradient, variable, learning_rate)

    # -- weight decay -------------------------------------------------------------------------

    def exclude_from_weight_decay(self, var_list=None, var_names=None):
        """Exempt parameters from `weight_decay`; call before `build`.

        Args:
            var_list: Parameters to exempt. Defaults to `None`.
            var_names: Strings; a parameter whose `name` contains one of them is exempt
                (e.g. `["bias"]`). Defaults to `None`.

        Raises:
            RuntimeError: If the optimizer is already built.
        """
        if self.built:
            raise RuntimeError(
                f"`{type(self).__name__}.exclude_from_weight_decay()` was called after the "
                "optimizer was built, when its decay set is fixed. Call it first: "
                "`opt.exclude_from_weight_decay(var_names=['bias'])`, then `opt.build(params)`.")
        self._exclude_ids = {id(v) for v in var_list or ()}
        self._exclude_pattern = re.compile("|".join(map(re.escape, var_names))) if var_names \
            else None

    def _use_weight_decay(self, param):
        if id(param) in self._exclude_ids:
            return False
        pattern, name = self._exclude_pattern, getattr(param, "name", None)
        return not (pattern is not None and isinstance(name, str) and pattern.search(name))

    # -- updating -----------------------------------------------------------------------------

    def _not_built_error(self, call):
        return RuntimeError(
            f"`{type(self).__name__}.{call}` was called before the optimizer was built, so it "
            "has no parameters to update. Call `optimizer.build(list(model.parameters()))` "
            "once before training, or use `optimizer.apply_gradients(zip(grads, params))`, "
            "which builds on first use.")

    def step(self, closure=None):
        """Update every parameter from its `.grad` (the torch convention).

        Parameters whose `.grad` is `None` are skipped, as `torch.optim` does.

        Args:
            closure: Optional callable that re-evaluates the model and returns the loss
                (torch's convention). Defaults to `None`.

        Returns:
            The closure's loss, or `None`.

        Raises:
            RuntimeError: If the optimizer is not built yet.
        """
        if not self.built:
            raise self._not_built_error("step()")
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        params = self._params
        grads = [p.grad for p in params]
        indices = None
        if any(g is None for g in grads):
            indices = [i for i, g in enumerate(grads) if g is not None]
            if not indices:
                return loss
            params, grads = [params[i] for i in indices], [grads[i] for i in indices]
        self._update(grads, params, indices)
        return loss

    def zero_grad(self, set_to_none=True):
        """Reset the gradients of the built parameters (to `None`, or to zeros in place)."""
        if set_to_none:
            for p in self._params:
                p.grad = None
        else:
            grads = [p.grad for p in self._params if p.grad is not None]
            if grads:
                torch._foreach_zero_(grads)

    def apply_gradients(self, grads_and_vars):
        """Apply `(gradient, parameter)` pairs (Keras 2 spelling of `apply`).

        Returns:
            Keras' `iteration` counter (`variables[0]`).
        """
        pairs = list(grads_and_vars)
        if pairs:
            grads, params = zip(*pairs)
            self.apply(grads, params)
        return self._steps

    def apply(self, grads, trainable_variables=None):
        """Update `trainable_variables` with `grads` (Keras 3's convention).

        Builds the optimizer on `trainable_variables` at the first call. Without
        `trainable_variables`, `grads` must match the built parameters one to one. A `None`
        gradient skips its variable (with a warning, as in Keras).

        Raises:
            RuntimeError: If called without variables before the optimizer is built.
            ValueError: If the lengths disagree, a variable is not one the optimizer was
                built with, or every gradient is `None`.
        """
        grads = list(grads)
        if not grads:
            return
        owner = type(self).__name__
        if trainable_variables is None:
            if not self.built:
                raise self._not_built_error("apply(grads)")
            params, indices = self._params, None
        else:
            params = list(trainable_variables)
            self.build(params)
            indices = self._indices_of(params)
        if len(grads) != len(params):
            raise ValueError(f"`{owner}.apply` expects one gradient per variable. Received "
                             f"{len(grads)} gradients for {len(params)} variables.")
        missing = [i for i, g in enumerate(grads) if g is None]
        if missing:
            if len(missing) == len(grads):
                raise ValueError(f"`{owner}.apply` received no gradient for any variable "
                                 "(all are None). Is the loss connected to the weights?")
            names = [getattr(params[i], "name", None) or f"#{i}" for i in missing]
            warnings.warn(f"Gradients do not exist for variables {names} when minimizing the "
                          "loss; they are left unchanged.", stacklevel=2)
            keep = [i for i, g in enumerate(grads) if g is not None]
            indices = [keep_i if indices is None else indices[keep_i] for keep_i in keep]
            params, grads = [params[i] for i in keep], [grads[i] for i in keep]
        self._update(grads, params, indices)

    def _indices_of(self, params):
        """`None` when `params` is the built list itself, else each one's index in it."""
        if len(params) == len(self._params) and all(
                a is b for a, b in zip(params, self._params)):
            return None
        try:
            return [self._index[id(p)] for p in params]
        except KeyError:
            raise ValueError(
                f"`{type(self).__name__}` was built for other variables than the ones "
                "received. An optimizer updates only the variables it was first built with; "
                "create a new optimizer for new variables.") from None

    @torch.no_grad()
    def _update(self, grads, params, indices):
        """One call's update of `params` (the built parameters at `indices`, all when `None`).

        In Keras' order: unscale; accumulate (see `gradient_accumulation.py`) or not; clip,
        decay and the rule; the moving average (see `ema.py`); count the call.
        """
        if self.loss_scale_factor is not None:
            grads = torch._foreach_div(grads, self.loss_scale_factor)
        n = self.gradient_accumulation_steps
        calls = self._host_step_count() if n or self.use_ema else None
        if n:
            accumulators = self._gradient_accumulators if indices is None else \
                [self._gradient_accumulators[i] for i in indices]
            if accumulate(accumulators, grads, calls, n):  # the mean, at a window's end
                self._apply_rule(accumulators, params, indices)
                torch._foreach_zero_(accumulators)
                self._iterations.add_(1)
        else:
            self._apply_rule(grads, params, indices)
        if self.use_ema:
            update_moving_average(self._ema_averages, self._params, self.ema_momentum,
                                  calls // n if n else calls, self.ema_overwrite_frequency)
        self._steps.add_(1)  # also `iterations` when not accumulating
        if calls is not None:
            self._host_steps, self._steps_version = calls + 1, self._steps._version

    def _apply_rule(self, grads, params, indices):
        """Clip, decay and run the update rule on `params` (at `indices` of the built list)."""
        grads = self._clip(grads)
        learning_rate = self._current_learning_rate()
        if self.weight_decay:
            self._decay(params, indices, learning_rate)
        slots = self._slots
        if indices is not None:
            slots = {name: [tensors[i] for i in indices] for name, tensors in slots.items()}
        self._foreach_update(grads, params, learning_rate, **slots)

    def _host_step_count(self):
        """Calls so far (Keras' `iteration`) as a Python int, without a host sync per step.

        The count kept on the host is trusted while only this optimizer wrote the counter
        (the tensor's version counter tells); after anything else wrote it (a restored
        checkpoint), it is read back once.
        """
        if self._steps._version != self._steps_version:
            self._host_steps = int(self._steps)  # host sync, only after an outside write
            self._steps_version = self._steps._version
        return self._host_steps

    def finalize_variable_values(self, var_list=None):
        """End of training: with `use_ema`, copy the moving averages into the weights.

        Keras' `fit` calls it once after the last epoch (when `epochs > 0`), before the
        callbacks' `on_train_end`. Without `use_ema` it does nothing.

        Args:
            var_list: The weights, in the order the optimizer was built with. Defaults to
                `None`: the built parameters.

        Raises:
            ValueError: If `var_list` does not have one weight per moving average.
        """
        if not self.use_ema or not self.built:
            return
        var_list = self._params if var_list is None else list(var_list)
        if len(var_list) != len(self._ema_averages):
            raise ValueError(
                f"`{type(self).__name__}.finalize_variable_values` expects the "
                f"{len(self._ema_averages)} weights the optimizer was built with, in order. "
                f"Received {len(var_list)} weights.")
        with torch.no_grad():
            torch._foreach_copy_(var_list, self._ema_averages)

    def _clip(self, grads):
        if self.clipnorm:  # per tensor: g * c / max(||g||, c), Keras' order of operations
            norms = torch._foreach_norm(grads, 2, dtype=torch.float32)
            clipped = torch._foreach_mul(grads, self.clipnorm)
            torch._foreach_div_(clipped, torch._foreach_maximum(norms, self.clipnorm))
            return clipped
        if self.global_clipnorm:  # all tensors: g * min(c / ||all g||, 1)
            norms = torch._foreach_norm(grads, 2, dtype=torch.float32)
            total = torch.linalg.vector_norm(torch.stack(norms))
            scale = (self.global_clipnorm / total).clamp_(max=1.0)
            scale += total - total  # an infinite norm makes every gradient NaN, as in Keras
            return torch._foreach_mul(grads, scale)
        if self.clipvalue:
            clipped = torch._foreach_clamp_min(grads, -self.clipvalue)
            torch._foreach_clamp_max_(clipped, self.clipvalue)
            return clipped
        return grads

    def _decay(self, params, indices, learning_rate):
        """Keras' decoupled decay, before the rule: `p <- p * (1 - learning_rate * wd)`."""
        if self._decay_mask is not None:
            mask = self._decay_mask if indices is None else [self._decay_mask[i] for i in indices]
            params = [p for p, use in zip(params, mask) if use]
        if params:
            torch._foreach_mul_(params, (learning_rate * -self.weight_decay).add_(1.0))

    def scale_loss(self, loss):
        """Multiply `loss` by `loss_scale_factor` (when set) before computing gradients."""
        return loss if self.loss_scale_factor is None else loss * self.loss_scale_factor

    # -- config and state ---------------------------------------------------------------------

    def get_config(self):
        """The constructor arguments as a JSON-friendly dict (Keras' keys)."""
        if self._schedule is None:
            learning_rate = self._learning_rate_value
        else:
            learning_rate = registry.serialize(self._schedule)
        return {
            "name": self.name, "learning_rate": learning_rate,
            "weight_decay": self.weight_decay, "clipnorm": self.clipnorm,
            "global_clipnorm": self.global_clipnorm, "clipvalue": self.clipvalue,
            "use_ema": self.use_ema, "ema_momentum": self.ema_momentum,
            "ema_overwrite_frequency": self.ema_overwrite_frequency,
            "loss_scale_factor": self.loss_scale_factor,
            "gradient_accumulation_steps": self.gradient_accumulation_steps,
        }

    @classmethod
    def from_config(cls, config, custom_objects=None):
        """Create an optimizer from `get_config()`'s dict (a schedule's dict is rebuilt)."""
        config = dict(config)
        if isinstance(config.get("learning_rate"), dict):
            config["learning_rate"] = registry.deserialize(
                config["learning_rate"], SCHEDULES_MODULE, "learning rate schedule",
                custom_objects)
        return cls(**config)

    def save_own_variables(self, store):
        """Write `variables` into `store` as numpy arrays under "0", "1", ... (Keras' layout)."""
        for i, variable in enumerate(self.variables):
            store[str(i)] = variable.detach().cpu().numpy()

    def load_own_variables(self, store):
        """Read `variables` back from a `store` written by `save_own_variables` (or Keras).

        Raises:
            ValueError: If the optimizer is not built or the store does not match it.
        """
        variables = self.variables
        if len(store.keys()) != len(variables) or not self.built:
            raise ValueError(
                f"`{type(self).__name__}` '{self.name}' has {len(variables)} variables but the "
                f"store holds {len(store.keys())}. Build the optimizer on the model's "
                "parameters (`optimizer.build(params)`) with the same arguments as the saved "
                "one before loading.")
        with torch.no_grad():
            for i, variable in enumerate(variables):
                value = torch.as_tensor(store[str(i)])
                if tuple(value.shape) != tuple(variable.shape):
                    raise ValueError(
                        f"Optimizer variable {i} of '{self.name}' has shape "
                        f"{tuple(variable.shape)}; the stored value has {tuple(value.shape)}.")
                variable.copy_(value)
        if self.gradient_accumulation_steps:  # updates = calls // steps, as Keras derives it
            with torch.no_grad():
                self._iterations.copy_(torch.div(self._steps, self.gradient_accumulation_steps,
                                                 rounding_mode="floor"))
        if self._schedule is None:
            self._learning_rate_value = float(self._learning_rate)  # host sync, once on load
