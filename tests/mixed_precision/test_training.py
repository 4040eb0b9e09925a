"""Training under mixed policies: float32 weights and loss, automatic loss scaling."""

import numpy as np
import pytest
import torch

import lamina
from lamina import layers, mixed_precision, optimizers


def _data(n=64):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(n, 6)).astype("float32")
    y = (x[:, 0] + x[:, 1] > 0).astype("int64") + (x[:, 2] > 1).astype("int64")
    return x, y


def _classifier(final_float32=True):
    stack = [lamina.Input((6,)), layers.Dense(16, activation="relu"), layers.Dense(3)]
    stack.append(layers.Activation("softmax", dtype="float32") if final_float32
                 else layers.Activation("softmax"))
    return lamina.Sequential(stack)


@pytest.mark.parametrize("policy", ["mixed_bfloat16", "mixed_float16"])
def test_a_mixed_model_trains_and_its_weights_stay_float32(policy):
    mixed_precision.set_global_policy(policy)
    model = _classifier()
    model.compile(optimizer=optimizers.Adam(0.01), loss="sparse_categorical_crossentropy",
                  metrics=["acc"])
    x, y = _data()
    history = model.fit(x, y, batch_size=16, epochs=6, verbose=0)
    losses = history.history["loss"]
    assert np.all(np.isfinite(losses)) and losses[-1] < 0.8 * losses[0]
    assert all(w.dtype == torch.float32 for w in model.weights)
    assert model.layers[0].compute_dtype == policy.split("_")[1]
    assert model.predict(x[:4], verbose=0).dtype == np.float32


def test_compile_wraps_the_optimizer_for_mixed_float16_only():
    mixed_precision.set_global_policy("mixed_float16")
    model = _classifier()
    model.compile(optimizer="adam", loss="mse")
    assert isinstance(model.optimizer, optimizers.LossScaleOptimizer)
    assert model.optimizer.name == "loss_scale_optimizer"
    assert isinstance(model.optimizer.inner_optimizer, optimizers.Adam)
    own = optimizers.LossScaleOptimizer(optimizers.SGD(), initial_scale=4.0)
    model.compile(optimizer=own, loss="mse")
    assert model.optimizer is own
    model.compile(optimizer="adam", loss="mse", auto_scale_loss=False)
    assert isinstance(model.optimizer, optimizers.Adam)
    mixed_precision.set_global_policy("mixed_bfloat16")
    other = _classifier()
    other.compile(optimizer="adam", loss="mse")
    assert isinstance(other.optimizer, optimizers.Adam)


def test_loss_is_computed_in_float32_from_half_outputs():
    mixed_precision.set_global_policy("mixed_bfloat16")
    model = lamina.Sequential([lamina.Input((6,)), layers.Dense(2)])
    model.compile(optimizer="sgd", loss="mse")
    x, _ = _data(8)
    y = np.linspace(-1, 1, 16, dtype="float32").reshape(8, 2)
    with torch.no_grad():
        out = model(torch.from_numpy(x))
    assert out.dtype == torch.bfloat16
    expected = torch.mean((torch.from_numpy(y) - out.float()) ** 2)  # float32 arithmetic
    loss = model.evaluate(x, y, batch_size=8, verbose=0)
    assert loss == pytest.approx(float(expected), rel=1e-6)


def test_an_overflowing_step_is_skipped_and_halves_the_scale():
    mixed_precision.set_global_policy("mixed_float16")
    model = _classifier()
    opt = optimizers.LossScaleOptimizer(optimizers.SGD(0.1), initial_scale=2.0 ** 100)
    model.compile(optimizer=opt, loss="sparse_categorical_crossentropy")
    x, y = _data(16)
    model.build((None, 6))
    before = [w.detach().clone() for w in model.weights]
    model.train_on_batch(x, y)  # loss * 2**100 overflows float16 in the backward pass
    assert all(torch.equal(a, b) for a, b in zip(before, model.weights))
    assert float(opt.dynamic_scale) == 2.0 ** 99 and int(opt.step_counter) == 0
    opt.dynamic_scale.fill_(128.0)
    model.train_on_batch(x, y)
    assert not all(torch.equal(a, b) for a, b in zip(before, model.weights))
    assert float(opt.dynamic_scale) == 128.0 and int(opt.step_counter) == 1


def test_float32_outputs_keep_the_output_mask():
    from lamina.mixed_precision.autocast import float32_outputs

    half = torch.ones(2, 3, dtype=torch.bfloat16)
    half._keras_mask = torch.tensor([[True, False, True], [True, True, False]])
    (converted,) = float32_outputs([half])
    assert converted.dtype == torch.float32 and converted._keras_mask is half._keras_mask
