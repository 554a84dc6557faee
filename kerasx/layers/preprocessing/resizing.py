"""`Resizing`: resamples images to a fixed height and width."""

__all__ = ["Resizing"]

from kerasx import ops
from kerasx.autodiff.tensor import value_of
from kerasx.backends import current
from kerasx.layers.layer import Layer
from kerasx.layers.preprocessing._dtypes import as_dtype
from kerasx.layers.preprocessing._image_api import ImagePreprocessingAPI
from kerasx.layers.preprocessing import _image_resize as image
from kerasx.ops.image.resize import INTERPOLATIONS as RESIZE_INTERPOLATIONS


class Resizing(ImagePreprocessingAPI, Layer):
    """Resizes images to `height` x `width`.

    Bilinear sampling uses half-pixel centers with the triangle kernel and no
    antialiasing (Keras's and `jax.image.resize`'s `"bilinear"`); `"nearest"`
    takes the input pixel at `floor((i + 0.5) * in / out)`; `"bicubic"`,
    `"lanczos3"`, `"lanczos5"` and `antialias=True` sample as
    `kerasx.ops.image.resize`. Gradients pass through to the inputs. Integer
    images come back rounded, in their own dtype.

    Args:
        height, width: the output size.
        interpolation: `"bilinear"`, `"nearest"`, `"bicubic"`, `"lanczos3"` or
            `"lanczos5"`.
        crop_to_aspect_ratio: first crop the largest centered window with the
            target aspect ratio, so that the image is not distorted.
        pad_to_aspect_ratio: first pad the image evenly on both sides with
            `fill_value` to the target aspect ratio (at most one of the two).
        fill_mode: only `"constant"`.
        fill_value: the value of the padding.
        antialias: widen the kernel by the scale factor when downsampling.
        data_format: `"channels_last"` (default: `image_data_format()`) or
            `"channels_first"`.

        bounding_box_format: the format of the boxes of a dict input.

    Input shape: `(batch, rows, cols, channels)` or `(rows, cols, channels)`
    (channels_last). Output shape: the same with `rows, cols = height, width`.
    A dict `{"images", "labels", "bounding_boxes", "segmentation_masks"}` gives
    the same dict: boxes are scaled (and cropped or padded) with the images and
    clipped to them (a box left empty gets the label -1; boxes of all 0 or all
    -1, padding, become 0), masks are resized with nearest sampling.
    """

    _float_output = False  # integer images come back rounded, in their own dtype

    def __init__(self, height, width, interpolation="bilinear", crop_to_aspect_ratio=False,
                 pad_to_aspect_ratio=False, fill_mode="constant", fill_value=0.0,
                 antialias=False, data_format=None, bounding_box_format=None, **kwargs):
        super().__init__(**kwargs)
        self._set_bounding_box_format(bounding_box_format)
        image.check_size("Resizing", height, width)
        if interpolation not in RESIZE_INTERPOLATIONS:
            raise ValueError(f"Resizing: interpolation must be one of "
                             f"{list(RESIZE_INTERPOLATIONS)}, received "
                             f"interpolation={interpolation!r}.")
        if crop_to_aspect_ratio and pad_to_aspect_ratio:
            raise ValueError("Resizing: crop_to_aspect_ratio and pad_to_aspect_ratio cannot "
                             "both be True; choose one.")
        if fill_mode != "constant":
            raise ValueError(f"Resizing: only fill_mode='constant' is supported, received "
                             f"fill_mode={fill_mode!r}.")
        self.height, self.width = height, width
        self.interpolation = interpolation
        self.crop_to_aspect_ratio = bool(crop_to_aspect_ratio)
        self.pad_to_aspect_ratio = bool(pad_to_aspect_ratio)
        self.fill_mode = fill_mode
        self.fill_value = fill_value
        self.antialias = bool(antialias)
        self.data_format = image.data_format_of("Resizing", data_format)

    def call(self, data, training=True):
        return self._call_not_random(data)

    def _apply(self, images, draws):
        return self._resize(images, self.interpolation)

    def _resize(self, inputs, interpolation):
        image.check_images(self, inputs.shape)
        source_dtype = value_of(inputs).dtype
        integer = current().isdtype(source_dtype, "integral")
        images = as_dtype(inputs, self.dtype)
        if self.pad_to_aspect_ratio:
            images = self._pad(images)
        if interpolation in image.INTERPOLATIONS and not self.antialias:
            images = image.resize(images, self.height, self.width, interpolation,
                                  self.data_format, self.crop_to_aspect_ratio)
        else:
            images = ops.image.resize(images, (self.height, self.width), interpolation,
                                      antialias=self.antialias,
                                      crop_to_aspect_ratio=self.crop_to_aspect_ratio,
                                      data_format=self.data_format)
        if integer:  # clipped to the dtype's range: lanczos / bicubic overshoot it
            images = ops.saturate_cast(ops.round(images), source_dtype)
        return images

    def _apply_to_boxes(self, boxes, transformation, height, width):
        padding = ops.logical_or(ops.all(ops.equal(boxes, -1.0), axis=-1),
                                 ops.all(ops.equal(boxes, 0.0), axis=-1))
        x1, y1, x2, y2 = ops.split(boxes, 4, axis=-1)
        scale_x, scale_y = self.width / width, self.height / height
        offset_x = offset_y = 0.0
        if self.pad_to_aspect_ratio:
            scale_x = scale_y = min(scale_x, scale_y)
            offset_x = (self.width - width * scale_x) // 2
            offset_y = (self.height - height * scale_y) // 2
        elif self.crop_to_aspect_ratio:
            source_ratio, target_ratio = width / height, self.width / self.height
            wide = source_ratio > target_ratio
            new_width = self.height * source_ratio if wide else self.width
            new_height = self.height if wide else self.width / source_ratio
            scale_x, scale_y = new_width / width, new_height / height
            offset_x = -((new_width - self.width) // 2)
            offset_y = -((new_height - self.height) // 2)
        boxes = ops.concatenate([x1 * scale_x + offset_x, y1 * scale_y + offset_y,
                                 x2 * scale_x + offset_x, y2 * scale_y + offset_y], axis=-1)
        boxes = ops.where(ops.expand_dims(padding, -1), ops.zeros_like(boxes), boxes)
        return boxes, self.height, self.width

    def _apply_to_masks(self, masks, draws):
        return self._resize(masks, "nearest")

    def _pad(self, images):
        axes = image.spatial_axes(len(images.shape), self.data_format)
        height, width = images.shape[axes[0]], images.shape[axes[1]]
        pad_height = max(height, int(width * self.height / self.width))
        pad_width = max(width, int(height * self.width / self.height))
        pads = [(0, 0)] * len(images.shape)
        top, left = (pad_height - height) // 2, (pad_width - width) // 2
        pads[axes[0]], pads[axes[1]] = (top, top), (left, left)
        return ops.pad(images, pads, constant_values=self.fill_value)

    def compute_output_shape(self, input_shape):
        if isinstance(input_shape, dict):
            shapes = dict(input_shape)
            for key in ("images", "segmentation_masks"):
                if key in shapes:
                    shapes[key] = self.compute_output_shape(shapes[key])
            return shapes
        image.check_images(self, input_shape)
        shape = list(input_shape)
        axes = image.spatial_axes(len(shape), self.data_format)
        shape[axes[0]], shape[axes[1]] = self.height, self.width
        return tuple(shape)

    def get_config(self):
        return {**super().get_config(), "height": self.height, "width": self.width,
                "interpolation": self.interpolation,
                "crop_to_aspect_ratio": self.crop_to_aspect_ratio,
                "pad_to_aspect_ratio": self.pad_to_aspect_ratio, "fill_mode": self.fill_mode,
                "fill_value": self.fill_value, "antialias": self.antialias,
                "data_format": self.data_format,
                **({} if self.bounding_box_format is None else
                   {"bounding_box_format": self.bounding_box_format})}
