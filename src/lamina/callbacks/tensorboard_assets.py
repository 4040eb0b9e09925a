"""What `TensorBoard` writes besides scalars: weights, embeddings, the graph and profiles.

Each function takes a `torch.utils.tensorboard.SummaryWriter` (or a directory) and a model; none
runs per batch except `BatchProfiler`'s step annotations.
"""

import contextlib
import io
import os
import socket
import time
import warnings

import numpy as np
import torch

from lamina import config
from lamina.layers.core.embedding import Embedding
from lamina.layers.keras_tensor import flatten, map_structure

# -- weights ---------------------------------------------------------------------------------------


def write_weights(writer, model, epoch, write_images):
    """Write `<weight path>/histogram` (and `<weight path>/image`) for every weight, in Keras'
    layout, at step `epoch`. Reads every weight back to the host."""
    for layer in model.layers:
        for weight in layer.weights:
            name = (getattr(weight, "path", None) or weight.name).replace(":", "_")
            values = _keras_numpy(weight)
            writer.add_histogram(f"{name}/histogram", values.astype(np.float64), epoch)
            if write_images:
                image = weight_image(values)
                if image is not None:
                    writer.add_images(f"{name}/image", image, epoch, dataformats="NHWC")
    writer.flush()


def weight_image(values):
    """A weight as a batch of images `(n, height, width, channels)`, by Keras' rules: a vector
    is one column, a matrix one image (wider than tall), a 3-D kernel one image per output
    channel; `None` when the result is not a 1, 3 or 4-channel image batch."""
    image = np.squeeze(values)
    if image.ndim == 1:  # a bias: one column of pixels
        image = image.reshape(1, image.shape[0], 1, 1)
    elif image.ndim == 2:  # a dense kernel, laid out wider than tall
        if image.shape[0] > image.shape[1]:
            image = image.T
        image = image.reshape(1, *image.shape, 1)
    elif image.ndim == 3:  # (..., ..., out): one image per output channel
        if config.image_data_format() == "channels_last":
            image = np.transpose(image, (2, 0, 1))
        image = image.reshape(*image.shape, 1)
    if image.ndim == 4 and image.shape[-1] in (1, 3, 4):
        return image
    return None


def _keras_numpy(weight):
    if hasattr(weight, "keras_permutation"):
        return weight.numpy()
    return weight.detach().cpu().numpy()


# -- embeddings ----------------------------------------------------------------------------------


def embedding_layers(model):
    return [layer for layer in model.layers if isinstance(layer, Embedding)]


def write_embeddings(log_dir, model, metadata):
    """Write each `Embedding` layer's matrix to `log_dir/train/embeddings/<layer>.tsv` and list
    them in `log_dir/projector_config.pbtxt` (paths relative to `log_dir`)."""
    from google.protobuf import text_format
    from tensorboard.plugins.projector.projector_config_pb2 import ProjectorConfig

    projector = ProjectorConfig()
    for layer in embedding_layers(model):
        weight = layer.embeddings
        values = _keras_numpy(weight)  # (input_dim, output_dim); a host copy
        relative = os.path.join("train", "embeddings", layer.name.replace("/", "_") + ".tsv")
        buffer = io.StringIO()
        np.savetxt(buffer, values.reshape(values.shape[0], -1), delimiter="\t", fmt="%.9g")
        _write_atomically(os.path.join(log_dir, relative), buffer.getvalue())
        entry = projector.embeddings.add()
        entry.tensor_name = getattr(weight, "path", None) or layer.name
        entry.tensor_path = relative
        entry.tensor_shape.extend(values.shape)
        path = metadata.get(layer.name) if isinstance(metadata, dict) else metadata
        if path:
            entry.metadata_path = path
    _write_atomically(os.path.join(log_dir, "projector_config.pbtxt"),
                      text_format.MessageToString(projector))


def _write_atomically(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    partial = f"{path}.{os.getpid()}.partial"
    with open(partial, "w", encoding="utf-8") as file:
        file.write(text)
    os.replace(partial, path)


# -- graph -----------------------------------------------------------------------------------------


class _Inference(torch.nn.Module):
    """The model called with `training=False` on flat inputs (what `torch.jit.trace` needs)."""

    def __init__(self, model, structure):
        super().__init__()
        self.model = model
        self._structure = structure

    def forward(self, *flat):
        remaining = iter(flat)
        inputs = map_structure(lambda _: next(remaining), self._structure)
        return self.model(inputs, training=False)


def write_graph(writer, model):
    """Trace `model` on zeros shaped like its inputs (unknown sizes taken as 1) and write the op
    graph; warn, without raising, when the inputs are unknown or tracing fails."""
    parameter = next(iter(model.parameters()), None)
    device = parameter.device if parameter is not None else config.device()
    example = _example_inputs(model, device)
    if example is None:
        warnings.warn(f"`TensorBoard` did not write the graph of model '{model.name}': its input "
                      "shape is unknown (a subclassed model with several inputs). Pass "
                      "`write_graph=False` to silence this warning.", stacklevel=3)
        return
    try:
        with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()), \
                torch.random.fork_rng(devices=[]), torch.no_grad():
            # `torch.jit.trace` is deprecated but still the tracer `add_graph` uses; its own
            # warnings about Python values frozen into the trace concern only this picture.
            warnings.simplefilter("ignore", DeprecationWarning)
            warnings.simplefilter("ignore", torch.jit.TracerWarning)
            writer.add_graph(_Inference(model, example), tuple(flatten(example)))
    except Exception as error:  # noqa: BLE001 - tracing fails in many ways; the graph is optional
        warnings.warn(f"`TensorBoard` could not write the graph of model '{model.name}': tracing "
                      f"it failed with {type(error).__name__}: {error}. Training and the other "
                      "logs are not affected; pass `write_graph=False` to skip the graph.",
                      stacklevel=3)


def _example_inputs(model, device):
    """Zeros in the structure of the model's inputs (unknown sizes taken as 1), or `None`."""
    def zeros(shape, dtype):
        return torch.zeros([1 if d is None else d for d in shape], dtype=dtype, device=device)

    if getattr(model, "inputs", None):
        return map_structure(lambda t: zeros(t.shape, t.dtype), model.input)
    shape = getattr(model, "_build_shape", None)
    if shape is None or not all(d is None or isinstance(d, int) for d in shape):
        return None
    return zeros(shape, config.torch_dtype(config.floatx()))


# -- profiling -------------------------------------------------------------------------------------


class BatchProfiler:
    """A `torch.profiler` session over some training batches, saved when stopped to
    `<run_dir>/plugins/profile/<YYYY_MM_DD_HH_MM_SS>/<host>_<pid>.<ns>.pt.trace.json`."""

    def __init__(self, run_dir, model):
        activities = [torch.profiler.ProfilerActivity.CPU]
        parameter = next(iter(model.parameters()), None)
        if parameter is not None and parameter.device.type == "cuda":
            activities.append(torch.profiler.ProfilerActivity.CUDA)
        self.directory = os.path.join(run_dir, "plugins", "profile",
                                      time.strftime("%Y_%m_%d_%H_%M_%S"))
        handler = torch.profiler.tensorboard_trace_handler(
            self.directory, worker_name=f"{socket.gethostname()}_{os.getpid()}")
        self._profile = torch.profiler.profile(activities=activities, on_trace_ready=handler)
        self._profile.start()
        self._step = None

    def begin_step(self, batch):
        """Annotate the batch `ProfilerStep#<batch>`, the name the profiler plugin reads."""
        self._step = torch.profiler.record_function(f"ProfilerStep#{batch}")
        self._step.__enter__()

    def end_step(self):
        if self._step is not None:
            self._step.__exit__(None, None, None)
            self._step = None

    def stop(self):
        """Stop profiling and write the trace file."""
        self.end_step()
        self._profile.stop()
