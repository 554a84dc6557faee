"""Golden values of callbacks and console output: random recipes of `callbacks_recipe`.

Each case is a recipe of `callbacks_recipe.random_recipe(seed)` (ModelCheckpoint with file
templates, monitors and save frequencies; CSVLogger over one or two fits; BackupAndRestore
interrupted and resumed; every hook call of fit / evaluate / predict; EarlyStopping and
ReduceLROnPlateau messages; progress output at verbose 1 / 2; `summary()` tables), run by
Keras in an empty folder with ``COLUMNS=200``.  Recipes where Keras raises are left out;
``KINDS`` cases of each kind are kept.  A second slice, ``COMBINED`` cases of
`callbacks_recipe.combined_recipe(seed)` from ``SEED_COMBINED``, runs several callbacks in one
``fit`` (checkpoints, early stopping, learning-rate callbacks, CSV logs, backups resumed after
an interruption, a callback setting ``model.stop_training``, the hooks' order).  Each slice
draws at most ``MAX_SEEDS`` recipes.

Run from this folder::

    KERAS_BACKEND=jax JAX_PLATFORMS=cpu /work/kvenv/bin/python family_fuzz_callbacks.py
"""

import os
import shutil
import tempfile

import keras
from callbacks_recipe import combined_recipe, random_recipe, run_recipe, split_arrays
from make_golden import Golden

SEED_START = 9000
KINDS = {"checkpoint": 10, "csv": 6, "backup": 5, "hooks": 4, "monitors": 6, "progress": 6,
         "summary": 12}
SEED_COMBINED = 20000
COMBINED = 30
MAX_SEEDS = 400


def _failed(results):
    errors = [results.get("error"), results.get("construct_error"), results.get("error_printed")]
    errors += results.get("errors", [])
    return any(e not in (None, "interrupted") for e in errors)


def _add_cases(g, grammar, seed, kinds):
    wanted = dict(kinds)
    for seed in range(seed, seed + MAX_SEEDS):
        if not any(wanted.values()):
            break
        recipe = grammar(seed)
        if not wanted.get(recipe["kind"]):
            continue
        workdir = tempfile.mkdtemp()
        try:
            results = run_recipe(keras, recipe, workdir)
        finally:
            shutil.rmtree(workdir, ignore_errors=True)
            keras.backend.clear_session()
        if _failed(results):
            continue
        wanted[recipe["kind"]] -= 1
        skeleton, arrays = split_arrays(results)
        g.add(f"{recipe['kind']}_{recipe['seed']}", recipe["kind"], "keras.callbacks", recipe,
              arrays, results=skeleton)


def make_fuzz_callbacks():
    g = Golden(
        "fuzz_callbacks",
        seed=SEED_START,
        description=(
            "config: a recipe of callbacks_recipe.random_recipe(seed) or (class 'combined') "
            "callbacks_recipe.combined_recipe(seed); 'results': what Keras produced "
            "(callbacks_recipe.run_recipe), each NumPy array replaced by {'array': name} with "
            "the array stored under that name."
        ),
    )
    columns = os.environ.get("COLUMNS")
    os.environ["COLUMNS"] = "200"
    _add_cases(g, random_recipe, SEED_START, KINDS)
    _add_cases(g, combined_recipe, SEED_COMBINED, {"combined": COMBINED})
    if columns is None:
        del os.environ["COLUMNS"]
    else:
        os.environ["COLUMNS"] = columns
    g.write()


if __name__ == "__main__":
    make_fuzz_callbacks()
