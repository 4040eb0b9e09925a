"""Load benchmark of `lamina serve` on loopback: requests/s and latency with and without
dynamic batching.

Two servers run the same model, the MNIST MLP of the Keras tutorial (784-1000-10, random
weights from `--seed`, or trained for `--train-epochs` on `examples/data/mnist.npz`), each
in its own process (`python -m lamina.cli serve`), one with batching and one with
`--no-batching`. `--clients` concurrent clients (asyncio tasks sharing one httpx connection
pool, one request in flight each) send single-image requests (`{"inputs": [784 floats]}`,
MNIST test images when the file is there, else random pixels) as fast as answers come back.
Each run is bounded by `--duration` seconds and `--max-requests` requests. Runs alternate
between the two servers, their order rotated between repeats, and the ratios are paired per
repeat (as in `fit_throughput.py`).

Printed per mode: requests, errors, requests/s, p50 and p99 latency, the mean batch size
(requests answered / forward passes, from `/healthz`) and the server's CPU time per request
(from `/proc`, so Linux only); then the batching / no-batching ratios. On a busy machine
requests/s and latency mostly measure the competition for cores; CPU per request does not.
The servers run with `lamina serve`'s default torch threads (half the cores): torch's OpenMP
threads spin while they wait for work, so giving torch every core lets a batched forward
pass burn the CPU the event loop needs (on 2 cores that halved requests/s with batching).
Results also go to `benchmarks/results/serve_load_<time>.json` (gitignored).

    python benchmarks/serve_load.py                      # 16 clients, 3 repeats of 10 s
    python benchmarks/serve_load.py --duration 5 --repeats 1 --max-requests 2000
    python benchmarks/serve_load.py --torch-threads 1 --hidden 4096 4096  # a heavier model
"""

import argparse
import asyncio
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
MODES = ("batching", "no_batching")


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--duration", type=float, default=10.0, help="seconds per run")
    parser.add_argument("--max-requests", type=int, default=20000, help="requests per run")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--warmup", type=int, default=64, help="untimed requests per server")
    parser.add_argument("--max-batch-size", type=int, default=32)
    parser.add_argument("--batch-window-ms", type=float, default=2.0)
    parser.add_argument("--train-epochs", type=int, default=0,
                        help="train the MLP this many epochs first (default: random weights)")
    parser.add_argument("--torch-threads", type=int, default=None,
                        help="torch threads in each server (default: lamina serve's, half the cores)")
    parser.add_argument("--hidden", type=int, nargs="+", default=[1000],
                        help="hidden layer widths (default: the tutorial's 1000); e.g. "
                             "--hidden 4096 4096 for a model whose forward pass outweighs HTTP")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--no-save", action="store_true", help="don't write the JSON results")
    return parser.parse_args(argv)


def build_model(path, epochs, seed, hidden=(1000,)):
    """The tutorial MLP (784-1000-10, or other `hidden` widths), saved to `path`; returns
    sample images for the requests."""
    import lamina as keras

    keras.utils.set_random_seed(seed)
    model = keras.Sequential([keras.Input(shape=(784,))]
                             + [keras.layers.Dense(units, activation="relu") for units in hidden]
                             + [keras.layers.Dense(10, activation="softmax")], name="mnist_mlp")
    mnist = REPO / "examples" / "data" / "mnist.npz"
    if mnist.exists():
        with np.load(mnist, allow_pickle=False) as data:
            x_train, y_train = data["x_train"], data["y_train"]
            images = data["x_test"][:256].reshape(-1, 784).astype("float32") / 255
    else:
        x_train = y_train = None
        images = np.random.default_rng(seed).random((256, 784), dtype=np.float32)
    if epochs:
        if x_train is None:
            raise SystemExit(f"--train-epochs needs {mnist}")
        model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
        model.fit(x_train.reshape(-1, 784).astype("float32") / 255, y_train, batch_size=128,
                  epochs=epochs, verbose=0)
    model.save(path)
    return images


def start_server(model_path, port, batching, args):
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        [str(REPO / "src"), os.environ.get("PYTHONPATH", "")])}
    command = [sys.executable, "-m", "lamina.cli", "serve", str(model_path), "--port", str(port),
               "--log-level", "warning", "--max-batch-size", str(args.max_batch_size),
               "--batch-window-ms", str(args.batch_window_ms)]
    if args.torch_threads:
        command += ["--torch-threads", str(args.torch_threads)]
    if not batching:
        command.append("--no-batching")
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if process.poll() is not None:
            with process.stderr:
                raise RuntimeError(f"the server exited: {process.stderr.read().decode()}")
        try:
            health(port)
            return process
        except OSError:
            time.sleep(0.25)
    process.kill()
    process.wait()
    process.stderr.close()
    raise RuntimeError("the server did not start within 120 s")


def health(port):
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5) as response:
        return json.loads(response.read())


def free_port():
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


async def load(port, bodies, clients, duration, max_requests):
    """`clients` tasks posting `bodies` in turn until the time or request budget runs out;
    returns (latencies in seconds, errors, elapsed seconds)."""
    import httpx

    latencies, errors = [], 0
    sent = 0
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", limits=limits,
                                 timeout=30) as client:
        start = time.perf_counter()
        deadline = start + duration

        async def one_client(index):
            nonlocal sent, errors
            while sent < max_requests and time.perf_counter() < deadline:
                body = bodies[(index + sent) % len(bodies)]
                sent += 1
                began = time.perf_counter()
                try:
                    response = await client.post("/v1/predict", content=body,
                                                 headers={"content-type": "application/json"})
                    errors += response.status_code != 200
                except httpx.TransportError:  # counted, not fatal: the run goes on
                    errors += 1
                latencies.append(time.perf_counter() - began)

        await asyncio.gather(*(one_client(i) for i in range(clients)))
        elapsed = time.perf_counter() - start
    return latencies, errors, elapsed


def cpu_seconds(pid):
    """User + system CPU time of process `pid` (Linux `/proc`; `None` elsewhere)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def run_once(server, port, bodies, args):
    before, cpu_before = health(port), cpu_seconds(server.pid)
    latencies, errors, elapsed = asyncio.run(
        load(port, bodies, args.clients, args.duration, args.max_requests))
    after, cpu_after = health(port), cpu_seconds(server.pid)
    calls = after["model_calls"] - before["model_calls"]
    answered = after["requests"] - before["requests"]
    ms = np.array(latencies) * 1000
    return {"requests": len(latencies), "errors": errors, "seconds": elapsed,
            "requests_per_s": len(latencies) / elapsed, "p50_ms": float(np.percentile(ms, 50)),
            "p99_ms": float(np.percentile(ms, 99)), "mean_batch": answered / max(calls, 1),
            # The server's CPU time per answer: what batching saves, whatever else the
            # machine is doing (requests/s and latency also measure the competition for cores).
            "cpu_ms_per_request": None if cpu_before is None else
            1000 * (cpu_after - cpu_before) / max(answered, 1)}


def main(argv=None):
    args = parse_args(argv)
    with tempfile.TemporaryDirectory() as folder:
        model_path = Path(folder) / "mnist_mlp.keras"
        images = build_model(model_path, args.train_epochs, args.seed, args.hidden)
        bodies = [json.dumps({"inputs": [np.round(row, 4).tolist()]}).encode() for row in images]
        ports = {mode: free_port() for mode in MODES}
        servers = {}
        try:
            for mode in MODES:
                servers[mode] = start_server(model_path, ports[mode], mode == "batching", args)
                asyncio.run(load(ports[mode], bodies, args.clients, 60, args.warmup))
            runs = {mode: [] for mode in MODES}
            for repeat in range(args.repeats):
                order = MODES if repeat % 2 == 0 else MODES[::-1]
                for mode in order:
                    runs[mode].append(run_once(servers[mode], ports[mode], bodies, args))
        finally:
            for process in servers.values():
                process.terminate()
                process.wait(timeout=30)
                process.stderr.close()
    return report(runs, args)


def report(runs, args):
    widths = "-".join(str(w) for w in [784, *args.hidden, 10])
    print(f"lamina serve, MNIST MLP {widths}, {args.clients} clients, single-image requests, "
          f"{args.repeats} x {args.duration:g} s (at most {args.max_requests} requests) per mode; "
          f"batching: up to {args.max_batch_size} within {args.batch_window_ms:g} ms")
    print(f"{'mode':<12} {'requests':>9} {'errors':>7} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} "
          f"{'batch':>6} {'cpu ms/req':>10}")
    summary = {}
    for mode in MODES:
        keys = ["requests_per_s", "p50_ms", "p99_ms", "mean_batch"]
        if runs[mode][0]["cpu_ms_per_request"] is not None:
            keys.append("cpu_ms_per_request")
        median = {key: statistics.median(run[key] for run in runs[mode]) for key in keys}
        summary[mode] = median
        total = sum(run["requests"] for run in runs[mode])
        errors = sum(run["errors"] for run in runs[mode])
        print(f"{mode:<12} {total:>9} {errors:>7} {median['requests_per_s']:>9.0f} "
              f"{median['p50_ms']:>8.2f} {median['p99_ms']:>8.2f} {median['mean_batch']:>6.1f} "
              f"{median.get('cpu_ms_per_request', float('nan')):>10.2f}")
    pairs = list(zip(runs["batching"], runs["no_batching"]))
    keys = [key for key in ("requests_per_s", "p50_ms", "p99_ms", "cpu_ms_per_request")
            if key in summary["batching"]]
    ratios = {key: statistics.median(a[key] / b[key] for a, b in pairs) for key in keys}
    print(f"batching / no batching (paired medians): requests/s x{ratios['requests_per_s']:.2f}, "
          f"p50 x{ratios['p50_ms']:.2f}, p99 x{ratios['p99_ms']:.2f}"
          + (f", server CPU per request x{ratios['cpu_ms_per_request']:.2f}"
             if "cpu_ms_per_request" in ratios else ""))
    if not args.no_save:
        import torch

        folder = REPO / "benchmarks" / "results"
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"serve_load_{time.strftime('%Y%m%d_%H%M%S')}.json"
        path.write_text(json.dumps({
            "args": vars(args), "runs": runs, "medians": summary, "ratios": ratios,
            "machine": {"cores": os.cpu_count(), "cpu": platform.processor(),
                        "torch": torch.__version__, "numpy": np.__version__}}, indent=1))
        print(f"Results: {path}")
    return summary, ratios


if __name__ == "__main__":
    main()
