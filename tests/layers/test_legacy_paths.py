"""Keras 2's module paths (`keras.layers.core`, `keras.layers.recurrent`, ...): each name taken
from them is the layer of `lamina.layers`, with one DeprecationWarning naming that path."""

import importlib
import os
import subprocess
import sys
import warnings
from pathlib import Path

import pytest
import torch

from lamina import layers
from tests.legacy_warnings import one_deprecation

REPO = Path(__file__).resolve().parents[2]

# (legacy module, name, modern name in lamina.layers)
MOVED = [
    *[("lamina.layers.core", name, name) for name in (
        "ActivityRegularization", "Dropout", "Flatten", "Permute", "RepeatVector", "Reshape",
        "SpatialDropout1D", "SpatialDropout2D", "SpatialDropout3D")],
    *[("lamina.layers.convolutional", f"{kind}{rank}D", f"{kind}{rank}D")
      for kind in ("Cropping", "UpSampling", "ZeroPadding") for rank in (1, 2, 3)],
    ("lamina.layers.convolutional", "Deconvolution2D", "Conv2DTranspose"),
    ("lamina.layers.convolutional", "Deconv2D", "Conv2DTranspose"),
    ("lamina.layers.convolutional", "Deconvolution3D", "Conv3DTranspose"),
    ("lamina.layers.convolutional", "Deconv3D", "Conv3DTranspose"),
    *[("lamina.layers.recurrent", name, name) for name in (
        "GRU", "GRUCell", "LSTM", "LSTMCell", "RNN", "SimpleRNN", "SimpleRNNCell",
        "StackedRNNCells")],
    ("lamina.layers.embeddings", "Embedding", "Embedding"),
    *[("lamina.layers.merge", name, name) for name in (
        "Add", "Average", "Concatenate", "Dot", "Maximum", "Minimum", "Multiply", "Subtract",
        "add", "average", "concatenate", "dot", "maximum", "minimum", "multiply", "subtract")],
    *[("lamina.layers.advanced_activations", name, name)
      for name in ("ELU", "LeakyReLU", "PReLU", "ReLU", "Softmax")],
    *[("lamina.layers.noise", name, name)
      for name in ("AlphaDropout", "GaussianDropout", "GaussianNoise")],
    *[("lamina.layers.wrappers", name, name) for name in ("Bidirectional", "TimeDistributed")],
]
SHIMS = ["lamina.layers.recurrent", "lamina.layers.embeddings", "lamina.layers.merge",
         "lamina.layers.advanced_activations", "lamina.layers.noise", "lamina.layers.wrappers"]


@pytest.mark.parametrize("module_name, name, modern", MOVED,
                         ids=[f"{m.rsplit('.', 1)[1]}.{n}" for m, n, _ in MOVED])
def test_legacy_name_is_the_modern_layer_and_warns_once(module_name, name, modern):
    module = importlib.import_module(module_name)
    with one_deprecation(rf"^`{module_name}\.{name}` \(a Keras 2 import path\) is deprecated in "
                         rf"Keras 3; use `lamina\.layers\.{modern}`\.$"):
        found = getattr(module, name)
    assert found is getattr(layers, modern)


def test_from_import_of_a_package_warns_once_per_moved_name():
    # The import machinery looks each name up before the statement does: one warning only.
    with one_deprecation(r"`lamina\.layers\.core\.Dropout`"):
        from lamina.layers.core import Activation, Dense, Dropout
    with one_deprecation(r"`lamina\.layers\.recurrent\.LSTM`"):
        from lamina.layers.recurrent import LSTM
    assert (Activation, Dense, Dropout, LSTM) == (layers.Activation, layers.Dense,
                                                   layers.Dropout, layers.LSTM)


def test_layers_that_live_in_core_import_without_warning():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        from lamina.layers.core import (
            Activation,
            Dense,
            Embedding,
            Lambda,
            Masking,
            TorchModuleWrapper,
        )
    assert [Activation, Dense, Embedding, Lambda, Masking, TorchModuleWrapper] == [
        layers.Activation, layers.Dense, layers.Embedding, layers.Lambda, layers.Masking,
        layers.TorchModuleWrapper]


def test_legacy_imported_layer_computes_like_the_modern_one():
    with one_deprecation("lamina.layers.merge.add"):
        from lamina.layers.merge import add
    a, b = torch.arange(6.0).reshape(2, 3), torch.ones(2, 3)
    torch.testing.assert_close(add([a, b]), a + b)


@pytest.mark.parametrize("module_name", SHIMS + ["lamina.layers.core",
                                                 "lamina.layers.convolutional"])
def test_unknown_name_is_an_attribute_error(module_name):
    module = importlib.import_module(module_name)
    with pytest.raises(AttributeError, match=rf"module '{module_name}' has no attribute 'Nope'"):
        module.Nope  # noqa: B018


@pytest.mark.parametrize("module_name", SHIMS)
def test_shim_lists_its_names(module_name):
    module = importlib.import_module(module_name)
    names = dir(module)
    assert names and all(hasattr(layers, name) for name in names)


def test_import_lamina_imports_no_shim_and_warns_nothing():
    code = ("import sys, lamina, lamina.layers, lamina.utils\n"
            f"legacy = {SHIMS + ['lamina.utils.np_utils', 'lamina.utils.vis_utils']!r}\n"
            "print(sorted(name for name in legacy if name in sys.modules))\n")
    env = {**os.environ, "PYTHONPATH": str(REPO / "src")}
    result = subprocess.run([sys.executable, "-W", "error::DeprecationWarning", "-c", code],
                            env=env, capture_output=True, text=True, timeout=120, check=True)
    assert result.stdout.strip() == "[]"
    assert result.stderr == ""
