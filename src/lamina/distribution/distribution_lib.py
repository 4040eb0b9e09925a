"""Keras 3's distribution API on torch.distributed: `DataParallel`, `list_devices`,
`initialize`, `set_distribution`.

lamina trains data-parallel with one process per device (`torchrun` starts them); each
process holds a full replica of the model and DistributedDataParallel averages the gradients.
A `DataParallel` distribution names those devices and says whether `fit` shards the data;
without one, a multi-process run is data-parallel all the same (see `training/distributed.py`).
Keras' model-parallel classes (`ModelParallel`, `DeviceMesh`, `LayoutMap`, `TensorLayout`)
have no counterpart here: see the package README.
"""

import contextlib
import os
import re

import torch

from lamina.distribution import runtime
from lamina.validation import received, validate_choice

_DEVICE_TYPES = ("cpu", "gpu")
_DEVICE_PATTERN = re.compile(r"^(cpu|gpu|cuda):(\d+)$")
_CURRENT = None  # the distribution set by `set_distribution`


def list_devices(device_type=None):
    """The devices that train together, as `"cpu:0"`, `"gpu:1"`... strings.

    In a multi-process run these are the global devices: one per process (lamina runs one
    process per device), numbered by rank. On a single process, the local devices: every GPU,
    or the one CPU device (torch treats all cores as one device).

    Args:
        device_type: `"cpu"` or `"gpu"`. Defaults to `None`: `"gpu"` when CUDA is available,
            else `"cpu"`.

    Returns:
        A list of device strings, never a mix of types.

    Example:
    >>> list_devices("cpu")
    ['cpu:0']
    """
    kind = _device_type(device_type)
    processes = runtime.launched_processes()
    if processes > 1:
        return [f"{kind}:{index}" for index in range(processes)]
    if kind == "gpu":
        return [f"gpu:{index}" for index in range(torch.cuda.device_count())]
    return ["cpu:0"]


def get_device_count(device_type=None):
    """The number of devices `list_devices(device_type)` returns."""
    return len(list_devices(device_type))


def initialize(job_addresses=None, num_processes=None, process_id=None):
    """Join the processes of a multi-process (possibly multi-node) job.

    Under `torchrun` nothing needs to be passed (its environment says everything, and `fit`
    would join by itself); call it at the top of the script so that weights built afterwards
    land on this process's GPU. Without a launcher, pass the coordinator's address and this
    process's place. Each argument may also come from the environment variables
    `KERAS_DISTRIBUTION_JOB_ADDRESSES`, `KERAS_DISTRIBUTION_NUM_PROCESSES` and
    `KERAS_DISTRIBUTION_PROCESS_ID`, as in Keras. A job of one process needs nothing: the
    call then does nothing.

    Args:
        job_addresses: Comma-separated `host:port` addresses of the processes; the first is
            the coordinator (process 0), the only one torch needs. Defaults to `None`.
        num_processes: The number of processes in the job. Defaults to `None`.
        process_id: This process's rank, from 0 (the coordinator) to `num_processes - 1`.
            Defaults to `None`.

    Raises:
        ValueError: If an argument is malformed or out of range, or only some are given.
        TypeError: If `job_addresses` is not a string.
        RuntimeError: If a process group with another size or rank already exists.
    """
    environ = os.environ
    if job_addresses is None:
        job_addresses = environ.get("KERAS_DISTRIBUTION_JOB_ADDRESSES")
    if num_processes is None and "KERAS_DISTRIBUTION_NUM_PROCESSES" in environ:
        num_processes = _env_count("KERAS_DISTRIBUTION_NUM_PROCESSES")
    if process_id is None and "KERAS_DISTRIBUTION_PROCESS_ID" in environ:
        process_id = _env_count("KERAS_DISTRIBUTION_PROCESS_ID")
    if job_addresses is None and num_processes is None and process_id is None:
        runtime.ensure_initialized()  # torchrun's environment, or a job of one process
        return
    coordinator, num_processes, process_id = _check_job(job_addresses, num_processes,
                                                        process_id)
    if runtime.is_initialized():
        if (runtime.world_size(), runtime.rank()) != (num_processes, process_id):
            raise RuntimeError(
                f"`initialize` was asked for process {process_id} of {num_processes}, but "
                "this process already belongs to a process group as process "
                f"{runtime.rank()} of {runtime.world_size()}. Call `initialize` once, before "
                "training.")
        return
    if num_processes > 1:
        runtime.init_process_group(f"tcp://{coordinator}", process_id, num_processes)


def _check_job(job_addresses, num_processes, process_id):
    """`(coordinator "host:port", num_processes, process_id)`, checked."""
    given = {"job_addresses": job_addresses, "num_processes": num_processes,
             "process_id": process_id}
    missing = [name for name, value in given.items() if value is None]
    if missing:
        raise ValueError(
            "`initialize` needs `job_addresses`, `num_processes` and `process_id` together "
            f"(or none of them, under torchrun). Missing: {', '.join(missing)}. Received: "
            + ", ".join(f"{k}={v!r}" for k, v in given.items()) + ".")
    if not isinstance(job_addresses, str):
        raise TypeError("`initialize` expects `job_addresses` to be a string of "
                         "comma-separated `host:port` addresses. "
                         + received("job_addresses", job_addresses))
    addresses = [part.strip() for part in job_addresses.split(",") if part.strip()]
    if not addresses or any(not re.fullmatch(r"[^\s:]+:\d+", a) for a in addresses):
        raise ValueError("`initialize` expects `job_addresses` to be comma-separated "
                         "`host:port` addresses, the coordinator first, e.g. "
                         "'10.0.0.1:1234,10.0.0.2:2345'. "
                         + received("job_addresses", job_addresses))
    for name, value in (("num_processes", num_processes), ("process_id", process_id)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise ValueError(f"`initialize` expects `{name}` to be a non-negative integer. "
                             + received(name, value))
    if num_processes < 1 or process_id >= num_processes:
        raise ValueError("`initialize` expects `0 <= process_id < num_processes`. Received: "
                         f"process_id={process_id}, num_processes={num_processes}.")
    if len(addresses) > 1 and len(addresses) != num_processes:
        raise ValueError(f"`initialize` received {len(addresses)} job addresses for "
                         f"num_processes={num_processes}: give one per process, or only the "
                         "coordinator's.")
    return addresses[0], num_processes, process_id


def _env_count(name):
    value = os.environ[name]
    try:
        return int(value)
    except ValueError:
        raise ValueError(f"The environment variable `{name}` must be an integer. "
                         + received(name, value)) from None


def _device_type(device_type):
    if device_type is None:
        return "gpu" if torch.cuda.is_available() else "cpu"
    kind = device_type.lower() if isinstance(device_type, str) else device_type
    return validate_choice("gpu" if kind == "cuda" else kind, "device_type", _DEVICE_TYPES,
                           "list_devices")


class Distribution:
    """The base of distributions: the devices a run trains on and how data reaches them.

    Args:
        devices: The device strings, one per process.
        batch_dim_name: The name of the data's sharded dimension. Defaults to `"batch"`.
        auto_shard_dataset: Whether `fit`/`evaluate`/`predict` give each process its own
            part of the data. Set `False` when each process already reads only its own
            data. Defaults to `True`.
    """

    def __init__(self, devices, batch_dim_name="batch", auto_shard_dataset=True):
        self._devices = list(devices)
        self._batch_dim_name = batch_dim_name
        self.auto_shard_dataset = bool(auto_shard_dataset)

    @property
    def devices(self):
        """The device strings, one per process (rank order)."""
        return list(self._devices)

    @property
    def batch_dim_name(self):
        return self._batch_dim_name

    @property
    def num_processes(self):
        """The number of processes in the run."""
        return runtime.launched_processes()

    @property
    def data_shard_id(self):
        """This process's part of the data (its rank)."""
        return runtime.rank()

    @contextlib.contextmanager
    def scope(self):
        """Make this distribution the current one inside a `with` block."""
        previous = distribution()
        set_distribution(self)
        try:
            yield
        finally:
            set_distribution(previous)

    def __repr__(self):
        return f"<{type(self).__name__} devices={self._devices}>"


class DataParallel(Distribution):
    """Data parallelism: a full replica of the model per device, each fed its own batches.

    lamina runs one process per device (launch with `torchrun --nproc_per_node=N`), so the
    devices must number the processes. `fit` gives each process `batch_size` samples per step
    (the batch size is per replica: a step trains on `batch_size * N` samples) and
    DistributedDataParallel averages the gradients. Setting this distribution is optional: a
    multi-process run is data-parallel without it; it makes `auto_shard_dataset=False`
    possible and checks the devices against the processes.

    Args:
        device_mesh: Not supported (lamina has no `DeviceMesh`); must be `None`.
        devices: The devices, as `list_devices()` names them (or torch devices), one per
            process. Defaults to `None`: `list_devices()`.
        auto_shard_dataset: See `Distribution`. Defaults to `True`.

    Raises:
        ValueError: If `device_mesh` is given, a device is malformed, or the number of
            devices is not the number of processes.

    Example:
    >>> distribution = DataParallel(devices=["cpu:0"])
    >>> distribution.num_model_replicas
    1
    """

    def __init__(self, device_mesh=None, devices=None, auto_shard_dataset=True):
        if device_mesh is not None:
            raise ValueError(
                "`DataParallel` does not take a `device_mesh` in lamina: there is no "
                "`DeviceMesh`, because lamina runs one process per device and each process "
                "holds a whole replica. Pass `devices=` (or nothing, for "
                "`list_devices()`). " + received("device_mesh", device_mesh))
        devices = list_devices() if devices is None else [_device_name(d) for d in devices]
        processes = runtime.launched_processes()
        if len(devices) != processes:
            raise ValueError(
                f"`DataParallel` received {len(devices)} devices ({devices}) but this run has "
                f"{processes} process{'es' if processes > 1 else ''}. lamina trains with one "
                "process per device: launch the script once per device with "
                f"`torchrun --nproc_per_node={len(devices)} train.py` (the same script, "
                "unchanged), and each process trains on its own device.")
        super().__init__(devices, "batch", auto_shard_dataset)

    @property
    def num_model_replicas(self):
        return len(self._devices)


def _device_name(device):
    if isinstance(device, torch.device):
        kind = "gpu" if device.type == "cuda" else device.type
        return f"{kind}:{device.index or 0}"
    match = _DEVICE_PATTERN.match(device.lower()) if isinstance(device, str) else None
    if match is None:
        raise ValueError("`DataParallel` expects each device to be a string such as 'gpu:0' "
                         "or 'cpu:0' (as `list_devices()` returns), or a torch device. "
                         + received("device", device))
    kind = "gpu" if match.group(1) == "cuda" else match.group(1)
    return f"{kind}:{match.group(2)}"


def distribution():
    """The distribution set with `set_distribution` (or `Distribution.scope`), or `None`."""
    return _CURRENT


def set_distribution(value):
    """Make `value` (a `DataParallel`, or `None`) the current distribution.

    Raises:
        TypeError: If `value` is not a distribution or `None`.
    """
    global _CURRENT
    if value is not None and not isinstance(value, Distribution):
        raise TypeError("`set_distribution` expects a `keras.distribution.DataParallel` or "
                        "None. " + received("value", value))
    _CURRENT = value
