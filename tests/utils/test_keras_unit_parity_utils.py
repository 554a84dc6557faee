"""Cases from Keras 3.15.1's own unit tests of `keras.utils` where kerasx differed."""

import random

import numpy as np
import pytest

import kerasx as keras
from kerasx.utils import pad_sequences


STRINGS = [["1"], ["1", "2"], ["1", "2", "3"]]


def test_string_padding_value_with_a_numeric_dtype_is_refused():
    # Keras 3.15.1 raises this ValueError (it suggests `dtype=object`); kerasx tried to
    # cast "pad" to int32.
    with pytest.raises(ValueError, match="(?s)`dtype` int32 is not compatible with "
                                         "`value`'s type.*dtype=object"):
        pad_sequences(STRINGS, maxlen=2, truncating="post", value="pad")


def test_set_random_seed_seeds_numpy_and_python_as_keras():
    # Keras's `set_random_seed` seeds Python, NumPy and the backend: data drawn with
    # `np.random` after it repeats.
    keras.utils.set_random_seed(42)
    first = (np.random.random((4, 3)), random.random(),
             keras.ops.convert_to_numpy(keras.random.uniform((3,))))
    keras.utils.set_random_seed(42)
    again = (np.random.random((4, 3)), random.random(),
             keras.ops.convert_to_numpy(keras.random.uniform((3,))))
    np.testing.assert_array_equal(first[0], again[0])
    assert first[1] == again[1]
    np.testing.assert_array_equal(first[2], again[2])
    np.random.seed(42)
    np.testing.assert_array_equal(first[0], np.random.random((4, 3)))


def test_reseeding_makes_a_model_with_numpy_inputs_repeat():
    # As Keras's rng_utils test: build and predict on np.random data twice after the same
    # seed, the outputs are equal; without reseeding, or with another seed, they are not.
    def output():
        model = keras.Sequential([keras.layers.Dense(10), keras.layers.Dropout(0.5),
                                  keras.layers.Dense(10)])
        x = np.random.random((32, 10)).astype("float32")
        return model.predict(x, batch_size=16, verbose=0)

    keras.utils.set_random_seed(42)
    y1, y2 = output(), output()
    keras.utils.set_random_seed(42)
    y3 = output()
    keras.utils.set_random_seed(1337)
    y4 = output()
    assert not np.allclose(y1, y2)
    np.testing.assert_allclose(y1, y3)
    assert not np.allclose(y1, y4)


def test_summary_of_a_subclassed_model_shows_attention_output_shapes():
    # Keras 3.15.1 prints "(1, 2, 4)" for both attention layers (from their build shapes).
    class Attending(keras.Model):
        def __init__(self):
            super().__init__()
            self.mha = keras.layers.MultiHeadAttention(2, 2, output_shape=(4,))
            self.gqa = keras.layers.GroupQueryAttention(4, 2, 1)

        def call(self, inputs):
            return self.gqa(self.mha(inputs, inputs, inputs), inputs)

    model = Attending()
    model(np.ones((1, 2, 4), "float32"))
    lines = []
    model.summary(print_fn=lambda text, line_break=False: lines.append(text))
    rows = [row for row in "\n".join(lines).splitlines()
            if "multi_head_attention" in row or "grouped_query_attention" in row]
    assert len(rows) == 2 and all("(1, 2, 4)" in row for row in rows), rows


def test_image_directory_without_images_says_no_images_found(tmp_path):
    # Keras 3.15.1's message: "No images found in directory ..."
    (tmp_path / "class_0").mkdir()
    (tmp_path / "class_1").mkdir()
    with pytest.raises(ValueError, match="No images found in directory"):
        keras.utils.image_dataset_from_directory(str(tmp_path))
