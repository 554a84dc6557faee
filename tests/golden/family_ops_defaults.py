"""Golden values of Keras 3 ops called with their defaults and their less common
argument kinds: `concatenate` without `axis` (0) or with `axis=None`, `argmax` /
`argmin` without `axis` (the flattened index, int32, -0.0 below 0.0), `tile` with an
int or a short or long `repeats`, `scatter_update` with updates that broadcast,
`take_along_axis` without `axis`, `where` with the condition alone or two Python
numbers, `reshape` / `zeros`
/ `ones` with an int shape, `arange`'s dtype from its bounds and `repeat` with one count
per entry.

Run from this folder::

    KERAS_BACKEND=jax JAX_PLATFORMS=cpu /work/kvenv/bin/python family_ops_defaults.py
"""

import numpy as np

import keras
from make_golden import Golden, to_np


def _cases(rng):
    """(name, op, positional arrays, keyword arguments, whether the arrays go in as one
    list) for each case."""
    x = rng.normal(size=(3, 4, 5)).astype(np.float32)
    ints = rng.integers(-3, 4, size=(4, 6)).astype(np.int32)
    signed_zeros = np.array([[0.0, -0.0, -1.0], [-0.0, 0.0, 2.0], [-2.0, -0.0, 0.0]],
                            np.float32)
    cases = [
        ("concatenate_default", "concatenate", [x[:2, 0], x[:, 1]], {}, True),
        ("concatenate_axis_none", "concatenate", [x[0], x[1, 0]], {"axis": None}, True),
        ("concatenate_3d_default", "concatenate", [x, x[:1]], {}, True),
    ]
    for op in ("argmax", "argmin"):
        cases += [
            (f"{op}_default", op, [x], {}, False),
            (f"{op}_default_keepdims", op, [x], {"keepdims": True}, False),
            (f"{op}_axis", op, [x], {"axis": 1}, False),
            (f"{op}_axis_keepdims", op, [x], {"axis": -1, "keepdims": True}, False),
            (f"{op}_int_ties", op, [ints], {"axis": 0}, False),
            (f"{op}_int_default", op, [ints], {}, False),
            (f"{op}_signed_zeros", op, [signed_zeros], {"axis": 1}, False),
            (f"{op}_signed_zeros_columns", op, [signed_zeros], {"axis": 0}, False),
        ]
    cases += [
        ("tile_int", "tile", [x[0]], {"repeats": 2}, False),
        ("tile_short", "tile", [x], {"repeats": [2, 3]}, False),
        ("tile_long", "tile", [x[0, 0]], {"repeats": [2, 1, 3]}, False),
        ("tile_ints", "tile", [ints], {"repeats": [3, 1]}, False),
    ]
    base = rng.normal(size=(4, 3)).astype(np.float32)
    rows = np.array([[1], [3]], np.int32)
    entries = np.array([[0, 2], [3, 1], [2, 2]], np.int32)
    cases += [
        ("scatter_update_row_broadcast", "scatter_update",
         [base, rows, rng.normal(size=(3,)).astype(np.float32)], {}, False),
        ("scatter_update_scalar", "scatter_update", [base, rows, np.float32(2.5)], {}, False),
        ("scatter_update_leading_one", "scatter_update",
         [base, rows, rng.normal(size=(1, 3)).astype(np.float32)], {}, False),
        ("scatter_update_entries_scalar", "scatter_update", [base, entries, np.float32(-1.5)],
         {}, False),
        ("scatter_update_add_broadcast", "scatter_update",
         [base, np.array([[1], [1], [0]], np.int32), rng.normal(size=(3,)).astype(np.float32)],
         {"reduction": "add"}, False),
        ("take_along_axis_default", "take_along_axis",
         [x[0], np.array([19, 0, 7, 7, 3], np.int32)], {}, False),
        ("where_condition_only", "where", [ints > 0], {}, False),
        ("where_python_floats", "where", [ints > 0, 1.0, 0], {}, False),
        ("where_python_ints", "where", [ints > 0, 2, -1], {}, False),
        ("reshape_int", "reshape", [x], {"newshape": -1}, False),
        ("zeros_int", "zeros", [], {"shape": 3}, False),
        ("ones_int", "ones", [], {"shape": 2, "dtype": "int32"}, False),
        ("arange_int", "arange", [], {"start": 5}, False),
        ("arange_int_step", "arange", [], {"start": 2, "stop": 11, "step": 3}, False),
        ("arange_float_stop", "arange", [], {"start": 1, "stop": 4.5}, False),
        ("arange_float_step", "arange", [], {"start": 0, "stop": 2, "step": 0.25}, False),
        ("repeat_counts", "repeat", [x[0], np.array([2, 0, 1, 3], np.int32)], {"axis": 0},
         False),
        ("repeat_counts_last_axis", "repeat", [x[0], np.array([1, 0, 2, 1, 1], np.int32)],
         {"axis": -1}, False),
    ]
    return cases


def make_ops_defaults():
    g = Golden(
        "ops_defaults",
        seed=97,
        description=(
            "keras.ops.<op>(x0, x1, ..., **config) on the jax backend, or "
            "keras.ops.<op>([x0, x1, ...], **config) where meta as_list is true; arrays "
            "x0, x1, ... (inputs) and y (the output), or y0, y1, ... where the op returns a "
            "tuple; meta op, n_inputs, python_scalars (the inputs passed as Python numbers), "
            "n_outputs (0 for one array) and dtype (of y or y0)."
        ),
    )
    rng = np.random.default_rng(97)
    for name, op, inputs, kwargs, as_list in _cases(rng):
        fn = getattr(keras.ops, op)
        out = fn(list(inputs), **kwargs) if as_list else fn(*inputs, **kwargs)
        outputs = [to_np(o) for o in out] if isinstance(out, (tuple, list)) else [to_np(out)]
        arrays = {f"x{i}": np.asarray(a) for i, a in enumerate(inputs)}
        if isinstance(out, (tuple, list)):
            arrays.update({f"y{i}": o for i, o in enumerate(outputs)})
        else:
            arrays["y"] = outputs[0]
        scalars = [i for i, a in enumerate(inputs) if isinstance(a, (int, float))]
        g.add(name, op, "keras.ops", kwargs, arrays, op=op, as_list=as_list,
              n_inputs=len(inputs), python_scalars=scalars, n_outputs=len(outputs) if isinstance(out, (tuple, list))
              else 0, dtype=str(outputs[0].dtype))
    g.write()


if __name__ == "__main__":
    make_ops_defaults()
