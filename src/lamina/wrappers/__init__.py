"""scikit-learn estimators around lamina models (Keras' `keras.wrappers`).

- `SKLearnClassifier`, `SKLearnRegressor`, `SKLearnTransformer`: Keras 3's wrappers
  (`lamina.wrappers.sklearn_wrapper`).
- `lamina.wrappers.scikit_learn.KerasClassifier` / `KerasRegressor`: Keras 2's deprecated
  `build_fn` wrappers, for older tutorials.

scikit-learn is the optional `[sklearn]` extra (`pip install "lamina[sklearn]"`). It takes
about two seconds to import, so this package imports it only when one of the classes is first
asked for (`lamina.wrappers.SKLearnClassifier`, `from lamina.wrappers import ...`): `import
lamina` stays fast and works without it.
"""

import importlib

# Each public name and the module that defines it, imported on first access (PEP 562).
_LAZY = {
    "SKLearnClassifier": "lamina.wrappers.sklearn_wrapper",
    "SKLearnRegressor": "lamina.wrappers.sklearn_wrapper",
    "SKLearnTransformer": "lamina.wrappers.sklearn_wrapper",
}

__all__ = ["SKLearnClassifier", "SKLearnRegressor", "SKLearnTransformer"]


def __getattr__(name):
    if name in _LAZY:
        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value  # the next access is a plain lookup
        return value
    raise AttributeError(f"module 'lamina.wrappers' has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(__all__))
