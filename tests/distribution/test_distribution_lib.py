"""`lamina.distribution`: Keras 3's distribution API on one process (devices, `DataParallel`,
`set_distribution`, `initialize`) and the process-group helpers of `runtime`. The
multi-process behaviour is tested under torchrun in `tests/training/test_distributed.py`."""

import datetime

import pytest
import torch
import torch.distributed as dist

from lamina import config, distribution
from lamina.distribution import runtime

TORCHRUN_VARIABLES = ("RANK", "WORLD_SIZE", "LOCAL_RANK", "MASTER_ADDR", "MASTER_PORT")


@pytest.fixture(autouse=True)
def _one_process(monkeypatch):
    """No launcher in the environment, and no distribution left set by a test."""
    for name in TORCHRUN_VARIABLES + ("KERAS_DISTRIBUTION_JOB_ADDRESSES",
                                      "KERAS_DISTRIBUTION_NUM_PROCESSES",
                                      "KERAS_DISTRIBUTION_PROCESS_ID"):
        monkeypatch.delenv(name, raising=False)
    yield
    distribution.set_distribution(None)


@pytest.fixture
def group_of_one(tmp_path):
    """A real (gloo) process group of one process, destroyed afterwards."""
    dist.init_process_group("gloo", init_method=f"file://{tmp_path / 'store'}", rank=0,
                            world_size=1)
    yield
    dist.destroy_process_group()


def test_list_devices_on_one_cpu_process():
    assert distribution.list_devices("cpu") == ["cpu:0"]
    assert distribution.list_devices("CPU") == ["cpu:0"]
    expected = [f"gpu:{i}" for i in range(torch.cuda.device_count())]
    assert distribution.list_devices("gpu") == expected
    assert distribution.list_devices("cuda") == expected
    default = "gpu" if torch.cuda.is_available() else "cpu"
    assert distribution.list_devices() == distribution.list_devices(default)
    assert distribution.get_device_count("cpu") == 1


def test_list_devices_under_torchrun_has_one_device_per_process(monkeypatch):
    monkeypatch.setenv("WORLD_SIZE", "3")
    assert distribution.list_devices("cpu") == ["cpu:0", "cpu:1", "cpu:2"]
    assert distribution.get_device_count("gpu") == 3


def test_list_devices_rejects_unknown_types():
    with pytest.raises(ValueError, match=r"`list_devices` expects `device_type` to be one of "
                                         r"'cpu', 'gpu'\. Received: device_type='tpu'"):
        distribution.list_devices("tpu")


def test_data_parallel_defaults_to_the_listed_devices():
    data_parallel = distribution.DataParallel()
    assert data_parallel.devices == distribution.list_devices()
    assert data_parallel.num_model_replicas == 1
    assert data_parallel.num_processes == 1
    assert data_parallel.data_shard_id == 0
    assert data_parallel.batch_dim_name == "batch"
    assert data_parallel.auto_shard_dataset is True
    assert repr(data_parallel) == f"<DataParallel devices={data_parallel.devices}>"


def test_data_parallel_normalises_device_names(monkeypatch):
    monkeypatch.setenv("WORLD_SIZE", "2")
    data_parallel = distribution.DataParallel(devices=["cuda:0", torch.device("cuda", 1)],
                                              auto_shard_dataset=False)
    assert data_parallel.devices == ["gpu:0", "gpu:1"]
    assert data_parallel.auto_shard_dataset is False


def test_data_parallel_needs_one_process_per_device():
    with pytest.raises(ValueError, match=r"received 2 devices \(\['cpu:0', 'cpu:1'\]\) but "
                                         r"this run has 1 process.*torchrun "
                                         r"--nproc_per_node=2"):
        distribution.DataParallel(devices=["cpu:0", "cpu:1"])


def test_data_parallel_rejects_a_device_mesh_and_bad_devices():
    with pytest.raises(ValueError, match="does not take a `device_mesh` in lamina"):
        distribution.DataParallel(device_mesh=object())
    with pytest.raises(ValueError, match=r"each device to be a string such as 'gpu:0'.*"
                                         r"Received: device='tpu:0'"):
        distribution.DataParallel(devices=["tpu:0"])


def test_set_distribution_and_scope():
    assert distribution.distribution() is None
    data_parallel = distribution.DataParallel()
    with data_parallel.scope():
        assert distribution.distribution() is data_parallel
    assert distribution.distribution() is None
    distribution.set_distribution(data_parallel)
    assert distribution.distribution() is data_parallel
    with pytest.raises(TypeError, match=r"expects a `keras.distribution.DataParallel` or "
                                        r"None\. Received: value='data'"):
        distribution.set_distribution("data")


def test_initialize_without_a_cluster_does_nothing():
    distribution.initialize()
    distribution.initialize("localhost:1234", num_processes=1, process_id=0)
    assert not runtime.is_initialized()


@pytest.mark.parametrize("arguments, message", [
    (("localhost:1234", None, 0), (r"needs `job_addresses`, `num_processes` and "
                                   r"`process_id` together.*Missing: num_processes")),
    (("localhost", 2, 0), (r"comma-separated `host:port` addresses.*"
                           r"Received: job_addresses='localhost'")),
    (("localhost:1", 2.0, 0), r"`num_processes` to be a non-negative integer"),
    (("localhost:1", 2, -1), r"`process_id` to be a non-negative integer"),
    (("localhost:1", 2, 2), r"`0 <= process_id < num_processes`. Received: process_id=2"),
    (("a:1,b:2,c:3", 2, 0), r"received 3 job addresses for num_processes=2"),
])
def test_initialize_rejects_bad_arguments(arguments, message):
    with pytest.raises(ValueError, match=message):
        distribution.initialize(*arguments)


def test_initialize_rejects_job_addresses_of_another_type():
    with pytest.raises(TypeError, match=r"`job_addresses` to be a string.*"
                                        r"Received: job_addresses=1234"):
        distribution.initialize(1234, 2, 0)


def test_initialize_reads_keras_environment_variables(monkeypatch):
    monkeypatch.setenv("KERAS_DISTRIBUTION_JOB_ADDRESSES", "localhost:1234")
    monkeypatch.setenv("KERAS_DISTRIBUTION_NUM_PROCESSES", "2")
    monkeypatch.setenv("KERAS_DISTRIBUTION_PROCESS_ID", "two")
    with pytest.raises(ValueError, match=r"`KERAS_DISTRIBUTION_PROCESS_ID` must be an "
                                         r"integer\. Received: "
                                         r"KERAS_DISTRIBUTION_PROCESS_ID='two'"):
        distribution.initialize()


def test_initialize_keeps_an_existing_group_and_rejects_another_shape(group_of_one):
    distribution.initialize("localhost:1234", num_processes=1, process_id=0)
    assert runtime.world_size() == 1
    with pytest.raises(RuntimeError, match=r"asked for process 1 of 2, but this process "
                                           r"already belongs to a process group as "
                                           r"process 0 of 1"):
        distribution.initialize("localhost:1234", num_processes=2, process_id=1)


def test_runtime_on_one_process():
    assert runtime.world_size() == 1 and runtime.rank() == 0
    assert runtime.is_primary() and runtime.launched_processes() == 1
    assert runtime.ensure_initialized() == 1
    assert runtime.local_device() == config.device()


def test_runtime_reads_the_launcher_rank_before_the_group_exists(monkeypatch):
    monkeypatch.setenv("RANK", "1")
    monkeypatch.setenv("WORLD_SIZE", "2")
    assert not runtime.is_primary()
    assert runtime.launched_processes() == 2


def test_runtime_explains_an_incomplete_launcher_environment(monkeypatch):
    monkeypatch.setenv("WORLD_SIZE", "2")
    monkeypatch.setenv("RANK", "0")
    with pytest.raises(RuntimeError, match=r"one of 2 processes \(WORLD_SIZE=2\).*"
                                           r"MASTER_ADDR, MASTER_PORT is not set"):
        runtime.ensure_initialized()
    monkeypatch.setenv("WORLD_SIZE", "two")
    with pytest.raises(ValueError, match=r"`WORLD_SIZE` must be an integer\. "
                                         r"Received: WORLD_SIZE='two'"):
        runtime.ensure_initialized()


def test_runtime_with_a_group(group_of_one):
    assert runtime.is_initialized() and runtime.ensure_initialized() == 1
    assert runtime.is_primary()
    assert runtime.control_group() is None  # gloo takes CPU tensors itself


def test_each_elastic_restart_gets_its_own_keys_in_the_launcher_store(monkeypatch):
    import socket

    with socket.socket() as probe:  # a free port for the store that rank 0 hosts
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    monkeypatch.setenv("MASTER_ADDR", "127.0.0.1")
    monkeypatch.setenv("MASTER_PORT", str(port))
    monkeypatch.setenv("TORCHELASTIC_RESTART_COUNT", "1")
    store = runtime._launcher_store(0, 1)
    store.set("rank_0", "address")
    raw = dist.TCPStore("127.0.0.1", port, 1, is_master=False,
                        timeout=datetime.timedelta(seconds=5))
    assert raw.get("lamina/attempt_1/rank_0") == b"address"


EXIT_PROBE = """
import atexit, sys
import torch.distributed as dist
import lamina as keras
# Registered before lamina forms the group, so it runs after lamina's own exit handler.
atexit.register(lambda: print("initialized at exit:", dist.is_initialized(), flush=True))
keras.distribution.initialize(sys.argv[1], num_processes=2, process_id=int(sys.argv[2]))
print("world size:", dist.get_world_size(), flush=True)
"""


def test_a_group_lamina_formed_is_destroyed_before_the_interpreter_exits(tmp_path):
    import os
    import socket
    import subprocess
    import sys

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    script = tmp_path / "probe.py"
    script.write_text(EXIT_PROBE)
    env = {**os.environ, "LAMINA_DEVICE": "cpu", "OMP_NUM_THREADS": "1"}
    processes = [subprocess.Popen([sys.executable, str(script), f"127.0.0.1:{port}", str(rank)],
                                  env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                  text=True) for rank in (0, 1)]
    for process in processes:
        out, err = process.communicate(timeout=120)
        assert process.returncode == 0, err[-3000:]
        assert out.splitlines() == ["world size: 2", "initialized at exit: False"], err[-3000:]
