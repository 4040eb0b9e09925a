"""Training throughput of lamina's `fit` side by side with two plain PyTorch loops.

The runners train the same model from the same initial weights on the same data:

- `lamina`: the Keras tutorial code, `model.compile(...)` then `model.fit(..., verbose=0)`.
- `lamina_pydataset`: the same, fed by a `keras.utils.PyDataset` slicing batches from the arrays
  (reported as `lamina_pydataset / lamina`).
- `torch_idiomatic`: the loop a PyTorch tutorial writes: `DataLoader(TensorDataset(...))`,
  `nn.Sequential`, a default `torch.optim` optimizer, `.item()` on loss and accuracy per step.
- `torch_expert`: the best hand loop: data resident on the device, a `randperm` per epoch with
  batches gathered by index, fused/foreach optimizer kernels, a fused logits loss, loss and
  correct counts accumulated on the device with one host sync per epoch.

Each runner reports the same per-epoch mean loss and accuracy, so none is spared work. After one
warm-up epoch per runner, each repeat times every runner over whole epochs (runners interleaved,
their order rotated per repeat, so machine noise hits all alike); the median samples/s is kept.

Run from the repository root: `PYTHONPATH=src .venv/bin/python benchmarks/fit_throughput.py`
(`make bench`), or `--help` for the options. See `benchmarks/README.md`.
"""

import argparse
import dataclasses
import datetime
import gc
import json
import os
import pathlib
import platform
import statistics
import sys
import time

_HERE = pathlib.Path(__file__).resolve().parent
if str(_HERE) not in sys.path:  # loaded by file path (the smoke test) instead of run as a script
    sys.path.insert(0, str(_HERE))
if str(_HERE.parent / "src") not in sys.path:  # `make bench` runs without PYTHONPATH=src
    sys.path.append(str(_HERE.parent / "src"))

import numpy as np  # noqa: E402
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402
from torch import nn  # noqa: E402
from torch.utils.data import DataLoader, TensorDataset  # noqa: E402

from workloads import WORKLOADS, initial_weights  # noqa: E402

RESULTS_DIR = _HERE / "results"


class TorchLSTMClassifier(nn.Module):
    """`nn.Embedding` -> `nn.LSTM(batch_first=True)` -> `head` on the last hidden state."""

    def __init__(self, workload, weights, head):
        super().__init__()
        table, kernel, recurrent, bias = weights[:4]
        self.embedding = nn.Embedding(*table.shape)
        self.lstm = nn.LSTM(table.shape[1], workload.lstm, batch_first=True)
        with torch.no_grad():
            self.embedding.weight.copy_(torch.from_numpy(table))
            # Keras' gates i, f, c, o are torch's i, f, g, o: a transpose is the whole mapping.
            self.lstm.weight_ih_l0.copy_(torch.from_numpy(kernel.T))  # (4 * units, features)
            self.lstm.weight_hh_l0.copy_(torch.from_numpy(recurrent.T))  # (4 * units, units)
            self.lstm.bias_ih_l0.copy_(torch.from_numpy(bias))
            self.lstm.bias_hh_l0.zero_()  # Keras has one bias
        self.head = head

    def forward(self, tokens):
        _, (h, _) = self.lstm(self.embedding(tokens))  # h: (layers=1, batch, units)
        return self.head(h[-1])


def torch_sequential(workload, weights, final_sigmoid):
    """`nn.Sequential` twin of the workload's Keras model, loaded with `weights` (Keras order).

    A convnet takes NCHW images, as PyTorch code does; an embedding workload gives a
    `TorchLSTMClassifier` whose head is this function's Dense stack. The final softmax is
    left out (the losses take logits); the final sigmoid is kept only when `final_sigmoid`
    is true, as a tutorial writing `nn.BCELoss` does.
    """
    if workload.embedding:
        head = dataclasses.replace(workload, inputs=workload.lstm, embedding=(), lstm=0)
        return TorchLSTMClassifier(workload, weights,
                                   torch_sequential(head, weights[4:], final_sigmoid))
    activations = {"relu": nn.ReLU, "tanh": nn.Tanh}
    layers = []
    weights = list(weights)
    for kernel_size, c_in, c_out in workload.conv_shapes:
        conv = nn.Conv2d(c_in, c_out, kernel_size)
        with torch.no_grad():  # Keras (k, k, in, out) -> torch (out, in, k, k)
            conv.weight.copy_(torch.from_numpy(weights.pop(0).transpose(3, 2, 0, 1)))
            conv.bias.copy_(torch.from_numpy(weights.pop(0)))
        layers += [conv, nn.ReLU(), nn.MaxPool2d(2)]
    if workload.conv:
        layers.append(nn.Flatten())
        # Keras flattens (h, w, c) and torch (c, h, w): reorder the first kernel's rows.
        height_width = workload.flat_features // workload.conv[-1][0]
        side = int(round(height_width ** 0.5))
        first = weights[0].reshape(side, side, workload.conv[-1][0], -1)
        weights[0] = first.transpose(2, 0, 1, 3).reshape(workload.flat_features, -1)
    for index, (fan_in, fan_out) in enumerate(workload.layer_sizes):
        linear = nn.Linear(fan_in, fan_out)
        with torch.no_grad():
            linear.weight.copy_(torch.from_numpy(weights[2 * index].T))  # (out, in)
            linear.bias.copy_(torch.from_numpy(weights[2 * index + 1]))
        layers.append(linear)
        if index < len(workload.hidden):
            layers.append(activations[workload.hidden[index][1]]())
            if workload.dropout:
                layers.append(nn.Dropout(workload.dropout))
    if final_sigmoid:
        layers.append(nn.Sigmoid())
    return nn.Sequential(*layers)


def _torch_images(x):
    """Samples as a torch tensor; images `(n, h, w, c)` seen as NCHW (a view, no copy)."""
    x = torch.from_numpy(x)
    return x.permute(0, 3, 1, 2) if x.dim() == 4 else x


def _probabilities(workload, outputs):
    if workload.output_activation == "softmax":
        return torch.softmax(outputs, dim=1)
    return torch.sigmoid(outputs)


class TorchIdiomatic:
    """The PyTorch tutorial loop: `DataLoader`, default optimizer, `.item()` every step."""

    name = "torch_idiomatic"

    def __init__(self, workload, weights, device):
        self.workload, self.device = workload, device
        binary = workload.output_activation == "sigmoid"
        self.model = torch_sequential(workload, weights, final_sigmoid=binary).to(device)
        self.criterion = nn.BCELoss() if binary else nn.CrossEntropyLoss()
        optimizer = torch.optim.Adam if workload.optimizer == "adam" else torch.optim.RMSprop
        self.optimizer = optimizer(self.model.parameters(), lr=1e-3)

    def _correct(self, outputs, targets):
        if self.workload.output_activation == "sigmoid":
            return ((outputs > 0.5).float() == targets).sum()
        return (outputs.argmax(dim=1) == targets.argmax(dim=1)).sum()

    def fit(self, x, y, epochs, shuffle=True):
        """Train for `epochs`; returns `[{"loss": ..., "acc": ...}]`, one dict per epoch."""
        images = _torch_images(x).contiguous()  # the NCHW array a PyTorch tutorial loads
        loader = DataLoader(TensorDataset(images, torch.from_numpy(y)),
                            batch_size=self.workload.batch_size, shuffle=shuffle)
        self.model.train()
        history = []
        for _ in range(epochs):
            running_loss, correct, total = 0.0, 0, 0
            for inputs, targets in loader:
                inputs, targets = inputs.to(self.device), targets.to(self.device)
                self.optimizer.zero_grad()
                outputs = self.model(inputs)
                loss = self.criterion(outputs, targets)
                loss.backward()
                self.optimizer.step()
                running_loss += loss.item() * inputs.size(0)  # host sync, as tutorials do
                correct += self._correct(outputs, targets).item()  # host sync
                total += inputs.size(0)
            history.append({"loss": running_loss / total, "acc": correct / total})
        return history

    def predict(self, x):
        """Inference-mode probabilities for `x`, as a numpy array."""
        self.model.eval()
        with torch.no_grad():
            outputs = self.model(_torch_images(x).contiguous().to(self.device))
        if self.workload.output_activation == "softmax":
            outputs = torch.softmax(outputs, dim=1)
        return outputs.cpu().numpy()


class TorchExpert:
    """The best hand-written loop: device-resident data, fused kernels, one sync per epoch;
    a convnet runs in the `channels_last` memory format (faster on CPUs and tensor cores)."""

    name = "torch_expert"

    def __init__(self, workload, weights, device):
        self.workload, self.device = workload, device
        self.model = torch_sequential(workload, weights, final_sigmoid=False).to(device)
        if workload.conv:
            self.model = self.model.to(memory_format=torch.channels_last)
        params = self.model.parameters()
        # Keras' hyper-parameters (epsilon 1e-7, RMSprop rho 0.9), so the runs stay comparable.
        if workload.optimizer == "adam":
            self.optimizer = torch.optim.Adam(params, lr=1e-3, eps=1e-7, fused=True)
        else:
            self.optimizer = torch.optim.RMSprop(params, lr=1e-3, alpha=0.9, eps=1e-7,
                                                 foreach=True)

    def _loss_and_correct(self, logits, targets):
        if self.workload.output_activation == "sigmoid":
            loss = F.binary_cross_entropy_with_logits(logits, targets)
            correct = ((logits.detach() > 0).to(targets.dtype) == targets).sum()
        else:
            loss = F.cross_entropy(logits, targets)  # soft targets: any label distribution works
            correct = (logits.detach().argmax(dim=1) == targets.argmax(dim=1)).sum()
        return loss, correct

    def fit(self, x, y, epochs, shuffle=True):
        """Train for `epochs`; returns `[{"loss": ..., "acc": ...}]`, one dict per epoch."""
        x = _torch_images(x).to(self.device)  # NHWC in memory: channels_last for a convnet
        y = torch.from_numpy(y).to(self.device)
        n, batch_size = x.shape[0], self.workload.batch_size
        self.model.train()
        history = []
        for _ in range(epochs):
            if shuffle:
                order = torch.randperm(n, device=self.device)
            else:
                order = torch.arange(n, device=self.device)
            loss_sum = torch.zeros((), device=self.device)
            correct = torch.zeros((), dtype=torch.int64, device=self.device)
            for start in range(0, n, batch_size):
                index = order[start:start + batch_size]
                inputs, targets = x.index_select(0, index), y.index_select(0, index)
                loss, batch_correct = self._loss_and_correct(self.model(inputs), targets)
                self.optimizer.zero_grad(set_to_none=True)
                loss.backward()
                self.optimizer.step()
                loss_sum.add_(loss.detach(), alpha=index.shape[0])
                correct.add_(batch_correct)
            # The epoch's only host-device sync.
            history.append({"loss": loss_sum.item() / n, "acc": correct.item() / n})
        return history

    def predict(self, x):
        """Inference-mode probabilities for `x`, as a numpy array."""
        self.model.eval()
        with torch.no_grad():
            logits = self.model(_torch_images(x).to(self.device))
        return _probabilities(self.workload, logits).cpu().numpy()


def lamina_problem():
    """Why the lamina runner cannot run here, or `None` when `import lamina` is ready."""
    try:
        import lamina
    except ImportError as error:
        return f"`import lamina` failed: {error}"
    if not hasattr(lamina, "Sequential"):
        return "`import lamina` works but `lamina.Sequential` does not exist yet"
    return None


class Lamina:
    """lamina through its Keras API, exactly as a Keras tutorial writes it."""

    name = "lamina"

    def __init__(self, workload, weights, device):
        # lamina reads its device from the environment when it first places a tensor.
        os.environ["LAMINA_DEVICE"] = str(device)
        problem = lamina_problem()
        if problem is not None:
            raise RuntimeError(f"The `lamina` runner needs the lamina package: {problem}. "
                               "Run from the repository root with `PYTHONPATH=src`, or pick "
                               "the torch runners: `--runners torch_expert torch_idiomatic`.")
        import lamina as keras

        self.workload = workload
        layers = [keras.Input(shape=workload.input_shape)]
        if workload.embedding:
            layers = [keras.Input(shape=workload.input_shape, dtype="int32"),
                      keras.layers.Embedding(*workload.embedding),
                      keras.layers.LSTM(workload.lstm)]
        for filters, kernel_size in workload.conv:
            layers += [keras.layers.Conv2D(filters, kernel_size, activation="relu"),
                       keras.layers.MaxPooling2D(2)]
        if workload.conv:
            layers.append(keras.layers.Flatten())
        for units, activation in workload.hidden:
            layers.append(keras.layers.Dense(units, activation=activation))
            if workload.dropout:
                layers.append(keras.layers.Dropout(workload.dropout))
        layers.append(keras.layers.Dense(workload.outputs,
                                         activation=workload.output_activation))
        self.model = keras.Sequential(layers)
        self.model.set_weights(weights)
        self.model.compile(optimizer=workload.optimizer, loss=workload.loss, metrics=["acc"])

    def fit(self, x, y, epochs, shuffle=True):
        """Train for `epochs`; returns `[{"loss": ..., "acc": ...}]`, one dict per epoch."""
        history = self.model.fit(x, y, batch_size=self.workload.batch_size, epochs=epochs,
                                 verbose=0, shuffle=shuffle).history
        return [{"loss": float(loss), "acc": float(acc)}
                for loss, acc in zip(history["loss"], history["acc"])]

    def predict(self, x):
        """Inference-mode probabilities for `x`, as a numpy array."""
        return np.asarray(self.model.predict(x, batch_size=len(x), verbose=0))


class LaminaPyDataset(Lamina):
    """lamina fed by a `keras.utils.PyDataset` whose `__getitem__` slices batches from the
    in-memory arrays: the price of Python-made batches (one `__getitem__`, a conversion and a
    hand-over from the prefetching thread per step) next to device-resident arrays."""

    name = "lamina_pydataset"

    def fit(self, x, y, epochs, shuffle=True):
        """Train for `epochs`; returns `[{"loss": ..., "acc": ...}]`, one dict per epoch."""
        import lamina as keras

        batch_size = self.workload.batch_size

        class ArrayBatches(keras.utils.PyDataset):
            def __len__(self):
                return -(-len(x) // batch_size)

            def __getitem__(self, index):
                window = slice(index * batch_size, (index + 1) * batch_size)
                return x[window], y[window]

        # `shuffle=True` shuffles the order of the batches, as Keras does for a PyDataset.
        history = self.model.fit(ArrayBatches(), epochs=epochs, verbose=0,
                                 shuffle=shuffle).history
        return [{"loss": float(loss), "acc": float(acc)}
                for loss, acc in zip(history["loss"], history["acc"])]


RUNNERS = {runner.name: runner
           for runner in (Lamina, LaminaPyDataset, TorchExpert, TorchIdiomatic)}
PEERS = ("torch_expert", "torch_idiomatic")
LAMINA_RUNNERS = ("lamina", "lamina_pydataset")
PYDATASET_TARGET = 0.8  # lamina_pydataset / lamina: Python-made batches cost at most 20%


def _synchronize(device):
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def benchmark_workload(workload, runner_names, device, epochs, repeats, max_rows, seed):
    """Time `runner_names` on `workload`; returns the workload's JSON-ready result."""
    x, y = workload.load(max_rows)
    weights = initial_weights(workload, seed=seed)
    runners = {}
    for name in runner_names:
        torch.manual_seed(seed)
        runners[name] = RUNNERS[name](workload, weights, device)
    for runner in runners.values():
        runner.fit(x, y, epochs=1)  # warm-up: first-call costs stay out of the timing
    rates = {name: [] for name in runner_names}
    last_epoch = {}
    for repeat in range(repeats):
        shift = repeat % len(runner_names)
        for name in runner_names[shift:] + runner_names[:shift]:
            gc.collect()
            _synchronize(device)
            start = time.perf_counter()
            history = runners[name].fit(x, y, epochs=epochs)
            _synchronize(device)
            rates[name].append(epochs * len(x) / (time.perf_counter() - start))
            last_epoch[name] = history[-1]
    result = {
        "workload": workload.name, "samples": len(x), "batch_size": workload.batch_size,
        "epochs": epochs, "repeats": repeats, "runners": {}, "ratios": {},
    }
    for name in runner_names:
        result["runners"][name] = {"samples_per_s": statistics.median(rates[name]),
                                   "runs": rates[name], **last_epoch[name]}
    if "lamina" in runner_names:
        for peer in PEERS:
            if peer in runner_names:
                # Paired ratios: within a repeat the runners run back to back, so a slow spell
                # of the shared machine hits both sides of each ratio alike. The median of the
                # per-repeat ratios is far steadier than a ratio of two medians.
                paired = [mine / theirs for mine, theirs in zip(rates["lamina"], rates[peer])]
                value = statistics.median(paired)
                target = workload.targets.get(peer)
                result["ratios"][f"lamina/{peer}"] = {
                    "value": value, "paired": paired, "target": target,
                    "met": None if target is None else value >= target}
    if "lamina" in runner_names and "lamina_pydataset" in runner_names:
        paired = [mine / theirs
                  for mine, theirs in zip(rates["lamina_pydataset"], rates["lamina"])]
        value = statistics.median(paired)
        result["ratios"]["lamina_pydataset/lamina"] = {
            "value": value, "paired": paired, "target": PYDATASET_TARGET,
            "met": value >= PYDATASET_TARGET}
    return result


def format_table(result, device, threads):
    """The human-readable table of one workload's result."""
    lines = [f"{result['workload']}: {result['samples']:,} samples, batch "
             f"{result['batch_size']}, {result['epochs']} timed epoch(s) x "
             f"{result['repeats']} repeat(s), {device}, {threads} thread(s)",
             f"  {'runner':<16}{'samples/s':>12}{'spread':>9}{'loss':>9}{'acc':>8}"]
    for name, row in result["runners"].items():
        spread = (max(row["runs"]) - min(row["runs"])) / row["samples_per_s"]
        lines.append(f"  {name:<16}{row['samples_per_s']:>12,.0f}{spread:>8.1%} "
                     f"{row['loss']:>8.4f}{row['acc']:>8.4f}")
    for label, ratio in result["ratios"].items():
        verdict = ""
        if ratio["target"] is not None:
            verdict = (f"  (target >= {ratio['target']:.2f}x: "
                       f"{'met' if ratio['met'] else 'MISSED'})")
        low, high = min(ratio["paired"]), max(ratio["paired"])
        lines.append(f"  {label:<26}{ratio['value']:>6.2f}x  (paired runs {low:.2f}-"
                     f"{high:.2f}){verdict}")
    return "\n".join(lines)


def machine_info(device):
    """Cores, versions and device names, recorded beside the numbers."""
    info = {"cores": os.cpu_count(), "threads": torch.get_num_threads(),
            "torch": torch.__version__, "numpy": np.__version__,
            "python": platform.python_version(), "platform": platform.platform(),
            "cpu": platform.processor(), "device": str(device)}
    cpuinfo = pathlib.Path("/proc/cpuinfo")
    if cpuinfo.exists():
        models = [line.split(":", 1)[1].strip() for line in cpuinfo.read_text().splitlines()
                  if line.startswith("model name")]
        info["cpu"] = models[0] if models else info["cpu"]
    if hasattr(os, "getloadavg"):  # other work on the machine skews every number
        info["load_average_1min"] = os.getloadavg()[0]
    if device.type == "cuda":
        info["gpu"] = torch.cuda.get_device_name(device)
    return info


def positive_int(text):
    """`argparse` type: a positive integer."""
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer. Received: {text!r}")
    return value


def parse_args(argv=None):
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workloads", nargs="+", choices=list(WORKLOADS),
                        default=list(WORKLOADS), help="Defaults to all.")
    parser.add_argument("--runners", nargs="+", choices=list(RUNNERS),
                        help="Defaults to all; lamina is skipped with a note if not importable.")
    parser.add_argument("--repeats", type=positive_int, default=7,
                        help="Timed repeats per runner; the median is reported. Defaults to 7.")
    parser.add_argument("--epochs", type=positive_int,
                        help="Timed epochs per repeat. Defaults to 1.")
    parser.add_argument("--max-rows", type=positive_int,
                        help="Train on the first rows only, for quick runs.")
    parser.add_argument("--threads", type=positive_int, default=cores,
                        help=f"torch.set_num_threads for every runner. Defaults to {cores}.")
    parser.add_argument("--device", default=None,
                        help="torch device. Defaults to cuda when available, else cpu.")
    parser.add_argument("--seed", type=int, default=0, help="Initial weights seed.")
    parser.add_argument("--output", type=pathlib.Path,
                        help="JSON file. Defaults to benchmarks/results/fit_throughput_<time>.json")
    return parser.parse_args(argv)


def main(argv=None):
    """Run the benchmark; prints one table per workload and returns the JSON-ready results."""
    args = parse_args(argv)
    device = torch.device(args.device or ("cuda" if torch.cuda.is_available() else "cpu"))
    torch.set_num_threads(args.threads)
    runner_names = args.runners or list(RUNNERS)
    if args.runners is None and lamina_problem() is not None:
        print(f"lamina runners skipped: {lamina_problem()}.\n")
        runner_names = [name for name in runner_names if name not in LAMINA_RUNNERS]
    stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
    output = args.output or RESULTS_DIR / f"fit_throughput_{stamp}.json"
    results = {"machine": machine_info(device), "settings": vars(args) | {"output": str(output)},
               "workloads": []}
    for name in args.workloads:
        result = benchmark_workload(WORKLOADS[name], runner_names, device, args.epochs or
                                    WORKLOADS[name].epochs, args.repeats, args.max_rows, args.seed)
        results["workloads"].append(result)
        print(format_table(result, device, args.threads) + "\n", flush=True)
    output.parent.mkdir(parents=True, exist_ok=True)
    partial = output.with_name(output.name + ".partial")
    partial.write_text(json.dumps(results, indent=2) + "\n")
    partial.replace(output)  # atomic: a reader never sees half a file
    print(f"results written to {output}")
    return results


if __name__ == "__main__":
    main()
