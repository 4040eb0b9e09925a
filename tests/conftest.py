"""Test settings, stricter than users': seeded, deterministic, warnings are errors, and a
private Keras cache so no test touches `~/.keras`."""

import random

import numpy as np
import pytest
import torch

# Two cores: don't oversubscribe when pytest runs alongside other work.
torch.set_num_threads(2)


@pytest.fixture(autouse=True)
def _deterministic(monkeypatch, tmp_path_factory):
    random.seed(0)
    np.random.seed(0)
    torch.manual_seed(0)
    torch.use_deterministic_algorithms(True, warn_only=False)
    monkeypatch.setenv("KERAS_HOME", str(tmp_path_factory.mktemp("keras_home")))
    from lamina.naming import clear_session

    clear_session()  # automatic names start at `dense` in every test
    yield
    torch.use_deterministic_algorithms(False)


def pytest_configure(config):
    # Warnings are errors, except these, which come from outside lamina:
    config.addinivalue_line("filterwarnings", "error")
    # torch's FakeTensorMode (used for shape inference) may warn about its own internals.
    config.addinivalue_line("filterwarnings", "ignore::DeprecationWarning:torch.*")


# The golden-fixture scripts run under real Keras in a separate virtualenv, never under pytest.
collect_ignore_glob = ["*/golden/*.py", "golden/*.py"]
