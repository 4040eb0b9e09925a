"""`PReLU`: weight shape with `shared_axes`, formula, training, regularizer, errors."""

import numpy as np
import pytest
import torch

import lamina as keras

L = keras.layers


def test_alpha_shape_follows_shared_axes():
    cases = [(None, (3, 4, 5)), ([1, 2], (1, 1, 5)), (1, (1, 4, 5)), ((3,), (3, 4, 1))]
    for shared_axes, shape in cases:
        layer = L.PReLU(shared_axes=shared_axes)
        layer(torch.ones(2, 3, 4, 5))
        assert layer.get_weights()[0].shape == shape


def test_formula_with_shared_alpha():
    layer = L.PReLU(shared_axes=[1])
    x = torch.randn(2, 3, 4, generator=torch.Generator().manual_seed(0))
    layer(x)
    alpha = np.array([[0.1, 0.2, 0.3, 0.4]], "float32")
    layer.set_weights([alpha])
    expected = torch.where(x >= 0, x, torch.from_numpy(alpha) * x)
    torch.testing.assert_close(layer(x), expected)


def test_slopes_train_on_negative_inputs():
    layer = L.PReLU()
    x = -torch.rand(4, 3, generator=torch.Generator().manual_seed(1))
    layer(x).sum().backward()
    torch.testing.assert_close(layer.alpha.grad, x.sum(0))


def test_regularizer_and_constraint_are_kept():
    layer = L.PReLU(alpha_initializer="ones", alpha_regularizer=keras.regularizers.L2(0.5),
                    alpha_constraint="non_neg")
    layer(torch.ones(1, 4))
    torch.testing.assert_close(sum(layer.losses), torch.tensor(2.0))  # 0.5 * 4 * 1**2
    config = layer.get_config()
    assert config["alpha_regularizer"]["config"] == {"l2": 0.5}
    assert L.PReLU.from_config(config).get_config() == {**config, "name": config["name"]}


def test_rejects_malformed_shared_axes():
    with pytest.raises(ValueError, match=r"`PReLU` expects `shared_axes` to be a positive "
                                         r"integer or a list of positive integers.*Received: "
                                         r"shared_axes=\[0\]"):
        L.PReLU(shared_axes=[0])


def test_rejects_shared_axes_beyond_the_input():
    with pytest.raises(ValueError, match=r"`PReLU` expects `shared_axes` to be axes of its "
                                         r"input. Received: shared_axes=\[3\] for an input of "
                                         r"shape \(2, 3, 4\)"):
        L.PReLU(shared_axes=3)(torch.ones(2, 3, 4))


def test_rejects_unknown_non_shared_axes():
    with pytest.raises(ValueError, match=r"`PReLU` needs every axis of its input that is not "
                                         r"in `shared_axes` to be known"):
        L.PReLU()(keras.Input((None, 4)))
    assert L.PReLU(shared_axes=1)(keras.Input((None, 4))).shape == (None, None, 4)
