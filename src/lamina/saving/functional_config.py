"""A functional model's graph to and from Keras 3's config layout.

Keras writes a functional model as its layers, each with its `inbound_nodes` (one entry per
call of the layer inside the model: `{"args": [...], "kwargs": {...}}`, where each input
tensor is `{"class_name": "__keras_tensor__", "config": {"shape", "dtype",
"keras_history": [layer_name, node_index, tensor_index]}}`), plus `input_layers` and
`output_layers` as `[layer_name, node_index, tensor_index]` triples (a single triple when
the model has one input or one output). `node_index` counts only the calls that belong to
this model, so a layer shared with other models numbers its nodes from 0 here too.
"""

from lamina.layers.keras_tensor import KerasTensor, flatten, map_structure
from lamina.saving import serialization_lib


def graph_config(graph):
    """The `layers`, `input_layers` and `output_layers` entries of a model's config."""
    in_model = {id(node) for node in graph.nodes}
    node_index = {}  # id(node) -> its index among its layer's nodes in this model
    for layer in graph.layers:
        own = [node for node in layer._inbound_nodes if id(node) in in_model]
        for index, node in enumerate(own):
            node_index[id(node)] = index

    def history(tensor):
        node, tensor_index = tensor._history
        return [node.layer.name, node_index[id(node)], tensor_index]

    def tensor_config(value):
        if not isinstance(value, KerasTensor):
            return serialization_lib.serialize_keras_object(value)
        return {"class_name": "__keras_tensor__",
                "config": {"shape": list(value.shape),
                           "dtype": str(value.dtype).replace("torch.", ""),
                           "keras_history": history(value)}}

    layers = []
    for layer in graph.layers:
        entry = serialization_lib.serialize_keras_object(layer)
        entry["name"] = layer.name
        nodes = [node for node in layer._inbound_nodes if id(node) in in_model]
        entry["inbound_nodes"] = [
            {"args": _to_lists(map_structure(tensor_config, list(node.args))),
             "kwargs": _to_lists(map_structure(tensor_config, dict(node.kwargs)))}
            for node in nodes if node.args or node.kwargs]
        layers.append(entry)
    inputs = [history(t) for t in flatten(graph.inputs)]
    outputs = [history(t) for t in flatten(graph.outputs)]
    return {"layers": layers,
            "input_layers": _structure_of(graph.inputs, inputs),
            "output_layers": _structure_of(graph.outputs, outputs)}


def _structure_of(structure, triples):
    if isinstance(structure, dict):
        return dict(zip(structure, triples))
    if isinstance(structure, (list, tuple)) and len(triples) > 1:
        return triples
    if isinstance(structure, (list, tuple)):
        return [triples[0]]
    return triples[0]


def _to_lists(value):
    if isinstance(value, (list, tuple)):
        return [_to_lists(item) for item in value]
    if isinstance(value, dict):
        return {key: _to_lists(item) for key, item in value.items()}
    return value


def rebuild_graph(config):
    """Create the layers of a functional config and replay their calls on symbolic tensors.

    Returns:
        `(inputs, outputs)`: KerasTensor structures for `Model(inputs, outputs)`.

    Raises:
        ValueError: If the config is not a functional model's, or a node's inputs never
            become available (a cycle or a missing layer).
    """
    entries = config.get("layers")
    if not isinstance(entries, list) or "input_layers" not in config:
        raise ValueError("A functional model config needs `layers` and `input_layers` "
                         f"entries. Received keys: {sorted(config)}.")
    layers, pending, outputs = {}, [], {}  # outputs: (layer name, node index) -> flat tensors
    for entry in entries:
        name = entry.get("name") or entry["config"]["name"]
        layer = serialization_lib._deserialize(
            {key: value for key, value in entry.items() if key not in ("name", "inbound_nodes",
                                                                       "build_config")})
        layers[name] = layer
        if getattr(layer, "output_tensor", None) is not None and not entry.get("inbound_nodes"):
            outputs[(name, 0)] = [layer.output_tensor]  # an InputLayer
        pending.extend((name, index, node) for index, node in
                       enumerate(entry.get("inbound_nodes") or []))
    while pending:
        remaining = []
        for name, index, node in pending:
            if not _ready(node, outputs):
                remaining.append((name, index, node))
                continue
            resolve = lambda value: _resolve_tensor(value, outputs)
            args = _resolve(node.get("args", []), resolve)
            kwargs = _resolve(node.get("kwargs", {}), resolve)
            outputs[(name, index)] = flatten(layers[name](*args, **kwargs))
        if len(remaining) == len(pending):
            names = sorted({name for name, _, _ in remaining})
            raise ValueError(f"Could not rebuild the functional model: the inputs of layers "
                             f"{names} are never produced by the other layers of the config.")
        pending = remaining

    def tensor(triple):
        name, node_index, tensor_index = triple
        if (name, node_index) not in outputs:
            raise ValueError(f"The model config names an input or output {triple} that no "
                             "layer of the config produces.")
        return outputs[(name, node_index)][tensor_index]

    return (_map_triples(config["input_layers"], tensor),
            _map_triples(config["output_layers"], tensor))


def _map_triples(value, fn):
    if isinstance(value, dict):
        return {key: _map_triples(item, fn) for key, item in value.items()}
    if _is_triple(value):
        return fn(value)
    items = [_map_triples(item, fn) for item in value]
    return items


def _is_triple(value):
    return (isinstance(value, (list, tuple)) and len(value) == 3 and isinstance(value[0], str)
            and isinstance(value[1], int))


def _is_tensor_config(value):
    return isinstance(value, dict) and value.get("class_name") == "__keras_tensor__"


def _tensor_configs(value):
    if _is_tensor_config(value):
        return [value]
    if isinstance(value, (list, tuple)):
        return [t for item in value for t in _tensor_configs(item)]
    if isinstance(value, dict):
        return [t for item in value.values() for t in _tensor_configs(item)]
    return []


def _ready(node, outputs):
    for tensor in _tensor_configs([node.get("args", []), node.get("kwargs", {})]):
        name, node_index, _ = tensor["config"]["keras_history"]
        if (name, node_index) not in outputs:
            return False
    return True


def _resolve_tensor(value, outputs):
    name, node_index, tensor_index = value["config"]["keras_history"]
    return outputs[(name, node_index)][tensor_index]


def _resolve(value, resolve):
    if _is_tensor_config(value):
        return resolve(value)
    if isinstance(value, list):
        return [_resolve(item, resolve) for item in value]
    if isinstance(value, dict) and "class_name" in value:
        return serialization_lib._deserialize(value)
    if isinstance(value, dict):
        return {key: _resolve(item, resolve) for key, item in value.items()}
    return value
