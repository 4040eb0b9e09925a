"""Per-step time of lamina's optimizers next to `torch.optim`'s, on the MNIST MLP's weights.

Each optimizer family is timed three ways on the same parameters (784x1000, 1000, 1000x10,
10: the `mnist_mlp` workload of `fit_throughput.py`) with the same fixed random gradients
in `.grad`, through the torch convention `optimizer.step()`:

- `lamina`: Keras 3's optimizer with Keras' defaults (`keras.optimizers.Adam()`, ...).
- `torch_default`: `torch.optim` with its defaults (`Adam(params)`, ...): what most torch code
  runs. On CPU that is torch's per-tensor loop; on CUDA its `foreach` kernels.
- `torch_fused`: the fastest `torch.optim` variant (`fused=True` where torch has a fused
  kernel, `foreach=True` elsewhere): the ceiling for an eager optimizer step.

The two libraries' default hyper-parameters differ (epsilon, RMSprop's rho), which changes
the numbers computed but not the work done. After untimed warm-up steps, each repeat times
`--steps` steps of every runner back to back (order rotated per repeat); the table shows
the median microseconds per step and `lamina/<peer>`, the median of the paired per-repeat
ratios of step rates (`peer time / lamina time`: above 1, lamina steps faster).

Run from the repository root: `PYTHONPATH=src .venv/bin/python benchmarks/optimizer_step.py`,
or `--help` for the options. See `benchmarks/README.md`.
"""

import argparse
import datetime
import gc
import json
import os
import pathlib
import statistics
import sys
import time

_HERE = pathlib.Path(__file__).resolve().parent
if str(_HERE) not in sys.path:  # loaded by file path (the smoke test) instead of run as a script
    sys.path.insert(0, str(_HERE))
if str(_HERE.parent / "src") not in sys.path:  # run without PYTHONPATH=src
    sys.path.append(str(_HERE.parent / "src"))

import torch  # noqa: E402

from fit_throughput import machine_info, positive_int  # noqa: E402
from lamina import optimizers  # noqa: E402

RESULTS_DIR = _HERE / "results"
# The MNIST MLP's weights in Keras' shapes: Dense kernels (in, out) and biases.
MNIST_MLP_SHAPES = [(784, 1000), (1000,), (1000, 10), (10,)]

# family -> (lamina optimizer, torch.optim with defaults, fastest torch.optim variant)
OPTIMIZERS = {
    "adam": (lambda: optimizers.Adam(),
             lambda params: torch.optim.Adam(params),
             lambda params: torch.optim.Adam(params, fused=True)),
    "adamw": (lambda: optimizers.AdamW(),
              lambda params: torch.optim.AdamW(params),
              lambda params: torch.optim.AdamW(params, fused=True)),
    "rmsprop": (lambda: optimizers.RMSprop(),
                lambda params: torch.optim.RMSprop(params),
                lambda params: torch.optim.RMSprop(params, foreach=True)),
    "sgd_momentum": (lambda: optimizers.SGD(momentum=0.9),
                     lambda params: torch.optim.SGD(params, momentum=0.9),
                     lambda params: torch.optim.SGD(params, momentum=0.9, fused=True)),
}
RUNNERS = ("lamina", "torch_default", "torch_fused")
PEERS = ("torch_default", "torch_fused")


def make_problem(shapes, device, seed=0):
    """Initial weights and fixed gradients (standard normal, scaled), on `device`."""
    gen = torch.Generator().manual_seed(seed)
    weights = [0.05 * torch.randn(shape, generator=gen) for shape in shapes]
    grads = [1e-3 * torch.randn(shape, generator=gen) for shape in shapes]
    return [w.to(device) for w in weights], [g.to(device) for g in grads]


def make_runner(family, runner, weights, grads):
    """`(optimizer, params)`: fresh parameters copied from `weights`, `.grad` set to `grads`."""
    params = [torch.nn.Parameter(w.clone()) for w in weights]
    for p, g in zip(params, grads):
        p.grad = g.clone()
    make = OPTIMIZERS[family][RUNNERS.index(runner)]
    if runner == "lamina":
        optimizer = make()
        optimizer.build(params)
    else:
        optimizer = make(params)
    return optimizer, params


def _synchronize(device):
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def time_steps(optimizer, steps, device):
    """Seconds per `optimizer.step()`, over `steps` steps, with Python's cyclic garbage
    collector paused (as `timeit` does): its pauses would land on whichever runner is timed."""
    _synchronize(device)
    gc.disable()
    try:
        start = time.perf_counter()
        for _ in range(steps):
            optimizer.step()
        _synchronize(device)  # the device may still be running the queued steps
        return (time.perf_counter() - start) / steps
    finally:
        gc.enable()


def benchmark_family(family, shapes, device, steps, warmup, repeats, seed=0):
    """Time the three runners of `family`; returns the JSON-ready result."""
    weights, grads = make_problem(shapes, device, seed)
    runners = {name: make_runner(family, name, weights, grads)[0] for name in RUNNERS}
    for optimizer in runners.values():
        time_steps(optimizer, warmup, device)  # state creation, first-call costs
    gc.collect()  # once: with torch imported a collection takes tenths of a second
    times = {name: [] for name in RUNNERS}
    for repeat in range(repeats):
        shift = repeat % len(RUNNERS)
        for name in RUNNERS[shift:] + RUNNERS[:shift]:
            times[name].append(time_steps(runners[name], steps, device))
    result = {"family": family, "steps": steps, "repeats": repeats, "runners": {},
              "ratios": {}}
    for name in RUNNERS:
        result["runners"][name] = {"seconds_per_step": statistics.median(times[name]),
                                   "runs": times[name]}
    for peer in PEERS:
        # Paired: both times of a ratio come from the same repeat, back to back, so a slow
        # spell of a shared machine hits both sides alike.
        paired = [theirs / mine for mine, theirs in zip(times["lamina"], times[peer])]
        result["ratios"][f"lamina/{peer}"] = {"value": statistics.median(paired),
                                              "paired": paired}
    return result


def format_table(result):
    """The human-readable table of one family's result."""
    lines = [f"{result['family']}: {result['steps']} steps x {result['repeats']} repeat(s)",
             f"  {'runner':<16}{'us/step':>10}{'spread':>9}"]
    for name, row in result["runners"].items():
        spread = (max(row["runs"]) - min(row["runs"])) / row["seconds_per_step"]
        lines.append(f"  {name:<16}{row['seconds_per_step'] * 1e6:>10.1f}{spread:>8.1%}")
    for label, ratio in result["ratios"].items():
        low, high = min(ratio["paired"]), max(ratio["paired"])
        lines.append(f"  {label:<26}{ratio['value']:>6.2f}x  (paired runs {low:.2f}-{high:.2f})")
    return "\n".join(lines)


def parse_args(argv=None):
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--optimizers", nargs="+", choices=list(OPTIMIZERS),
                        default=list(OPTIMIZERS), help="Defaults to all.")
    parser.add_argument("--steps", type=positive_int,
                        help="Timed steps per runner and repeat. Defaults to 200 on CPU, "
                             "1000 on CUDA.")
    parser.add_argument("--warmup", type=positive_int, default=10,
                        help="Untimed steps per runner first. Defaults to 10.")
    parser.add_argument("--repeats", type=positive_int, default=7,
                        help="Timed repeats per runner; medians are reported. Defaults to 7.")
    parser.add_argument("--threads", type=positive_int, default=cores,
                        help=f"torch.set_num_threads. Defaults to {cores}.")
    parser.add_argument("--device", default=None,
                        help="torch device. Defaults to cuda when available, else cpu.")
    parser.add_argument("--seed", type=int, default=0, help="Weights and gradients seed.")
    parser.add_argument("--output", type=pathlib.Path,
                        help="JSON file. Defaults to benchmarks/results/optimizer_step_<time>.json")
    return parser.parse_args(argv)


def main(argv=None):
    """Run the benchmark; prints one table per family and returns the JSON-ready results."""
    args = parse_args(argv)
    device = torch.device(args.device or ("cuda" if torch.cuda.is_available() else "cpu"))
    torch.set_num_threads(args.threads)
    steps = args.steps or (1000 if device.type == "cuda" else 200)
    stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
    output = args.output or RESULTS_DIR / f"optimizer_step_{stamp}.json"
    results = {"machine": machine_info(device),
               "settings": vars(args) | {"output": str(output), "steps": steps},
               "shapes": MNIST_MLP_SHAPES, "families": []}
    print(f"{device}, {args.threads} thread(s), weights {MNIST_MLP_SHAPES}\n")
    for family in args.optimizers:
        result = benchmark_family(family, MNIST_MLP_SHAPES, device, steps, args.warmup,
                                  args.repeats, args.seed)
        results["families"].append(result)
        print(format_table(result) + "\n", flush=True)
    output.parent.mkdir(parents=True, exist_ok=True)
    partial = output.with_name(output.name + ".partial")
    partial.write_text(json.dumps(results, indent=2, default=str) + "\n")
    partial.replace(output)  # atomic: a reader never sees half a file
    print(f"results written to {output}")
    return results


if __name__ == "__main__":
    main()
