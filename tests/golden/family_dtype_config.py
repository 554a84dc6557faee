"""How Keras writes and reads a layer's dtype policy in configs: the cases of
`dtype_config_recipe.all_cases()` (layers given every form of `dtype`, quantized layers,
wrappers, RNN cells, models, `InputLayer`, the global policy and `floatx`, policy maps,
`from_config` / `deserialize_keras_object` of each form, a saved `config.json`).

Run from this folder::

    KERAS_BACKEND=jax JAX_PLATFORMS=cpu /work/kvenv/bin/python family_dtype_config.py
"""

import shutil
import tempfile

import keras
from dtype_config_recipe import all_cases, run
from make_golden import Golden


def make_dtype_config():
    g = Golden(
        "dtype_config",
        seed=43,
        description=(
            "config: a dtype_config_recipe case name; keras: its value under Keras "
            "({'out': JSON value} or {'error': exception type name})."
        ),
    )
    for name in all_cases():
        keras.backend.clear_session()
        workdir = tempfile.mkdtemp()
        try:
            outcome = run(keras, name, workdir)
        finally:
            shutil.rmtree(workdir, ignore_errors=True)
        g.add(name, "run", "dtype_config_recipe", {"case": name}, {}, keras=outcome)
    g.write()


if __name__ == "__main__":
    make_dtype_config()
