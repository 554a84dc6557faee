"""Preprocessing layers against the cases of Keras 3.15.1's own unit tests
(keras/src/layers/preprocessing and its image_preprocessing folder): dict inputs of
the color layers and the errors Keras raises, with the phrases its tests look for."""

import numpy as np
import pytest

from kerasx import layers
from kerasx.backends import current


def to_numpy(x):
    return current().to_numpy(getattr(x, "value", x))


def dev(x):
    return current().asarray(x)


@pytest.mark.parametrize("make", [
    lambda: layers.RandomBrightness(factor=0.1, bounding_box_format="xyxy"),
    lambda: layers.RandomContrast(factor=0.1, bounding_box_format="xyxy"),
], ids=["brightness", "contrast"])
def test_color_layers_pass_bounding_boxes_through_unchecked(make):
    """Keras's `test_dict_input`: a batch of two images with one box given unbatched;
    a layer that moves no pixels returns the boxes as they are."""
    rng = np.random.default_rng(0)
    data = {
        "images": dev(rng.random((2, 4, 5, 3)).astype(np.float32)),
        "labels": dev(rng.random((2, 7)).astype(np.float32)),
        "segmentation_masks": dev(rng.random((2, 4, 5, 7)).astype(np.float32)),
        "bounding_boxes": {"boxes": dev(np.array([[1, 2, 2, 3]])),
                           "labels": dev(np.array([0]))},
    }
    out = make()(data)
    assert tuple(out["images"].shape) == (2, 4, 5, 3)
    assert tuple(out["segmentation_masks"].shape) == (2, 4, 5, 7)
    np.testing.assert_array_equal(to_numpy(out["bounding_boxes"]["boxes"]), [[1, 2, 2, 3]])
    np.testing.assert_array_equal(to_numpy(out["bounding_boxes"]["labels"]), [0])


def test_category_encoding_errors():
    with pytest.raises(ValueError, match="`num_tokens` must be >= 1"):
        layers.CategoryEncoding(num_tokens=0)
    with pytest.raises(ValueError, match="num_tokens must be set to use this layer"):
        layers.CategoryEncoding()
    with pytest.raises(ValueError, match="Unknown arg for output_mode: invalid_mode"):
        layers.CategoryEncoding(num_tokens=3, output_mode="invalid_mode")
    layer = layers.CategoryEncoding(num_tokens=4, output_mode="multi_hot")
    with pytest.raises(ValueError, match="`count_weights` is not used when `output_mode`"):
        layer(dev(np.array([1, 2])), count_weights=dev(np.array([1.0, 2.0], np.float32)))


def test_discretization_errors():
    with pytest.raises(ValueError, match="Both `num_bins` and `bin_boundaries`"):
        layers.Discretization(num_bins=3, bin_boundaries=[0.0, 1.0])
    with pytest.raises(ValueError, match="either `num_bins` or `bin_boundaries`"):
        layers.Discretization()
    with pytest.raises(ValueError, match="You need .* call .*adapt"):
        layers.Discretization(num_bins=3)(dev(np.array([[0.1, 0.3]], np.float32)))


def test_normalization_errors():
    with pytest.raises(ValueError, match="both `mean` and `variance` must be set"):
        layers.Normalization(mean=0.5)
    with pytest.raises(ValueError, match="both `mean` and `variance` must be set"):
        layers.Normalization(variance=0.1)
    with pytest.raises(ValueError, match="All `axis` values must be in the range"):
        layers.Normalization(axis=3).build((2, 2))
    with pytest.raises(ValueError, match="All `axis` values to be kept"):
        layers.Normalization(axis=1).build((None, None))
    layer = layers.Normalization()
    layer.adapt(np.random.default_rng(0).random((8, 4)).astype(np.float32))
    with pytest.raises(ValueError, match="an incompatible shape"):
        layer.adapt(np.random.default_rng(1).random((8, 6)).astype(np.float32))
    with pytest.raises(ValueError, match="empty iterable"):
        layers.Normalization().adapt([])

    def empty():
        yield from ()

    with pytest.raises(ValueError, match="empty iterable"):
        layers.Normalization().adapt(empty())

    def no_shape():
        yield [1.0, 2.0, 3.0]

    with pytest.raises(TypeError, match="`.shape`"):
        layers.Normalization().adapt(no_shape())


def test_text_vectorization_sequence_length_outside_int_mode():
    with pytest.raises(ValueError, match="`output_sequence_length` must not be set if "
                                         "`output_mode` is not"):
        layers.TextVectorization(output_mode="multi_hot", output_sequence_length=5)


def test_hashing_errors():
    with pytest.raises(ValueError, match="cannot be `None`"):
        layers.Hashing(num_bins=None)
    with pytest.raises(ValueError, match="The `num_bins` for `Hashing` cannot be `None` or "
                                         "non-positive"):
        layers.Hashing(num_bins=-1)
    with pytest.raises(ValueError, match="Invalid value for argument `output_mode`. Expected "
                                         "one of"):
        layers.Hashing(num_bins=3, output_mode="unsupported_mode")
    with pytest.raises(ValueError, match='When `output_mode="int"`, `dtype` should be an '
                                         'integer type,'):
        layers.Hashing(num_bins=3, output_mode="int", dtype="float32")
    with pytest.raises(ValueError, match="can only be a tuple of size 2"):
        layers.Hashing(num_bins=3, salt="string")


def test_random_brightness_errors():
    for factor in (1.1, -1.1):
        with pytest.raises(ValueError, match="The `factor` argument should be a number"):
            layers.RandomBrightness(factor=factor)
    for value_range in ([10], "incorrect_type"):
        with pytest.raises(ValueError, match="The `value_range` argument should be a list of "
                                             "two numbers"):
            layers.RandomBrightness(factor=0.1, value_range=value_range)
    with pytest.raises(ValueError, match="Expected the input image to be rank 3 or 4."):
        layers.RandomBrightness(factor=0.1)(dev(np.ones((10, 10), np.float32)), training=True)


def test_hashed_crossing_errors():
    layer = layers.HashedCrossing(num_bins=10)
    with pytest.raises(ValueError, match="should be called on a list"):
        layer(np.array(1))
    with pytest.raises(ValueError, match="at least two inputs"):
        layer([np.array(1)])
    with pytest.raises(ValueError, match="inputs should have shape"):
        layer((np.array([[[1.0]]]), np.array([[[1.0]]])))
    with pytest.raises(ValueError, match="should have an integer or string"):
        layer((np.array([1.0]), np.array([1.0])))
