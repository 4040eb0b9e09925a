import numpy as np
import pytest
import torch

import lamina as keras
from lamina.layers import Dense


def test_functional_model_replays_the_graph():
    inputs = keras.Input((4,), name="features")
    hidden = Dense(8, activation="relu", name="hidden")(inputs)
    outputs = Dense(2, name="out")(hidden)
    model = keras.Model(inputs, outputs)
    assert model.name == "functional"
    assert [layer.name for layer in model.layers] == ["features", "hidden", "out"]
    assert model.output_shape == (None, 2) and model.input_shape == (None, 4)
    x = torch.randn(3, 4)
    h, o = model.get_layer("hidden"), model.get_layer("out")
    expected = torch.relu(x @ h.kernel.keras_view() + h.bias) @ o.kernel.keras_view() + o.bias
    torch.testing.assert_close(model(x), expected)
    assert isinstance(model(x.numpy()), torch.Tensor)


def test_several_inputs_and_outputs_with_lists_and_dicts():
    a, b = keras.Input((3,), name="a"), keras.Input((2,), name="b")
    shared = Dense(4, name="shared")
    out1 = Dense(1, name="out1")(shared(a))
    out2 = keras.layers.Lambda(lambda t: t.sum(-1, keepdims=True), name="out2")(
        Dense(3, name="d")(b))
    model = keras.Model(inputs=[a, b], outputs={"first": out1, "second": out2})
    xa, xb = torch.randn(5, 3), torch.randn(5, 2)
    by_list = model([xa, xb])
    by_name = model({"a": xa, "b": xb})
    assert set(by_list) == {"first", "second"}
    torch.testing.assert_close(by_list["first"], by_name["first"])
    assert model.output_names == ["out1", "out2"]
    with pytest.raises(ValueError, match=r"Missing data for input\(s\) \['b'\]"):
        model({"a": xa})
    with pytest.raises(ValueError, match="expects 2 inputs"):
        model([xa])


def test_shared_layer_is_one_set_of_weights_and_keras_layer_order():
    a, b = keras.Input((4,), name="a"), keras.Input((4,), name="b")
    shared = Dense(3, name="shared")
    head = Dense(2, name="head")
    model = keras.Model([a, b], [head(shared(a)), shared(b)])
    assert [layer.name for layer in model.layers] == ["a", "shared", "b", "head"]
    assert model.count_params() == 15 + 8
    xa = torch.randn(2, 4)
    _, second = model([xa, xa])
    torch.testing.assert_close(second, shared(xa))


def test_nested_models():
    inner_in = keras.Input((3,))
    inner = keras.Model(inner_in, Dense(2, name="inner_dense")(inner_in), name="inner")
    outer_in = keras.Input((3,))
    outer = keras.Model(outer_in, Dense(1, name="top")(inner(outer_in)), name="outer")
    assert outer.output_shape == (None, 1)
    assert len(outer.weights) == 4
    x = torch.randn(4, 3)
    top = outer.get_layer("top")
    torch.testing.assert_close(outer(x), inner(x) @ top.kernel.keras_view() + top.bias)


def test_graph_errors():
    a, b = keras.Input((3,), name="a"), keras.Input((3,), name="b")
    out = Dense(1)(b)
    with pytest.raises(ValueError, match="Graph disconnected"):
        keras.Model(a, out)
    with pytest.raises(ValueError, match="must be tensors returned by `keras.Input"):
        keras.Model(out, out)
    with pytest.raises(TypeError, match="expects `outputs` to be KerasTensors"):
        keras.Model(a, torch.ones(1))
    with pytest.raises(ValueError, match="needs both `inputs` and `outputs`"):
        keras.Model(inputs=a)
    with pytest.raises(ValueError, match="No such layer: nope"):
        keras.Model(a, Dense(1)(a)).get_layer("nope")


def test_symbolic_shapes_keep_unknown_dimensions():
    inputs = keras.Input((None, 5))
    out = Dense(2)(inputs)
    assert out.shape == (None, None, 2)
    flat = keras.layers.Reshape((-1,))(keras.Input((2, 3)))
    assert flat.shape == (None, 6)


def test_subclassed_model_tracks_layers_including_plain_lists():
    class MLP(keras.Model):
        def __init__(self):
            super().__init__()
            self.blocks = [Dense(4, activation="relu"), Dense(4, activation="relu")]
            self.head = Dense(1)

        def call(self, inputs, training=None):
            for block in self.blocks:
                inputs = block(inputs)
            return self.head(inputs)

    model = MLP()
    assert model.name == "mlp"
    out = model(np.ones((2, 3), "float32"))
    assert tuple(out.shape) == (2, 1)
    assert len(model.layers) == 3 and len(model.weights) == 6
    assert len(list(model.parameters())) == 6
    model.compile(optimizer="sgd", loss="mse")
    history = model.fit(np.ones((8, 3)), np.zeros((8, 1)), epochs=2, verbose=0)
    assert len(history.history["loss"]) == 2


def test_subclassed_model_build_creates_weights():
    class Tiny(keras.Model):
        def __init__(self):
            super().__init__()
            self.dense = Dense(2)

        def call(self, inputs):
            return self.dense(inputs)

    model = Tiny()
    model.build((None, 5))
    assert model.built and model.count_params() == 12


def test_model_without_call_explains_both_ways():
    class Empty(keras.Model):
        pass

    with pytest.raises(NotImplementedError, match="subclassed model defines `call"):
        Empty()(torch.ones(1, 2))


def test_model_argument_errors():
    a = keras.Input((2,))
    out = Dense(1)(a)
    with pytest.raises(TypeError, match="at most 2 positional arguments"):
        keras.Model(a, out, "name")
    model = keras.Model(a, out)
    with pytest.raises(ValueError, match="exactly one of `name` or `index`"):
        model.get_layer()
    with pytest.raises(ValueError, match="only has 2 layers"):
        model.get_layer(index=5)
    assert model.get_layer(index=-1) is model.layers[-1]

    class Sub(keras.Model):
        def call(self, x):
            return x

    with pytest.raises(RuntimeError, match="has no defined output shape"):
        Sub().output_shape
