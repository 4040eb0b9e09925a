"""Activation functions, with Keras 3's names, arguments and defaults, computed with torch.

Every function takes a torch tensor and returns a new one of the same shape (except `glu`,
which halves one axis). Each is recorded in the registry under `"keras.activations"`, so
`get("gelu")`, a layer config's `"activation": "gelu"` and Keras' aliases (`swish` for `silu`,
`hard_swish` for `hard_silu`) all find it.

Logits ride along with probabilities: `softmax` (over the last axis) and `sigmoid` attach their
input to their output as the plain attribute `output._keras_logits`. A cross-entropy loss that
receives such a tensor computes from the logits (`log_softmax`, `logsigmoid`) instead of taking
the log of clipped probabilities, which is both faster and more accurate. The attribute costs
one Python assignment, keeps no extra memory alive beyond what autograd already holds, and does
not break `torch.compile` graphs.

Example:

>>> x = torch.tensor([-2.0, 0.0, 3.0])
>>> get("relu")(x)
tensor([0., 0., 3.])
>>> serialize(get("swish"))
'silu'
"""

import torch
import torch.nn.functional as F

from lamina import registry
from lamina.validation import received

_MODULE = "keras.activations"
_BUILTINS = {}  # canonical Keras name -> function


def _builtin(*aliases):
    """Register a built-in activation under its own name and Keras' aliases."""

    def decorate(fn):
        _BUILTINS[fn.__name__] = fn
        return registry.register(_MODULE, aliases=aliases)(fn)

    return decorate


@_builtin()
def relu(x, negative_slope=0.0, max_value=None, threshold=0.0):
    """Rectified linear unit, with Keras' optional slope, ceiling and threshold.

    With the defaults this is `max(x, 0)`. Otherwise values above `threshold` pass through
    (clipped to `[0, max_value]` when `max_value` is set) and values at or below it become
    `negative_slope * (x - threshold)`.

    Args:
        x: Input tensor.
        negative_slope: Slope below the threshold. Defaults to `0.0`.
        max_value: Largest value returned, or `None` for no ceiling. Defaults to `None`.
        threshold: Values at or below it are damped. Defaults to `0.0`.

    Returns:
        A tensor of the shape and dtype of `x`.

    Example:

    >>> relu(torch.tensor([-10.0, -5.0, 0.0, 5.0, 10.0]), negative_slope=0.5)
    tensor([-5.0000, -2.5000,  0.0000,  5.0000, 10.0000])
    """
    if negative_slope == 0 and threshold == 0:
        if max_value is None:
            return torch.relu(x)
        return torch.clamp(x, 0.0, max_value)
    if max_value is None and threshold == 0:
        return F.leaky_relu(x, negative_slope)
    if threshold != 0:
        # Keras skips the ReLU here: values between a negative threshold and 0 pass through.
        y = F.threshold(x, threshold, 0.0)
        if max_value is not None:
            y = torch.clamp(y, 0.0, max_value)
    else:
        y = torch.clamp(x, 0.0, max_value)  # here `max_value` is set: see the branches above
    if negative_slope != 0:
        y = y - negative_slope * torch.relu(threshold - x)
    return y


@_builtin()
def leaky_relu(x, negative_slope=0.2):
    """Leaky ReLU: `x` for `x >= 0`, `negative_slope * x` otherwise.

    Args:
        x: Input tensor.
        negative_slope: Slope for negative inputs. Defaults to `0.2`.
    """
    return F.leaky_relu(x, negative_slope)


@_builtin()
def relu6(x):
    """ReLU capped at 6: `min(max(x, 0), 6)`.

    Args:
        x: Input tensor.
    """
    return F.relu6(x)


def _last_axis(x, axis):
    return axis == -1 or axis == x.dim() - 1


@_builtin()
def softmax(x, axis=-1):
    """Softmax: `exp(x) / sum(exp(x))` along `axis`, a probability distribution per slice.

    When `axis` is the last axis, the output carries its input as `output._keras_logits`
    (see the module docstring).

    Args:
        x: Input tensor of logits.
        axis: Integer (or tuple of integers) to normalise over. Defaults to `-1`.

    Example:

    >>> p = softmax(torch.tensor([[1.0, 1.0]]))
    >>> p
    tensor([[0.5000, 0.5000]])
    >>> p._keras_logits
    tensor([[1., 1.]])
    """
    if isinstance(axis, (tuple, list)):
        output = torch.exp(x - torch.logsumexp(x, dim=tuple(axis), keepdim=True))
    else:
        output = torch.softmax(x, dim=axis)
    if isinstance(axis, int) and _last_axis(x, axis):
        output._keras_logits = x
        output._keras_activation = "softmax"  # so a sigmoid loss never reads these logits
    return output


@_builtin()
def log_softmax(x, axis=-1):
    """Logarithm of `softmax`, computed stably as `x - logsumexp(x)` along `axis`.

    Args:
        x: Input tensor of logits.
        axis: Integer axis to normalise over. Defaults to `-1`.
    """
    return torch.log_softmax(x, dim=axis)


@_builtin()
def elu(x, alpha=1.0):
    """Exponential linear unit: `x` for `x > 0`, `alpha * (exp(x) - 1)` otherwise.

    Args:
        x: Input tensor.
        alpha: Scale of the negative part. Defaults to `1.0`.
    """
    return F.elu(x, alpha)


@_builtin()
def selu(x):
    """Scaled ELU: `scale * elu(x, alpha)` with `alpha ~ 1.6733` and `scale ~ 1.0507`.

    Pair it with the `lecun_normal` initializer so activations keep zero mean and unit
    variance from layer to layer.

    Args:
        x: Input tensor.
    """
    return F.selu(x)


@_builtin()
def celu(x, alpha=1.0):
    """Continuously differentiable ELU: `max(x, 0) + min(0, alpha * (exp(x / alpha) - 1))`.

    Args:
        x: Input tensor.
        alpha: Scale of the negative part. Defaults to `1.0`.
    """
    return F.celu(x, alpha)


@_builtin()
def softplus(x):
    """Softplus: `log(1 + exp(x))`, a smooth ReLU.

    Args:
        x: Input tensor.
    """
    return F.softplus(x)


@_builtin()
def softsign(x):
    """Softsign: `x / (1 + |x|)`.

    Args:
        x: Input tensor.
    """
    return F.softsign(x)


@_builtin()
def squareplus(x, b=4):
    """Squareplus: `(x + sqrt(x**2 + b)) / 2`, an algebraic smooth ReLU.

    Args:
        x: Input tensor.
        b: Smoothness; `b = 0` gives ReLU. Defaults to `4`.
    """
    return (x + torch.sqrt(torch.square(x) + b)) * 0.5


@_builtin()
def sparse_plus(x):
    """SparsePlus: `0` for `x <= -1`, `(x + 1)**2 / 4` for `-1 < x < 1`, `x` for `x >= 1`.

    Args:
        x: Input tensor.
    """
    return torch.where(x >= 1, x, torch.square(torch.clamp(x, min=-1.0) + 1) * 0.25)


@_builtin("swish")
def silu(x):
    """SiLU, also called swish: `x * sigmoid(x)`.

    Args:
        x: Input tensor.
    """
    return F.silu(x)


@_builtin()
def gelu(x, approximate=False):
    """Gaussian error linear unit: `x * P(X <= x)` for a standard normal `X`.

    Args:
        x: Input tensor.
        approximate: Whether to use the tanh approximation instead of the exact `erf`
            form. Defaults to `False`.
    """
    return F.gelu(x, approximate="tanh" if approximate else "none")


@_builtin()
def glu(x, axis=-1):
    """Gated linear unit: split `x` in halves `a, b` along `axis`, return `a * sigmoid(b)`.

    Args:
        x: Input tensor; its size along `axis` must be even.
        axis: Axis to split. Defaults to `-1`.
    """
    return F.glu(x, dim=axis)


@_builtin()
def mish(x):
    """Mish: `x * tanh(softplus(x))`.

    Args:
        x: Input tensor.
    """
    return F.mish(x)


@_builtin()
def tanh(x):
    """Hyperbolic tangent.

    Args:
        x: Input tensor.
    """
    return torch.tanh(x)


@_builtin()
def tanh_shrink(x):
    """Tanh shrink: `x - tanh(x)`.

    Args:
        x: Input tensor.
    """
    return F.tanhshrink(x)


@_builtin()
def hard_tanh(x):
    """Hard tanh: `x` clipped to `[-1, 1]`.

    Args:
        x: Input tensor.
    """
    return F.hardtanh(x)


@_builtin()
def hard_shrink(x, threshold=0.5):
    """Hard shrink: `x` where `|x| > threshold`, `0` elsewhere.

    Args:
        x: Input tensor.
        threshold: Magnitude at or below which values become zero. Defaults to `0.5`.
    """
    return F.hardshrink(x, threshold)


@_builtin()
def soft_shrink(x, threshold=0.5):
    """Soft shrink: moves `x` towards zero by `threshold`, and to zero within it.

    Args:
        x: Input tensor.
        threshold: Amount of shrinkage. Defaults to `0.5`.
    """
    if threshold >= 0:
        return F.softshrink(x, threshold)
    # torch rejects a negative lambda; Keras' formula gives `x + threshold` there.
    return torch.where(x > threshold, x - threshold, x + threshold)


@_builtin()
def threshold(x, threshold, default_value):
    """Threshold: `x` where `x > threshold`, `default_value` elsewhere.

    Args:
        x: Input tensor.
        threshold: Values at or below it are replaced.
        default_value: The replacement value.
    """
    return F.threshold(x, threshold, default_value)


@_builtin()
def sigmoid(x):
    """Sigmoid: `1 / (1 + exp(-x))`.

    The output carries its input as `output._keras_logits` (see the module docstring).

    Args:
        x: Input tensor of logits.
    """
    output = torch.sigmoid(x)
    output._keras_logits = x
    output._keras_activation = "sigmoid"
    return output


@_builtin()
def log_sigmoid(x):
    """Logarithm of the sigmoid, `-softplus(-x)`, computed stably.

    Args:
        x: Input tensor.
    """
    return F.logsigmoid(x)


@_builtin()
def hard_sigmoid(x):
    """Hard sigmoid: `relu6(x + 3) / 6`, a piecewise linear sigmoid.

    Args:
        x: Input tensor.
    """
    return F.hardsigmoid(x)


@_builtin()
def sparse_sigmoid(x):
    """Sparse sigmoid: `(clip(x, -1, 1) + 1) / 2`.

    Args:
        x: Input tensor.
    """
    return (F.hardtanh(x) + 1) * 0.5


@_builtin("hard_swish")
def hard_silu(x):
    """Hard SiLU, also called hard swish: `x * relu6(x + 3) / 6`.

    Args:
        x: Input tensor.
    """
    return F.hardswish(x)


@_builtin()
def exponential(x):
    """Exponential: `exp(x)`.

    Args:
        x: Input tensor.
    """
    return torch.exp(x)


@_builtin()
def linear(x):
    """Identity: returns `x` itself.

    Args:
        x: Input tensor.
    """
    return x


@_builtin()
def sparsemax(x, axis=-1):
    """Sparsemax: the Euclidean projection of `x` onto the probability simplex along `axis`.

    Like softmax its slices sum to 1, but small entries become exactly 0:
    `max(x - tau, 0)`, with `tau` chosen so each slice sums to 1.

    Args:
        x: Input tensor of logits.
        axis: Integer axis to project along. Defaults to `-1`.

    Example:

    >>> sparsemax(torch.tensor([1.0, 1.2, 1.5]))
    tensor([0.1000, 0.3000, 0.6000])
    """
    z, _ = torch.sort(x, dim=axis, descending=True)
    cumsum = torch.cumsum(z, dim=axis)
    shape = [1] * x.dim()
    shape[axis] = -1
    rank = torch.arange(1, x.shape[axis] + 1, device=x.device, dtype=x.dtype).view(shape)
    # The support is the k largest entries with 1 + k * z_k > sum of the top k.
    k = torch.sum(1 + rank * z > cumsum, dim=axis, keepdim=True)
    tau = (torch.gather(cumsum, axis, k - 1) - 1) / k.to(x.dtype)
    return torch.clamp(x - tau, min=0.0)


# Keras' aliases, as module attributes too.
swish = silu
hard_swish = hard_silu


def serialize(activation):
    """How a layer config writes `activation`.

    Args:
        activation: A built-in activation, a registered custom function, or a callable object
            with `get_config`.

    Returns:
        The Keras name (`"relu"`) for built-ins, as Keras 3 writes them; Keras' dict form
        (`{"module", "class_name", "config", "registered_name"}`) otherwise.

    Raises:
        TypeError: If `activation` is not callable.
    """
    found = registry.registered_name(activation)
    if found is not None and found[0] == _MODULE and _BUILTINS.get(found[1]) is activation:
        return found[1]
    if found is not None or hasattr(activation, "get_config"):
        return registry.serialize(activation)
    if callable(activation):
        # An unregistered function is written by name, as Keras does; loading it needs
        # `custom_objects`.
        name = getattr(activation, "__name__", type(activation).__name__)
        return {"module": "builtins", "class_name": "function", "config": name,
                "registered_name": "function"}
    raise TypeError("`activations.serialize` expects `activation` to be callable. "
                    + received("activation", activation))


def deserialize(config, custom_objects=None):
    """The activation described by `config` (a name or Keras' dict form).

    Args:
        config: A string name or a dict as written by `serialize`.
        custom_objects: Optional dict mapping names to custom functions or classes.
            Defaults to `None`.

    Returns:
        The activation callable.

    Raises:
        ValueError: If the name is not a known activation.
        TypeError: If `config` is neither a string nor a dict with a `class_name`.
    """
    if isinstance(config, str):
        return registry.lookup(_MODULE, config, "activation", custom_objects)
    module = config.get("module") if isinstance(config, dict) else None
    if module and module not in (_MODULE, "builtins") and config.get("class_name") != "function":
        # A callable object such as a layer, found under its own Keras module.
        return registry.deserialize(config, module, "activation", custom_objects)
    return registry.deserialize(config, _MODULE, "activation", custom_objects)


def get(identifier):
    """Resolve what a user passed as `activation=` into a callable.

    Args:
        identifier: `None` (linear), a name such as `"relu"`, Keras' dict form, or a
            callable (returned as is).

    Returns:
        The activation callable.

    Raises:
        ValueError: If a name is not a known activation (the message lists valid names).
        TypeError: If `identifier` is none of the accepted kinds.

    Example:

    >>> get(None) is linear
    True
    >>> get({"class_name": "function", "config": "tanh"}) is tanh
    True
    """
    if identifier is None:
        return linear
    if isinstance(identifier, (str, dict)):
        return deserialize(identifier)
    if callable(identifier):
        return identifier
    raise TypeError("`activations.get` expects `identifier` to be a string, a config dict, a "
                    "callable or None. " + received("identifier", identifier))
