"""`SpatialDropout1D/2D/3D`: whole channels dropped together, the drop rate, scaling, identity
outside training, rank and argument checks, Keras' config keys."""

import pytest
import torch

import lamina as keras

L = keras.layers


@pytest.mark.parametrize("cls, shape, data_format, channel_axis", [
    (L.SpatialDropout1D, (64, 5, 32), None, -1),
    (L.SpatialDropout2D, (64, 3, 4, 32), "channels_last", -1),
    (L.SpatialDropout2D, (64, 32, 3, 4), "channels_first", 1),
    (L.SpatialDropout3D, (64, 2, 3, 2, 32), "channels_last", -1),
    (L.SpatialDropout3D, (64, 32, 2, 3, 2), "channels_first", 1),
])
def test_drops_whole_channels(cls, shape, data_format, channel_axis):
    torch.manual_seed(0)
    kwargs = {} if data_format is None else {"data_format": data_format}
    rate = 0.25
    x = torch.rand(*shape) + 1.0  # no zero inputs: a 0 in the output means dropped
    y = cls(rate, **kwargs)(x, training=True)
    ratio = (y / x).movedim(channel_axis, 1).flatten(2)  # (batch, channels, positions)
    # every position of a (sample, channel) shares one decision: 0 or 1 / (1 - rate)
    torch.testing.assert_close(ratio, ratio[:, :, :1].expand_as(ratio))
    first = ratio[:, :, 0]
    kept = first != 0
    torch.testing.assert_close(first[kept], torch.full_like(first[kept], 1 / (1 - rate)))
    dropped = (ratio[:, :, 0] == 0).float().mean()  # 2048 draws: std of the mean is 0.01
    assert abs(dropped.item() - rate) < 0.04


def test_identity_outside_training():
    x = torch.rand(2, 3, 4)
    assert L.SpatialDropout1D(0.5)(x) is x
    assert L.SpatialDropout1D(0.5)(x, training=False) is x
    assert L.SpatialDropout1D(0.0)(x, training=True) is x


def test_rejects_the_wrong_rank():
    with pytest.raises(ValueError, match=r'Input 0 of layer "sd" is '
                                         r"incompatible with the layer: expected ndim=4, found "
                                         r"ndim=3"):
        L.SpatialDropout2D(0.5, name="sd")(torch.ones(2, 3, 4))


def test_rejects_a_bad_rate_or_data_format():
    with pytest.raises(ValueError, match=r"`SpatialDropout3D` expects `rate` to be a float in "
                                         r"\[0, 1\). Received: rate=1.5"):
        L.SpatialDropout3D(1.5)
    with pytest.raises(ValueError, match=r"`SpatialDropout2D` expects `data_format` to be one "
                                         r"of 'channels_last', 'channels_first'"):
        L.SpatialDropout2D(0.5, data_format="NHWC")


def test_config_has_keras_keys():
    assert set(L.SpatialDropout1D(0.5, seed=1).get_config()) == {"name", "dtype", "rate", "seed"}
    config = L.SpatialDropout2D(0.5, data_format="channels_first").get_config()
    assert set(config) == {"name", "dtype", "rate", "seed", "data_format"}
    assert L.SpatialDropout2D.from_config(config).data_format == "channels_first"
    assert isinstance(L.SpatialDropout2D(0.5), L.Dropout)
