"""Golden values of the `floatx_half` family: models trained under a half floatx.

Each case is a recipe of `floatx_half_recipe.all_cases()` (an MLP, a regression, a binary
classifier, Conv2D + BatchNormalization, LayerNormalization, Embedding + GRU; SGD with
momentum, Adam or RMSprop; float16 data; the mixed policy of the same half type on top)
built by Keras under `keras.config.set_floatx("float16")` or `("bfloat16")` from its own
initial weights (stored, so kerasx starts from the same ones) and trained two steps with
`fit`. Keras gives the history, `evaluate`, the weights after, `predict`, and the dtypes of
the weights, the layers' policies, the optimizer's and the metrics' variables. Two `probe`
cases hold the dtypes of creation ops, random draws, layers, losses and metrics under each
half floatx. `floatx_half_model.keras` is a model Keras saved under a float16 floatx, with
its predictions.

Left out of the slice: Adam on float16 weights (where `v` underflows, updates of tiny
moments are chaotic in float16: both libraries divide by an epsilon that is itself
subnormal, so a last-bit difference in the step size moves a weight by 0.5); Adam on
bfloat16 weights, which Keras 3.15.1 never updates (it rounds `beta_2` = 0.999 to
bfloat16, which is 1.0, so its step size is 0; kerasx steps); and float16 mixed
precision with a softmax cross-entropy, where Keras's gradient through `log(p)`
overflows the loss scale and skips a step that kerasx's fused softmax cross-entropy
gradient keeps.

Run from this folder (see README.md)::

    KERAS_BACKEND=jax JAX_PLATFORMS=cpu /work/kvenv/bin/python family_floatx_half.py
"""

import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import floatx_half_recipe as recipe  # noqa: E402
from make_golden import HERE, Golden, keras  # noqa: E402

SEED = 100  # the data of case i comes from np.random.default_rng(SEED + i), Keras's
# initial weights from keras.utils.set_random_seed(1000 + i)
# agreeing cases of all_cases(): both half types, every model and policy kind, SGD and
# RMSprop (Adam's half-precision steps are pinned by tests/test_floatx_half.py)
INDICES = (0, 2, 3, 5, 6, 9, 14, 15, 23, 26, 27, 30, 32, 35, 38, 39, 43, 45)
MODEL_FILE = "floatx_half_model.keras"


def make_floatx_half():
    g = Golden(
        "floatx_half",
        seed=SEED,
        description=(
            "config: a case of floatx_half_recipe.all_cases(); results: Keras's history, "
            "evaluate, weight / policy / optimizer / metric dtypes after two fit steps; "
            "arrays w0_<i>: the initial weights (float32 copies), w_after_<i>: the weights "
            "after, predict: the predictions. Cases 'probe_<floatx>': dtypes outside models. "
            "Case 'saved_model': x and Keras's predictions of floatx_half_model.keras."
        ),
    )
    cases = recipe.all_cases()
    for index in INDICES:
        case = cases[index]
        w0, arrays, results = recipe.run(keras, case)
        arrays.update({f"w0_{i}": w for i, w in enumerate(w0)})
        g.add(f"case_{index}", "fit", "keras.Model", case, arrays, results=results,
              n_weights=len(w0))
        print(index, flush=True)
    for floatx in ("float16", "bfloat16"):
        g.add(f"probe_{floatx}", "probe", "keras.config", {"floatx": floatx}, {},
              results=recipe.probe(keras, floatx))
    x, y = recipe.data(cases[0])
    saved = recipe.setup(keras, cases[0])
    try:
        keras.utils.set_random_seed(SEED)
        model = recipe.build(keras, cases[0])
        model.fit(x, y, batch_size=4, epochs=1, shuffle=False, verbose=0)
        model.save(os.path.join(HERE, MODEL_FILE))
        predicted = recipe.to_f32(keras, model.predict(x, verbose=0))
    finally:
        recipe.restore(keras, saved)
    g.add("saved_model", "load", "keras.saving", {"file": MODEL_FILE, "case": cases[0]},
          {"x": np.asarray(x, "float32"), "predict": predicted})
    g.write()


if __name__ == "__main__":
    make_floatx_half()
