"""Weight initializers, with Keras 3's names, defaults and configs, producing torch tensors.

`initializer(shape, dtype=None, device=None)` returns a new tensor (`dtype` `None` means
`config.floatx()`, `device` `None` means `config.device()`). Shapes are in Keras' layout
(Conv2D kernel `(kh, kw, in, out)`) and fans follow from it as in Keras (`compute_fans`); a
layer that stores a weight in another layout initialises in Keras' layout and permutes.

Seeds: with `seed=None` samples come from torch's global generator, so `torch.manual_seed`
makes a model reproducible and each call draws new values. With an integer seed every call
returns the same values, as in Keras 3. Samples are drawn on the CPU (float32, or float64
when asked) with a local `torch.Generator` for integer seeds, then moved and cast, so a seeded
model starts from the same weights on every device.

Example:

>>> get("glorot_uniform")
GlorotUniform(seed=None, input_axes=None, output_axes=None)
>>> Constant(0.5)((2,), device="cpu")
tensor([0.5000, 0.5000])
"""

import abc
import math
import numbers

import numpy as np
import torch

from lamina import config, registry
from lamina.validation import received, validate_choice, validate_shape

_MODULE = "keras.initializers"


def _owner_name(owner):
    return f"`{type(owner).__name__}`"


def _check_number(owner, value, arg, minimum=None, strict=False):
    """A real number, optionally `>= minimum` (`> minimum` when `strict`)."""
    ok = isinstance(value, numbers.Real) and not isinstance(value, bool) and math.isfinite(value)
    if ok and minimum is not None:
        ok = value > minimum if strict else value >= minimum
    if not ok:
        bound = "" if minimum is None else (" > " if strict else " >= ") + f"{minimum}"
        raise ValueError(f"{_owner_name(owner)} expects `{arg}` to be a finite number{bound}. "
                         + received(arg, value))
    return value


def compute_fans(shape, input_axes=None, output_axes=None):
    """`(fan_in, fan_out)` of a weight of Keras-layout `shape`.

    A 2-D shape is `(fan_in, fan_out)`. A convolution kernel `(*spatial, in, out)` multiplies
    `in` and `out` by the receptive field size `prod(spatial)`. A 1-D shape has both fans equal
    to its size, a scalar both equal to 1. When both `input_axes` and `output_axes` are given,
    each fan is the product of the sizes along those axes.

    Example:

    >>> compute_fans((3, 3, 16, 32))
    (144, 288)
    """
    shape = tuple(shape)
    if input_axes is not None and output_axes is not None:
        return math.prod(shape[a] for a in input_axes), math.prod(shape[a] for a in output_axes)
    if len(shape) == 0:
        return 1, 1
    if len(shape) == 1:
        return shape[0], shape[0]
    receptive_field = math.prod(shape[:-2])
    return shape[-2] * receptive_field, shape[-1] * receptive_field


class Initializer(abc.ABC):
    """Base class of initializers: a callable `(shape, dtype=None, device=None) -> tensor`.

    Subclasses implement `__call__` and, when their constructor takes arguments,
    `get_config` returning those arguments (the default `from_config` passes them back).
    """

    @abc.abstractmethod
    def __call__(self, shape, dtype=None, device=None):
        """Return a new tensor of `shape` (Keras layout), `dtype` and `device`.

        Args:
            shape: Tuple of non-negative integers.
            dtype: Keras dtype name or `torch.dtype`; `None` means `config.floatx()`.
            device: Torch device; `None` means `config.device()`.
        """

    def get_config(self):
        """The constructor arguments as a JSON-serialisable dict."""
        return {}

    @classmethod
    def from_config(cls, config):
        """Build an initializer from the output of `get_config`."""
        return cls(**config)

    def clone(self):
        return type(self).from_config(self.get_config())

    def __repr__(self):
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        return f"{type(self).__name__}({args})"

    def _resolve(self, shape, dtype, device):
        shape = validate_shape(shape, "shape", self, allow_none=False)
        device = config.device() if device is None else torch.device(device)
        return shape, config.torch_dtype(dtype), device


@registry.register(_MODULE, aliases=("zeros", "zero"))
class Zeros(Initializer):
    """Fills the tensor with 0.

    Example:

    >>> Zeros()((2,), device="cpu")
    tensor([0., 0.])
    """

    def __call__(self, shape, dtype=None, device=None):
        shape, dtype, device = self._resolve(shape, dtype, device)
        return torch.zeros(shape, dtype=dtype, device=device)


@registry.register(_MODULE, aliases=("ones", "one"))
class Ones(Initializer):
    """Fills the tensor with 1."""

    def __call__(self, shape, dtype=None, device=None):
        shape, dtype, device = self._resolve(shape, dtype, device)
        return torch.ones(shape, dtype=dtype, device=device)


@registry.register(_MODULE, aliases=("constant",))
class Constant(Initializer):
    """Fills the tensor with `value`, broadcast to the requested shape.

    Args:
        value: A scalar, or an array-like (list, numpy array, tensor) that broadcasts to the
            shape asked for, e.g. a pretrained embedding matrix. Defaults to `0.0`.
    """

    def __init__(self, value=0.0):
        if isinstance(value, dict) and value.get("class_name") == "__numpy__":
            value = np.asarray(value["config"]["value"], dtype=value["config"].get("dtype"))
        if not isinstance(value, (numbers.Number, list, tuple, np.ndarray, np.generic,
                                  torch.Tensor)):
            raise TypeError("`Constant` expects `value` to be a number or an array-like. "
                            + received("value", value))
        self.value = value

    def __call__(self, shape, dtype=None, device=None):
        shape, dtype, device = self._resolve(shape, dtype, device)
        if isinstance(self.value, numbers.Number):
            return torch.full(shape, self.value, dtype=dtype, device=device)
        values = torch.as_tensor(self.value, dtype=dtype, device=device)
        try:
            return torch.broadcast_to(values, shape).clone()
        except RuntimeError as error:
            raise ValueError(f"`Constant` holds a value of shape {tuple(values.shape)}, which "
                             f"does not broadcast to the requested shape {shape}.") from error

    def get_config(self):
        value = self.value
        if isinstance(value, numbers.Number) or isinstance(value, np.generic):
            return {"value": value.item() if isinstance(value, np.generic) else value}
        # Arrays are written in Keras' own form for numpy values, so Keras can read them back.
        array = (value.detach().cpu().numpy() if isinstance(value, torch.Tensor)
                 else np.asarray(value))
        return {"value": {"class_name": "__numpy__",
                          "config": {"value": array.tolist(), "dtype": str(array.dtype)}}}


@registry.register(_MODULE, aliases=("identity", "IdentityInitializer"))
class Identity(Initializer):
    """Identity matrix times `gain`; only for 2-D shapes (non-square ones get ones on the
    main diagonal).

    Args:
        gain: Multiplier of the identity matrix. Defaults to `1.0`.

    Example:

    >>> Identity(gain=2.0)((2, 3), device="cpu")
    tensor([[2., 0., 0.],
            [0., 2., 0.]])
    """

    def __init__(self, gain=1.0):
        self.gain = _check_number(self, gain, "gain")

    def __call__(self, shape, dtype=None, device=None):
        shape, dtype, device = self._resolve(shape, dtype, device)
        if len(shape) != 2:
            raise ValueError("`Identity` can only initialise 2-D weights. "
                             f"Received: shape={shape} (rank {len(shape)}).")
        return torch.eye(*shape, dtype=dtype, device=device) * self.gain

    def get_config(self):
        return {"gain": self.gain}


class RandomInitializer(Initializer):
    """Base of the random initializers: holds the seed and draws on the CPU.

    Args:
        seed: Integer for values that repeat on every call, or `None` to draw from torch's
            global generator. Defaults to `None`.
    """

    def __init__(self, seed=None):
        if seed is not None and (isinstance(seed, bool) or not isinstance(seed, numbers.Integral)):
            raise ValueError(f"{_owner_name(self)} expects `seed` to be an integer or None. "
                             + received("seed", seed))
        self.seed = None if seed is None else int(seed)

    def __call__(self, shape, dtype=None, device=None):
        shape, dtype, device = self._resolve(shape, dtype, device)
        if not dtype.is_floating_point:
            raise ValueError(f"{_owner_name(self)} draws floating point values. "
                             f"Received: dtype={dtype}.")
        sample_dtype = torch.float64 if dtype == torch.float64 else torch.float32
        generator = None if self.seed is None else torch.Generator().manual_seed(self.seed)
        tensor = self._fill(torch.empty(shape, dtype=sample_dtype), generator)
        return tensor.to(device=device, dtype=dtype)

    @abc.abstractmethod
    def _fill(self, tensor, generator):
        """Fill the CPU `tensor` in place with samples from `generator` and return it."""

    def get_config(self):
        return {"seed": self.seed}


def _truncated_normal(tensor, mean, stddev, generator):
    """Normal values redrawn outside two standard deviations, as Keras does."""
    torch.nn.init.trunc_normal_(tensor, 0.0, 1.0, -2.0, 2.0, generator=generator)
    return tensor.mul_(stddev).add_(mean)


@registry.register(_MODULE, aliases=("random_normal", "normal"))
class RandomNormal(RandomInitializer):
    """Samples from a normal distribution `N(mean, stddev**2)`.

    Args:
        mean: Mean of the values. Defaults to `0.0`.
        stddev: Standard deviation, non-negative. Defaults to `0.05`.
        seed: See `RandomInitializer`. Defaults to `None`.

    Example:

    >>> w = RandomNormal(stddev=1.0, seed=0)((1000,), device="cpu")
    >>> torch.equal(w, RandomNormal(stddev=1.0, seed=0)((1000,), device="cpu"))
    True
    """

    def __init__(self, mean=0.0, stddev=0.05, seed=None):
        self.mean = _check_number(self, mean, "mean")
        self.stddev = _check_number(self, stddev, "stddev", minimum=0)
        super().__init__(seed)

    def _fill(self, tensor, generator):
        return tensor.normal_(self.mean, self.stddev, generator=generator)

    def get_config(self):
        return {**super().get_config(), "mean": self.mean, "stddev": self.stddev}


@registry.register(_MODULE, aliases=("truncated_normal",))
class TruncatedNormal(RandomInitializer):
    """Samples from a normal distribution, redrawing values more than two standard
    deviations from the mean.

    Args:
        mean: Mean of the untruncated distribution. Defaults to `0.0`.
        stddev: Standard deviation of the untruncated distribution, non-negative.
            Defaults to `0.05`.
        seed: See `RandomInitializer`. Defaults to `None`.
    """

    def __init__(self, mean=0.0, stddev=0.05, seed=None):
        self.mean = _check_number(self, mean, "mean")
        self.stddev = _check_number(self, stddev, "stddev", minimum=0)
        super().__init__(seed)

    def _fill(self, tensor, generator):
        return _truncated_normal(tensor, self.mean, self.stddev, generator)

    def get_config(self):
        return {**super().get_config(), "mean": self.mean, "stddev": self.stddev}


@registry.register(_MODULE, aliases=("random_uniform", "uniform"))
class RandomUniform(RandomInitializer):
    """Samples from a uniform distribution on `[minval, maxval)`.

    Args:
        minval: Lower bound. Defaults to `-0.05`.
        maxval: Upper bound, at least `minval`. Defaults to `0.05`.
        seed: See `RandomInitializer`. Defaults to `None`.
    """

    def __init__(self, minval=-0.05, maxval=0.05, seed=None):
        self.minval = _check_number(self, minval, "minval")
        self.maxval = _check_number(self, maxval, "maxval", minimum=minval)
        super().__init__(seed)

    def _fill(self, tensor, generator):
        return tensor.uniform_(self.minval, self.maxval, generator=generator)

    def get_config(self):
        return {**super().get_config(), "minval": self.minval, "maxval": self.maxval}


# Standard deviation of a unit normal truncated to [-2, 2]; dividing by it makes the
# truncated samples have the variance asked for.
_TRUNCATION_STDDEV = 0.87962566103423978


@registry.register(_MODULE, aliases=("variance_scaling",))
class VarianceScaling(RandomInitializer):
    """Samples with variance `scale / n`, where `n` is the fan chosen by `mode`.

    `n` is `fan_in`, `fan_out` or their mean (`"fan_avg"`), at least 1 (see `compute_fans`).
    `"truncated_normal"` draws a normal truncated at two standard deviations whose standard
    deviation after truncation is `sqrt(scale / n)`; `"untruncated_normal"` draws a plain
    normal; `"uniform"` draws on `[-limit, limit]` with `limit = sqrt(3 * scale / n)`.

    Args:
        scale: Positive scaling factor. Defaults to `1.0`.
        mode: One of `"fan_in"`, `"fan_out"`, `"fan_avg"`. Defaults to `"fan_in"`.
        distribution: One of `"truncated_normal"` (alias `"normal"`), `"untruncated_normal"`,
            `"uniform"`. Defaults to `"truncated_normal"`.
        seed: See `RandomInitializer`. Defaults to `None`.
        input_axes: Optional list of axes whose sizes multiply into `fan_in` (used only
            together with `output_axes`). Defaults to `None`.
        output_axes: Optional list of axes whose sizes multiply into `fan_out`. Defaults to
            `None`.
    """

    _DISTRIBUTIONS = ("truncated_normal", "untruncated_normal", "uniform")

    def __init__(self, scale=1.0, mode="fan_in", distribution="truncated_normal", seed=None,
                 input_axes=None, output_axes=None):
        self.scale = _check_number(self, scale, "scale", minimum=0, strict=True)
        self.mode = validate_choice(mode, "mode", ("fan_in", "fan_out", "fan_avg"), self)
        if isinstance(distribution, str):
            distribution = distribution.lower()
            distribution = "truncated_normal" if distribution == "normal" else distribution
        self.distribution = validate_choice(distribution, "distribution",
                                            self._DISTRIBUTIONS, self)
        self.input_axes = self._check_axes(input_axes, "input_axes")
        self.output_axes = self._check_axes(output_axes, "output_axes")
        super().__init__(seed)

    def _check_axes(self, axes, arg):
        if axes is None:
            return None
        try:
            ok = all(isinstance(a, numbers.Integral) and not isinstance(a, bool) for a in axes)
        except TypeError:
            ok = False
        if not ok:
            raise ValueError(f"{_owner_name(self)} expects `{arg}` to be a list of integer "
                             "axes or None. " + received(arg, axes))
        return [int(a) for a in axes]

    def _fill(self, tensor, generator):
        fan_in, fan_out = compute_fans(tensor.shape, self.input_axes, self.output_axes)
        fan = {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2.0}
        variance = self.scale / max(1.0, fan[self.mode])
        if self.distribution == "truncated_normal":
            return _truncated_normal(tensor, 0.0, math.sqrt(variance) / _TRUNCATION_STDDEV,
                                     generator)
        if self.distribution == "untruncated_normal":
            return tensor.normal_(0.0, math.sqrt(variance), generator=generator)
        limit = math.sqrt(3.0 * variance)
        return tensor.uniform_(-limit, limit, generator=generator)

    def get_config(self):
        return {**super().get_config(), "scale": self.scale, "mode": self.mode,
                "distribution": self.distribution, "input_axes": self.input_axes,
                "output_axes": self.output_axes}


class _FixedVarianceScaling(VarianceScaling):
    """A `VarianceScaling` whose scale, mode and distribution are fixed by the class."""

    _SETTINGS = ()  # (scale, mode, distribution)

    def __init__(self, seed=None, input_axes=None, output_axes=None):
        scale, mode, distribution = self._SETTINGS
        super().__init__(scale, mode, distribution, seed, input_axes, output_axes)

    def get_config(self):
        return {"seed": self.seed, "input_axes": self.input_axes,
                "output_axes": self.output_axes}


@registry.register(_MODULE, aliases=("glorot_uniform",))
class GlorotUniform(_FixedVarianceScaling):
    """Glorot (Xavier) uniform: uniform on `[-limit, limit]`,
    `limit = sqrt(6 / (fan_in + fan_out))`. Arguments as for `VarianceScaling`."""

    _SETTINGS = (1.0, "fan_avg", "uniform")


@registry.register(_MODULE, aliases=("glorot_normal",))
class GlorotNormal(_FixedVarianceScaling):
    """Glorot (Xavier) normal: truncated normal with `stddev = sqrt(2 / (fan_in + fan_out))`.
    Arguments as for `VarianceScaling`."""

    _SETTINGS = (1.0, "fan_avg", "truncated_normal")


@registry.register(_MODULE, aliases=("he_uniform",))
class HeUniform(_FixedVarianceScaling):
    """He uniform: uniform on `[-limit, limit]`, `limit = sqrt(6 / fan_in)`. Arguments as
    for `VarianceScaling`."""

    _SETTINGS = (2.0, "fan_in", "uniform")


@registry.register(_MODULE, aliases=("he_normal",))
class HeNormal(_FixedVarianceScaling):
    """He normal: truncated normal with `stddev = sqrt(2 / fan_in)`. Arguments as for
    `VarianceScaling`."""

    _SETTINGS = (2.0, "fan_in", "truncated_normal")


@registry.register(_MODULE, aliases=("lecun_uniform",))
class LecunUniform(_FixedVarianceScaling):
    """LeCun uniform: uniform on `[-limit, limit]`, `limit = sqrt(3 / fan_in)`. Arguments as
    for `VarianceScaling`."""

    _SETTINGS = (1.0, "fan_in", "uniform")


@registry.register(_MODULE, aliases=("lecun_normal",))
class LecunNormal(_FixedVarianceScaling):
    """LeCun normal: truncated normal with `stddev = sqrt(1 / fan_in)`; the partner of `selu`.
    Arguments as for `VarianceScaling`."""

    _SETTINGS = (1.0, "fan_in", "truncated_normal")


@registry.register(_MODULE, aliases=("orthogonal", "OrthogonalInitializer"))
class Orthogonal(RandomInitializer):
    """A (semi-)orthogonal matrix times `gain`, from the QR decomposition of a normal matrix.

    A shape of rank above 2 is treated as the matrix `(prod(shape[:-1]), shape[-1])` and
    reshaped back. With fewer rows than columns the rows are orthonormal, otherwise the
    columns are.

    Args:
        gain: Multiplier of the orthogonal matrix. Defaults to `1.0`.
        seed: See `RandomInitializer`. Defaults to `None`.
    """

    def __init__(self, gain=1.0, seed=None):
        self.gain = _check_number(self, gain, "gain")
        super().__init__(seed)

    def _fill(self, tensor, generator):
        shape = tuple(tensor.shape)
        if len(shape) < 2:
            raise ValueError("`Orthogonal` needs a shape of rank 2 or more. "
                             f"Received: shape={shape} (rank {len(shape)}).")
        rows, cols = math.prod(shape[:-1]), shape[-1]
        normal = torch.randn((max(rows, cols), min(rows, cols)), generator=generator,
                             dtype=tensor.dtype)
        q, r = torch.linalg.qr(normal)  # q: (max, min) with orthonormal columns
        q = q * torch.sign(torch.diagonal(r))  # make the decomposition unique
        if rows < cols:
            q = q.T
        return tensor.copy_(q.reshape(shape)).mul_(self.gain)

    def get_config(self):
        return {**super().get_config(), "gain": self.gain}


_WINDOWS = {"hann": torch.hann_window, "hamming": torch.hamming_window,
            "blackman": torch.blackman_window, "bartlett": torch.bartlett_window}


@registry.register(_MODULE, aliases=("stft", "STFTInitializer"))
class STFT(Initializer):
    """Convolution kernel computing one side of a short-time Fourier transform.

    The shape is `(frame_length, input_channels, fft_length // 2 + 1)`; the kernel holds
    `cos` (`side="real"`) or `sin` (`side="imag"`) of `-2 pi t f / fft_length`, times the
    window and divided by the window's scale.

    Args:
        side: `"real"` or `"imag"`. Defaults to `"real"`.
        window: `"hann"`, `"hamming"`, `"blackman"`, `"bartlett"`, an array-like of
            `frame_length` values, or `None` for no window. Defaults to `"hann"`.
        scaling: `"density"` (divide by the window's L2 norm), `"spectrum"` (by its L1 norm)
            or `None`. Defaults to `"density"`.
        periodic: Whether named windows are periodic rather than symmetric. Defaults to
            `False`.
    """

    def __init__(self, side="real", window="hann", scaling="density", periodic=False):
        self.side = validate_choice(side, "side", ("real", "imag"), self)
        if isinstance(window, str):
            validate_choice(window, "window", tuple(_WINDOWS), self)
        self.window = window
        self.scaling = validate_choice(scaling, "scaling", ("density", "spectrum", None), self)
        self.periodic = bool(periodic)

    def __call__(self, shape, dtype=None, device=None):
        shape, dtype, device = self._resolve(shape, dtype, device)
        if len(shape) != 3:
            raise ValueError("`STFT` expects a shape (frame_length, input_channels, "
                             f"fft_bins). Received: shape={shape}.")
        frame_length, _, bins = shape
        time = torch.arange(frame_length, dtype=torch.float64).view(-1, 1, 1)
        freq = torch.arange(bins, dtype=torch.float64).view(1, 1, -1) / ((bins - 1) * 2)
        angle = -2.0 * math.pi * time * freq  # (frame_length, 1, bins)
        kernel = torch.cos(angle) if self.side == "real" else torch.sin(angle)
        if self.window is not None:
            if isinstance(self.window, str):
                win = _WINDOWS[self.window](frame_length, periodic=self.periodic,
                                            dtype=torch.float64)
            else:
                win = torch.as_tensor(np.asarray(self.window), dtype=torch.float64)
            if tuple(win.shape) != (frame_length,):
                raise ValueError(f"`STFT` expects `window` to hold {frame_length} values (the "
                                 f"frame length). Received: window of shape {tuple(win.shape)}.")
            kernel = kernel * win.view(-1, 1, 1)
            if self.scaling == "density":
                kernel = kernel / torch.sqrt(torch.sum(win * win))
            elif self.scaling == "spectrum":
                kernel = kernel / torch.sum(torch.abs(win))
        return kernel.expand(shape).to(device=device, dtype=dtype).contiguous()

    def get_config(self):
        window = self.window
        if not (window is None or isinstance(window, str)):
            window = np.asarray(window).tolist()
        return {"side": self.side, "window": window, "periodic": self.periodic,
                "scaling": self.scaling}


# Keras 3 also exports the classes under their snake_case names.
zeros, ones, constant, identity = Zeros, Ones, Constant, Identity
random_normal, truncated_normal, random_uniform = RandomNormal, TruncatedNormal, RandomUniform
variance_scaling, orthogonal, stft = VarianceScaling, Orthogonal, STFT
glorot_uniform, glorot_normal, he_uniform, he_normal = (GlorotUniform, GlorotNormal,
                                                        HeUniform, HeNormal)
lecun_uniform, lecun_normal = LecunUniform, LecunNormal
IdentityInitializer, OrthogonalInitializer, STFTInitializer = Identity, Orthogonal, STFT


def serialize(initializer):
    """Keras' dict form of `initializer`: `{"module", "class_name", "config", ...}`."""
    return registry.serialize(initializer)


def deserialize(config, custom_objects=None):
    """The initializer described by Keras' dict form (or a bare name).

    Args:
        config: A dict as written by `serialize`, or a registered name.
        custom_objects: Optional dict mapping names to custom classes. Defaults to `None`.
    """
    if isinstance(config, str):
        config = {"class_name": config, "config": {}}
    found = registry.deserialize(config, _MODULE, "initializer", custom_objects)
    return found() if isinstance(found, type) else found


def get(identifier):
    """Resolve what a user passed as `kernel_initializer=` and the like.

    Args:
        identifier: `None`, a name (`"glorot_uniform"`), Keras' dict form, an initializer
            class (instantiated with its defaults), an array or tensor (used as a constant),
            or a callable `fn(shape, dtype=None)` (returned as is).

    Returns:
        An initializer, or `None` for `None`.

    Raises:
        ValueError: If a name is not a known initializer (the message lists valid names).
        TypeError: If `identifier` is none of the accepted kinds.
    """
    if identifier is None:
        return None
    if isinstance(identifier, (str, dict)):
        return deserialize(identifier)
    if isinstance(identifier, (torch.Tensor, np.ndarray, np.generic)):
        return Constant(identifier)
    if isinstance(identifier, type):
        return identifier()
    if callable(identifier):
        return identifier
    raise TypeError("`initializers.get` expects `identifier` to be a string, a config dict, a "
                    "class, an array or a callable. " + received("identifier", identifier))


def initialize(initializer, shape, dtype=None, device=None):
    """Run any initializer and return a detached tensor of `shape`, `dtype`, `device`.

    lamina initializers are called with `device`; a Keras-style callable
    `fn(shape, dtype=None)` is called with the Keras dtype name and its result (a tensor,
    numpy array or nested list) is converted.

    Raises:
        ValueError: If a custom callable returns a value of another shape.

    Example:

    >>> initialize(lambda shape, dtype=None: np.full(shape, 3.0), (2,), device="cpu")
    tensor([3., 3.])
    """
    if isinstance(initializer, Initializer):
        return initializer(shape, dtype=dtype, device=device)
    torch_dtype = config.torch_dtype(dtype)
    device = config.device() if device is None else torch.device(device)
    value = initializer(tuple(shape), dtype=str(torch_dtype).removeprefix("torch."))
    tensor = torch.as_tensor(value, dtype=torch_dtype, device=device).detach()
    if tuple(tensor.shape) != tuple(shape):
        raise ValueError(f"The initializer {initializer!r} returned a value of shape "
                         f"{tuple(tensor.shape)} for a weight of shape {tuple(shape)}.")
    return tensor
