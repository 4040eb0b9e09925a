"""`TorchModuleWrapper` switches its module between `train()` and `eval()` with `training`."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import nn

import lamina as keras


class _Recorder(nn.Module):
    """Dropout that records its mode and outputs on each real call."""

    def __init__(self, rate):
        super().__init__()
        self.dropout = nn.Dropout(rate)
        self.modes, self.outputs = [], []

    def forward(self, x):
        out = self.dropout(x)
        self.modes.append(self.training)
        self.outputs.append(out.detach().clone())
        return out


def _data(n=16, features=3, seed=0):
    rs = np.random.RandomState(seed)
    return rs.randn(n, features).astype("float32"), rs.randn(n, 1).astype("float32")


def test_dropout_is_off_in_predict_and_on_in_fit():
    recorder = _Recorder(0.5)
    model = keras.Sequential([keras.Input((3,)), recorder, keras.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    assert recorder.modes == [False, False]  # shape inference (twice) runs in eval mode
    assert recorder.training  # and gives the module its mode back
    recorder.modes.clear(), recorder.outputs.clear()
    _, y = _data()
    ones = np.ones((16, 3), "float32")
    first = model.predict(ones, verbose=0)
    np.testing.assert_array_equal(model.predict(ones, verbose=0), first)  # deterministic
    assert recorder.modes == [False, False]
    for output in recorder.outputs:
        torch.testing.assert_close(output, torch.ones(16, 3))  # eval: identity
    recorder.modes.clear(), recorder.outputs.clear()
    model.fit(ones, y, batch_size=8, epochs=1, shuffle=False, verbose=0)
    assert recorder.modes == [True, True]
    for output in recorder.outputs:  # kept units scaled by 1 / (1 - rate), the rest zeroed
        assert set(output.unique().tolist()) == {0.0, 2.0}
    assert not torch.equal(recorder.outputs[0], recorder.outputs[1])  # a fresh mask per step


def test_batch_norm_updates_running_stats_in_fit_and_uses_them_in_predict():
    bn = nn.BatchNorm1d(3)
    model = keras.Sequential([keras.Input((3,)), bn])
    assert int(bn.num_batches_tracked) == 0  # building changed no state
    model.compile(optimizer=keras.optimizers.SGD(0.0), loss="mse")
    x, _ = _data(seed=1)
    model.fit(x, x, batch_size=16, epochs=1, verbose=0)  # one batch: one update
    xt = torch.from_numpy(x)
    torch.testing.assert_close(bn.running_mean, 0.1 * xt.mean(0))  # momentum 0.1 from 0
    torch.testing.assert_close(bn.running_var, 0.9 + 0.1 * xt.var(0, unbiased=True))
    assert int(bn.num_batches_tracked) == 1
    stats = (bn.running_mean.clone(), bn.running_var.clone())
    x2, _ = _data(seed=2)
    expected = F.batch_norm(torch.from_numpy(x2), *stats, bn.weight.detach(), bn.bias.detach(),
                            training=False, eps=bn.eps)
    np.testing.assert_allclose(model.predict(x2, verbose=0), expected.numpy(), atol=1e-6)
    torch.testing.assert_close(bn.running_mean, stats[0])  # predict leaves them alone
    assert int(bn.num_batches_tracked) == 1
    model.evaluate(x2, x2, verbose=0)
    assert int(bn.num_batches_tracked) == 1


@pytest.mark.parametrize(("training", "mode"), [(True, True), (False, False), (None, True)])
def test_direct_call_sets_the_mode_as_keras(training, mode):
    layer = keras.layers.TorchModuleWrapper(nn.Dropout(0.5))
    layer.module.train(not mode)
    x = torch.ones(64, 8)
    out = layer(x, training=training)
    assert layer.module.training is mode
    if mode:
        assert set(out.unique().tolist()) == {0.0, 2.0}
    else:
        torch.testing.assert_close(out, x)


def test_shape_inference_keeps_every_submodule_mode():
    module = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.Dropout(0.2))
    module[1].eval()  # a frozen BatchNorm, as in fine-tuning
    keras.Sequential([keras.Input((3,)), module])
    assert [m.training for m in module] == [True, False, True]
    assert module.training
    assert int(module[1].num_batches_tracked) == 0
