"""`lamina.backend`: Keras 3's settings functions (no warning) and Keras 2's backend functions
(each computing like its numpy/torch twin, with one DeprecationWarning naming the Keras 3
spelling)."""

import copy
import re
import warnings

import numpy as np
import pytest
import torch

import lamina as keras
from lamina import backend as K
from lamina import config
from tests.legacy_warnings import one_deprecation

RNG = np.random.default_rng(0)
A = RNG.standard_normal((2, 3, 4)).astype("float32")
B = RNG.standard_normal((4, 5)).astype("float32")


@pytest.fixture
def silent():
    """Keras 3's functions must not warn at all."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        yield


def test_keras3_settings_delegate_to_config(silent):
    assert K.backend() == "torch"
    assert (K.floatx(), K.epsilon(), K.image_data_format()) == \
        ("float32", 1e-7, "channels_last")
    try:
        K.set_floatx("float64")
        K.set_epsilon(1e-5)
        K.set_image_data_format("channels_first")
        assert (config.floatx(), config.epsilon(), config.image_data_format()) == \
            ("float64", 1e-5, "channels_first")
        assert keras.layers.Conv2D(2, 3).data_format == "channels_first"
    finally:
        K.set_floatx("float32")
        K.set_epsilon(1e-7)
        K.set_image_data_format("channels_last")


def test_keras3_setters_reject_bad_values(silent):
    with pytest.raises(ValueError, match="`set_floatx` expects one of"):
        K.set_floatx("int8")
    with pytest.raises(ValueError, match="`set_image_data_format` expects 'channels_last'"):
        K.set_image_data_format("tf")


def test_clear_session_and_is_keras_tensor(silent):
    assert keras.layers.Dense(2).name == "dense"
    assert keras.layers.Dense(2).name == "dense_1"
    K.clear_session()
    assert keras.layers.Dense(2).name == "dense"
    assert K.is_keras_tensor(keras.Input((3,)))
    assert not K.is_keras_tensor(torch.ones(3))


# -- Keras 2 functions: (function, arguments, expected value, Keras 3 spelling in the message) --

def _t(array):
    return torch.as_tensor(array)


MATH = [
    ("mean", (_t(A),), A.mean(), "keras.ops.mean"),
    ("mean", (_t(A), 1), A.mean(axis=1), "keras.ops.mean"),
    ("mean", (_t(A), [0, 2], True), A.mean(axis=(0, 2), keepdims=True), "keras.ops.mean"),
    ("mean", (_t(np.array([True, False, False, True])),), 0.5, "keras.ops.mean"),
    ("sum", (_t(A),), A.sum(), "keras.ops.sum"),
    ("sum", (_t(A), -1, True), A.sum(axis=-1, keepdims=True), "keras.ops.sum"),
    ("square", (_t(A),), A * A, "keras.ops.square"),
    ("sqrt", (_t(np.array([4.0, -1.0, 0.25], "float32")),), [2.0, 0.0, 0.5], "keras.ops.sqrt"),
    ("clip", (_t(A), -0.5, 0.5), np.clip(A, -0.5, 0.5), "keras.ops.clip"),
    ("clip", (_t(A), 0.5, 0.2), np.full_like(A, 0.5), "keras.ops.clip"),  # max < min: min
    ("clip", (_t(A), None, 0.0), np.minimum(A, 0.0), "keras.ops.clip"),
    ("reshape", (_t(A), (4, -1)), A.reshape(4, -1), "keras.ops.reshape"),
    ("concatenate", ([_t(A), _t(A)],), np.concatenate([A, A], axis=-1), "keras.ops.concatenate"),
    ("concatenate", ([_t(A), _t(A)], 0), np.concatenate([A, A], axis=0),
     "keras.ops.concatenate"),
    ("dot", (_t(A[0]), _t(B)), A[0] @ B, "keras.ops.dot"),
    ("dot", (_t(A), _t(B)), np.dot(A, B), "keras.ops.dot"),
    ("dot", (_t(B.T), _t(A.transpose(0, 2, 1))), np.dot(B.T, A.transpose(0, 2, 1)),
     "keras.ops.dot"),
    ("dot", (_t(A), _t(A.transpose(0, 2, 1))), np.dot(A, A.transpose(0, 2, 1)),
     "keras.ops.dot"),
    ("shape", (_t(A),), (2, 3, 4), "keras.ops.shape"),
    ("int_shape", (_t(A),), (2, 3, 4), "tuple"),
    ("count_params", (_t(A),), 24, "numel"),
]


@pytest.mark.parametrize("name, args, expected, modern", MATH,
                         ids=[f"{m[0]}-{i}" for i, m in enumerate(MATH)])
def test_keras2_function_computes_and_warns_once(name, args, expected, modern):
    with one_deprecation(rf"^`backend\.{name}` is deprecated in Keras 3; use .*"
                         + re.escape(modern)):
        result = getattr(K, name)(*args)
    if isinstance(result, torch.Tensor):
        np.testing.assert_allclose(result.numpy(), expected, rtol=1e-5, atol=1e-6)
    else:
        assert result == expected


def test_dot_rejects_vectors():
    with pytest.warns(DeprecationWarning), pytest.raises(
            ValueError, match=re.escape("`backend.dot` expects tensors of at least 2 "
                                        "dimensions. Received: x.shape=(4,), y.shape=(4, 5).")):
        K.dot(torch.ones(4), _t(B))


def test_cast_variable_constant_ones_zeros():
    with one_deprecation(r"`backend\.cast`.*keras\.ops\.cast"):
        assert K.cast(torch.tensor([1.7, -2.2]), "int32").tolist() == [1, -2]
    with one_deprecation(r"`backend\.variable`.*`keras\.Variable\(value\)`"):
        v = K.variable([[1, 2], [3, 4]], name="v")
    assert isinstance(v, keras.Variable) and v.name == "v" and v.trainable
    assert v.dtype == torch.float32 and v.tolist() == [[1.0, 2.0], [3.0, 4.0]]
    with one_deprecation(r"`backend\.constant`"):
        c = K.constant(2, shape=(2, 3))
    assert c.dtype == torch.float32 and c.tolist() == [[2.0] * 3] * 2
    with one_deprecation(r"`backend\.constant`"):
        assert K.constant([1, 2, 3, 4], dtype="int64", shape=(2, 2)).tolist() == [[1, 2], [3, 4]]
    with one_deprecation(r"`backend\.ones`.*keras\.ops\.ones"):
        ones = K.ones((2, 1))
    with one_deprecation(r"`backend\.zeros`.*keras\.ops\.zeros"):
        zeros = K.zeros((3,), dtype="float64")
    assert isinstance(ones, keras.Variable) and ones.tolist() == [[1.0], [1.0]]
    assert zeros.dtype == torch.float64 and zeros.tolist() == [0.0, 0.0, 0.0]


def test_constant_rejects_a_shape_of_another_size():
    with pytest.warns(DeprecationWarning), pytest.raises(
            ValueError, match=re.escape("`backend.constant` cannot give 3 values the shape "
                                        "(2, 2). Received: shape=(2, 2)")):
        K.constant([1, 2, 3], shape=(2, 2))


def test_get_value_eval_set_value_on_weights_in_keras_layout():
    layer = keras.layers.Dense(3)
    layer.build((None, 2))
    kernel = np.arange(6, dtype="float32").reshape(2, 3)  # Keras' (input_dim, units)
    with one_deprecation(r"`backend\.set_value`.*`variable\.assign\(value\)`"):
        K.set_value(layer.kernel, kernel)
    with one_deprecation(r"`backend\.get_value`.*`variable\.numpy\(\)`"):
        np.testing.assert_array_equal(K.get_value(layer.kernel), kernel)
    with one_deprecation(r"`backend\.eval`"):
        np.testing.assert_array_equal(K.eval(layer.kernel), kernel)
    with one_deprecation(r"`backend\.int_shape`"):
        assert K.int_shape(layer.kernel) == (2, 3)
    with one_deprecation(r"`backend\.count_params`"):
        assert K.count_params(layer.kernel) == 6
    x = torch.tensor([[1.0, 1.0]])
    np.testing.assert_allclose(layer(x).detach().numpy(), [[3.0, 5.0, 7.0]])  # x @ kernel


def test_get_value_set_value_on_tensors_and_numbers():
    t = torch.zeros(2)
    with one_deprecation(r"`backend\.set_value`"):
        K.set_value(t, [1.5, 2.5])
    assert t.tolist() == [1.5, 2.5]
    with one_deprecation(r"`backend\.get_value`"):
        value = K.get_value(torch.tensor(3, dtype=torch.int64))
    assert isinstance(value, np.integer) and value == 3  # a 0-d value is a numpy scalar
    with one_deprecation(r"`backend\.get_value`"):
        assert K.get_value(0.25) == 0.25
    with one_deprecation(r"`backend\.int_shape`"):
        assert K.int_shape(keras.Input((None, 3))) == (None, None, 3)


def test_set_value_errors():
    with pytest.warns(DeprecationWarning), pytest.raises(
            ValueError, match=re.escape("`backend.set_value` cannot write a value of shape (3,) "
                                        "into a tensor of shape (2,).")):
        K.set_value(torch.zeros(2), [1.0, 2.0, 3.0])
    with pytest.warns(DeprecationWarning), pytest.raises(
            TypeError, match=re.escape("`backend.set_value` expects a `keras.Variable`, a torch "
                                       "tensor or an optimizer's learning rate")):
        K.set_value(0.1, 0.2)


def _one_weight_model(learning_rate):
    model = keras.Sequential([keras.Input((1,)),
                              keras.layers.Dense(1, use_bias=False, kernel_initializer="ones")])
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=learning_rate), loss="mse")
    return model


def test_set_value_on_the_learning_rate_changes_the_next_step():
    model = _one_weight_model(0.1)
    x, y = np.ones((1, 1), "float32"), np.zeros((1, 1), "float32")
    with one_deprecation(r"`backend\.get_value`"):
        rate = K.get_value(model.optimizer.learning_rate)
    assert isinstance(rate, np.float32) and rate == np.float32(0.1)
    with one_deprecation(r"`backend\.set_value`"):
        K.set_value(model.optimizer.learning_rate, 0.0)
    model.train_on_batch(x, y)
    assert model.get_weights()[0].item() == 1.0  # a zero rate leaves the weight
    with one_deprecation(r"`backend\.set_value`"):
        K.set_value(model.optimizer.learning_rate, 0.25)
    model.train_on_batch(x, y)  # loss (w - 0)^2: gradient 2w = 2, w <- 1 - 0.25 * 2
    assert model.get_weights()[0].item() == pytest.approx(0.5)
    assert model.optimizer.get_config()["learning_rate"] == 0.25


def test_keras2_lr_idiom_warns_once_per_legacy_spelling():
    model = _one_weight_model(0.1)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        K.set_value(model.optimizer.lr, 0.5)
    assert sorted(str(w.message) for w in caught) == [
        "`backend.set_value` is deprecated in Keras 3; use `variable.assign(value)` (for a "
        "learning rate, `optimizer.learning_rate = value`).",
        "`optimizer.lr` is deprecated in Keras 3; use `optimizer.learning_rate`.",
    ]
    assert model.optimizer.learning_rate == 0.5
    copy.deepcopy(model.optimizer.learning_rate)  # no reference to the optimizer to copy
