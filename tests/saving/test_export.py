"""`Model.export`: ONNX files run in ONNX Runtime and `.pt2` programs reload with
`torch.export.load`, both giving lamina's `predict` results (the oracle) with a dynamic batch;
the model is left untouched; bad arguments fail with clear errors."""

import os
import sys

import numpy as np
import pytest
import torch

import lamina as keras
from lamina import layers
from lamina.layers.layer import CALL_CONTEXT

ort = pytest.importorskip("onnxruntime")


def _session(path):
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    return ort.InferenceSession(os.fspath(path), options, providers=["CPUExecutionProvider"])


def _run_onnx(session, inputs):
    inputs = inputs if isinstance(inputs, list) else [inputs]
    feed = {spec.name: x for spec, x in zip(session.get_inputs(), inputs)}
    return session.run(None, feed)


def _data(shape, seed):
    return np.random.default_rng(seed).random(shape, dtype=np.float32)


def _mnist_mlp():
    return keras.Sequential([keras.Input(shape=(784,)), layers.Dense(64, activation="relu"),
                             layers.Dense(10, activation="softmax")])


def _mnist_cnn():
    return keras.Sequential([
        keras.Input(shape=(28, 28, 1)),
        layers.Conv2D(8, 3, activation="relu"), layers.MaxPooling2D(2),
        layers.Conv2D(16, 3, activation="relu"), layers.MaxPooling2D(2),
        layers.Flatten(), layers.Dropout(0.5), layers.Dense(10, activation="softmax"),
    ])


# -- ONNX ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("build, shape", [(_mnist_mlp, (784,)), (_mnist_cnn, (28, 28, 1))],
                         ids=["mlp", "cnn"])
def test_onnx_mnist_models_match_predict_for_any_batch(tmp_path, build, shape):
    model = build()
    path = tmp_path / "model.onnx"
    model.export(path, verbose=False)
    session = _session(path)
    (spec,) = session.get_inputs()
    assert spec.name == model.input_names[0] and spec.shape == ["batch", *shape]
    assert [o.name for o in session.get_outputs()] == [model.layers[-1].name]
    assert session.get_outputs()[0].shape == ["batch", 10]
    for batch in (1, 7):
        x = _data((batch, *shape), seed=batch)
        (got,) = _run_onnx(session, x)
        np.testing.assert_allclose(got, model.predict(x, verbose=0), atol=1e-5)


def test_onnx_multi_input_functional_model_takes_named_inputs(tmp_path):
    a, b = keras.Input(shape=(3,), name="a"), keras.Input(shape=(5,), name="b")
    merged = layers.Concatenate()([layers.Dense(4, name="from_a")(a), b])
    model = keras.Model([a, b], [layers.Dense(2, name="y")(merged),
                                 layers.Dense(1, activation="sigmoid", name="p")(merged)])
    path = tmp_path / "two.onnx"
    # A dict signature is matched by input name, whatever its order.
    model.export(path, input_signature={"b": (None, 5), "a": (None, 3)}, verbose=False)
    session = _session(path)
    assert [(i.name, i.shape) for i in session.get_inputs()] == [("a", ["batch", 3]),
                                                                ("b", ["batch", 5])]
    assert [o.name for o in session.get_outputs()] == ["y", "p"]
    x = [_data((7, 3), seed=1), _data((7, 5), seed=2)]
    for got, expected in zip(_run_onnx(session, x), model.predict(x, verbose=0)):
        np.testing.assert_allclose(got, expected, atol=1e-5)


def test_onnx_lstm_with_fixed_timesteps(tmp_path):
    model = keras.Sequential([keras.Input(shape=(6, 3)), layers.LSTM(4),
                              layers.Dense(2)])
    path = tmp_path / "lstm.onnx"
    model.export(path, verbose=False)
    session = _session(path)
    for batch in (1, 7):
        x = _data((batch, 6, 3), seed=batch)
        np.testing.assert_allclose(_run_onnx(session, x)[0], model.predict(x, verbose=0),
                                   atol=1e-5)


def test_onnx_batch_norm_uses_moving_statistics_and_model_is_unchanged(tmp_path):
    model = keras.Sequential([keras.Input(shape=(4,)), layers.Dense(3),
                              layers.BatchNormalization(), layers.Dropout(0.5),
                              layers.Dense(2, activity_regularizer="l2")])
    norm = model.layers[1]
    norm.moving_mean.assign(np.array([0.5, -1.0, 2.0], "float32"))
    norm.moving_variance.assign(np.array([4.0, 0.25, 1.0], "float32"))
    x = _data((7, 4), seed=3)
    model(x)  # leaves a loss from the activity regularizer
    losses = [float(v.detach()) for v in model.losses]
    weights = {key: value.clone() for key, value in model.state_dict().items()}
    identities = [id(w) for w in model.weights]
    model.train()
    path = tmp_path / "bn.onnx"
    model.export(path, verbose=False)
    assert all(module.training for module in model.modules())
    assert CALL_CONTEXT.training is None
    assert [id(w) for w in model.weights] == identities
    for key, value in model.state_dict().items():
        assert type(value) is type(weights[key])
        torch.testing.assert_close(value, weights[key], rtol=0, atol=0)
    assert [float(v.detach()) for v in model.losses] == losses
    dense, gamma, beta = model.layers[0], norm.gamma, norm.beta
    hidden = x @ dense.kernel.numpy() + dense.bias.numpy()
    normed = (hidden - norm.moving_mean.numpy()) / np.sqrt(
        norm.moving_variance.numpy() + norm.epsilon) * gamma.numpy() + beta.numpy()
    expected = normed @ model.layers[3].kernel.numpy() + model.layers[3].bias.numpy()
    (got,) = _run_onnx(_session(path), x)
    np.testing.assert_allclose(got, expected, atol=1e-5)
    np.testing.assert_allclose(got, model.predict(x, verbose=0), atol=1e-5)


def test_onnx_names_do_not_clash_with_inner_values_and_attention_on_sequences(tmp_path):
    # The output is named after the layer ("conv2d", also torch's name for the convolution
    # inside); `Attention` on (batch, time, features) needs its math form in ONNX.
    query, value = keras.Input(shape=(4, 6)), keras.Input(shape=(5, 6))
    attended = layers.Attention()([query, value])
    image = layers.Reshape((4, 6, 1))(attended)
    model = keras.Model([query, value], layers.Conv2D(2, 3, name="conv2d")(image))
    path = tmp_path / "names.onnx"
    model.export(path, opset_version=18, verbose=False)
    import onnx

    proto = onnx.load(os.fspath(path))
    assert [o.name for o in proto.graph.output] == ["conv2d"]
    assert {op.domain: op.version for op in proto.opset_import}[""] == 18
    x = [_data((3, 4, 6), seed=4), _data((3, 5, 6), seed=5)]
    np.testing.assert_allclose(_run_onnx(_session(path), x)[0], model.predict(x, verbose=0),
                               atol=1e-5)


def _input_shape(program):
    (name,) = program.graph_signature.user_inputs
    node = next(n for n in program.graph.nodes if n.name == name)
    value = node.meta["val"]
    return [d if isinstance(d, int) else "dynamic" for d in value.shape], value.dtype


class _InputSpec:  # any object with `shape` and `dtype`, as Keras' InputSpec has
    shape, dtype = (None, 4), "float32"


@pytest.mark.parametrize("signature, expected", [
    (None, [["dynamic", 4], torch.float32]),
    ([np.ones((1, 4))], [["dynamic", 4], torch.float32]),  # float64 examples become floatx
    ([(3, 4)], [[3, 4], torch.float32]),  # a fixed batch stays fixed
    ([keras.Input(shape=(4,))], [["dynamic", 4], torch.float32]),
    ((None, 4), [["dynamic", 4], torch.float32]),
    ([_InputSpec()], [["dynamic", 4], torch.float32]),
], ids=["default", "example", "static", "input", "bare_shape", "spec"])
def test_input_signature_forms(tmp_path, signature, expected):
    model = keras.Sequential([keras.Input(shape=(4,)), layers.Dense(2)])
    path = tmp_path / "m.pt2"
    model.export(path, format="torch", input_signature=signature, verbose=False)
    program = torch.export.load(path)
    assert list(_input_shape(program)) == expected
    x = _data((3, 4), seed=6)
    with torch.no_grad():
        got = program.module()(torch.from_numpy(x))
    np.testing.assert_allclose(got.numpy(), model.predict(x, verbose=0), atol=1e-6)


def test_onnx_needs_the_onnx_extra(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "onnxscript", None)  # `import onnxscript` fails
    model = keras.Sequential([keras.Input(shape=(4,)), layers.Dense(2)])
    with pytest.raises(ImportError, match=r'pip install "lamina\[onnx\]"'):
        model.export(tmp_path / "m.onnx")


# -- torch.export --------------------------------------------------------------------------------
def test_torch_program_reloads_and_matches_predict(tmp_path, capsys):
    model = _mnist_cnn()
    path = tmp_path / "cnn.pt2"
    model.export(path, format="torch")
    assert capsys.readouterr().out == f"Saved PyTorch ExportedProgram at '{path}'.\n"
    program = torch.export.load(path)
    assert set(program.state_dict) == {k for k, v in model.named_parameters()}
    for batch in (1, 7):
        x = _data((batch, 28, 28, 1), seed=batch)
        with torch.no_grad():
            got = program.module()(torch.from_numpy(x))
        np.testing.assert_allclose(got.numpy(), model.predict(x, verbose=0), atol=1e-5)
    assert not [name for name in os.listdir(tmp_path) if name != "cnn.pt2"]  # atomic write


def test_torch_program_of_multi_input_model_takes_a_list(tmp_path):
    a, b = keras.Input(shape=(3,)), keras.Input(shape=(2,))
    model = keras.Model([a, b], layers.Dense(2)(layers.Concatenate()([a, b])))
    path = tmp_path / "two.pt2"
    model.export(path, format="torch", input_signature=[[(None, 3), (None, 2)]], verbose=False)
    x = [_data((5, 3), seed=7), _data((5, 2), seed=8)]
    with torch.no_grad():
        got = torch.export.load(path).module()([torch.from_numpy(v) for v in x])
    np.testing.assert_allclose(got.numpy(), model.predict(x, verbose=0), atol=1e-6)


class _Subclassed(keras.Model):
    def __init__(self):
        super().__init__()
        self.hidden = layers.Dense(3, activation="tanh")
        self.out = layers.Dense(2)

    def call(self, inputs, training=None):
        x = self.hidden(inputs)
        return self.out(x * 0.5 if training else x)  # a Python branch on `training`


def test_subclassed_model_exports_its_inference_branch(tmp_path, capsys):
    model = _Subclassed()
    x = _data((4, 5), seed=9)
    model(x)
    model.export(tmp_path / "sub.pt2", format="torch", verbose=False)
    model.export(tmp_path / "sub.onnx", verbose=True)
    assert capsys.readouterr().out == f"Saved artifact at '{tmp_path / 'sub.onnx'}'.\n"
    expected = model.out(model.hidden(torch.from_numpy(x))).detach().numpy()  # training=None
    with torch.no_grad():
        got = torch.export.load(tmp_path / "sub.pt2").module()(torch.from_numpy(x))
    np.testing.assert_allclose(got.numpy(), expected, atol=1e-6)
    session = _session(tmp_path / "sub.onnx")
    assert [i.name for i in session.get_inputs()] == ["input_0"]
    assert [o.name for o in session.get_outputs()] == ["output"]
    np.testing.assert_allclose(_run_onnx(session, x)[0], expected, atol=1e-6)


# -- errors --------------------------------------------------------------------------------------
@pytest.fixture
def model():
    return keras.Sequential([keras.Input(shape=(4,)), layers.Dense(2)])


def test_rejects_unknown_and_keras_only_formats(model, tmp_path):
    with pytest.raises(ValueError, match=r"expects `format` to be one of \['onnx', 'torch'\]. "
                                         r"Received: format='savedmodel'"):
        model.export(tmp_path / "m", format="savedmodel")
    with pytest.raises(ValueError, match=r"does not support format='tf_saved_model' in lamina"):
        model.export(tmp_path / "m", format="tf_saved_model")


def test_rejects_bad_filepaths_and_unknown_options(model, tmp_path):
    with pytest.raises(TypeError, match=r"expects `filepath` to be a string or a path. "
                                        r"Received: filepath=3 \(of type int\)"):
        model.export(3)
    with pytest.raises(ValueError, match=r"expects `filepath` to end in '.pt2'"):
        model.export(tmp_path / "m.onnx", format="torch")
    with pytest.raises(TypeError, match=r"unexpected keyword arguments \['strict'\]"):
        model.export(tmp_path / "m.onnx", strict=True)


def test_rejects_unbuilt_models_and_unknown_input_shapes(tmp_path):
    with pytest.raises(RuntimeError, match=r"cannot be exported before it is built"):
        keras.Sequential([layers.Dense(2)]).export(tmp_path / "m.onnx")
    built_by_build = _Subclassed()
    built_by_build.build((None, 5))  # `build` records the shape, as in Keras
    built_by_build.export(tmp_path / "built.pt2", format="torch", verbose=False)
    called_on_a_list = _Concatenating()
    called_on_a_list([torch.ones(2, 3), torch.ones(2, 4)])
    with pytest.raises(RuntimeError, match=r"does not know the shape of its inputs"):
        called_on_a_list.export(tmp_path / "m.pt2", format="torch")


class _Concatenating(keras.Model):
    def __init__(self):
        super().__init__()
        self.out = layers.Dense(1)

    def call(self, inputs):
        return self.out(torch.cat(inputs, dim=-1))


@pytest.mark.parametrize("signature, error, message", [
    ([(None, 5)], ValueError, r"'input_layer' to have shape \(None, 4\). Received: .* \(None, 5\)"),
    ([np.ones((2, 5))], ValueError, r"Received: an input_signature entry of shape \(None, 5\)"),
    ([(None, None)], ValueError, r"to have shape \(None, 4\)"),
    ([(None, 4), np.ones((2, 4))], ValueError,
     r"1 input\(s\) \['input_layer'\]. Received 2 entries: \(None, 4\), an array of shape \(2, 4\)"),
    (["x"], TypeError, r"Received: input_signature containing 'x' \(of type str\)"),
    ([np.array(1.0, "float32")], ValueError, r"example arrays .* to have a batch dimension"),
])
def test_rejects_input_signatures_that_do_not_fit(model, tmp_path, signature, error, message):
    with pytest.raises(error, match=message):
        model.export(tmp_path / "m.pt2", format="torch", input_signature=signature)


def test_rejects_dict_signatures_missing_an_input_and_malformed_specs(tmp_path):
    a, b = keras.Input(shape=(3,), name="a"), keras.Input(shape=(3,), name="b")
    model = keras.Model([a, b], layers.Add()([a, b]))
    with pytest.raises(ValueError, match=r"an entry for every input \['a', 'b'\]. "
                                         r"Missing: \['b'\]"):
        model.export(tmp_path / "m.pt2", format="torch", input_signature={"a": (None, 3)})

    class Spec:
        shape, dtype = "3", "float32"

    with pytest.raises(ValueError, match=r"each input spec to have a shape of integers or None"):
        model.export(tmp_path / "m.pt2", format="torch", input_signature=[Spec(), Spec()])


def test_a_dimension_that_cannot_be_dynamic_is_explained(tmp_path):
    # torch's recurrent kernels unroll over the timesteps when exported: they must be fixed.
    model = keras.Sequential([keras.Input(shape=(None, 2)), layers.SimpleRNN(3)])
    with pytest.raises(RuntimeError, match=r"Could not export model .* input shapes "
                                           r"\[\(None, None, 2\)\].*dim_0_1"):
        model.export(tmp_path / "m.pt2", format="torch")
    model.export(tmp_path / "m.pt2", format="torch", input_signature=[_data((1, 5, 2), 0)],
                 verbose=False)
    x = _data((3, 5, 2), seed=10)
    with torch.no_grad():
        got = torch.export.load(tmp_path / "m.pt2").module()(torch.from_numpy(x))
    np.testing.assert_allclose(got.numpy(), model.predict(x, verbose=0), atol=1e-6)
