"""Keras 1 constructor arguments (`Dense(output_dim=..., init=...)`, `Conv2D(nb_filter, nb_row,
nb_col)`, ...): each builds the layer the modern arguments build, with one DeprecationWarning
per legacy argument naming its modern spelling. And Keras 3's `input_shape`/`input_dim`
warning."""

import re
import warnings

import numpy as np
import pytest
import torch

from lamina import constraints, layers, regularizers

L2 = regularizers.L2(0.01)
NONNEG = constraints.NonNeg()

# (class, Keras 1 arguments, the same in Keras 3 spelling, the modern names warned about)
CASES = [
    (layers.Dense,
     dict(output_dim=3, init="ones", W_regularizer=L2, b_regularizer=L2, W_constraint=NONNEG,
          b_constraint=NONNEG, bias=True),
     dict(units=3, kernel_initializer="ones", kernel_regularizer=L2, bias_regularizer=L2,
          kernel_constraint=NONNEG, bias_constraint=NONNEG, use_bias=True)),
    (layers.Conv1D, dict(nb_filter=2, filter_length=3, subsample_length=2, border_mode="same"),
     dict(filters=2, kernel_size=3, strides=2, padding="same")),
    (layers.Conv2D, dict(nb_filter=2, nb_row=3, nb_col=1, subsample=(2, 1), dim_ordering="th"),
     dict(filters=2, kernel_size=(3, 1), strides=(2, 1), data_format="channels_first")),
    (layers.Conv3D, dict(nb_filter=2, kernel_dim1=1, kernel_dim2=2, kernel_dim3=3,
                         dim_ordering="tf"),
     dict(filters=2, kernel_size=(1, 2, 3), data_format="channels_last")),
    (layers.LSTM, dict(output_dim=4, init="zeros", inner_init="ones",
                       inner_activation="hard_sigmoid", W_regularizer=L2, U_regularizer=L2,
                       b_regularizer=L2, dropout_W=0.1, dropout_U=0.2),
     dict(units=4, kernel_initializer="zeros", recurrent_initializer="ones",
          recurrent_activation="hard_sigmoid", kernel_regularizer=L2,
          recurrent_regularizer=L2, bias_regularizer=L2, dropout=0.1, recurrent_dropout=0.2)),
    (layers.GRU, dict(output_dim=4, inner_activation="sigmoid"),
     dict(units=4, recurrent_activation="sigmoid")),
    (layers.SimpleRNN, dict(output_dim=4, dropout_U=0.1), dict(units=4, recurrent_dropout=0.1)),
    (layers.Embedding, dict(input_dim=10, output_dim=3, init="ones", W_regularizer=L2,
                            W_constraint=NONNEG),
     dict(input_dim=10, output_dim=3, embeddings_initializer="ones",
          embeddings_regularizer=L2, embeddings_constraint=NONNEG)),
    (layers.BatchNormalization, dict(beta_init="ones", gamma_init="zeros"),
     dict(beta_initializer="ones", gamma_initializer="zeros")),
    (layers.PReLU, dict(init="ones"), dict(alpha_initializer="ones")),
    (layers.Dropout, dict(p=0.3), dict(rate=0.3)),
    (layers.SpatialDropout2D, dict(p=0.3, dim_ordering="th"),
     dict(rate=0.3, data_format="channels_first")),
    (layers.GaussianDropout, dict(p=0.3), dict(rate=0.3)),
    (layers.GaussianNoise, dict(sigma=0.5), dict(stddev=0.5)),
    (layers.MaxPooling1D, dict(pool_length=3, stride=1, border_mode="same"),
     dict(pool_size=3, strides=1, padding="same")),
    (layers.AveragePooling2D, dict(pool_size=2, border_mode="same", dim_ordering="th"),
     dict(pool_size=2, padding="same", data_format="channels_first")),
    (layers.GlobalMaxPooling2D, dict(dim_ordering="th"), dict(data_format="channels_first")),
    (layers.UpSampling1D, dict(length=3), dict(size=3)),
    (layers.ZeroPadding2D, dict(dim_ordering="default"), dict(data_format=None)),
]


def _config(layer):
    return {k: v for k, v in layer.get_config().items() if k != "name"}


@pytest.mark.parametrize("cls, legacy, modern", CASES, ids=[c[0].__name__ for c in CASES])
def test_keras1_arguments_build_the_modern_layer(cls, legacy, modern):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        old = cls(**legacy)
    new = cls(**modern)
    assert _config(old) == _config(new)
    messages = [str(w.message) for w in caught if w.category is DeprecationWarning]
    renamed = [k for k in legacy if k not in modern]
    joined = {"nb_row", "nb_col", "kernel_dim1", "kernel_dim2", "kernel_dim3"}
    expected = len([k for k in renamed if k not in joined]) + bool(joined & set(renamed))
    assert len(messages) == expected, messages
    assert all(w.filename == __file__ for w in caught)
    for arg in set(renamed) - joined:
        assert any(m.startswith(f"`{cls.__name__}({arg}=...)` is deprecated in Keras 3; use `")
                   for m in messages), (arg, messages)


def test_keras1_dense_computes_like_the_modern_one():
    x = torch.arange(8.0).reshape(2, 4)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        old = layers.Dense(output_dim=3, init="ones", bias=False)
    torch.testing.assert_close(old(x), x.sum(dim=1, keepdim=True).expand(2, 3))


def test_message_names_the_value_and_the_joined_kernel_size():
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        layers.Conv2D(4, nb_row=3, nb_col=3, border_mode="valid")
    assert sorted(str(w.message) for w in caught) == [
        "`Conv2D(border_mode=...)` is deprecated in Keras 3; use `padding='valid'`.",
        "`Conv2D(nb_row=..., nb_col=...)` is deprecated in Keras 3; use `kernel_size=(3, 3)`.",
    ]


def test_legacy_and_modern_name_together_is_an_error():
    with pytest.raises(ValueError, match=re.escape(
            "`Dense` received both `output_dim` (its Keras 1 name) and `units`. Pass only "
            "`units`. Received: units=4.")):
        layers.Dense(output_dim=3, units=4)
    with pytest.raises(ValueError, match="received both `nb_row` .* and `kernel_size`"):
        layers.Conv2D(2, nb_row=3, nb_col=3, kernel_size=3)


def test_half_a_keras1_kernel_size_is_an_error():
    with pytest.raises(ValueError, match=re.escape(
            "`Conv2D` received the Keras 1 kernel size arguments `nb_row` without `nb_col`. "
            "Pass `kernel_size=` (an integer or a tuple of 2 integers) instead. Received: "
            "nb_row=3.")):
        layers.Conv2D(2, nb_row=3)


def test_a_user_class_with_a_builtin_name_is_not_translated():
    class Dense(layers.Layer):
        def __init__(self, output_dim, **kwargs):
            super().__init__(**kwargs)
            self.output_dim = output_dim

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert Dense(output_dim=5).output_dim == 5


def test_a_subclass_of_a_builtin_layer_accepts_keras1_arguments():
    class MyDense(layers.Dense):
        pass

    with pytest.warns(DeprecationWarning, match=r"`Dense\(output_dim=\.\.\.\)`"):
        assert MyDense(output_dim=5).units == 5


def test_unknown_keyword_argument_is_keras_error():
    with pytest.raises(TypeError, match=re.escape(
            "Unrecognized keyword arguments passed to Dense: {'foo': 1}")):
        layers.Dense(3, foo=1)


@pytest.mark.parametrize("kwargs", [{"input_dim": 4}, {"input_shape": (4,)}])
def test_input_shape_arguments_work_with_keras3_user_warning(kwargs):
    import lamina as keras

    with pytest.warns(UserWarning, match=re.escape(
            "Do not pass an `input_shape`/`input_dim` argument to a layer.")) as record:
        first = layers.Dense(2, kernel_initializer="ones", **kwargs)
    assert [w.filename for w in record] == [__file__]
    model = keras.Sequential([first])
    assert model.input_shape == (None, 4)
    np.testing.assert_allclose(model.predict(np.ones((1, 4), "float32"), verbose=0), [[4, 4]])
