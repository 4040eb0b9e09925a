"""`Trainer`: `compile`, `fit`, `evaluate`, `predict` and the step functions of `Model`.

`fit` reads top to bottom: data adapter -> callbacks -> epochs -> batches -> validation ->
`on_epoch_end`. The step (`train_step`) runs forward, loss, backward, optimizer update and metric
updates on the device; the loss and metrics accumulate there, and nothing in the loop reads them
back except the callbacks that ask (the progress bar at a bounded rate, `History` once an epoch).
Lines that synchronise host and device say so. See `training/README.md`.
"""

import numbers
import warnings
from collections.abc import MutableMapping

import torch

from lamina import config, optimizers
from lamina import metrics as metrics_module
from lamina.callbacks.callback_list import CallbackList
from lamina.layers.keras_tensor import flatten, map_structure
from lamina.layers.layer import Layer, collect_losses
from lamina.mixed_precision.autocast import float32_outputs
from lamina.training import distributed
from lamina.training.compile_utils import CompileLoss, CompileMetrics
from lamina.training.data_adapters import (ArrayData, get_data_adapter,
                                            unpack_x_y_sample_weight)
from lamina.training.fit_state import FitState
from lamina.training.legacy_methods import LegacyMethods, fit_keyword_arguments
from lamina.validation import received


class Logs(MutableMapping):
    """Batch logs: metric results computed only when a key is read (no work, no sync per step
    unless a callback looks). Assigned keys override the metrics."""

    def __init__(self, metrics):
        self._metrics = {m.name: m for m in metrics}
        self._values = {}

    def __getitem__(self, key):
        if key in self._values:
            return self._values[key]
        return self._metrics[key].result()

    def __setitem__(self, key, value):
        self._values[key] = value

    def __delitem__(self, key):
        self._metrics.pop(key, None)
        self._values.pop(key, None)

    def __iter__(self):
        return iter(sorted(set(self._metrics) | set(self._values)))

    def __len__(self):
        return len(set(self._metrics) | set(self._values))


class Trainer(LegacyMethods):
    """The training API of `Model` (mixed into it; not used on its own)."""

    def __init__(self):
        self._untracked(compiled=False, optimizer=None, loss=None, history=None,
                        stop_training=False, stop_evaluating=False, stop_predicting=False,
                        _compile_loss=None, _compile_metrics=None,
                        _loss_tracker=None, _output_loss_trackers=[], _step_plan=None,
                        _jit=False, _forward=None, _fit_state=None, _replicas=None)

    def _untracked(self, **attributes):
        """Set attributes that must not become submodules (metrics are nn.Modules, but their
        state is not part of the model's weights)."""
        for name, value in attributes.items():
            object.__setattr__(self, name, value)

    # -- compile --------------------------------------------------------------------------------
    def compile(self, optimizer="rmsprop", loss=None, loss_weights=None, metrics=None,
                weighted_metrics=None, run_eagerly=False, steps_per_execution=1,
                jit_compile="auto", auto_scale_loss=True):
        """Configure the model for training.

        Args:
            optimizer: Optimizer object or name. Defaults to `"rmsprop"`.
            loss: Loss object, function or name; or a list/dict with one per output.
            loss_weights: Optional scalar weights per output (list or dict).
            metrics: List of metrics (objects, functions or names such as `"acc"`), or a dict or
                list of lists with one list per output. `"accuracy"`/`"acc"` picks the binary,
                categorical or sparse variant from the shapes, as in Keras.
            weighted_metrics: Metrics that are weighted by `sample_weight`/`class_weight`.
            run_eagerly: Accepted for compatibility; lamina always runs eagerly unless
                `jit_compile=True`.
            steps_per_execution: Must be 1 (lamina's steps have no per-call overhead to amortise).
            jit_compile: `True` runs the model's forward pass through `torch.compile` in
                `fit`/`evaluate`/`predict` (the first steps then take seconds to compile).
                Defaults to `"auto"`, which does not compile.
            auto_scale_loss: With the model's dtype policy `"mixed_float16"`, wrap the
                optimizer in a `LossScaleOptimizer` (dynamic loss scaling, so small float16
                gradients do not underflow). Defaults to `True`.
        """
        if steps_per_execution != 1:
            raise ValueError("`compile` only supports `steps_per_execution=1` in lamina. "
                             + received("steps_per_execution", steps_per_execution))
        if jit_compile not in (True, False, "auto"):
            raise ValueError("`compile` expects `jit_compile` to be True, False or 'auto'. "
                             + received("jit_compile", jit_compile))
        output_names = self.output_names
        resolved = optimizers.get(optimizer)
        if (auto_scale_loss and self.dtype_policy.name == "mixed_float16"
                and not isinstance(resolved, optimizers.LossScaleOptimizer)):
            resolved = optimizers.LossScaleOptimizer(resolved, name="loss_scale_optimizer")
        self._untracked(
            optimizer=resolved,
            loss=loss,
            compiled=True,
            stop_training=False,
            _compile_loss=None if loss is None else CompileLoss(loss, loss_weights, output_names),
            _compile_metrics=CompileMetrics(metrics, weighted_metrics, output_names),
            _loss_tracker=metrics_module.Mean(name="loss"),
            _output_loss_trackers=[metrics_module.Mean(name=f"{name}_loss")
                                   for name in output_names] if len(output_names) > 1 else [],
            _compile_config={"optimizer": optimizer, "loss": loss, "loss_weights": loss_weights,
                             "metrics": metrics, "weighted_metrics": weighted_metrics,
                             "run_eagerly": run_eagerly, "jit_compile": jit_compile},
            _jit=jit_compile is True,
            _forward=None,
            _step_plan=None,
            _loss_layer_cache=None,
        )

    def _assert_compiled(self, method):
        if not self.compiled:
            raise RuntimeError(
                f"You must call `compile()` before using the model in `{method}()`. `compile` "
                "chooses the optimizer and the loss to minimise, e.g.\n"
                "    model.compile(optimizer='adam', loss='categorical_crossentropy', "
                "metrics=['acc'])"
            )

    @property
    def metrics(self):
        """The loss tracker(s) and the compiled metrics (built with the first batch)."""
        if not self.compiled:
            return []
        found = [self._loss_tracker] + list(self._output_loss_trackers)
        return found + list(self._compile_metrics.metrics)

    @property
    def metrics_names(self):
        return [m.name for m in self.metrics]

    def reset_metrics(self):
        for metric in self.metrics:
            metric.reset_state()

    # -- the steps ------------------------------------------------------------------------------
    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        """The total loss of a batch: compiled losses (weighted per output) plus the losses the
        layers added (`add_loss`, regularisers)."""
        total = None
        if self._compile_loss is not None:  # in float32, whatever the outputs' dtype (Keras)
            y_true = self._per_output(y, "y")
            y_pred = float32_outputs(self._per_output(y_pred, "y_pred"))
            total, per_output = self._compile_loss(y_true, y_pred,
                                                   self._per_output_weights(sample_weight))
            for tracker, value in zip(self._output_loss_trackers, per_output):
                tracker.update_state(value)
        extra = collect_losses(self._loss_layers())
        if extra:
            penalty = torch.stack([torch.as_tensor(e).sum() for e in extra]).sum()
            total = penalty if total is None else total + penalty
        if total is None:
            raise ValueError("No loss to compute: `compile` received no `loss` and no layer added "
                             "one. Pass `loss=` to `compile`.")
        return total

    def compute_metrics(self, x, y, y_pred, sample_weight=None):
        """Update the compiled metrics with a batch; return the logs (lazily read)."""
        if self._compile_metrics._specs:  # in float32, as the loss
            y_true = self._per_output(y, "y")
            y_pred = float32_outputs(self._per_output(y_pred, "y_pred"))
            if not self._compile_metrics.built:
                with torch.inference_mode(False):  # metric state must outlive evaluate()
                    self._compile_metrics.build(y_true, y_pred, y_pred[0].device)
            self._compile_metrics.update_state(y_true, y_pred,
                                               self._per_output_weights(sample_weight))
        return self.get_metrics_result()

    def get_metrics_result(self):
        """The logs of the metrics so far: a mapping whose values are computed when read."""
        return Logs(self.metrics)

    def train_step(self, data):
        """One optimisation step on a batch `(x, y, sample_weight)`; returns the logs.

        Override to customise training, as in Keras (`self.compute_loss`, `self.optimizer`,
        `self.compute_metrics` are available)."""
        x, y, sample_weight = unpack_x_y_sample_weight(data)
        self.optimizer.zero_grad()
        y_pred = self._forward_fn(training=True)(x, training=True)
        loss = self.compute_loss(x, y, y_pred, sample_weight, training=True)
        self._loss_tracker.update_state(loss, sample_weight=_batch_size(x))
        if loss.requires_grad:  # False only for a model with nothing to train
            self.optimizer.scale_loss(loss).backward()
            self.optimizer.step()
        for variable, constraint in self._step_plan["constraints"]:
            with torch.no_grad():  # constraints are written for Keras' layout
                variable.assign(constraint(variable.keras_view()))
        return self.compute_metrics(x, y, y_pred, sample_weight)

    def test_step(self, data):
        x, y, sample_weight = unpack_x_y_sample_weight(data)
        y_pred = self._forward_fn()(x, training=False)
        loss = self.compute_loss(x, y, y_pred, sample_weight, training=False)
        self._loss_tracker.update_state(loss, sample_weight=_batch_size(x))
        return self.compute_metrics(x, y, y_pred, sample_weight)

    def predict_step(self, data):
        x, _, _ = unpack_x_y_sample_weight(data)
        return self._forward_fn()(x, training=False)

    # -- fit ------------------------------------------------------------------------------------
    def fit(self, x=None, y=None, batch_size=None, epochs=1, verbose="auto", callbacks=None,
            validation_split=0.0, validation_data=None, shuffle=True, class_weight=None,
            sample_weight=None, initial_epoch=0, steps_per_epoch=None, validation_steps=None,
            validation_batch_size=None, validation_freq=1, **kwargs):
        """Train the model for `epochs` epochs on `x`/`y`.

        Args:
            x: Input data: a numpy array, torch tensor, pandas object, Python list, or a list/dict
                of these for several inputs; or a source of whole batches `x`, `(x, y)` or
                `(x, y, sample_weight)`: a `keras.utils.PyDataset`, a torch `DataLoader`, a
                Python generator or iterator; or a torch `Dataset` of samples (batched here by
                `batch_size`). See `training/data_adapters`.
            y: Targets, in the same kinds as array `x` (one per output for several outputs);
                not with a source of batches, whose batches carry their targets.
            batch_size: Samples per step. Defaults to 32.
            epochs: Index of the last epoch (training runs from `initial_epoch`). Defaults to 1.
            verbose: 0 (silent), 1 (progress bar), 2 (one line per epoch) or `"auto"` (1).
            callbacks: List of `keras.callbacks.Callback`.
            validation_split: Fraction of the data (taken from its END, before shuffling) held
                out for validation. Defaults to 0.
            validation_data: `(x_val, y_val)`, `(x_val, y_val, sample_weight_val)`, or any
                source of batches that `x` accepts.
            shuffle: Shuffle the samples every epoch (`"batch"`: shuffle whole batches); for a
                `PyDataset`, the order of its batches; ignored for a generator or a
                `DataLoader`, which decide their own order. Defaults to `True`.
            class_weight: Dict `{class index: weight}` scaling each sample's loss.
            sample_weight: Array of per-sample loss weights.
            initial_epoch: Epoch to start from (to resume training). Defaults to 0.
            steps_per_epoch: Batches per epoch; the stream of batches then continues across
                epochs. Defaults to `None` (one pass over the data). Needed for more than one
                epoch from a generator (it can be read only once) and for an endless
                `PyDataset`.
            validation_steps: Batches of validation data per validation. Defaults to all
                (needed to validate more than once from a generator).
            validation_batch_size: Defaults to `batch_size` (for arrays and torch `Dataset`s).
            validation_freq: Validate every this many epochs, or at the epochs (1-based) in a
                list. Defaults to 1.
            **kwargs: Keras 1's `nb_epoch` (for `epochs`, with a `DeprecationWarning`).

        Returns:
            A `History` whose `history` maps each log key to its per-epoch values.
        """
        if kwargs:  # legacy spellings (training/legacy_methods.py); anything else is an error
            epochs = fit_keyword_arguments(Trainer.fit, epochs, kwargs)
        self._assert_compiled("fit")
        batch_size = 32 if batch_size is None else batch_size
        epochs = _check_count(epochs, "epochs", allow_zero=True)
        verbose = _check_verbose(verbose)
        if steps_per_epoch is not None:
            steps_per_epoch = _check_count(steps_per_epoch, "steps_per_epoch")
        replicas = distributed.replicas(self)  # several processes (torchrun); None on one
        data = self._adapt(x, y, sample_weight, batch_size, class_weight)
        val_data, batches = None, None
        try:  # the adapters' background threads and worker pools end with `fit`
            if validation_data is not None:
                val_x, val_y, val_w = unpack_x_y_sample_weight(validation_data)
                val_data = self._adapt(val_x, val_y, val_w, validation_batch_size or batch_size)
            elif validation_split:
                data, val_data = data.split(validation_split)
                val_data.batch_size = validation_batch_size or batch_size
            if replicas is not None:  # each process reads its share (batch_size per process)
                data = replicas.shard(data, training=True)
                if val_data is not None:
                    val_data = replicas.shard(val_data, training=False)
            _check_passes(data, "x", steps_per_epoch, "steps_per_epoch", epochs - initial_epoch,
                          "epochs")
            if val_data is not None:
                runs = sum(_should_validate(e, validation_freq)
                           for e in range(initial_epoch, epochs))
                _check_passes(val_data, "validation_data", validation_steps, "validation_steps",
                              runs, "validations")
            self._prepare(data)
            steps = data.num_batches if steps_per_epoch is None else steps_per_epoch
            callbacks = CallbackList(callbacks, add_history=True, add_progbar=verbose != 0,
                                     model=self, verbose=verbose, epochs=epochs, steps=steps)
            if replicas is not None:  # DDP around the forward pass (gradient hooks if custom)
                replicas.start(callbacks, type(self).train_step is Trainer.train_step)
                self._untracked(_replicas=replicas)
            batches = _BatchStream(data, shuffle, steps_per_epoch)
            # What `BackupAndRestore` saves and restores (see `training/fit_state.py`).
            run = FitState(self, callbacks, batches, data)
            self._untracked(_fit_state=run)
            self.stop_training = False
            callbacks.on_train_begin()
            initial_epoch = run.first_epoch(initial_epoch)  # a backup may resume later
            epoch_logs = {}
            for epoch in range(initial_epoch, epochs):
                self.reset_metrics()
                callbacks.on_epoch_begin(epoch)
                first_step = run.first_step(epoch)  # > 0 when resuming inside this epoch
                logs = None
                for step, batch in enumerate(batches.epoch(first_step), start=first_step):
                    callbacks.on_train_batch_begin(step)
                    logs = self.train_step(batch)
                    callbacks.on_train_batch_end(step, logs)
                    if run.pending:  # a backup is due: the state after this batch (host sync)
                        run.flush(epoch, step + 1)
                    if replicas is not None:  # all processes stop at the same step
                        self.stop_training = replicas.agree_to_stop(self.stop_training, True)
                    if self.stop_training:
                        break
                if batches.exhausted:  # a generator ended before `steps_per_epoch * epochs`
                    _warn_ran_out("steps_per_epoch * epochs")
                    self.stop_training = True
                    if logs is None:  # not one batch this epoch: nothing to report
                        break
                if replicas is not None:  # sum the metric states: every process logs the same
                    replicas.end_epoch()
                epoch_logs = _to_floats(logs if logs is not None else self.get_metrics_result())
                if val_data is not None and _should_validate(epoch, validation_freq):
                    # The fit's callbacks see the validation's test events, as in Keras.
                    val_logs = self._run_evaluation(val_data, validation_steps, callbacks)
                    epoch_logs.update({f"val_{key}": value for key, value in val_logs.items()})
                callbacks.on_epoch_end(epoch, epoch_logs)
                if run.pending:  # a backup is due: the state after this epoch (host sync)
                    run.flush(epoch + 1, 0)
                if replicas is not None:
                    self.stop_training = replicas.agree_to_stop(self.stop_training)
                if self.stop_training:
                    break
            if epochs > initial_epoch:
                # use_ema: the averages become the weights
                self.optimizer.finalize_variable_values()
            callbacks.on_train_end(epoch_logs)
            return callbacks.history
        finally:
            self._untracked(_fit_state=None)
            if replicas is not None:
                replicas.finish()
                self._untracked(_replicas=None)
            for part in (batches, data, val_data):
                if part is not None:
                    part.close()

    # -- evaluate / predict -----------------------------------------------------------------------
    def evaluate(self, x=None, y=None, batch_size=None, verbose="auto", sample_weight=None,
                 steps=None, callbacks=None, return_dict=False):
        """The loss and metrics of the model on `x`/`y`.

        Returns:
            The loss (a float) when there are no metrics; otherwise `[loss, *metrics]` in
            `metrics_names` order, or a dict when `return_dict=True`.
        """
        self._assert_compiled("evaluate")
        verbose = _check_verbose(verbose)
        replicas = distributed.replicas(self)  # several processes (torchrun); None on one
        data = self._adapt(x, y, sample_weight, 32 if batch_size is None else batch_size)
        try:
            if replicas is not None:  # each process evaluates its share; results summed
                data = replicas.shard(data, training=False)
            _check_passes(data, "x", steps, "steps", 1, "evaluations")
            self._prepare(data)
            callbacks = CallbackList(callbacks, add_progbar=verbose != 0, model=self,
                                     verbose=verbose, epochs=1, steps=_total(data, steps))
            logs = self._run_evaluation(data, steps, callbacks)
        finally:
            data.close()
        if return_dict:
            return logs
        values = [logs[name] for name in self.metrics_names if name in logs]
        return values[0] if len(values) == 1 else values

    def _run_evaluation(self, data, steps, callbacks):
        self.reset_metrics()
        self.stop_evaluating = False
        callbacks.on_test_begin()
        logs = None
        with torch.inference_mode():
            for step, batch in enumerate(data.batches()):
                if steps is not None and step >= steps:
                    break
                callbacks.on_test_batch_begin(step)
                logs = self.test_step(batch)
                callbacks.on_test_batch_end(step, logs)
                if self.stop_evaluating:
                    break
            if logs is None and data.one_shot:  # validation_data, a generator, has ended
                _warn_ran_out("validation_steps * the number of validations")
            if distributed.is_multi_process():  # the results of every process's share
                distributed.reduce_metrics(self.metrics)
            logs = _to_floats(logs if logs is not None else self.get_metrics_result())
        callbacks.on_test_end(logs)
        return logs

    def predict(self, x, batch_size=None, verbose="auto", steps=None, callbacks=None):
        """The model's outputs for `x`, as numpy arrays (in the structure of the outputs).

        Each batch's output is moved to the host as soon as it is computed, so memory on the
        device stays bounded by one batch."""
        verbose = _check_verbose(verbose)
        replicas = distributed.replicas(self)  # several processes (torchrun); None on one
        data = self._adapt(x, None, None, 32 if batch_size is None else batch_size)
        try:
            if replicas is not None:  # each process predicts its share; gathered below
                data = replicas.shard(data, training=False)
            _check_passes(data, "x", steps, "steps", 1, "predictions")
            self._prepare(data, need_optimizer=False)
            total = _total(data, steps)
            callbacks = CallbackList(callbacks, add_progbar=verbose != 0, model=self,
                                     verbose=verbose, epochs=1, steps=total)
            self.stop_predicting = False
            callbacks.on_predict_begin()
            outputs = []
            with torch.inference_mode():
                for step, batch in enumerate(data.batches()):
                    if steps is not None and step >= steps:
                        break
                    callbacks.on_predict_batch_begin(step)
                    out = self.predict_step(batch)
                    outputs.append(map_structure(lambda t: t.to("cpu", non_blocking=True), out))
                    callbacks.on_predict_batch_end(step, {"outputs": out})
                    if self.stop_predicting:
                        break
        finally:
            data.close()
        if replicas is not None:  # every process's outputs, in the data's order
            outputs = distributed.gather_predictions(outputs, data)
        if not outputs:
            raise ValueError("`predict` received no data: `x` has 0 samples.")
        if outputs[0] is not None and any(t.device.type == "cuda" for t in flatten(out)):
            torch.cuda.synchronize()  # host sync: the non-blocking copies must have landed
        callbacks.on_predict_end()
        flat = [flatten(o) for o in outputs]
        joined = iter([_numpy(torch.cat(parts)) for parts in zip(*flat)])
        return map_structure(lambda _: next(joined), outputs[0])

    def train_on_batch(self, x, y=None, sample_weight=None, class_weight=None, return_dict=False):
        """One training step on one batch; metrics accumulate across calls (Keras 3)."""
        self._assert_compiled("train_on_batch")
        data = self._adapt(x, y, sample_weight, batch_size=_num_samples(x),
                           class_weight=class_weight)
        self._prepare(data)
        with distributed.averaged_gradients(self):  # several processes: gradients averaged
            logs = _to_floats(self.train_step(data.first_batch(data.num_samples)))
        return self._logs_result(logs, return_dict)

    def test_on_batch(self, x, y=None, sample_weight=None, return_dict=False):
        self._assert_compiled("test_on_batch")
        data = self._adapt(x, y, sample_weight, batch_size=_num_samples(x))
        self._prepare(data)
        with torch.inference_mode():
            logs = _to_floats(self.test_step(data.first_batch(data.num_samples)))
        return self._logs_result(logs, return_dict)

    def predict_on_batch(self, x):
        data = self._adapt(x, None, None, batch_size=_num_samples(x))
        self._prepare(data, need_optimizer=False)
        with torch.inference_mode():
            out = self.predict_step(data.first_batch(data.num_samples))
        return map_structure(lambda t: _numpy(t.cpu()), out)

    def _logs_result(self, logs, return_dict):
        if return_dict:
            return logs
        values = [logs[name] for name in self.metrics_names if name in logs]
        return values[0] if len(values) == 1 else values

    # -- plumbing -------------------------------------------------------------------------------
    def _forward_fn(self, training=False):
        """The model itself, or with `jit_compile=True` the model through `torch.compile`
        (made once, after the model is built). While `fit` trains on several processes, the
        training forward pass goes through DistributedDataParallel."""
        if training and self._replicas is not None and self._replicas.forward is not None:
            return self._replicas.forward
        if not self._jit:
            return self
        if self._forward is None:
            self._untracked(_forward=torch.compile(self))
        return self._forward

    def _device(self):
        for parameter in self.parameters():
            return parameter.device
        return config.device()

    def _adapt(self, x, y, sample_weight, batch_size, class_weight=None):
        """The data adapter for `x` (arrays, a generator, a `PyDataset`, a torch `DataLoader` or
        `Dataset`; see `training/data_adapters`), its first batch checked against the inputs."""
        data = get_data_adapter(x, y, sample_weight, batch_size=batch_size,
                                class_weight=class_weight, input_dtypes=self._input_dtypes(),
                                device=self._device())
        # Arrays: their whole shape (as Keras reports it); a stream: its first batch.
        self._check_input_shapes(data.x if isinstance(data, ArrayData) else data.first_batch()[0])
        return data

    def _input_dtypes(self):
        """`{input name: dtype}` of the model's `Input`s (names match a dict `x`), or `None`."""
        inputs = flatten(getattr(self, "inputs", None) or [])
        if not inputs:
            return None
        names = list(getattr(self, "input_names", None) or [])
        if len(names) != len(inputs):
            names = [str(index) for index in range(len(inputs))]
        return dict(zip(names, (t.dtype for t in inputs)))

    def _check_input_shapes(self, x):
        inputs = getattr(self, "inputs", None)
        if not inputs:
            return
        flat = self._graph.flatten_inputs(x)
        for index, (tensor, spec) in enumerate(zip(flat, inputs)):
            shape = tuple(tensor.shape)
            if len(shape) != len(spec.shape) or any(
                s is not None and s != d for s, d in zip(spec.shape[1:], shape[1:])
            ):
                layer = self._first_layer_name()
                raise ValueError(
                    f'Input {index} of layer "{layer}" is incompatible with the layer: expected '
                    f"shape={spec.shape}, found shape={shape}"
                )

    def _first_layer_name(self):
        layers = [layer for layer in self.layers if type(layer).__name__ != "InputLayer"]
        return layers[0].name if layers else self.name

    def _prepare(self, data, need_optimizer=True):
        """Build the model (deferred shapes) and the optimizer before the first step."""
        if not self.built or not _all_built(self):
            x, _, _ = data.first_batch()
            with torch.no_grad():
                self(x, training=False)  # runs once to create lazily built weights
        if distributed.is_multi_process():  # every process starts from rank 0's weights
            distributed.sync_model(self)
        if need_optimizer and self._step_plan is None:
            parameters = list(self.parameters())
            self.optimizer.build(parameters)
            constraints = [(v, c) for m in self.modules() if isinstance(m, Layer)
                           for v, c in m._constrained]
            self._untracked(_step_plan={"constraints": constraints})
        for metric in self.metrics:
            metric.to(data.device)

    def _loss_layers(self):
        plan = self.__dict__.get("_loss_layer_cache")
        if plan is None:
            plan = [m for m in self.modules() if isinstance(m, Layer)]
            object.__setattr__(self, "_loss_layer_cache", plan)
        return plan

    def _per_output(self, value, argument):
        """A model output structure (or targets in it) as a list in output order."""
        names = self.output_names
        if isinstance(value, dict):
            return [value[name] for name in names]
        if isinstance(value, (list, tuple)) and len(names) > 1:
            if len(value) != len(names):
                raise ValueError(f"The model has {len(names)} outputs ({names}) but `{argument}` "
                                 f"has {len(value)} entries.")
            return list(value)
        return [value]

    def _per_output_weights(self, sample_weight):
        count = len(self.output_names)
        if sample_weight is None or (count > 1 and isinstance(sample_weight, (list, tuple, dict))):
            return [None] * count if sample_weight is None else self._per_output(
                sample_weight, "sample_weight")
        return [sample_weight] * count


class _BatchStream:
    """The batches of each epoch of `fit`.

    Without `steps_per_epoch` an epoch is one pass over the data. With it, an epoch is that
    many batches of one stream that continues across epochs: a new pass starts whenever the
    previous one is used up; a generator simply continues, and when it has ended `exhausted`
    turns true.

    For `BackupAndRestore`, `position()` says where the pass in progress stands and
    `resume(order, consumed)` makes the next pass replay it from there."""

    def __init__(self, data, shuffle, steps_per_epoch):
        self.data, self.shuffle, self.steps = data, shuffle, steps_per_epoch
        self._pass = None
        self._consumed = 0  # batches of the current pass handed out (skipped ones included)
        self._resume = None
        self.exhausted = False

    def epoch(self, start=0):
        """This epoch's batches; from batch `start` on when resuming (the pass to replay
        was set by `resume`)."""
        if self.steps is None:
            self.close()
            self._pass = self._new_pass()
            try:
                for batch in self._pass:
                    self._consumed += 1
                    yield batch
            finally:
                self.close()  # used up, or left early (`stop_training`)
            return
        for _ in range(start, self.steps):
            batch = None if self._pass is None else next(self._pass, None)
            if batch is None:  # a new pass (a generator: the rest of its stream, maybe none)
                self.close()
                self._pass = self._new_pass()
                batch = next(self._pass, None)
            if batch is None:
                self.exhausted = True
                return
            self._consumed += 1
            yield batch

    def _new_pass(self):
        if self.data.one_shot:
            return self.data.batches(self.shuffle)
        order, skip = self._resume or (None, 0)
        self._resume = None
        total = self.data.num_batches
        if self.steps is not None and total is not None and skip >= total:
            order, skip = None, 0  # the replayed pass was used up: draw the next, as before
        self._consumed = skip
        return self.data.batches(self.shuffle, order=order, skip=skip)

    def position(self):
        """`(order, batches consumed)` of the pass in progress; `None` between passes and for
        a one-shot stream (which cannot be replayed)."""
        if self._pass is None or self.data.one_shot:
            return None
        return self.data.order, self._consumed

    def resume(self, order, consumed):
        """Make the next pass replay `order` (see `ArrayData.batches`) after `consumed`
        batches."""
        self._resume = (order, consumed)

    def close(self):
        """End the current pass (its background thread; a `PyDataset`'s `on_epoch_end`)."""
        if self._pass is not None:
            self._pass.close()
            self._pass = None


def _all_built(model):
    return all(m.built for m in model.modules() if isinstance(m, Layer))


def _batch_size(x):
    return flatten(x)[0].shape[0]


def _num_samples(x):
    first = flatten(x)[0]
    return len(first) if hasattr(first, "__len__") else 1


def _numpy(tensor):
    """A host tensor as numpy; bfloat16 (a mixed_bfloat16 model's output), which numpy lacks,
    as float32."""
    return (tensor.float() if tensor.dtype == torch.bfloat16 else tensor).numpy()


def _to_floats(logs):
    """Read the logs back from the device (a host sync)."""
    return {key: float(value) for key, value in logs.items()}


def _total(data, steps):
    """Batches to expect (for the progress bar): `steps`, capped by the data when known."""
    if steps is None or data.num_batches is None:
        return data.num_batches if steps is None else steps
    return min(steps, data.num_batches)


def _check_passes(data, argument, steps, steps_argument, runs, what):
    """Before any work: a generator is read once, and an endless `PyDataset` never ends a pass;
    both need a number of steps per run."""
    if steps is not None:
        return
    if data.one_shot and runs > 1:
        raise ValueError(
            f"`{argument}` is {data.kind}, which can be iterated only once, but there are "
            f"{runs} {what} to run: the first would use it up and leave nothing for the next "
            f"(and an endless generator would never finish the first). Pass `{steps_argument}` "
            f"(each of the {what} then takes that many batches from the one stream), or pass a "
            "source that restarts: a `keras.utils.PyDataset`, a torch `DataLoader`, or arrays."
        )
    if data.endless:
        raise ValueError(
            f"`{argument}` is {data.kind}, which has no end (its `num_batches` is None), so a "
            f"pass over it never finishes. Pass `{steps_argument}`: the number of batches each "
            f"of the {what} takes."
        )


def _warn_ran_out(needed):
    warnings.warn(
        "Your input ran out of data; interrupting training. The generator must yield at least "
        f"`{needed}` batches: loop over its data forever (`while True:`) or lower the steps.",
        stacklevel=3,
    )


def _should_validate(epoch, freq):
    if isinstance(freq, int):
        return (epoch + 1) % freq == 0
    return epoch + 1 in freq


def _check_count(value, argument, allow_zero=False):
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < (
        0 if allow_zero else 1
    ):
        kind = "non-negative" if allow_zero else "positive"
        raise ValueError(f"`fit` expects `{argument}` to be a {kind} integer. "
                         + received(argument, value))
    return int(value)


def _check_verbose(verbose):
    if verbose == "auto":
        return 1
    if verbose not in (0, 1, 2):
        raise ValueError("`verbose` must be 0, 1, 2 or 'auto'. " + received("verbose", verbose))
    return verbose

