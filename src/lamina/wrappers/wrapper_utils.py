"""What both scikit-learn wrapper families share: the optional import of scikit-learn, the
check that a built model is ready to train, cloning a compiled model, and pickling models
through the `.keras` format."""

import io
import re

from lamina.models import Model, clone_model, load_model
from lamina.saving.keras_zip import compile_arguments

MIN_SKLEARN = (1, 6)


def import_sklearn(owner):
    """Import scikit-learn, or fail with an `ImportError` naming the extra that installs it.

    Args:
        owner: The name of the class or module that needs scikit-learn.

    Returns:
        The `sklearn` module.

    Raises:
        ImportError: If scikit-learn is missing or older than 1.6.
    """
    try:
        import sklearn
    except ImportError as error:
        raise ImportError(
            f"`{owner}` needs scikit-learn, which is not installed. Install it with "
            '`pip install "lamina[sklearn]"` (or `pip install scikit-learn`).'
        ) from error
    # 1.6 brought the estimator tags (`__sklearn_tags__`) and `validate_data` used here.
    version = tuple(int(part) for part in re.findall(r"\d+", sklearn.__version__)[:2])
    if version < MIN_SKLEARN:
        raise ImportError(
            f"`{owner}` needs scikit-learn >= 1.6. Received: scikit-learn "
            f'{sklearn.__version__}. Upgrade it with `pip install -U "lamina[sklearn]"`.')
    return sklearn


def check_model(model, owner, source):
    """Check that `model` is a compiled lamina `Model` with a loss and an optimizer.

    Args:
        model: What `source` produced.
        owner: The wrapper, named in the messages.
        source: How the model was obtained (e.g. "`build_fn`"), named in the messages.

    Raises:
        TypeError: If `model` is not a lamina `Model`.
        RuntimeError: If it is not compiled, or was compiled without a loss.
    """
    name = type(owner).__name__
    if not isinstance(model, Model):
        raise TypeError(
            f"`{name}` expects {source} to give a compiled lamina `Model`. Received: "
            f"{model!r} (of type {type(model).__name__}).")
    if not model.compiled or model.loss is None or model.optimizer is None:
        raise RuntimeError(
            f"`{name}` needs the model from {source} to be compiled with a loss and an "
            "optimizer before it can train it. Call `compile` where the model is built, "
            "e.g.\n    model.compile(optimizer='adam', loss='sparse_categorical_crossentropy')"
        )


def clone_compiled(model):
    """A copy of `model`'s architecture with new weights, compiled as `model` is (as Keras 3's
    `clone_model` does for a compiled model), with its own optimizer."""
    clone = clone_model(model)
    if model.compiled:
        clone.compile(**compile_arguments(clone, model.get_compile_config()))
    return clone


class SavedModel:
    """A lamina `Model` in pickled form: the bytes of its `.keras` file.

    Torch modules are never pickled: the `.keras` format carries the architecture, the
    weights, the compile arguments and the optimizer state, and loads in a fresh process.
    """

    def __init__(self, model):
        buffer = io.BytesIO()
        # An optimizer that has not run yet has no state to keep (and its step counter alone
        # would not match the variables it builds on loading).
        optimizer = getattr(model, "optimizer", None)
        model.save(buffer, include_optimizer=getattr(optimizer, "built", False))
        self.data = buffer.getvalue()

    def load(self):
        """The model, rebuilt from the bytes."""
        # Unpickling already trusts its source (pickle runs code by design), so the model's
        # custom classes and lambdas are restored as they were: safe mode would refuse them.
        return load_model(io.BytesIO(self.data), safe_mode=False)


def models_to_saved(state):
    """`state` (an estimator's `__dict__` copy) with every lamina `Model` as a `SavedModel`."""
    return {key: SavedModel(value) if isinstance(value, Model) else value
            for key, value in state.items()}


def saved_to_models(state):
    """The inverse of `models_to_saved`."""
    return {key: value.load() if isinstance(value, SavedModel) else value
            for key, value in state.items()}
