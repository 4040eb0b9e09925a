"""`keras.preprocessing.image`: Keras 3's image file helpers (`load_img`, `img_to_array`,
`array_to_img`, `save_img`), and Keras 2's `ImageDataGenerator`, its iterators and its
transformation functions, which Keras 3 dropped (they warn when used; see each)."""

from lamina.preprocessing.affine_transformations import (
    apply_affine_transform,
    apply_brightness_shift,
    apply_channel_shift,
    random_brightness,
    random_channel_shift,
    random_rotation,
    random_shear,
    random_shift,
    random_zoom,
)
from lamina.preprocessing.file_iterators import DataFrameIterator, DirectoryIterator
from lamina.preprocessing.image_data_generator import ImageDataGenerator
from lamina.preprocessing.iterators import Iterator, NumpyArrayIterator
from lamina.utils.image_utils import array_to_img, img_to_array, load_img, save_img

__all__ = ["DataFrameIterator", "DirectoryIterator", "ImageDataGenerator", "Iterator",
           "NumpyArrayIterator", "apply_affine_transform", "apply_brightness_shift",
           "apply_channel_shift", "array_to_img", "img_to_array", "load_img",
           "random_brightness", "random_channel_shift", "random_rotation", "random_shear",
           "random_shift", "random_zoom", "save_img"]
