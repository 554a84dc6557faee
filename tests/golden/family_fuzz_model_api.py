"""Golden facts of the model API: summaries, names, weight paths, configs, clones.

Each case is a recipe of `fuzz_model_api_recipe.draw_recipe(seed)`: a Sequential (with or
without an `Input`, built by `build`, by a call or not at all) or a functional model (one to
three inputs, Dense / Conv1D / LSTM / GRU / pooling / normalization / reshaping / merging
layers, shared layers, nested Sequential and functional blocks, frozen layers, automatic or
given names, inputs and outputs as one tensor, a list, a tuple, a dict or a nested
structure). Keras's facts (`run_recipe`): `summary()` texts for several arguments, model
and layer names, weight paths in `weights` / `trainable_weights` / `non_trainable_weights`,
`get_layer`, inputs / outputs, `count_params`, `compute_output_shape` / `compute_output_spec`,
normalised `get_config` and `to_json` with a `model_from_json` round trip, `clone_model`
with `clone_function`, `recursive`, `call_function` and `input_tensors`, the structure
`predict` and a call return, layers' `input` / `output`; the built model's own `to_json`
text, which kerasx must load into the same model. Models with
`Embedding(mask_zero=True)` are left out (Keras's mask nodes, a documented difference).

Run from this folder::

    KERAS_BACKEND=jax JAX_PLATFORMS=cpu COLUMNS=200 /work/kvenv/bin/python family_fuzz_model_api.py
"""

import json
import os

import keras
import numpy as np
from fuzz_model_api_recipe import build_model, draw_recipe, run_recipe
from make_golden import Golden

SEED_START = 300
N_CASES = 40


def _utf8(text):
    return np.frombuffer(text.encode("utf-8"), np.uint8)


def uses_mask_zero(recipe):
    return any(node.get("mask_zero") for node in recipe.get("nodes", []))


def make_fuzz_model_api():
    columns = os.environ.get("COLUMNS")
    os.environ["COLUMNS"] = "200"  # summaries as off a terminal (Keras cuts to its width)
    try:
        g = Golden(
            "fuzz_model_api",
            seed=SEED_START,
            description=(
                "config: a recipe of fuzz_model_api_recipe.draw_recipe(seed); arrays: "
                "'facts' (Keras's facts as UTF-8 JSON bytes), 'keras_json' (the built "
                "model's to_json text, UTF-8) and predict_<i> (predict's outputs, flattened)."
            ),
        )
        seed = SEED_START - 1
        while len(g.cases) < N_CASES and seed < SEED_START + 4 * N_CASES:
            seed += 1
            recipe = draw_recipe(seed)
            if uses_mask_zero(recipe):
                continue
            facts, arrays = run_recipe(keras, recipe)
            arrays = {k: v for k, v in arrays.items() if k.startswith("predict_")}
            arrays["facts"] = _utf8(json.dumps(facts))
            keras.utils.clear_session()
            model = build_model(keras, recipe)
            if model.built:
                arrays["keras_json"] = _utf8(model.to_json())
            g.add(f"recipe_{seed}", "run", "keras.Model", recipe, arrays)
        g.write()
    finally:
        if columns is None:
            del os.environ["COLUMNS"]
        else:
            os.environ["COLUMNS"] = columns


if __name__ == "__main__":
    make_fuzz_model_api()
