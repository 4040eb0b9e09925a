"""`Callback`: the base class of objects that hook into `fit`, `evaluate` and `predict`."""

from lamina.registry import register


@register("keras.callbacks")
class Callback:
    """Base class for callbacks. Override any of the `on_*` methods.

    Attributes:
        model: The model being trained (set by `fit`/`evaluate`/`predict`).
        params: Dict with `verbose`, `epochs` and `steps` of the current run.

    Batch-level logs hold 0-d tensors that may still live on the device: reading one (e.g.
    `float(logs["loss"])`) waits for the device. Epoch-level logs hold Python floats.
    """

    def __init__(self):
        self.model = None
        self.params = {}

    def set_model(self, model):
        self.model = model

    def set_params(self, params):
        self.params = params

    def on_train_begin(self, logs=None):
        """Called at the start of training."""

    def on_train_end(self, logs=None):
        """Called at the end of training."""

    def on_epoch_begin(self, epoch, logs=None):
        """Called at the start of an epoch (0-based `epoch`)."""

    def on_epoch_end(self, epoch, logs=None):
        """Called at the end of an epoch with its training and validation logs."""

    def on_batch_begin(self, batch, logs=None):
        """Keras 2 name of `on_train_batch_begin`."""

    def on_batch_end(self, batch, logs=None):
        """Keras 2 name of `on_train_batch_end`."""

    def on_train_batch_begin(self, batch, logs=None):
        self.on_batch_begin(batch, logs=logs)

    def on_train_batch_end(self, batch, logs=None):
        self.on_batch_end(batch, logs=logs)

    def on_test_begin(self, logs=None):
        """Called at the start of evaluation (also validation within `fit`)."""

    def on_test_end(self, logs=None):
        """Called at the end of evaluation."""

    def on_test_batch_begin(self, batch, logs=None):
        """Called before each evaluation batch."""

    def on_test_batch_end(self, batch, logs=None):
        """Called after each evaluation batch."""

    def on_predict_begin(self, logs=None):
        """Called at the start of prediction."""

    def on_predict_end(self, logs=None):
        """Called at the end of prediction."""

    def on_predict_batch_begin(self, batch, logs=None):
        """Called before each prediction batch."""

    def on_predict_batch_end(self, batch, logs=None):
        """Called after each prediction batch."""
