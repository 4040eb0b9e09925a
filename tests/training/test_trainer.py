import numpy as np
import pandas as pd
import pytest
import torch

import lamina as keras
from lamina.layers import Dense


def mlp(inputs=4, outputs=3, activation="softmax"):
    return keras.Sequential([keras.Input((inputs,)), Dense(8, activation="relu"),
                             Dense(outputs, activation=activation)])


def data(n=64, features=4, classes=3, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, features)).astype("float32")
    labels = (x[:, 0] > 0).astype("int64") + (x[:, 1] > 1)
    return x, keras.utils.to_categorical(labels, classes), labels


def test_tutorial_snippet_runs_and_reports_keras_keys():
    x, y, _ = data(256)
    model = mlp()
    model.compile(loss="categorical_crossentropy", optimizer="adam", metrics=["acc"])
    history = model.fit(x[:192], y[:192], validation_data=(x[192:], y[192:]), epochs=3,
                        batch_size=64, verbose=0)
    assert list(history.history) == ["acc", "loss", "val_acc", "val_loss"]
    assert history.epoch == [0, 1, 2]
    assert history.params == {"verbose": 0, "epochs": 3, "steps": 3}
    assert history.history["loss"][-1] < history.history["loss"][0]
    preds = model.predict(x[192:], verbose=0)
    assert isinstance(preds, np.ndarray) and preds.shape == (64, 3)
    np.testing.assert_allclose(preds.sum(axis=1), 1.0, rtol=1e-5)
    loss, acc = model.evaluate(x[192:], y[192:], verbose=0)
    assert acc == pytest.approx(history.history["val_acc"][-1], abs=1e-6)
    weights = model.get_weights()
    model.set_weights([w * 0 for w in weights])
    assert all(not w.any() for w in model.get_weights())


def test_fit_before_compile_teaches_the_fix():
    with pytest.raises(RuntimeError, match=r"(?s)call `compile\(\)` before using the model in "
                       r"`fit\(\)`.*model.compile\(optimizer='adam'"):
        mlp().fit(np.ones((4, 4)), np.ones((4, 3)))


@pytest.mark.parametrize("argument, value, message", [
    ("loss", "categorical_crossentropi", "Unknown loss: 'categorical_crossentropi'. Did you mean "
     "'categorical_crossentropy'"),
    ("optimizer", "adamm", "Unknown optimizer: 'adamm'. Did you mean 'adam'"),
    ("metrics", ["acuracy"], "Unknown metric: 'acuracy'. Did you mean 'accuracy'"),
])
def test_unknown_names_list_the_closest(argument, value, message):
    kwargs = {"optimizer": "adam", "loss": "mse", argument: value}
    with pytest.raises(ValueError, match=message):
        mlp().compile(**kwargs)


def test_bad_data_gets_clear_errors():
    model = mlp()
    model.compile(optimizer="adam", loss="categorical_crossentropy")
    with pytest.raises(ValueError, match="(?s)Data cardinality is ambiguous.*'x' sizes: 10\n'y' sizes: 9"):
        model.fit(np.ones((10, 4)), np.ones((9, 3)), verbose=0)
    with pytest.raises(ValueError, match=r'Input 0 of layer "dense" is incompatible with the '
                       r"layer: expected shape=\(None, 4\), found shape=\(10, 5\)"):
        model.fit(np.ones((10, 5)), np.ones((10, 3)), verbose=0)
    with pytest.raises(TypeError, match="`x` must hold numbers.*dtype <U1"):
        model.fit(np.array([["a"] * 4] * 10), np.ones((10, 3)), verbose=0)
    with pytest.raises(TypeError, match="`x` must be a numpy array.*Received: x of type set"):
        model.fit({1, 2}, np.ones((2, 3)), verbose=0)
    with pytest.raises(ValueError, match="`fit` expects `epochs` to be a non-negative integer"):
        model.fit(np.ones((10, 4)), np.ones((10, 3)), epochs=-1)
    with pytest.raises(ValueError, match="`batch_size` must be a positive integer"):
        model.fit(np.ones((10, 4)), np.ones((10, 3)), batch_size=0)
    with pytest.raises(ValueError, match="`verbose` must be 0, 1, 2 or 'auto'"):
        model.fit(np.ones((10, 4)), np.ones((10, 3)), verbose=3)
    with pytest.raises(ValueError, match="`validation_split` must be a float in"):
        model.fit(np.ones((10, 4)), np.ones((10, 3)), validation_split=1.5)


def test_integer_inputs_are_cast_to_the_input_dtype():
    model = mlp()
    model.compile(optimizer="sgd", loss="mse")
    model.fit(np.ones((8, 4), dtype="int32"), np.ones((8, 3)), verbose=0)
    assert model.predict([[1, 2, 3, 4]], verbose=0).shape == (1, 3)


def test_validation_split_takes_the_last_samples():
    x, y, _ = data(50)
    seen = []

    class Record(keras.callbacks.Callback):
        def on_test_batch_begin(self, batch, logs=None):
            seen.append(batch)

    model = mlp()
    model.compile(optimizer="sgd", loss="categorical_crossentropy")
    split = model.fit(x, y, validation_split=0.2, epochs=1, shuffle=False, verbose=0,
                      batch_size=10)
    explicit = mlp()
    explicit.set_weights(model.get_weights())  # evaluate the same trained weights
    expected = explicit
    expected.compile(optimizer="sgd", loss="categorical_crossentropy")
    assert split.params["steps"] == 4
    assert split.history["val_loss"][0] == pytest.approx(
        expected.evaluate(x[40:], y[40:], verbose=0), rel=1e-6)


def test_sample_weight_and_class_weight_agree():
    x, y, labels = data(40)
    weights = {0: 0.2, 1: 3.0, 2: 1.0}
    first, second = mlp(), mlp()
    second.set_weights(first.get_weights())
    for model in (first, second):
        model.compile(optimizer=keras.optimizers.SGD(0.1), loss="categorical_crossentropy")
    a = first.fit(x, y, class_weight=weights, shuffle=False, epochs=2, verbose=0)
    b = second.fit(x, y, sample_weight=np.array([weights[k] for k in labels]), shuffle=False,
                   epochs=2, verbose=0)
    np.testing.assert_allclose(a.history["loss"], b.history["loss"], rtol=1e-6)


def test_sample_weight_scales_loss():
    model = keras.Sequential([keras.Input((1,)), Dense(1, kernel_initializer="zeros")])
    model.compile(optimizer="sgd", loss="mse")
    x, y = np.ones((4, 1)), np.array([[1.0], [2.0], [3.0], [4.0]])
    # sum_over_batch_size: sum(w * (y - 0)^2) / batch size
    got = model.evaluate(x, y, sample_weight=np.array([1.0, 0.0, 0.0, 2.0]), verbose=0)
    assert got == pytest.approx((1 * 1 + 2 * 16) / 4)


def test_initial_epoch_steps_per_epoch_and_validation_freq():
    x, y, _ = data(32)
    model = mlp()
    model.compile(optimizer="adam", loss="categorical_crossentropy")
    history = model.fit(x, y, epochs=5, initial_epoch=2, batch_size=8, steps_per_epoch=3,
                        validation_data=(x, y), validation_freq=2, verbose=0)
    assert history.epoch == [2, 3, 4]
    assert history.params["steps"] == 3
    assert len(history.history["val_loss"]) == 1  # only after epoch 4 (1-based), i.e. index 3


def test_callbacks_see_every_event_in_order():
    events = []

    class Spy(keras.callbacks.Callback):
        def on_train_begin(self, logs=None):
            events.append("train_begin")

        def on_epoch_begin(self, epoch, logs=None):
            events.append(f"epoch_begin {epoch}")

        def on_batch_end(self, batch, logs=None):  # Keras 2 name
            events.append(f"batch_end {batch} {sorted(logs)}")

        def on_epoch_end(self, epoch, logs=None):
            events.append(f"epoch_end {epoch} {sorted(logs)}")
            assert all(isinstance(v, float) for v in logs.values())

        def on_train_end(self, logs=None):
            events.append("train_end")
            assert self.model is model and self.params["epochs"] == 1

    x, y, _ = data(8)
    model = mlp()
    model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["acc"])
    model.fit(x, y, batch_size=4, callbacks=[Spy()], verbose=0)
    assert events == ["train_begin", "epoch_begin 0", "batch_end 0 ['acc', 'loss']",
                      "batch_end 1 ['acc', 'loss']", "epoch_end 0 ['acc', 'loss']", "train_end"]
    with pytest.raises(TypeError, match="`callbacks` must be a list of"):
        model.fit(x, y, callbacks=["no"], verbose=0)


def test_stop_training_ends_fit():
    class Stop(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            self.model.stop_training = True

    x, y, _ = data(8)
    model = mlp()
    model.compile(optimizer="adam", loss="categorical_crossentropy")
    assert model.fit(x, y, epochs=10, callbacks=[Stop()], verbose=0).epoch == [0]


def test_evaluate_shapes_of_results():
    x, y, _ = data(16)
    model = mlp()
    model.compile(optimizer="adam", loss="categorical_crossentropy")
    assert isinstance(model.evaluate(x, y, verbose=0), float)
    model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["mae", "acc"])
    loss, mae, acc = model.evaluate(x, y, verbose=0)
    result = model.evaluate(x, y, verbose=0, return_dict=True)
    assert result == {"acc": acc, "loss": loss, "mae": mae}
    assert model.metrics_names == ["loss", "mae", "acc"]


def test_on_batch_methods():
    x, y, _ = data(16)
    model = mlp()
    model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["acc"])
    loss, acc = model.train_on_batch(x, y)
    assert 0 <= acc <= 1 and loss > 0
    logs = model.test_on_batch(x, y, return_dict=True)
    assert set(logs) == {"acc", "loss"}
    np.testing.assert_allclose(model.predict_on_batch(x), model.predict(x, verbose=0), rtol=1e-6)


def test_accuracy_resolves_like_keras():
    x, y, labels = data(16)
    for model, target, expected in [
        (mlp(), y, "CategoricalAccuracy"),
        (mlp(), labels, "SparseCategoricalAccuracy"),
        (mlp(outputs=1, activation="sigmoid"), (labels > 0).astype("float32"), "BinaryAccuracy"),
    ]:
        loss = "binary_crossentropy" if expected == "BinaryAccuracy" else "crossentropy"
        model.compile(optimizer="adam", loss=loss, metrics=["accuracy"])
        model.fit(x, target, verbose=0)
        assert type(model.metrics[-1]).__name__ == expected


def test_multi_output_losses_weights_and_history_keys():
    a = keras.Input((4,), name="a")
    hidden = Dense(8, activation="relu")(a)
    model = keras.Model(a, [Dense(2, name="out1")(hidden), Dense(1, name="out2")(hidden)])
    model.compile(optimizer="sgd", loss=["mse", "mse"], loss_weights=[1.0, 0.5],
                  metrics=[["mae"], ["mse", "acc"]])
    x = np.ones((8, 4))
    history = model.fit(x, [np.ones((8, 2)), np.ones((8, 1))], epochs=1, verbose=0)
    assert list(history.history) == ["loss", "out1_loss", "out1_mae", "out2_acc", "out2_loss",
                                     "out2_mse"]
    h = history.history
    # the total is the weighted sum of the per-output losses, averaged over the epoch
    assert h["loss"][0] == pytest.approx(h["out1_loss"][0] + 0.5 * h["out2_loss"][0], rel=1e-5)
    by_name = model.fit(x, {"out1": np.ones((8, 2)), "out2": np.ones((8, 1))}, verbose=0)
    assert "out2_loss" in by_name.history
    with pytest.raises(ValueError, match="one entry per output"):
        model.compile(optimizer="sgd", loss=["mse"])
    with pytest.raises(ValueError, match=r"unknown output\(s\) \['nope'\]"):
        model.compile(optimizer="sgd", loss={"nope": "mse"})


def test_dict_inputs_torch_tensors_and_pandas():
    a, b = keras.Input((2,), name="a"), keras.Input((1,), name="b")
    merged = keras.layers.Lambda(lambda t: t[0] + 0 * t[1])([Dense(3)(a), Dense(3)(b)])
    model = keras.Model({"a": a, "b": b}, Dense(1)(merged))
    model.compile(optimizer="adam", loss="mse")
    model.fit({"a": np.ones((6, 2)), "b": torch.ones(6, 1)}, np.ones((6, 1)), verbose=0)
    frame = pd.DataFrame({"u": np.arange(6.0), "v": np.ones(6), "w": np.zeros(6)})
    seq = keras.Sequential([keras.Input((3,)), Dense(1)])
    seq.compile(optimizer="adam", loss="mse")
    seq.fit(frame, pd.Series(np.ones(6)), verbose=0)
    assert seq.predict(frame, verbose=0).shape == (6, 1)


def test_regularizers_and_add_loss_join_the_training_loss():
    model = keras.Sequential([keras.Input((1,)), Dense(1, kernel_initializer="ones",
                                                       use_bias=False, kernel_regularizer="l2")])
    model.compile(optimizer="sgd", loss="mse")
    # loss = mean((1*x - 0)^2) + 0.01 * 1^2
    assert model.evaluate(np.full((4, 1), 2.0), np.zeros((4, 1)), verbose=0) == \
        pytest.approx(4.0 + 0.01)


def test_progress_bar_reads_metrics_at_a_bounded_rate(capsys, monkeypatch):
    reads = []
    metric_cls = type(keras.metrics.Mean())
    original = metric_cls.result

    def counting(self):
        reads.append(self.name)
        return original(self)

    monkeypatch.setattr(metric_cls, "result", counting)
    ticks = iter(range(10**6))
    from lamina.callbacks import progbar_logger

    monkeypatch.setattr(progbar_logger, "_clock", lambda: next(ticks) * 0.001)  # 1 ms a step
    x, y, _ = data(512)
    model = mlp()
    model.compile(optimizer="adam", loss="categorical_crossentropy")
    model.fit(x, y, batch_size=4, epochs=1, verbose=1)  # 128 steps
    assert len(reads) <= 5  # every 50 ms of 128 ms, plus the final line; not once a step
    out = capsys.readouterr().out
    assert "128/128" in out and "━" in out and "loss:" in out


def test_verbose_2_prints_one_line_per_epoch(capsys):
    x, y, _ = data(32)
    model = mlp()
    model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["acc"])
    model.fit(x, y, epochs=2, verbose=2)
    lines = [line for line in capsys.readouterr().out.splitlines() if line.strip()]
    assert lines[0] == "Epoch 1/2" and lines[2] == "Epoch 2/2"
    assert lines[1].startswith("1/1 - ") and " - acc: " in lines[1] and " - loss: " in lines[1]


def test_compile_and_data_argument_errors():
    x, y, labels = data(10)
    model = mlp()
    with pytest.raises(ValueError, match="only supports `steps_per_execution=1`"):
        model.compile(optimizer="adam", loss="mse", steps_per_execution=4)
    with pytest.raises(ValueError, match="`jit_compile` to be True, False or 'auto'"):
        model.compile(optimizer="adam", loss="mse", jit_compile="yes")
    with pytest.raises(TypeError, match="expects `metrics` to be a list or a dict"):
        model.compile(optimizer="adam", loss="mse", metrics="acc")
    model.compile(optimizer="adam")
    with pytest.raises(ValueError, match="No loss to compute"):
        model.fit(x, y, verbose=0)
    model.compile(optimizer="adam", loss="categorical_crossentropy")
    with pytest.raises(TypeError, match="`class_weight` must be a dict"):
        model.fit(x, y, class_weight=[1, 2, 3], verbose=0)
    with pytest.raises(ValueError, match="`fit` expects `steps_per_epoch` to be a positive"):
        model.fit(x, y, steps_per_epoch=0, verbose=0)
    with pytest.raises(ValueError, match="leaves no samples"):
        model.fit(x[:1], y[:1], validation_split=0.5, verbose=0)
    with pytest.raises(ValueError, match="`predict` received no data"):
        model.predict(x[:0], verbose=0)
    with pytest.raises(ValueError, match="Data is expected to be in format"):
        model.fit(x, y, validation_data=(x, y, None, None), verbose=0)
    with pytest.raises(ValueError, match="`x` is required"):
        model.fit(None, y, verbose=0)


def test_multi_output_argument_errors():
    a = keras.Input((2,))
    model = keras.Model(a, [Dense(1, name="p")(a), Dense(1, name="q")(a)])
    with pytest.raises(ValueError, match="expects `loss_weights` to have one entry per output"):
        model.compile(optimizer="sgd", loss="mse", loss_weights=[1.0])
    model.compile(optimizer="sgd", loss="mse")
    with pytest.raises(ValueError, match=r"has 2 outputs \(\['p', 'q'\]\) but `y` has 3"):
        model.fit(np.ones((4, 2)), [np.ones((4, 1))] * 3, verbose=0)
    with pytest.raises(ValueError, match="only supported for models with a single output"):
        model.fit(np.ones((4, 2)), [np.ones((4, 1))] * 2, class_weight={0: 1.0}, verbose=0)


def test_constraints_apply_in_keras_layout_after_each_step():
    model = keras.Sequential([keras.Input((6,)), Dense(4, kernel_constraint=keras.constraints.MaxNorm(0.5))])
    model.compile(optimizer=keras.optimizers.SGD(1.0), loss="mse")
    x = np.random.default_rng(1).normal(size=(32, 6)).astype("float32")
    model.fit(x, np.full((32, 4), 10.0), epochs=2, verbose=0)
    kernel = model.get_weights()[0]  # (input_dim, units): MaxNorm(axis=0) bounds each unit
    assert kernel.shape == (6, 4)
    assert np.all(np.linalg.norm(kernel, axis=0) <= 0.5 + 1e-5)
    assert np.linalg.norm(kernel, axis=0).max() > 0.45  # the constraint was active


@pytest.mark.slow
def test_jit_compile_trains_like_eager():
    x, y, _ = data(64)
    histories = []
    for jit in (False, True):
        keras.utils.set_random_seed(3)
        model = mlp()
        model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["acc"],
                      jit_compile=jit)
        histories.append(model.fit(x, y, epochs=2, batch_size=16, shuffle=False, verbose=0))
        assert model.predict(x, verbose=0).shape == (64, 3)
    eager, compiled = (h.history for h in histories)
    assert compiled["acc"] == eager["acc"]
    np.testing.assert_allclose(compiled["loss"], eager["loss"], rtol=1e-5)


def test_fit_ends_by_copying_ema_averages_into_the_weights():
    model = keras.Sequential([keras.Input(shape=(3,)), keras.layers.Dense(1)])
    optimizer = keras.optimizers.SGD(0.1, use_ema=True, ema_momentum=0.5)
    model.compile(optimizer=optimizer, loss="mse")
    x = np.random.default_rng(0).normal(size=(8, 3)).astype("float32")
    model.fit(x, x.sum(axis=1, keepdims=True), batch_size=4, epochs=1, verbose=0)
    averages = [a.detach().clone() for a in optimizer._ema_averages]
    for weight, average in zip(model.trainable_weights, averages):
        torch.testing.assert_close(weight.detach(), average)
