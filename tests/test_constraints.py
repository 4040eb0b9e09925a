import json
import pathlib

import pytest
import torch

from lamina import config, constraints
from lamina.constraints import Constraint, MaxNorm, MinMaxNorm, NonNeg, UnitNorm

GOLDEN = json.loads((pathlib.Path(__file__).parent / "golden" / "leaf_golden.json").read_text())
W = torch.tensor(GOLDEN["w"])


@pytest.mark.parametrize("case", GOLDEN["constraints"],
                         ids=lambda c: c["name"] + str(c["kwargs"]))
def test_matches_keras_golden_values(case):
    got = getattr(constraints, case["name"])(**case["kwargs"])(W)
    torch.testing.assert_close(got, torch.tensor(case["y"]), rtol=1e-6, atol=1e-7)


def test_norm_constraints_by_formula_with_keras_epsilon_placement():
    w = torch.tensor([[3.0, 0.1], [4.0, 0.0]], dtype=torch.float64)
    eps = config.epsilon()
    expected = torch.stack([w[:, 0] * 2.0 / (eps + 5.0), w[:, 1] * 0.1 / (eps + 0.1)], dim=1)
    torch.testing.assert_close(MaxNorm(2.0)(w), expected)
    torch.testing.assert_close(UnitNorm()(w), w / (eps + torch.tensor([5.0, 0.1]).double()))
    # Half way from norm 5 to the bound 1: norm 3.
    got = MinMaxNorm(min_value=0.0, max_value=1.0, rate=0.5)(w)
    assert got[:, 0].norm().item() == pytest.approx(3.0 * 5.0 / (5.0 + eps))
    # A zero column stays zero (the epsilon avoids 0 / 0).
    assert UnitNorm(axis=0)(torch.zeros(3, 2)).abs().sum().item() == 0.0


def test_axis_list_constrains_each_conv_filter():
    w = torch.randn(3, 3, 4, 5, generator=torch.Generator().manual_seed(0))
    out = UnitNorm(axis=[0, 1, 2])(w)
    torch.testing.assert_close(out.reshape(-1, 5).norm(dim=0), torch.ones(5))
    assert MaxNorm(axis=[0, 1, 2]).get_config() == {"max_value": 2, "axis": [0, 1, 2]}


def test_non_neg_and_base_constraint():
    w = torch.tensor([-1.0, 0.0, 2.0])
    assert NonNeg()(w).tolist() == [0.0, 0.0, 2.0]
    assert Constraint()(w) is w


@pytest.mark.parametrize("c", [MaxNorm(1.5, axis=1), MinMaxNorm(0.5, 2.0, 0.3, [0, 1]),
                               NonNeg(), UnitNorm(axis=-1), Constraint()],
                         ids=lambda c: type(c).__name__)
def test_config_round_trips_through_keras_dict_form(c):
    config_dict = constraints.serialize(c)
    assert config_dict["module"] == "keras.constraints"
    assert config_dict["class_name"] == type(c).__name__
    rebuilt = constraints.get(json.loads(json.dumps(config_dict)))
    assert type(rebuilt) is type(c) and rebuilt.get_config() == c.get_config()


def test_keras_defaults():
    assert MaxNorm().get_config() == {"max_value": 2, "axis": 0}
    assert MinMaxNorm().get_config() == {"min_value": 0.0, "max_value": 1.0, "rate": 1.0,
                                         "axis": 0}
    assert UnitNorm().get_config() == {"axis": 0}


def test_get_resolves_names_classes_and_callables():
    assert constraints.get(None) is None
    for name, cls in [("max_norm", MaxNorm), ("MaxNorm", MaxNorm), ("non_neg", NonNeg),
                      ("unit_norm", UnitNorm), ("min_max_norm", MinMaxNorm)]:
        assert type(constraints.get(name)) is cls
        assert getattr(constraints, name) is cls
    assert type(constraints.get(UnitNorm)) is UnitNorm

    def custom(w):
        return w

    assert constraints.get(custom) is custom


def test_get_rejects_unknown_names_and_other_types():
    with pytest.raises(ValueError, match="Unknown constraint: 'nonneg'. Did you mean 'non_neg'"):
        constraints.get("nonneg")
    with pytest.raises(TypeError, match=r"`identifier`.*Received: identifier=\[1\]"):
        constraints.get([1])


def test_rejects_bad_arguments():
    with pytest.raises(ValueError, match=r"`MaxNorm` expects `max_value` to be a finite number "
                                         r">= 0.0. Received: max_value=-1 \(of type int\)"):
        MaxNorm(-1)
    with pytest.raises(ValueError, match=r"`MinMaxNorm` expects `max_value`.*>= 2.*max_value=1"):
        MinMaxNorm(min_value=2.0, max_value=1.0)
    with pytest.raises(ValueError, match=r"`MinMaxNorm` expects `rate` to be a number in "
                                         r"\[0.0, 1.0\]. Received: rate=1.5"):
        MinMaxNorm(rate=1.5)
    with pytest.raises(ValueError, match=r"`UnitNorm` expects `axis` to be an integer or a list"
                                         r".*axis='0'"):
        UnitNorm(axis="0")
