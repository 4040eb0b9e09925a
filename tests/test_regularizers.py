import json
import math
import pathlib

import pytest
import torch

from lamina import regularizers
from lamina.regularizers import L1, L1L2, L2, OrthogonalRegularizer, Regularizer

GOLDEN = json.loads((pathlib.Path(__file__).parent / "golden" / "leaf_golden.json").read_text())
W = torch.tensor(GOLDEN["w"])


@pytest.mark.parametrize("case", GOLDEN["regularizers"], ids=lambda c: c["name"])
def test_matches_keras_golden_values(case):
    penalty = getattr(regularizers, case["name"])(**case["kwargs"])(W)
    assert penalty.shape == () and penalty.dtype == torch.float32
    assert math.isclose(penalty.item(), case["y"], rel_tol=1e-5)


def test_penalties_by_formula():
    x = torch.tensor([[1.0, -2.0], [0.5, 0.0]], dtype=torch.float64)
    assert L1(0.1)(x).item() == pytest.approx(0.1 * 3.5)
    assert L2(0.1)(x).item() == pytest.approx(0.1 * 5.25)
    assert L1L2(l1=0.1, l2=0.2)(x).item() == pytest.approx(0.35 + 0.2 * 5.25)
    assert L1L2(l1=0.1)(x).item() == pytest.approx(0.35)
    assert L1L2(l2=0.2)(x).item() == pytest.approx(1.05)
    zero = L1L2()(x)
    assert zero.dtype == torch.float64 and zero.item() == 0.0
    assert Regularizer()(x).item() == 0.0


def test_l2_gradient_is_two_l2_x():
    x = torch.tensor([1.0, -3.0, 0.5], requires_grad=True)
    L2(0.25)(x).backward()
    torch.testing.assert_close(x.grad, 0.5 * x.detach())


def test_orthogonal_regularizer_by_hand():
    # Rows (1, 0) and (1, 1)/sqrt(2): one pair with |cos| = 1/sqrt(2).
    x = torch.tensor([[2.0, 0.0], [3.0, 3.0]])
    assert OrthogonalRegularizer(factor=1.0)(x).item() == pytest.approx(1 / math.sqrt(2))
    assert OrthogonalRegularizer(factor=1.0, mode="columns")(torch.eye(3)).item() == 0.0
    # A zero row stays zero instead of dividing by zero (norm capped at 1 / epsilon).
    x = torch.tensor([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0]])
    assert OrthogonalRegularizer(factor=1.0)(x).item() == 0.0


def test_none_factors_mean_keras_defaults():
    assert L1(None).l1 == 0.01 and L2(None).l2 == 0.01
    assert L1L2(None, None).get_config() == {"l1": 0.0, "l2": 0.0}


@pytest.mark.parametrize("reg", [L1(0.3), L2(0.2), L1L2(0.1, 0.05), Regularizer(),
                                 OrthogonalRegularizer(0.5, "columns")],
                         ids=lambda r: type(r).__name__)
def test_config_round_trips_through_keras_dict_form(reg):
    config = regularizers.serialize(reg)
    assert config["module"] == "keras.regularizers"
    assert config["class_name"] == type(reg).__name__
    rebuilt = regularizers.get(json.loads(json.dumps(config)))
    assert type(rebuilt) is type(reg) and rebuilt.get_config() == reg.get_config()


def test_get_resolves_names_classes_and_callables():
    assert regularizers.get(None) is None
    assert regularizers.get("l1").get_config() == {"l1": 0.01}
    assert regularizers.get("L2").get_config() == {"l2": 0.01}
    assert regularizers.get("l1_l2").get_config() == {"l1": 0.01, "l2": 0.01}
    assert regularizers.get("l1l2").get_config() == {"l1": 0.0, "l2": 0.0}
    assert type(regularizers.get("orthogonal_regularizer")) is OrthogonalRegularizer
    assert type(regularizers.get(L2)) is L2
    assert regularizers.l1_l2 is L1L2 and regularizers.orthogonal_regularizer is (
        OrthogonalRegularizer)

    def custom(x):
        return x.sum()

    assert regularizers.get(custom) is custom


def test_get_rejects_unknown_names_and_other_types():
    with pytest.raises(ValueError, match="Unknown regularizer: 'l22'. Did you mean 'l2'"):
        regularizers.get("l22")
    with pytest.raises(TypeError, match=r"`identifier`.*Received: identifier=0.1"):
        regularizers.get(0.1)


def test_rejects_bad_arguments():
    with pytest.raises(ValueError, match=r"`L2` expects `l2` to be a non-negative float. "
                                         r"Received: l2=-0.1 \(of type float\)"):
        L2(-0.1)
    with pytest.raises(ValueError, match=r"`L1` expects `l1`.*l1=inf"):
        L1(float("inf"))
    with pytest.raises(ValueError, match=r"`L1L2` expects `l2`.*l2='0.1'"):
        L1L2(l2="0.1")
    with pytest.raises(ValueError, match=r"`OrthogonalRegularizer` expects `factor`.*True"):
        OrthogonalRegularizer(factor=True)
    with pytest.raises(ValueError, match=r"expects `mode` to be one of 'rows', 'columns'. "
                                         r"Received: mode='diag'"):
        OrthogonalRegularizer(mode="diag")
    with pytest.raises(ValueError, match=r"applies to 2-D weights. Received: x.shape=\(2, 2, 2\)"):
        OrthogonalRegularizer()(torch.ones(2, 2, 2))
