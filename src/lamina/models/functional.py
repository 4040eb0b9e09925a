"""The functional graph: the nodes between a model's `Input`s and outputs, replayed on tensors.

`FunctionalGraph(inputs, outputs)` walks back from the outputs once, orders the nodes
topologically and gives every symbolic tensor a slot number. `run` then only walks the plan:
each step reads its arguments from slots, calls its layer and writes the outputs to slots.
"""

from lamina.layers.input_layer import InputLayer
from lamina.layers.keras_tensor import KerasTensor, flatten, map_structure


class _Slot:
    __slots__ = ("index",)

    def __init__(self, index):
        self.index = index


class FunctionalGraph:
    """A directed acyclic graph of layer calls from `inputs` to `outputs` (KerasTensors)."""

    def __init__(self, inputs, outputs):
        self.inputs = _as_structure(inputs, "inputs")
        self.outputs = _as_structure(outputs, "outputs")
        flat_inputs, flat_outputs = flatten(self.inputs), flatten(self.outputs)
        for tensor in flat_inputs:
            if tensor.node is None or not isinstance(tensor.node.layer, InputLayer):
                raise ValueError(
                    "A functional model's `inputs` must be tensors returned by `keras.Input(...)`. "
                    f"Received: {tensor!r}, which is the output of another layer."
                )
        self.nodes = _topological_nodes(flat_outputs)
        self._slots = {}
        for tensor in flat_inputs:
            self._slot(tensor)
        input_nodes = {id(t.node) for t in flat_inputs}
        self.plan = []
        for node in self.nodes:
            if isinstance(node.layer, InputLayer):
                if id(node) not in input_nodes:
                    raise ValueError(
                        "Graph disconnected: the output depends on the input "
                        f"'{node.layer.name}', which is not in the model's `inputs` "
                        f"({[t.name for t in flat_inputs]}). Add it to `inputs`."
                    )
                continue
            args = map_structure(self._template, node.args)
            kwargs = map_structure(self._template, node.kwargs)
            single = (len(node.args) == 1 and isinstance(node.args[0], KerasTensor)
                      and not node.kwargs)
            out_slots = [self._slot(t).index for t in node.output_tensors]
            self.plan.append((node.layer, single, args, kwargs, out_slots))
        self.input_slots = [self._slots[id(t)].index for t in flat_inputs]
        self.output_template = map_structure(lambda t: self._slots[id(t)], self.outputs)
        self.size = len(self._slots)
        self.layers = _layers_by_depth(self.nodes)
        self.input_names = [t.node.layer.name for t in flat_inputs]
        self.output_names = [t.node.layer.name for t in flat_outputs]

    def _slot(self, tensor):
        if id(tensor) not in self._slots:
            self._slots[id(tensor)] = _Slot(len(self._slots))
        return self._slots[id(tensor)]

    def _template(self, value):
        return self._slots[id(value)] if isinstance(value, KerasTensor) else value

    def run(self, inputs):
        """Replay the graph on real tensors: `inputs` in the structure of the model's inputs."""
        values = [None] * self.size
        for index, tensor in zip(self.input_slots, self.flatten_inputs(inputs)):
            values[index] = tensor
        for layer, single, args, kwargs, out_slots in self.plan:
            if single:
                outputs = layer(values[args[0].index])
            else:
                read = lambda v: values[v.index] if isinstance(v, _Slot) else v
                outputs = layer(*map_structure(read, args), **map_structure(read, kwargs))
            if len(out_slots) == 1:
                values[out_slots[0]] = outputs
            else:
                for index, tensor in zip(out_slots, flatten(outputs)):
                    values[index] = tensor
        return map_structure(lambda slot: values[slot.index], self.output_template)

    def flatten_inputs(self, inputs):
        """Match call inputs to the graph's inputs: a tensor, a list/tuple, or a dict by name."""
        count = len(self.input_slots)
        if isinstance(inputs, dict) and not isinstance(self.inputs, dict):
            missing = [name for name in self.input_names if name not in inputs]
            if missing:
                raise ValueError(f"Missing data for input(s) {missing}. The model's inputs are "
                                 f"named {self.input_names}; received keys {list(inputs)}.")
            return [inputs[name] for name in self.input_names]
        if isinstance(inputs, dict):
            return [inputs[key] for key in self.inputs]
        if count == 1:
            if isinstance(inputs, (list, tuple)) and len(inputs) == 1:
                return [inputs[0]]
            return [inputs]
        flat = flatten(inputs)
        if len(flat) != count:
            raise ValueError(f"The model expects {count} inputs ({self.input_names}) but received "
                             f"{len(flat)} input tensor(s).")
        return flat


def _as_structure(value, argument):
    bad = [leaf for leaf in flatten(value) if not isinstance(leaf, KerasTensor)]
    if bad:
        raise TypeError(
            f"`Model` expects `{argument}` to be KerasTensors (from `keras.Input` and layer "
            f"calls on them), or lists/dicts of them. Received: {argument} containing "
            f"{bad[0]!r} (of type {type(bad[0]).__name__})."
        )
    return value


def _topological_nodes(outputs):
    """Nodes reachable backwards from `outputs`, each after all of its parents."""
    ordered, done, active = [], set(), set()
    for start in [t.node for t in outputs]:
        stack = [(start, False)]
        while stack:
            node, expanded = stack.pop()
            if id(node) in done:
                continue
            if expanded:
                active.discard(id(node))
                done.add(id(node))
                ordered.append(node)
                continue
            active.add(id(node))
            stack.append((node, True))
            for parent in reversed(node.parent_nodes):
                if id(parent) not in done:
                    stack.append((parent, False))
    return ordered


def _layers_by_depth(nodes):
    """Keras' order of a functional model's layers: deepest first (a node's depth is one more
    than its deepest consumer's; a shared layer takes its deepest node's), ties broken by
    traversal order. `model.weights` and `get_weights` follow this order, as in Keras."""
    node_depth, layer_depth, first_seen = {}, {}, {}
    for node in nodes:
        first_seen.setdefault(id(node.layer), len(first_seen))
    for node in reversed(nodes):
        depth = max(node_depth.setdefault(id(node), 0), layer_depth.get(id(node.layer), 0))
        layer_depth[id(node.layer)] = depth
        node_depth[id(node)] = depth
        for parent in node.parent_nodes:
            node_depth[id(parent)] = max(depth + 1, node_depth.get(id(parent), 0))
    layers = {id(node.layer): node.layer for node in nodes}
    return sorted(layers.values(),
                  key=lambda layer: (-layer_depth[id(layer)], first_seen[id(layer)]))
