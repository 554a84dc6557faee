"""`Transformation`: what an image layer's `get_random_transformation` returns."""


class Transformation(dict):
    """`{"input_shape": the shape of the images, "draws": the layer's random draws
    (None for a layer that draws nothing)}`."""


def draws_of(transformation):
    """The layer's draws in `transformation` (a `Transformation` or bare draws)."""
    if isinstance(transformation, Transformation):
        return transformation["draws"]
    return transformation
