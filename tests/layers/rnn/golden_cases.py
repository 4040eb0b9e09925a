"""Keras 3 golden values for the recurrent layers (`golden/rnn_golden.npz`, written by
`golden/make_rnn_golden.py`), and a runner that checks a lamina layer against one case."""

import json
import os

import numpy as np
import pytest
import torch

import lamina.layers.rnn as rnn_layers
from lamina.layers.keras_tensor import flatten
from lamina.layers.rnn.rnn import RNN

_PATH = os.path.join(os.path.dirname(__file__), "golden", "rnn_golden.npz")
GOLDEN = np.load(_PATH)
CASES = sorted({key.split("/")[0] for key in GOLDEN.files})


def cases(prefix):
    return [name for name in CASES if name.startswith(prefix)]


def build(spec):
    """The lamina layer described by a golden `spec` (mirrors the script's `build`)."""
    cls = getattr(rnn_layers, spec["class"])
    kwargs = dict(spec.get("kwargs", {}))
    if "layer" in spec:
        kwargs["layer"] = build(spec["layer"])
    if "backward_layer" in spec:
        kwargs["backward_layer"] = build(spec["backward_layer"])
    if "cells" in spec:
        return cls([build(c) for c in spec["cells"]], **kwargs)
    if "cell" in spec:
        return cls(build(spec["cell"]), **kwargs)
    return cls(**kwargs)


def _get(name, key):
    return torch.from_numpy(GOLDEN[f"{name}/{key}"].copy())


def _many(name, key):
    found, i = [], 0
    while f"{name}/{key}{i}" in GOLDEN.files:
        found.append(_get(name, f"{key}{i}"))
        i += 1
    return found


def keras_grad(weight):
    """A weight's gradient in Keras' layout."""
    permutation = getattr(weight, "keras_permutation", None)
    return weight.grad if permutation is None else weight.grad.permute(permutation)


def check_golden(name, path, monkeypatch):
    """Build the layer of case `name`, set Keras' weights, and compare outputs (and gradients)
    with Keras'. `path="loop"` forces the step loop; `"auto"` lets the layer choose."""
    if path == "loop":
        monkeypatch.setattr(RNN, "_fused_kind", lambda self: None)
    spec = json.loads(str(GOLDEN[f"{name}/spec"]))
    layer = build(spec)
    x = _get(name, "x").requires_grad_()
    layer.build(tuple(x.shape))
    layer.set_weights([w.numpy() for w in _many(name, "w")])
    call = {}
    if f"{name}/mask" in GOLDEN.files:
        call["mask"] = _get(name, "mask")
    if f"{name}/init0" in GOLDEN.files:
        call["initial_state"] = _many(name, "init")
    outputs = flatten(layer(x, **call))
    expected = _many(name, "y")
    assert len(outputs) == len(expected)
    for out, want in zip(outputs, expected):
        torch.testing.assert_close(out, want, atol=1e-5, rtol=1e-5)
    if f"{name}/x2" in GOLDEN.files:  # stateful: the second batch starts from the kept states
        with torch.no_grad():
            second = flatten(layer(_get(name, "x2")))
        for out, want in zip(second, _many(name, "z")):
            torch.testing.assert_close(out, want, atol=1e-5, rtol=1e-5)
    if f"{name}/gx" in GOLDEN.files:
        loss = sum((r * out).sum() for r, out in zip(_many(name, "r"), outputs))
        loss.backward()
        torch.testing.assert_close(x.grad, _get(name, "gx"), atol=1e-5, rtol=1e-5)
        grads = _many(name, "gw")
        assert len(grads) == len(layer.trainable_weights)
        for weight, want in zip(layer.trainable_weights, grads):
            torch.testing.assert_close(keras_grad(weight), want, atol=1e-5, rtol=1e-5)
    return layer


PATHS = pytest.mark.parametrize("path", ["auto", "loop"])
