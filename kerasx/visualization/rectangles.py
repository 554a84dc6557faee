"""Axis-aligned rectangle outlines drawn into a NumPy image by slice assignment."""


def draw_rectangle(image, x1, y1, x2, y2, pixel, thickness):
    """Draws the outline of the box with corners `(x1, y1)`, `(x2, y2)` (pixel
    indices, both included) into `image` (`(height, width, channels)`, in place).

    The outline is `thickness` pixels wide and centred on the box's edges; an
    even thickness puts its extra pixel outside the box, so for thickness 2 the
    left edge covers columns `x1 - 1` and `x1`. A negative thickness fills the
    box. Parts outside the image are clipped.
    """
    x1, x2 = min(x1, x2), max(x1, x2)
    y1, y2 = min(y1, y2), max(y1, y2)
    if thickness < 0:
        _fill(image, y1, y2, x1, x2, pixel)
        return
    outer, inner = thickness // 2, (thickness - 1) // 2
    top, bottom, left, right = y1 - outer, y2 + outer, x1 - outer, x2 + outer
    _fill(image, top, y1 + inner, left, right, pixel)
    _fill(image, y2 - inner, bottom, left, right, pixel)
    _fill(image, top, bottom, left, x1 + inner, pixel)
    _fill(image, top, bottom, x2 - inner, right, pixel)


def _fill(image, row_first, row_last, col_first, col_last, pixel):
    """Sets the pixels of rows `row_first..row_last` and columns
    `col_first..col_last` (inclusive, clipped to the image) to `pixel`."""
    height, width = image.shape[0], image.shape[1]
    rows = slice(max(row_first, 0), max(min(row_last + 1, height), 0))
    cols = slice(max(col_first, 0), max(min(col_last + 1, width), 0))
    image[rows, cols, :] = pixel
