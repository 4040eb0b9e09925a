"""`TensorBoard`: the event files are read back with TensorBoard's own `EventAccumulator` and
compared with `History`, the logs seen by a recording callback, and the model's weights."""

import glob
import io
import json
import os
from collections.abc import Mapping

import numpy as np
import pytest
import torch
from google.protobuf import text_format
from PIL import Image
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
from tensorboard.plugins.projector.projector_config_pb2 import ProjectorConfig

import lamina as keras
from lamina.callbacks import Callback, TensorBoard
from lamina.callbacks import tensorboard as tensorboard_module
from lamina.callbacks.tensorboard_assets import weight_image


def _data(n=40, features=4, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, features)).astype("float32")
    y = (x.sum(axis=1, keepdims=True) > 0).astype("float32")
    return x, y


def _model(optimizer="adam"):
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3, activation="relu"),
                              keras.layers.Dense(1, activation="sigmoid")])
    model.compile(optimizer=optimizer, loss="binary_crossentropy", metrics=["accuracy"])
    return model


def _run(log_dir, run):
    accumulator = EventAccumulator(os.path.join(log_dir, run), size_guidance={"scalars": 0,
                                                                              "histograms": 0,
                                                                              "images": 0})
    accumulator.Reload()
    return accumulator


def _scalars(accumulator, tag):
    return [(event.step, event.value) for event in accumulator.Scalars(tag)]


class _RecordBatchLogs(Callback):
    """Reads every batch's logs (the oracle for the logged batches)."""

    def __init__(self):
        super().__init__()
        self.losses = []

    def on_train_batch_end(self, batch, logs=None):
        self.losses.append(float(logs["loss"]))


# -- epoch scalars ---------------------------------------------------------------------------------


def test_epoch_scalars_equal_history(tmp_path):
    x, y = _data()
    model = _model()
    callback = TensorBoard(tmp_path, write_graph=False)
    history = model.fit(x[:32], y[:32], validation_data=(x[32:], y[32:]), epochs=3,
                        batch_size=8, verbose=0, callbacks=[callback])
    train, validation = _run(tmp_path, "train"), _run(tmp_path, "validation")
    for key in ("loss", "accuracy"):
        assert _scalars(train, f"epoch_{key}") == [
            (epoch, np.float32(value)) for epoch, value in enumerate(history.history[key])]
        assert _scalars(validation, f"epoch_{key}") == [
            (epoch, np.float32(value)) for epoch, value in enumerate(history.history[f"val_{key}"])]
    assert _scalars(train, "epoch_learning_rate") == [(e, np.float32(0.001)) for e in range(3)]
    assert "epoch_val_loss" not in train.Tags()["scalars"]
    # Validation also logs against the optimizer's update count (4 batches per epoch).
    assert _scalars(validation, "evaluation_loss_vs_iterations") == [
        (4 * (epoch + 1), np.float32(value))
        for epoch, value in enumerate(history.history["val_loss"])]
    assert callback._writers == {}  # flushed and closed at the end of fit


def test_no_validation_run_without_validation_data(tmp_path):
    x, y = _data()
    _model().fit(x, y, epochs=1, verbose=0, callbacks=[TensorBoard(tmp_path, write_graph=False)])
    assert sorted(os.listdir(tmp_path)) == ["train"]


def test_learning_rate_of_a_loss_scale_optimizer_is_the_inner_one(tmp_path):
    x, y = _data()
    optimizer = keras.optimizers.LossScaleOptimizer(keras.optimizers.SGD(learning_rate=0.25))
    _model(optimizer).fit(x, y, epochs=2, verbose=0,
                          callbacks=[TensorBoard(tmp_path, write_graph=False)])
    assert _scalars(_run(tmp_path, "train"), "epoch_learning_rate") == [(0, 0.25), (1, 0.25)]


# -- batch scalars ---------------------------------------------------------------------------------


def test_batch_scalars_every_update_freq_batches(tmp_path):
    x, y = _data()
    record = _RecordBatchLogs()
    _model().fit(x, y, epochs=2, batch_size=8, verbose=0,  # 5 batches an epoch
                 callbacks=[record, TensorBoard(tmp_path, write_graph=False, update_freq=2)])
    logged = _scalars(_run(tmp_path, "train"), "batch_loss")
    # Steps count the batches of the whole fit from 1; every second one is written.
    assert logged == [(step, np.float32(record.losses[step - 1])) for step in (2, 4, 6, 8, 10)]
    assert "batch_accuracy" in _run(tmp_path, "train").Tags()["scalars"]


def test_update_freq_batch_writes_every_batch(tmp_path):
    x, y = _data()
    record = _RecordBatchLogs()
    _model().fit(x, y, epochs=1, batch_size=8, verbose=0,
                 callbacks=[record, TensorBoard(tmp_path, write_graph=False, update_freq="batch")])
    logged = _scalars(_run(tmp_path, "train"), "batch_loss")
    assert logged == [(step, np.float32(loss)) for step, loss in enumerate(record.losses, 1)]


class _CountingLogs(Mapping):
    """Batch logs that count how often they are read (a read is a device sync)."""

    def __init__(self):
        self.reads = 0

    def __getitem__(self, key):
        self.reads += 1
        return torch.tensor(0.5)

    def __iter__(self):
        return iter(["loss"])

    def __len__(self):
        return 1


def test_batch_logs_are_read_only_on_logged_batches(tmp_path):
    callback = TensorBoard(tmp_path, write_graph=False, update_freq=3)
    callback.set_model(_model())
    callback.on_train_begin()
    reads = []
    for batch in range(6):
        logs = _CountingLogs()
        callback.on_train_batch_begin(batch)
        callback.on_train_batch_end(batch, logs)
        reads.append(logs.reads)
    callback.on_train_end()
    assert reads == [0, 0, 1, 0, 0, 1]
    assert _scalars(_run(tmp_path, "train"), "batch_loss") == [(3, 0.5), (6, 0.5)]


def test_steps_per_second(tmp_path, monkeypatch):
    ticks = iter(range(1000))
    monkeypatch.setattr(tensorboard_module, "_clock", lambda: float(next(ticks)))
    x, y = _data(n=32)
    callback = TensorBoard(tmp_path, write_graph=False, write_steps_per_second=True, update_freq=1)
    _model().fit(x, y, epochs=1, batch_size=8, verbose=0, callbacks=[callback])
    train = _run(tmp_path, "train")
    # One tick at each batch's begin and end: every batch took 1 "second".
    assert _scalars(train, "batch_steps_per_second") == [(step, 1.0) for step in (1, 2, 3, 4)]
    # The epoch began at tick 0 and ended at tick 9 (8 batch ticks): 4 updates in 9 seconds.
    assert _scalars(train, "epoch_steps_per_second") == [(0, np.float32(4 / 9))]


# -- evaluate --------------------------------------------------------------------------------------


def test_evaluate_logs_against_optimizer_iterations(tmp_path):
    x, y = _data()
    model = _model()
    model.fit(x, y, epochs=2, batch_size=10, verbose=0)  # 8 updates
    callback = TensorBoard(tmp_path, write_graph=False)
    loss, accuracy = model.evaluate(x, y, verbose=0, callbacks=[callback])
    validation = _run(tmp_path, "validation")
    assert _scalars(validation, "evaluation_loss_vs_iterations") == [(8, np.float32(loss))]
    assert _scalars(validation, "evaluation_accuracy_vs_iterations") == [
        (8, np.float32(accuracy))]
    assert callback._writers == {}  # a standalone evaluate closes what it opened


# -- weights ---------------------------------------------------------------------------------------


def test_weight_histograms_every_histogram_freq_epochs(tmp_path):
    x, y = _data()
    model = _model()
    model.fit(x, y, epochs=3, verbose=0,
              callbacks=[TensorBoard(tmp_path, write_graph=False, histogram_freq=2)])
    train = _run(tmp_path, "train")
    paths = [w.path for w in model.weights]
    assert paths == ["dense/kernel", "dense/bias", "dense_1/kernel", "dense_1/bias"]
    assert sorted(train.Tags()["histograms"]) == sorted(f"{p}/histogram" for p in paths)
    for weight in model.weights:
        events = train.Histograms(f"{weight.path}/histogram")
        assert [event.step for event in events] == [0, 2]
        final, values = events[-1].histogram_value, weight.numpy().astype(np.float64)
        assert final.num == values.size
        np.testing.assert_allclose([final.min, final.max, final.sum, final.sum_squares],
                                   [values.min(), values.max(), values.sum(),
                                    (values ** 2).sum()], rtol=1e-6, atol=1e-12)


def test_histogram_freq_one_writes_every_epoch(tmp_path):
    x, y = _data()
    _model().fit(x, y, epochs=2, verbose=0,
                 callbacks=[TensorBoard(tmp_path, write_graph=False, histogram_freq=1)])
    events = _run(tmp_path, "train").Histograms("dense/kernel/histogram")
    assert [event.step for event in events] == [0, 1]


def test_weight_images(tmp_path):
    x, y = _data()
    model = _model()
    model.fit(x, y, epochs=1, verbose=0,
              callbacks=[TensorBoard(tmp_path, write_graph=False, histogram_freq=1,
                                     write_images=True)])
    train = _run(tmp_path, "train")
    # dense_1/bias has one value: squeezed to a scalar, it is no image (as in Keras).
    assert sorted(train.Tags()["images"]) == ["dense/bias/image", "dense/kernel/image",
                                              "dense_1/kernel/image"]
    (event,) = train.Images("dense/kernel/image")
    pixels = np.asarray(Image.open(io.BytesIO(event.encoded_image_string)).convert("L"))
    kernel = model.weights[0].numpy()  # (4, 3): taller than wide, so shown transposed
    expected = np.clip(kernel.T * 255, 0, 255).astype(np.uint8)
    assert pixels.shape == (3, 4)
    np.testing.assert_array_equal(pixels, expected)


def test_weight_image_follows_keras_layout_rules():
    bias = np.arange(5.0)
    assert weight_image(bias).shape == (1, 5, 1, 1)
    tall = np.arange(12.0).reshape(4, 3)
    np.testing.assert_array_equal(weight_image(tall)[0, :, :, 0], tall.T)
    wide = np.arange(12.0).reshape(3, 4)
    np.testing.assert_array_equal(weight_image(wide)[0, :, :, 0], wide)
    conv1d = np.arange(24.0).reshape(2, 3, 4)  # (kernel, in, out): one image per output
    image = weight_image(conv1d)
    assert image.shape == (4, 2, 3, 1)
    np.testing.assert_array_equal(image[1, :, :, 0], conv1d[:, :, 1])
    assert weight_image(np.zeros((3, 3, 2, 3))).shape == (3, 3, 2, 3)  # 3 "colour" channels
    assert weight_image(np.zeros((3, 3, 2, 8))) is None


# -- graph -----------------------------------------------------------------------------------------


def test_graph_of_the_model(tmp_path):
    x, y = _data()
    _model().fit(x, y, epochs=1, verbose=0, callbacks=[TensorBoard(tmp_path)])
    graph = _run(tmp_path, "train").Graph()
    names = [node.name for node in graph.node]
    assert any("Dense[dense]" in name for name in names)
    assert any("Dense[dense_1]" in name for name in names)
    linear = [node for node in graph.node if node.op == "aten::linear"]
    assert len(linear) == 2


def test_graph_tracing_failure_warns_and_training_goes_on(tmp_path, monkeypatch):
    from torch.utils.tensorboard import SummaryWriter

    def fail(self, model, inputs):
        raise RuntimeError("cannot trace this")

    monkeypatch.setattr(SummaryWriter, "add_graph", fail)
    x, y = _data()
    with pytest.warns(UserWarning, match="could not write the graph of model 'sequential': "
                                         "tracing it failed with RuntimeError: cannot trace"):
        history = _model().fit(x, y, epochs=1, verbose=0, callbacks=[TensorBoard(tmp_path)])
    assert len(history.history["loss"]) == 1


def test_graph_of_a_model_with_unknown_input_shape_warns(tmp_path):
    class TwoInputs(keras.Model):
        def __init__(self):
            super().__init__()
            self.dense = keras.layers.Dense(1)

        def call(self, inputs, training=None):
            return self.dense(inputs[0] + inputs[1])

    model = TwoInputs()
    model.compile(optimizer="sgd", loss="mse")
    x, y = _data()
    with pytest.warns(UserWarning, match="its input shape is unknown"):
        model.fit([x, x], y, epochs=1, verbose=0, callbacks=[TensorBoard(tmp_path)])


# -- profiling -------------------------------------------------------------------------------------


@pytest.mark.parametrize("profile_batch, steps", [((2, 3), [2, 3]), (2, [2]), ("3,4", [3, 4])])
def test_profile_writes_a_trace_of_the_profiled_batches(tmp_path, profile_batch, steps):
    x, y = _data()
    _model().fit(x, y, epochs=1, batch_size=8, verbose=0,
                 callbacks=[TensorBoard(tmp_path, write_graph=False, profile_batch=profile_batch)])
    (trace_file,) = glob.glob(os.path.join(tmp_path, "train", "plugins", "profile", "*",
                                           "*.pt.trace.json"))
    with open(trace_file, encoding="utf-8") as file:
        events = json.load(file)["traceEvents"]
    annotated = sorted({event["name"] for event in events
                        if event.get("name", "").startswith("ProfilerStep#")})
    assert annotated == [f"ProfilerStep#{step}" for step in steps]
    assert any(event.get("name") == "aten::linear" for event in events)


def test_profiling_that_outlives_the_fit_is_saved_at_train_end(tmp_path):
    x, y = _data(n=16)
    _model().fit(x, y, epochs=1, batch_size=8, verbose=0,  # 2 batches; asks for 2 to 5
                 callbacks=[TensorBoard(tmp_path, write_graph=False, profile_batch=(2, 5))])
    assert len(glob.glob(os.path.join(tmp_path, "train", "plugins", "profile", "*", "*"))) == 1


# -- embeddings ------------------------------------------------------------------------------------


def _embedding_model():
    model = keras.Sequential([keras.Input((3,), dtype="int64"),
                              keras.layers.Embedding(10, 4, name="words"),
                              keras.layers.GlobalAveragePooling1D(), keras.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    return model


def test_embeddings_for_the_projector(tmp_path):
    x = np.random.default_rng(0).integers(0, 10, size=(16, 3))
    y = np.zeros((16, 1), "float32")
    model = _embedding_model()
    model.fit(x, y, epochs=2, verbose=0,
              callbacks=[TensorBoard(tmp_path, write_graph=False, embeddings_freq=1,
                                     embeddings_metadata={"words": "words.tsv"})])
    config = ProjectorConfig()
    with open(os.path.join(tmp_path, "projector_config.pbtxt"), encoding="utf-8") as file:
        text_format.Parse(file.read(), config)
    (entry,) = config.embeddings
    assert entry.tensor_name == "words/embeddings"
    assert entry.metadata_path == "words.tsv"
    assert list(entry.tensor_shape) == [10, 4]
    written = np.loadtxt(os.path.join(tmp_path, entry.tensor_path), delimiter="\t")
    np.testing.assert_array_equal(written.astype(np.float32),
                                  model.get_layer("words").embeddings.numpy())


def test_embeddings_metadata_for_an_unknown_layer(tmp_path):
    with pytest.raises(ValueError, match=r"not `Embedding` layers of the model: \['nouns'\]"):
        _embedding_model().fit(np.zeros((4, 3), "int64"), np.zeros((4, 1)), verbose=0,
                               callbacks=[TensorBoard(tmp_path, embeddings_freq=1,
                                                      embeddings_metadata={"nouns": "n.tsv"})])


# -- arguments -------------------------------------------------------------------------------------


@pytest.mark.parametrize("kwargs, match", [
    ({"histogram_freq": -1}, (r"`histogram_freq` to be a non-negative integer\. "
                              r"Received: histogram_freq=-1 \(of type int\)")),
    ({"embeddings_freq": 1.5}, r"`embeddings_freq` to be a non-negative integer"),
    ({"update_freq": "step"}, (r"`update_freq` to be 'epoch', 'batch' or a positive "
                               r"integer\. Received: update_freq='step' \(of type str\)")),
    ({"update_freq": 0}, r"`update_freq` to be 'epoch', 'batch' or a positive integer"),
    ({"profile_batch": -1}, r"`profile_batch` to be a non-negative integer"),
    ({"profile_batch": (3, 2)}, r"Received: profile_batch=\(3, 2\)"),
    ({"profile_batch": (0, 2)}, r"pair `\(start, stop\)` of positive integers"),
    ({"profile_batch": "a,b"}, r"Received: profile_batch='a,b'"),
])
def test_rejects_invalid_values(kwargs, match):
    with pytest.raises(ValueError, match=match):
        TensorBoard(**kwargs)


def test_rejects_invalid_types():
    with pytest.raises(TypeError, match=r"`log_dir` to be a path .* Received: log_dir=3"):
        TensorBoard(log_dir=3)
    with pytest.raises(TypeError, match=r"`embeddings_metadata` to be a file name or a dict"):
        TensorBoard(embeddings_metadata=["a.tsv"])


def test_explains_how_to_install_tensorboard(monkeypatch):
    monkeypatch.setattr(tensorboard_module.importlib.util, "find_spec", lambda name: None)
    with pytest.raises(ImportError, match=r"pip install 'lamina\[tensorboard\]'"):
        TensorBoard()


def test_profile_batch_string_forms():
    assert TensorBoard(profile_batch="4")._start_batch == 4
    callback = TensorBoard(profile_batch="2,6")
    assert (callback._start_batch, callback._stop_batch) == (2, 6)
    assert TensorBoard(update_freq="batch").update_freq == 1
