"""Keras 2's `keras.utils.np_utils` and `keras.utils.vis_utils` module paths."""

import sys
import types

import numpy as np
import pytest

from lamina import utils
from tests.legacy_warnings import one_deprecation


def test_np_utils_names_are_the_utils_functions():
    from lamina.utils import np_utils

    with one_deprecation(r"^`lamina\.utils\.np_utils\.to_categorical` \(a Keras 2 import path\) "
                         r"is deprecated in Keras 3; use `lamina\.utils\.to_categorical`\.$"):
        to_categorical = np_utils.to_categorical
    with one_deprecation(r"use `lamina\.utils\.normalize`"):
        normalize = np_utils.normalize
    assert (to_categorical, normalize) == (utils.to_categorical, utils.normalize)
    np.testing.assert_array_equal(to_categorical([2, 0], 3), [[0, 0, 1], [1, 0, 0]])
    assert sorted(dir(np_utils)) == ["normalize", "to_categorical"]
    with pytest.raises(AttributeError, match="has no attribute 'probas_to_classes'"):
        np_utils.probas_to_classes  # noqa: B018


@pytest.fixture
def visualization(monkeypatch):
    """A stand-in for `lamina.utils.model_visualization`, recording the calls it gets."""
    calls = []
    module = types.ModuleType("lamina.utils.model_visualization")
    module.plot_model = lambda *args, **kwargs: calls.append(("plot_model", args, kwargs)) or 1
    module.model_to_dot = lambda *args, **kwargs: calls.append(("model_to_dot", args, kwargs)) \
        or 2
    monkeypatch.setitem(sys.modules, "lamina.utils.model_visualization", module)
    monkeypatch.setattr(utils, "model_visualization", module, raising=False)
    return calls


def test_vis_utils_forwards_calls_to_model_visualization(visualization):
    from lamina.utils import vis_utils

    with one_deprecation(r"^`lamina\.utils\.vis_utils\.plot_model` \(a Keras 2 import path\) is "
                         r"deprecated in Keras 3; use `lamina\.utils\.plot_model`\.$"):
        plot_model = vis_utils.plot_model
    with one_deprecation(r"use `lamina\.utils\.model_to_dot`"):
        model_to_dot = vis_utils.model_to_dot
    model = object()
    assert plot_model(model, to_file="mlp.png", show_shapes=True) == 1
    assert model_to_dot(model, rankdir="LR") == 2
    assert visualization == [("plot_model", (model,), {"to_file": "mlp.png", "show_shapes": True}),
                             ("model_to_dot", (model,), {"rankdir": "LR"})]
    assert sorted(dir(vis_utils)) == ["model_to_dot", "plot_model"]
    with pytest.raises(AttributeError, match="has no attribute 'plot'"):
        vis_utils.plot  # noqa: B018
