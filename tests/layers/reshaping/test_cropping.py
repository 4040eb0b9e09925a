"""`Cropping1D/2D/3D`: golden values, the accepted forms of `cropping`, and the checks."""

import pytest
import torch

import lamina as keras
from lamina.layers.reshaping.cropping import normalize_pairs
from tests.layers.reshaping.golden_cases import load

CASES = load("Cropping")


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_matches_keras_golden(case):
    _, name, config, x, _, expected = case
    torch.testing.assert_close(getattr(keras.layers, name)(**config)(x), expected, rtol=0, atol=0)


@pytest.mark.parametrize("value, expected", [
    (2, ((2, 2), (2, 2))),
    ((1, 3), ((1, 1), (3, 3))),
    (((1, 0), (2, 3)), ((1, 0), (2, 3))),
    ([[1, 0], 4], ((1, 0), (4, 4))),  # lists, as a JSON config gives them
])
def test_normalize_pairs_accepts_keras_forms(value, expected):
    assert normalize_pairs(value, 2, "cropping", None) == expected


def test_crops_by_hand_and_is_a_view():
    x = torch.arange(2 * 3 * 6 * 7.0).reshape(2, 3, 6, 7)
    layer = keras.layers.Cropping2D(((1, 2), (0, 3)), data_format="channels_first")
    out = layer(x)
    torch.testing.assert_close(out, x[:, :, 1:4, 0:4])
    assert out.data_ptr() == x[:, :, 1:, :].data_ptr()  # no copy


def test_config_round_trip_in_keras_form():
    assert keras.layers.Cropping1D(2).get_config()["cropping"] == (2, 2)
    assert "data_format" not in keras.layers.Cropping1D().get_config()
    config = keras.layers.Cropping3D((1, (0, 2), 3), data_format="channels_first").get_config()
    assert config["cropping"] == ((1, 1), (0, 2), (3, 3))
    assert keras.layers.Cropping3D.from_config(config).get_config() == config


@pytest.mark.parametrize("cls, cropping, match", [
    (keras.layers.Cropping2D, (1, 2, 3), ("`Cropping2D` expects `cropping` to be a non-negative "
                                         "integer, a tuple of 2 non-negative integers, or a tuple "
                                         r"of 2 \(before, after\) pairs")),
    (keras.layers.Cropping2D, -1, r"Received: cropping=-1 \(of type int\)"),
    (keras.layers.Cropping2D, "1", r"Received: cropping='1'"),
    (keras.layers.Cropping3D, ((1, 2, 3), 0, 0), ("expects `1st entry of cropping` to be a "
                                                 "non-negative integer or a tuple of 2")),
    (keras.layers.Cropping3D, (0, (1, -1), 0), "`2nd entry of cropping`"),
    (keras.layers.Cropping1D, (1, 2, 3), ("`Cropping1D` expects `cropping` to be a non-negative "
                                         "integer or a tuple of 2")),
])
def test_rejects_malformed_cropping(cls, cropping, match):
    with pytest.raises(ValueError, match=match):
        cls(cropping)


@pytest.mark.parametrize("cls, cropping, shape", [
    (keras.layers.Cropping1D, (2, 2), (None, 4, 3)),
    (keras.layers.Cropping2D, ((1, 1), (3, 4)), (None, 6, 7, 3)),
    (keras.layers.Cropping3D, ((0, 0), (0, 0), (5, 0)), (None, 6, 7, 5, 3)),
])
def test_rejects_cropping_that_leaves_nothing(cls, cropping, shape):
    match = (f"`{cls.__name__}` expects `cropping` to leave at least one cell in each spatial "
             r"dimension of its input. Received: cropping=.* for input_shape=\(None, ")
    with pytest.raises(ValueError, match=match):
        cls(cropping)(keras.Input(shape[1:]))


def test_rejects_wrong_rank():
    with pytest.raises(ValueError, match="expected ndim=4, found ndim=3"):
        keras.layers.Cropping2D(1)(torch.zeros(2, 5, 5))
