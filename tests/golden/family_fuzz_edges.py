"""Golden values of losses, activations, metrics and normalization layers at extreme values.

Each case is `edges_recipe.draw_case(seed)`: a loss with exact 0 / 1 probabilities, logits
of +-1e4, +-1e30 or +-inf, NaN, label smoothing, `ignore_class`, labels at the range ends,
all-zero one-hot rows, zero / huge / tiny sample weights and half-precision inputs; an
activation on infinities, NaN, subnormals, -0.0 and huge values (softmax rows all -inf);
a metric with constant predictions, ties, no positives or empty classes; a normalization
layer on constant, zero, tiny and overflowing inputs. Keras's results from the inputs
`case_arrays(case)`: `out_<name>` for each output of `run_case` (gradients of
`sum(out * proj)` by `jax.grad`), stored as float32, and `dtypes`, each output's dtype.
Only cases where kerasx and Keras agree are kept (this folder's README.md says what
differs and why).

Run from this folder::

    KERAS_BACKEND=jax JAX_PLATFORMS=cpu /work/kvenv/bin/python family_fuzz_edges.py
"""

import jax
import keras
import numpy as np
from edges_recipe import case_arrays, draw_case, run_case
from make_golden import Golden

# Seeds of `draw_case`, chosen among the cases compared with kerasx to cover every loss,
# activation, metric and normalization layer drawn, with their edge values.
SEEDS = (26, 38, 52, 75, 83, 95, 126, 134, 140, 145, 156, 160, 163, 180, 182, 198, 201, 206,
         210, 226, 231, 236, 247, 257, 279, 290, 299, 303, 315, 352, 364, 386, 439, 447, 448,
         464, 477, 480, 498, 499, 503, 515, 549, 552, 558, 589, 604, 631, 644, 648, 673, 675,
         713, 716, 725, 766, 767, 773, 781, 785, 794, 817, 838, 845, 849, 851, 852, 855, 889,
         909, 946, 948, 988, 1031, 1061, 1064, 1070, 1077, 1100, 1127, 1142, 1145, 1146, 1155,
         1180, 1204, 1215, 1234, 1239, 1270, 1282, 1291, 1361, 1371, 1372, 1375, 1445, 1459,
         1475, 1490, 1517, 1519, 1530, 1532, 1549, 1556, 1563, 1570, 1579, 1584, 1585, 1596,
         1653, 1655, 1661, 1687, 1694, 1711, 1719, 1726, 1735, 1736, 1737, 1760, 1792, 1797,
         1807, 1815, 1822, 1833, 1836, 1851, 1858, 1862, 1865, 1876, 1895)


def _gradient(f, x):
    return jax.grad(f)(x)


def _stored(value):
    value = np.asarray(value)
    if value.dtype.name in ("bfloat16", "float16", "float64"):
        return value.astype(np.float32)
    return value


def make_fuzz_edges():
    g = Golden(
        "fuzz_edges",
        seed=SEEDS[0],
        description=(
            "config: edges_recipe.draw_case(seed); arrays: its inputs (case_arrays) and "
            "out_<name> for each output of Keras's run_case (float32; gradients by "
            "jax.grad); 'dtypes' names each output's dtype."
        ),
    )
    for seed in SEEDS:
        case = draw_case(seed)
        arrays = case_arrays(case)
        keras.backend.clear_session(free_memory=False)
        out, dtypes = run_case(keras, case, arrays, _gradient)
        outs = {f"out_{k}": _stored(v) for k, v in out.items()}
        label = case.get("class", case.get("name"))
        g.add(f"case{seed}", label, "keras", case, {**arrays, **outs}, seed=seed,
              dtypes=dtypes)
    g.write()


if __name__ == "__main__":
    make_fuzz_edges()
