"""Golden values of random preprocessing layers and small preprocessing models from
Keras 3.15.1, drawn by the seeded grammar of `fuzz_preprocessing_grammar.py` and run by
`fuzz_preprocessing_recipe.py`.

A `layer` case builds one layer (Normalization, Discretization, CategoryEncoding,
Hashing, HashedCrossing, StringLookup, IntegerLookup, TextVectorization, Rescaling,
Resizing, CenterCrop, or an image layer in inference or with a zero factor) from its
recipe, adapts it where the recipe says, and calls it: ``k_y`` is the output, ``k_*``
what `adapt` learnt (vocabulary, idf weights, mean / variance, bin boundaries), with
Keras's output dtype, `get_config()` and symbolic output shape / dtype (or the error
Keras raised, by stage). A `model` case is a Sequential or functional model of
preprocessing layers then trainable layers: Keras's initial weights ``k_init*``,
predictions, two training steps (or two epochs of `fit`), weights after them,
`evaluate`; two of them were saved by Keras (`fuzz_preprocessing_*.keras`).

Keras runs the lookup, hashing and text layers (and Discretization's `adapt`) through
TensorFlow, so this family needs an environment with tensorflow-cpu next to keras 3.15.1
and jax (see `family_lookup.py`). Those cases run with ``KERAS_BACKEND=tensorflow``, the
others with ``KERAS_BACKEND=jax``: the file runs itself once per backend. From this
folder::

    /tmp/tfvenv/bin/python family_fuzz_preprocessing.py
"""

import json
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
SEED = 71
N_LAYERS = 110
N_MODELS = 8
SAVED = {"tf": "fuzz_preprocessing_text.keras", "jax": "fuzz_preprocessing_numeric.keras"}


def draw_cases():
    """The recipes and input arrays of the family (NumPy only)."""
    import numpy as np

    import fuzz_preprocessing_grammar as grammar

    rng = np.random.default_rng(SEED)
    cases = [grammar.draw(rng, i) for i in range(N_LAYERS)]
    cases += [grammar.draw_model(rng, i) for i in range(N_MODELS)]
    return cases


def run_part(part, out_dir):
    """Runs the cases of one backend (`tf` or `jax`) with Keras; writes `part.json`
    (meta by case) and `part.npz` (outputs as ``<case>/<name>``)."""
    import numpy as np

    import keras
    import fuzz_preprocessing_recipe as recipe

    if part == "tf":
        import tensorflow as tf

        recipe.STRING_INPUT = tf.constant
    metas, outputs, saved = {}, {}, False
    workdir = tempfile.mkdtemp()
    for r, arrays in draw_cases():
        if bool(r["tf"]) != (part == "tf"):
            continue
        keras.utils.set_random_seed(SEED)
        if r["kind"] == "layer":
            outs, meta = recipe.run_layer(keras, r, arrays, workdir)
        else:
            save = None
            if not saved and r.get("save_it"):
                save, saved = os.path.join(HERE, SAVED[part]), True
                meta_save = {"saved_as": os.path.basename(save)}
            outs, meta = recipe.run_model(keras, r, arrays, workdir, save=save)
            meta.pop("trace", None)
            if save:
                meta.update(meta_save)
        metas[r["name"]] = meta
        outputs.update({f"{r['name']}/{k}": v for k, v in outs.items()})
    with open(os.path.join(out_dir, f"{part}.json"), "w") as f:
        json.dump(metas, f)
    np.savez(os.path.join(out_dir, f"{part}.npz"), **outputs)


def _same(a, b):
    import numpy as np

    if a.shape != b.shape or a.dtype != b.dtype:
        return False
    if a.dtype.kind == "f":
        return bool(np.array_equal(a, b, equal_nan=True))
    return bool(np.array_equal(a, b))


def make_fuzz_preprocessing():
    import numpy as np

    from make_golden import Golden

    out_dir = tempfile.mkdtemp()
    for part, backend in (("tf", "tensorflow"), ("jax", "jax")):
        env = dict(os.environ, KERAS_BACKEND=backend, JAX_PLATFORMS="cpu")
        subprocess.run([sys.executable, os.path.abspath(__file__), "--part", part, out_dir],
                       env=env, check=True, cwd=HERE)
    metas, outputs = {}, {}
    for part in ("tf", "jax"):
        with open(os.path.join(out_dir, f"{part}.json")) as f:
            metas.update(json.load(f))
        with np.load(os.path.join(out_dir, f"{part}.npz")) as npz:
            outputs.update({k: npz[k] for k in npz.files})
    g = Golden("fuzz_preprocessing", seed=SEED, description=__doc__.split("\n\n")[1].strip())
    for r, arrays in draw_cases():
        name = r["name"]
        arrays = dict(arrays)
        # float64 inputs are stored as float32: `input_dtypes` casts them back
        input_dtypes = {k: str(v.dtype) for k, v in arrays.items()}
        ours = {k.split("/", 1)[1]: v for k, v in outputs.items() if k.split("/", 1)[0] == name}
        ours.pop("vocabulary_plain", None)
        meta = metas[name]
        if "y_roundtrip" in ours and _same(ours["y_roundtrip"], ours["y"]):
            meta["roundtrip_same"] = True
            del ours["y_roundtrip"]
        arrays.update({f"k_{k}": v for k, v in ours.items()})
        spec = r.get("layer", {})
        if spec:  # the layer's arguments are the case's `config`
            r = dict(r, layer={k: v for k, v in spec.items() if k != "config"})
        g.add(name, spec.get("class", "model"), "keras.layers", spec.get("config", {}),
              arrays, recipe=r, keras=meta, input_dtypes=input_dtypes,
              keras_backend="tensorflow" if r["tf"] else "jax")
    g.write()


if __name__ == "__main__":
    sys.path.insert(0, HERE)
    if len(sys.argv) > 1 and sys.argv[1] == "--part":
        run_part(sys.argv[2], sys.argv[3])
    else:
        os.environ.setdefault("KERAS_BACKEND", "jax")
        make_fuzz_preprocessing()
