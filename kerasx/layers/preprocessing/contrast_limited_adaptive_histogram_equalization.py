"""`ContrastLimitedAdaptiveHistogramEqualization`: histogram equalization per tile,
with clipped histograms, blended between tiles."""

__all__ = ["ContrastLimitedAdaptiveHistogramEqualization"]

from kerasx import ops
from kerasx.autodiff.tensor import value_of
from kerasx.backends import current
from kerasx.layers.layer import Layer
from kerasx.layers.preprocessing import _augment, _color
from kerasx.layers.preprocessing import _image_resize as image
from kerasx.layers.preprocessing._image_api import ImagePreprocessingAPI


class ContrastLimitedAdaptiveHistogramEqualization(ImagePreprocessingAPI, Layer):
    """Contrast limited adaptive histogram equalization (CLAHE) of each channel.

    Following Keras 3.15.1: working in [0, 255] (images are mapped from
    `value_range` and back), each image is padded at the bottom and right by
    mirroring (`"symmetric"`) to a whole number of tiles; each tile and
    channel gets a 256-bin histogram of its truncated values; bins above
    `clip_limit * tile_pixels / 256` are cut to it and the excess is spread
    evenly over all bins (once, when `clip_limit > 0`); the lookup table is
    `255 * (cdf - cdf[0]) / (tile_pixels - cdf[0])`; and each pixel blends
    the tables of the four nearest tile centres bilinearly (tables at the
    borders repeat). Not random, so it applies in training and inference
    alike. Float images come back in the layer's dtype, integer images in
    their own (truncated). The output carries no gradient.

    Args:
        value_range: the `(low, high)` range of the images (default `(0, 255)`).
        clip_limit: the contrast limit (default 4.0; 0 or less: no limit).
        tile_grid_size: the number of tiles `(rows, columns)` (default `(8, 8)`).
        data_format: `"channels_last"` (default: `image_data_format()`) or
            `"channels_first"`.
    """

    _float_output = False  # integer images come back in their own dtype

    def __init__(self, value_range=(0, 255), clip_limit=4.0, tile_grid_size=(8, 8),
                 data_format=None, **kwargs):
        super().__init__(**kwargs)
        name = "ContrastLimitedAdaptiveHistogramEqualization"
        _augment.value_range_of(name, value_range)
        if not _augment._number(clip_limit):
            raise ValueError(f"{name}: clip_limit must be a number, received "
                             f"clip_limit={clip_limit!r}.")
        if not isinstance(tile_grid_size, (tuple, list)) or len(tile_grid_size) != 2 or \
                not all(isinstance(t, int) and not isinstance(t, bool) and t > 0
                        for t in tile_grid_size):
            raise ValueError(f"{name}: tile_grid_size must be a pair of positive integers "
                             f"(rows, columns), received tile_grid_size={tile_grid_size!r}.")
        self.value_range = value_range
        self.clip_limit = clip_limit
        self.tile_grid_size = tile_grid_size
        self.data_format = image.data_format_of(name, data_format)

    def call(self, data, training=True):
        return self._call_not_random(data)

    def _apply(self, inputs, draws):
        image.check_images(self, inputs.shape)
        backend = current()
        xp = backend.xp
        values = value_of(inputs)
        single = len(values.shape) == 3
        x = values[None, ...] if single else values
        if self.data_format == "channels_first":
            x = xp.permute_dims(x, (0, 2, 3, 1))
        work = x.dtype if backend.isdtype(x.dtype, "real floating") else xp.float32
        x = value_of(_augment.rescale(ops.convert_to_tensor(xp.astype(x, work)),
                                      self.value_range, (0, 255)))
        out = value_of(_augment.rescale(ops.convert_to_tensor(self._equalize(x)), (0, 255),
                                        self.value_range))
        if self.data_format == "channels_first":
            out = xp.permute_dims(out, (0, 3, 1, 2))
        out = out[0, ...] if single else out
        return ops.convert_to_tensor(xp.astype(out, values.dtype))

    def _apply_to_labels(self, labels, draws):
        raise NotImplementedError(
            "ContrastLimitedAdaptiveHistogramEqualization does not transform labels (nor "
            "bounding boxes or segmentation masks), as in Keras: pass the images alone.")

    def _equalize(self, images):
        """CLAHE of a channels-last batch on the [0, 255] scale."""
        backend = current()
        xp = backend.xp
        batch, height, width, channels = images.shape
        rows, cols = self.tile_grid_size
        tile_h, tile_w = -(-height // rows), -(-width // cols)
        padded = _mirror_pad(xp, images, rows * tile_h, cols * tile_w)
        tiles = xp.reshape(padded, (batch, rows, tile_h, cols, tile_w, channels))
        tiles = xp.reshape(xp.permute_dims(tiles, (0, 1, 3, 5, 2, 4)),
                           (batch * rows * cols * channels, tile_h * tile_w))
        levels = xp.astype(xp.clip(xp.trunc(tiles), 0.0, 255.0), xp.int64)
        groups = levels.shape[0]
        offsets = xp.reshape(xp.arange(groups, dtype=xp.int64, device=backend.device) * 256,
                             (groups, 1))
        hist = xp.reshape(_color.histogram(levels + offsets, groups * 256), (groups, 256))
        tables = _lookup_tables(xp, xp.astype(hist, images.dtype), self.clip_limit,
                                tile_h * tile_w)
        tables = xp.reshape(tables, (batch, rows, cols, channels, 256))
        # repeat the border tables, so that border pixels blend a table with itself
        tables = xp.concat([tables[:, :1, ...], tables, tables[:, -1:, ...]], axis=1)
        tables = xp.concat([tables[:, :, :1, ...], tables, tables[:, :, -1:, ...]], axis=2)
        return self._blend(xp, backend, tables, padded)[:, :height, :width, :]

    def _blend(self, xp, backend, tables, padded):
        """Each pixel's value looked up in the four nearest tiles' tables, blended
        bilinearly by its position between their centres."""
        batch, height, width, channels = padded.shape
        rows, cols = self.tile_grid_size
        dtype = padded.dtype

        def corners(size, tile, count):
            grid = (xp.arange(size, dtype=dtype, device=backend.device) - tile / 2.0) / tile + 1.0
            low = xp.floor(grid)
            weight = grid - low
            return (xp.astype(xp.clip(low, 0.0, count + 1.0), xp.int64),
                    xp.astype(xp.clip(low + 1.0, 0.0, count + 1.0), xp.int64), weight)

        y0, y1, wy = corners(height, height // rows, rows)
        x0, x1, wx = corners(width, width // cols, cols)
        flat = xp.reshape(tables, (-1,))
        stride_x = 256 * channels
        stride_y = stride_x * (cols + 2)
        stride_b = stride_y * (rows + 2)
        pixels = xp.astype(xp.clip(padded, 0.0, 255.0), xp.int64)
        b = xp.reshape(xp.arange(batch, dtype=xp.int64, device=backend.device), (-1, 1, 1, 1))
        c = xp.reshape(xp.arange(channels, dtype=xp.int64, device=backend.device),
                       (1, 1, 1, -1))
        base = b * stride_b + c * 256 + pixels

        def at(y, x):
            index = base + xp.reshape(y, (1, -1, 1, 1)) * stride_y + \
                xp.reshape(x, (1, 1, -1, 1)) * stride_x
            return xp.reshape(xp.take(flat, xp.reshape(index, (-1,))), index.shape)

        wy = xp.reshape(wy, (1, -1, 1, 1))
        wx = xp.reshape(wx, (1, 1, -1, 1))
        top = at(y0, x0) * (1.0 - wx) + at(y0, x1) * wx
        bottom = at(y1, x0) * (1.0 - wx) + at(y1, x1) * wx
        return top * (1.0 - wy) + bottom * wy

    def compute_output_shape(self, input_shape):
        return dict(input_shape) if isinstance(input_shape, dict) else tuple(input_shape)

    def get_config(self):
        return {**super().get_config(), "value_range": self.value_range,
                "clip_limit": self.clip_limit, "tile_grid_size": self.tile_grid_size,
                "data_format": self.data_format}


def _mirror_pad(xp, images, height, width):
    """`images` (channels last) extended to `height` x `width` at the bottom and right
    by mirroring with the edge repeated (NumPy's `"symmetric"`)."""
    backend = current()

    def indices(size, target):
        i = xp.arange(target, dtype=xp.int64, device=backend.device) % (2 * size)
        return xp.where(i < size, i, 2 * size - 1 - i)

    if images.shape[1] != height:
        images = xp.take(images, indices(images.shape[1], height), axis=1)
    if images.shape[2] != width:
        images = xp.take(images, indices(images.shape[2], width), axis=2)
    return images


def _lookup_tables(xp, hist, clip_limit, pixels):
    """Each row of `hist` (counts per level) as its clipped, equalized lookup table."""
    if clip_limit > 0:
        clipped = xp.clip(hist, 0.0, clip_limit * pixels / 256.0)
        hist = clipped + xp.sum(hist - clipped, axis=-1, keepdims=True) / 256.0
    cdf = xp.cumulative_sum(hist, axis=-1)
    lowest = xp.min(cdf, axis=-1, keepdims=True)
    spread = pixels - lowest
    spread = xp.where(spread == 0, xp.ones_like(spread), spread)
    return xp.clip((cdf - lowest) * 255.0 / spread, 0.0, 255.0)
