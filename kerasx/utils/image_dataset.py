"""`image_dataset_from_directory`: a `PyDataset` of the images of a class-per-subdirectory
tree (decoded with Pillow, imported on use)."""

from kerasx.utils.file_dataset import datasets_from_directory
from kerasx.utils.image_utils import pil_image

ALLOWLIST_FORMATS = (".bmp", ".gif", ".jpeg", ".jpg", ".png")
INTERPOLATIONS = ("bilinear", "nearest", "bicubic", "area", "lanczos3", "lanczos5")
_KERAS_ONLY = ("gaussian", "mitchellcubic")
_CHANNELS = {"grayscale": 1, "rgb": 3, "rgba": 4}


def image_dataset_from_directory(directory, labels="inferred", label_mode="int",
                                 class_names=None, color_mode="rgb", batch_size=32,
                                 image_size=(256, 256), shuffle=True, seed=None,
                                 validation_split=None, subset=None, interpolation="bilinear",
                                 follow_links=False, crop_to_aspect_ratio=False,
                                 pad_to_aspect_ratio=False, data_format=None, format="tf",
                                 verbose=True):
    """A dataset of the images under `directory`, labelled by their subdirectory.

    With `labels="inferred"`, each subdirectory of `directory` is a class (in
    alphanumeric order, or the order of `class_names`) and the `.bmp`, `.gif`
    (first frame), `.jpeg`, `.jpg` and `.png` files below it are its images.
    `labels=None` gives images only; a list gives one integer label per image
    file in sorted path order.

    Args:
        label_mode: `"int"` (`int32` labels), `"categorical"` (one-hot
            `float32`), `"binary"` (`float32` of shape `(batch, 1)`, exactly 2
            classes) or None (images only).
        color_mode: `"grayscale"`, `"rgb"` or `"rgba"`: 1, 3 or 4 channels.
        batch_size: images per batch, or None for single images.
        image_size: `(height, width)` every image is resized to (an int for a
            square).
        shuffle: draw the images in a random order, a new one each pass;
            False keeps them sorted by path.
        seed: makes the shuffling and the split repeatable. The files are
            shuffled once with NumPy's `RandomState(seed)` before the split,
            as Keras does, so a seed keeps the same validation files as Keras.
        validation_split: the fraction of files held out, taken from the end.
        subset: `"training"`, `"validation"` or `"both"` (a pair of datasets);
            needs `validation_split`.
        interpolation: `"bilinear"`, `"nearest"`, `"bicubic"`, `"lanczos3"`,
            `"lanczos5"` (half-pixel sampling without antialiasing, as
            `tf.image.resize`), or `"area"` (the mean of the area each output pixel
            covers, as `tf.image.resize`).
        follow_links: descend into linked subdirectories.
        crop_to_aspect_ratio: resize the largest centered crop with the target
            aspect ratio instead of distorting the image.
        pad_to_aspect_ratio: pad the image with zeros to the target aspect
            ratio instead of distorting it.
        data_format: `"channels_last"` or `"channels_first"` (default:
            `image_data_format()`).
        format: accepted for compatibility: `"tf"` and `"grain"` both give a
            `PyDataset` here.
        verbose: print how many files and classes were found.

    Returns:
        A `PyDataset` (`fit`, `evaluate` and `predict` take it; index it or
        iterate over it) of `float32` images of shape `(batch, height, width,
        channels)`, or `(images, labels)` batches, with the attributes
        `class_names` and `file_paths`. With `subset="both"`, the pair
        `(training, validation)`.
    """
    from kerasx.utils.image_utils import _data_format

    from kerasx.utils.directory_index import check_label_arguments

    check_label_arguments("image", labels, label_mode, class_names)
    if color_mode not in _CHANNELS:
        raise ValueError('`color_mode` must be one of {"rgb", "rgba", "grayscale"}. '
                         f"Received: color_mode={color_mode}")
    if isinstance(image_size, int):
        image_size = (image_size, image_size)
    elif not isinstance(image_size, (list, tuple)) or len(image_size) != 2:
        raise ValueError("Invalid `image_size` value. Expected a tuple of 2 integers. "
                         f"Received: image_size={image_size}")
    interpolation = str(interpolation).lower()
    if interpolation in _KERAS_ONLY:
        raise ValueError(f"interpolation={interpolation!r} (a TensorFlow resize kernel) is not "
                         f"available in kerasx; use one of {INTERPOLATIONS}.")
    if interpolation not in INTERPOLATIONS:
        raise ValueError(f"Argument `interpolation` should be one of {INTERPOLATIONS}. "
                         f"Received: interpolation={interpolation}")
    if format not in ("tf", "grain"):
        raise ValueError(f'`format` should be either "tf" or "grain". Received: format={format}')
    if crop_to_aspect_ratio and pad_to_aspect_ratio:
        raise ValueError("Only one of `pad_to_aspect_ratio`, `crop_to_aspect_ratio` can be set "
                         "to `True`.")
    pil_image()
    loader = ImageLoader(tuple(int(s) for s in image_size), _CHANNELS[color_mode], interpolation,
                         _data_format(data_format), crop_to_aspect_ratio, pad_to_aspect_ratio)
    return datasets_from_directory("image", directory, labels, label_mode, class_names,
                                   batch_size, shuffle, seed, validation_split, subset,
                                   follow_links, verbose, ALLOWLIST_FORMATS, loader)


class ImageLoader:
    """Reads image files as one `float32` host batch of a fixed size."""

    def __init__(self, image_size, channels, interpolation, data_format, crop, pad):
        self.image_size = image_size
        self.channels = channels
        self.interpolation = interpolation
        self.data_format = data_format
        self.crop = crop
        self.pad = pad

    def __call__(self, paths):
        from kerasx.backends.host import to_host

        return to_host([self.load(path) for path in paths], dtype="float32")

    def load(self, path):
        from kerasx.backends.host import to_host

        image = pil_image()
        with image.open(path) as img:
            img.seek(0)
            mode = {1: "L", 3: "RGB", 4: "RGBA"}[self.channels]
            kept = ("L", "I;16", "I") if self.channels == 1 else (mode,)
            img = img if img.mode in kept else img.convert(mode)
            x = to_host(img, dtype="float32")
        if x.ndim == 2:
            x = x[:, :, None]
        x = self._resize_area(x) if self.interpolation == "area" else self._resize(x)
        return x.transpose(2, 0, 1) if self.data_format == "channels_first" else x

    def _resize(self, x):
        from kerasx import ops
        from kerasx.backends import current

        if tuple(x.shape[:2]) == self.image_size and not (self.crop or self.pad):
            return x
        out = ops.image.resize(x, self.image_size, interpolation=self.interpolation,
                               crop_to_aspect_ratio=self.crop, pad_to_aspect_ratio=self.pad,
                               data_format="channels_last")
        return current().to_numpy(getattr(out, "value", out))

    def _resize_area(self, x):
        """Area resampling: each output pixel is the mean of the input area it covers, cells
        cut by its edges counted by the fraction inside (as `tf.image.resize(method="area")`)."""
        from kerasx.backends.host import full
        from kerasx.layers.preprocessing._image_resize import crop_box

        height, width = self.image_size
        rows, cols = x.shape[:2]
        if self.crop:
            top, left, rows, cols = crop_box(rows, cols, height, width)
            x = x[top:top + rows, left:left + cols]
        elif self.pad:
            top = (max(rows, int(cols * height / width)) - rows) // 2
            left = (max(cols, int(rows * width / height)) - cols) // 2
            padded = full((rows + 2 * top, cols + 2 * left, x.shape[2]), 0.0, "float32")
            padded[top:top + rows, left:left + cols] = x
            x = padded
            rows, cols = x.shape[:2]
        channels = x.shape[2]
        x = (_area_weights(rows, height) @ x.reshape(rows, -1)).reshape(height, cols, channels)
        x = _area_weights(cols, width) @ x.transpose(1, 0, 2).reshape(cols, -1)
        return x.reshape(width, height, channels).transpose(1, 0, 2).astype("float32")


def _area_weights(size, out):
    """The `(out, size)` matrix whose row `i` averages the cells `[i * size / out,
    (i + 1) * size / out)` of an axis of `size` cells."""
    from kerasx.backends.host import arange

    scale = size / out
    starts = arange(out)[:, None].astype("float64")
    cells = arange(size)[None, :].astype("float64")
    covered = ((starts + 1) * scale).clip(max=cells + 1) - (starts * scale).clip(min=cells)
    return covered.clip(min=0.0) / scale
