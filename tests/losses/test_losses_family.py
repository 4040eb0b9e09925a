"""The rest of the loss family beyond the golden values: formula oracles (focal losses reduce to
cross-entropies, Tversky to Dice, CTC against brute-force path enumeration), Keras' names and
aliases, configs, custom loss functions, and the errors."""

import itertools
import math

import numpy as np
import pytest
import torch

from lamina import losses, registry
from lamina.losses.loss import Loss

# Every name Keras 3 resolves in `keras.losses.get` / `deserialize`.
KERAS_NAMES = [
    "BinaryCrossentropy", "BinaryFocalCrossentropy", "CTC", "CategoricalCrossentropy",
    "CategoricalFocalCrossentropy", "CategoricalHinge", "Circle", "CosineSimilarity", "Dice",
    "Hinge", "Huber", "KLDivergence", "LogCosh", "Loss", "LossFunctionWrapper",
    "MeanAbsoluteError", "MeanAbsolutePercentageError", "MeanSquaredError",
    "MeanSquaredLogarithmicError", "Poisson", "SparseCategoricalCrossentropy", "SquaredHinge",
    "Tversky", "binary_crossentropy", "binary_focal_crossentropy", "categorical_crossentropy",
    "categorical_focal_crossentropy", "categorical_hinge", "circle", "cosine_similarity", "ctc",
    "dice", "hinge", "huber", "kl_divergence", "log_cosh", "mean_absolute_error",
    "mean_absolute_percentage_error", "mean_squared_error", "mean_squared_logarithmic_error",
    "poisson", "sparse_categorical_crossentropy", "squared_hinge", "tversky",
    "bce", "BCE", "kld", "KLD", "mae", "MAE", "mse", "MSE", "mape", "MAPE", "msle", "MSLE",
]


def _probs(*shape, seed=0):
    generator = torch.Generator().manual_seed(seed)
    return torch.rand(*shape, generator=generator) * 0.9 + 0.05


# -- formula oracles -----------------------------------------------------------------------
def test_binary_focal_without_focus_is_binary_crossentropy():
    y_true = torch.tensor([[0.0, 1.0, 1.0], [1.0, 0.0, 0.3]])
    y_pred = _probs(2, 3)
    torch.testing.assert_close(losses.binary_focal_crossentropy(y_true, y_pred, gamma=0.0),
                               losses.binary_crossentropy(y_true, y_pred))
    logits = torch.randn(2, 3, generator=torch.Generator().manual_seed(1))
    torch.testing.assert_close(
        losses.binary_focal_crossentropy(y_true, logits, gamma=0.0, from_logits=True),
        losses.binary_crossentropy(y_true, logits, from_logits=True))


def test_binary_focal_weighs_by_focal_factor_and_class_balance():
    y_true, y_pred = torch.tensor([[1.0, 0.0]]), torch.tensor([[0.8, 0.4]])
    bce = -torch.log(torch.tensor([0.8, 0.6]))
    focal = torch.tensor([0.2, 0.4]) ** 3 * bce * torch.tensor([0.3, 0.7])
    got = losses.binary_focal_crossentropy(y_true, y_pred, apply_class_balancing=True,
                                           alpha=0.3, gamma=3.0)
    torch.testing.assert_close(got, focal.mean().reshape(1))


def test_categorical_focal_without_focus_is_scaled_crossentropy():
    y_true = torch.eye(4)[[0, 3, 1]]
    y_pred = _probs(3, 4)
    torch.testing.assert_close(
        losses.categorical_focal_crossentropy(y_true, y_pred, alpha=1.0, gamma=0.0),
        losses.categorical_crossentropy(y_true, y_pred))
    per_class = [0.1, 0.2, 0.3, 0.4]
    got = losses.categorical_focal_crossentropy(y_true, y_pred, alpha=per_class, gamma=0.0)
    expected = losses.categorical_crossentropy(y_true, y_pred) * torch.tensor([0.1, 0.4, 0.2])
    torch.testing.assert_close(got, expected)


def test_categorical_focal_along_another_axis_equals_moved_axis():
    y_true = torch.eye(4)[[0, 3, 1]].T.contiguous()  # classes along axis 0
    logits = torch.randn(4, 3, generator=torch.Generator().manual_seed(2))
    got = losses.categorical_focal_crossentropy(y_true, logits, from_logits=True, axis=0)
    expected = losses.categorical_focal_crossentropy(y_true.T, logits.T, from_logits=True)
    torch.testing.assert_close(got, expected)


@pytest.mark.parametrize("activation", ["sigmoid", "softmax"])
def test_focal_losses_from_saturated_activations_equal_clipped_formula(activation):
    logits = torch.tensor([[60.0, -60.0, 0.0], [0.0, 0.0, 200.0], [-300.0, 1.0, 2.0]])
    y_true = torch.eye(3)[[1, 2, 0]]
    loss = (losses.BinaryFocalCrossentropy(apply_class_balancing=True)
            if activation == "sigmoid" else losses.CategoricalFocalCrossentropy())
    fused_logits = logits.clone().requires_grad_(True)
    plain_logits = logits.clone().requires_grad_(True)
    act = torch.sigmoid if activation == "sigmoid" else lambda z: torch.softmax(z, dim=-1)
    fused = act(fused_logits)
    fused._keras_logits, fused._keras_activation = fused_logits, activation
    fused_value, plain_value = loss(y_true, fused), loss(y_true, act(plain_logits))
    torch.testing.assert_close(fused_value, plain_value, rtol=1e-5, atol=1e-7)
    fused_value.backward()
    plain_value.backward()
    assert torch.isfinite(fused_logits.grad).all()
    torch.testing.assert_close(fused_logits.grad, plain_logits.grad, rtol=1e-4, atol=1e-7)


def test_generalized_crossentropy_formula_and_label_shapes():
    y_pred = torch.tensor([[0.7, 0.3], [0.2, 0.8], [0.6, 0.4]])
    expected = (1 - torch.tensor([0.7, 0.8, 0.4]) ** 0.3) / 0.3
    flat = losses.categorical_generalized_cross_entropy(torch.tensor([0, 1, 1]), y_pred, q=0.3)
    torch.testing.assert_close(flat, expected)
    # Keras broadcasts (batch, 1) labels into a (batch, batch) result; lamina squeezes them
    column = losses.CategoricalGeneralizedCrossEntropy(q=0.3, reduction=None)(
        torch.tensor([[0], [1], [1]]), y_pred)
    torch.testing.assert_close(column, expected)


def test_tversky_with_equal_weights_is_dice():
    y_true = (_probs(2, 4, 4, seed=3) > 0.5).float()
    y_pred = _probs(2, 4, 4, seed=4)
    for axis in (None, (1, 2)):
        torch.testing.assert_close(losses.tversky(y_true, y_pred, axis=axis),
                                   losses.dice(y_true, y_pred, axis=axis))


def test_tversky_counts_missed_targets_with_alpha():
    y_true, y_pred = torch.tensor([1.0, 1.0, 0.0, 0.0]), torch.tensor([1.0, 0.0, 1.0, 1.0])
    # TP = 1, FN = 1, FP = 2
    got = losses.tversky(y_true, y_pred, alpha=0.9, beta=0.1)
    torch.testing.assert_close(got, torch.tensor(1 - 1 / (1 + 0.9 + 0.2)))


def test_dice_of_empty_masks_is_one_not_nan():
    assert losses.dice(torch.zeros(2, 3), torch.zeros(2, 3)).item() == 1.0


def _ctc_brute_force(labels, log_probs):
    """-log of the total probability of every path that collapses to `labels`."""
    time, classes = len(log_probs), len(log_probs[0])
    total = 0.0
    for path in itertools.product(range(classes), repeat=time):
        collapsed = [c for i, c in enumerate(path) if c != 0 and (i == 0 or path[i - 1] != c)]
        if collapsed == labels:
            total += math.exp(sum(log_probs[t][c] for t, c in enumerate(path)))
    return -math.log(total)


def test_ctc_equals_brute_force_over_alignments():
    logits = torch.randn(3, 4, 3, generator=torch.Generator().manual_seed(5), dtype=torch.float64)
    y_true = torch.tensor([[1, 2, 0], [2, 2, 0], [1, 0, 0]])  # lengths 2, 2 (a repeat), 1
    got = losses.ctc(y_true, logits)
    log_probs = torch.log_softmax(logits, dim=-1)
    expected = [_ctc_brute_force([c for c in row if c], log_probs[i].tolist())
                for i, row in enumerate(y_true.tolist())]
    np.testing.assert_allclose(got.numpy(), expected, rtol=1e-10)


def test_ctc_impossible_alignment_is_infinite():
    # [1, 1] needs 3 steps (1, blank, 1); Keras' JAX kernel gives ~1e5 here instead of inf
    value = losses.ctc(torch.tensor([[1, 1]]), torch.zeros(1, 2, 3))
    assert torch.isinf(value).all()


def test_ctc_half_precision_computes_in_float32():
    logits = torch.randn(2, 5, 4, generator=torch.Generator().manual_seed(6))
    y_true = torch.tensor([[1, 3], [2, 0]])
    full = losses.ctc(y_true, logits)
    half = losses.ctc(y_true, logits.to(torch.bfloat16))
    assert half.dtype == torch.float32
    torch.testing.assert_close(half, full, rtol=2e-2, atol=2e-2)


def test_circle_masks_samples_without_positive_pairs():
    embeddings = torch.nn.functional.normalize(
        torch.randn(5, 3, generator=torch.Generator().manual_seed(7)), dim=-1)
    labels = torch.tensor([0, 1, 0, 1, 2])  # label 2 has no positive pair
    values = losses.circle(labels, embeddings)
    assert values[4].item() == 0.0
    assert values._keras_mask.tolist() == [True, True, True, True, False]
    torch.testing.assert_close(losses.Circle()(labels, embeddings), values[:4].mean())


# -- names, configs, custom losses ---------------------------------------------------------
@pytest.mark.parametrize("name", KERAS_NAMES)
def test_every_keras_name_resolves(name):
    assert name in registry.names("keras.losses")
    if name == "LossFunctionWrapper":
        return  # it needs a function: `get` cannot instantiate it (nor can Keras')
    found = losses.get(name)
    assert callable(found)
    if name[0].isupper() and name not in ("Loss", "LossFunctionWrapper") and len(name) > 4:
        assert isinstance(found, getattr(losses, name))


def test_unknown_name_suggests_the_closest():
    with pytest.raises(ValueError, match="Did you mean 'binary_focal_crossentropy'"):
        losses.get("binary_focal_crosentropy")
    with pytest.raises(ValueError, match="Did you mean 'Tversky'"):
        losses.deserialize({"class_name": "Tverski", "config": {}})


@pytest.mark.parametrize("cls, options", [
    (losses.CategoricalFocalCrossentropy, {"alpha": [0.2, 0.8], "gamma": 1.0}),
    (losses.Dice, {"axis": (1, 2)}),
    (losses.Tversky, {"alpha": 0.2, "beta": 0.8, "axis": [1]}),
    (losses.Circle, {"gamma": 10.0, "margin": 0.1, "remove_diagonal": False}),
    (losses.CategoricalGeneralizedCrossEntropy, {"q": 0.9}),
    (losses.BinaryFocalCrossentropy, {"apply_class_balancing": True, "alpha": 0.6}),
])
def test_options_survive_config_round_trip(cls, options):
    loss = cls(**options)
    clone = losses.deserialize(losses.serialize(loss))
    assert type(clone) is cls and clone.get_config() == loss.get_config()
    for key, value in options.items():
        assert getattr(clone, key) == value


def test_plain_function_works_as_a_loss():
    def scaled_error(y_true, y_pred):
        return 3.0 * (y_true - y_pred).abs().mean(dim=-1)

    assert losses.get(scaled_error) is scaled_error
    y_true, y_pred = torch.zeros(2, 2), torch.tensor([[1.0, 3.0], [2.0, 0.0]])
    weight = torch.tensor([1.0, 0.5])
    wrapper = losses.LossFunctionWrapper(scaled_error, reduction="sum")
    torch.testing.assert_close(wrapper(y_true, y_pred, weight), torch.tensor(6.0 + 1.5))
    config = losses.serialize(scaled_error)
    assert config["class_name"] == "function" and config["config"] == "scaled_error"
    assert losses.deserialize(config, custom_objects={"scaled_error": scaled_error}) \
        is scaled_error


# -- errors --------------------------------------------------------------------------------
def test_ctc_rejects_bad_ranks():
    with pytest.raises(ValueError, match=r"`ctc` expects `y_true` of shape \(batch_size, "
                                         r"max_length\).*y_true.shape=\(2, 3, 1\)"):
        losses.ctc(torch.zeros(2, 3, 1), torch.zeros(2, 4, 5))
    with pytest.raises(ValueError, match=r"`ctc` expects `y_pred`.*y_pred.shape=\(2, 4\)"):
        losses.CTC()(torch.zeros(2, 3), torch.zeros(2, 4))


@pytest.mark.parametrize("q", [0, 1, 1.5, -0.2, True, "0.5"])
def test_generalized_crossentropy_rejects_q_outside_unit_interval(q):
    with pytest.raises(ValueError, match=r"`CategoricalGeneralizedCrossEntropy` expects `q` "
                                         r"to be a float in \(0, 1\). Received: q="):
        losses.CategoricalGeneralizedCrossEntropy(q=q)


def test_generalized_crossentropy_rejects_mismatched_labels():
    with pytest.raises(ValueError, match="without its last \\(class\\) axis"):
        losses.categorical_generalized_cross_entropy(torch.zeros(3), torch.full((2, 4), 0.25),
                                                     q=0.5)


@pytest.mark.parametrize("fn", [losses.binary_focal_crossentropy,
                                losses.categorical_focal_crossentropy])
def test_focal_losses_reject_mismatched_shapes(fn):
    with pytest.raises(ValueError, match="`y_true` and `y_pred` to have the same shape"):
        fn(torch.zeros(2, 3), torch.full((2, 4), 0.25))


def test_categorical_focal_rejects_bool_axis_and_warns_on_one_class():
    with pytest.raises(ValueError, match="`categorical_focal_crossentropy` expects `axis` to "
                                         "be an integer. Received: axis=True"):
        losses.categorical_focal_crossentropy(torch.eye(2), torch.eye(2), axis=True)
    with pytest.warns(SyntaxWarning, match="binary_crossentropy"):
        losses.categorical_focal_crossentropy(torch.ones(2, 1), torch.ones(2, 1))


@pytest.mark.parametrize("fn", [losses.mean_squared_error, losses.hinge, losses.dice,
                                losses.tversky, losses.poisson])
def test_shapes_that_do_not_broadcast_raise(fn):
    with pytest.raises(ValueError, match=rf"`{fn.__name__}` expects `y_true` and `y_pred` of "
                                         r"the same \(or broadcastable\) shapes. Received: "
                                         r"y_true.shape=\(4, 3\), y_pred.shape=\(4, 5\)"):
        fn(torch.zeros(4, 3), torch.zeros(4, 5))


def test_broadcastable_shapes_are_accepted_like_keras():
    got = losses.mean_squared_error(torch.tensor([[1.0], [2.0]]), torch.zeros(2, 3))
    torch.testing.assert_close(got, torch.tensor([1.0, 4.0]))


def test_sample_weight_that_does_not_broadcast_raises_with_a_fix():
    loss = losses.SparseCategoricalCrossentropy()
    with pytest.raises(ValueError, match=r"`sample_weight` of a shape that broadcasts.*"
                                         r"sample_weight.shape=\(2,\), loss values shape="
                                         r"\(2, 3\). To weight whole samples, reshape it to "
                                         r"\(2, 1\)"):
        loss(torch.zeros(2, 3), torch.full((2, 3, 4), 0.25), sample_weight=torch.ones(2))
    with pytest.raises(ValueError, match=r"sample_weight.shape=\(4, 3\), loss values shape="
                                         r"\(4,\)\.$"):
        losses.BinaryCrossentropy()(torch.zeros(4, 3), torch.full((4, 3), 0.5),
                                    sample_weight=torch.ones(4, 3))


@pytest.mark.parametrize("cls", [losses.BinaryFocalCrossentropy, losses.CTC, losses.Dice,
                                 losses.Circle, Loss])
def test_rejects_unknown_reduction(cls):
    with pytest.raises(ValueError, match=rf"`{cls.__name__}` expects `reduction` to be one of "
                                         r"'sum_over_batch_size', 'sum', 'mean', "
                                         r"'mean_with_sample_weight', 'none', None. "
                                         r"Received: reduction='average'"):
        cls(reduction="average")


@pytest.mark.parametrize("loss", ["binary_focal_crossentropy", "Dice", "plain function"])
def test_compile_accepts_loss_names_and_plain_functions(loss):
    from lamina import Input, Sequential, layers

    def squared_gap(y_true, y_pred):
        return (y_true - y_pred).square().mean(dim=-1)

    identifier = squared_gap if loss == "plain function" else loss
    model = Sequential([Input((4,)), layers.Dense(1, activation="sigmoid")])
    model.compile(optimizer="sgd", loss=identifier)
    generator = np.random.default_rng(0)
    x = generator.random((16, 4), dtype=np.float32)
    y = (x.sum(axis=1, keepdims=True) > 2).astype("float32")
    value = model.evaluate(x, y, batch_size=16, verbose=0)
    y_pred = torch.as_tensor(model.predict(x, verbose=0))
    oracle = {"binary_focal_crossentropy": losses.binary_focal_crossentropy,
              "Dice": losses.dice, "plain function": squared_gap}[loss]
    np.testing.assert_allclose(value, oracle(torch.as_tensor(y), y_pred).mean().item(),
                               rtol=1e-5)
