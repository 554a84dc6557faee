"""Golden values for Keras 3 parity of `keras.ops`: `scatter_update` with every
reduction (values and JAX gradients, ties included), the dtypes of every op over a
sweep of input dtypes and Python numbers, `array` / `convert_to_tensor` of Python
data, `argmax` / `argmin` where only some slices have a zero extremum, and the
symbolic shapes of ops whose output size depends on the values.

Run from this folder::

    KERAS_BACKEND=jax JAX_PLATFORMS=cpu /work/kvenv/bin/python family_ops_parity.py
"""

import inspect
import warnings

import numpy as np

import keras
from keras import ops
from make_golden import Golden, to_np
from ops_parity_inputs import SKIPPED, TEMPLATES, combos, sample


def _scatter_cases(rng):
    base = rng.normal(size=(4, 3)).astype(np.float32)
    ties = np.array([[1.0, 5.0, 0.0], [3.0, 2.0, -1.0], [0.0, 0.0, 0.0], [2.0, 2.0, 2.0]],
                    np.float32)
    tied_updates = np.array([[2.0, 5.0, 0.0], [6.0, 1.0, 0.0], [3.0, 3.0, 3.0], [6.0, 5.0, -1.0]],
                            np.float32)
    rows = np.array([[0], [0], [1], [0]], np.int32)
    entries = np.array([[0, 2], [3, 1], [0, 2], [2, 0]], np.int32)
    cube = rng.normal(size=(3, 2, 4)).astype(np.float32)
    cases = []
    for reduction in ("max", "min", "mul", "add", None):
        tag = reduction or "none"
        cases += [
            (f"{tag}_rows_ties", ties, rows, tied_updates, reduction),
            (f"{tag}_entries", base, entries, rng.normal(size=(4,)).astype(np.float32),
             reduction),
            (f"{tag}_slices_broadcast", cube, np.array([[2, 1], [0, 0], [2, 1]], np.int32),
             rng.normal(size=(4,)).astype(np.float32), reduction),
            (f"{tag}_unique_rows", base, np.array([[3], [1]], np.int32),
             rng.normal(size=(2, 3)).astype(np.float32), reduction),
            (f"{tag}_negative_index", base, np.array([[-1], [0], [-1]], np.int32),
             rng.normal(size=(3, 3)).astype(np.float32), reduction),
        ]
    ints = np.array([[4, -2, 7], [1, 0, 3]], np.int32)
    cases += [
        ("max_int", ints, np.array([[0, 1], [1, 2], [0, 1]], np.int32),
         np.array([5, 9, -4], np.int32), "max"),
        ("mul_int_float_updates", ints, np.array([[0], [1]], np.int32),
         np.array([[2.7, 1.0, -1.5], [3.2, 2.0, 0.5]], np.float32), "mul"),
        ("min_upper_case", base, rows, tied_updates, "MIN"),
    ]
    return cases


def make_scatter(g, rng):
    import jax

    for name, inputs, indices, updates, reduction in _scatter_cases(rng):
        y = to_np(ops.scatter_update(inputs, indices, updates, reduction=reduction))
        arrays = {"inputs": inputs, "indices": indices, "updates": updates, "y": y}
        meta = {"kind": "scatter", "reduction": reduction, "dtype": str(y.dtype)}
        if np.issubdtype(inputs.dtype, np.floating):
            proj = rng.normal(size=y.shape).astype(np.float32)

            def loss(a, u):
                out = ops.scatter_update(a, indices, u, reduction=reduction)
                return (out * proj).sum()

            arrays["proj"] = proj
            arrays["d_inputs"] = to_np(jax.grad(loss, 0)(inputs, updates))
            try:
                arrays["d_updates"] = to_np(jax.grad(loss, 1)(inputs, updates))
            except NotImplementedError:  # JAX: scatter_mul gradients need unique indices
                meta["updates_gradient"] = "not in JAX"
        g.add(f"scatter_{name}", "scatter_update", "keras.ops", {"reduction": reduction},
              arrays, **meta)


def _op_names():
    names = sorted(n for n in dir(ops) if not n.startswith("_") and callable(getattr(ops, n))
                   and not inspect.ismodule(getattr(ops, n))
                   and not inspect.isclass(getattr(ops, n)))
    names += ["image." + n for n in sorted(dir(ops.image)) if not n.startswith("_")]
    return [n for n in names if n.split(".")[-1] not in SKIPPED]


def _get(name):
    obj = ops
    for part in name.split("."):
        obj = getattr(obj, part)
    return obj


def _result_dtypes(fn, args):
    def flat(out):
        if isinstance(out, (tuple, list)):
            return [d for o in out for d in flat(o)]
        return [str(to_np(out).dtype)]

    try:
        return flat(fn(*[ops.convert_to_tensor(a, dtype=str(a.dtype))
                         if isinstance(a, np.ndarray) else a for a in args]))
    except Exception:  # noqa: BLE001 - any refusal is recorded as such
        return "error"


def make_dtype_sweep(g):
    for name in _op_names():
        fn = _get(name)
        template = None
        for candidate, (shapes, square) in TEMPLATES.items():
            probe = [sample(s, "float32", square) for s in shapes]
            if _result_dtypes(fn, probe) != "error":
                template = candidate
                break
        if template is None:
            continue
        results = {key: _result_dtypes(fn, args) for key, args in combos(template)}
        g.add(f"dtypes_{name}", name, "keras.ops", {}, {}, kind="dtypes", op=name,
              template=template, results=results)


PYTHON_DATA = [[1, 2], [1.0, 2.0], [True, False], [[1, 2.5]], [1, True], 3, 2.5, True, [],
               [[0, 1], [2, 3]]]


def make_python_data(g):
    for i, data in enumerate(PYTHON_DATA):
        for op in ("array", "convert_to_tensor"):
            y = to_np(getattr(ops, op)(data))
            g.add(f"{op}_python_{i}", op, "keras.ops", {}, {"y": y}, kind="python_data",
                  op=op, data=data, dtype=str(y.dtype))


def make_arg_extrema(g, rng):
    x = rng.normal(size=(4, 5, 6)).astype(np.float32)
    x[1, :, 2] = np.where(rng.random(5) < 0.5, 0.0, -0.0) * (x[1, :, 2] < 9)
    x[1, :, 2] = np.abs(x[1, :, 2]) * -1 - 1.0
    x[1, 3, 2] = -0.0
    x[1, 1, 2] = 0.0
    x[2, :, 4] = -np.abs(x[2, :, 4]) - 1.0
    x[2, 2, 4] = -0.0
    x[2, 4, 4] = 0.0
    x[0, 1, :] = np.abs(x[0, 1, :]) + 1.0
    x[0, 1, 3] = 0.0
    x[0, 1, 5] = -0.0
    x[3, 0, 0] = -0.0
    for op in ("argmax", "argmin"):
        target = x if op == "argmax" else -x
        for axis in (None, 0, 1, 2):
            y = to_np(getattr(ops, op)(target, axis=axis))
            g.add(f"{op}_zero_slices_axis_{axis}", op, "keras.ops", {"axis": axis},
                  {"x": target, "y": y}, kind="arg_extremum", op=op)
    zeros = np.array([0.0, -0.0, 0.0, -0.0], np.float64)
    for op in ("argmax", "argmin"):
        y = to_np(getattr(ops, op)(zeros))
        g.add(f"{op}_all_zeros", op, "keras.ops", {"axis": None}, {"x": zeros, "y": y},
              kind="arg_extremum", op=op)


def make_symbolic(g):
    x = keras.KerasTensor((None, 3, 2))
    for name, out in (("nonzero", ops.nonzero(x)),
                      ("unique", ops.unique(x, return_inverse=True, return_counts=True)),
                      ("unique_axis", ops.unique(x, return_index=True, axis=1))):
        outs = out if isinstance(out, (tuple, list)) else [out]
        g.add(f"symbolic_{name}", name.split("_")[0], "keras.ops", {}, {}, kind="symbolic",
              shapes=[list(o.shape) for o in outs], dtypes=[o.dtype for o in outs])
    where = ops.where(x)
    g.add("symbolic_where_condition", "where", "keras.ops", {}, {}, kind="symbolic_keras_only",
          shapes=[list(where.shape)], dtypes=[where.dtype])


def make_ops_parity():
    g = Golden(
        "ops_parity",
        seed=211,
        description=(
            "kind scatter: keras.ops.scatter_update(inputs, indices, updates, reduction) on "
            "jax: y, and the JAX gradients d_inputs / d_updates of sum(y * proj) (no "
            "d_updates where JAX has none); kind dtypes: for op, each argument combination "
            "of ops_parity_inputs.combos(template) -> the result dtypes on jax, or 'error'; "
            "kind python_data: ops.array / convert_to_tensor of Python data; kind "
            "arg_extremum: argmax / argmin (-0.0 below 0.0); kind symbolic: the output "
            "shapes and dtypes of a symbolic call on KerasTensor((None, 3, 2)); "
            "symbolic_keras_only: Keras's symbolic where(condition), one tensor of the "
            "condition's shape, which its eager call (a tuple of index arrays) contradicts."
        ),
    )
    rng = np.random.default_rng(211)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        make_scatter(g, rng)
        make_python_data(g)
        make_arg_extrema(g, rng)
        make_symbolic(g)
        make_dtype_sweep(g)
    g.write()


if __name__ == "__main__":
    make_ops_parity()
