"""`BatchNormalization`: normalise each feature with the batch's statistics while training and
with moving averages of them at inference.

Fast path: one `torch.native_batch_norm` call, which returns the batch mean and inverse standard
deviation it computed, so the moving averages are updated from them (Keras' convention, with the
biased variance) without a second pass over the data and without a host sync. torch's own
running-statistics update is not used: it folds in the *unbiased* variance.
"""

import numbers

import torch
import torch.nn.functional as F

from lamina import config, initializers
from lamina.layers.layer import Layer
from lamina.layers.normalization import common
from lamina.registry import register
from lamina.validation import received


@register("keras.layers")
class BatchNormalization(Layer):
    """Normalises inputs per feature: `gamma * (x - mean) / sqrt(var + epsilon) + beta`.

    In training (`fit`, or `training=True`) `mean` and `var` are the current batch's (the
    biased variance, over every axis but `axis`), and the moving statistics are updated as
    `moving = moving * momentum + batch * (1 - momentum)`. At inference (`predict`,
    `evaluate`, `training=False`, the default) the moving statistics are used. A frozen layer
    (`trainable=False`) always runs in inference mode, as in Keras 3.

    Args:
        axis: Integer, the features axis (normalised separately). Use `1` after a
            `channels_first` convolution. Defaults to `-1`.
        momentum: Momentum of the moving averages. Defaults to `0.99`.
        epsilon: Small float added to the variance. Defaults to `1e-3`.
        center: Whether to add the learned offset `beta`. Defaults to `True`.
        scale: Whether to multiply by the learned `gamma`. Defaults to `True`.
        beta_initializer: Initializer of `beta`. Defaults to `"zeros"`.
        gamma_initializer: Initializer of `gamma`. Defaults to `"ones"`.
        moving_mean_initializer: Initializer of `moving_mean`. Defaults to `"zeros"`.
        moving_variance_initializer: Initializer of `moving_variance`. Defaults to `"ones"`.
        beta_regularizer: Regularizer of `beta`. Defaults to `None`.
        gamma_regularizer: Regularizer of `gamma`. Defaults to `None`.
        beta_constraint: Constraint on `beta`. Defaults to `None`.
        gamma_constraint: Constraint on `gamma`. Defaults to `None`.
        renorm: Whether to use batch renormalization (Ioffe, 2017), which corrects the batch
            statistics towards moving ones while training. Defaults to `False`.
        renorm_clipping: Dict with optional keys `"rmax"`, `"rmin"`, `"dmax"` clipping the
            renorm corrections `r` (to `[rmin, rmax]`) and `d` (to `[-dmax, dmax]`).
            Defaults to `None` (no clipping).
        renorm_momentum: Momentum of the renorm moving averages. Defaults to `0.99`.
        synchronized: Whether to reduce the batch statistics across the processes of a
            `torch.distributed` group (Keras supports it on TensorFlow only). lamina computes
            local statistics; only `False` is accepted. Defaults to `False`.
        **kwargs: Base layer arguments (`name`, `dtype`, `trainable`, `input_shape`, ...).

    Weights:
        gamma, beta: `(features,)`, trainable (when `scale`, `center`).
        moving_mean, moving_variance: `(features,)`, non-trainable (torch buffers).
        moving_stddev, renorm_mean, renorm_stddev: `(features,)`, non-trainable, with `renorm`.

    Call arguments:
        inputs: Tensor of any rank.
        training: Whether to normalise with the batch statistics and update the moving ones.
        mask: Optional boolean tensor of the input's shape without its last axis; only the
            `True` positions contribute to the batch statistics.

    Input shape:
        Any. Output shape: the input's.

    Example:
    >>> import torch, lamina as keras
    >>> layer = keras.layers.BatchNormalization(momentum=0.5)
    >>> out = layer(torch.tensor([[0.0], [2.0]]), training=True)
    >>> [round(v, 4) for v in out.flatten().tolist()]
    [-0.9995, 0.9995]
    >>> layer.moving_mean.numpy().tolist(), layer.moving_variance.numpy().tolist()
    ([0.5], [1.0])
    """

    def __init__(self, axis=-1, momentum=0.99, epsilon=1e-3, center=True, scale=True,
                 beta_initializer="zeros", gamma_initializer="ones",
                 moving_mean_initializer="zeros", moving_variance_initializer="ones",
                 beta_regularizer=None, gamma_regularizer=None, beta_constraint=None,
                 gamma_constraint=None, renorm=False, renorm_clipping=None, renorm_momentum=0.99,
                 synchronized=False, **kwargs):
        super().__init__(**kwargs)
        self.axis = common.validate_axis(axis, self, allow_list=False)
        if synchronized:
            raise ValueError(
                "`BatchNormalization` computes the statistics of each process's own batch; "
                "`synchronized=True` (Keras: TensorFlow only) is not supported. Received: "
                f"synchronized={synchronized!r}."
            )
        self.synchronized = False
        self.momentum = float(momentum)
        self.epsilon = float(epsilon)
        self.center = bool(center)
        self.scale = bool(scale)
        common.set_gamma_beta_options(self, beta_initializer, gamma_initializer,
                                      beta_regularizer, gamma_regularizer, beta_constraint,
                                      gamma_constraint)
        self.moving_mean_initializer = initializers.get(moving_mean_initializer)
        self.moving_variance_initializer = initializers.get(moving_variance_initializer)
        self.renorm = bool(renorm)
        self.renorm_clipping = _validate_clipping(renorm_clipping, self) if renorm else (
            renorm_clipping)
        self.renorm_momentum = float(renorm_momentum)
        self.supports_masking = True

    def build(self, input_shape):
        ndim = len(input_shape)
        self._axis = common.resolve_axes(self.axis, input_shape, self)[0]
        self._ndim = ndim
        self._reduction_axes = [d for d in range(ndim) if d != self._axis]
        shape = (input_shape[self._axis],)
        common.add_gamma_beta(self, shape, self.scale, self.center)
        self.moving_mean = self.add_weight(shape=shape, initializer=self.moving_mean_initializer,
                                           trainable=False, name="moving_mean")
        self.moving_variance = self.add_weight(
            shape=shape, initializer=self.moving_variance_initializer, trainable=False,
            name="moving_variance",
        )
        if self.renorm:  # renorm tracks standard deviations, initialised from the variance's
            stddev = self.moving_variance.detach().sqrt()
            self.moving_stddev = self.add_weight(shape=shape, initializer=stddev.clone(),
                                                 trainable=False, name="moving_stddev")
            self.renorm_mean = self.add_weight(
                shape=shape, initializer=self.moving_mean.detach().clone(), trainable=False,
                name="renorm_mean",
            )
            self.renorm_stddev = self.add_weight(shape=shape, initializer=stddev.clone(),
                                                 trainable=False, name="renorm_stddev")
        self.built = True

    def call(self, inputs, training=None, mask=None):
        x = common.upcast(inputs)
        if not (training and self.trainable):
            out = _apply(F.batch_norm, x, self._axis, self.moving_mean, self.moving_variance,
                         self.gamma, self.beta, False, 0.0, self.epsilon)
        elif mask is None and not self.renorm:
            out, mean, invstd = _apply(torch.native_batch_norm, x, self._axis, self.gamma,
                                       self.beta, None, None, True, 0.0, self.epsilon)
            with torch.no_grad():  # invstd = 1 / sqrt(var + epsilon): var without a second pass
                self._update(self.moving_mean, mean, self.momentum)
                self._update(self.moving_variance, invstd.pow(-2) - self.epsilon, self.momentum)
        else:
            out = self._general_training_call(x, mask)
        return common.downcast(out, self._dtype)

    def _general_training_call(self, x, mask):
        """Training with a mask or with renorm: moments and normalisation written out."""
        if mask is None:
            variance, mean = torch.var_mean(x, self._reduction_axes, correction=0)
        else:
            mean, variance = self._masked_moments(x, mask)
        gamma, beta = self.gamma, self.beta
        if self.renorm:
            gamma, beta = self._renorm_transform(mean, variance, gamma, beta)
        with torch.no_grad():
            if self.renorm:
                self._update_renorm_statistics(mean.detach(), variance.detach())
            else:
                self._update(self.moving_mean, mean, self.momentum)
                self._update(self.moving_variance, variance, self.momentum)
        shape = [1] * self._ndim
        shape[self._axis] = -1  # (1, ..., features, ..., 1)
        inv = torch.rsqrt(variance + self.epsilon)
        if gamma is not None:
            inv = inv * gamma
        shift = -mean * inv if beta is None else beta - mean * inv
        return x * inv.view(shape) + shift.view(shape)

    def _masked_moments(self, x, mask):
        """Mean and biased variance over the positions where `mask` is true (Keras' weighting,
        with `epsilon()` guarding an all-false mask)."""
        if mask.dim() != x.dim() - 1:
            raise ValueError(
                "`BatchNormalization` expects `mask` to have one dimension less than the "
                f"inputs. Received: mask.shape={tuple(mask.shape)}, inputs.shape="
                f"{tuple(x.shape)}."
            )
        keep = mask.unsqueeze(-1).bool().expand(x.shape)
        axes = self._reduction_axes
        count = keep.sum(axes, dtype=x.dtype) + config.epsilon()  # (features,)
        mean = torch.where(keep, x, 0).sum(axes) / count
        shape = [1] * self._ndim
        shape[self._axis] = -1
        centred = torch.where(keep, x - mean.view(shape), 0)
        return mean, centred.square().sum(axes) / count

    def _renorm_transform(self, mean, variance, gamma, beta):
        """Fold the renorm corrections `r`, `d` (no gradient) into `gamma` and `beta`."""
        stddev = torch.sqrt(variance + self.epsilon)
        renorm_stddev = torch.clamp_min(self.renorm_stddev, self.epsilon ** 0.5)
        r = (stddev / renorm_stddev).detach()
        d = ((mean - self.renorm_mean) / renorm_stddev).detach()
        clip = self.renorm_clipping
        if clip.get("rmin") is not None:
            r = torch.clamp_min(r, clip["rmin"])
        if clip.get("rmax") is not None:
            r = torch.clamp_max(r, clip["rmax"])
        if clip.get("dmax") is not None:
            d = torch.clamp(d, -clip["dmax"], clip["dmax"])
        new_gamma = r if gamma is None else r * gamma
        new_beta = d if gamma is None else d * gamma
        return new_gamma, new_beta if beta is None else new_beta + beta

    def _update_renorm_statistics(self, mean, variance):
        stddev = torch.sqrt(variance + self.epsilon)
        self._update(self.renorm_mean, mean, self.renorm_momentum)
        self._update(self.renorm_stddev, stddev, self.renorm_momentum)
        self._update(self.moving_mean, mean, self.momentum)
        self._update(self.moving_stddev, stddev, self.momentum)
        # moving_variance follows moving_stddev; relu guards against rounding below zero.
        self.moving_variance.copy_(torch.relu(self.moving_stddev.square() - self.epsilon))

    @staticmethod
    def _update(moving, value, momentum):
        """`moving = moving * momentum + value * (1 - momentum)` (Keras' formula) in one op."""
        moving.lerp_(value.to(moving.dtype), 1.0 - momentum)

    def get_config(self):
        return {
            **super().get_config(),
            "axis": self.axis,
            "momentum": self.momentum,
            "epsilon": self.epsilon,
            "center": self.center,
            "scale": self.scale,
            **common.gamma_beta_config(self),
            "moving_mean_initializer": initializers.serialize(self.moving_mean_initializer),
            "moving_variance_initializer": initializers.serialize(
                self.moving_variance_initializer),
            "synchronized": self.synchronized,
            "renorm": self.renorm,
            "renorm_clipping": self.renorm_clipping,
            "renorm_momentum": self.renorm_momentum,
        }

    def extra_repr(self):
        return f"name={self.name!r}, axis={self.axis}, momentum={self.momentum}"


def _apply(kernel, x, axis, *args):
    """Run a torch batch-norm `kernel` (which wants features on dim 1) with features on `axis`.

    Features last (Keras' default): a `(rows, features)` view, which covers channels-last
    images and sequences without a copy. Features on dim 1: as is. Elsewhere: a moved view.
    Returns the kernel's output (first element of a tuple result) in `x`'s layout.
    """
    last = axis == x.dim() - 1
    if last:
        moved = x.reshape(-1, x.shape[-1])  # (rows, features)
    else:
        moved = x if axis == 1 else x.movedim(axis, 1)  # (batch, features, ...)
    result = kernel(moved, *args)
    out = result[0] if isinstance(result, tuple) else result
    if last:
        out = out.view(x.shape)
    elif axis != 1:
        out = out.movedim(1, axis)
    return (out, *result[1:]) if isinstance(result, tuple) else out


def _validate_clipping(clipping, owner):
    clipping = dict(clipping or {})
    keys = ("rmax", "rmin", "dmax")
    unknown = sorted(set(clipping) - set(keys))
    bad = [k for k in keys if clipping.get(k) is not None and (
        isinstance(clipping[k], bool) or not isinstance(clipping[k], numbers.Real))]
    if unknown or bad:
        raise ValueError(f"`{type(owner).__name__}` expects `renorm_clipping` to map keys among "
                         f"{keys} to numbers. " + received("renorm_clipping", clipping))
    rmin, rmax, dmax = clipping.get("rmin"), clipping.get("rmax"), clipping.get("dmax")
    if rmin is not None and rmax is not None and rmax < rmin:
        raise ValueError(f"`{type(owner).__name__}` expects `renorm_clipping['rmax']` >= "
                         f"`renorm_clipping['rmin']`. Received: rmax={rmax}, rmin={rmin}.")
    if dmax is not None and dmax < 0:
        raise ValueError(f"`{type(owner).__name__}` expects `renorm_clipping['dmax']` to be "
                         f"non-negative. Received: dmax={dmax}.")
    return clipping
