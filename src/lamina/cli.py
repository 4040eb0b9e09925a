"""The `lamina` command.

    lamina serve MODEL.keras [--host 127.0.0.1] [--port 8000] [--max-batch-size 32]
                             [--batch-window-ms 2] [--no-batching] [--max-body-size 8MiB]
                             [--torch-threads N]
    lamina summary MODEL.keras
    lamina predict MODEL.keras INPUT.npy [-o OUT.npy] [--batch-size 32]
    lamina demo [--epochs 10] [--save MNIST.keras] [--serve] [--host ...] [--port ...]

Models are loaded in safe mode: a file that would run code (a Python lambda, a class from a
module that is not registered) is refused.
"""

import argparse
import io
import os
import re
import sys

import numpy as np

SIZE_UNITS = {"": 1, "b": 1, "k": 1024, "kb": 1024, "kib": 1024, "m": 1024 ** 2, "mb": 1024 ** 2,
              "mib": 1024 ** 2}


class CommandError(Exception):
    """A problem to report in one line, with exit status 1."""


def main(argv=None):
    """Run the `lamina` command with `argv` (defaults to `sys.argv[1:]`); returns the exit
    status (argparse exits with 2 on bad arguments)."""
    args = build_parser().parse_args(argv)
    try:
        return args.run(args) or 0
    except (CommandError, OSError, ValueError, ImportError) as error:
        print(f"lamina {args.command}: error: {error}", file=sys.stderr)
        return 1


def build_parser():
    """The `argparse` parser of the `lamina` command and its sub-commands."""
    from lamina import __version__

    parser = argparse.ArgumentParser(
        prog="lamina", description="The Keras programming model on PyTorch: serve, inspect and "
                                   "run saved models.")
    parser.add_argument("--version", action="version", version=f"lamina {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    serve = commands.add_parser("serve", help="serve a .keras model over HTTP with a web page",
                                description="Serve predictions and a web page for a model.")
    serve.add_argument("model", help="the .keras file")
    _add_address(serve)
    serve.add_argument("--max-batch-size", type=_positive_int, default=32,
                       help="most samples run in one forward pass (default: 32)")
    serve.add_argument("--batch-window-ms", type=_window, default=2.0,
                       help="how long a request waits for others to batch with (default: 2)")
    serve.add_argument("--no-batching", dest="batching", action="store_false",
                       help="run every request on its own")
    serve.add_argument("--max-body-size", type=_size, default="8MiB",
                       help="largest request body, e.g. 512KiB or 8MiB (default: 8MiB)")
    serve.add_argument("--torch-threads", type=_positive_int, default=None,
                       help="torch's intra-op threads (default: half the CPU cores, at "
                            "least 1, leaving the rest to HTTP and JSON work)")
    serve.add_argument("--log-level", default="info",
                       choices=["critical", "error", "warning", "info", "debug"])
    serve.set_defaults(run=_serve)

    summary = commands.add_parser("summary", help="print a model's summary",
                                  description="Print model.summary() of a .keras file.")
    summary.add_argument("model", help="the .keras file")
    summary.set_defaults(run=_summary)

    predict = commands.add_parser(
        "predict", help="run a model on a .npy (or .npz) file",
        description="Run a model on the samples of a .npy file (an .npz of arrays named after "
                    "the inputs for a model with several inputs).")
    predict.add_argument("model", help="the .keras file")
    predict.add_argument("input", help="the .npy or .npz file of inputs, batch first")
    predict.add_argument("-o", "--output", help="write the outputs to this .npy (one output) "
                                                "or .npz file instead of printing them")
    predict.add_argument("--batch-size", type=_positive_int, default=32,
                         help="samples per forward pass (default: 32)")
    predict.set_defaults(run=_predict)

    demo = commands.add_parser(
        "demo", help="train the MNIST MLP of the Keras tutorial",
        description="Train the 784-1000-10 MLP on MNIST; optionally save and serve it.")
    demo.add_argument("--epochs", type=_count, default=10, help="(default: 10)")
    demo.add_argument("--save", metavar="PATH", help="save the trained model to this .keras file")
    demo.add_argument("--serve", action="store_true",
                      help="then serve it: draw digits at http://HOST:PORT/")
    _add_address(demo)
    demo.set_defaults(run=_demo)
    return parser


def _add_address(parser):
    parser.add_argument("--host", default="127.0.0.1",
                        help="address to bind (default: 127.0.0.1, this machine only)")
    parser.add_argument("--port", type=_port, default=8000, help="(default: 8000)")


# -- commands -------------------------------------------------------------------------------------
def default_torch_threads():
    """Torch threads for `lamina serve` when not given: half the CPU cores, at least one."""
    return max(1, (os.cpu_count() or 2) // 2)


def _serve(args):
    import torch

    from lamina.serve import server

    # torch's threads spin while they wait for work: with all cores to torch, a batched forward
    # pass starves the request handling (benchmarks/serve_load.py: 0.5x the requests/s on 2 cores).
    threads = args.torch_threads or default_torch_threads()
    torch.set_num_threads(threads)
    model = _load(args.model)
    server.serve_model(model, host=args.host, port=args.port, max_batch_size=args.max_batch_size,
                       batch_window_ms=args.batch_window_ms, batching=args.batching,
                       max_body_bytes=args.max_body_size, log_level=args.log_level)


def _summary(args):
    _load(args.model).summary()


def _predict(args):
    model = _load(args.model)
    x = _read_inputs(args.input, model)
    outputs = model.predict(x, batch_size=args.batch_size, verbose=0)
    names = list(outputs) if isinstance(outputs, dict) else list(model.output_names)
    arrays = list(outputs.values()) if isinstance(outputs, dict) else (
        list(outputs) if isinstance(outputs, (list, tuple)) else [outputs])
    if len(names) != len(arrays):
        names = [f"output_{i}" for i in range(len(arrays))]
    if args.output is None:
        for name, array in zip(names, arrays):
            print(f"{name}: shape {array.shape}, dtype {array.dtype}")
            print(np.array2string(array, threshold=200, edgeitems=3))
        return
    _write_outputs(args.output, names, arrays)
    print(f"Wrote {', '.join(f'{n} {a.shape}' for n, a in zip(names, arrays))} to {args.output}")


def _demo(args):
    from lamina.demo import train_mnist_mlp

    model, _ = train_mnist_mlp(epochs=args.epochs)
    if args.save:
        model.save(args.save)
        print(f"Saved the model to {args.save}")
    if args.serve:
        from lamina.serve import server

        server.serve_model(model, host=args.host, port=args.port)


# -- helpers --------------------------------------------------------------------------------------
def _load(path):
    from lamina.serve.server import load_model_for_serving

    return load_model_for_serving(path)


def _read_inputs(path, model):
    """A `.npy` array, or the arrays of a `.npz` by name (never pickles)."""
    if path.endswith(".npy"):
        return np.load(path, allow_pickle=False)
    if not path.endswith(".npz"):
        raise CommandError(f"INPUT must be a .npy or .npz file. Received: {path!r}.")
    with np.load(path, allow_pickle=False) as archive:
        arrays = {name: archive[name] for name in archive.files}
    names = list(model.input_names)
    if len(arrays) == 1 and len(names) <= 1:
        return next(iter(arrays.values()))
    missing = [name for name in names if name not in arrays]
    if missing:
        raise CommandError(f"{path} must hold one array per model input, named {names}. "
                           f"Received arrays: {sorted(arrays)} (missing {missing}).")
    return {name: arrays[name] for name in names}


def _write_outputs(path, names, arrays):
    from lamina.saving.atomic import atomic_write

    buffer = io.BytesIO()
    if path.endswith(".npz"):
        np.savez(buffer, **dict(zip(names, arrays)))
    elif path.endswith(".npy"):
        if len(arrays) != 1:
            raise CommandError(f"The model has {len(arrays)} outputs ({names}); write them to an "
                               f".npz file. Received: -o {path!r}.")
        np.save(buffer, arrays[0], allow_pickle=False)
    else:
        raise CommandError(f"-o must name a .npy or .npz file. Received: {path!r}.")
    with atomic_write(path) as file:
        file.write(buffer.getvalue())


def _positive_int(text):
    value = _int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer. Received: {text!r}.")
    return value


def _count(text):
    value = _int(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected an integer >= 0. Received: {text!r}.")
    return value


def _port(text):
    value = _int(text)
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"expected a port from 0 to 65535. Received: {text!r}.")
    return value


def _int(text):
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an integer. Received: {text!r}.") from None


def _window(text):
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0 <= value <= 1000:
        raise argparse.ArgumentTypeError("expected milliseconds from 0 to 1000. Received: "
                                         f"{text!r}.")
    return value


def _size(text):
    """`8MiB`, `512k`, `1048576` -> bytes."""
    found = re.fullmatch(r"\s*(\d+)\s*([a-zA-Z]*)\s*", text)
    unit = found and SIZE_UNITS.get(found.group(2).lower())
    if not unit or int(found.group(1)) < 1:
        raise argparse.ArgumentTypeError("expected a positive size such as 8MiB, 512KiB or "
                                         f"1048576 (bytes). Received: {text!r}.")
    return int(found.group(1)) * unit


if __name__ == "__main__":
    sys.exit(main())
