"""`describe` and `parse_request` without HTTP: what the service reads from a model, and how
it checks requests against it."""

import numpy as np
import pytest
import torch

import lamina as keras
from lamina.serve.inputs import RequestError, parse_request, to_array
from lamina.serve.spec import TensorSpec, describe, image_layout


@pytest.mark.parametrize("shape, dtype, expected", [
    ((None, 784), torch.float32, {"height": 28, "width": 28, "layout": "flat"}),
    ((None, 28, 28), torch.float32, {"height": 28, "width": 28, "layout": "hw"}),
    ((None, 32, 24, 1), torch.float32, {"height": 32, "width": 24, "layout": "hwc"}),
    ((None, 1, 28, 28), torch.float32, {"height": 28, "width": 28, "layout": "chw"}),
    ((None, 28, 28, 3), torch.float32, None),  # colour
    ((None, 785), torch.float32, None),  # not a square
    ((None, 49), torch.float32, None),  # 7x7: too small to draw on
    ((None, None, 28), torch.float32, None),  # free size
    ((None, 784), torch.int32, None),  # token ids, not pixels
    (None, torch.float32, None),  # unknown
])
def test_image_layout(shape, dtype, expected):
    assert image_layout(TensorSpec("x", shape, dtype)) == expected


def test_describe_reads_the_graph_and_the_output_activations():
    inputs = keras.Input(shape=(28, 28, 1), name="pixels")
    flat = keras.layers.Flatten()(inputs)
    logits = keras.layers.Dense(10, name="logits")(flat)
    probabilities = keras.layers.Softmax(name="probabilities")(logits)
    gate = keras.layers.Dense(1, activation="sigmoid", name="gate")(flat)
    spec = describe(keras.Model(inputs, [logits, probabilities, gate]))
    assert [(s.name, s.shape, s.dtype_name) for s in spec.inputs] == [
        ("pixels", (None, 28, 28, 1), "float32")]
    assert [(s.name, s.probabilities) for s in spec.outputs] == [
        ("logits", False), ("probabilities", True), ("gate", True)]
    assert spec.image == {"height": 28, "width": 28, "layout": "hwc"}
    assert spec.image_classifier is False  # three outputs: the canvas drives one-output models


def test_describe_dict_inputs_and_a_subclassed_model():
    a, b = keras.Input(shape=(2,), name="a"), keras.Input(shape=(3,), name="b")
    joined = keras.layers.Concatenate()([a, b])
    spec = describe(keras.Model({"first": a, "second": b}, keras.layers.Dense(1)(joined)))
    assert spec.input_names() == ["first", "second"] and spec.input_structure == "dict"

    class Doubler(keras.Model):
        def call(self, x):
            return x * 2

    spec = describe(Doubler())
    assert [(s.name, s.shape) for s in spec.inputs] == [("input", None)] and spec.outputs == []


def test_shape_text():
    assert TensorSpec("x", (None, 4, None), torch.float32).shape_text() == "(batch, 4, None)"
    assert TensorSpec("x", (None,), torch.float32).shape_text() == "(batch,)"
    assert TensorSpec("x", None, torch.float32).shape_text() == "(batch, ...)"


def _two_inputs():
    a, b = keras.Input(shape=(2,), name="a"), keras.Input(shape=(1,), name="b", dtype="int64")
    embedded = keras.layers.Flatten()(keras.layers.Embedding(10, 2)(b))
    joined = keras.layers.Concatenate()([a, embedded])
    return describe(keras.Model([a, b], joined))


def test_parse_named_inputs_in_model_order():
    arrays, top_k = parse_request(b'{"inputs": {"b": [[3], [4]], "a": [[1, 2], [5, 6]]}, '
                                  b'"top_k": 3}', _two_inputs())
    assert [a.dtype for a in arrays] == [np.float32, np.int64] and top_k == 3
    assert arrays[0].tolist() == [[1, 2], [5, 6]] and arrays[1].tolist() == [[3], [4]]


@pytest.mark.parametrize("body, message", [
    (b'{"inputs": [[1, 2]]}', (r'The model takes 2 inputs; send them by name: \{"inputs": '
                               r'\{"a": \[...\], "b": \[...\]\}\}. Received: a JSON array')),
    (b'{"inputs": {"a": [[1, 2]], "c": [[1]]}}', (r"must name the model's inputs \['a', 'b'\]. "
                                                  r"Received names: \['a', 'c'\] \(missing "
                                                  r"\['b'\], unknown \['c'\]\)")),
    (b'{"inputs": {"a": [[1, 2]], "b": [[1], [2]]}}', (r"All inputs must have the same number of "
                                                       r"samples. Received: a=1, b=2")),
    (b'{"inputs": {"a": [[1, 2]], "b": [[1e30]]}}', (r"Input 'b' expects integers from "
                                                     r"-9223372036854775808 to "
                                                     r"9223372036854775807 \(int64\). Received: "
                                                     r"1e\+30 at index \(0, 0\)")),
    (b'{"inputs": {"a": [[1, 2]], "b": [[1]]}, "top_k": true}', (r'"top_k" must be an integer '
                                                                 r"from 1 to 1000. Received: "
                                                                 r"top_k=True \(of type bool\)")),
    (b"\xff", r"not valid JSON"),
])
def test_parse_rejects(body, message):
    with pytest.raises(RequestError, match=message):
        parse_request(body, _two_inputs())


def test_to_array_range_and_overflow_checks():
    small = TensorSpec("ids", (None, 1), torch.int8)
    with pytest.raises(RequestError, match=r"expects integers from -128 to 127 \(int8\). "
                                           r"Received: 300 at index \(0, 0\)"):
        to_array([[300]], small)
    half = TensorSpec("x", (None, 1), torch.float16)
    with pytest.raises(RequestError, match=r"expects numbers that fit in float16. Received: "
                                           r"inf at index \(0, 0\)"):
        to_array([[70000.0]], half)
    with pytest.raises(RequestError, match=r"Received: null, objects, integers beyond 64 bits"):
        to_array([[2 ** 70]], TensorSpec("x", (None, 1), torch.float32))
    bf16 = TensorSpec("x", (None, 1), torch.bfloat16)  # travels as float32, cast on the device
    assert to_array([[1.5]], bf16).dtype == np.float32
    flags = TensorSpec("mask", (None, 2), torch.bool)
    assert to_array([[True, False]], flags).tolist() == [[True, False]]
    anything = TensorSpec("x", None, torch.float32)  # a subclassed model: any rank
    assert to_array([[[1]]], anything).shape == (1, 1, 1)
    with pytest.raises(RequestError, match=r"and at least one sample. Received: an array of "
                                           r"shape \(0,\)"):
        to_array([], anything)
