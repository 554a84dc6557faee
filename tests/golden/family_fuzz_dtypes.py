"""Golden values of the `fuzz_dtypes` family: small models under random dtype policies.

Each case is a recipe of `fuzz_dtypes_common.random_recipe(seed)` (global policy set three
ways, per-layer `dtype` names and `DTypePolicy` objects among float32 / float16 / bfloat16 /
mixed_float16 / mixed_bfloat16, int and float `Input`s, data as arrays, lists or tensors,
SGD / Adam, an explicit `LossScaleOptimizer` or the one `compile` adds) built by Keras from
its own initial weights (stored, so kerasx starts from the same ones). Keras gives each
layer's dtypes and policy, its weights' and symbolic output's dtypes, the eager output,
`train_on_batch` logs, the weights after them, the loss scale, a `fit` history and
`evaluate`. Cases where Keras raises are left out.

Run from this folder (see README.md)::

    KERAS_BACKEND=jax JAX_PLATFORMS=cpu /work/kvenv/bin/python family_fuzz_dtypes.py
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from fuzz_dtypes_common import measure, random_recipe, to_f64  # noqa: E402
from make_golden import Golden, keras  # noqa: E402

SEED_START = 7000
N_CASES = 12
# then recipes without float16 / bfloat16 (replayed on every backend)
SEED_FULL_PRECISION = 7500
N_FULL_PRECISION = 4


def _half_weights(recipe):
    """Whether a layer of the recipe may hold float16 / bfloat16 weights."""
    names = [recipe["global"] and recipe["global"]["name"], recipe["head_dtype"],
             *(kw.get("dtype") for _, kw in recipe["layers"]),
             *recipe.get("branch_dtypes", [])]
    names = [n["policy"] if isinstance(n, dict) else n for n in names]
    return any(n in ("float16", "bfloat16") for n in names)


def make_fuzz_dtypes():
    g = Golden(
        "fuzz_dtypes",
        seed=SEED_START,
        description=(
            "config: a recipe of fuzz_dtypes_common.random_recipe(seed); results: Keras's "
            "layer dtypes, eager output dtype, train logs, loss scale, history, evaluate; "
            "arrays w0_<i>: the initial weights, w_after_<i>: the weights after the "
            "train_on_batch steps, eager: the output on the first batch."
        ),
    )
    seed = SEED_START
    while len(g.cases) < N_CASES + N_FULL_PRECISION:
        if len(g.cases) == N_CASES and seed < SEED_FULL_PRECISION:
            seed = SEED_FULL_PRECISION
        recipe = random_recipe(seed, half=seed < SEED_FULL_PRECISION)
        seed += 1
        if recipe["optimizer"]["class"] == "Adam" and _half_weights(recipe):
            continue  # Adam's epsilon underflows in 16-bit weights: no stable reference
        try:
            w0, res = measure(keras, recipe)
        except Exception:  # a recipe Keras refuses
            continue
        # float32 holds bfloat16 and float16 weights exactly (a .npz cannot hold bfloat16)
        arrays = {f"w0_{i}": to_f64(w).astype("float32") for i, w in enumerate(w0)}
        arrays.update({f"w_after_{i}": w for i, w in enumerate(res.pop("w_after"))})
        arrays["eager"] = res.pop("eager")
        g.add(f"recipe_{recipe['seed']}", "fit", "keras.Model", recipe, arrays,
              results=res, n_weights=len(w0))
        print(recipe["seed"], flush=True)
    g.write()


if __name__ == "__main__":
    make_fuzz_dtypes()
