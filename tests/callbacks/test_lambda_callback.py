"""LambdaCallback: functions as hooks, found by `CallbackList`; its argument errors."""

import pytest

from lamina.callbacks import CallbackList, LambdaCallback


def test_functions_become_hooks_that_callback_list_calls():
    seen = []
    callback = LambdaCallback(on_epoch_end=lambda epoch, logs: seen.append(("epoch", epoch)),
                              on_test_batch_end=lambda batch, logs: seen.append(("test", batch)),
                              on_batch_begin=lambda batch, logs: seen.append(("legacy", batch)))
    callbacks = CallbackList([callback])
    # Batch hooks set on the instance count as overrides (so they are called per batch).
    assert callbacks._batch["on_test_batch_end"] == [callback]
    assert callbacks._batch["on_train_batch_begin"] == [callback]  # via the Keras 2 alias
    assert callbacks._batch["on_predict_batch_end"] == []
    callbacks.on_train_batch_begin(4)
    callbacks.on_test_batch_end(2, {})
    callbacks.on_epoch_end(1, {})
    callbacks.on_train_begin()  # not given: does nothing
    assert seen == [("legacy", 4), ("test", 2), ("epoch", 1)]


def test_rejects_unknown_hooks_and_non_functions():
    with pytest.raises(TypeError, match="`LambdaCallback` got `on_epoch_ends`, which is not a "
                                        "callback hook. Did you mean `on_epoch_end`?"):
        LambdaCallback(on_epoch_ends=print)
    with pytest.raises(TypeError, match="`LambdaCallback` expects `on_train_end` to be a "
                                        "function. Received: on_train_end=3 "):
        LambdaCallback(on_train_end=3)
