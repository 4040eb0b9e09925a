"""Golden box texts for `plot_model`, from Keras 3's own label maker.

Run: `KERAS_BACKEND=jax /tmp/kenv/bin/python tests/utils/golden/make_model_visualization_golden.py`
Keras' `model_to_dot` needs pydot, which is not installed; its `make_layer_label` does not,
so this records, for every layer of the test models, the text of its label with all options on
(tags removed): layer name, class, activation, input/output shapes, dtype, trainable.
"""

import json
import pathlib
import re

import keras
from keras import layers
from keras.src.utils import model_visualization


def mlp():
    return keras.Sequential([keras.Input(shape=(784,)), layers.Dense(512, activation="relu"),
                             layers.Dropout(0.2), layers.Dense(10, activation="softmax")])


def branching():
    inputs = keras.Input(shape=(6,), name="features")
    trunk = layers.Dense(5, activation="relu", name="trunk")(inputs)
    left = layers.Dense(4, activation="tanh", name="left")(trunk)
    right = layers.Dense(2, name="right")(trunk)
    merged = layers.Concatenate(name="merged")([left, right])
    outputs = layers.Dense(3, activation="softmax", name="head")(merged)
    model = keras.Model(inputs, outputs)
    model.get_layer("right").trainable = False
    return model


def texts(model):
    found = {}
    for layer in model.layers:
        label = model_visualization.make_layer_label(
            layer, show_layer_names=True, show_layer_activations=True, show_dtype=True,
            show_shapes=True, show_trainable=True)
        found[layer.name] = re.sub(r"<[^>]*>", "", label).rstrip(">")  # label is <...>
    return found


golden = {"keras_version": keras.__version__, "mlp": texts(mlp()), "branching": texts(branching())}
path = pathlib.Path(__file__).with_name("model_visualization_golden.json")
path.write_text(json.dumps(golden, indent=1) + "\n")
print(json.dumps(golden, indent=1))
