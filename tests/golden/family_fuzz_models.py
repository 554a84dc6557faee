"""Golden values of random functional models: structures, merges, attention, regularization.

Each case is a recipe of `fuzz_models_common.draw_recipe(keras, seed)`: named inputs (floats
or token ids through Embedding), a random graph of Dense / EinsumDense / merging / attention
/ normalization / reshaping / Lambda layers, nested Sequential and functional models, frozen
layers, a custom layer with `add_loss` and one with a regularized weight, kernel / bias /
activity regularizers and constraints; heads in a single / list / tuple / dict / nested
output structure, compiled with losses, loss weights, metrics and weighted metrics in their
several forms (a functional subclass overriding `compute_loss` in some cases). Keras's
results from the stored weights: predict, a training call, `model.losses`, a model on an
intermediate tensor, evaluate, two `train_on_batch` steps, `test_on_batch`,
`metrics_names`, `fit`'s history and the weights after each. Cases where Keras raises, and
masked ones (Keras's training metrics ignore masks on JAX), are left out.

Run from this folder::

    KERAS_BACKEND=jax JAX_PLATFORMS=cpu /work/kvenv/bin/python family_fuzz_models.py
"""

import keras
from fuzz_models_common import draw_recipe, run_recipe
from make_golden import Golden
from training_recipe import flatten_results

SEED_START = 11
N_CASES = 16


def make_fuzz_models():
    g = Golden(
        "fuzz_models",
        seed=SEED_START,
        description=(
            "config: a recipe of fuzz_models_common.draw_recipe(keras, seed); arrays w0_<i>: "
            "the weights set before running it; the other arrays: Keras's results, named by "
            "their path in 'skeleton' (training_recipe.flatten_results)."
        ),
    )
    seed = SEED_START - 1
    while len(g.cases) < N_CASES:
        seed += 1
        keras.backend.clear_session()
        recipe = draw_recipe(keras, seed)
        if any(spec.get("mask_zero") for spec in recipe["inputs"]):
            continue  # Keras 3.15.1's training metrics ignore masks on JAX
        keras.backend.clear_session()
        w0, results = run_recipe(keras, recipe)
        if any(key.endswith("_error") for key in results):
            continue
        skeleton, arrays = flatten_results(results)
        arrays.update({f"w0_{i}": w for i, w in enumerate(w0)})
        g.add(f"recipe_{seed}", "run", "keras.Model", recipe, arrays, skeleton=skeleton,
              n_weights=len(w0))
    g.write()


if __name__ == "__main__":
    make_fuzz_models()
