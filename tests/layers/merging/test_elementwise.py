"""The element-wise merge layers and their functional forms: formulas, masks, errors."""

import pytest
import torch

import lamina as keras

L = keras.layers


def _inputs(n, shape=(2, 3, 4)):
    generator = torch.Generator().manual_seed(n)
    return [torch.randn(*shape, generator=generator) for _ in range(n)]


@pytest.mark.parametrize("cls, formula", [
    (L.Add, lambda a, b, c: a + b + c),
    (L.Multiply, lambda a, b, c: a * b * c),
    (L.Average, lambda a, b, c: (a + b + c) / 3),
    (L.Maximum, lambda a, b, c: torch.maximum(torch.maximum(a, b), c)),
    (L.Minimum, lambda a, b, c: torch.minimum(torch.minimum(a, b), c)),
])
def test_formula(cls, formula):
    xs = _inputs(3)
    torch.testing.assert_close(cls()(xs), formula(*xs))


def test_subtract_formula_and_arity():
    a, b = _inputs(2)
    torch.testing.assert_close(L.Subtract()([a, b]), a - b)
    with pytest.raises(ValueError, match=r"A `Subtract` layer should be called on exactly 2 "
                                         r"inputs. Received: input_shape=\[\(2, 3, 4\)"):
        L.Subtract()(_inputs(3))


@pytest.mark.parametrize("fn, cls", [
    (L.add, L.Add), (L.subtract, L.Subtract), (L.multiply, L.Multiply),
    (L.average, L.Average), (L.maximum, L.Maximum), (L.minimum, L.Minimum),
])
def test_functional_forms_build_the_layer(fn, cls):
    xs = _inputs(2)
    torch.testing.assert_close(fn(xs), cls()(xs))
    out = fn([keras.Input((3,)), keras.Input((3,))], name=f"merged_{cls.__name__.lower()}")
    assert out.shape == (None, 3)
    assert out.node.layer.name == f"merged_{cls.__name__.lower()}"


def test_functional_forms_are_exported():
    for name in ("add", "subtract", "multiply", "average", "maximum", "minimum",
                 "concatenate", "dot"):
        assert name in keras.layers.__all__


def test_multiply_with_masks_treats_masked_entries_as_one():
    a, b = torch.tensor([[[2.0], [3.0], [4.0]]]), torch.tensor([[[5.0], [6.0], [7.0]]])
    m1 = torch.tensor([[True, False, False]])
    m2 = torch.tensor([[True, True, False]])
    # both masked: every entry masked everywhere is 0; otherwise masked factors count as 1
    out = L.Multiply()([a, b], mask=[m1, m2])
    assert out.flatten().tolist() == [10.0, 6.0, 0.0]
    # one mask: masked entries of that input count as 1, and nothing is zeroed
    out = L.Multiply()([a, b], mask=[m1, None])
    assert out.flatten().tolist() == [10.0, 6.0, 7.0]


def test_maximum_with_masks_skips_masked_entries():
    a, b = torch.tensor([[[9.0], [1.0], [2.0]]]), torch.tensor([[[5.0], [6.0], [0.0]]])
    m1 = torch.tensor([[False, True, True]])
    m2 = torch.tensor([[True, False, True]])
    assert L.Maximum()([a, b], mask=[m1, m2]).flatten().tolist() == [5.0, 1.0, 2.0]
    assert L.Minimum()([a, b], mask=[m1, m2]).flatten().tolist() == [5.0, 1.0, 0.0]


def test_add_ignores_masks_in_its_values():
    xs = _inputs(2)
    mask = torch.zeros(2, 3, dtype=torch.bool)
    torch.testing.assert_close(L.Add()(xs, mask=[mask, mask]), xs[0] + xs[1])


def test_gradients_reach_every_input():
    xs = [x.requires_grad_() for x in _inputs(2, (2, 3))]
    L.Multiply()(xs).sum().backward()
    torch.testing.assert_close(xs[0].grad, xs[1].detach())
    torch.testing.assert_close(xs[1].grad, xs[0].detach())


def test_config_round_trip():
    layer = L.Maximum(name="m")
    assert type(layer).from_config(layer.get_config()).get_config() == layer.get_config()
