"""What `compile` turns its `loss` and `metrics` arguments into, once.

Strings are resolved when `compile` is called (an unknown name fails there, not mid-`fit`),
except the shape-dependent conveniences (`"accuracy"`/`"acc"`, `"crossentropy"`/`"ce"`), which
pick their binary, sparse or categorical variant from the first batch's shapes, as Keras does.
"""

from lamina import losses as losses_module
from lamina import metrics as metrics_module
from lamina.layers.keras_tensor import flatten

_SHAPE_DEPENDENT_METRICS = ("accuracy", "acc")
_SHAPE_DEPENDENT_LOSSES = ("crossentropy", "ce")


def is_binary_or_sparse_categorical(y_true, y_pred):
    is_binary = y_pred.shape[-1] == 1
    is_sparse = y_true.dim() < y_pred.dim() or (y_true.shape[-1] == 1 and y_pred.shape[-1] > 1)
    return is_binary, is_sparse


def per_output(value, output_names, argument):
    """Spread `value` (one entry, a list in output order or a dict by output name) over the
    model's outputs."""
    count = len(output_names)
    if isinstance(value, dict):
        unknown = [key for key in value if key not in output_names]
        if unknown:
            raise ValueError(f"`compile` received `{argument}` for unknown output(s) {unknown}. "
                             f"The model's outputs are named {output_names}.")
        return [value.get(name) for name in output_names]
    if isinstance(value, (list, tuple)) and argument in ("loss", "loss_weights") and (
        count > 1 or len(value) == count
    ):
        if len(value) != count:
            raise ValueError(f"`compile` expects `{argument}` to have one entry per output "
                             f"({count}: {output_names}). Received: {argument}={value!r}")
        return list(value)
    return [value] * count


class CompileLoss:
    """The compiled loss of a model with one or more outputs."""

    def __init__(self, loss, loss_weights, output_names):
        self.output_names = list(output_names)
        entries = per_output(loss, self.output_names, "loss")
        self.losses = [_resolve_loss(entry) for entry in entries]
        if loss_weights is None:
            self.weights = [1.0] * len(entries)
        else:
            self.weights = [1.0 if w is None else float(w)
                            for w in per_output(loss_weights, self.output_names, "loss_weights")]
            if len(self.weights) != len(entries):
                raise ValueError(f"`compile` expects `loss_weights` to have one entry per output "
                                 f"({len(entries)}). Received: loss_weights={loss_weights!r}")
        self.built = False

    def build(self, y_true, y_pred):
        for index, (loss, true, pred) in enumerate(zip(self.losses, y_true, y_pred)):
            if isinstance(loss, str):  # "crossentropy"/"ce": choose the variant from shapes
                is_binary, is_sparse = is_binary_or_sparse_categorical(true, pred)
                fn = (losses_module.binary_crossentropy if is_binary else
                      losses_module.sparse_categorical_crossentropy if is_sparse else
                      losses_module.categorical_crossentropy)
                self.losses[index] = losses_module.LossFunctionWrapper(fn, name=loss)
        self.built = True

    def __call__(self, y_true, y_pred, sample_weight):
        """Total weighted loss and the per-output losses (lists in output order)."""
        if not self.built:
            self.build(y_true, y_pred)
        per_output_losses = [
            loss(true, pred, sample_weight=weight)
            for loss, true, pred, weight in zip(self.losses, y_true, y_pred, sample_weight)
            if loss is not None
        ]
        total = None
        for weight, value in zip(self.weights, per_output_losses):
            term = value if weight == 1.0 else value * weight
            total = term if total is None else total + term
        return total, per_output_losses


def _resolve_loss(identifier):
    if identifier is None:
        return None
    if isinstance(identifier, str) and identifier.lower() in _SHAPE_DEPENDENT_LOSSES:
        return identifier
    loss = losses_module.get(identifier)
    if not isinstance(loss, losses_module.Loss):
        name = identifier if isinstance(identifier, str) else getattr(loss, "__name__", "loss")
        loss = losses_module.LossFunctionWrapper(loss, name=name)
    return loss


class CompileMetrics:
    """The compiled metrics of a model: one list per output, named as Keras names them."""

    def __init__(self, metrics, weighted_metrics, output_names):
        self.output_names = list(output_names)
        self._specs = []  # (output index, identifier, weighted)
        for argument, weighted in ((metrics, False), (weighted_metrics, True)):
            if argument is None:
                continue
            if not isinstance(argument, (list, tuple, dict)):
                raise TypeError(f"`compile` expects `{'weighted_' if weighted else ''}metrics` to "
                                f"be a list or a dict. Received: {argument!r} "
                                f"(of type {type(argument).__name__})")
            for index, entry in enumerate(self._spread(argument)):
                for identifier in flatten(entry) if entry is not None else []:
                    self._specs.append((index, _check_metric(identifier), weighted))
        self.metrics = []
        self.built = False

    def _spread(self, argument):
        if isinstance(argument, dict):
            return per_output(argument, self.output_names, "metrics")
        count = len(self.output_names)
        if count > 1 and len(argument) == count and all(
            isinstance(entry, (list, tuple)) or entry is None for entry in argument
        ):
            return list(argument)  # [[metrics of output 0], [metrics of output 1], ...]
        return [argument] * count

    def build(self, y_true, y_pred, device):
        prefix = len(self.output_names) > 1
        self._entries = []
        for index, identifier, weighted in self._specs:
            metric = _make_metric(identifier, y_true[index], y_pred[index])
            if prefix:
                metric.name = f"{self.output_names[index]}_{metric.name}"
            if weighted:
                metric.name = f"weighted_{metric.name}" if _clashes(metric, self._entries) \
                    else metric.name
            metric.to(device)
            self._entries.append((index, metric, weighted))
        self.metrics = [metric for _, metric, _ in self._entries]
        self.built = True

    def update_state(self, y_true, y_pred, sample_weight):
        for index, metric, weighted in self._entries:
            metric.update_state(y_true[index], y_pred[index],
                                sample_weight=sample_weight[index] if weighted else None)

    def reset_state(self):
        for metric in self.metrics:
            metric.reset_state()


def _clashes(metric, entries):
    return any(other.name == metric.name for _, other, _ in entries)


def _check_metric(identifier):
    """Fail at compile time on an unknown metric name."""
    if isinstance(identifier, str) and identifier.lower() not in _SHAPE_DEPENDENT_METRICS:
        metrics_module.get(identifier)
    return identifier


def _make_metric(identifier, y_true, y_pred):
    if isinstance(identifier, str) and identifier.lower() in _SHAPE_DEPENDENT_METRICS:
        is_binary, is_sparse = is_binary_or_sparse_categorical(y_true, y_pred)
        cls = (metrics_module.BinaryAccuracy if is_binary else
               metrics_module.SparseCategoricalAccuracy if is_sparse else
               metrics_module.CategoricalAccuracy)
        return cls(name=identifier)
    metric = metrics_module.get(identifier)
    if isinstance(metric, type):
        metric = metric()
    if not isinstance(metric, metrics_module.Metric):
        name = identifier if isinstance(identifier, str) else getattr(metric, "__name__", "metric")
        return metrics_module.MeanMetricWrapper(metric, name=name)
    if isinstance(identifier, str):
        metric.name = identifier
    return metric
