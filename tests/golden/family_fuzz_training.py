"""Golden values of whole training runs: random compile / fit / evaluate / predict recipes.

Each case is a recipe of `training_recipe.random_recipe(seed)` (small Dense or functional
model, losses, metrics, optimizer, sample / class weights, validation, callbacks), run by
Keras from its own initial weights (stored, so kerasx starts from the same ones).  Cases
where Keras raises are left out.

Run from this folder::

    KERAS_BACKEND=jax JAX_PLATFORMS=cpu /work/kvenv/bin/python family_fuzz_training.py
"""

import keras
from make_golden import Golden
from training_recipe import flatten_results, random_recipe, run_recipe

SEED_START = 5000
N_CASES = 8


def make_fuzz_training():
    g = Golden(
        "fuzz_training",
        seed=SEED_START,
        description=(
            "config: a recipe of training_recipe.random_recipe(seed); arrays w0_<i>: the "
            "initial weights; the other arrays: Keras's results (history per epoch, "
            "final weights, evaluate, predict, test_on_batch, train_on_batch, weights "
            "after it), named by their path in 'skeleton', the results' structure as "
            "training_recipe.flatten_results gives it."
        ),
    )
    seed = SEED_START
    while len(g.cases) < N_CASES:
        recipe = random_recipe(seed)
        seed += 1
        try:
            w0, results = run_recipe(keras, recipe)
        except Exception:  # a Keras failure that leaves the model unusable
            continue
        finally:
            keras.backend.clear_session()
        if any(key.endswith("_error") for key in results):
            continue
        skeleton, arrays = flatten_results(results)
        arrays.update({f"w0_{i}": w for i, w in enumerate(w0)})
        g.add(f"recipe_{recipe['seed']}", "fit", "keras.Model", recipe, arrays,
              skeleton=skeleton, n_weights=len(w0))
    g.write()


if __name__ == "__main__":
    make_fuzz_training()
