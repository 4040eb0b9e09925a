"""`keras.preprocessing`: the Keras 3 dataset helpers (`image_dataset_from_directory`,
`text_dataset_from_directory`, `timeseries_dataset_from_array`) and the modules `image`,
`sequence` and `text`, which also hold Keras 2's `ImageDataGenerator`, `Tokenizer`,
`TimeseriesGenerator` and friends. Importing is silent; using a Keras 2 API that Keras 3
dropped emits one `DeprecationWarning` naming its replacement."""

from lamina.preprocessing import image, sequence, text
from lamina.utils.image_dataset_utils import image_dataset_from_directory
from lamina.utils.text_dataset_utils import text_dataset_from_directory
from lamina.utils.timeseries_dataset_utils import timeseries_dataset_from_array

__all__ = ["image", "image_dataset_from_directory", "sequence", "text",
           "text_dataset_from_directory", "timeseries_dataset_from_array"]
