import json
import math
import pathlib

import numpy as np
import pytest
import torch

from lamina import config, initializers, registry
from lamina.initializers import (STFT, Constant, GlorotNormal, GlorotUniform, HeNormal,
                                 HeUniform, Identity, LecunNormal, LecunUniform, Ones,
                                 Orthogonal, RandomNormal, RandomUniform, TruncatedNormal,
                                 VarianceScaling, Zeros)

GOLDEN = json.loads((pathlib.Path(__file__).parent / "golden" / "leaf_golden.json").read_text())
CPU = "cpu"
# Standard deviation of a unit normal truncated to [-2, 2].
TRUNC_STD = 0.87962566103423978

# Every name `keras.initializers` resolves in Keras 3.15, with the class it gives.
KERAS_NAMES = {
    "Constant": Constant, "constant": Constant, "GlorotNormal": GlorotNormal,
    "glorot_normal": GlorotNormal, "GlorotUniform": GlorotUniform,
    "glorot_uniform": GlorotUniform, "HeNormal": HeNormal, "he_normal": HeNormal,
    "HeUniform": HeUniform, "he_uniform": HeUniform, "Identity": Identity,
    "identity": Identity, "IdentityInitializer": Identity, "LecunNormal": LecunNormal,
    "lecun_normal": LecunNormal, "LecunUniform": LecunUniform, "lecun_uniform": LecunUniform,
    "Ones": Ones, "ones": Ones, "one": Ones, "Orthogonal": Orthogonal,
    "orthogonal": Orthogonal, "OrthogonalInitializer": Orthogonal,
    "RandomNormal": RandomNormal, "random_normal": RandomNormal, "normal": RandomNormal,
    "RandomUniform": RandomUniform, "random_uniform": RandomUniform, "uniform": RandomUniform,
    "STFT": STFT, "stft": STFT, "STFTInitializer": STFT, "TruncatedNormal": TruncatedNormal,
    "truncated_normal": TruncatedNormal, "VarianceScaling": VarianceScaling,
    "variance_scaling": VarianceScaling, "Zeros": Zeros, "zeros": Zeros, "zero": Zeros,
}


def test_deterministic_initializers_exact_values():
    assert torch.equal(Zeros()((2, 3), device=CPU), torch.zeros(2, 3))
    assert torch.equal(Ones()((4,), device=CPU), torch.ones(4))
    assert torch.equal(Constant(2.5)((2, 2), device=CPU), torch.full((2, 2), 2.5))
    assert torch.equal(Identity(3.0)((3, 2), device=CPU),
                       torch.tensor([[3.0, 0.0], [0.0, 3.0], [0.0, 0.0]]))


def test_dtype_and_device_default_to_config():
    w = Ones()((2,))
    assert w.dtype == torch.float32 and w.device == config.device()
    assert Zeros()((2,), dtype="float64", device=CPU).dtype == torch.float64
    assert Ones()((2,), dtype=torch.int64, device=CPU).dtype == torch.int64
    assert HeNormal(seed=1)((3, 3), dtype="bfloat16", device=CPU).dtype == torch.bfloat16
    assert GlorotUniform(seed=1)((3, 3), device="meta").device.type == "meta"


def test_constant_broadcasts_arrays_and_round_trips_them_in_keras_form():
    matrix = np.arange(6, dtype="float32").reshape(2, 3)
    init = Constant(matrix)
    assert torch.equal(init((2, 3), device=CPU), torch.from_numpy(matrix))
    assert torch.equal(Constant([1.0, 2.0])((2, 2), device=CPU),
                       torch.tensor([[1.0, 2.0], [1.0, 2.0]]))
    cfg = init.get_config()
    assert cfg == {"value": {"class_name": "__numpy__",
                             "config": {"value": matrix.tolist(), "dtype": "float32"}}}
    assert torch.equal(Constant.from_config(cfg)((2, 3), device=CPU), torch.from_numpy(matrix))
    assert Constant(np.float32(2.0)).get_config() == {"value": 2.0}
    source = torch.ones(2)
    out = Constant(source)((2,), device=CPU)
    out += 1
    assert source.tolist() == [1.0, 1.0]  # the result never aliases the value


def test_constant_rejects_bad_values():
    with pytest.raises(TypeError, match=r"`Constant` expects `value` to be a number.*value='a'"):
        Constant("a")
    with pytest.raises(ValueError, match=r"shape \(3,\), which does not broadcast.*\(2, 2\)"):
        Constant([1.0, 2.0, 3.0])((2, 2), device=CPU)


def test_identity_and_orthogonal_reject_low_rank_shapes():
    with pytest.raises(ValueError, match=r"`Identity` can only initialise 2-D.*\(2, 2, 2\)"):
        Identity()((2, 2, 2), device=CPU)
    with pytest.raises(ValueError, match=r"`Orthogonal` needs a shape of rank 2.*\(5,\)"):
        Orthogonal()((5,), device=CPU)


def _sample(init, shape=(400, 500)):
    return init(shape, dtype="float64", device=CPU)


def test_random_normal_statistics():
    w = _sample(RandomNormal(mean=1.0, stddev=2.0, seed=0))
    assert abs(w.mean().item() - 1.0) < 0.02 and abs(w.std().item() - 2.0) < 0.02


def test_random_uniform_statistics_and_limits():
    w = _sample(RandomUniform(minval=-1.0, maxval=3.0, seed=0))
    assert w.min() >= -1.0 and w.max() < 3.0
    assert abs(w.mean().item() - 1.0) < 0.01
    assert abs(w.std().item() - 4.0 / math.sqrt(12)) < 0.01


def test_truncated_normal_truncates_at_two_stddev():
    w = _sample(TruncatedNormal(mean=0.5, stddev=0.1, seed=0))
    assert w.min() >= 0.3 and w.max() <= 0.7
    assert w.min() < 0.301 and w.max() > 0.699
    assert abs(w.mean().item() - 0.5) < 1e-3
    assert abs(w.std().item() - 0.1 * TRUNC_STD) < 1e-3


def test_compute_fans_matches_keras():
    for case in GOLDEN["fans"]:
        assert list(initializers.compute_fans(case["shape"])) == case["fans"]
    assert initializers.compute_fans((2, 3, 4), input_axes=[0, 1], output_axes=[2]) == (6, 4)


@pytest.mark.parametrize("cls, limit_or_std", [
    (GlorotUniform, ("uniform", 6.0 / (3 * 3 * 64 + 3 * 3 * 32))),
    (HeUniform, ("uniform", 6.0 / (3 * 3 * 64))),
    (LecunUniform, ("uniform", 3.0 / (3 * 3 * 64))),
    (GlorotNormal, ("normal", 2.0 / (3 * 3 * 64 + 3 * 3 * 32))),
    (HeNormal, ("normal", 2.0 / (3 * 3 * 64))),
    (LecunNormal, ("normal", 1.0 / (3 * 3 * 64))),
])
def test_named_variance_scaling_uses_keras_fans_of_a_conv_kernel(cls, limit_or_std):
    kind, square = limit_or_std
    w = cls(seed=0)((3, 3, 64, 32), dtype="float64", device=CPU)  # fan_in 576, fan_out 288
    if kind == "uniform":
        limit = math.sqrt(square)
        assert w.abs().max() <= limit and w.abs().max() > 0.99 * limit
        assert abs(w.std().item() / (limit / math.sqrt(3)) - 1) < 0.02
    else:
        # Truncated normal whose standard deviation after truncation is the target.
        std = math.sqrt(square)
        assert w.abs().max() <= 2 * std / TRUNC_STD
        assert abs(w.std().item() / std - 1) < 0.02


@pytest.mark.parametrize("mode, fan", [("fan_in", 200), ("fan_out", 50), ("fan_avg", 125)])
@pytest.mark.parametrize("distribution", ["truncated_normal", "untruncated_normal", "uniform"])
def test_variance_scaling_variance_is_scale_over_fan(mode, fan, distribution):
    init = VarianceScaling(scale=3.0, mode=mode, distribution=distribution, seed=4)
    w = init((200, 50), dtype="float64", device=CPU)
    assert abs(w.var().item() / (3.0 / fan) - 1) < 0.05
    assert abs(w.mean().item()) < 0.1 * math.sqrt(3.0 / fan)  # 10 standard errors


def test_variance_scaling_normal_alias_and_custom_axes():
    assert VarianceScaling(distribution="Normal").distribution == "truncated_normal"
    init = VarianceScaling(scale=1.0, mode="fan_in", distribution="uniform", seed=0,
                           input_axes=[0], output_axes=[1, 2])
    w = init((16, 300, 10), dtype="float64", device=CPU)
    assert w.abs().max() <= math.sqrt(3.0 / 16) and w.abs().max() > 0.99 * math.sqrt(3.0 / 16)


def test_int_seed_repeats_and_none_seed_follows_the_global_generator():
    init = GlorotNormal(seed=7)
    assert torch.equal(init((5, 5), device=CPU), init((5, 5), device=CPU))
    assert not torch.equal(init((5, 5), device=CPU), GlorotNormal(seed=8)((5, 5), device=CPU))
    unseeded = RandomUniform()
    torch.manual_seed(123)
    first, second = unseeded((5,), device=CPU), unseeded((5,), device=CPU)
    torch.manual_seed(123)
    assert torch.equal(first, unseeded((5,), device=CPU))
    assert not torch.equal(first, second)


def test_seeded_values_do_not_depend_on_the_device_or_half_dtype():
    full = HeUniform(seed=3)((4, 4), device=CPU)
    half = HeUniform(seed=3)((4, 4), dtype="float16", device=CPU)
    assert torch.equal(half, full.half())


@pytest.mark.parametrize("shape", [(6, 4), (4, 6), (3, 3, 2, 8), (5, 5)])
def test_orthogonal_gives_orthonormal_rows_or_columns(shape):
    w = Orthogonal(gain=2.0, seed=0)(shape, dtype="float64", device=CPU)
    assert w.shape == shape
    m = w.reshape(-1, shape[-1]) / 2.0
    gram = m.T @ m if m.shape[0] >= m.shape[1] else m @ m.T
    torch.testing.assert_close(gram, torch.eye(gram.shape[0], dtype=torch.float64))


@pytest.mark.parametrize("case", GOLDEN["stft"], ids=lambda c: str(c["kwargs"]))
def test_stft_matches_keras(case):
    got = STFT(**case["kwargs"])(tuple(case["shape"]), device=CPU)
    torch.testing.assert_close(got, torch.tensor(case["y"], dtype=torch.float32),
                               rtol=1e-5, atol=1e-6)


def test_stft_array_window_and_errors():
    win = np.hanning(8)
    got = STFT(window=win, scaling=None)((8, 1, 5), device=CPU)
    want = STFT(window=None)((8, 1, 5), device=CPU) * torch.tensor(win).float().view(-1, 1, 1)
    torch.testing.assert_close(got, want)
    assert STFT(window=win).get_config()["window"] == win.tolist()
    with pytest.raises(ValueError, match=r"`STFT` expects `window` to hold 6 values"):
        STFT(window=win)((6, 1, 4), device=CPU)
    with pytest.raises(ValueError, match=r"`STFT` expects a shape \(frame_length"):
        STFT()((6, 4), device=CPU)
    with pytest.raises(ValueError, match=r"`STFT` expects `side` to be one of.*side='both'"):
        STFT(side="both")
    with pytest.raises(ValueError, match=r"`STFT` expects `window` to be one of.*'kaiser'"):
        STFT(window="kaiser")
    with pytest.raises(ValueError, match=r"`STFT` expects `scaling` to be one of.*'max'"):
        STFT(scaling="max")


ALL_INSTANCES = [
    Zeros(), Ones(), Constant(1.5), Identity(gain=2.0), RandomNormal(0.1, 0.2, seed=1),
    TruncatedNormal(0.0, 0.3, seed=2), RandomUniform(-0.2, 0.4, seed=3),
    VarianceScaling(2.0, "fan_out", "uniform", seed=4, input_axes=[0], output_axes=[1]),
    GlorotUniform(seed=5), GlorotNormal(), HeUniform(), HeNormal(seed=6), LecunUniform(),
    LecunNormal(), Orthogonal(gain=0.5, seed=7), STFT("imag", "hamming", "spectrum", True),
]


@pytest.mark.parametrize("init", ALL_INSTANCES, ids=lambda i: type(i).__name__)
def test_config_round_trips_through_keras_dict_form(init):
    config_dict = initializers.serialize(init)
    assert config_dict["module"] == "keras.initializers"
    assert config_dict["class_name"] == type(init).__name__
    assert json.loads(json.dumps(config_dict)) == config_dict
    rebuilt = initializers.get(config_dict)
    assert type(rebuilt) is type(init) and rebuilt.get_config() == init.get_config()
    assert rebuilt.clone().get_config() == init.get_config()


def test_keras_default_configs():
    assert GlorotUniform().get_config() == {"seed": None, "input_axes": None,
                                            "output_axes": None}
    assert RandomNormal().get_config() == {"seed": None, "mean": 0.0, "stddev": 0.05}
    assert RandomUniform().get_config() == {"seed": None, "minval": -0.05, "maxval": 0.05}
    assert VarianceScaling().get_config() == {
        "seed": None, "scale": 1.0, "mode": "fan_in", "distribution": "truncated_normal",
        "input_axes": None, "output_axes": None}
    assert Orthogonal().get_config() == {"seed": None, "gain": 1.0}


def test_get_resolves_every_keras_name_classes_tensors_and_callables():
    for name, cls in KERAS_NAMES.items():
        assert type(initializers.get(name)) is cls, name
        if name not in ("one", "zero", "normal", "uniform"):  # names only, as in Keras
            assert getattr(initializers, name) is cls
    assert initializers.get(None) is None
    assert type(initializers.get(HeNormal)) is HeNormal
    assert type(initializers.get({"class_name": "Zeros", "config": {}})) is Zeros
    values = torch.arange(4.0).reshape(2, 2)
    assert torch.equal(initializers.get(values)((2, 2), device=CPU), values)

    def custom(shape, dtype=None):
        return np.ones(shape)

    assert initializers.get(custom) is custom


def test_get_rejects_unknown_names_and_other_types():
    with pytest.raises(ValueError, match="Unknown initializer: 'glorot_unifrom'. Did you mean"):
        initializers.get("glorot_unifrom")
    with pytest.raises(TypeError, match=r"`identifier`.*Received: identifier=1.5"):
        initializers.get(1.5)


def test_initialize_runs_keras_style_callables():
    seen = {}

    def keras_style(shape, dtype=None):
        seen["dtype"] = dtype
        return np.full(shape, 2.0)

    out = initializers.initialize(keras_style, (2, 3), dtype="float64", device=CPU)
    assert seen["dtype"] == "float64"
    assert out.dtype == torch.float64 and torch.equal(out, torch.full((2, 3), 2.0).double())
    assert torch.equal(initializers.initialize(Ones(), (2,), device=CPU), torch.ones(2))
    with pytest.raises(ValueError, match=r"returned a value of shape \(3,\) for a weight of "):
        initializers.initialize(lambda shape, dtype=None: np.zeros(3), (2,), device=CPU)


def test_custom_subclass_and_abstract_base():
    @registry.register("tests.initializers", name="Twos")
    class Twos(initializers.Initializer):
        def __call__(self, shape, dtype=None, device=None):
            return torch.full(shape, 2.0, device=device)

    assert Twos()((2,), device=CPU).tolist() == [2.0, 2.0]
    assert initializers.get(Twos).get_config() == {}
    with pytest.raises(TypeError, match="abstract"):
        initializers.Initializer()


def test_rejects_bad_arguments():
    with pytest.raises(ValueError, match=r"`RandomNormal` expects `stddev` to be a finite number "
                                         r">= 0. Received: stddev=-1.0 \(of type float\)"):
        RandomNormal(stddev=-1.0)
    with pytest.raises(ValueError, match=r"`TruncatedNormal` expects `mean`.*mean=nan"):
        TruncatedNormal(mean=float("nan"))
    with pytest.raises(ValueError, match=r"`RandomUniform` expects `maxval` to be a finite "
                                         r"number >= 1.*maxval=0"):
        RandomUniform(minval=1, maxval=0)
    with pytest.raises(ValueError, match=r"`VarianceScaling` expects `scale` to be a finite "
                                         r"number > 0.*scale=0"):
        VarianceScaling(scale=0)
    with pytest.raises(ValueError, match=r"expects `mode` to be one of.*mode='fan_max'"):
        VarianceScaling(mode="fan_max")
    with pytest.raises(ValueError, match=r"expects `distribution` to be one of.*'gamma'"):
        VarianceScaling(distribution="gamma")
    with pytest.raises(ValueError, match=r"expects `input_axes` to be a list of integer axes"):
        VarianceScaling(input_axes="0")
    with pytest.raises(ValueError, match=r"`HeNormal` expects `seed` to be an integer or None. "
                                         r"Received: seed='1' \(of type str\)"):
        HeNormal(seed="1")
    with pytest.raises(ValueError, match=r"`Identity` expects `gain`.*gain=None"):
        Identity(gain=None)
    with pytest.raises(ValueError, match=r"`Zeros` expects `shape` to be a tuple of "
                                         r"non-negative integers"):
        Zeros()((2, -1), device=CPU)
    with pytest.raises(ValueError, match=r"`GlorotUniform` draws floating point values. "
                                         r"Received: dtype=torch.int32"):
        GlorotUniform()((2, 2), dtype="int32", device=CPU)
