"""`Model.export`: a model's inference pass as a standalone file, ONNX or `torch.export`.

Both formats start from one trace. `torch.export.export` runs the model once in inference mode
(every layer gets `training=False`, plain torch modules inside are put in `eval()` for the
trace) on example inputs made from the input signature, with the batch dimension and every
other unknown (`None`) dimension symbolic. The resulting `ExportedProgram` is

- saved as it is for `format="torch"`: a `.pt2` file for `torch.export.load`, called like the
  model (`program.module()(inputs)`);
- translated to ONNX by torch's exporter for `format="onnx"`: one graph input per model input
  and one graph output per model output, named after the model's, the batch axis named
  `"batch"` and other unknown axes `"dim_<input>_<axis>"` (Keras' names).

The model is left as it was: its weights, its layers' `training` modes and their losses.
Files are written atomically (see `atomic.py`).
"""

import contextlib
import logging
import os
import warnings

import numpy as np
import torch

from lamina import config
from lamina.layers.keras_tensor import KerasTensor, flatten, map_structure
from lamina.layers.layer import CALL_CONTEXT, Layer
from lamina.saving.atomic import atomic_write

SUPPORTED_FORMATS = ("onnx", "torch")
# Keras 3's other formats need TensorFlow, OpenVINO or LiteRT converters: not in lamina.
_KERAS_ONLY_FORMATS = ("tf_saved_model", "openvino", "litert")
_BATCH_SAMPLE = 2  # torch.export fixes dimensions traced at size 0 or 1: trace the batch at 2
_DIM_SAMPLE = 32  # other unknown dimensions: large enough for a few convolutions and poolings


def export_model(model, filepath, format="onnx", verbose=True, input_signature=None, **kwargs):
    """Export `model`'s inference pass to `filepath`. See `Model.export`.

    Args:
        model: A built lamina `Model`.
        filepath: Path of the file to write (`str` or `os.PathLike`); a `.pt2` name for
            `format="torch"`.
        format: `"onnx"` or `"torch"`. Defaults to `"onnx"`.
        verbose: Whether to print the path once saved. Defaults to `True`.
        input_signature: The model's `inputs` as shapes (tuples with `None` for unknown
            dimensions, batch first), `keras.Input` tensors, or example arrays (their batch
            dimension is made dynamic); or a list or dict of these for several inputs.
            Defaults to `None`: the model's `Input` shapes, or the shape it was built with.
        **kwargs: For `"onnx"`: `opset_version`. For `"torch"`: arguments of
            `torch.export.export` (`strict`, `dynamic_shapes`, ...).

    Raises:
        ValueError: For an unsupported `format`, a `filepath` of the wrong kind, or an
            `input_signature` that does not fit the model's inputs.
        TypeError: For an `input_signature` entry of an unknown kind, or unknown `kwargs`.
        RuntimeError: If the model is not built (nor its input shape known), or if tracing
            fails.
        ImportError: For `"onnx"` without the `onnx` and `onnxscript` packages.
    """
    _check_format(format)
    if not isinstance(filepath, (str, os.PathLike)):
        raise TypeError("`Model.export` expects `filepath` to be a string or a path. "
                        f"Received: filepath={filepath!r} (of type {type(filepath).__name__}).")
    filepath = os.fspath(filepath)
    if format == "torch" and not filepath.endswith(".pt2"):
        raise ValueError("`Model.export(format='torch')` expects `filepath` to end in '.pt2' "
                         f"(torch.export's file). Received: filepath={filepath!r}.")
    options = _export_options(format, kwargs)
    if format == "onnx":
        _require_onnx()
    structure, specs = _signature(model, input_signature)
    program = _trace(model, structure, specs, options)
    if format == "torch":
        with atomic_write(filepath) as file:
            torch.export.save(program, file)
        message = f"Saved PyTorch ExportedProgram at '{filepath}'."
    else:
        _write_onnx(model, program, specs, filepath, options.get("opset_version"))
        message = f"Saved artifact at '{filepath}'."
    if verbose:
        print(message)


def _check_format(format):
    if format in SUPPORTED_FORMATS:
        return
    if format in _KERAS_ONLY_FORMATS:
        raise ValueError(f"`Model.export` does not support format={format!r} in lamina: it "
                         "needs TensorFlow, OpenVINO or LiteRT converters. lamina exports "
                         f"{list(SUPPORTED_FORMATS)}; ONNX files run in ONNX Runtime, OpenVINO "
                         "and TensorRT.")
    raise ValueError(f"`Model.export` expects `format` to be one of {list(SUPPORTED_FORMATS)}. "
                     f"Received: format={format!r} (of type {type(format).__name__}).")


def _export_options(format, kwargs):
    if format == "onnx":
        allowed = ("opset_version",)
    else:
        import inspect

        allowed = tuple(name for name in inspect.signature(torch.export.export).parameters
                        if name not in ("mod", "args", "kwargs"))
    unknown = sorted(set(kwargs) - set(allowed))
    if unknown:
        raise TypeError(f"`Model.export(format={format!r})` got unexpected keyword arguments "
                        f"{unknown}. Supported: {sorted(allowed)}.")
    return dict(kwargs)


def _require_onnx():
    try:
        import onnx  # noqa: F401  (torch's ONNX exporter needs both)
        import onnxscript  # noqa: F401
    except ImportError as error:
        raise ImportError("`Model.export(format='onnx')` needs the `onnx` and `onnxscript` "
                          'packages: pip install "lamina[onnx]"') from error


# -- the input signature -------------------------------------------------------------------------
class _Spec:
    """One input: its shape (`None` for dynamic dimensions), dtype and name."""

    def __init__(self, shape, dtype, name=None):
        self.shape = tuple(shape)
        self.dtype = dtype
        self.name = name

    def sample(self):
        """A tensor of ones to trace with, unknown dimensions at their placeholder sizes."""
        shape = [(_BATCH_SAMPLE if axis == 0 else _DIM_SAMPLE) if d is None else d
                 for axis, d in enumerate(self.shape)]
        return torch.ones(shape, dtype=self.dtype, device=config.device())

    def dynamic_dims(self, index, dims):
        """`{axis: Dim}` for the unknown dimensions, or `None`. `dims` holds the trace's `Dim`s
        by name, so that every input shares one `batch`."""
        found = {}
        for axis, size in enumerate(self.shape):
            if size is None:
                name = "batch" if axis == 0 else f"dim_{index}_{axis}"
                found[axis] = dims.setdefault(name, torch.export.Dim(name))
        return found or None


def _is_shape(value):
    return (isinstance(value, (tuple, list)) and len(value) > 0
            and all(d is None or (isinstance(d, (int, np.integer)) and not isinstance(d, bool))
                    for d in value))


def _to_spec(value, model_input=None):
    """A `_Spec` from one entry of `input_signature`."""
    if isinstance(value, (np.ndarray, torch.Tensor)):  # an example: its batch becomes dynamic
        tensor = torch.as_tensor(value)
        dtype = config.torch_dtype(None) if tensor.dtype == torch.float64 else tensor.dtype
        if tensor.ndim == 0:
            raise ValueError("`Model.export` expects example arrays in `input_signature` to "
                             "have a batch dimension. Received: an array of shape ().")
        return _Spec((None, *tensor.shape[1:]), dtype)
    if _is_shape(value):
        dtype = model_input.dtype if model_input is not None else config.torch_dtype(None)
        return _Spec(tuple(None if d is None else int(d) for d in value), dtype)
    if isinstance(value, KerasTensor) or (hasattr(value, "shape") and hasattr(value, "dtype")):
        # a `keras.Input`, or a spec object with `shape` and `dtype` (InputSpec-like)
        shape = getattr(value, "shape", None)
        if not (_is_shape(shape) or shape == ()):
            raise ValueError("`Model.export` expects each input spec to have a shape of "
                             f"integers or None. Received: {value!r} with shape={shape!r}.")
        return _Spec(shape, config.torch_dtype(value.dtype), getattr(value, "name", None))
    raise TypeError("`Model.export` expects `input_signature` to hold shapes (tuples with None "
                    "for unknown dimensions, batch first), `keras.Input` tensors or example "
                    f"arrays. Received: input_signature containing {value!r} "
                    f"(of type {type(value).__name__}).")


def _to_specs(structure):
    """Replace the leaves of a (nested) signature with `_Spec`s."""
    if _is_shape(structure) or not isinstance(structure, (list, tuple, dict)):
        return _to_spec(structure)
    if isinstance(structure, dict):
        return {key: _to_specs(value) for key, value in structure.items()}
    return type(structure)(_to_specs(value) for value in structure)


def _signature(model, input_signature):
    """The structure `model` is called with (of `_Spec`s) and its flat list of `_Spec`s."""
    if not getattr(model, "built", False):
        raise RuntimeError(
            f"Model '{model.name}' cannot be exported before it is built: its weights do not "
            "exist yet. Call it on data (`model.predict(x)`), build it "
            "(`model.build((None, 784))`), or start it with `keras.Input(shape)`."
        )
    model_inputs = model.inputs
    if input_signature is None:
        if model_inputs is not None:  # functional or Sequential: the Input shapes
            specs = [_Spec((None, *t.shape[1:]), t.dtype, name)
                     for t, name in zip(model_inputs, model.input_names)]
            return (specs[0] if len(specs) == 1 else specs), specs
        shape = getattr(model, "_build_shape", None)
        if not _is_shape(shape):
            raise RuntimeError(
                f"Model '{model.name}' does not know the shape of its inputs (a subclassed "
                "model records it only for a single tensor input). Pass "
                "`input_signature`, e.g. `model.export(path, input_signature=[(None, 784)])`."
            )
        spec = _Spec((None, *shape[1:]), config.torch_dtype(None), "input_0")
        return spec, [spec]
    if model_inputs is None:  # subclassed: the signature is the `inputs` argument itself
        structure = _to_specs(input_signature)
        if isinstance(structure, (list, tuple)) and len(structure) == 1:
            structure = structure[0]  # Keras' form: a list of one entry per call argument
        specs = flatten(structure)
        names = (list(structure) if isinstance(structure, dict)
                 else [f"input_{i}" for i in range(len(specs))])
        for spec, name in zip(specs, names):
            spec.name = spec.name or name
        return structure, specs
    return _functional_signature(model, input_signature)


def _functional_signature(model, input_signature):
    names, model_inputs = model.input_names, model.inputs
    graph_inputs = model.input
    if isinstance(input_signature, dict):
        keys = list(graph_inputs) if isinstance(graph_inputs, dict) else names
        missing = [key for key in keys if key not in input_signature]
        if missing:
            raise ValueError(f"`Model.export` expects `input_signature` to have an entry for "
                             f"every input {keys}. Missing: {missing}.")
        entries = [input_signature[key] for key in keys]
    elif _is_shape(input_signature) or not isinstance(input_signature, (list, tuple)):
        entries = [input_signature]
    else:
        entries = list(input_signature)
        while len(entries) == 1 and not _is_shape(entries[0]) and isinstance(
                entries[0], (list, tuple)):  # Keras' form: [[spec_1, spec_2]]
            entries = list(entries[0])
    if len(entries) != len(names):
        raise ValueError(f"`Model.export` expects `input_signature` to describe the model's "
                         f"{len(names)} input(s) {names}. Received {len(entries)} entries: "
                         f"{', '.join(_describe(entry) for entry in entries)}.")
    specs = []
    for entry, tensor, name in zip(entries, model_inputs, names):
        spec = _to_spec(entry, tensor)
        expected = tensor.shape
        fits = len(spec.shape) == len(expected) and all(
            e is None or s == e for s, e in zip(spec.shape[1:], expected[1:]))
        if not fits:
            raise ValueError(f"`Model.export` expects the input '{name}' to have shape "
                             f"{(None, *expected[1:])}. Received: an input_signature entry of "
                             f"shape {spec.shape}.")
        spec.name = name
        specs.append(spec)
    return (specs[0] if len(specs) == 1 else specs), specs


def _describe(entry):
    if isinstance(entry, (np.ndarray, torch.Tensor)):
        return f"an array of shape {tuple(entry.shape)}"
    return repr(entry)


# -- the trace -----------------------------------------------------------------------------------
class _NoLosses:
    """Stands in for a layer's list of losses during the trace. Losses (activity
    regularizers, `add_loss`) belong to training, and torch.export refuses tensors left on a
    module's attributes by the trace."""

    def append(self, loss):
        pass

    def clear(self):
        pass

    def __iter__(self):
        return iter(())

    def __len__(self):
        return 0


@contextlib.contextmanager
def _inference_state(model):
    """`training=False` for every layer, torch modules in `eval()`, losses not recorded; all
    restored afterwards."""
    modes = [(module, module.training) for module in model.modules()]
    losses = [(layer, layer._losses) for layer in model.modules() if isinstance(layer, Layer)]
    previous = CALL_CONTEXT.training
    CALL_CONTEXT.training = False
    model.eval()
    for layer, _ in losses:
        layer._losses = _NoLosses()
    try:
        yield
    finally:
        CALL_CONTEXT.training = previous
        for module, mode in modes:
            module.training = mode
        for layer, saved in losses:
            layer._losses = saved


def _trace(model, structure, specs, options):
    """`torch.export.export` of `model(inputs)` with the unknown dimensions dynamic."""
    index, dims = {id(spec): i for i, spec in enumerate(specs)}, {}
    samples = map_structure(lambda spec: spec.sample(), structure)
    options = {key: value for key, value in options.items() if key != "opset_version"}
    options.setdefault("strict", False)  # run the layers' Python code, trace only torch ops
    options.setdefault("dynamic_shapes", (
        map_structure(lambda spec: spec.dynamic_dims(index[id(spec)], dims), structure),))
    with _inference_state(model):
        try:
            program = torch.export.export(model, (samples,), **options)
        except Exception as error:  # torch raises many kinds; say what was being done
            shapes = [spec.shape for spec in specs]
            raise RuntimeError(
                f"Could not export model '{model.name}' for input shapes {shapes}, where "
                "None is a dynamic dimension (named `batch` for axis 0, `dim_<input>_<axis>` "
                f"otherwise). torch.export said: {type(error).__name__}: {error}\nIf a layer "
                "needs a dimension fixed (recurrent layers fix the number of timesteps), pass "
                "`input_signature` with that dimension set, e.g. `[(None, 100, 8)]` or an "
                "example array (only its batch dimension stays dynamic)."
            ) from error
    _plain_weights(program)
    return program


def _plain_weights(program):
    """Store the program's weights as plain tensors (sharing memory with the model's).

    A lamina `Variable` speaks Keras' layout through `numpy()` and pickles as a lamina class,
    so neither ONNX's serialiser nor `torch.export.load` (which loads no foreign classes) can
    take it."""
    state = program.state_dict
    for key, value in list(state.items()):
        if isinstance(value, torch.nn.Parameter):
            state[key] = torch.nn.Parameter(value.detach(), requires_grad=value.requires_grad)
        else:
            state[key] = value.detach()
    for key, value in list(program.constants.items()):
        if isinstance(value, torch.Tensor):
            program.constants[key] = value.detach()


# -- ONNX ----------------------------------------------------------------------------------------
def _write_onnx(model, program, specs, filepath, opset_version):
    with _quiet_onnx_exporter():
        onnx_program = torch.onnx.export(_onnx_ready(program), dynamo=True,
                                         opset_version=opset_version, verbose=False)
    graph = onnx_program.model.graph
    input_names = [spec.name for spec in specs]
    output_names = _unique(_output_names(model, len(graph.outputs)), taken=set(input_names))
    _rename(onnx_program.model, list(graph.inputs) + list(graph.outputs),
            input_names + output_names)
    renames = {}
    for index, (spec, value) in enumerate(zip(specs, graph.inputs)):
        for axis, size in enumerate(spec.shape):
            symbol = getattr(value.shape[axis], "value", None)
            if size is None and isinstance(symbol, str):
                renames.setdefault(symbol, "batch" if axis == 0 else f"dim_{index}_{axis}")
    if renames:
        onnx_program.rename_axes(renames)
    with atomic_write(filepath) as file:
        file.write(onnx_program.model_proto.SerializeToString())


@contextlib.contextmanager
def _quiet_onnx_exporter():
    """Silence torch's ONNX exporter about things that do not concern the user: torchvision's
    operators it skips when torchvision is absent, and a deprecation inside its own code."""
    logger = logging.getLogger("torch.onnx._internal.exporter._registration")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message=r".*LeafSpec.* is deprecated",
                                    category=FutureWarning)
            yield
    finally:
        logger.setLevel(level)


def _onnx_ready(program):
    """`program` with what torch's ONNX translation lacks rewritten: attention on other than
    4D tensors (`Attention` on `(batch, time, features)`) becomes its math form."""
    attention = torch.ops.aten.scaled_dot_product_attention.default
    if not any(node.target is attention and node.args[0].meta["val"].ndim != 4
               for node in program.graph.nodes):
        return program
    math = torch.ops.aten._scaled_dot_product_attention_math.default
    return program.run_decompositions({attention: lambda *args, **kwargs: math(*args,
                                                                                 **kwargs)[0]})


def _rename(onnx_model, values, names):
    """Give graph inputs and outputs their names, first moving any inner value (named after
    the torch op that made it, e.g. `conv2d`) out of the way: ONNX names must be unique."""
    import onnx_ir

    chosen = {id(value) for value in values}
    others = [*onnx_model.graph.initializers.values()]
    others += [out for node in onnx_ir.traversal.RecursiveGraphIterator(onnx_model.graph)
               for out in node.outputs]
    taken = {value.name for value in others} | set(names)
    for value in others:
        if id(value) not in chosen and value.name in names:
            value.name = _unique([value.name], taken)[0]
    for value, name in zip(values, names):
        value.name = name


def _output_names(model, count):
    names = list(getattr(model, "output_names", None) or [])
    if model.outputs is not None and len(names) == count:
        return names
    return ["output"] if count == 1 else [f"output_{i}" for i in range(count)]


def _unique(names, taken):
    """`names` made distinct from each other and from `taken` with `_1`, `_2` suffixes."""
    result = []
    for name in names:
        candidate, number = name, 0
        while candidate in taken:
            number += 1
            candidate = f"{name}_{number}"
        taken.add(candidate)
        result.append(candidate)
    return result
