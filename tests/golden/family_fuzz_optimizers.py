"""Golden values of random optimizer setups: every optimizer argument, schedules and state.

Each case is `fuzz_optimizers_recipe.draw_case(seed, kind)`: an optimizer class (SGD, RMSprop,
Adam, AdamW, Adamax, Nadam, Adagrad, Adadelta, Adafactor, Ftrl, Lion, Lamb) with random own
arguments combined with weight decay (and exclusions by variable and by name), clipping, EMA,
gradient accumulation and a loss scale factor, its learning rate a float, a schedule or a
callable, and set to another value, schedule or callable between steps. Kind `apply`:
`apply_gradients` steps on four raw variables; `fit`: two or three epochs of a small model,
a `.keras` round trip and one more epoch from the loaded file; `loss_scale`: the same fit
through a `LossScaleOptimizer` whose scale overflows the gradients; `get`: `optimizers.get`
of names and dicts, `serialize`. Keras's results: weights, `iterations` and the learning rate
read back around each step, `optimizer.variables` (names, paths, shapes, dtypes, values),
configs and their round trips. Cases where Keras raises in a round trip (its Lamb
deserialization bug) are left out. The models of the cases in `SAVED` are kept as saved by
Keras (`fuzz_optimizers_<case>.keras`), so that kerasx resumes from Keras's files.

Run from this folder::

    KERAS_BACKEND=jax JAX_PLATFORMS=cpu /work/kvenv/bin/python family_fuzz_optimizers.py
"""

import json
import os

import numpy as np

import keras
from fuzz_optimizers_recipe import case_data, draw_case, pack_results, run_case
from make_golden import HERE, Golden
from training_recipe import flatten_results

SEED_START = 7000
KINDS = {"apply": 24, "fit": 13, "loss_scale": 7, "get": 4}
MAX_SEEDS = 400  # per kind: generation always ends
SAVED = 1  # per kind among fit and loss_scale: Keras's saved files kept


def _text_array(skeleton):
    """The skeleton's JSON text as a uint8 array (compressed in the npz, where the cases
    file would hold it indented)."""
    return np.frombuffer(json.dumps(skeleton, separators=(",", ":")).encode(), np.uint8)


def _has_error(skeleton):
    return "_error'" in repr(skeleton).replace("'assign_error'", "")


def make_fuzz_optimizers():
    g = Golden(
        "fuzz_optimizers",
        seed=SEED_START,
        description=(
            "config: a case of fuzz_optimizers_recipe.draw_case(seed, kind); arrays: the "
            "case's inputs as in_<name> (fuzz_optimizers_recipe.case_data), and Keras's "
            "results: the arrays 'skeleton' (JSON text as uint8) and 'packed' "
            "(training_recipe.flatten_results packed by fuzz_optimizers_recipe.pack_results); "
            "'saved': the model file Keras saved after the case's fit, if kept, with Keras's "
            "results of run_case(..., resume_path=that file) in a new session in "
            "'skeleton_alone' / 'packed_alone'."
        ),
    )
    for kind, count in KINDS.items():
        added, kept = 0, 0
        for offset in range(MAX_SEEDS):
            if added == count:
                break
            seed = SEED_START + 1000 * list(KINDS).index(kind) + offset
            case = draw_case(seed, kind)
            data = case_data(case)
            name = f"{kind}_{seed}"
            keep = kind in ("fit", "loss_scale") and case.get("save") and kept < SAVED
            path = os.path.join(HERE, f"fuzz_optimizers_{name}.keras") if keep else None
            results = run_case(keras, case, data, save_path=path)
            skeleton, packed = pack_results(*flatten_results(results))
            if _has_error(skeleton):
                if path and os.path.exists(path):
                    os.remove(path)
                continue
            arrays = {f"in_{k}": v for k, v in data.items()}
            arrays["packed"] = packed
            extra = {}
            if keep:
                # Keras loading its file in a new session (numbering of unnamed variables
                # starts again, as in the replay)
                alone, arrays["packed_alone"] = pack_results(*flatten_results(
                    run_case(keras, case, data, resume_path=path), path="alone"))
                arrays["skeleton_alone"] = _text_array(alone)
                extra = {"saved": os.path.basename(path)}
                kept += 1
            arrays["skeleton"] = _text_array(skeleton)
            g.add(name, case.get("optimizer", {}).get("class", "get"), "keras.optimizers",
                  case, arrays, inputs=sorted(data), **extra)
            added += 1
    g.write()


if __name__ == "__main__":
    make_fuzz_optimizers()
