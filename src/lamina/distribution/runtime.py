"""The process group lamina trains in: found, or formed from the launcher's environment.

One process per device, as `torchrun` starts them. `ensure_initialized` is what `fit`,
`evaluate` and `predict` call first: it returns the number of processes, forming torch's
default process group from `torchrun`'s variables (`RANK`, `WORLD_SIZE`, `LOCAL_RANK`,
`MASTER_ADDR`, `MASTER_PORT`) when a launcher started several processes and nobody has formed
it yet. On a single process it only reads the environment: nothing is initialised and the
training path is the plain one.

The backend follows the device: `gloo` on the CPU; on CUDA, `nccl` for device tensors and
`gloo` beside it for the small host-side exchanges (`control_group`), each process on the
GPU `LOCAL_RANK`.
"""

import atexit
import os

import torch
import torch.distributed as dist

from lamina import config
from lamina.validation import received

_CONTROL_GROUPS = {}  # default group -> a gloo group for CPU tensors (when the default lacks it)
_TORCHRUN_VARIABLES = ("RANK", "MASTER_ADDR", "MASTER_PORT")


def is_initialized():
    """Whether torch's default process group exists."""
    return dist.is_available() and dist.is_initialized()


def world_size():
    """The number of processes training together (1 without a process group)."""
    return dist.get_world_size() if is_initialized() else 1


def rank():
    """This process's rank: in the process group, or before it exists the launcher's `RANK`
    (0 without a launcher)."""
    return dist.get_rank() if is_initialized() else _env_int("RANK", 0)


def is_primary():
    """Whether this process prints and writes files: rank 0, or the only process."""
    return rank() == 0


def launched_processes():
    """The number of processes the launcher started (`WORLD_SIZE`; 1 when not launched)."""
    if is_initialized():
        return dist.get_world_size()
    return _env_int("WORLD_SIZE", 1)


def ensure_initialized():
    """The number of processes, after forming the process group from `torchrun`'s environment
    when there are several and no group exists yet.

    Raises:
        RuntimeError: If `WORLD_SIZE` says several processes but `RANK`, `MASTER_ADDR` or
            `MASTER_PORT` is missing.
    """
    if is_initialized():
        return dist.get_world_size()
    size = _env_int("WORLD_SIZE", 1)
    if size <= 1:
        return 1
    missing = [name for name in _TORCHRUN_VARIABLES if name not in os.environ]
    if missing:
        raise RuntimeError(
            f"The environment says this is one of {size} processes (WORLD_SIZE={size}) but "
            f"does not say how to reach the others: {', '.join(missing)} is not set. Launch "
            "the script with `torchrun --nproc_per_node=N train.py`, which sets them all, or "
            "call `keras.distribution.initialize(job_addresses, num_processes, process_id)`.")
    process_id = _env_int("RANK", 0)
    init_process_group(None, process_id, size, store=_launcher_store(process_id, size))
    return size


def _launcher_store(process_id, num_processes):
    """`torchrun`'s key-value store, under a prefix of this attempt's own.

    An elastic restart (`--max-restarts`) reuses the launcher's store, where the failed
    attempt left the addresses of its dead processes: a restarted process could read one
    of those before its peer overwrites it, and fail to connect. A prefix per attempt
    (`TORCHELASTIC_RESTART_COUNT`) keeps the attempts apart."""
    agent_store = os.environ.get("TORCHELASTIC_USE_AGENT_STORE") == "True"
    store = dist.TCPStore(os.environ["MASTER_ADDR"], _env_int("MASTER_PORT", 0),
                          num_processes, is_master=not agent_store and process_id == 0,
                          timeout=dist.default_pg_timeout, multi_tenant=not agent_store)
    attempt = os.environ.get("TORCHELASTIC_RESTART_COUNT", "0")
    return dist.PrefixStore(f"lamina/attempt_{attempt}", store)


def init_process_group(init_method, process_id, num_processes, store=None):
    """Form the default group from `store` (or `init_method`, e.g. `"tcp://host:port"`); on
    CUDA, first bind this process to its GPU (`LOCAL_RANK`)."""
    device = local_device(process_id)
    options = {"rank": process_id, "world_size": num_processes}
    if store is not None:
        options["store"] = store
    else:
        options["init_method"] = init_method
    if device.type == "cuda":
        torch.cuda.set_device(device)
        config.set_device(device)  # weights built from now on go to this process's GPU
        backend = "cpu:gloo,cuda:nccl"  # nccl for the training, gloo for host exchanges
        options["device_id"] = device
    else:
        backend = "gloo"
    dist.init_process_group(backend, **options)
    atexit.register(_destroy_at_exit)


def _destroy_at_exit():
    """Take down the group lamina formed, before the interpreter's own teardown.

    Left to interpreter shutdown, gloo's threads could outlive the objects they use: a
    process that had finished its work sometimes died with SIGABRT ("terminate called
    without an active exception") after its peer exited first, failing the whole `torchrun`
    job. A group the user formed is theirs to destroy."""
    _CONTROL_GROUPS.clear()
    if is_initialized():
        dist.destroy_process_group()


def local_device(process_id=None):
    """The device this process trains on: `cuda:LOCAL_RANK` on a CUDA machine (when lamina
    computes on CUDA), else lamina's device."""
    chosen = config.device()
    if chosen.type != "cuda" or not torch.cuda.is_available():
        return chosen
    process_id = rank() if process_id is None else process_id
    local = _env_int("LOCAL_RANK", process_id % max(torch.cuda.device_count(), 1))
    return torch.device("cuda", local)


def control_group():
    """A group that takes CPU tensors (for flags, seeds, gathered predictions): the default
    group when its backend has gloo, else a gloo group made once beside it."""
    if "cpu:gloo" in dist.get_backend_config():  # e.g. "cpu:gloo,cuda:nccl"
        return None  # the default group
    default = dist.group.WORLD
    if default not in _CONTROL_GROUPS:
        _CONTROL_GROUPS[default] = dist.new_group(backend="gloo")
    return _CONTROL_GROUPS[default]


def _env_int(name, default):
    value = os.environ.get(name)
    if value is None:
        return default
    try:
        return int(value)
    except ValueError:
        raise ValueError(f"The environment variable `{name}` must be an integer. "
                         + received(name, value)) from None
