"""`RMSNormalization`: Keras golden values and the formula over inner axes."""

import pytest
import torch

import lamina as keras
from tests.layers.normalization.golden_cases import names, run_case

RMS = keras.layers.RMSNormalization


@pytest.mark.parametrize("name", names("rms_"))
def test_matches_keras(name):
    run_case(name)


def test_inner_axes_follow_the_formula():
    # Keras 3.15 cannot broadcast `scale` over non-trailing axes; lamina can.
    torch.manual_seed(0)
    x = torch.randn(2, 3, 4)
    layer = RMS(axis=1)
    layer.build(x.shape)
    layer.scale.assign(torch.tensor([1.0, 2.0, 3.0]))
    want = x * torch.rsqrt(x.square().mean(1, keepdim=True) + 1e-6) * torch.tensor(
        [1.0, 2.0, 3.0]).view(1, 3, 1)
    torch.testing.assert_close(layer(x), want)


def test_weights_and_config():
    layer = RMS(axis=[-2, -1])
    layer.build((None, 3, 4))
    assert [(w.name, tuple(w.shape)) for w in layer.weights] == [("scale", (3, 4))]
    assert layer.get_config()["epsilon"] == 1e-6
    assert RMS.from_config(layer.get_config()).get_config() == layer.get_config()


def test_rejects_axis_of_wrong_type():
    with pytest.raises(TypeError, match="`RMSNormalization` expects `axis`"):
        RMS(axis=1.5)
