"""Every built-in layer against the shared contract (`layer_contract.check_layer`).

Each family of layers keeps its rows in `tests/layers/<family>/contract_cases.py` as `CASES`;
this file gathers them into one table.
"""

import importlib
import pkgutil

import pytest

import lamina as keras
import tests.layers
from tests.layers.layer_contract import check_layer

CASES = [
    (keras.layers.Dense, {"units": 3}, (2, 5), (2, 3)),
    (keras.layers.Dense, {"units": 4, "activation": "relu", "use_bias": False}, (2, 3, 5),
     (2, 3, 4)),
    (keras.layers.Activation, {"activation": "tanh"}, (2, 5), (2, 5)),
    (keras.layers.Dropout, {"rate": 0.5}, (2, 5), (2, 5)),
    (keras.layers.Flatten, {}, (2, 3, 4), (2, 12)),
    (keras.layers.Reshape, {"target_shape": (2, -1)}, (2, 6), (2, 2, 3)),
]
for _info in pkgutil.iter_modules(tests.layers.__path__):
    if _info.ispkg:
        try:
            _module = importlib.import_module(f"tests.layers.{_info.name}.contract_cases")
        except ModuleNotFoundError as error:
            if error.name != f"tests.layers.{_info.name}.contract_cases":
                raise
            continue
        CASES.extend(_module.CASES)


@pytest.mark.parametrize("case", CASES, ids=[f"{c[0].__name__}-{i}" for i, c in enumerate(CASES)])
def test_layer_contract(case):
    check_layer(*case)


# Layers that cannot take a contract row, and why.
NOT_IN_CONTRACT = {
    "InputLayer": "not called on tensors; every model test builds one",
    "Lambda": "its config holds a Python function (tests/layers/test_layer.py)",
    "TorchModuleWrapper": "its config holds a torch module (tests/layers/test_layer.py)",
    # Cells are called as `cell(inputs, states)`, one step: the `RNN(cell)` rows cover them.
    "SimpleRNNCell": "a cell: see the RNN(cell) rows",
    "LSTMCell": "a cell: see the RNN(cell) rows",
    "GRUCell": "a cell: see the RNN(cell) rows",
    "StackedRNNCells": "a cell: see the RNN(cell) rows",
}


def test_every_exported_layer_has_a_contract_row():
    covered = {case[0] for case in CASES}
    exported = {getattr(keras.layers, name) for name in keras.layers.__all__}
    layers = {cls for cls in exported
              if isinstance(cls, type) and issubclass(cls, keras.Layer) and cls is not keras.Layer}
    missing = sorted(cls.__name__ for cls in layers - covered
                     if cls.__name__ not in NOT_IN_CONTRACT)
    assert missing == []
