"""Every test here starts and ends with the default global policy."""

import pytest

from lamina.mixed_precision import policy


@pytest.fixture(autouse=True)
def _default_policy(monkeypatch):
    monkeypatch.setitem(policy._GLOBAL, "policy", None)
    yield
