"""`TerminateOnNaN`: stop training as soon as the loss becomes NaN or infinite."""

import math

from lamina.callbacks.callback import Callback
from lamina.registry import register


@register("keras.callbacks")
class TerminateOnNaN(Callback):
    """Stop training when the loss of a batch is NaN or infinite.

    After every training batch it reads `logs["loss"]` (the running mean of the epoch's
    loss, which turns NaN/inf with the first bad batch and stays so). Reading it waits for
    the device: with this callback, each training step ends with one host-device sync.

    Args:
        raise_error: `False` stops gracefully (`model.stop_training = True`: the epoch ends
            and every callback's `on_train_end` runs). `True` raises a `RuntimeError` at once,
            so no other callback's `on_train_end` runs (e.g. to keep a backup untouched).
            Defaults to `False`.

    Raises:
        RuntimeError: With `raise_error=True`, when the loss is NaN or infinite.

    Example:

    >>> import numpy as np
    >>> import lamina as keras
    >>> model = keras.Sequential([keras.Input((1,)), keras.layers.Dense(1)])
    >>> model.compile(optimizer=keras.optimizers.SGD(1e30), loss="mse")
    >>> history = model.fit(np.full((8, 1), 1e10), np.zeros((8, 1)), batch_size=1,
    ...                     epochs=5, callbacks=[keras.callbacks.TerminateOnNaN()], verbose=0)
    Batch 1: Invalid loss, terminating training
    >>> history.epoch
    [0]
    """

    def __init__(self, raise_error=False):
        super().__init__()
        self.raise_error = bool(raise_error)

    def on_batch_end(self, batch, logs=None):
        loss = (logs or {}).get("loss")
        if loss is None:
            return
        loss = float(loss)  # host sync: the decision to stop is made on the host
        if math.isfinite(loss):
            return
        if self.raise_error:
            raise RuntimeError(f"NaN or Inf loss encountered at batch {batch}. Loss value: "
                               f"{loss}. Terminating training immediately.")
        print(f"Batch {batch}: Invalid loss, terminating training")
        self.model.stop_training = True
