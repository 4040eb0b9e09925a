import json
import math
import pathlib

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from lamina import activations, registry

GOLDEN = json.loads((pathlib.Path(__file__).parent / "golden" / "leaf_golden.json").read_text())
X = torch.tensor(GOLDEN["x"], dtype=torch.float32)

# Everything `keras.activations` exports in Keras 3.15, besides get/serialize/deserialize.
KERAS_NAMES = [
    "celu", "elu", "exponential", "gelu", "glu", "hard_shrink", "hard_sigmoid", "hard_silu",
    "hard_swish", "hard_tanh", "leaky_relu", "linear", "log_sigmoid", "log_softmax", "mish",
    "relu", "relu6", "selu", "sigmoid", "silu", "soft_shrink", "softmax", "softplus",
    "softsign", "sparse_plus", "sparse_sigmoid", "sparsemax", "squareplus", "swish", "tanh",
    "tanh_shrink", "threshold",
]


def _case_id(case):
    return case["name"] + "".join(f"-{k}={v}" for k, v in case["kwargs"].items())


@pytest.mark.parametrize("case", GOLDEN["activations"], ids=_case_id)
def test_matches_keras_golden_values(case):
    fn = activations.get(case["name"])
    y = fn(X.clone(), **case["kwargs"])
    expected = torch.tensor(case["y"], dtype=torch.float32)
    torch.testing.assert_close(y, expected, rtol=1e-5, atol=1e-6)


def test_every_keras_activation_is_a_module_attribute_and_registered():
    assert set(KERAS_NAMES) <= set(registry.names("keras.activations"))
    for name in KERAS_NAMES:
        assert getattr(activations, name) is activations.get(name)
    assert activations.swish is activations.silu
    assert activations.hard_swish is activations.hard_silu


def test_formulas_against_numpy():
    x = X.double()
    a = x.numpy()
    sig = 1 / (1 + np.exp(-a))
    expected = {
        "sigmoid": sig,
        "softplus": np.log1p(np.exp(a)),
        "softsign": a / (1 + np.abs(a)),
        "silu": a * sig,
        "mish": a * np.tanh(np.log1p(np.exp(a))),
        "squareplus": (a + np.sqrt(a * a + 4)) / 2,
        "gelu": 0.5 * a * (1 + np.vectorize(math.erf)(a / math.sqrt(2))),
        "hard_sigmoid": np.clip(a + 3, 0, 6) / 6,
        "hard_silu": a * np.clip(a + 3, 0, 6) / 6,
        "sparse_sigmoid": np.clip(a, -1, 1) / 2 + 0.5,
        "tanh_shrink": a - np.tanh(a),
        "log_sigmoid": np.log(sig),
        "exponential": np.exp(a),
        "selu": 1.0507009873554805 * np.where(a > 0, a, 1.6732632423543772 * np.expm1(a)),
        "celu": np.where(a > 0, a, 2.0 * np.expm1(a / 2.0)),
    }
    for name, want in expected.items():
        kwargs = {"alpha": 2.0} if name == "celu" else {}
        got = getattr(activations, name)(x, **kwargs)
        np.testing.assert_allclose(got.numpy(), want, rtol=1e-10, atol=1e-12, err_msg=name)


def test_relu_variants_by_hand():
    x = torch.tensor([-10.0, -5.0, 0.0, 5.0, 10.0])
    assert activations.relu(x).tolist() == [0, 0, 0, 5, 10]
    assert activations.relu(x, negative_slope=0.5).tolist() == [-5, -2.5, 0, 5, 10]
    assert activations.relu(x, max_value=5.0).tolist() == [0, 0, 0, 5, 5]
    assert activations.relu(x, threshold=5.0).tolist() == [0, 0, 0, 0, 10]
    # Below the threshold the slope applies to the distance from the threshold.
    got = activations.relu(x, negative_slope=0.5, max_value=8.0, threshold=1.0)
    assert got.tolist() == [-5.5, -3.0, -0.5, 5.0, 8.0]


def test_soft_and_hard_shrink_negative_threshold_follow_keras_formula():
    x = torch.tensor([-2.0, -0.5, 0.0, 0.5, 2.0])
    assert activations.soft_shrink(x, threshold=-1.0).tolist() == [-3.0, 0.5, 1.0, 1.5, 3.0]
    assert torch.equal(activations.hard_shrink(x, threshold=-1.0), x)


def test_softmax_attaches_logits_over_last_axis():
    x = torch.randn(4, 5, generator=torch.Generator().manual_seed(0))
    for axis in (-1, 1):
        p = activations.softmax(x, axis=axis)
        assert p._keras_logits is x
        torch.testing.assert_close(p, F.softmax(x, dim=-1))
    assert not hasattr(activations.softmax(x, axis=0), "_keras_logits")


def test_sigmoid_attaches_logits_and_log_of_it_is_logsigmoid():
    x = torch.linspace(-30, 30, 61, dtype=torch.float64)
    p = activations.sigmoid(x)
    assert p._keras_logits is x
    torch.testing.assert_close(torch.log(p[30:]), F.logsigmoid(p._keras_logits)[30:])


def test_softmax_over_a_tuple_of_axes_normalises_the_joint_slice():
    x = torch.randn(2, 3, 4, generator=torch.Generator().manual_seed(1))
    p = activations.softmax(x, axis=(1, 2))
    torch.testing.assert_close(p, F.softmax(x.reshape(2, 12), dim=-1).reshape(2, 3, 4))
    assert not hasattr(p, "_keras_logits")


def test_sparsemax_by_hand_and_along_an_axis():
    torch.testing.assert_close(activations.sparsemax(torch.tensor([1.0, 1.2, 1.5])),
                               torch.tensor([0.1, 0.3, 0.6]))
    torch.testing.assert_close(activations.sparsemax(torch.tensor([1.0, 2.0, 3.0])),
                               torch.tensor([0.0, 0.0, 1.0]))
    x = torch.randn(5, 7, generator=torch.Generator().manual_seed(2)) * 3
    p = activations.sparsemax(x, axis=0)
    torch.testing.assert_close(p.sum(0), torch.ones(7))
    torch.testing.assert_close(p, activations.sparsemax(x.T).T)
    assert (p >= 0).all()


def test_sparsemax_gradient_matches_finite_differences():
    x = torch.tensor([[0.3, 1.1, 0.9, -0.4]], dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(activations.sparsemax, (x,))


def test_glu_splits_the_axis():
    x = torch.randn(4, 4, generator=torch.Generator().manual_seed(3))
    torch.testing.assert_close(activations.glu(x), x[:, :2] * torch.sigmoid(x[:, 2:]))
    torch.testing.assert_close(activations.glu(x, axis=0), x[:2] * torch.sigmoid(x[2:]))


def test_get_resolves_none_names_dicts_and_callables():
    assert activations.get(None) is activations.linear
    assert activations.get("relu") is activations.relu
    assert activations.get("swish") is activations.silu
    config = {"module": "keras.activations", "class_name": "function", "config": "gelu",
              "registered_name": "function"}
    assert activations.get(config) is activations.gelu

    def custom(x):
        return x * 2

    assert activations.get(custom) is custom


def test_get_rejects_unknown_names_and_other_types():
    with pytest.raises(ValueError, match="Unknown activation: 'rellu'. Did you mean 'relu'"):
        activations.get("rellu")
    with pytest.raises(TypeError, match=r"`identifier`.*Received: identifier=3 \(of type int\)"):
        activations.get(3)


def test_serialize_writes_keras_names_for_builtins():
    assert activations.serialize(activations.relu) == "relu"
    assert activations.serialize(activations.swish) == "silu"
    for name in KERAS_NAMES:
        assert activations.get(activations.serialize(activations.get(name))) is (
            activations.get(name))


def test_serialize_custom_functions_and_objects():
    def plain(x):
        return x

    assert activations.serialize(plain) == {"module": "builtins", "class_name": "function",
                                            "config": "plain", "registered_name": "function"}
    assert activations.deserialize(activations.serialize(plain),
                                   custom_objects={"plain": plain}) is plain

    @registry.register("tests.activations", name="Scaled")
    class Scaled:
        def __init__(self, factor=2.0):
            self.factor = factor

        def __call__(self, x):
            return x * self.factor

        def get_config(self):
            return {"factor": self.factor}

        @classmethod
        def from_config(cls, config):
            return cls(**config)

    config = activations.serialize(Scaled(3.0))
    assert config["module"] == "tests.activations" and config["class_name"] == "Scaled"
    rebuilt = activations.get(config)
    assert rebuilt(torch.tensor([1.0])).tolist() == [3.0]


def test_serialize_rejects_non_callables():
    with pytest.raises(TypeError, match=r"expects `activation` to be callable.*activation=5"):
        activations.serialize(5)


def test_registered_custom_function_round_trips_in_registry_form():
    @registry.register("keras.activations", name="tests_doubled")
    def doubled(x):
        return 2 * x

    config = activations.serialize(doubled)
    assert config == {"module": "keras.activations", "class_name": "function",
                      "config": "tests_doubled", "registered_name": "function"}
    assert activations.get(config) is doubled
    assert activations.get("tests_doubled") is doubled
