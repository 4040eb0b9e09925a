"""DTypePolicy, the global policy, `lamina.dtype_policies`: names and dtypes as in Keras."""

import json
from pathlib import Path

import numpy as np
import pytest
import torch

import lamina
from lamina import config, dtype_policies, layers, mixed_precision

GOLDEN = json.loads((Path(__file__).parent / "golden" / "mixed_golden.json").read_text())


@pytest.mark.parametrize("name", sorted(GOLDEN["policies"]))
def test_policy_dtypes_and_serialization_match_keras(name):
    expected = GOLDEN["policies"][name]
    policy = dtype_policies.DTypePolicy(name)
    assert (policy.name, policy.compute_dtype, policy.variable_dtype) == (
        name, expected["compute"], expected["variable"])
    assert dtype_policies.serialize(policy) == expected["serialized"]
    assert dtype_policies.deserialize(expected["serialized"]) == policy


def test_keras_names_of_the_api():
    assert mixed_precision.Policy is mixed_precision.DTypePolicy is dtype_policies.DTypePolicy
    assert mixed_precision.set_global_policy is mixed_precision.set_dtype_policy
    assert mixed_precision.global_policy is mixed_precision.dtype_policy
    assert lamina.mixed_precision.LossScaleOptimizer is lamina.optimizers.LossScaleOptimizer
    float_policy = dtype_policies.FloatDTypePolicy("float32")
    assert float_policy == dtype_policies.DTypePolicy("float32")
    assert repr(float_policy) == '<DTypePolicy "float32">'
    assert float_policy.quantization_mode is None


def test_global_policy_defaults_to_floatx_and_is_settable(monkeypatch):
    assert mixed_precision.global_policy() == mixed_precision.Policy("float32")
    monkeypatch.setattr(config, "_FLOATX", "float64")
    assert mixed_precision.global_policy().name == "float64"
    mixed_precision.set_global_policy("mixed_float16")
    assert mixed_precision.global_policy().compute_dtype == "float16"
    assert mixed_precision.Policy().name == "mixed_float16"  # no name: the global one
    mixed_precision.set_global_policy(mixed_precision.Policy("bfloat16"))
    assert layers.Dense(2).dtype_policy.name == "bfloat16"


@pytest.mark.parametrize("identifier, name", [
    (None, "float32"),
    ("mixed_bfloat16", "mixed_bfloat16"),
    ({"class_name": "DTypePolicy", "config": {"name": "float64"}}, "float64"),
    (torch.float16, "float16"),
    (np.dtype("float64"), "float64"),
])
def test_get_accepts_every_form_of_a_layers_dtype(identifier, name):
    assert dtype_policies.get(identifier).name == name
    policy = dtype_policies.DTypePolicy("mixed_float16")
    assert dtype_policies.get(policy) is policy


def test_rejects_a_name_that_is_not_a_string():
    with pytest.raises(TypeError, match=r"`DTypePolicy` expects `name` to be a string.*name=3"):
        dtype_policies.DTypePolicy(3)


def test_rejects_an_unknown_policy_name():
    with pytest.raises(ValueError, match=r"'mixed_bfloat16' or a dtype name.*name='mixed_fp16'"):
        dtype_policies.DTypePolicy("mixed_fp16")


def test_get_rejects_what_is_no_dtype():
    with pytest.raises(ValueError, match=r"Cannot interpret `dtype`.*dtype=3.5"):
        dtype_policies.get(3.5)


def test_set_global_policy_rejects_other_types():
    with pytest.raises(TypeError, match=r"`set_dtype_policy` expects `policy`.*policy=16"):
        mixed_precision.set_global_policy(16)
