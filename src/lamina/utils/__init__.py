"""Utilities: downloading and caching files, label and array helpers, seeding, progress bars,
`PyDataset`."""

from lamina.naming import clear_session
from lamina.utils.file_utils import get_file
from lamina.utils.numerical_utils import normalize, to_categorical
from lamina.utils.progbar import Progbar
from lamina.utils.py_dataset import PyDataset, Sequence
from lamina.utils.rng_utils import set_random_seed
from lamina.utils.sequence_utils import pad_sequences

__all__ = ["Progbar", "PyDataset", "Sequence", "clear_session", "get_file", "normalize",
           "pad_sequences", "set_random_seed", "to_categorical"]
