"""`Embedding`: lookups, masks, index dtypes, the out-of-range error, arguments and config."""

import numpy as np
import pytest
import torch

import lamina as keras
from lamina.layers.core.embedding import check_indices


def _layer(**kwargs):
    layer = keras.layers.Embedding(6, 3, **kwargs)
    layer.build()
    return layer


def test_output_is_the_table_rows_of_the_indices():
    layer = _layer()
    table = np.arange(18, dtype="float32").reshape(6, 3)
    layer.set_weights([table])
    indices = np.array([[5, 0, 2], [1, 1, 4]])
    np.testing.assert_array_equal(layer(torch.from_numpy(indices)).detach().numpy(),
                                  table[indices])


@pytest.mark.parametrize("dtype", [torch.int8, torch.uint8, torch.int16, torch.int32,
                                   torch.int64, torch.float32])
def test_accepts_any_integer_dtype_and_integral_floats(dtype):
    layer = _layer()
    indices = torch.tensor([[3, 0], [5, 2]])
    expected = layer(indices)
    torch.testing.assert_close(layer(indices.to(dtype)), expected)


def test_floats_are_truncated_as_keras_casts_them():
    layer = _layer()
    torch.testing.assert_close(layer(torch.tensor([2.7, 0.2])), layer(torch.tensor([2, 0])))


def test_mask_zero_masks_index_zero():
    layer = _layer(mask_zero=True)
    indices = torch.tensor([[4, 0, 1], [0, 0, 2]])
    assert layer.supports_masking
    assert layer.compute_mask(indices).tolist() == (indices != 0).tolist()
    assert _layer().compute_mask(indices) is None


def test_gradient_accumulates_into_the_looked_up_rows():
    layer = _layer()
    indices = torch.tensor([[1, 3, 1]])
    layer(indices).sum().backward()
    expected = np.zeros((6, 3), "float32")
    expected[1], expected[3] = 2.0, 1.0  # index 1 appears twice
    np.testing.assert_array_equal(layer.embeddings.grad.numpy(), expected)


@pytest.mark.parametrize("indices", [[[1, 6]], [[-1, 2]]])
def test_rejects_indices_out_of_range(indices):
    layer = _layer()
    with pytest.raises(ValueError, match=r"'embedding' \(`Embedding`\) expects indices in "
                                         r"\[0, input_dim\) = \[0, 6\)\. Received indices in"):
        layer(torch.tensor(indices))


def test_check_indices_names_the_offending_range():
    layer = _layer()
    check_indices(layer, torch.tensor([0, 5]))
    check_indices(layer, torch.zeros(0, dtype=torch.int64))
    with pytest.raises(ValueError, match=r"Received indices in \[-2, 9\]"):
        check_indices(layer, torch.tensor([-2, 3, 9]))


@pytest.mark.parametrize("arg", ["input_dim", "output_dim"])
@pytest.mark.parametrize("value", [0, -3, 2.5, True, None])
def test_rejects_non_positive_sizes(arg, value):
    kwargs = {"input_dim": 4, "output_dim": 2, arg: value}
    with pytest.raises(ValueError, match=f"`Embedding` expects `{arg}` to be a positive integer"):
        keras.layers.Embedding(**kwargs)


@pytest.mark.parametrize("arg, value", [("lora_rank", 4), ("lora_alpha", 8.0),
                                        ("quantization_config", {"mode": "int8"})])
def test_rejects_unsupported_lora_and_quantization(arg, value):
    with pytest.raises(ValueError, match=f"does not support `{arg}` in lamina yet"):
        keras.layers.Embedding(4, 2, **{arg: value})


@pytest.mark.parametrize("wrap", [lambda w: w, lambda w: [w]])
def test_weights_argument_builds_and_sets_the_table(wrap):
    table = np.random.default_rng(0).normal(size=(4, 2)).astype("float32")
    layer = keras.layers.Embedding(4, 2, weights=wrap(table))
    assert layer.built
    np.testing.assert_array_equal(layer.get_weights()[0], table)


def test_input_length_is_ignored_with_a_warning():
    with pytest.warns(UserWarning, match="ignores `input_length`"):
        layer = keras.layers.Embedding(4, 2, input_length=7)
    assert tuple(layer(torch.tensor([[1, 2, 3]])).shape) == (1, 3, 2)


def test_regularizer_and_constraint():
    layer = keras.layers.Embedding(4, 2, embeddings_regularizer=keras.regularizers.L2(0.1),
                                   embeddings_constraint="non_neg")
    layer.build()
    layer.set_weights([np.full((4, 2), 2.0, "float32")])
    torch.testing.assert_close(sum(layer.losses), torch.tensor(0.1 * 4.0 * 8))


def test_uniform_initializer_by_default():
    table = _layer().get_weights()[0]
    assert table.shape == (6, 3) and np.abs(table).max() <= 0.05 and table.std() > 0


def test_config_round_trip():
    layer = keras.layers.Embedding(9, 4, mask_zero=True, embeddings_regularizer="l2")
    config = layer.get_config()
    assert {k: config[k] for k in ("input_dim", "output_dim", "mask_zero")} == {
        "input_dim": 9, "output_dim": 4, "mask_zero": True}
    clone = keras.layers.Embedding.from_config(config)
    assert clone.get_config() == {**config, "name": clone.name}
    assert clone.supports_masking


def test_in_a_model_with_integer_inputs():
    inputs = keras.Input((5,), dtype="int32")
    outputs = keras.layers.Embedding(10, 4)(inputs)
    assert outputs.shape == (None, 5, 4)


def test_mixed_precision_returns_the_compute_dtype():
    layer = keras.layers.Embedding(4, 2, dtype="mixed_float16")
    output = layer(torch.tensor([[1, 3]]))
    assert layer.embeddings.dtype == torch.float32 and output.dtype == torch.float16
    torch.testing.assert_close(output.float(), layer.embeddings[[1, 3]].detach().half().float()
                               .unsqueeze(0))
