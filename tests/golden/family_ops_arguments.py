"""Golden values of Keras 3 ops called with the arguments that go beyond the common
case: `pad` in every mode, `norm` of every order, `max` / `min` with `initial`,
`prod` with and without `dtype`, `round` with `decimals`, `moveaxis` of several axes,
`rearrange` (einops patterns).

Run from this folder::

    KERAS_BACKEND=jax JAX_PLATFORMS=cpu /work/kvenv/bin/python family_ops_arguments.py
"""

import numpy as np

import keras
from make_golden import Golden, to_np

INF = float("inf")


def _cases(rng):
    x = rng.normal(size=(3, 4, 5)).astype(np.float32)
    ints = rng.integers(-9, 10, size=(3, 5)).astype(np.int32)
    cases = []
    for mode in ("constant", "edge", "linear_ramp", "maximum", "mean", "median", "minimum",
                 "reflect", "symmetric", "wrap"):
        cases.append((f"pad_{mode}", "pad", x, {"pad_width": [[1, 2], [5, 0], [0, 7]],
                                                 "mode": mode}))
        cases.append((f"pad_{mode}_int", "pad", ints, {"pad_width": [[2, 1], [6, 3]],
                                                        "mode": mode}))
    cases.append(("pad_constant_value", "pad", x, {"pad_width": 2, "constant_values": 1.5}))
    for i, (order, axis) in enumerate([(None, None), (1, 1), (INF, -1), (-INF, 0), (0, 2),
                                       (3, 1), ("fro", [0, 1]), ("nuc", [1, 2]),
                                       (INF, [2, 0]), (-1, [0, 1]), (2, [1, 2]),
                                       (-2, [2, 1])]):
        for keepdims in (False, True):
            cases.append((f"norm_{i}_{int(keepdims)}", "norm", x,
                          {"ord": order, "axis": axis, "keepdims": keepdims}))
    cases.append(("norm_int_input", "norm", ints, {"ord": 1, "axis": 0}))
    cases.append(("max_initial", "max", x, {"axis": 1, "initial": 0.5}))
    cases.append(("min_initial", "min", x, {"axis": (0, 2), "initial": -0.25,
                                            "keepdims": True}))
    cases.append(("prod", "prod", x[0], {"axis": 0}))
    cases.append(("prod_int8", "prod", ints.astype(np.int8)[:, :3], {"axis": 1}))
    cases.append(("prod_uint8", "prod", np.abs(ints).astype(np.uint8)[:, :2], {}))
    cases.append(("prod_dtype", "prod", ints, {"axis": 1, "dtype": "float32"}))
    cases.append(("round_decimals", "round", x * 100, {"decimals": 1}))
    cases.append(("round_negative_decimals", "round", x * 1000, {"decimals": -2}))
    cases.append(("round_int_negative_decimals", "round", ints * 37, {"decimals": -1}))
    cases.append(("moveaxis_pairs", "moveaxis", x, {"source": [0, 1], "destination": [2, 0]}))
    images = rng.normal(size=(2, 6, 4, 3)).astype(np.float32)
    for i, (pattern, lengths) in enumerate([
            ("b h w c -> b c h w", {}), ("b h w c -> (b h) w c", {}),
            ("b h w c -> h (b w) c", {}), ("b h w c -> b (c h w)", {}),
            ("b (h1 h) (w1 w) c -> (b h1 w1) h w c", {"h1": 2, "w1": 2}),
            ("b (h h1) (w w1) c -> b h w (c h1 w1)", {"h1": 3, "w1": 2})]):
        cases.append((f"rearrange_{i}", "rearrange", images, {"pattern": pattern, **lengths}))
    return cases


def make_ops_arguments():
    g = Golden(
        "ops_arguments",
        seed=83,
        description=(
            "keras.ops.<op>(x, **config) on the jax backend; arrays x (input) and y "
            "(output); meta op (the function name) and dtype (the output's dtype)."
        ),
    )
    rng = np.random.default_rng(83)
    for name, op, x, kwargs in _cases(rng):
        call = {k: tuple(v) if k == "axis" and isinstance(v, list) else v
                for k, v in kwargs.items()}
        y = to_np(getattr(keras.ops, op)(x, **call))
        g.add(name, op, "keras.ops", kwargs, {"x": x, "y": y}, op=op, dtype=str(y.dtype))
    g.write()


if __name__ == "__main__":
    make_ops_arguments()
