"""Multi-process training: what `fit`, `evaluate` and `predict` add when several processes
train together (`torchrun --nproc_per_node=N train.py`). See `distribution/README.md`.

On one process none of this runs: `replicas()` returns `None` and the trainer's loop is the
single-process one, step for step. With several processes:

- the process group is found or formed from `torchrun`'s environment (`runtime`);
- every process starts from rank 0's weights (`sync_model`, once per model);
- each process reads its share of the data (`Replicas.shard`, see
  `data_adapters/sharding.py`); `batch_size` is per process;
- `fit`'s default `train_step` runs the forward pass through DistributedDataParallel, which
  averages the gradients during the backward pass; the optimizer then steps the model's own
  parameters. A custom `train_step` (and `train_on_batch`) gets its gradients averaged by a
  hook per parameter instead (`_GradientAverager`);
- metric and loss states are summed over the processes before their results are read
  (`reduce_metrics`, once per epoch and evaluation), so every process logs the same numbers;
  buffers that training changed (BatchNormalization's moving statistics) are averaged then;
- a `stop_training` set on any process stops all of them at the same step;
- `predict` gathers every process's outputs back into the data's order.

No host-device sync is added: metric states are all-reduced on their device, and flags,
seeds and gathered predictions are CPU tensors. Collectives added per step: DDP's gradient
all-reduce, and a CPU stop flag only when a callback may stop training mid-epoch; per pass, a
shared seed; per epoch, the metric states, a buffer mask and the stop flag.
"""

import contextlib
import inspect

import torch
import torch.distributed as dist
from torch.nn.parallel import DistributedDataParallel

from lamina.callbacks.callback_list import _overrides
from lamina.distribution import distribution_lib, runtime
from lamina.layers.keras_tensor import flatten, map_structure
from lamina.training.data_adapters.sharding import Sharding, shard

# Buffers are averaged once per epoch (`Replicas.end_epoch`), not broadcast before every forward
# pass (torch 2.13 renamed the option).
_NO_BUFFER_SYNC = ({"forward_sync_buffers": False}
                   if "forward_sync_buffers" in inspect.signature(DistributedDataParallel).parameters
                   else {"broadcast_buffers": False})
_STOPPING_HOOKS = (("on_train_batch_begin", "on_batch_begin"),
                   ("on_train_batch_end", "on_batch_end"))


def is_multi_process():
    """Whether several processes train together (forming the process group from
    `torchrun`'s environment if needed, as `train_on_batch` may be the first call)."""
    return runtime.ensure_initialized() > 1


def replicas(model):
    """The `Replicas` of a multi-process run (forming the process group from `torchrun`'s
    environment if needed), or `None` on one process."""
    if runtime.ensure_initialized() <= 1:
        return None
    return Replicas(model)


class Replicas:
    """The processes training `model` together, for the length of one `fit`, `evaluate` or
    `predict` call.

    Args:
        model: The model; moved to this process's device when it is elsewhere.
    """

    def __init__(self, model):
        self.model = model
        self.rank, self.world_size = runtime.rank(), runtime.world_size()
        self.control = runtime.control_group()  # CPU tensors: flags, seeds, predictions
        current = distribution_lib.distribution()
        self.auto_shard = current is None or current.auto_shard_dataset
        self.forward = None  # the model in DistributedDataParallel, while `fit` trains
        self._averager = None
        self._check_each_step = False
        self._versions = None
        device = runtime.local_device()
        first = next(model.parameters(), None)
        if device.type == "cuda" and first is not None and first.device != device:
            model.to(device)  # weights built before the process group joined, on GPU 0

    def shard(self, data, training):
        """`data` (an adapter) set to read this process's share (see `Sharding`)."""
        if not self.auto_shard:
            return data  # each process already reads its own data
        return shard(data, Sharding(self.rank, self.world_size, self._shared_seed, training))

    def _shared_seed(self):
        """A seed for a pass's order: every process draws from torch's generator (so their
        random streams stay alike, and a resumed run, its generator restored, draws the
        same); rank 0's draw is used."""
        seed = torch.randint(0, 2 ** 62, (1,), dtype=torch.int64)
        dist.broadcast(seed, src=0, group=self.control)
        return int(seed[0])

    # -- fit --------------------------------------------------------------------------------------
    def start(self, callbacks, default_step):
        """Before the first epoch: DistributedDataParallel for the default `train_step`
        (`default_step`), gradient hooks for a custom one."""
        model = self.model
        trainable = [p for p in model.parameters() if p.requires_grad]
        if trainable and default_step:
            # The weights and buffers are already rank 0's (`sync_model`).
            ddp = DistributedDataParallel(model, init_sync=False, **_NO_BUFFER_SYNC)
            self.forward = torch.compile(ddp) if model._jit else ddp
            self._ddp = ddp
        elif trainable:
            self._averager = _GradientAverager(trainable, self.world_size)
        # Callbacks that run on every process and may set `stop_training` within an epoch
        # (the same list on every process: rank-0-only callbacks never stop training).
        shared = [c for c in callbacks.callbacks if not getattr(c, "_never_stops_training", False)
                  and not getattr(c, "_primary_process_only", False)]
        self._check_each_step = any(_overrides(c, hook, alias) for c in shared
                                    for hook, alias in _STOPPING_HOOKS)
        self._versions = _buffer_versions(model)

    def agree_to_stop(self, stop, step_end=False):
        """`True` when any process set `stop_training`, so that all stop at the same step.

        At a step's end this exchanges a flag only when a callback may stop mid-epoch; the
        flag is a CPU tensor, so the device is not waited on."""
        if step_end and not self._check_each_step:
            return stop
        flag = torch.tensor([int(bool(stop))], dtype=torch.int32)
        dist.all_reduce(flag, op=dist.ReduceOp.MAX, group=self.control)
        return bool(flag[0])

    def end_epoch(self):
        """Before the epoch's logs are read: sum the metric states over the processes and
        average the buffers that the epoch changed."""
        reduce_metrics(self.model.metrics)
        changed = [now != before for now, before in
                   zip(_buffer_versions(self.model), self._versions)]
        if changed:
            mask = torch.tensor(changed, dtype=torch.int32)
            dist.all_reduce(mask, op=dist.ReduceOp.MAX, group=self.control)  # the same set
            buffers = [b for b, c in zip(_float_buffers(self.model), mask.tolist()) if c]
            _all_reduce_in_place(buffers, lambda flat: flat.div_(self.world_size))
        self._versions = _buffer_versions(self.model)

    def finish(self):
        """After `fit`: remove the gradient hooks and let DistributedDataParallel go."""
        if self._averager is not None:
            self._averager.remove()
        ddp = self.__dict__.pop("_ddp", None)
        if ddp is not None and hasattr(ddp, "_remove_autograd_hooks"):
            ddp._remove_autograd_hooks()
        self.forward = self._averager = None


def sync_model(model):
    """Give every process rank 0's weights and buffers, once per model (later, training keeps
    them equal). Load weights on every process, not only on rank 0."""
    if model.__dict__.get("_replicas_synced"):
        return
    tensors = [t.data for t in model.parameters()] + list(model.buffers())
    _all_reduce_in_place(tensors, None, broadcast=True)
    object.__setattr__(model, "_replicas_synced", True)


@contextlib.contextmanager
def averaged_gradients(model):
    """Average the gradients of the backward passes inside over the processes (for
    `train_on_batch`); nothing on one process."""
    if not is_multi_process():
        yield
        return
    averager = _GradientAverager([p for p in model.parameters() if p.requires_grad],
                                 runtime.world_size())  # formed by `is_multi_process`
    try:
        yield
    finally:
        averager.remove()


class _GradientAverager:
    """All-reduces each parameter's gradient as soon as the backward pass has accumulated it
    (one collective per parameter: slower than DDP's buckets, but independent of how the
    step calls the model)."""

    def __init__(self, parameters, world_size):
        self._world_size = world_size
        self._handles = [p.register_post_accumulate_grad_hook(self._average)
                         for p in parameters]

    def _average(self, parameter):
        dist.all_reduce(parameter.grad)
        parameter.grad.div_(self._world_size)

    def remove(self):
        for handle in self._handles:
            handle.remove()
        self._handles = []


# -- metrics -----------------------------------------------------------------------------------
def reduce_metrics(metrics):
    """Combine every metric's state over the processes, in place, by each variable's
    `aggregation` (`"sum"`, the default; `"mean"`; `"only_first_replica"`; `"none"` stays
    local). Every process then reads the results of all the data.

    Raises:
        RuntimeError: If the processes hold different metric states (a process that saw no
            data never built its metrics).
    """
    variables = [v for metric in metrics for v in metric.variables]
    mine = torch.tensor([len(variables), sum(v.numel() for v in variables)])
    everyone = [torch.empty_like(mine) for _ in range(runtime.world_size())]
    dist.all_gather(everyone, mine, group=runtime.control_group())
    if any(not torch.equal(other, mine) for other in everyone):
        raise RuntimeError(
            "The processes hold different metric states ((variables, values) per process: "
            f"{[tuple(t.tolist()) for t in everyone]}), so their results cannot be combined. "
            "A process that received no data never built its metrics: give every process at "
            "least one batch (the data needs as many samples as there are processes).")
    by_rule = {}
    for variable in variables:
        rule = getattr(variable, "aggregation", "sum")
        if rule != "none":
            by_rule.setdefault(rule, []).append(variable)
    world_size = runtime.world_size()
    for rule, group in by_rule.items():
        if rule == "only_first_replica":
            _all_reduce_in_place(group, None, broadcast=True)
        else:
            _all_reduce_in_place(group, (lambda flat: flat.div_(world_size))
                                 if rule == "mean" else None)


def _all_reduce_in_place(tensors, finish, broadcast=False):
    """Sum (or broadcast from rank 0) `tensors` over the processes in one collective per
    device and dtype, then `finish(flat)` (e.g. divide) and write the results back."""
    groups = {}
    for tensor in tensors:
        groups.setdefault((tensor.device, tensor.dtype), []).append(tensor)
    for (device, _), group in groups.items():
        flat = torch.cat([t.detach().reshape(-1) for t in group])
        process_group = None if device.type != "cpu" else runtime.control_group()
        if broadcast:
            dist.broadcast(flat, src=0, group=process_group)
        else:
            dist.all_reduce(flat, group=process_group)
        if finish is not None:
            finish(flat)
        with torch.no_grad():
            for tensor, part in zip(group, flat.split([t.numel() for t in group])):
                tensor.copy_(part.view_as(tensor))


def _float_buffers(model):
    return [b for b in model.buffers() if b.is_floating_point()]


def _buffer_versions(model):
    """The version counters of the model's float buffers (bumped by every in-place write)."""
    return [b._version for b in _float_buffers(model)]


# -- predict -----------------------------------------------------------------------------------
def gather_predictions(outputs, data):
    """Every process's `outputs` (its per-batch output structures, on the host) put together
    in the order of the data, on every process.

    Returns:
        A list holding one output structure of whole tensors.

    Raises:
        ValueError: On every process, if some process predicted no batch.
    """
    if torch.cuda.is_available() and torch.cuda.is_initialized():
        torch.cuda.synchronize()  # host sync: the non-blocking copies to the host have landed
    group, world_size = runtime.control_group(), runtime.world_size()
    lengths = torch.tensor([flatten(o)[0].shape[0] for o in outputs], dtype=torch.int64)
    counts = _all_gather_sizes(torch.tensor([len(lengths)]), group)
    empty = [rank for rank, count in enumerate(counts.tolist()) if count == 0]
    if empty:
        raise ValueError(
            f"`predict` ran on {world_size} processes, but process(es) {empty} received no "
            "batch. Each process predicts its share of the data: pass at least one batch "
            "per process (as many samples as processes, for arrays).")
    padded = torch.zeros(int(counts.max()), dtype=torch.int64)
    padded[:len(lengths)] = lengths
    all_lengths = _all_gather_sizes(padded, group).reshape(world_size, -1)
    per_rank = [all_lengths[r, :counts[r]].tolist() for r in range(world_size)]
    sharding = getattr(data, "sharding", None)
    pieces = _global_order(per_rank, sharding is None or sharding.rank_major)
    rows = [sum(lengths) for lengths in per_rank]
    joined = []
    for parts in zip(*[flatten(o) for o in outputs]):
        local = torch.cat(parts)
        buffer = local.new_zeros((max(rows), *local.shape[1:]))
        buffer[:len(local)] = local
        gathered = [torch.empty_like(buffer) for _ in range(world_size)]
        dist.all_gather(gathered, buffer, group=group)
        joined.append(torch.cat([gathered[r][start:stop] for r, start, stop in pieces]))
    columns = iter(joined)
    return [map_structure(lambda _: next(columns), outputs[0])]


def _all_gather_sizes(tensor, group):
    parts = [torch.empty_like(tensor) for _ in range(runtime.world_size())]
    dist.all_gather(parts, tensor, group=group)
    return torch.cat(parts)


def _global_order(per_rank, rank_major):
    """`(rank, start, stop)` row ranges of the gathered outputs in the data's order: each
    process's block in turn (`rank_major`), or batch `k` of every process in turn."""
    offsets = [[0] for _ in per_rank]
    for rank, lengths in enumerate(per_rank):
        for length in lengths:
            offsets[rank].append(offsets[rank][-1] + length)
    if rank_major:
        return [(rank, 0, ends[-1]) for rank, ends in enumerate(offsets)]
    most = max(len(lengths) for lengths in per_rank)
    return [(rank, offsets[rank][k], offsets[rank][k + 1]) for k in range(most)
            for rank in range(len(per_rank)) if k < len(per_rank[rank])]
