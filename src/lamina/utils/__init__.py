"""Utilities: downloading and caching files, label and array helpers, seeding, progress bars."""

from lamina.naming import clear_session
from lamina.utils.file_utils import get_file
from lamina.utils.numerical_utils import normalize, to_categorical
from lamina.utils.progbar import Progbar
from lamina.utils.rng_utils import set_random_seed

__all__ = ["Progbar", "clear_session", "get_file", "normalize", "set_random_seed", "to_categorical"]
