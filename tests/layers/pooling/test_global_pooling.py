"""Global pooling layers: golden values, keepdims, `GlobalAveragePooling1D`'s mask, aliases."""

import math

import pytest
import torch

import lamina as keras
from lamina import registry
from tests.layers.pooling.golden_cases import load

GLOBAL = load("Global")


@pytest.mark.parametrize("case", GLOBAL, ids=[c[0] for c in GLOBAL])
def test_matches_keras_golden(case):
    _, name, config, x, mask, expected = case
    layer = getattr(keras.layers, name)(**config)
    out = layer(x) if mask is None else layer(x, mask=mask)
    torch.testing.assert_close(out, expected, rtol=0, atol=1e-5)


def test_mask_formula_and_all_masked_sample_is_nan():
    x = torch.tensor([[[1.0, 10.0], [3.0, float("inf")], [5.0, 30.0]],
                      [[2.0, 2.0], [4.0, 4.0], [6.0, 6.0]]])
    mask = torch.tensor([[1, 0, 1], [0, 0, 0]])
    out = keras.layers.GlobalAveragePooling1D()(x, mask=mask)
    assert out[0].tolist() == [3.0, 20.0]  # the masked inf is left out, not multiplied by 0
    assert all(math.isnan(v) for v in out[1].tolist())  # 0 / 0, as in Keras
    assert keras.layers.GlobalAveragePooling1D().compute_mask(x, mask) is None


@pytest.mark.parametrize("alias, cls", [
    ("GlobalMaxPool1D", keras.layers.GlobalMaxPooling1D),
    ("GlobalMaxPool2D", keras.layers.GlobalMaxPooling2D),
    ("GlobalMaxPool3D", keras.layers.GlobalMaxPooling3D),
    ("GlobalAvgPool1D", keras.layers.GlobalAveragePooling1D),
    ("GlobalAvgPool2D", keras.layers.GlobalAveragePooling2D),
    ("GlobalAvgPool3D", keras.layers.GlobalAveragePooling3D),
])
def test_aliases_are_the_classes_and_deserialize(alias, cls):
    assert getattr(keras.layers, alias) is cls
    assert registry.lookup("keras.layers", alias, "layer") is cls


def test_config_round_trip():
    layer = keras.layers.GlobalMaxPooling2D(data_format="channels_first", keepdims=True)
    config = layer.get_config()
    assert (config["data_format"], config["keepdims"]) == ("channels_first", True)
    assert keras.layers.GlobalMaxPooling2D.from_config(config).get_config() == config


def test_rejects_non_boolean_keepdims():
    with pytest.raises(TypeError, match=r"expects `keepdims` to be a boolean. Received: "
                                        r"keepdims='yes' \(of type str\)"):
        keras.layers.GlobalAveragePooling2D(keepdims="yes")


def test_rejects_wrong_rank():
    with pytest.raises(ValueError, match="expected ndim=5, found ndim=4"):
        keras.layers.GlobalMaxPooling3D()(torch.zeros(2, 3, 4, 5))
