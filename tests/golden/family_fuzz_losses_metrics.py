"""Golden values of random loss and metric recipes (`losses_metrics_recipe.py`).

Each case is `random_recipe(seed)`: a loss (class with reduction, dtype and sample weight,
function, or `losses.get` string; config and serialize round trips), a metric updated
several times then reset, or a small compiled Dense model evaluated with string losses and
metrics.  Keras runs it; its outputs are stored next to the inputs.  Recipes that hit
Keras's 1-D sample-weight broadcasting along time (a known Keras bug) are left out.

Run from this folder::

    KERAS_BACKEND=jax JAX_PLATFORMS=cpu /work/kvenv/bin/python family_fuzz_losses_metrics.py
"""

import keras
from losses_metrics_recipe import keras_time_weight_bug, random_recipe, run_recipe
from make_golden import Golden

SEED_START = 9000
N_CASES = 90


def make_fuzz_losses_metrics():
    g = Golden(
        "fuzz_losses_metrics",
        seed=SEED_START,
        description=(
            "config: a recipe of losses_metrics_recipe.random_recipe(seed); arrays: its "
            "inputs, and out_<name> for each array Keras's run_recipe returned (float64 "
            "stored as float32); 'raises' names Keras's exception class, 'outputs' the "
            "non-array outputs (result dtype, config, log keys)."
        ),
    )
    seed = SEED_START
    while len(g.cases) < N_CASES:
        recipe, arrays = random_recipe(seed)
        seed += 1
        if keras_time_weight_bug(recipe, arrays):
            continue
        results = run_recipe(keras, recipe, arrays)
        keras.backend.clear_session(free_memory=False)
        outputs = {k: v for k, v in results.items() if not hasattr(v, "dtype")}
        outs = {f"out_{k}": v for k, v in results.items() if hasattr(v, "dtype")}
        outputs.pop("message", None)
        name = f"case{seed - 1}"
        g.add(name, recipe.get("class", "compile"), "keras", recipe, {**arrays, **outs},
              seed=seed - 1, outputs=outputs)
        for key, value in arrays.items():
            if value.dtype == "float64":  # Golden.add stores float32; inputs keep their dtype
                g.arrays[f"{name}/{key}"] = value
                g.cases[-1]["arrays"][key]["dtype"] = "float64"
    g.write()


if __name__ == "__main__":
    make_fuzz_losses_metrics()
