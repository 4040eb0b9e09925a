"""Preprocessing `Normalization`: Keras golden values for `adapt` and calls, state, errors."""

import numpy as np
import pytest
import torch

import lamina as keras
from tests.layers.normalization.golden_cases import ARRAYS, CONFIGS, indexed, names

Norm = keras.layers.Normalization


@pytest.mark.parametrize("name", names("norm_"))
def test_matches_keras(name):
    config = CONFIGS[name]
    layer = Norm(**config["kwargs"])
    if f"{name}/adapt" in ARRAYS:
        data = ARRAYS[f"{name}/adapt"]
        batches = config["adapt_batches"]
        layer.adapt(np.array_split(data, batches) if batches else data)
        for got, want in zip(layer.get_weights(), indexed(name, "after"), strict=True):
            np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)
    out = layer(ARRAYS[f"{name}/x"])
    np.testing.assert_allclose(out.numpy(), ARRAYS[f"{name}/y"], rtol=1e-5, atol=1e-5)


def test_adapt_accepts_tensors_and_batches_of_pairs():
    torch.manual_seed(0)
    data = torch.randn(30, 2, 3) * 4 + 1
    whole, streamed = Norm(axis=(1, 2)), Norm(axis=(1, 2))
    whole.adapt(data)
    streamed.adapt((batch, torch.zeros(len(batch))) for batch in data.split(7))
    mean, var = data.double().mean(0), data.double().var(0, correction=0)
    for layer in (whole, streamed):
        np.testing.assert_allclose(layer.mean.numpy(), mean.numpy(), rtol=1e-6)
        np.testing.assert_allclose(layer.variance.numpy(), var.numpy(), rtol=1e-5)
    torch.testing.assert_close(whole(data), ((data.double() - mean) / var.sqrt()).float())


def test_invert_undoes_normalisation():
    data = np.random.default_rng(0).normal(3.0, 2.0, size=(50, 4)).astype("float32")
    forward, inverse = Norm(), Norm(invert=True)
    forward.adapt(data)
    inverse.adapt(data)
    np.testing.assert_allclose(inverse(forward(data)).numpy(), data, rtol=1e-5, atol=1e-5)


def test_every_axis_kept_gives_each_position_its_own_statistics():
    layer = Norm(axis=(0, 1))
    data = np.array([[1.0, 2.0], [3.0, 4.0]], "float32")
    layer.adapt(data)
    np.testing.assert_array_equal(layer.mean.numpy(), data)
    np.testing.assert_array_equal(layer.variance.numpy(), np.zeros((2, 2), "float32"))
    np.testing.assert_array_equal(layer(data).numpy(), np.zeros((2, 2), "float32"))


def test_zero_variance_is_bounded_by_epsilon():
    out = Norm(mean=1.0, variance=0.0)(np.array([[1.0, 1.5]], "float32"))
    np.testing.assert_allclose(out.numpy(), [[0.0, 0.5 / 1e-7]], rtol=1e-6)


def test_weights_are_mean_variance_count_and_not_trainable():
    layer = Norm()
    layer.adapt(np.ones((4, 3), "float32"))
    assert [w.name for w in layer.weights] == ["mean", "variance", "count"]
    assert layer.trainable_weights == [] and layer.count.dtype == torch.int32
    assert Norm(mean=0.0, variance=1.0).weights == []


def test_loaded_weights_are_used():
    source = Norm()
    source.adapt(np.array([[0.0], [2.0]], "float32"))
    x = np.array([[3.0]], "float32")
    by_weights, by_state = Norm(), Norm()
    by_weights.build((None, 1))
    by_weights.set_weights(source.get_weights())
    by_state.build((None, 1))
    by_state.load_state_dict(source.state_dict())
    for layer in (by_weights, by_state):
        torch.testing.assert_close(layer(x), source(x))
    assigned = Norm()
    assigned.build((None, 1))
    assigned.mean.assign([2.0])
    assigned.finalize_state()
    assert assigned(x).tolist() == [[1.0]]


def test_config_round_trip_keeps_fixed_statistics():
    layer = Norm(axis=None, mean=2.0, variance=4.0, invert=True)
    config = layer.get_config()
    assert (config["axis"], config["mean"], config["invert"]) == ((), 2.0, True)
    assert Norm.from_config(config).get_config() == config


def test_before_adapt_the_layer_is_the_identity_as_in_keras():
    # Keras 3 starts from mean 0 and variance 1, so an unadapted layer passes inputs through.
    x = np.arange(6, dtype="float32").reshape(2, 3)
    np.testing.assert_array_equal(Norm()(x).numpy(), x)


def test_rejects_mean_without_variance():
    with pytest.raises(ValueError, match="`mean` and `variance` to be given together"):
        Norm(mean=1.0)


def test_rejects_mean_and_variance_of_different_shapes():
    with pytest.raises(ValueError, match=r"same shape. Received: mean of shape \(2,\)"):
        Norm(mean=[1.0, 2.0], variance=[1.0])


def test_rejects_mean_of_higher_rank_than_the_kept_axes():
    with pytest.raises(ValueError, match=r"at most one dimension per kept axis"):
        Norm(mean=[[1.0]], variance=[[1.0]])


def test_rejects_axis_of_wrong_type():
    with pytest.raises(TypeError, match="expects `axis` to be an integer, a tuple"):
        Norm(axis="features")


def test_rejects_axis_out_of_range():
    with pytest.raises(ValueError, match=r"every `axis` to be in \[-2, 2\)"):
        Norm(axis=2).adapt(np.ones((3, 2)))


def test_rejects_unknown_kept_dimension():
    with pytest.raises(ValueError, match="size along every kept axis to be known"):
        Norm(axis=0).build((None, 3))


def test_rejects_adapt_with_fixed_statistics():
    with pytest.raises(RuntimeError, match="was given `mean` and `variance`"):
        Norm(mean=0.0, variance=1.0).adapt(np.ones((2, 1)))


def test_rejects_empty_iterable():
    with pytest.raises(ValueError, match="received an empty iterable"):
        Norm().adapt([])


def test_rejects_batches_without_shape():
    with pytest.raises(TypeError, match="expects an iterable of arrays or tensors"):
        Norm().adapt([[1.0, 2.0]])


def test_rejects_unsupported_data():
    with pytest.raises(TypeError, match="expects a numpy array, a tensor or an iterable"):
        Norm().adapt(3.0)


def test_rejects_data_of_another_shape():
    layer = Norm()
    layer.adapt(np.ones((4, 3)))
    with pytest.raises(ValueError, match=r"built for inputs of shape \(4, 3\), but `adapt` "
                                         r"received data of shape \(2, 5\)"):
        layer.adapt([np.ones((2, 3)), np.ones((2, 5))])
