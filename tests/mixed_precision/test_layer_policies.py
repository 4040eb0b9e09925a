"""Layers under dtype policies: float32 weights, computation and outputs in the compute dtype."""

import json
from pathlib import Path

import pytest
import torch
import torch.nn.functional as F

import lamina
from lamina import layers, mixed_precision

GOLDEN = json.loads((Path(__file__).parent / "golden" / "mixed_golden.json").read_text())


class Identity(lamina.Layer):
    def call(self, inputs):
        return inputs


def _x(*shape):
    return torch.randn(*shape, generator=torch.Generator().manual_seed(3))


def test_layer_dtype_properties_and_config_follow_keras():
    dense = layers.Dense(2, dtype="mixed_bfloat16")
    assert (dense.dtype, dense.variable_dtype, dense.compute_dtype) == (
        "float32", "float32", "bfloat16")
    assert dense.dtype_policy == mixed_precision.Policy("mixed_bfloat16")
    config = dense.get_config()
    assert config["dtype"] == GOLDEN["dense_config_dtype"]
    assert layers.Dense.from_config(config).dtype_policy.name == "mixed_bfloat16"
    dense.dtype_policy = "float64"
    assert (dense.dtype, dense.compute_dtype) == ("float64", "float64")


@pytest.mark.parametrize("activation", [None, "relu"])
def test_mixed_dense_keeps_float32_weights_and_computes_in_bfloat16(activation):
    dense = layers.Dense(3, activation=activation, dtype="mixed_bfloat16")
    x = _x(4, 5)
    out = dense(x)
    assert dense.kernel.dtype == torch.float32 and out.dtype == torch.bfloat16
    # the twin: every operand rounded to bfloat16, as torch.autocast does for linear
    twin = F.linear(x.bfloat16(), dense.kernel.keras_view().detach().t().bfloat16(),
                    dense.bias.detach().bfloat16())
    if activation == "relu":
        twin = torch.relu(twin)
    torch.testing.assert_close(out, twin, rtol=0, atol=0)


def test_mixed_layer_of_float32_ops_still_returns_the_compute_dtype():
    norm = layers.LayerNormalization(dtype="mixed_bfloat16")
    x = _x(2, 6)
    out = norm(x)
    assert out.dtype == torch.bfloat16 and norm.gamma.dtype == torch.float32
    expected = F.layer_norm(x.bfloat16().float(), (6,), eps=1e-3).bfloat16()
    torch.testing.assert_close(out, expected, rtol=1e-2, atol=1e-2)


def test_float32_activation_ends_a_mixed_model_in_float32():
    mixed_precision.set_global_policy("mixed_bfloat16")
    inputs = lamina.Input((5,))
    hidden = layers.Dense(4)(inputs)
    outputs = layers.Activation("softmax", dtype="float32")(hidden)
    model = lamina.Model(inputs, outputs)
    assert inputs.dtype == torch.float32  # inputs keep floatx, as in Keras
    assert hidden.dtype == torch.bfloat16 and outputs.dtype == torch.float32
    assert model.dtype_policy.name == "mixed_bfloat16"
    x = _x(3, 5)
    out = model(x)
    dense_out = model.layers[1](x)
    assert out.dtype == torch.float32 and dense_out.dtype == torch.bfloat16
    torch.testing.assert_close(out, torch.softmax(dense_out.float(), -1), rtol=0, atol=0)


def test_float64_layer_casts_float32_inputs():
    dense = layers.Dense(2, dtype="float64")
    x = _x(3, 4)
    out = dense(x)
    assert out.dtype == dense.kernel.dtype == torch.float64
    torch.testing.assert_close(out, x.double() @ dense.kernel.keras_view().detach() + dense.bias.detach())


def test_a_float32_layer_casts_half_inputs_up():
    out = layers.Activation("sigmoid")(_x(2, 3).bfloat16())
    assert out.dtype == torch.float32


def test_integer_inputs_are_never_cast():
    ids = torch.tensor([[1, 2, 3]])
    assert Identity(dtype="mixed_float16")(ids).dtype == torch.int64
    assert Identity(dtype="float64")(ids).dtype == torch.int64


def test_autocast_false_leaves_the_inputs_alone():
    x = _x(2, 2)
    assert Identity(dtype="mixed_bfloat16", autocast=False)(x).dtype == torch.float32
    assert Identity(dtype="mixed_bfloat16")(x).dtype == torch.bfloat16


def test_nested_tuple_outputs_are_cast_leaf_by_leaf():
    class Pair(lamina.Layer):
        def call(self, inputs):
            return inputs * 2.0, {"ids": inputs.long(), "same": inputs.float()}

    doubled, extra = Pair(dtype="mixed_bfloat16")(_x(2, 2))
    assert doubled.dtype == extra["same"].dtype == torch.bfloat16
    assert extra["ids"].dtype == torch.int64


def test_a_float32_layer_inside_a_mixed_layer_runs_without_autocast():
    class Block(lamina.Layer):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.inner = layers.Dense(2, dtype="float32")

        def call(self, inputs):
            return self.inner(inputs)

    block = Block(dtype="mixed_bfloat16")
    x = _x(3, 4)
    out = block(x)
    assert out.dtype == torch.float32  # a container does not cast its sublayers' outputs
    inner = block.inner
    # bfloat16-rounded input (the block's input cast), float32 matmul (no autocast)
    torch.testing.assert_close(
        out, x.bfloat16().float() @ inner.kernel.keras_view().detach() + inner.bias.detach())


def test_input_stays_floatx_under_a_half_global_policy():
    mixed_precision.set_global_policy("bfloat16")
    assert lamina.Input(shape=(3,)).dtype == torch.float32
    assert lamina.Input(shape=(3,), dtype="bfloat16").dtype == torch.bfloat16
