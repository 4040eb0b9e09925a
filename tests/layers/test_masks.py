"""Masks flowing from layer to layer (`layers/masks.py`), in eager calls, Sequential and
functional models, with the loss honouring the output mask."""

import numpy as np
import pytest
import torch

import lamina as keras


class ZeroMasking(keras.Layer):
    """Masks the timesteps whose features are all zero (what `Masking(0.0)` does)."""

    def call(self, inputs):
        return inputs * 1.0  # a new tensor: the mask goes on it, not on the caller's input

    def compute_mask(self, inputs, mask=None):
        return inputs.ne(0).any(dim=-1)


class MaskedMean(keras.Layer):
    """Mean over time of the unmasked steps: consumes the mask (as Keras' pooling layers do,
    it supports masking and returns no mask)."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True

    def compute_mask(self, inputs, mask=None):
        return None

    def call(self, inputs, mask=None):
        if mask is None:
            return inputs.mean(dim=1)
        weights = mask.to(inputs.dtype).unsqueeze(-1)
        return (inputs * weights).sum(dim=1) / weights.sum(dim=1)


class Recorder(keras.Layer):
    """Remembers the masks `call` received."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True
        self.seen = []

    def call(self, inputs, mask=None):
        self.seen.append(mask)
        return inputs


def _sequences():
    x = torch.tensor([[[1.0, 2.0], [3.0, 4.0], [0.0, 0.0]],
                      [[5.0, 6.0], [0.0, 0.0], [0.0, 0.0]]])  # (2, 3, 2), padded at the end
    return x, torch.tensor([[True, True, False], [True, False, False]])


def test_eager_mask_passes_through_a_masking_layer_and_reaches_call():
    x, expected = _sequences()
    masked = ZeroMasking()(x)
    assert torch.equal(masked._keras_mask, expected)
    dense = keras.layers.Dense(3, kernel_initializer="ones")(masked)  # supports masking
    assert torch.equal(dense._keras_mask, expected)
    out = MaskedMean()(dense)
    torch.testing.assert_close(out, torch.tensor([[5.0] * 3, [11.0] * 3]))  # steps sum to 3, 7 (and a masked 0); 11
    assert not hasattr(out, "_keras_mask")  # MaskedMean consumes the mask


def test_explicit_mask_wins_over_the_attached_one():
    x, _ = _sequences()
    x = ZeroMasking()(x)
    attached = x._keras_mask
    recorder = Recorder()
    explicit = torch.ones(2, 3, dtype=torch.bool)
    out = recorder(x, mask=explicit)
    # `out` is `x` itself, whose mask was already there: it is kept, not recomputed
    assert recorder.seen[-1] is explicit and out._keras_mask is attached
    recorder(x)
    assert recorder.seen[-1] is attached


def test_named_mask_arguments_are_filled_from_each_input():
    class Pair(keras.Layer):
        def compute_mask(self, inputs, mask=None):
            return None

        def call(self, query, value, query_mask=None, value_mask=None):
            self.received = (query_mask, value_mask)
            return query + value.mean()

    x, mask = _sequences()
    layer = Pair()
    layer(ZeroMasking()(x), x)
    assert torch.equal(layer.received[0], mask) and layer.received[1] is None


def test_list_inputs_get_a_list_of_masks():
    class Merge(keras.Layer):
        def compute_mask(self, inputs, mask=None):
            return None

        def call(self, inputs, mask=None):
            self.received = mask
            return inputs[0] + inputs[1]

    x, mask = _sequences()
    layer = Merge()
    layer([ZeroMasking()(x), x])
    assert torch.equal(layer.received[0], mask) and layer.received[1] is None


def test_a_layer_without_mask_support_drops_the_mask_with_a_warning():
    x, _ = _sequences()
    with pytest.warns(UserWarning, match=r"Layer 'flatten' \(Flatten\) received an input that "
                                         "carries a mask, but it does not support masking"):
        out = keras.layers.Flatten()(ZeroMasking()(x))
    assert not hasattr(out, "_keras_mask")


def test_symbolic_tensors_carry_masks_in_functional_models():
    inputs = keras.Input(shape=(3, 2))
    masked = ZeroMasking()(inputs)
    assert masked._keras_mask is not None and masked._keras_mask.shape == (None, 3)
    assert masked._keras_mask.dtype == torch.bool
    hidden = keras.layers.Dense(3, kernel_initializer="ones")(masked)
    assert hidden._keras_mask.shape == (None, 3)
    model = keras.Model(inputs, MaskedMean()(hidden))
    x, _ = _sequences()
    torch.testing.assert_close(model(x), torch.tensor([[5.0] * 3, [11.0] * 3]))
    sequential = keras.Sequential([keras.Input(shape=(3, 2)), ZeroMasking(),
                                   keras.layers.Dense(3, kernel_initializer="ones"), MaskedMean()])
    torch.testing.assert_close(sequential(x), torch.tensor([[5.0] * 3, [11.0] * 3]))


def test_the_loss_ignores_masked_timesteps_of_the_output():
    x, mask = _sequences()
    model = keras.Sequential([keras.Input(shape=(3, 2)), ZeroMasking(),
                              keras.layers.Dense(1, kernel_initializer="ones", use_bias=False)])
    model.compile(optimizer="sgd", loss="mse")
    y = np.zeros((2, 3, 1), "float32")
    loss = model.evaluate(x.numpy(), y, verbose=0)
    predictions = x.sum(dim=-1)  # (2, 3): the ones kernel sums the features
    expected = (predictions[mask] ** 2).mean().item()  # only the 3 real steps count
    assert loss == pytest.approx(expected, rel=1e-6)


def test_masks_flow_under_torch_compile():
    x, mask = _sequences()
    model = keras.Sequential([keras.Input(shape=(3, 2)), ZeroMasking(),
                              keras.layers.Dense(3, kernel_initializer="ones"), MaskedMean()])
    expected = model(x)
    torch._dynamo.reset()
    compiled = torch.compile(model, backend="aot_eager", fullgraph=True)
    torch.testing.assert_close(compiled(x), expected)
