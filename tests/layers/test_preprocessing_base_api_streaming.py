"""Keras's streaming adapt of the lookup, text and discretization layers:
`reset_state`, `update_state` for each batch, then `finalize_state`, as `adapt` does
it for a whole data set (Keras 3's golden values of Discretization are in
test_preprocessing_base_api_golden.py)."""

import numpy as np
import pytest

from kerasx import layers
from tests.conftest import to_numpy

WORDS = [["a", "b", "b"], ["c", "a", "b"], ["d", "a", "e"], ["b", "f", "a"]]
NUMBERS = np.array([[3, 1, 1, 4], [5, 9, 2, 6], [5, 3, 5, 8]], "int64")
SENTENCES = ["the cat sat", "the dog sat down", "a cat and a dog", "the end"]


def _streamed(layer, batches):
    layer.reset_state()
    for batch in batches:
        layer.update_state(batch)
    layer.finalize_state()
    return layer


@pytest.mark.parametrize("output_mode", ["int", "tf_idf"])
def test_string_lookup_streaming_equals_adapt(output_mode):
    adapted = layers.StringLookup(output_mode=output_mode)
    adapted.adapt(np.array(WORDS))
    streamed = _streamed(layers.StringLookup(output_mode=output_mode),
                         [np.array(WORDS[:1]), np.array(WORDS[1:3]), np.array(WORDS[3:])])
    assert streamed.get_vocabulary() == adapted.get_vocabulary()
    if output_mode == "tf_idf":
        np.testing.assert_allclose(to_numpy(streamed.idf_weights),
                                   to_numpy(adapted.idf_weights), rtol=1e-6)


def test_a_one_dimensional_batch_is_one_document():
    streamed = _streamed(layers.StringLookup(output_mode="tf_idf"),
                         [np.array(row) for row in WORDS])  # as Keras: each 1-D batch
    adapted = layers.StringLookup(output_mode="tf_idf")
    adapted.adapt(np.array(WORDS))  # a 2-D array: one document per row
    np.testing.assert_allclose(to_numpy(streamed.idf_weights), to_numpy(adapted.idf_weights),
                               rtol=1e-6)


def test_integer_lookup_streaming_counts_across_batches():
    layer = _streamed(layers.IntegerLookup(max_tokens=5), [NUMBERS[:1], NUMBERS[1:]])
    adapted = layers.IntegerLookup(max_tokens=5)
    adapted.adapt(NUMBERS)
    assert layer.get_vocabulary() == adapted.get_vocabulary()
    assert layer.get_vocabulary()[1] == 5  # the most frequent over both batches


def test_reset_state_forgets_the_counts_not_the_vocabulary():
    layer = _streamed(layers.StringLookup(), [np.array(WORDS)])
    vocabulary = layer.get_vocabulary()
    layer.update_state(np.array([["z", "z", "z", "z", "z", "z"]]))
    layer.reset_state()
    assert layer.get_vocabulary() == vocabulary
    layer.finalize_state()  # nothing counted: the vocabulary stays
    assert layer.get_vocabulary() == vocabulary
    layer.update_state(np.array([["z", "z", "y"]]))
    layer.finalize_state()
    assert layer.get_vocabulary() == ["[UNK]", "z", "y"]


def test_a_given_vocabulary_takes_no_streamed_data():
    layer = layers.StringLookup(vocabulary=["a", "b"])
    assert layer.reset_state() is None and layer.finalize_state() is None
    assert layer.get_vocabulary() == ["[UNK]", "a", "b"]
    with pytest.raises(ValueError, match="Cannot adapt layer"):
        layer.update_state(np.array(WORDS))


def test_text_vectorization_streaming_equals_adapt():
    adapted = layers.TextVectorization(output_mode="tf_idf")
    adapted.adapt(np.array(SENTENCES))
    streamed = _streamed(layers.TextVectorization(output_mode="tf_idf"),
                         [np.array(SENTENCES[:3]), np.array(SENTENCES[3:])])
    assert streamed.get_vocabulary() == adapted.get_vocabulary()
    np.testing.assert_allclose(to_numpy(streamed(np.array(SENTENCES))),
                               to_numpy(adapted(np.array(SENTENCES))), rtol=1e-6)


def test_discretization_streaming_equals_adapt_and_keeps_values_until_reset():
    rng = np.random.default_rng(3)
    data = rng.normal(0, 1, (50,)).astype("float32")
    adapted = layers.Discretization(num_bins=5)
    adapted.adapt(data)
    streamed = _streamed(layers.Discretization(num_bins=5), [data[:20], data[20:]])
    np.testing.assert_allclose(streamed.bin_boundaries, adapted.bin_boundaries)
    streamed.update_state(data + 100.0)  # finalize keeps the values, as in Keras
    streamed.finalize_state()
    assert streamed.bin_boundaries[-1] > 50.0
    streamed.reset_state()
    streamed.finalize_state()
    assert streamed.bin_boundaries == []  # no values: one bin, as in Keras


def test_discretization_with_boundaries_takes_no_streamed_data():
    layer = layers.Discretization(bin_boundaries=[0.0, 1.0])
    assert layer.reset_state() is None and layer.finalize_state() is None
    assert layer.bin_boundaries == [0.0, 1.0]
    with pytest.raises(ValueError, match="created with bin_boundaries"):
        layer.update_state(np.ones(3))


def test_discretization_output_dtype():
    assert layers.Discretization(bin_boundaries=[0.0]).output_dtype == "int32"
    assert layers.Discretization(bin_boundaries=[0.0],
                                 output_mode="one_hot").output_dtype == "float32"
