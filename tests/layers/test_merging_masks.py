"""Masks through merge layers, as Keras 3 computes them: the logical OR of the input masks
(Add, Subtract, Multiply, Average, Maximum, Minimum), concatenated-then-`any` for
Concatenate, none for Dot; values checked against Keras 3.15 results."""

import numpy as np
import pytest

import kerasx
from kerasx import layers, ops

IDS_A = np.array([[1, 2, 0, 0], [3, 0, 0, 0]])
IDS_B = np.array([[1, 0, 0, 5], [3, 4, 0, 0]])
# Keras 3.15: Add()([Embedding(mask_zero)(IDS_A), Embedding(mask_zero)(IDS_B)])._keras_mask
OR_MASK = [[1, 1, 0, 1], [1, 1, 0, 0]]
CONCAT_AXIS1_MASK = [[1, 1, 0, 0, 1, 0, 0, 1], [1, 0, 0, 0, 1, 1, 0, 0]]


def _mask(t):
    return np.asarray(ops.convert_to_numpy(t._keras_mask)).astype(int).tolist()


def _embedded():
    a = layers.Embedding(10, 3, mask_zero=True)(IDS_A)
    b = layers.Embedding(10, 3, mask_zero=True)(IDS_B)
    return a, b


@pytest.mark.parametrize("cls", [layers.Add, layers.Subtract, layers.Multiply, layers.Average,
                                 layers.Maximum, layers.Minimum])
def test_elementwise_merges_or_the_masks(cls):
    a, b = _embedded()
    assert _mask(cls()([a, b])) == OR_MASK


def test_concatenate_masks():
    a, b = _embedded()
    assert _mask(layers.Concatenate(axis=-1)([a, b])) == OR_MASK
    assert _mask(layers.Concatenate(axis=1)([a, b])) == CONCAT_AXIS1_MASK
    unmasked = ops.ones((2, 4, 2))
    assert _mask(layers.Concatenate()([a, unmasked])) == [[1] * 4] * 2
    # a mask with the input's own rank is concatenated as is
    m = layers.Concatenate(axis=-1).compute_mask(
        [ops.ones((2, 2)), ops.ones((2, 3))],
        [ops.convert_to_tensor(np.array([[True, False], [False, False]])), None])
    assert np.asarray(ops.convert_to_numpy(m)).tolist() == [True, True]


def test_missing_mask_gives_no_mask_and_dot_gives_none():
    a, _ = _embedded()
    assert layers.Add()([a, ops.ones((2, 4, 3))])._keras_mask is None
    assert layers.Dot(axes=-1)([a, a])._keras_mask is None
    assert layers.Add()([ops.ones((2, 3)), ops.ones((2, 3))])._keras_mask is None


def test_explicit_masks_and_bad_masks():
    x = [ops.ones((2, 3)), ops.ones((2, 3))]
    m1 = ops.convert_to_tensor(np.array([[True, False, False], [False, False, True]]))
    m2 = ops.convert_to_tensor(np.array([[False, False, True], [False, False, False]]))
    out = layers.Maximum()(x, mask=[m1, m2])
    assert _mask(out) == [[1, 0, 1], [0, 0, 1]]
    with pytest.raises(ValueError, match=r"`mask` should be a list with one mask .* received "
                                         r"Tensor"):
        layers.Add().compute_mask(x, m1)
    with pytest.raises(ValueError, match=r"same length, received 2 inputs and 1 masks"):
        layers.Concatenate().compute_mask(x, [m1])


def test_merged_mask_reaches_the_next_layer_in_a_functional_model():
    a_in = kerasx.Input((4,), dtype="int32")
    b_in = kerasx.Input((4,), dtype="int32")
    emb_a = layers.Embedding(10, 3, mask_zero=True)(a_in)
    emb_b = layers.Embedding(10, 3, mask_zero=True)(b_in)
    pooled = layers.GlobalAveragePooling1D()(layers.Add()([emb_a, emb_b]))
    model = kerasx.Model([a_in, b_in], pooled)
    got = model.predict([IDS_A, IDS_B], verbose=0)
    summed = (model.layers[2](IDS_A), model.layers[3](IDS_B))
    total = np.asarray(ops.convert_to_numpy(summed[0])) + np.asarray(ops.convert_to_numpy(summed[1]))
    keep = np.asarray(OR_MASK, dtype=np.float32)[..., None]
    expected = (total * keep).sum(1) / keep.sum(1)
    np.testing.assert_allclose(got, expected, rtol=1e-5)
