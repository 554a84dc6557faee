"""The dtype sweep of the `ops_parity` golden family, run on kerasx: which argument
combinations give another dtype than Keras (on JAX), under kerasx's one deliberate
difference, that 64-bit inputs keep 64-bit results (Keras narrows every 64-bit result
to 32 bits, as JAX without x64)."""

import warnings

from kerasx import ops
from kerasx.backends import current
from tests.golden.ops_parity_inputs import combos

_NARROWED = {"int64": "int32", "uint64": "uint32", "float64": "float32",
             "complex128": "complex64"}


def op_function(name):
    obj = ops
    for part in name.split("."):
        obj = getattr(obj, part)
    return obj


def result_dtypes(fn, args):
    """The dtypes of `fn(*args)` (flattened), or "error" where it raises."""
    backend = current()

    def flat(out):
        if isinstance(out, (tuple, list)):
            return [d for o in out for d in flat(o)]
        return [str(backend.to_numpy(getattr(out, "value", out)).dtype)]

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the samples hold zeros: divisions warn
            return flat(fn(*[backend.asarray(a) if hasattr(a, "dtype") else a for a in args]))
    except Exception:  # noqa: BLE001 - a refusal is a result of the sweep
        return "error"


def agrees(key, keras_dtypes, kerasx_dtypes):
    """Whether kerasx's dtypes match Keras's: equal, or the 64-bit counterparts where an
    argument is 64-bit."""
    if keras_dtypes == kerasx_dtypes:
        return True
    if keras_dtypes == "error" or kerasx_dtypes == "error":
        return False
    wide = any(d in ("int64", "float64") for d in key.split(","))
    return wide and len(keras_dtypes) == len(kerasx_dtypes) and all(
        k == x or _NARROWED.get(x) == k for k, x in zip(keras_dtypes, kerasx_dtypes))


def differences(case, skip=lambda key: False, refusals=True):
    """`{key: (keras dtypes, kerasx dtypes)}` for the combinations of one golden case that
    disagree, leaving out those Keras refuses and those `skip` names (and, without
    `refusals`, those kerasx refuses)."""
    fn = op_function(case["op"])
    out = {}
    for key, args in combos(case["template"]):
        expected = case["results"][key]
        if expected == "error" or skip(key):
            continue
        got = result_dtypes(fn, args)
        if got == "error" and not refusals:
            continue
        if not agrees(key, expected, got):
            out[key] = (expected, got)
    return out
