"""`Model.summary()`: the table of layers, output shapes and parameter counts, in Keras 3's layout.

Rendered with `rich` as Keras 3 does: a title, a table with heavy header (`Layer (type)`,
`Output Shape`, `Param #`, plus `Connected to` for non-sequential functional models and
`Trainable` with `show_trainable`), then the totals with their memory sizes.
"""

import math
import shutil
import sys

import rich.console
import rich.markup
import rich.table

from lamina.layers.input_layer import InputLayer
from lamina.layers.layer import Layer


def readable_memory_size(size):
    """Bytes as Keras writes them: `3.03 MB` (powers of 1024)."""
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if size / 1024 < 1:
            return f"{size:.2f} {unit}"
        size /= 1024
    return f"{size:.2f} PB"


def _count_and_bytes(weights):
    unique = {id(w): w for w in weights}.values()
    count = sum(math.prod(w.shape) for w in unique)
    size = sum(math.prod(w.shape) * w.element_size() for w in unique)
    return count, size


def _format_shape(shape):
    return "(" + ", ".join(str(d) for d in shape) + ")"


def _output_shape(layer):
    if layer._inbound_nodes:
        outputs = layer._inbound_nodes[-1].output_tensors
        shapes = [_format_shape(t.shape) for t in outputs]
        return shapes[0] if len(shapes) == 1 else "[" + ", ".join(shapes) + "]"
    if layer.built and isinstance(layer._build_shape, tuple):
        try:
            shape = layer.compute_output_shape(layer._build_shape)
        except Exception:  # noqa: BLE001 - a summary must not fail on an exotic layer
            return "?"
        if isinstance(shape, tuple):
            return _format_shape(shape)
    return "?"


def _is_sequential_like(model):
    graph = model._graph
    if graph is None or type(model).__name__ == "Sequential":
        return True
    seen = set()
    for node in graph.nodes:
        if len(node.parent_nodes) > 1 or id(node.layer) in seen:
            return False
        seen.add(id(node.layer))
    return True


def _connections(layer, graph):
    nodes = [n for n in layer._inbound_nodes if n in graph.nodes]
    found = []
    for node in nodes:
        for tensor in node.input_tensors:
            parent, index = tensor._history
            node_index = parent.layer._inbound_nodes.index(parent)
            found.append(f"{parent.layer.name}[{node_index}][{index}]")
    return ", ".join(found) or "-"


def print_summary(model, line_length=None, positions=None, print_fn=None, expand_nested=False,
                  show_trainable=False, layer_range=None):
    """Print `model`'s summary. See `Model.summary`.

    Args:
        line_length: Total width of the table. Defaults to 88 (108 with a `Connected to`
            column), at most the terminal width minus 4.
        positions: Right edges of the columns, as fractions of `line_length` or absolute.
        print_fn: Function called with the whole rendered text. Defaults to printing to stdout.
        expand_nested: Also list the layers of nested models. Defaults to `False`.
        show_trainable: Add a `Trainable` column. Defaults to `False`.
        layer_range: `[first_name, last_name]`: only the layers between these two.
    """
    layers = model.layers
    if type(model).__name__ == "Sequential":
        layers = [layer for layer in layers if not isinstance(layer, InputLayer)]
    sequential_like = _is_sequential_like(model)
    if sequential_like:
        length, default_positions = 88, [0.45, 0.80, 1.0]
        header = ["Layer (type)", "Output Shape", "Param #"]
        justify = ["left", "left", "right"]
    else:
        length, default_positions = 108, [0.3, 0.56, 0.74, 1.0]
        header = ["Layer (type)", "Output Shape", "Param #", "Connected to"]
        justify = ["left", "left", "right", "left"]
    positions = positions or default_positions
    if show_trainable:
        length += 12
        positions = [p * 0.90 for p in positions] + [1.0]
        header.append("Trainable")
        justify.append("center")
    line_length = line_length or min(length, shutil.get_terminal_size().columns - 4)
    if positions[-1] <= 1:
        positions = [int(p * line_length) for p in positions]
    widths, current = [], 0
    for position in positions:
        width = int(position) - current
        if width < 4:
            raise ValueError("Insufficient console width to print summary. Pass a larger "
                             f"`line_length`. Received: line_length={line_length}")
        widths.append(width)
        current += width
    table = rich.table.Table(
        *[rich.table.Column(name, justify=j, width=w)
          for name, j, w in zip(header, justify, widths)],
        width=line_length, show_lines=True,
    )
    if layer_range is not None:
        names = [layer.name for layer in layers]
        missing = [name for name in layer_range if name not in names]
        if len(layer_range) != 2 or missing:
            raise ValueError("`layer_range` must be a list of two layer names of the model. "
                             f"Received: layer_range={layer_range!r}; layers are {names}.")
        layers = layers[names.index(layer_range[0]):names.index(layer_range[1]) + 1]

    def rows(layer, level=0):
        prefix = "   " * level + "└ " if level else ""
        kind = rich.markup.escape(type(layer).__name__)
        name = f"{prefix}{rich.markup.escape(layer.name)} ({kind})"
        if not layer.built:
            params = "0 (unbuilt)"
        else:
            params = f"{layer.count_params():,}"
        fields = [name, _output_shape(layer), params]
        if not sequential_like:
            fields.append(_connections(layer, model._graph) if level == 0 else "")
        if show_trainable:
            has_weights = bool(layer.weights)
            fields.append(("[bold]Y[/]" if layer.trainable else "[bold]N[/]") if has_weights
                          else "[bold]-[/]")
        found = [fields]
        if expand_nested and isinstance(layer, Layer) and getattr(layer, "layers", None):
            for inner in layer.layers:
                if not isinstance(inner, InputLayer):
                    found.extend(rows(inner, level + 1))
        return found

    for layer in layers:
        for row in rows(layer):
            table.add_row(*row)

    trainable, trainable_size = _count_and_bytes(model.trainable_weights)
    frozen, frozen_size = _count_and_bytes(model.non_trainable_weights)
    optimizer = getattr(model, "optimizer", None)
    optimizer_variables = list(getattr(optimizer, "variables", []) or []) if (
        getattr(model, "compiled", False) and getattr(optimizer, "built", False)) else []
    optimizer_count, optimizer_size = _count_and_bytes(optimizer_variables)
    total = trainable + frozen + optimizer_count
    total_size = trainable_size + frozen_size + optimizer_size

    interactive = print_fn is None and sys.stdout.isatty()
    console = rich.console.Console(
        highlight=False, force_terminal=interactive, color_system="auto" if interactive else None,
        width=max(line_length + 4, 80), file=sys.stdout,
    )
    with console.capture() as capture:
        console.print(f'[bold]Model: "{rich.markup.escape(model.name)}"[/]')
        console.print(table)
        console.print(f"[bold] Total params: [/]{total:,} ({readable_memory_size(total_size)})")
        console.print(f"[bold] Trainable params: [/]{trainable:,} "
                      f"({readable_memory_size(trainable_size)})")
        console.print(f"[bold] Non-trainable params: [/]{frozen:,} "
                      f"({readable_memory_size(frozen_size)})")
        if optimizer_variables:
            console.print(f"[bold] Optimizer params: [/]{optimizer_count:,} "
                          f"({readable_memory_size(optimizer_size)})")
    text = capture.get()
    if print_fn is None:
        sys.stdout.write(text)
    else:
        print_fn(text.rstrip("\n"))
