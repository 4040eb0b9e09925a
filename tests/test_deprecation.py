import types
import warnings

import pytest

from lamina import deprecation
from tests.legacy_warnings import one_deprecation


def test_warn_points_at_the_first_frame_outside_lamina():
    # `Dense.__init__` -> `Layer.__init__` -> ...: the warning names this line, not lamina's.
    from lamina.layers import Dense

    with one_deprecation(r"`Dense\(output_dim=\.\.\.\)` is deprecated in Keras 3; use `units=2`"):
        Dense(output_dim=2)


def test_warn_category_and_message():
    with pytest.warns(UserWarning, match="^something$") as record:
        deprecation.warn("something", UserWarning)
    assert record[0].filename == __file__


def test_short_repr_keeps_short_literals_only():
    assert deprecation.short_repr(0.01) == "0.01"
    assert deprecation.short_repr("uniform") == "'uniform'"
    assert deprecation.short_repr((3, 3)) == "(3, 3)"
    assert deprecation.short_repr(object()) == "..."
    assert deprecation.short_repr("x" * 60) == "..."


def _legacy_module():
    module = types.ModuleType("lamina_test_legacy")
    module.__getattr__ = deprecation.module_getattr("lamina_test_legacy",
                                                    {"Old": "lamina.layers:Dense"})
    return module


def test_module_getattr_resolves_and_names_the_modern_path():
    from lamina.layers import Dense

    module = _legacy_module()
    with one_deprecation(r"^`lamina_test_legacy\.Old` \(a Keras 2 import path\) is deprecated "
                         r"in Keras 3; use `lamina\.layers\.Dense`\.$"):
        assert module.Old is Dense


def test_module_getattr_rejects_other_names_without_warning():
    module = _legacy_module()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(AttributeError, match="module 'lamina_test_legacy' has no attribute "
                                                 "'Missing'"):
            module.Missing  # noqa: B018
        assert not hasattr(module, "__wrapped__")
