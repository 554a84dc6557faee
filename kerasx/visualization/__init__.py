"""`keras.visualization`: bounding boxes and segmentation masks drawn on images, and
galleries of images plotted with matplotlib.

Drawing returns NumPy arrays and needs nothing beyond kerasx (class labels on
boxes need Pillow, `pip install kerasx[image]`); the galleries need matplotlib.
Both are imported only when used.
"""

from kerasx.visualization.draw_bounding_boxes import draw_bounding_boxes
from kerasx.visualization.draw_segmentation_masks import draw_segmentation_masks
from kerasx.visualization.plot_bounding_box_gallery import plot_bounding_box_gallery
from kerasx.visualization.plot_image_gallery import plot_image_gallery
from kerasx.visualization.plot_segmentation_mask_gallery import plot_segmentation_mask_gallery

__all__ = ["draw_bounding_boxes", "draw_segmentation_masks", "plot_bounding_box_gallery",
           "plot_image_gallery", "plot_segmentation_mask_gallery"]
