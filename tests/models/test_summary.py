import json
from pathlib import Path

import pytest
import torch

import lamina as keras
from lamina.layers import Dense

GOLDEN = json.loads((Path(__file__).parent / "golden" / "summary_golden.json").read_text())


def capture(model, **kwargs):
    lines = []
    model.summary(print_fn=lines.append, **kwargs)
    return "\n".join(lines)


def tutorial_model():
    model = keras.models.Sequential()
    with pytest.warns(UserWarning, match="Do not pass an `input_shape`"):  # as Keras 3
        model.add(Dense(1000, input_dim=784, activation="relu"))
    model.add(Dense(10, activation="softmax"))
    return model


def two_towers():
    a, b = keras.Input((4,), name="a"), keras.Input((4,), name="b")
    shared, head = Dense(3, name="shared"), Dense(2, name="head")
    head_out = head(shared(a))
    head.trainable = False
    return keras.Model([a, b], [head_out, shared(b)], name="two_towers")


def test_sequential_summary_matches_keras():
    assert capture(tutorial_model(), line_length=76) == GOLDEN["tutorial_76"].rstrip("\n")


def test_functional_summary_has_connected_to_column_like_keras():
    assert capture(two_towers(), line_length=76) == GOLDEN["functional_76"].rstrip("\n")
    assert capture(two_towers(), line_length=76, show_trainable=True) == \
        GOLDEN["functional_trainable_76"].rstrip("\n")


def test_summary_prints_to_stdout_by_default(capsys):
    tutorial_model().summary()
    printed = capsys.readouterr().out
    assert 'Model: "sequential"' in printed and "Total params: 795,010 (3.03 MB)" in printed


def test_subclassed_model_summary_after_build():
    class Net(keras.Model):
        def __init__(self):
            super().__init__()
            self.hidden = Dense(5)
            self.out = Dense(2)

        def call(self, x):
            return self.out(self.hidden(x))

    model = Net()
    model(torch.ones(1, 3))
    text = capture(model, line_length=76)
    assert "│ dense (Dense)" in text and "(None, 5)" in text and "(None, 2)" in text
    assert "Total params: 32" in text


def test_expand_nested_lists_inner_layers():
    inner_in = keras.Input((3,))
    inner = keras.Model(inner_in, Dense(2, name="inner_dense")(inner_in), name="inner")
    outer = keras.Sequential([keras.Input((3,)), inner, Dense(1)])
    assert "inner_dense" not in capture(outer, line_length=76)
    assert "└ inner_dense (Dense)" in capture(outer, line_length=76, expand_nested=True)


def test_summary_rejects_too_narrow_lines():
    with pytest.raises(ValueError, match="Insufficient console width"):
        tutorial_model().summary(line_length=5)
    with pytest.raises(ValueError, match="`layer_range` must be a list of two layer names"):
        tutorial_model().summary(layer_range=["dense", "nope"])
