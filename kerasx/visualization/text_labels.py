"""Text labels drawn into a NumPy image with Pillow (the `kerasx[image]` extra)."""

from kerasx.backends import host

# em size of the label font at font_scale=1: glyphs about as tall as OpenCV's
# FONT_HERSHEY_SIMPLEX at scale 1, which Keras draws its labels with
_FONT_SIZE = 30


def pillow_image_draw(caller):
    """`(Image, ImageDraw, ImageFont)` from Pillow, or an ImportError naming the extra."""
    try:
        from PIL import Image, ImageDraw, ImageFont
    except ImportError:
        raise ImportError(f"{caller} draws the class labels of `class_mapping` with Pillow, which "
                          "is not installed. Install it with `pip install kerasx[image]` (or "
                          "`pip install pillow`), or pass class_mapping=None to draw the boxes "
                          "without labels.") from None
    return Image, ImageDraw, ImageFont


def label_origin(x, y, font_scale, thickness):
    """Where the label of a box with top-left corner `(x, y)` starts: the left end
    of its baseline, above the box when there is room, else inside it."""
    font_height = int(font_scale * 12)
    if y - 8 - 2 * font_height > 0:
        return x, y - 8
    return x + 3, y + 2 * font_height + thickness + 3


def draw_text(image, text, origin, pixel, font_scale, thickness, caller):
    """Writes `text` into `image` (`(height, width, channels)`, in place) in the
    colour `pixel`, with the left end of its baseline at `origin = (x, y)`."""
    pil_image, pil_draw, pil_font = pillow_image_draw(caller)
    height, width = image.shape[0], image.shape[1]
    font = pil_font.load_default(size=max(1, round(_FONT_SIZE * font_scale)))
    ascent = font.getmetrics()[0] if hasattr(font, "getmetrics") else font.getbbox(text)[3]
    canvas = pil_image.new("L", (width, height), 0)
    draw = pil_draw.Draw(canvas)
    draw.fontmode = "1"  # hard-edged glyphs: every pixel is the label colour or untouched
    x, y = origin
    draw.text((x, y - ascent), text, fill=255, font=font, stroke_width=max(0, thickness) // 2,
              stroke_fill=255)
    image[host.to_host(canvas) > 0] = pixel
