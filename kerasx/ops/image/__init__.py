"""`kerasx.ops.image`: the `keras.ops.image` functions (resizing, colour spaces, crops and
padding, patches, affine and perspective warps, coordinate sampling, filters).

They work on one image (rank 3) or a batch (rank 4), channels last or first, and are
differentiable with respect to the images where Keras's are.
"""

from kerasx.ops.image.color import hsv_to_rgb, rgb_to_grayscale, rgb_to_hsv
from kerasx.ops.image.crop_pad import crop_images, pad_images
from kerasx.ops.image.elastic import elastic_transform
from kerasx.ops.image.filters import gaussian_blur, sobel_edges, ssim
from kerasx.ops.image.patches import extract_patches, extract_patches_3d
from kerasx.ops.image.resize import resize, scale_and_translate
from kerasx.ops.image.sampling import map_coordinates
from kerasx.ops.image.warps import affine_transform, perspective_transform

__all__ = ["affine_transform", "crop_images", "elastic_transform", "extract_patches",
           "extract_patches_3d", "gaussian_blur", "hsv_to_rgb", "map_coordinates", "pad_images",
           "perspective_transform", "resize", "rgb_to_grayscale", "rgb_to_hsv",
           "scale_and_translate", "sobel_edges", "ssim"]
