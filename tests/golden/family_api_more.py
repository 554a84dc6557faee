"""Golden values of Keras 3's `keras.ops.jvp` (forward-mode derivative, JAX backend).

Run from this folder::

    KERAS_BACKEND=jax JAX_PLATFORMS=cpu /work/kvenv/bin/python family_api_more.py
"""

import numpy as np

from keras import ops
from make_golden import Golden, f32, to_np

# name -> (function, has_aux); tests/ops/test_jvp.py writes the same functions with kerasx
FUNCTIONS = {
    "sin": (lambda x: ops.sin(x), False),
    "dense_tanh": (lambda x, w: ops.tanh(ops.matmul(x, w)), False),
    "dict_softmax": (lambda d: {"s": ops.softmax(d["a"] * d["b"]), "l": ops.logsumexp(d["a"])},
                     False),
    "cube_with_aux": (lambda x: (x ** 3, ops.mean(x)), True),
    "norm_and_sum": (lambda x, y: [ops.sqrt(ops.sum(x * x, axis=-1)), ops.sum(x * y)], False),
}


def _primals(rng):
    return {
        "sin": ([f32(rng.normal(size=(3,)))], [f32(rng.normal(size=(3,)))]),
        "dense_tanh": ([f32(rng.normal(size=(4, 3))), f32(rng.normal(size=(3, 2)))],
                       [f32(rng.normal(size=(4, 3))), f32(rng.normal(size=(3, 2)))]),
        "dict_softmax": ([{"a": f32(rng.normal(size=(5,))), "b": f32(rng.normal(size=(5,)))}],
                         [{"a": f32(rng.normal(size=(5,))), "b": f32(rng.normal(size=(5,)))}]),
        "cube_with_aux": ([f32(rng.normal(size=(2, 3)))], [f32(rng.normal(size=(2, 3)))]),
        "norm_and_sum": ([f32(rng.normal(size=(2, 4))), f32(rng.normal(size=(2, 4)))],
                         [f32(rng.normal(size=(2, 4))), f32(rng.normal(size=(2, 4)))]),
    }


def _flat(structure, prefix):
    """`{prefix/path: array}` for the leaves of a nested structure (dict keys sorted)."""
    if isinstance(structure, dict):
        out = {}
        for key in sorted(structure):
            out.update(_flat(structure[key], f"{prefix}.{key}"))
        return out
    if isinstance(structure, (list, tuple)):
        out = {}
        for i, item in enumerate(structure):
            out.update(_flat(item, f"{prefix}.{i}"))
        return out
    return {prefix: to_np(structure)}


def make_api_more():
    g = Golden(
        "api_more",
        seed=61,
        description=(
            "kind 'jvp': keras.ops.jvp(FUNCTIONS[name], primals, tangents, has_aux) with the "
            "functions of family_api_more.py; arrays 'primals.<path>', 'tangents.<path>', "
            "'primals_out.<path>', 'tangents_out.<path>' (and 'aux.<path>'), where <path> "
            "joins list positions and sorted dict keys with dots."
        ),
    )
    rng = np.random.default_rng(61)
    for name, (primals, tangents) in _primals(rng).items():
        fun, has_aux = FUNCTIONS[name]
        result = ops.jvp(fun, tuple(primals), tuple(tangents), has_aux=has_aux)
        arrays = {**_flat(primals, "primals"), **_flat(tangents, "tangents"),
                  **_flat(result[0], "primals_out"), **_flat(result[1], "tangents_out")}
        if has_aux:
            arrays.update(_flat(result[2], "aux"))
        g.add(name, "jvp", "keras.ops", {"has_aux": has_aux}, arrays, kind="jvp")
    g.write()


if __name__ == "__main__":
    make_api_more()
