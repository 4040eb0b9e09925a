import pytest

import lamina as keras
from lamina.callbacks import Callback, CallbackList, History


def test_batch_hooks_are_called_only_on_callbacks_that_define_them():
    class Epochs(Callback):
        def on_epoch_end(self, epoch, logs=None):
            pass

    class Batches(Callback):
        def on_train_batch_end(self, batch, logs=None):
            pass

    class Legacy(Callback):
        def on_batch_end(self, batch, logs=None):
            pass

    epochs, batches, legacy = Epochs(), Batches(), Legacy()
    callbacks = CallbackList([epochs, batches, legacy], add_history=True)
    assert callbacks._batch["on_train_batch_end"] == [batches, legacy]
    assert callbacks._batch["on_test_batch_end"] == []
    assert isinstance(callbacks.history, History)


def test_history_records_per_epoch_values():
    model = keras.Sequential([keras.Input((1,)), keras.layers.Dense(1)])
    history = History()
    history.set_model(model)
    history.on_train_begin()
    history.on_epoch_end(0, {"loss": 1.0})
    history.on_epoch_end(1, {"loss": 0.5})
    assert history.history == {"loss": [1.0, 0.5]} and history.epoch == [0, 1]
    assert model.history is history


def test_rejects_non_callbacks():
    with pytest.raises(TypeError, match="`callbacks` must be a list of"):
        CallbackList([print])
