"""What Keras does with misuse of its API: the cases of `errors_recipe.all_cases()`.

Each case (wrong shapes between layers, labels that do not fit the loss, unknown names,
`fit` arguments of the wrong kind, NaN / inf in the data, unbuilt models, weights that do
not fit, save paths, failed saves over an existing file, `compile` structures) is run by
Keras in an empty folder. Stored per case: whether Keras raised, the exception's type and
the names of its classes, the start of its message (temporary paths and addresses masked),
or the JSON result when it did not raise. Messages differ by design (kerasx says what was
received, what was expected and how to fix it); the replay compares raising and types.

Run from this folder::

    KERAS_BACKEND=jax JAX_PLATFORMS=cpu /work/kvenv/bin/python family_fuzz_errors.py
"""

import re
import shutil
import tempfile

import keras
from errors_recipe import all_cases, run
from make_golden import Golden

MESSAGE_CHARS = 240
_ANSI = re.compile(r"\x1b\[[0-9;]*m")
_ADDRESS = re.compile(r" at 0x[0-9a-f]+")


def _outcome(result, workdir):
    if not result["raised"]:
        return {"raised": False, "out": result["out"]}
    message = _ADDRESS.sub(" at 0x...", _ANSI.sub("", result["msg"]).replace(workdir, "<dir>"))
    return {"raised": True, "type": result["type"], "mro": result["mro"][:-3],
            "message": message[:MESSAGE_CHARS]}


def make_fuzz_errors():
    g = Golden(
        "fuzz_errors",
        seed=40,
        description=(
            "config: an errors_recipe case; keras: Keras's outcome (raised, type, the names "
            "of the exception's classes up to Exception, the start of the message; or out, "
            "the JSON result of a call that did not raise)."
        ),
    )
    for case in all_cases():
        keras.backend.clear_session()
        keras.utils.set_random_seed(0)
        workdir = tempfile.mkdtemp()
        try:
            outcome = _outcome(run(keras, case, workdir), workdir)
        finally:
            shutil.rmtree(workdir, ignore_errors=True)
        config = {k: v for k, v in case.items() if k != "id"}
        g.add(case["id"], "run", "errors_recipe", config, {}, keras=outcome)
    g.write()


if __name__ == "__main__":
    make_fuzz_errors()
