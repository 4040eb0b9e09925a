"""What `compile` turns its `loss` and `metrics` arguments into, once.

Strings are resolved when `compile` is called (an unknown name fails there, not mid-`fit`),
except the shape-dependent conveniences (`"accuracy"`/`"acc"`, `"crossentropy"`/`"ce"`), which
pick their binary, sparse or categorical variant from the first batch's shapes, as Keras does.

Metrics per output follow Keras 3 (see `CompileMetrics`); their log keys are Keras' names:
`out_a_acc`, and for a weighted metric whose name is taken, `out_a_weighted_acc`.
"""

import copy
import weakref

from lamina import losses as losses_module
from lamina import metrics as metrics_module

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
    """The compiled metrics of a model, one list per output, named as Keras 3 names them.

    `metrics` and `weighted_metrics` (only the latter receive the sample weights) are each:

    - for a single output: any list (or dict, or nesting of them); every metric applies to it
      and keeps its own name (`"acc"`, `"weighted_acc"` when taken);
    - for several outputs: a dict `{output_name: metric or list}`; or a list with one entry
      (a metric, a list of metrics or `None`) per output. Log keys are prefixed with the
      output name (`out_a_acc`). A flat list of metric identifiers of another length applies
      to every output, as in Keras 2 (Keras 3 rejects it).

    A repeated name gets `_1`, `_2`, ... ; a weighted metric whose name is taken becomes
    `weighted_<name>` (after the output prefix), as in Keras 3.
    """

    def __init__(self, metrics, weighted_metrics, output_names):
        self.output_names = list(output_names)
        self._specs = []  # (output index, identifier, weighted)
        for argument, weighted in ((metrics, False), (weighted_metrics, True)):
            if argument is None:
                continue
            name = "weighted_metrics" if weighted else "metrics"
            if not isinstance(argument, (list, tuple, dict)):
                raise TypeError(f"`compile` expects `{name}` to be a list or a dict. "
                                f"Received: {argument!r} (of type {type(argument).__name__})")
            for index, entry in enumerate(self._spread(argument, name)):
                for identifier in _flatten_metrics(entry):
                    self._specs.append((index, _check_metric(identifier), weighted))
        self._entries = []  # (output index, metric, weighted)
        self.metrics = []
        self.built = self._fitted = False

    def _spread(self, argument, name):
        """`argument` as one entry per output."""
        count = len(self.output_names)
        if count == 1:
            return [argument]
        if _is_config(argument):  # one metric, as a config dict
            return [argument] * count
        if isinstance(argument, dict):
            unknown = [key for key in argument if key not in self.output_names]
            if unknown:
                raise ValueError(f"`compile` received `{name}` for unknown output(s) {unknown}. "
                                 f"The model's outputs are named {self.output_names}.")
            return [argument.get(output) for output in self.output_names]
        if len(argument) == count:
            return list(argument)  # one entry per output
        if any(isinstance(entry, (list, tuple)) or (isinstance(entry, dict)
                                                     and not _is_config(entry))
               for entry in argument):
            raise ValueError(f"`compile` expects `{name}` to have one entry per output "
                             f"({count}: {self.output_names}), or to be a flat list of metrics "
                             f"applied to every output. Received: {name}={argument!r}")
        return [argument] * count

    def build(self, y_true, y_pred, device):
        """Make the metric objects, with the first batch's shapes (for `"acc"`)."""
        prefixes = [f"{name}_" if len(self.output_names) > 1 else ""
                    for name in self.output_names]
        taken, seen, self._entries = {}, set(), []
        for index, identifier, weighted in self._specs:
            metric = _make_metric(identifier, y_true[index], y_pred[index])
            base = _BASE_NAMES.get(metric, metric.name)
            if id(metric) in seen:  # one object listed twice (e.g. for every output)
                metric = copy.deepcopy(metric)
            seen.add(id(metric))
            _BASE_NAMES[metric] = base
            metric.name = _log_name(prefixes[index], base, weighted, taken)
            metric.to(device)
            self._entries.append((index, metric, weighted))
        self.metrics = [metric for _, metric, _ in self._entries]
        self.built = True
        self._fitted = False  # whether an update went through since `build`

    def update_state(self, y_true, y_pred, sample_weight):
        """Update every metric with its output's batch (no host sync).

        An error in the first update after `build` is a metric that does not suit its
        output's shapes: it is re-raised naming the metric, the output and both shapes.
        """
        for index, metric, weighted in self._entries:
            try:
                metric.update_state(y_true[index], y_pred[index],
                                    sample_weight=sample_weight[index] if weighted else None)
            except (ValueError, RuntimeError, IndexError) as error:
                if self._fitted:
                    raise  # it worked on an earlier batch: not a question of shapes
                raise self._misfit(index, metric, y_true[index], y_pred[index], error) \
                    from error
        self._fitted = True

    def _misfit(self, index, metric, y_true, y_pred, error):
        return ValueError(
            f"The metric '{_BASE_NAMES.get(metric, metric.name)}' ({type(metric).__name__}) does "
            f"not fit output '{self.output_names[index]}': y_true.shape={_shape(y_true)}, "
            f"y_pred.shape={_shape(y_pred)}. Choose a metric that suits these shapes, or give "
            "each output its own metrics (a dict by output name, or a list of lists). The "
            f"metric raised: {error}")

    def reset_state(self):
        for metric in self.metrics:
            metric.reset_state()


# The name each metric had before `build` prefixed it, so compiling again (or another model
# sharing the metric object) starts from the user's name, not from `out_a_acc`.
_BASE_NAMES = weakref.WeakKeyDictionary()


def _log_name(prefix, base, weighted, taken):
    """Keras 3's key for a metric: `prefix + base`; a repeat gets `_1`, `_2`, ...; a weighted
    metric whose name is taken is `prefix + "weighted_" + base` first."""
    name = prefix + base
    if name not in taken:
        taken[name] = 1
        return name
    if weighted:
        name = f"{prefix}weighted_{base}"
        if name not in taken:
            taken[name] = 1
            return name
    count = taken[name]
    taken[name] += 1
    return f"{name}_{count}"


def _shape(value):
    return tuple(getattr(value, "shape", ())) if value is not None else None


def _is_config(value):
    return isinstance(value, dict) and "class_name" in value


def _flatten_metrics(entry):
    """The metric identifiers in one output's entry (nested lists/dicts; a config dict is
    one identifier)."""
    if entry is None:
        return []
    if isinstance(entry, (list, tuple)):
        return [leaf for item in entry for leaf in _flatten_metrics(item)]
    if isinstance(entry, dict) and not _is_config(entry):
        return [leaf for item in entry.values() for leaf in _flatten_metrics(item)]
    return [entry]


def _check_metric(identifier):
    """Fail at compile time on an unknown metric name or a bad config."""
    if isinstance(identifier, str) and identifier.lower() not in _SHAPE_DEPENDENT_METRICS:
        metrics_module.get(identifier)
    elif isinstance(identifier, dict):
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
    if not isinstance(metric, metrics_module.Metric):
        name = identifier if isinstance(identifier, str) else getattr(metric, "__name__", "metric")
        return metrics_module.MeanMetricWrapper(metric, name=name)
    if isinstance(identifier, str):
        metric.name = identifier
    return metric
