"""`Loss` and `LossFunctionWrapper`: reductions and masks (formulas written here), configs,
`get`, the errors, and a run on the meta device proving no loss reads a value on the host."""

import numpy as np
import pytest
import torch

from lamina import losses, registry
from lamina.losses import loss as loss_module

VALUES = torch.tensor([1.0, 2.0, 3.0, 4.0])


class Identity(losses.Loss):
    """Per-sample values are `y_pred` itself: the reduction is all that is tested."""

    def call(self, y_true, y_pred):
        return y_pred


def test_reductions_follow_keras_formulas():
    weight = torch.tensor([1.0, 0.0, 2.0, 0.5])
    weighted = VALUES * weight
    expected = {
        "sum_over_batch_size": weighted.sum() / 4,  # the count, not the weight sum
        "mean": weighted.sum() / 4,
        "sum": weighted.sum(),
        "mean_with_sample_weight": weighted.sum() / weight.sum(),
    }
    for reduction, value in expected.items():
        got = Identity(reduction=reduction)(VALUES, VALUES, sample_weight=weight)
        torch.testing.assert_close(got, value)
    for reduction in ("none", None):
        torch.testing.assert_close(Identity(reduction=reduction)(VALUES, VALUES, weight), weighted)


def test_python_number_weight_scales_like_a_tensor():
    for reduction in ("sum_over_batch_size", "sum", "mean_with_sample_weight", None):
        loss = Identity(reduction=reduction)
        torch.testing.assert_close(loss(VALUES, VALUES, sample_weight=2.5),
                                   loss(VALUES, VALUES, sample_weight=torch.tensor(2.5)))
    assert Identity(reduction="mean_with_sample_weight")(VALUES, VALUES, 0).item() == 0.0


def test_mask_on_prediction_averages_over_valid_entries():
    y_pred = VALUES.clone()
    y_pred._keras_mask = torch.tensor([True, False, True, True])
    got = Identity()(VALUES, y_pred)
    torch.testing.assert_close(got, torch.tensor((1.0 + 3.0 + 4.0) / 3))
    weight = torch.tensor([2.0, 5.0, 1.0, 1.0])
    torch.testing.assert_close(Identity()(VALUES, y_pred, weight),
                               torch.tensor((2.0 + 3.0 + 4.0) / 3))
    torch.testing.assert_close(Identity(reduction="sum")(VALUES, y_pred, weight),
                               torch.tensor(2.0 + 3.0 + 4.0))


def test_all_masked_batch_gives_zero_not_nan():
    y_pred = VALUES.clone()
    y_pred._keras_mask = torch.zeros(4, dtype=torch.bool)
    assert Identity()(VALUES, y_pred).item() == 0.0


def test_ignore_class_averages_over_valid_labels():
    probs = torch.tensor([[0.9, 0.1], [0.2, 0.8], [0.5, 0.5]])
    value = losses.SparseCategoricalCrossentropy(ignore_class=0)(torch.tensor([0, 1, 1]), probs)
    torch.testing.assert_close(value, -(np.log(0.8) + np.log(0.5)) / 2 * torch.ones(()))


def test_empty_and_scalar_values_are_returned_unreduced():
    assert Identity()(torch.zeros(0), torch.zeros(0)).shape == (0,)
    assert Identity()(torch.tensor(3.0), torch.tensor(3.0)).item() == 3.0
    assert Identity()(torch.zeros(0, 3), torch.zeros(0, 3)).item() == 0.0


def test_loss_dtype_casts_inputs():
    loss = losses.MeanSquaredError(dtype="float64")
    assert loss.dtype == "float64"
    value = loss(torch.tensor([[1, 2]]), torch.tensor([[1.5, 2.0]], dtype=torch.float32))
    assert value.dtype == torch.float64
    assert value.item() == pytest.approx(0.125)
    assert losses.MeanSquaredError().dtype == "float32"


def test_integer_labels_work_with_dense_losses():
    got = losses.mean_squared_error(torch.tensor([[1, 0]]), torch.tensor([[0.5, 0.5]]))
    torch.testing.assert_close(got, torch.tensor([0.25]))


def test_sparse_labels_with_trailing_axis_equal_flat_labels():
    probs = torch.tensor([[0.2, 0.8], [0.6, 0.4]])
    flat = losses.sparse_categorical_crossentropy(torch.tensor([1, 0]), probs)
    column = losses.sparse_categorical_crossentropy(torch.tensor([[1], [0]]), probs)
    torch.testing.assert_close(flat, column)
    torch.testing.assert_close(flat, -torch.log(torch.tensor([0.8, 0.6])))


def test_custom_loss_gets_a_snake_case_name():
    class MyHuberishLoss(losses.Loss):
        def call(self, y_true, y_pred):
            return (y_true - y_pred).abs().mean(dim=-1)

    first, second = MyHuberishLoss(), MyHuberishLoss()
    assert first.name.startswith("my_huberish_loss")
    assert first.name != second.name
    assert MyHuberishLoss(name="custom").name == "custom"
    assert repr(MyHuberishLoss(name="x")) == "<MyHuberishLoss name=x>"


def test_loss_without_call_raises():
    with pytest.raises(TypeError, match="does not define `call"):
        losses.Loss()(VALUES, VALUES)


def test_rejects_unknown_reduction():
    with pytest.raises(ValueError, match="`MeanSquaredError` expects `reduction` to be one of"):
        losses.MeanSquaredError(reduction="average")


# -- configs and `get` -------------------------------------------------------------------------
CLASSES = [getattr(losses, name) for name in losses.__all__
           if isinstance(getattr(losses, name), type) and issubclass(getattr(losses, name),
                                                                    losses.Loss)
           and name not in ("Loss", "LossFunctionWrapper")]


@pytest.mark.parametrize("cls", CLASSES, ids=lambda c: c.__name__)
def test_config_round_trip(cls):
    loss = cls(reduction="sum", name="custom")
    config = loss.get_config()
    assert config["name"] == "custom" and config["reduction"] == "sum"
    clone = cls.from_config(config)
    assert clone.get_config() == config
    rebuilt = losses.deserialize(losses.serialize(loss))
    assert type(rebuilt) is cls and rebuilt.get_config() == config


def test_configs_match_keras_keys():
    assert losses.MeanSquaredError().get_config() == {"name": "mean_squared_error",
                                                      "reduction": "sum_over_batch_size"}
    assert losses.BinaryCrossentropy(from_logits=True).get_config() == {
        "name": "binary_crossentropy", "reduction": "sum_over_batch_size",
        "from_logits": True, "label_smoothing": 0.0, "axis": -1}
    assert losses.Huber(delta=2.0).get_config()["delta"] == 2.0  # Keras drops it; we keep it
    assert losses.SparseCategoricalCrossentropy(ignore_class=3).ignore_class == 3


def test_function_wrapper_round_trips_its_function_and_options():
    wrapper = losses.LossFunctionWrapper(losses.huber, name="h", delta=0.5)
    config = wrapper.get_config()
    assert config["fn"]["config"] == "huber" and config["delta"] == 0.5
    clone = losses.LossFunctionWrapper.from_config(config)
    y_true, y_pred = torch.tensor([[0.0, 0.0]]), torch.tensor([[2.0, 0.3]])
    torch.testing.assert_close(clone(y_true, y_pred), wrapper(y_true, y_pred))
    by_name = losses.LossFunctionWrapper.from_config({**config, "fn": "mse"})
    assert by_name.fn is losses.mean_squared_error
    assert "huber" in repr(wrapper)


def test_function_wrapper_reads_keras_written_config():
    config = {"name": "h", "reduction": "sum_over_batch_size", "delta": 0.5,
              "fn": {"module": "builtins", "class_name": "function", "config": "huber",
                     "registered_name": "function"}}  # Keras 3's own output
    wrapper = losses.LossFunctionWrapper.from_config(config)
    assert wrapper.fn is losses.huber and wrapper._fn_kwargs == {"delta": 0.5}
    with pytest.raises(ValueError, match="Unknown loss function: 'hubber'"):
        losses.LossFunctionWrapper.from_config({**config, "fn": "hubber"})


def test_function_wrapper_rejects_non_callable():
    with pytest.raises(TypeError, match="expects `fn` to be a callable"):
        losses.LossFunctionWrapper("huber")


def test_get_resolves_like_keras():
    assert losses.get(None) is None
    assert losses.get("mse") is losses.mean_squared_error
    assert losses.get("MSE") is losses.mean_squared_error
    assert losses.get("kld") is losses.kl_divergence
    assert losses.get("bce") is losses.binary_crossentropy
    assert losses.get("categorical_crossentropy") is losses.categorical_crossentropy
    assert isinstance(losses.get("CategoricalCrossentropy"), losses.CategoricalCrossentropy)
    assert isinstance(losses.get(losses.Huber), losses.Huber)
    instance = losses.Poisson()
    assert losses.get(instance) is instance
    assert losses.get(len) is len
    found = losses.get({"class_name": "CategoricalCrossentropy",
                        "config": {"from_logits": True}})
    assert found.from_logits is True


def test_get_unknown_name_lists_valid_names_and_closest_match():
    with pytest.raises(ValueError, match="Unknown loss: 'mean_squared_eror'. Did you mean "
                                         "'mean_squared_error'"):
        losses.get("mean_squared_eror")


def test_get_rejects_non_callable():
    with pytest.raises(TypeError, match=r"`losses.get` expects `identifier`.*identifier=3"):
        losses.get(3)


def test_every_keras_alias_is_registered():
    names = set(registry.names("keras.losses"))
    assert {"mse", "MSE", "mae", "MAE", "mape", "MAPE", "msle", "MSLE", "kld", "KLD", "bce",
            "BCE", "Loss", "LossFunctionWrapper", "huber", "Huber", "log_cosh"} <= names


# -- errors of the functions ---------------------------------------------------------------
def test_categorical_crossentropy_rejects_bool_axis():
    with pytest.raises(ValueError, match="expects `axis` to be an integer"):
        losses.categorical_crossentropy(torch.eye(2), torch.eye(2), axis=True)


@pytest.mark.parametrize("fn", [losses.categorical_crossentropy, losses.binary_crossentropy])
def test_crossentropy_rejects_mismatched_shapes(fn):
    with pytest.raises(ValueError, match="`y_true` and `y_pred` to have the same shape"):
        fn(torch.zeros(2, 3), torch.full((2, 4), 0.25))


@pytest.mark.parametrize("fn", [losses.categorical_crossentropy, losses.binary_crossentropy])
def test_crossentropy_rejects_scalars(fn):
    with pytest.raises(ValueError, match="expects `y_pred` of rank 1 or more"):
        fn(torch.tensor(1.0), torch.tensor(0.5))


def test_sparse_crossentropy_rejects_bad_shapes():
    with pytest.raises(ValueError, match="without the class axis"):
        losses.sparse_categorical_crossentropy(torch.zeros(3), torch.full((2, 4), 0.25))
    with pytest.raises(ValueError, match="of rank 1 or more"):
        losses.sparse_categorical_crossentropy(torch.tensor(1), torch.tensor(0.5))


def test_single_class_categorical_crossentropy_warns_like_keras():
    with pytest.warns(SyntaxWarning, match="binary_crossentropy"):
        value = losses.categorical_crossentropy(torch.ones(2, 1), torch.ones(2, 1))
    assert torch.all(value < 1e-6)


# -- no host-device sync: every path runs on the meta device, which has no values to read ------
def _meta(*shape, dtype=torch.float32):
    return torch.empty(*shape, device="meta", dtype=dtype)


@pytest.mark.parametrize("reduction", list(loss_module.REDUCTIONS))
def test_losses_never_read_values(reduction):
    y, p, w = _meta(4, 5), _meta(4, 5), _meta(4)
    fused = _meta(4, 5)
    fused._keras_logits = _meta(4, 5)
    masked = _meta(4, 5)
    masked._keras_mask = _meta(4, dtype=torch.bool)
    integer_labels = (losses.SparseCategoricalCrossentropy, losses.Circle,
                      losses.CategoricalGeneralizedCrossEntropy)
    for cls in CLASSES:
        if cls is losses.CTC:
            continue  # torch's CTC kernels read the label lengths on the host (see losses/ctc.py)
        loss = cls(reduction=reduction)
        labels = _meta(4) if cls in integer_labels else y
        for y_pred in (p, fused, masked):
            for weight in (None, w, 2.0):
                assert loss(labels, y_pred, sample_weight=weight).device.type == "meta"
    sequence = _meta(4, 3, 5)
    sequence._keras_logits = _meta(4, 3, 5)
    for options in ({}, {"ignore_class": 0}, {"from_logits": True, "ignore_class": -1}):
        loss = losses.SparseCategoricalCrossentropy(reduction=reduction, **options)
        for y_pred in (sequence, _meta(4, 3, 5)):
            value = loss(_meta(4, 3), y_pred, sample_weight=_meta(4, 3))
            assert value.device.type == "meta"
