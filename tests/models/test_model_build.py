"""`Model.build(input_shape)` on a subclassed model records the shape as Keras does."""

import io
import json
import zipfile
from contextlib import redirect_stdout

import numpy as np
import torch

import lamina as keras
from lamina.layers import Dense


@keras.saving.register_keras_serializable(package="tests_build")
class Net(keras.Model):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.hidden = Dense(2, activation="relu")
        self.out = Dense(3)

    def call(self, inputs):
        return self.out(self.hidden(inputs))


class TwoInputs(keras.Model):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.dense = Dense(1)

    def call(self, inputs):
        return self.dense(torch.cat(inputs, dim=-1))


def test_build_records_the_input_shape_as_build_config():
    model = Net()
    model.build((None, 5))
    assert model.get_build_config() == {"input_shape": (None, 5)}
    assert model.input_shape == (None, 5)
    assert model.count_params() == 5 * 2 + 2 + 2 * 3 + 3
    fixed = Net()
    fixed.build([8, 5])  # recorded as given, as Keras records it
    assert fixed.get_build_config() == {"input_shape": (8, 5)}


def test_build_records_several_input_shapes():
    model = TwoInputs()
    model.build([(None, 3), [None, 4]])
    assert model.get_build_config() == {"input_shape": [(None, 3), (None, 4)]}
    x = [torch.ones(2, 3), torch.ones(2, 4)]
    kernel, bias = model.dense.get_weights()  # Keras' layout: kernel (7, 1)
    np.testing.assert_allclose(model(x).detach().numpy(), np.ones((2, 7)) @ kernel + bias,
                               rtol=1e-6)


def test_build_config_round_trips_through_a_keras_file(tmp_path):
    model = Net()
    model.build((None, 5))
    model.save(tmp_path / "net.keras")
    config = json.loads(zipfile.ZipFile(tmp_path / "net.keras").read("config.json"))
    assert config["build_config"] == {"input_shape": [None, 5]}  # Keras' JSON form
    loaded = keras.saving.load_model(tmp_path / "net.keras")
    assert type(loaded) is Net and loaded.built
    assert loaded.get_build_config() == {"input_shape": (None, 5)}
    x = np.random.RandomState(0).randn(4, 5).astype("float32")
    np.testing.assert_allclose(loaded.predict(x, verbose=0), model.predict(x, verbose=0),
                               atol=1e-6)


def test_summary_after_build():
    model = Net()
    model.build((None, 5))
    buffer = io.StringIO()
    with redirect_stdout(buffer):
        model.summary(line_length=76)
    text = buffer.getvalue()
    assert "│ dense (Dense)" in text and "(None, 2)" in text and "(None, 3)" in text
    assert "Total params: 21" in text


def test_export_after_build_finds_the_input_shape(tmp_path):
    model = Net()
    model.build((None, 5))
    path = tmp_path / "net.pt2"
    model.export(path, format="torch", verbose=False)  # no `input_signature` needed
    x = torch.randn(3, 5)
    torch.testing.assert_close(torch.export.load(path).module()(x), model(x))
