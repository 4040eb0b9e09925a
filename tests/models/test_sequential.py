import pytest
import torch

import lamina as keras
from lamina.layers import Dense


@pytest.mark.filterwarnings("ignore:Do not pass an `input_shape`:UserWarning")  # as Keras 3
def test_tutorial_model_builds_from_input_dim():
    model = keras.models.Sequential()
    model.add(Dense(1000, input_dim=784, activation="relu"))
    model.add(Dense(10, activation="softmax"))
    assert model.count_params() == 795_010
    assert model.input_shape == (None, 784) and model.output_shape == (None, 10)
    assert [w.shape for w in model.get_weights()] == [(784, 1000), (1000,), (1000, 10), (10,)]


def test_list_constructor_add_pop_and_layers():
    model = keras.Sequential([keras.Input((3,)), Dense(4), Dense(2)], name="stack")
    assert model.name == "stack"
    assert [layer.name for layer in model.layers] == ["dense", "dense_1"]
    popped = model.pop()
    assert popped.name == "dense_1" and model.output_shape == (None, 4)
    model.add(Dense(5))
    assert model.output_shape == (None, 5)


def test_deferred_build_on_first_call():
    model = keras.Sequential([Dense(4), Dense(1)])
    assert not model.built
    with pytest.raises(RuntimeError, match="has no input shape yet"):
        model.input_shape
    out = model(torch.ones(2, 7))
    assert model.built and tuple(out.shape) == (2, 1)
    assert model.input_shape == (None, 7) and model.count_params() == 7 * 4 + 4 + 5


def test_deferred_build_on_fit():
    model = keras.Sequential([Dense(3, activation="relu"), Dense(1)])
    model.compile(optimizer="adam", loss="mse")
    model.fit(torch.randn(16, 5), torch.randn(16, 1), epochs=1, verbose=0)
    assert model.input_shape == (None, 5)


def test_sequential_errors():
    model = keras.Sequential([keras.Input((3,)), Dense(2, name="same")])
    with pytest.raises(ValueError, match="should have unique names"):
        model.add(Dense(2, name="same"))
    with pytest.raises(TypeError, match="Only instances of `keras.Layer`"):
        model.add("dense")
    built_for_five = Dense(1)
    built_for_five(torch.ones(1, 5))
    with pytest.raises(ValueError, match=r"expected shape=\(None, 5\), found shape=\(None, 2\)"):
        model.add(built_for_five)
    empty = keras.Sequential()
    with pytest.raises(IndexError, match="no layers"):
        empty.pop()


def test_state_dict_round_trip_between_models():
    def make():
        return keras.Sequential([keras.Input((3,)), Dense(4, name="dense"),
                                 Dense(2, name="dense_1")])

    first, second = make(), make()
    second.load_state_dict(first.state_dict())
    x = torch.randn(5, 3)
    torch.testing.assert_close(first(x), second(x))
    assert list(first.state_dict()) == ["_layers.dense.kernel", "_layers.dense.bias",
                                        "_layers.dense_1.kernel", "_layers.dense_1.bias"]


def test_sequential_structure_errors():
    with pytest.raises(ValueError, match="needs an `input_shape`"):
        keras.Sequential([Dense(2)]).build()
    last = Dense(2)
    model = keras.Sequential([keras.Input((3,)), last])
    with pytest.raises(ValueError, match="can only be the first entry"):
        model.add(keras.Input((3,)))
    split = keras.layers.Lambda(lambda x: [x, x])
    with pytest.raises(ValueError, match="should have a single output tensor"):
        model.add(split)
    assert model.layers == [last] and model.output_shape == (None, 2)  # left as it was


def test_config_round_trip_rebuilds_an_equal_model():
    model = keras.Sequential([keras.Input((3,)), Dense(4, activation="relu", name="h"),
                              keras.layers.Dropout(0.1, name="drop"), Dense(2, name="out")],
                             name="stack")
    clone = keras.Sequential.from_config(model.get_config())
    assert clone.name == "stack" and [layer.name for layer in clone.layers] == ["h", "drop", "out"]
    assert clone.get_config() == model.get_config()
    clone.set_weights(model.get_weights())
    x = torch.randn(5, 3)
    torch.testing.assert_close(clone(x), model(x))
