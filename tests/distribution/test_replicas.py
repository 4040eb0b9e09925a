"""The multi-process pieces of `training/distributed.py` run in one process: in a real gloo
group of one (the collectives then change nothing), with the other processes' answers faked
where a test needs them to disagree; and rank 0's privileges (printing, writing files) seen
from a process whose launcher says it is rank 1."""

import numpy as np
import pytest
import torch
import torch.distributed as dist

import lamina as keras
from lamina.callbacks.callback_list import CallbackList
from lamina.distribution import runtime
from lamina.training import distributed


@pytest.fixture
def group_of_one(tmp_path, monkeypatch):
    for name in ("RANK", "WORLD_SIZE", "LOCAL_RANK", "MASTER_ADDR", "MASTER_PORT"):
        monkeypatch.delenv(name, raising=False)
    dist.init_process_group("gloo", init_method=f"file://{tmp_path / 'store'}", rank=0,
                            world_size=1)
    yield
    dist.destroy_process_group()


def fake_second_process(monkeypatch, answer):
    """Pretend a second process exists whose `all_gather` contribution is `answer(mine)`."""
    monkeypatch.setattr(runtime, "world_size", lambda: 2)

    def all_gather(parts, tensor, group=None):
        parts[0].copy_(tensor)
        parts[1].copy_(answer(tensor))

    monkeypatch.setattr(dist, "all_gather", all_gather)


def make_model():
    keras.utils.set_random_seed(1)
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(4, activation="relu"),
                              keras.layers.BatchNormalization(), keras.layers.Dense(2)])
    model.compile(optimizer="sgd", loss="mse", metrics=["mae"])
    return model


def test_one_process_has_no_replicas(monkeypatch):
    monkeypatch.delenv("WORLD_SIZE", raising=False)
    model = make_model()
    assert distributed.replicas(model) is None and not distributed.is_multi_process()
    with distributed.averaged_gradients(model):  # nothing to average
        pass
    model.fit(np.ones((4, 3)), np.ones((4, 2)), verbose=0)
    assert model._replicas is None


def test_replicas_in_a_group_of_one_train_like_one_process(group_of_one):
    x, y = np.random.default_rng(0).normal(size=(2, 12, 3)).astype("float32")
    y = y[:, :2]
    expected = make_model()
    expected.fit(x, y, batch_size=4, epochs=1, shuffle=False, verbose=0)
    model = make_model()
    replicas = distributed.Replicas(model)
    data = replicas.shard(model._adapt(x, y, None, 4), training=True)
    model._prepare(data)
    callbacks = CallbackList([], model=model)
    replicas.start(callbacks, default_step=True)
    model._untracked(_replicas=replicas)
    assert isinstance(model._forward_fn(training=True),
                      torch.nn.parallel.DistributedDataParallel)
    assert model._forward_fn() is model
    for batch in data.batches(shuffle=False):
        model.train_step(batch)
    replicas.end_epoch()
    assert replicas.agree_to_stop(False) is False and replicas.agree_to_stop(True) is True
    assert replicas.agree_to_stop(True, step_end=True) is True  # no stopping callback
    replicas.finish()
    model._untracked(_replicas=None)
    for got, want in zip(model.get_weights(), expected.get_weights()):
        np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-6)


def test_a_custom_train_step_gets_gradient_hooks(group_of_one):
    model = make_model()
    model.fit(np.ones((4, 3)), np.ones((4, 2)), verbose=0)
    replicas = distributed.Replicas(model)
    stopper = keras.callbacks.TerminateOnNaN()
    replicas.start(CallbackList([stopper], model=model), default_step=False)
    assert replicas.forward is None and replicas._check_each_step
    kernel = model.layers[0].kernel
    loss = model(torch.ones(2, 3)).sum()
    loss.backward()
    grad = kernel.grad.clone()
    replicas.finish()
    kernel.grad = None
    model(torch.ones(2, 3)).sum().backward()
    torch.testing.assert_close(kernel.grad, grad)  # averaged over one process: unchanged


def test_reduce_metrics_by_aggregation(group_of_one):
    mean = keras.metrics.Mean()
    mean.update_state([1.0, 3.0])
    first = keras.metrics.Sum()
    first.total.aggregation = "only_first_replica"
    first.update_state([5.0])
    local = keras.metrics.Sum()
    local.total.aggregation = "none"
    local.update_state([7.0])
    averaged = keras.metrics.Sum()
    averaged.total.aggregation = "mean"
    averaged.update_state([9.0])
    distributed.reduce_metrics([mean, first, local, averaged])
    assert [float(m.result()) for m in (mean, first, local, averaged)] == [2.0, 5.0, 7.0, 9.0]


def test_reduce_metrics_refuses_different_states(group_of_one, monkeypatch):
    metric = keras.metrics.Mean()
    fake_second_process(monkeypatch, lambda mine: torch.zeros_like(mine))
    with pytest.raises(RuntimeError, match=r"hold different metric states.*\[\(2, 2\), "
                                           r"\(0, 0\)\].*at least one batch"):
        distributed.reduce_metrics([metric])


def test_gather_predictions_in_a_group_of_one(group_of_one):
    outputs = [{"a": torch.ones(2, 1), "b": torch.zeros(2)}, {"a": torch.ones(1, 1) * 2,
                                                              "b": torch.ones(1)}]
    gathered = distributed.gather_predictions(outputs, data=None)
    assert len(gathered) == 1
    torch.testing.assert_close(gathered[0]["a"], torch.tensor([[1.0], [1.0], [2.0]]))
    torch.testing.assert_close(gathered[0]["b"], torch.tensor([0.0, 0.0, 1.0]))


def test_gather_predictions_refuses_a_process_without_batches(group_of_one, monkeypatch):
    fake_second_process(monkeypatch, lambda mine: torch.zeros_like(mine))
    with pytest.raises(ValueError, match=r"ran on 2 processes, but process\(es\) \[1\] "
                                         r"received no batch"):
        distributed.gather_predictions([torch.ones(2, 1)], data=None)


def test_sync_model_runs_once_per_model(group_of_one):
    model = make_model()
    before = [w.copy() for w in model.get_weights()]
    distributed.sync_model(model)
    assert model._replicas_synced
    for got, want in zip(model.get_weights(), before):
        np.testing.assert_array_equal(got, want)


def test_rank_1_neither_prints_nor_writes_files(monkeypatch, tmp_path):
    monkeypatch.setenv("RANK", "1")
    monkeypatch.setenv("WORLD_SIZE", "2")
    logger = keras.callbacks.CSVLogger(str(tmp_path / "log.csv"))
    checkpoint = keras.callbacks.ModelCheckpoint(str(tmp_path / "m.weights.h5"),
                                                 save_weights_only=True)
    history = keras.callbacks.History()
    callbacks = CallbackList([logger, checkpoint, history], add_progbar=True)
    assert callbacks.callbacks == [history]
    backup = keras.callbacks.BackupAndRestore(str(tmp_path / "backup"))
    backup._write({"format": "anything"})
    assert not (tmp_path / "backup").exists()
    (tmp_path / "backup").mkdir()
    (tmp_path / "backup" / "training_state.pt").write_bytes(b"rank 0's")
    backup.on_train_end()
    assert (tmp_path / "backup" / "training_state.pt").exists()


def test_only_callbacks_that_may_stop_mid_epoch_cost_a_flag_per_step(group_of_one, tmp_path):
    model = make_model()
    model.fit(np.ones((4, 3)), np.ones((4, 2)), verbose=0)
    for callback, each_step in ((keras.callbacks.BackupAndRestore(str(tmp_path)), False),
                                (keras.callbacks.CSVLogger(str(tmp_path / "log.csv")), False),
                                (keras.callbacks.EarlyStopping(), False),
                                (keras.callbacks.LambdaCallback(on_batch_end=print), True)):
        replicas = distributed.Replicas(model)
        replicas.start(CallbackList([callback], model=model), default_step=True)
        assert replicas._check_each_step is each_step, callback
        replicas.finish()
