"""The CIFAR batches: pickled `(n, 3072)` uint8 images and their labels."""

import os

from kerasx.backends import host, host_datasets
from kerasx.config import image_data_format


def load_batches(folder, names, label_key, label_dtype=None):
    """`(uint8 images, labels of shape (n, 1))` of the batches `names` in `folder`, the
    images in `image_data_format()`'s layout."""
    parts = [host_datasets.load_cifar_batch(os.path.join(folder, name), label_key)
             for name in names]
    images = host.concatenate([images for images, _ in parts])
    labels = host.concatenate([labels for _, labels in parts])
    labels = host_datasets.as_column(host.to_host(labels, dtype=label_dtype))
    if image_data_format() == "channels_last":
        images = host_datasets.channels_last(images)
    return images, labels
