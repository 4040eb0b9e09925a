"""lamina: the Keras programming model on PyTorch.

`import lamina as keras` and write Keras code: layers, `Sequential`/functional/subclassed
models, `compile`, `fit`, `evaluate`, `predict`, callbacks, `summary`.
"""

from lamina import (
    activations,
    backend,
    callbacks,
    config,
    constraints,
    datasets,
    distribution,
    dtype_policies,
    initializers,
    layers,
    losses,
    metrics,
    mixed_precision,
    models,
    optimizers,
    preprocessing,
    regularizers,
    saving,
    utils,
    wrappers,
)
from lamina.layers import Input, InputLayer, KerasTensor, Layer, Variable
from lamina.models import Model, Sequential

__version__ = "0.1.0"

__all__ = [
    "Input",
    "InputLayer",
    "KerasTensor",
    "Layer",
    "Model",
    "Sequential",
    "Variable",
    "activations",
    "backend",
    "callbacks",
    "config",
    "constraints",
    "datasets",
    "distribution",
    "dtype_policies",
    "initializers",
    "layers",
    "losses",
    "metrics",
    "mixed_precision",
    "models",
    "optimizers",
    "preprocessing",
    "regularizers",
    "saving",
    "utils",
    "wrappers",
]
