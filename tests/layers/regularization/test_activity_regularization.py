"""`ActivityRegularization`: identity, the penalty normalised by the batch size, errors."""

import pytest
import torch

import lamina as keras


def test_adds_the_batch_normalised_penalty_to_losses():
    layer = keras.layers.ActivityRegularization(l1=0.1, l2=0.2)
    x = torch.randn(4, 3, generator=torch.Generator().manual_seed(0))
    assert layer(x) is x
    expected = (0.1 * x.abs().sum() + 0.2 * x.square().sum()) / 4
    assert len(layer.losses) == 1
    torch.testing.assert_close(layer.losses[0], expected)
    layer(x[:2])  # each call replaces the previous call's penalty
    assert len(layer.losses) == 1
    torch.testing.assert_close(layer.losses[0], (0.1 * x[:2].abs().sum()
                                                 + 0.2 * x[:2].square().sum()) / 2)


def test_penalty_reaches_a_model_and_its_gradient():
    inputs = keras.Input((3,))
    dense = keras.layers.Dense(2, kernel_initializer="ones")
    model = keras.Model(inputs, keras.layers.ActivityRegularization(l2=0.5)(dense(inputs)))
    x = torch.ones(2, 3)
    model(x)
    torch.testing.assert_close(sum(model.losses), torch.tensor(0.5 * 4 * 9.0 / 2))


def test_rejects_negative_factors():
    with pytest.raises(ValueError, match=r"`ActivityRegularization` expects `l1` to be a "
                                         r"non-negative float. Received: l1=-1.0"):
        keras.layers.ActivityRegularization(l1=-1.0)


def test_config_has_l1_l2_and_no_activity_regularizer():
    config = keras.layers.ActivityRegularization(l1=0.1, l2=None).get_config()
    assert config["l1"] == 0.1 and config["l2"] == 0.0
    assert "activity_regularizer" not in config
    restored = keras.layers.ActivityRegularization.from_config(
        {**config, "activity_regularizer": None})  # as Keras 2 saved it
    assert restored.get_config() == {**config, "name": restored.name}
