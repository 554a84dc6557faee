"""Golden values of attention layers and transformer blocks drawn by `fuzz_attention_recipe`.

Each case is `fuzz_attention_recipe.draw_case(seed)`: `MultiHeadAttention` (key / value
dims, output shapes, attention axes on rank-4 inputs, dropout, biases), `GroupQueryAttention`,
`Attention` (dot / concat scores, scale) or `AdditiveAttention` fed by float inputs, `Masking`
or `Embedding(mask_zero=True)` (rows entirely masked included), with explicit attention masks
of shape (T, S), (1, S) or (heads, T, S), causal masks and returned scores; or one or two
transformer blocks (token and position embeddings, self-attention, residual `Add`,
`LayerNormalization` / `RMSNormalization` before or after, a Dense FFN). Keras's results
from the stored weights: symbolic output and mask shapes, the outputs and the masks they
carry, `predict`, `count_params`, weight shapes, the attention layers' configs, two Adam
`train_on_batch` steps on masked sequence targets, `test_on_batch`, the weights after, and
`predict` of the model saved and reloaded as `.keras`; one case's model is also saved to
`fuzz_attention_blocks.keras`.

Run from this folder::

    KERAS_BACKEND=jax JAX_PLATFORMS=cpu /work/kvenv/bin/python family_fuzz_attention.py
"""

import os

import keras
from fuzz_attention_recipe import build_model, draw_case, run_case
from make_golden import HERE, Golden
from training_recipe import flatten_results

# A slice of the seeds compared with kerasx: every kind, mask source and option above.
SEEDS = (10, 15, 20, 35, 75, 120, 155, 165, 190, 225, 335, 525,  # MultiHeadAttention
         16, 21, 31,  # GroupQueryAttention
         22, 32, 47, 52,  # Attention
         23, 48, 73,  # AdditiveAttention
         14, 34, 69, 74)  # transformer blocks
# This case's model is also stored as a Keras `.keras` file for kerasx to load.
SAVED_SEED = 74
SAVED_FILE = "fuzz_attention_blocks.keras"


def make_fuzz_attention():
    g = Golden(
        "fuzz_attention",
        seed=SEEDS[0],
        description=(
            "config: fuzz_attention_recipe.draw_case(seed); arrays w0_<i>: the weights set "
            "before running it; the other arrays: Keras's results, named by their path in "
            "'skeleton' (training_recipe.flatten_results)."
        ),
    )
    for seed in SEEDS:
        keras.backend.clear_session()
        case = draw_case(seed)
        w0, results = run_case(keras, case)
        skeleton, arrays = flatten_results(results)
        arrays.update({f"w0_{i}": w for i, w in enumerate(w0)})
        g.add(f"{case['kind']}_{seed}", "run", "keras.Model", case, arrays,
              skeleton=skeleton, n_weights=len(w0))
        if seed == SAVED_SEED:
            keras.backend.clear_session()
            model, _ = build_model(keras, case)
            model.set_weights(w0)
            model.save(os.path.join(HERE, SAVED_FILE))
    g.write()


if __name__ == "__main__":
    make_fuzz_attention()
