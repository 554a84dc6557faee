"""Attention layers and transformer blocks compared with Keras 3.15.1.

`test_golden_case` replays the `fuzz_attention` golden family: `MultiHeadAttention`,
`GroupQueryAttention`, `Attention`, `AdditiveAttention` and transformer blocks drawn by
tests/golden/fuzz_attention_recipe.py, with every mask source, that Keras ran from the stored
weights; kerasx must give the same symbolic shapes and masks, outputs and their masks,
parameter counts, configs, Adam steps on masked targets and `.keras` reloads, and load a
block Keras saved. The rank-4 tests pin padding masks with `attention_axes`.
"""

import os

import numpy as np
import pytest

import kerasx as keras
from tests.golden.fuzz_attention_recipe import case_data, run_case
from tests.golden.loader import GOLDEN_DIR, load_cases
from tests.golden.training_recipe import replay_case

GOLDEN = load_cases("fuzz_attention")


@pytest.mark.parametrize("case", GOLDEN, ids=[c["name"] for c in GOLDEN])
def test_golden_case(case):
    replay_case(keras, case, run_case)


def test_transformer_block_saved_by_keras_loads():
    # A block of causal GroupQueryAttention, RMSNormalization after the residual sums and a
    # Dense FFN, on masked token embeddings plus position embeddings.
    case = next(c for c in GOLDEN if c["name"] == "block_74")
    model = keras.saving.load_model(os.path.join(GOLDEN_DIR, "fuzz_attention_blocks.keras"))
    out = model(list(case_data(case["config"]).values()))
    np.testing.assert_allclose(keras.ops.convert_to_numpy(out), case["arrays"]["r.predict"],
                               rtol=1e-4, atol=1e-5)
    mask = getattr(out, "_keras_mask", None)
    if "r.masks[0]" in case["arrays"]:
        np.testing.assert_array_equal(keras.ops.convert_to_numpy(mask),
                                      case["arrays"]["r.masks[0]"])
    else:  # RMSNormalization, as Keras's, does not pass masks on
        assert mask is None


def test_rank4_padding_masks_pair_the_steps_of_the_last_sequence_axis():
    # As Keras: an Embedding mask (batch, a1, a2) on a rank-4 query with attention_axes=(2,)
    # masks attention within each a1 slice, as a rank-3 layer does slice by slice (kerasx
    # refused every padding mask on inputs above rank 3).
    tokens = np.array([[[1, 2, 3, 4], [2, 3, 0, 0], [4, 1, 2, 0]],
                       [[3, 0, 0, 0], [1, 1, 2, 3], [2, 4, 0, 1]]], "int32")
    embed = keras.layers.Embedding(5, 4, mask_zero=True)
    x = embed(tokens)
    layer = keras.layers.MultiHeadAttention(2, 3, attention_axes=(2,))
    out, scores = layer(x, x, return_attention_scores=True)
    assert tuple(scores.shape) == (2, 3, 2, 4, 4)
    np.testing.assert_array_equal(keras.ops.convert_to_numpy(out._keras_mask), tokens != 0)
    flat = keras.layers.MultiHeadAttention(2, 3)
    flat.build((2, 4, 4), (2, 4, 4))
    flat.set_weights(layer.get_weights())
    for i in range(3):
        row = embed(tokens[:, i])
        want, want_scores = flat(row, row, return_attention_scores=True)
        np.testing.assert_allclose(keras.ops.convert_to_numpy(out)[:, i],
                                   keras.ops.convert_to_numpy(want), atol=1e-6)
        np.testing.assert_allclose(keras.ops.convert_to_numpy(scores)[:, i],
                                   keras.ops.convert_to_numpy(want_scores), atol=1e-6)


@pytest.mark.parametrize("axes, causal", [((1,), False), ((1, 2), False), ((2,), True)])
def test_rank4_padding_or_causal_masks_off_their_axis_are_refused(axes, causal):
    x = keras.layers.Embedding(5, 4, mask_zero=True)(np.array([[[1, 2, 0]] * 3] * 2, "int32"))
    layer = keras.layers.MultiHeadAttention(2, 3, attention_axes=axes)
    with pytest.raises(ValueError, match="padding masks need attention_axes=\\(2,\\)"):
        layer(x, x, use_causal_mask=causal)
