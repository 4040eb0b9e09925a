"""Utilities: downloading and caching files, label and array helpers, seeding, progress bars,
`PyDataset`, model plots, images (load, save, convert) and datasets made from directories,
timeseries arrays, or split in two."""

from lamina.naming import clear_session
from lamina.utils.dataset_utils import split_dataset
from lamina.utils.file_utils import get_file
from lamina.utils.image_dataset_utils import image_dataset_from_directory
from lamina.utils.image_utils import array_to_img, img_to_array, load_img, save_img
from lamina.utils.model_visualization import model_to_dot, plot_model
from lamina.utils.numerical_utils import normalize, to_categorical
from lamina.utils.progbar import Progbar
from lamina.utils.py_dataset import PyDataset, Sequence
from lamina.utils.rng_utils import set_random_seed
from lamina.utils.sequence_utils import pad_sequences
from lamina.utils.text_dataset_utils import text_dataset_from_directory
from lamina.utils.timeseries_dataset_utils import timeseries_dataset_from_array

__all__ = ["Progbar", "PyDataset", "Sequence", "array_to_img", "clear_session", "get_file",
           "image_dataset_from_directory", "img_to_array", "load_img", "model_to_dot",
           "normalize", "pad_sequences", "plot_model", "save_img", "set_random_seed",
           "split_dataset", "text_dataset_from_directory", "timeseries_dataset_from_array",
           "to_categorical"]
