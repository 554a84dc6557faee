"""`kerasx.utils.pad_sequences`: padding and truncating sides, sizes, entry shapes, errors."""

import numpy as np
import pytest

from kerasx.utils import pad_sequences

SEQS = [[1, 2, 3], [4], [], [5, 6, 7, 8, 9]]


def test_pads_before_to_the_longest_by_default():
    out = pad_sequences(SEQS)
    assert out.dtype == np.int32 and out.shape == (4, 5)
    np.testing.assert_array_equal(out, [[0, 0, 1, 2, 3], [0, 0, 0, 0, 4], [0] * 5,
                                        [5, 6, 7, 8, 9]])


@pytest.mark.parametrize("padding, truncating, expected", [
    ("pre", "pre", [[1, 2, 3], [0, 0, 4], [0, 0, 0], [7, 8, 9]]),
    ("post", "pre", [[1, 2, 3], [4, 0, 0], [0, 0, 0], [7, 8, 9]]),
    ("pre", "post", [[1, 2, 3], [0, 0, 4], [0, 0, 0], [5, 6, 7]]),
    ("post", "post", [[1, 2, 3], [4, 0, 0], [0, 0, 0], [5, 6, 7]]),
])
def test_sides_of_padding_and_truncating(padding, truncating, expected):
    out = pad_sequences(SEQS, maxlen=3, padding=padding, truncating=truncating)
    np.testing.assert_array_equal(out, expected)


def test_value_dtype_and_array_entries():
    out = pad_sequences([np.array([0.5, 1.5])], maxlen=4, dtype="float32", value=-1.0)
    assert out.dtype == np.float32
    np.testing.assert_array_equal(out, [[-1.0, -1.0, 0.5, 1.5]])
    vectors = pad_sequences([[[1, 2], [3, 4]], [[5, 6]]], padding="post")
    assert vectors.shape == (2, 2, 2)
    np.testing.assert_array_equal(vectors[1], [[5, 6], [0, 0]])
    assert pad_sequences([[1, 2]], maxlen=0).shape == (1, 0)
    assert pad_sequences([]).shape == (0, 0)


@pytest.mark.parametrize("kwargs, match", [
    ({"sequences": SEQS, "padding": "left"}, "padding"),
    ({"sequences": SEQS, "truncating": "middle"}, "truncating"),
    ({"sequences": SEQS, "maxlen": -1}, "maxlen"),
    ({"sequences": SEQS, "maxlen": 2.5}, "maxlen"),
    ({"sequences": [[1, 2], 3]}, "position 1"),
    ({"sequences": 5}, "list of sequences"),
    ({"sequences": [[[1, 2]], [[1, 2, 3]]]}, "same shape"),
])
def test_bad_arguments_are_refused(kwargs, match):
    with pytest.raises(ValueError, match=match):
        pad_sequences(**kwargs)
