"""`plot_model` and `model_to_dot`: a picture of a model's layers and how they connect.

The picture is Keras': one box per layer (its name and class, and on request its input and
output shapes, output dtype, activation and whether it is trainable), arrows along the data
flow, nested models as dashed frames with `expand_nested`.

It is drawn by Graphviz's `dot` program when it is installed (lamina writes the DOT text
itself; `pydot` is not needed), and otherwise by a layered drawing made with matplotlib
(`pip install "lamina[plot]"`, see `_graph_render`). Both draw the same `ModelGraph`
(`_model_graph`).
"""

import html
import numbers
import os
import shutil
import subprocess

from lamina.utils import _model_graph
from lamina.validation import received, validate_choice

#: Output formats, by file extension. `dot` is the DOT text (pydot calls it `raw`).
FORMATS = ("png", "jpg", "jpeg", "svg", "pdf", "ps", "dot")
RANKDIRS = ("TB", "LR", "BT", "RL")
SPLINES = ("ortho", "line", "polyline", "spline", "curved", "true", "false", "none")
DOT_TIMEOUT = 120  # seconds one `dot` run may take
_TEXT_FORMATS = ("dot", "raw")


class Dot:
    """The DOT description of a model's graph: what Keras' `model_to_dot` returns as a
    `pydot.Dot`, with the part of pydot's interface that tutorials use.

    `to_string()` (and `str()`) give the DOT text; `create(format="png")` gives the rendered
    bytes (by Graphviz when installed, else by the matplotlib drawing); `write(path, format)`
    writes them to a file, atomically. `create_png()`, `create_svg()`, `write_png(path)` and
    `write_svg(path)` are shorthands for those formats.

    Example:
    >>> import lamina as keras
    >>> model = keras.Sequential([keras.Input(shape=(3,)), keras.layers.Dense(2, name="out")])
    >>> "label=<" in keras.utils.model_to_dot(model).to_string()
    True
    """

    def __init__(self, graph, rankdir="TB", dpi=200, splines="ortho", subgraph_name=None):
        self.graph = graph
        self.rankdir = rankdir
        self.dpi = dpi
        self.splines = splines
        self.subgraph_name = subgraph_name

    def to_string(self):
        """The DOT text: a `digraph`, or a `subgraph cluster_<name>` for `subgraph=True`."""
        if self.subgraph_name is None:
            return self._document()
        lines = [f"subgraph {_quote('cluster_' + self.subgraph_name)} {{",
                 f"label={_quote(self.subgraph_name)};", "labeljust=l;", "style=dashed;"]
        lines += _body(self.graph)
        return "\n".join([*lines, "}", ""])

    __str__ = to_string

    def _document(self):
        lines = ["digraph G {", f"rankdir={self.rankdir};", "concentrate=True;",
                 f"dpi={self.dpi};", f"splines={self.splines};", "node [shape=record];"]
        lines += _body(self.graph)
        return "\n".join([*lines, "}", ""])

    def create(self, prog=None, format="ps", encoding=None):
        """Rendered bytes in `format` (pydot's default `"ps"`; see `FORMATS`; `"raw"` is the
        DOT text). `prog` may only be `"dot"` (or `None`); `encoding` applies to text."""
        fmt = _check_format(format, "format", "Dot.create")
        if prog not in (None, "dot"):
            raise ValueError("`Dot.create` expects `prog` to be 'dot' or None: lamina lays "
                             "graphs out in ranks, as `dot` does. " + received("prog", prog))
        if fmt in _TEXT_FORMATS:
            return self._document().encode(encoding or "utf-8")
        executable = shutil.which("dot")
        if executable is not None:
            return _run_graphviz(executable, self._document(), fmt, self.dpi)
        from lamina.utils import _graph_render

        return _graph_render.render(self.graph, fmt, rankdir=self.rankdir, dpi=self.dpi,
                                    splines=self.splines)

    def write(self, path, prog=None, format="raw", encoding=None):
        """Write `create(prog, format)` to `path` atomically (`"raw"`, pydot's default, is the
        DOT text). Returns `True`, as pydot does."""
        from lamina.saving.atomic import atomic_write

        data = self.create(prog=prog, format=format, encoding=encoding)
        with atomic_write(path) as file:
            file.write(data)
        return True

    def create_png(self, prog=None):
        return self.create(prog=prog, format="png")

    def create_svg(self, prog=None):
        return self.create(prog=prog, format="svg")

    def write_png(self, path, prog=None):
        return self.write(path, prog=prog, format="png")

    def write_svg(self, path, prog=None):
        return self.write(path, prog=prog, format="svg")


def model_to_dot(model, show_shapes=False, show_dtype=False, show_layer_names=True, rankdir="TB",
                 expand_nested=False, dpi=200, subgraph=False, show_layer_activations=False,
                 show_trainable=False, splines="ortho", **kwargs):
    """Describe a model's graph in Graphviz's DOT language.

    Args:
        model: A built `keras.Model` (or layer).
        show_shapes: Show each layer's input and output shapes. Defaults to `False`.
        show_dtype: Show each layer's output dtype. Defaults to `False`.
        show_layer_names: Show layer names beside their classes. Defaults to `True`.
        rankdir: Direction of the drawing: `"TB"` (top to bottom), `"LR"` (left to right),
            `"BT"` or `"RL"`. Defaults to `"TB"`.
        expand_nested: Draw the layers of nested functional and Sequential models inside a
            dashed frame, instead of one box per nested model. Defaults to `False`.
        dpi: Resolution of rendered images, in dots per inch. Defaults to `200`.
        subgraph: Return a `subgraph cluster_<model name>` (for embedding in another graph)
            instead of a `digraph`. Defaults to `False`.
        show_layer_activations: Show the activation of layers that have one. Defaults to
            `False`.
        show_trainable: Mark layers with weights as trainable or not. Defaults to `False`.
        splines: How edges are drawn: `"ortho"` (right angles), `"line"`, `"polyline"`,
            `"spline"`, `"curved"`, `"true"`, `"false"` or `"none"`. Defaults to `"ortho"`.

    Returns:
        A `Dot` (see its docstring): the DOT text by `to_string()`, images by `create`/`write`.

    Raises:
        ValueError: If the model is not built, or an argument is invalid.

    Example:
    >>> import lamina as keras
    >>> inputs = keras.Input(shape=(4,), name="x")
    >>> model = keras.Model(inputs, keras.layers.Dense(2, name="y")(inputs))
    >>> print(keras.utils.model_to_dot(model).to_string().splitlines()[-2])
    "x" -> "y" [penwidth=2];
    """
    return _make_dot("model_to_dot", model, rankdir, dpi, splines, kwargs,
                     subgraph=subgraph, show_shapes=show_shapes,
                     show_dtype=show_dtype, show_layer_names=show_layer_names,
                     expand_nested=expand_nested, show_layer_activations=show_layer_activations,
                     show_trainable=show_trainable)


def plot_model(model, to_file="model.png", show_shapes=False, show_dtype=False,
               show_layer_names=False, rankdir="TB", expand_nested=False, dpi=200,
               show_layer_activations=False, show_trainable=False, splines="ortho", **kwargs):
    """Draw a model's layers and connections to an image file.

    Uses Graphviz's `dot` program when it is on the `PATH`, otherwise matplotlib
    (`pip install "lamina[plot]"`).

    Args:
        model: A built `keras.Model` (or layer).
        to_file: Path of the image. Its extension picks the format: `.png` (also when there is
            none), `.jpg`/`.jpeg`, `.svg`, `.pdf`, `.ps`, or `.dot` (the DOT text). Defaults to
            `"model.png"`.
        show_layer_names: Show layer names beside their classes. Defaults to `False`.
        show_shapes, show_dtype, rankdir, expand_nested, dpi, show_layer_activations,
        show_trainable, splines: See `model_to_dot`.

    Returns:
        An `IPython.display.Image` (`SVG` for `.svg`) of the file when IPython is installed, for
        showing the plot in a notebook; otherwise (and for `.pdf`, `.ps`, `.dot`) `None`.

    Raises:
        ValueError: If the model is not built, an argument is invalid, or the extension of
            `to_file` is not one of the supported formats.
        ImportError: If neither Graphviz nor matplotlib is installed.
        RuntimeError: If Graphviz fails or takes longer than `DOT_TIMEOUT` seconds.

    Example:
    >>> import os, tempfile
    >>> import lamina as keras
    >>> model = keras.Sequential([keras.Input(shape=(8,)), keras.layers.Dense(4)])
    >>> path = os.path.join(tempfile.mkdtemp(), "model.svg")
    >>> keras.utils.plot_model(model, to_file=path, show_shapes=True)
    >>> with open(path) as file:
    ...     "(None, 4)" in file.read()
    True
    """
    to_file = os.fspath(to_file)
    extension = os.path.splitext(to_file)[1][1:].lower() or "png"
    if extension not in FORMATS:
        raise ValueError("`plot_model` expects `to_file` to end with one of "
                         f"{', '.join('.' + f for f in FORMATS)} (or no extension, for PNG). "
                         + received("to_file", to_file))
    dot = _make_dot("plot_model", model, rankdir, dpi, splines, kwargs, show_shapes=show_shapes,
                    show_dtype=show_dtype, show_layer_names=show_layer_names,
                    expand_nested=expand_nested, show_layer_activations=show_layer_activations,
                    show_trainable=show_trainable)
    dot.write(to_file, format=extension)
    return _notebook_image(to_file, extension)


# -- checks -------------------------------------------------------------------------------------
def _make_dot(function, model, rankdir, dpi, splines, kwargs, subgraph=False, **options):
    """Check the arguments of `function` (`plot_model` or `model_to_dot`), then describe the
    model's graph with the box `options` of `_model_graph.model_graph`."""
    _check_arguments(function, model, rankdir, dpi, splines, kwargs)
    graph = _model_graph.model_graph(model, **options)
    return Dot(graph, rankdir=rankdir, dpi=dpi, splines=splines,
               subgraph_name=model.name if subgraph else None)


def _check_arguments(function, model, rankdir, dpi, splines, kwargs):
    if kwargs.pop("layer_range", None) is not None:
        raise ValueError(f"`{function}` no longer supports the argument `layer_range` (removed "
                         "in Keras 3). Draw the whole model, or build a smaller model from the "
                         "layers you want to see.")
    if kwargs:
        raise ValueError(f"`{function}` got unrecognized keyword arguments: "
                         f"{sorted(kwargs)}. Received: {kwargs!r}.")
    if not hasattr(model, "built") or not hasattr(model, "name"):
        raise TypeError(f"`{function}` expects `model` to be a `keras.Model` or layer. "
                        + received("model", model))
    if not model.built:
        raise ValueError("This model has not yet been built. Build the model first by calling "
                         "`build()` or by calling the model on a batch of data.")
    validate_choice(rankdir, "rankdir", RANKDIRS, function)
    validate_choice(splines, "splines", SPLINES, function)
    if isinstance(dpi, bool) or not isinstance(dpi, numbers.Real) or not dpi > 0:
        raise ValueError(f"`{function}` expects `dpi` to be a positive number. "
                         + received("dpi", dpi))


def _check_format(fmt, arg, function):
    value = fmt.lower() if isinstance(fmt, str) else fmt
    if value not in (*FORMATS, "raw"):
        raise ValueError(f"`{function}` expects `{arg}` to be one of "
                         f"{', '.join(map(repr, (*FORMATS, 'raw')))}. " + received(arg, fmt))
    return value


# -- DOT text -----------------------------------------------------------------------------------
def _quote(text):
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _body(graph):
    """The node, cluster and edge statements of `graph`."""
    boxes = {box.key: box for box in graph.boxes}

    def cluster_lines(cluster):
        lines = [f"{_quote(key)} [label={_html_label(boxes[key].rows)}, fontname=Helvetica, "
                 "border=0, margin=0];" for key in cluster.boxes]
        for inner in cluster.clusters:
            lines += [f"subgraph {_quote(inner.key)} {{", f"label={_quote(inner.label)};",
                      "labeljust=l;", "style=dashed;", *cluster_lines(inner), "}"]
        return lines

    edges = [f"{_quote(a)} -> {_quote(b)} [penwidth=2];" for a, b in graph.edges]
    return cluster_lines(graph.root) + edges


def _html_label(rows):
    """A box as a Graphviz HTML-like table: black frame, one row per list of cells."""
    span = max(len(row) for row in rows)
    parts = ['<<table border="0" cellborder="1" bgcolor="black" cellpadding="10">']
    for row in rows:
        colspan = f' colspan="{span}"' if len(row) == 1 and span > 1 else ""
        cells = []
        for cell in row:
            text = "".join(f"<b>{html.escape(t)}</b>" if bold else html.escape(t)
                           for t, bold in cell.segments)
            color = "" if cell.color == "black" else f' color="{cell.color}"'
            cells.append(f'<td bgcolor="{cell.fill}"{colspan}><font point-size="{cell.size}"'
                         f"{color}>{text}</font></td>")
        parts.append(f"<tr>{''.join(cells)}</tr>")
    return "".join(parts) + "</table>>"


# -- rendering ----------------------------------------------------------------------------------
def _run_graphviz(executable, source, fmt, dpi):
    fmt = "jpg" if fmt == "jpeg" else fmt
    try:
        result = subprocess.run([executable, f"-T{fmt}", f"-Gdpi={dpi}"],
                                input=source.encode("utf-8"), capture_output=True,
                                timeout=DOT_TIMEOUT, check=False)
    except subprocess.TimeoutExpired:
        raise RuntimeError(f"Graphviz ({executable}) took more than {DOT_TIMEOUT} seconds to "
                           "draw the model. Plot a smaller model or a lower `dpi`, or "
                           "uninstall Graphviz to draw with matplotlib.") from None
    if result.returncode != 0:
        message = result.stderr.decode("utf-8", "replace").strip()
        raise RuntimeError(f"Graphviz ({executable}) failed to draw the model (exit status "
                           f"{result.returncode}): {message}")
    return result.stdout


def _notebook_image(path, extension):
    if extension not in ("png", "jpg", "jpeg", "svg"):
        return None
    try:
        from IPython import display
    except ImportError:
        return None
    return display.SVG(filename=path) if extension == "svg" else display.Image(filename=path)
