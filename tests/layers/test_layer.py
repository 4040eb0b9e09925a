import copy
import pickle

import numpy as np
import pytest
import torch

import lamina as keras
from lamina.layers import Layer, Variable


class Linear(Layer):
    """A user subclass in Keras 3 style."""

    def __init__(self, units=3, **kwargs):
        super().__init__(**kwargs)
        self.units = units

    def build(self, input_shape):
        self.w = self.add_weight(shape=(input_shape[-1], self.units), initializer="ones",
                                 name="kernel", regularizer="l2")
        self.steps = self.add_weight(shape=(), initializer="zeros", trainable=False, name="steps")

    def call(self, inputs):
        self.add_loss(inputs.abs().mean())
        return inputs @ self.w


def test_automatic_names_are_unique_and_numbered():
    names = [keras.layers.Dense(2).name for _ in range(3)]
    assert names == ["dense", "dense_1", "dense_2"]
    assert Linear().name == "linear"


def test_build_on_first_call_creates_weights_in_keras_layout():
    layer = keras.layers.Dense(4)
    assert not layer.built and layer.weights == []
    layer(torch.ones(2, 3))
    assert layer.built
    assert [w.path for w in layer.weights] == ["dense/kernel", "dense/bias"]
    assert layer.kernel.keras_shape == (3, 4) and isinstance(layer.kernel, torch.nn.Parameter)
    assert layer.kernel.shape == (4, 3)  # stored in torch's layout, for F.linear
    assert [w.shape for w in layer.get_weights()] == [(3, 4), (4,)]
    assert [name for name, _ in layer.named_parameters()] == ["kernel", "bias"]


def test_non_trainable_weights_are_buffers_and_keep_creation_order():
    layer = Linear()
    layer(torch.ones(1, 2))
    assert [w.name for w in layer.weights] == ["kernel", "steps"]
    assert [w.name for w in layer.trainable_weights] == ["kernel"]
    assert [w.name for w in layer.non_trainable_weights] == ["steps"]
    assert "steps" in dict(layer.named_buffers())
    # an attribute alias of a weight is not registered twice
    assert [name for name, _ in layer.named_parameters()] == ["kernel"]


def test_dense_numerics_match_formula():
    layer = keras.layers.Dense(3, activation="relu")
    x = torch.randn(5, 4)
    out = layer(x)
    kernel = torch.from_numpy(layer.get_weights()[0])  # Keras layout (input_dim, units)
    expected = torch.relu(x @ kernel + layer.bias)
    torch.testing.assert_close(out, expected)
    x3 = torch.randn(2, 6, 4)
    torch.testing.assert_close(layer(x3), torch.relu(x3 @ kernel + layer.bias))
    torch.testing.assert_close(layer.kernel.keras_view(), kernel)


def test_set_weights_roundtrip_and_errors():
    layer = keras.layers.Dense(2)
    layer(torch.ones(1, 3))
    kernel = np.arange(6, dtype="float32").reshape(3, 2)
    layer.set_weights([kernel, np.ones(2, "float32")])
    np.testing.assert_array_equal(layer.get_weights()[0], kernel)
    with pytest.raises(ValueError, match="was expecting 2 weights"):
        layer.set_weights([kernel])
    with pytest.raises(ValueError, match=r"weight shape \(3, 2\) is not compatible"):
        layer.set_weights([np.ones((2, 2)), np.ones(2)])


def test_trainable_false_freezes_all_weights():
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2), keras.layers.Dense(1)])
    model.layers[0].trainable = False
    assert len(model.trainable_weights) == 2 and len(model.non_trainable_weights) == 2
    model.trainable = False
    assert model.trainable_weights == [] and not model.layers[1].trainable
    model.trainable = True
    assert len(model.trainable_weights) == 4


def test_count_params_before_build_raises():
    with pytest.raises(ValueError, match="isn't built"):
        keras.layers.Dense(2).count_params()


def test_losses_hold_regularizers_and_the_latest_add_loss():
    layer = Linear(units=1)
    x = torch.tensor([[1.0, -3.0]])
    layer(x)
    layer(x)  # losses of the previous call are replaced, not accumulated
    values = [float(v.detach()) for v in layer.losses]
    assert values == pytest.approx([2.0, 0.01 * 2.0])  # mean |x|, then l2 * sum(w**2)


def test_variable_conveniences():
    layer = keras.layers.Dense(2)
    layer(torch.ones(1, 2))
    kernel = layer.kernel
    kernel.assign(np.full((2, 2), 3.0))
    kernel.assign_add(1.0)
    kernel.assign_sub(0.5)
    np.testing.assert_allclose(kernel.numpy(), np.full((2, 2), 3.5))
    assert kernel.value is kernel and kernel.trainable
    assert repr(kernel).startswith("<Variable path=dense/kernel, shape=(2, 2), dtype=float32")
    with pytest.raises(ValueError, match="Cannot assign a value of shape"):
        kernel.assign(np.ones(3))


def test_variables_survive_deepcopy_and_pickle():
    layer = keras.layers.Dense(2)
    layer(torch.ones(1, 2))
    for copied in (copy.deepcopy(layer.kernel), pickle.loads(pickle.dumps(layer.kernel))):
        assert isinstance(copied, Variable) and copied.path == "dense/kernel"
        torch.testing.assert_close(copied, layer.kernel)


def test_user_layer_without_super_init_gets_a_teaching_error():
    class Broken(Layer):
        def __init__(self):
            self.dense = keras.layers.Dense(2)

    with pytest.raises(RuntimeError, match=r"call `super\(\).__init__\(\*\*kwargs\)` first"):
        Broken()

    class Lazy(Layer):
        def __init__(self):
            pass

        def call(self, x):
            return x

    with pytest.raises(RuntimeError, match="called before its base class was initialised"):
        Lazy()(torch.ones(1))


def test_unknown_keyword_argument_is_rejected():
    with pytest.raises(TypeError, match="Unrecognized keyword arguments passed to Dense"):
        keras.layers.Dense(2, unit=3)


def test_rejects_negative_units():
    with pytest.raises(ValueError, match=r"`Dense` expects `units` to be a positive integer. "
                       r"Received: units=-3 \(of type int\)"):
        keras.layers.Dense(-3)


def test_wrong_input_shape_names_the_layer():
    layer = keras.layers.Dense(2)
    layer(torch.ones(1, 4))
    with pytest.raises(ValueError, match=r'Input 0 of layer "dense" is incompatible with the '
                       r"layer: expected shape=\(None, 4\), found shape=\(3, 5\)"):
        layer(torch.ones(3, 5))
    with pytest.raises(ValueError, match=r"expected shape=\(None, 4\), found shape=\(None, 5\)"):
        layer(keras.Input((5,)))


def test_numpy_inputs_become_tensors():
    out = keras.layers.Dense(2)(np.ones((3, 4)))
    assert isinstance(out, torch.Tensor) and out.dtype == torch.float32


def test_training_flag_reaches_nested_layers():
    seen = []

    class Probe(Layer):
        def call(self, inputs, training=None):
            seen.append(training)
            return inputs

    class Outer(Layer):
        def __init__(self):
            super().__init__()
            self.probe = Probe()

        def call(self, inputs):
            return self.probe(inputs)

    outer = Outer()
    outer(torch.ones(1), training=True)
    outer(torch.ones(1))
    outer(torch.ones(1), training=False)
    assert seen == [True, None, False]


def test_dropout_uses_training_flag_and_keeps_expectation():
    layer = keras.layers.Dropout(0.5)
    x = torch.ones(20000)
    torch.testing.assert_close(layer(x), x)
    dropped = layer(x, training=True)
    assert set(dropped.unique().tolist()) == {0.0, 2.0}
    assert abs(float(dropped.mean()) - 1.0) < 0.05
    with pytest.raises(ValueError, match="`rate` to be a float in"):
        keras.layers.Dropout(1.5)


def test_lambda_flatten_reshape_activation_numerics():
    x = torch.arange(12.0).reshape(2, 2, 3)
    torch.testing.assert_close(keras.layers.Lambda(lambda t: t * 2 + 1)(x), x * 2 + 1)
    torch.testing.assert_close(keras.layers.Flatten()(x), x.reshape(2, 6))
    channels_first = keras.layers.Flatten(data_format="channels_first")(x)
    torch.testing.assert_close(channels_first, x.permute(0, 2, 1).reshape(2, 6))
    torch.testing.assert_close(keras.layers.Reshape((3, 2))(x), x.reshape(2, 3, 2))
    torch.testing.assert_close(keras.layers.Activation("softmax")(x), torch.softmax(x, -1))
    with pytest.raises(ValueError, match="`Reshape` expects `target_shape`"):
        keras.layers.Reshape((-1, -1))
    with pytest.raises(TypeError, match="`Lambda` expects `function` to be callable"):
        keras.layers.Lambda(3)


def test_add_weight_accepts_keras2_argument_order():
    class Old(Layer):
        def build(self, input_shape):
            self.k = self.add_weight("k", (input_shape[-1], 2), "ones")

        def call(self, x):
            return x @ self.k

    layer = Old()
    torch.testing.assert_close(layer(torch.ones(1, 3)), torch.full((1, 2), 3.0))
    assert layer.k.path == "old/k"


def test_torch_module_wrapper_and_plain_module_in_sequential():
    model = keras.Sequential([keras.Input((4,)), torch.nn.Linear(4, 3), keras.layers.Dense(2)])
    assert isinstance(model.layers[0], keras.layers.TorchModuleWrapper)
    assert model.output_shape == (None, 2)
    assert model.count_params() == 4 * 3 + 3 + 3 * 2 + 2
    with pytest.raises(TypeError, match="expects `module` to be a torch.nn.Module"):
        keras.layers.TorchModuleWrapper("linear")


def test_input_validation():
    assert keras.Input((3,), name="x").shape == (None, 3)
    assert keras.Input(batch_shape=(8, 3)).shape == (8, 3)
    with pytest.raises(ValueError, match="expects a `shape`"):
        keras.Input()
    with pytest.raises(ValueError, match="`shape` to be a tuple of non-negative integers"):
        keras.Input(shape=(-2,))
    with pytest.raises(ValueError, match="does not support `sparse=True`"):
        keras.Input((3,), sparse=True)
    with pytest.raises(TypeError, match="cannot be used as a Python bool"):
        bool(keras.Input((3,)))


def test_more_argument_errors_name_the_argument():
    with pytest.raises(ValueError, match="expects `name` to be a non-empty string"):
        keras.layers.Dense(2, name="a/b")
    with pytest.raises(ValueError, match="does not support `lora_rank`"):
        keras.layers.Dense(2, lora_rank=4)
    with pytest.raises(ValueError, match="needs the last dimension of its input to be known"):
        keras.layers.Dense(2)(keras.Input((None,)))
    with pytest.raises(ValueError, match="expects `data_format` to be one of"):
        keras.layers.Flatten(data_format="nhwc")
    with pytest.raises(ValueError, match="does not support `input_tensor`"):
        keras.layers.InputLayer(shape=(2,), input_tensor=torch.ones(1, 2))
    with pytest.raises(TypeError, match="cannot be converted to a numpy array"):
        np.asarray(keras.Input((2,)))
    with pytest.raises(TypeError, match="was called without inputs"):
        keras.layers.Dense(2)()
    with pytest.raises(RuntimeError, match="is not connected"):
        keras.layers.Dense(2).output


def test_automatic_names_follow_keras_snake_case():
    from lamina.naming import to_snake_case

    # Keras 3's names for these classes (keras.src.utils.naming.to_snake_case)
    expected = {"Conv2DTranspose": "conv2d_transpose", "ReLU": "re_lu", "PReLU": "p_re_lu",
                "GlobalAveragePooling2D": "global_average_pooling2d", "LSTMCell": "lstm_cell",
                "UpSampling2D": "up_sampling2d", "MyHTTPLayer": "my_http_layer"}
    assert {name: to_snake_case(name) for name in expected} == expected


def test_clear_session_resets_layer_loss_and_metric_names():
    class MyLoss(keras.losses.Loss):
        def call(self, y_true, y_pred):
            return y_pred

    class MyMetric(keras.metrics.Mean):
        def __init__(self):
            super().__init__(name=None)

    def names():
        return [keras.layers.Dense(1).name, MyLoss().name, MyMetric().name]

    assert names() == ["dense", "my_loss", "my_metric"]
    assert names() == ["dense_1", "my_loss_1", "my_metric_1"]
    keras.utils.clear_session()
    assert names() == ["dense", "my_loss", "my_metric"]


def test_build_with_several_shapes_binds_call_arguments_by_name():
    class Cross(Layer):
        def build(self, query_shape, value_shape, key_shape=None):
            self.shapes = (query_shape, value_shape, key_shape)

        def call(self, query, value, key=None):
            return query

    q, v, k = torch.ones(2, 3), torch.ones(2, 5), torch.ones(2, 7)
    by_name = Cross()
    by_name(value=v, query=q)
    assert by_name.shapes == ((2, 3), (2, 5), None)
    positional = Cross()
    positional(q, v, k)
    assert positional.shapes == ((2, 3), (2, 5), (2, 7))
