"""The picture `plot_model` draws, independent of how it is drawn.

`model_graph(model, ...)` reads a model's functional graph and returns a `ModelGraph`: one box
per layer (a small table of text cells, in Keras' layout), the edges between boxes, and the
nested models drawn as clusters when `expand_nested`. Graphviz (`model_visualization`) and the
matplotlib fallback (`_graph_layout`) both render this one description, so they show the same
boxes, text and edges.

What Keras shows, and where lamina finds it:
- boxes: a `Sequential`'s `layers` (no `InputLayer`), a functional model's `layers` (its
  `InputLayer`s included), a subclassed model as one box;
- edges: for every node (layer call) of the model's graph, one edge from the layer that made
  each input tensor to the called layer;
- shapes and dtypes: the tensors of the layer's first call *in this model's graph* (Keras
  reads the layer's first call anywhere; the two differ only for a layer reused elsewhere).
"""

from typing import NamedTuple

from lamina.layers.input_layer import InputLayer

HEADER_SIZE = 16  # font sizes in points, as Keras' labels
CELL_SIZE = 14


class Cell(NamedTuple):
    """One table cell: `segments` are `(text, bold)` pieces written on one line."""

    segments: tuple
    fill: str = "white"
    color: str = "black"
    size: int = CELL_SIZE

    @property
    def text(self):
        return "".join(text for text, _ in self.segments)


class Box(NamedTuple):
    """One layer: `key` is its DOT node id, `rows` the rows (lists of `Cell`s) of its table."""

    key: str
    rows: tuple


class Cluster:
    """A nested model drawn as a dashed frame: its `label`, and the box keys and clusters in
    it. The root cluster (`key=None`) is the whole picture."""

    def __init__(self, key=None, label=None):
        self.key = key
        self.label = label
        self.boxes = []
        self.clusters = []


class ModelGraph:
    """Boxes in Keras' order, edges `(source key, destination key)` without repeats, and the
    tree of clusters."""

    def __init__(self):
        self.boxes = []
        self.edges = []
        self.root = Cluster()
        self._keys = {}  # id(layer) -> key of its box

    def add_box(self, layer, key, rows, cluster):
        if id(layer) in self._keys:  # a layer is drawn once, however often it is called
            return
        self._keys[id(layer)] = key
        self.boxes.append(Box(key, tuple(rows)))
        cluster.boxes.append(key)

    def add_edge(self, source, destination):
        edge = (self._keys.get(id(source)), self._keys.get(id(destination)))
        if None not in edge and edge not in self.edges:
            self.edges.append(edge)

    def cluster_paths(self):
        """`{box key: (cluster key, ...)}`: the clusters each box sits in, outermost first."""
        paths = {}

        def visit(cluster, path):
            for key in cluster.boxes:
                paths[key] = path
            for inner in cluster.clusters:
                visit(inner, (*path, inner.key))

        visit(self.root, ())
        return paths


def is_graph_model(layer):
    """A functional or Sequential model (one with a graph of layers to expand)."""
    return getattr(layer, "_graph", None) is not None and hasattr(layer, "layers")


def _is_sequential(model):
    from lamina.models.sequential import Sequential

    return isinstance(model, Sequential)


def model_graph(model, show_shapes=False, show_dtype=False, show_layer_names=True,
                expand_nested=False, show_layer_activations=False, show_trainable=False):
    """The `ModelGraph` of a built `model` (see the module docstring)."""
    options = {"show_shapes": show_shapes, "show_dtype": show_dtype,
               "show_layer_names": show_layer_names,
               "show_layer_activations": show_layer_activations,
               "show_trainable": show_trainable}
    graph = ModelGraph()
    _add_model(graph, model, graph.root, "", options, expand_nested)
    return graph


def _add_model(graph, model, cluster, prefix, options, expand_nested):
    functional = getattr(model, "_graph", None)
    if functional is None:  # a subclassed model (or a plain layer): one box
        graph.add_box(model, prefix + model.name, layer_rows(model, None, **options), cluster)
        return
    first_call = {}
    for node in functional.nodes:
        first_call.setdefault(id(node.layer), node)
    for layer in model.layers:
        if expand_nested and is_graph_model(layer):
            inner = Cluster(f"cluster_{prefix}{layer.name}", layer.name)
            cluster.clusters.append(inner)
            _add_model(graph, layer, inner, f"{prefix}{layer.name}/", options, expand_nested)
        else:
            rows = layer_rows(layer, first_call.get(id(layer)), **options)
            graph.add_box(layer, prefix + layer.name, rows, cluster)
    sequential = _is_sequential(model)
    for node in functional.nodes:
        for input_index, tensor in enumerate(node.input_tensors):
            parent, output_index = tensor._history
            source, destination = parent.layer, node.layer
            if sequential and isinstance(source, InputLayer):
                continue  # a Sequential's input layer has no box
            if expand_nested:
                source, destination = _inner_ends(source, output_index, destination, input_index)
            graph.add_edge(source, destination)


def _inner_ends(source, output_index, destination, input_index):
    """With nested models expanded, an edge runs from the inner layer that made the tensor to
    the inner layer that takes it: a nested functional model's `InputLayer`, or a nested
    Sequential's first layer."""
    while is_graph_model(source):
        parent, output_index = source.outputs[output_index]._history
        source = parent.layer
    while is_graph_model(destination):
        if _is_sequential(destination):
            destination = destination.layers[0]
        else:
            destination = destination.inputs[input_index].node.layer
    return source, destination


# -- the table of one box -----------------------------------------------------------------------
def layer_rows(layer, node, show_shapes=False, show_dtype=False, show_layer_names=True,
               show_layer_activations=False, show_trainable=False):
    """The rows of cells Keras draws for `layer`, whose call in the drawn graph is `node`
    (`None` when it has none: its shapes and dtype show as `?`)."""
    class_name = type(layer).__name__
    if class_name == "Model" and is_graph_model(layer):
        class_name = "Functional"  # Keras' class for `Model(inputs, outputs)`
    if show_layer_names:
        title = ((layer.name, True), (f" ({class_name})", False))
    else:
        title = ((class_name, True),)
    cells = []
    if show_shapes:
        if not isinstance(layer, InputLayer):
            inputs = "?" if node is None else _format(node.input_tensors, _shape)
            cells.append(Cell((("Input shape: ", False), (inputs, True))))
        outputs = "?" if node is None else _format(node.output_tensors, _shape)
        cells.append(Cell((("Output shape: ", False), (outputs, True))))
    if show_dtype:
        dtype = "?" if node is None else _format(node.output_tensors, _dtype_name)
        cells.append(Cell((("Output dtype: ", False), (dtype, True))))
    if show_trainable and layer.weights:
        if layer.trainable:
            cells.append(Cell((("Trainable", True),), fill="forestgreen", color="white"))
        else:
            cells.append(Cell((("Non-trainable", True),), fill="firebrick", color="white"))
    rows = [[Cell(title, fill="black", color="white", size=HEADER_SIZE)]]
    activation = getattr(layer, "activation", None)
    if show_layer_activations and activation is not None:
        rows.append([Cell((("Activation: ", False), (activation_name(activation), True)))])
    if cells:
        rows.append(cells)
    return rows


def activation_name(activation):
    """`relu` for `activations.relu`: its `name`, else its `__name__`, else `str()`."""
    name = getattr(activation, "name", None)
    if isinstance(name, str):
        return name
    return getattr(activation, "__name__", None) or str(activation)


def _shape(tensor):
    return tuple(tensor.shape)


def _dtype_name(tensor):
    return str(tensor.dtype).replace("torch.", "")


def _format(tensors, read):
    """As Keras prints a layer's `input`/`output` attribute: one value for one tensor, a list
    for several: `(None, 784)`, `[(None, 8), (None, 8)]`, `float32`, `['float32', 'int32']`."""
    values = [read(t) for t in tensors]
    return str(values[0] if len(values) == 1 else values)
