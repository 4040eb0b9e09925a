"""Multi-process training under `torchrun` (2 CPU processes, gloo): the weights equal those of
one process trained on the same global batches, every process logs the same numbers, only
rank 0 writes files, and evaluate/predict combine the processes' shares in order.

The runs launch `distributed_workers/train_worker.py` with `torch.distributed.run` and read
what each process wrote. The single-process pieces (the shard arithmetic, the API) are in
`tests/distribution/`.
"""

import json
import os
import pathlib
import subprocess
import sys

import numpy as np
import pytest

import lamina as keras

WORKERS = pathlib.Path(__file__).parent / "distributed_workers"
SRC = pathlib.Path(__file__).resolve().parents[2] / "src"
GLOBAL_BATCH = 32  # 16 per process, 2 processes


def torchrun(script, *args, nproc=2, max_restarts=0, timeout=240):
    """Run `script` under torchrun (gloo on CPU); return the completed process."""
    env = {**os.environ, "PYTHONPATH": f"{SRC}{os.pathsep}{os.environ.get('PYTHONPATH', '')}",
           "OMP_NUM_THREADS": "1", "LAMINA_DEVICE": "cpu"}
    env.pop("WORLD_SIZE", None)
    command = [sys.executable, "-m", "torch.distributed.run", f"--nproc_per_node={nproc}",
               "--rdzv-backend=c10d", "--rdzv-endpoint=localhost:0",
               f"--max-restarts={max_restarts}", str(script), *map(str, args)]
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=timeout,
                          check=False)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-5000:]
    return done


def load(out, rank):
    with open(out / f"results_rank{rank}.json") as f:
        plain = json.load(f)
    arrays = dict(np.load(out / f"results_rank{rank}.npz"))
    for name in list(arrays):
        if "/" in name:
            base, index = name.split("/")
            plain.setdefault(base, {})[int(index)] = arrays.pop(name)
    for name, parts in list(plain.items()):
        if isinstance(parts, dict) and parts and all(isinstance(k, int) for k in parts):
            plain[name] = [parts[i] for i in sorted(parts)]
    return {**plain, **arrays}


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    out = tmp_path_factory.mktemp("distributed")
    rng = np.random.default_rng(3)
    data = {"x": rng.normal(size=(90, 8)), "y": rng.integers(0, 3, size=90),
            "x_val": rng.normal(size=(21, 8)), "y_val": rng.integers(0, 3, size=21),
            "x_test": rng.normal(size=(37, 8)), "y_test": rng.integers(0, 3, size=37),
            "x_new": rng.normal(size=(7, 8))}
    data = {k: v.astype("float32") if v.dtype.kind == "f" else v for k, v in data.items()}
    np.savez(out / "data.npz", **data)
    torchrun(WORKERS / "train_worker.py", out)
    return out, data, [load(out, 0), load(out, 1)]


def reference_model(weights):
    """One process, rank 0's initial weights (as in the worker's `build_model`)."""
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((8,)), keras.layers.Dense(16, activation="relu"),
                              keras.layers.Dense(3, activation="softmax")])
    model.compile(optimizer=keras.optimizers.Adam(0.01),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    model.set_weights(weights)
    return model


@pytest.fixture(scope="module")
def reference(run):
    """One process trained on the global batches of the 2-process run: epoch `e` runs over
    `x[order_e]` (the shared order, padded) in batches of 32, unshuffled."""
    _, data, ranks = run
    model = reference_model(ranks[0]["initial"])
    history = {}
    for order in ranks[0]["orders"]:
        fitted = model.fit(data["x"][order], data["y"][order], batch_size=GLOBAL_BATCH,
                           epochs=1, shuffle=False, verbose=0,
                           validation_data=(data["x_val"], data["y_val"]))
        for key, values in fitted.history.items():
            history.setdefault(key, []).extend(values)
    return model, history


@pytest.mark.slow
def test_weights_match_one_process_trained_on_the_global_batches(run, reference):
    _, _, ranks = run
    model, _ = reference
    assert len(ranks[0]["orders"]) == 2  # one shared order per epoch
    for order_0, order_1 in zip(ranks[0]["orders"], ranks[1]["orders"]):
        np.testing.assert_array_equal(order_0, order_1)
        assert len(order_0) == 90  # 45 per process: no padding needed for 90 samples
    for rank in ranks:
        for got, want in zip(rank["trained"], model.get_weights()):
            np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)
    for got_0, got_1 in zip(ranks[0]["trained"], ranks[1]["trained"]):
        np.testing.assert_array_equal(got_0, got_1)  # the same all-reduced steps


@pytest.mark.slow
def test_every_process_logs_the_same_loss_and_accuracy_as_one_process(run, reference):
    _, _, ranks = run
    _, expected = reference
    assert ranks[0]["history"] == ranks[1]["history"]
    assert sorted(ranks[0]["history"]) == ["accuracy", "loss", "val_accuracy", "val_loss"]
    for key, values in expected.items():
        np.testing.assert_allclose(ranks[0]["history"][key], values, rtol=1e-5, atol=1e-6)


@pytest.mark.slow
def test_only_rank_0_writes_files(run):
    out, _, _ = run
    assert (out / "log_rank0.csv").exists() and not (out / "log_rank1.csv").exists()
    with open(out / "log_rank0.csv") as f:
        assert f.read().count("\n") == 3  # header + 2 epochs
    assert (out / "ckpt_rank0" / "model.weights.h5").exists()
    assert not (out / "ckpt_rank1").exists()
    assert (out / "tb_rank0").exists() and not (out / "tb_rank1").exists()


@pytest.mark.slow
def test_evaluate_and_predict_combine_every_process_share_in_order(run):
    _, data, ranks = run
    model = reference_model(ranks[0]["trained"])
    expected = model.evaluate(data["x_test"], data["y_test"], verbose=0, return_dict=True)
    predicted = model.predict(data["x_new"], verbose=0)
    for rank in ranks:
        for name in ("evaluate", "evaluate_loader", "evaluate_pydataset"):
            assert rank[name].keys() == expected.keys()
            for key, value in expected.items():
                assert rank[name][key] == pytest.approx(value, rel=1e-5, abs=1e-6), name
        for name in ("predict", "predict_pydataset", "predict_generator", "predict_loader"):
            assert rank[name].shape == (7, 3), name
            np.testing.assert_allclose(rank[name], predicted, rtol=1e-5, atol=1e-6,
                                       err_msg=name)


@pytest.mark.slow
def test_batch_sources_train_the_same_weights_on_every_process(run):
    _, _, ranks = run
    for name in ("loader_trained", "pydataset_trained"):
        for got_0, got_1 in zip(ranks[0][name], ranks[1][name]):
            np.testing.assert_array_equal(got_0, got_1)
    for name in ("loader_history", "pydataset_history"):
        assert ranks[0][name] == ranks[1][name]
    assert len(ranks[0]["loader_history"]["loss"]) == 2


@pytest.mark.slow
def test_a_custom_train_step_averages_gradients_like_ddp(run):
    _, _, ranks = run
    for rank in ranks:
        for got, want in zip(rank["custom_step"], rank["default_step"]):
            np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)


@pytest.mark.slow
def test_train_on_batch_averages_the_processes_gradients(run):
    _, data, ranks = run
    model = reference_model(ranks[0]["on_batch_initial"])  # rank 0's weights win
    model.train_on_batch(data["x"][:16], data["y"][:16])  # both halves in one batch
    for rank in ranks:
        for got, want in zip(rank["on_batch_trained"], model.get_weights()):
            np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)


@pytest.mark.slow
def test_a_stop_requested_by_one_process_stops_all_at_the_same_step(run):
    _, _, ranks = run
    for rank in ranks:
        assert rank["stopped_epochs"] == 1
        assert rank["stopped_iterations"] == 2  # batches 0 and 1, then every process stops


@pytest.mark.slow
@pytest.mark.parametrize("save_freq", ["epoch", 1])
def test_a_killed_process_restarts_and_resumes_from_the_backup(tmp_path, save_freq):
    rng = np.random.default_rng(4)
    x, y = rng.normal(size=(90, 8)).astype("float32"), rng.integers(0, 3, size=90)
    np.savez(tmp_path / "data.npz", x=x, y=y)
    torchrun(WORKERS / "restart_worker.py", tmp_path, save_freq, max_restarts=1)
    first = list(np.load(tmp_path / "orders_attempt0.npz").values())
    second = list(np.load(tmp_path / "orders_attempt1.npz").values())
    assert len(first) == 3  # epochs 0 and 1, then epoch 2 until rank 1 was killed
    if save_freq == "epoch":  # resumed from the backup of epoch 1: epoch 2 starts again
        assert len(second) == 2
        np.testing.assert_array_equal(second[0], first[2])  # epoch 2 draws its order again
        orders = first[:2] + second
    else:  # resumed after batch 0 of epoch 2: its saved order is replayed, not drawn
        assert len(second) == 1
        orders = first + second
    results = []
    for rank in (0, 1):
        with open(tmp_path / f"results_rank{rank}.json") as f:
            results.append(json.load(f))
    for result in results:
        assert result["attempt"] == 1
        assert result["epochs"] == [0, 1, 2, 3]
        assert result["iterations"] == 4 * 3  # 45 samples per process: 3 steps per epoch
    assert results[0]["history"] == results[1]["history"]
    assert not (tmp_path / "backup").exists()  # deleted by rank 0 at the end
    # One process over the same global batches, uninterrupted: the same weights, and the
    # same logs (an epoch resumed midway sums each process's own batches once).
    model = reference_model(list(np.load(tmp_path / "initial.npz").values()))
    history = {}
    for order in orders:
        fitted = model.fit(x[order], y[order], batch_size=GLOBAL_BATCH, epochs=1,
                           shuffle=False, verbose=0)
        for key, values in fitted.history.items():
            history.setdefault(key, []).extend(values)
    assert sorted(results[0]["history"]) == sorted(history) == ["accuracy", "loss"]
    for key, values in history.items():
        np.testing.assert_allclose(results[0]["history"][key], values, rtol=1e-5, atol=1e-6)
    for rank in (0, 1):
        trained = list(np.load(tmp_path / f"trained_rank{rank}.npz").values())
        for got, want in zip(trained, model.get_weights()):
            np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)
