"""Golden values of Keras 3's ops on bfloat16 inputs, from Keras's NumPy backend (which,
like kerasx's, takes bfloat16 from `ml_dtypes`).

A case calls ``<module>.<class>(*args, **config)`` (``keras.ops``, ``keras.ops.image``
or ``keras.activations``). Its ``args`` list says, for
each positional argument, either ``{"array": "arg<i>", "dtype": name}`` (the stored
float32 or integer array ``arg<i>``, cast to ``name``; bfloat16 inputs are stored as
float32 arrays holding bfloat16 values exactly) or ``{"value": literal}``; ``kwargs``
does the same for keyword arguments that are arrays (``kwarg_<name>``). The result is
stored as ``out`` (``out0``, ``out1``... for several), float32 where Keras returned
bfloat16, with Keras's dtype names in ``dtypes`` (and those of Keras's JAX backend, run
on the same inputs, in ``jax_dtypes``; None where JAX raised). Where Keras raises, ``raises`` holds
the exception type and no output is stored.

The values come from the NumPy backend, whatever backend runs this file: under another
one it runs itself again with ``KERAS_BACKEND=numpy``. Run from this folder::

    KERAS_BACKEND=numpy /work/kvenv/bin/python family_bfloat16_ops.py
"""

import os
import subprocess
import sys

import numpy as np

import keras
from make_golden import Golden, to_np

SEED = 67


class BF:
    """A bfloat16 argument: a float32 array that holds bfloat16 values exactly."""

    def __init__(self, array):
        import ml_dtypes

        self.array = np.asarray(array, np.float32).astype(ml_dtypes.bfloat16).astype(np.float32)


def _inputs(rng):
    def normal(*shape):
        return BF(rng.standard_normal(shape))

    def uniform(low, high, *shape):
        return BF(rng.uniform(low, high, shape))

    spd = rng.standard_normal((3, 3))
    return {
        "x": normal(2, 3, 4), "y": normal(2, 3, 4), "row": normal(4), "m": normal(4, 5),
        "v": normal(5), "w": normal(5), "pos": uniform(0.5, 2.0, 2, 3, 4),
        "unit": uniform(-0.9, 0.9, 2, 3, 4), "big": uniform(1.1, 3.0, 2, 3, 4),
        "spd": BF(spd @ spd.T + 3 * np.eye(3)), "sq": normal(3, 3),
        "nan": BF(np.array([[1.5, np.nan, -np.inf], [np.inf, -2.25, 0.0]])),
        "img": uniform(0.0, 1.0, 2, 6, 6, 3), "kernel": normal(3, 3, 3, 2),
        "dw_kernel": normal(3, 3, 3, 1), "pw_kernel": normal(1, 1, 3, 2),
        "seq": normal(2, 5, 3), "kernel1d": normal(3, 3, 2), "signal": normal(2, 16),
        "q": normal(2, 3, 2, 4), "k": normal(2, 5, 2, 4), "val": normal(2, 5, 2, 4),
        "probs": uniform(0.05, 0.95, 3, 4), "onehot": BF(np.eye(4)[[2, 0, 3]]),
        "ctc_logits": normal(2, 5, 4), "coords": uniform(0.0, 5.0, 6, 6),
        "prow": uniform(0.5, 2.0, 4), "small": normal(1, 2, 2), "tkernel": normal(3, 3, 2, 3),
        "deep": normal(1, 2, 2, 8), "rows": normal(2, 5), "int_row": np.array([1, -1, 0, 2], np.int32),
        "transform": BF(np.array([[1.0, 0.1, 0.5, 0.0, 1.0, -0.5, 0.0, 0.0]] * 2)),
        "corners": BF(np.array([[[0, 0], [5, 0], [0, 5], [5, 5]]] * 2)),
        "corners_to": BF(np.array([[[0.5, 0], [5, 0.5], [0, 4.5], [4.5, 5]]] * 2)),
        "ints": np.array([2, 0, 3], np.int32), "segments": np.array([0, 0, 1, 2, 2], np.int32),
        "index_col": np.array([[1], [3]], np.int32), "mask": rng.random((2, 3, 4)) > 0.4,
        "labels": np.array([[1, 2, 0], [3, 1, 0]], np.int32),
        "label_lengths": np.array([2, 2], np.int32), "logit_lengths": np.array([5, 4], np.int32),
        "take_idx": np.array([[0, 2], [1, 3], [3, 0]], np.int32),
    }


# (name, op, positional arguments, keyword arguments); a string argument names an input
# above, anything else is passed as it is ("s:<text>" for a string literal)
_UNARY = """abs absolute arccos arcsin arctan arcsinh cbrt ceil conj conjugate copy cos cosh
deg2rad erf erfc exp exp2 expm1 fabs floor imag isfinite isinf isnan isneginf isposinf real
isreal log_sigmoid negative rad2deg relu relu6 round selu sigmoid sign signbit silu sin
sinc sinh softplus softsign sparse_plus sparse_sigmoid square squareplus swish tan tanh
tanh_shrink trunc elu celu gelu glu hard_shrink hard_sigmoid hard_silu hard_swish hard_tanh
leaky_relu soft_shrink sparsemax softmax log_softmax flip fliplr
ravel transpose sort argsort nonzero count_nonzero ones_like zeros_like
empty_like ptp cumsum cumprod logsumexp amax amin max min mean sum prod std var median all
any average nanmax nanmin nanmean nansum nanprod nanstd nanvar nanmedian nancumsum
nancumprod stop_gradient convert_to_tensor array diagflat tril
triu squeeze size ndim shape unstack angle""".split()
_UNIT = "arctanh erfinv".split()
_POSITIVE = "sqrt rsqrt log log10 log1p log2 reciprocal i0".split()
_BINARY = """add subtract multiply divide true_divide maximum minimum power arctan2 hypot
logaddexp logaddexp2 fmax fmin fmod mod floor_divide heaviside nextafter equal
not_equal greater greater_equal less less_equal isclose allclose logical_and logical_or
logical_xor divide_no_nan""".split()


def _cases():
    cases = [(f"{op}", op, ["x"], {}) for op in _UNARY]
    cases += [(op, op, ["unit"], {}) for op in _UNIT]
    cases += [(op, op, ["pos"], {}) for op in _POSITIVE]
    cases += [(op, op, ["pos", "y"], {}) for op in _BINARY]
    cases += [(f"{op}_python_float", op, ["x", 1.5], {})
              for op in ("add", "subtract", "multiply", "divide", "maximum", "minimum", "power",
                         "fmod", "mod", "arctan2", "logaddexp", "hypot", "logaddexp2",
                         "nextafter", "heaviside", "fmax", "fmin", "floor_divide", "copysign",
                         "divide_no_nan", "true_divide")
              if hasattr(keras.ops, op)]
    cases += [
        ("argmax", "argmax", ["x"], {"axis": -1}), ("argmin", "argmin", ["x"], {"axis": 1}),
        ("nanargmax", "nanargmax", ["x"], {"axis": -1}),
        ("nanargmin", "nanargmin", ["x"], {"axis": 1}),
        ("arccosh", "arccosh", ["big"], {}), ("nan_to_num", "nan_to_num", ["nan"], {}),
        ("clip", "clip", ["x", -0.5, 0.5], {}),
        ("where", "where", ["mask", "x", "y"], {}), ("where_number", "where", ["mask", "x", 0.0], {}),
        ("matmul", "matmul", ["x", "m"], {}), ("dot", "dot", ["x", "m"], {}),
        ("matmul_vector", "matmul", ["m", "v"], {}),
        ("einsum", "einsum", ["s:bij,jk->bik", "x", "m"], {}),
        ("tensordot", "tensordot", ["x", "m"], {"axes": 1}), ("inner", "inner", ["v", "w"], {}),
        ("outer", "outer", ["v", "w"], {}), ("vdot", "vdot", ["v", "w"], {}),
        ("cross", "cross", ["sq", "sq"], {}), ("kron", "kron", ["sq", "sq"], {}),
        ("trace", "trace", ["sq"], {}), ("diag", "diag", ["sq"], {}), ("diagonal", "diagonal", ["sq"], {}),
        ("norm", "norm", ["x"], {}), ("norm_axis", "norm", ["x"], {"axis": -1}),
        ("cumsum_axis", "cumsum", ["x"], {"axis": 1}),
        ("mean_axis", "mean", ["x"], {"axis": (0, 2)}), ("sum_axis", "sum", ["x"], {"axis": 1}),
        ("var_axis", "var", ["x"], {"axis": -1}), ("quantile", "quantile", ["x", 0.3], {}),
        ("percentile", "percentile", ["x", 40.0], {}),
        ("nanquantile", "nanquantile", ["x", 0.3], {}),
        ("nanpercentile", "nanpercentile", ["x", 40.0], {}),
        ("average_weights", "average", ["x"], {"axis": -1, "weights": "row"}),
        ("moments", "moments", ["x", [0, 1]], {}),
        ("logsumexp_axis", "logsumexp", ["x"], {"axis": -1}),
        ("softmax_axis", "softmax", ["x"], {"axis": 1}),
        ("leaky_relu_slope", "leaky_relu", ["x"], {"negative_slope": 0.1}),
        ("elu_alpha", "elu", ["x"], {"alpha": 0.5}),
        ("gelu_tanh", "gelu", ["x"], {"approximate": True}),
        ("gelu_exact", "gelu", ["x"], {"approximate": False}),
        ("threshold", "threshold", ["x", 0.2, -1.0], {}),
        ("normalize", "normalize", ["x"], {}),
        ("layer_normalization", "layer_normalization", ["x"], {}),
        ("rms_normalization", "rms_normalization", ["x"], {}),
        ("batch_normalization", "batch_normalization", ["x", "row", "prow", -1], {}),
        ("reshape", "reshape", ["x", (6, 4)], {}), ("expand_dims", "expand_dims", ["x", 1], {}),
        ("broadcast_to", "broadcast_to", ["row", (3, 4)], {}),
        ("concatenate", "concatenate", [["x", "y"]], {"axis": 0}), ("stack", "stack", [["x", "y"]], {}),
        ("hstack", "hstack", [["x", "y"]], {}), ("vstack", "vstack", [["x", "y"]], {}),
        ("dstack", "dstack", [["x", "y"]], {}), ("append", "append", ["x", "y"], {}),
        ("split", "split", ["x", 2], {"axis": -1}), ("array_split", "array_split", ["x", 3], {}),
        ("hsplit", "hsplit", ["x", 3], {}), ("vsplit", "vsplit", ["x", 2], {}),
        ("dsplit", "dsplit", ["x", 2], {}), ("moveaxis", "moveaxis", ["x", 0, 2], {}),
        ("swapaxes", "swapaxes", ["x", 0, 2], {}), ("tile", "tile", ["row", (2,)], {}),
        ("repeat", "repeat", ["row", 2], {}), ("roll", "roll", ["x", 1], {}),
        ("rot90", "rot90", ["sq"], {}), ("flipud", "flipud", ["sq"], {}),
        ("take", "take", ["row", "ints"], {}),
        ("take_along_axis", "take_along_axis", ["probs", "take_idx"], {"axis": 1}),
        ("pad", "pad", ["sq", 1], {}), ("diff", "diff", ["x"], {}),
        ("trapezoid", "trapezoid", ["x"], {}), ("vander", "vander", ["v"], {}),
        ("full_like", "full_like", ["x", 0.5], {}), ("top_k", "top_k", ["row", 2], {}),
        ("in_top_k", "in_top_k", ["ints", "probs", 2], {}),
        ("searchsorted", "searchsorted", ["v", "w"], {}), ("digitize", "digitize", ["x", [0.0, 0.5]], {}),
        ("isin", "isin", ["x", "y"], {}), ("unique", "unique", ["sq"], {}),
        ("histogram", "histogram", ["v"], {"bins": 4}), ("ldexp", "ldexp", ["x", "int_row"], {}),
        ("correlate", "correlate", ["v", "w"], {"mode": "full"}),
        ("cdist", "cdist", ["m", "m"], {}), ("corrcoef", "corrcoef", ["m"], {}),
        ("select", "select", [["mask"], ["x"]], {}),
        ("slice", "slice", ["x", (0, 1, 1), (2, 2, 2)], {}),
        ("slice_update", "slice_update", ["x", (0, 1, 1), "small"], {}),
        ("scatter_update", "scatter_update", ["m", "index_col", "rows"], {}),
        ("scatter", "scatter", ["index_col", "rows", (4, 5)], {}),
        ("segment_sum", "segment_sum", ["v", "segments"], {"num_segments": 3}),
        ("segment_max", "segment_max", ["v", "segments"], {"num_segments": 3}),
        ("one_hot", "one_hot", ["ints", 4], {"dtype": "bfloat16"}),
        ("cast_float32", "cast", ["x", "float32"], {}),
        ("saturate_cast", "saturate_cast", ["x", "float16"], {}),
        ("polar", "polar", ["pos", "y"], {}), ("psnr", "psnr", ["probs", "probs", 1.0], {}),
        ("binary_crossentropy", "binary_crossentropy", ["onehot", "probs"], {}),
        ("categorical_crossentropy", "categorical_crossentropy", ["onehot", "probs"], {}),
        ("sparse_categorical_crossentropy", "sparse_categorical_crossentropy", ["ints", "probs"],
         {}),
        ("binary_crossentropy_logits", "binary_crossentropy", ["onehot", "probs"],
         {"from_logits": True}),
        ("categorical_crossentropy_logits", "categorical_crossentropy", ["onehot", "probs"],
         {"from_logits": True}),
        ("sparse_categorical_crossentropy_logits", "sparse_categorical_crossentropy",
         ["ints", "probs"], {"from_logits": True}),
        ("ctc_loss", "ctc_loss", ["labels", "ctc_logits", "label_lengths", "logit_lengths"], {}),
        ("dot_product_attention", "dot_product_attention", ["q", "k", "val"], {}),
        ("conv", "conv", ["img", "kernel"], {}),
        ("conv_same_strided", "conv", ["img", "kernel"], {"strides": 2, "padding": "same"}),
        ("conv1d", "conv", ["seq", "kernel1d"], {}),
        ("conv_transpose", "conv_transpose", ["img", "tkernel"], {"strides": 2}),
        ("depthwise_conv", "depthwise_conv", ["img", "dw_kernel"], {}),
        ("separable_conv", "separable_conv", ["img", "dw_kernel", "pw_kernel"], {}),
        ("max_pool", "max_pool", ["img", (2, 2)], {"strides": (2, 2)}),
        ("average_pool", "average_pool", ["img", (2, 2)], {"strides": (2, 2)}),
        ("adaptive_average_pool", "adaptive_average_pool", ["img", (2, 2)], {}),
        ("adaptive_max_pool", "adaptive_max_pool", ["img", (2, 2)], {}),
        ("depth_to_space", "depth_to_space", ["deep", 2], {}),
        ("space_to_depth", "space_to_depth", ["img", 2], {}),
        ("extract_sequences", "extract_sequences", ["signal", 4, 2], {}),
        ("unfold", "unfold", ["img", 2], {}), ("multi_hot", "multi_hot", ["labels", 4], {}),
        ("stft", "stft", ["signal", 8, 4, 8], {}),
        ("rfft", "rfft", ["signal"], {}), ("fft", "fft", [("signal", "signal")], {}),
        ("cholesky", "cholesky", ["spd"], {}), ("inv", "inv", ["spd"], {}),
        ("det", "det", ["spd"], {}), ("slogdet", "slogdet", ["spd"], {}),
        ("solve", "solve", ["spd", "sq"], {}), ("eigh", "eigh", ["spd"], {}),
        ("qr", "qr", ["sq"], {}), ("svd", "svd", ["sq"], {}), ("pinv", "pinv", ["sq"], {}),
        ("lstsq", "lstsq", ["spd", "sq"], {}), ("matrix_rank", "matrix_rank", ["sq"], {}),
        ("logdet", "logdet", ["spd"], {}),
        ("solve_triangular", "solve_triangular", ["spd", "sq"], {"lower": True}),
        ("cholesky_inverse", "cholesky_inverse", ["spd"], {}), ("lu_factor", "lu_factor", ["sq"], {}),
    ]
    image = [
        ("resize", ["img", (4, 4)], {}),
        ("rgb_to_grayscale", ["img"], {}), ("rgb_to_hsv", ["img"], {}),
        ("hsv_to_rgb", ["img"], {}), ("crop_images", ["img"], {"top_cropping": 1,
                                                            "left_cropping": 1,
                                                            "target_height": 3,
                                                            "target_width": 4}),
        ("pad_images", ["img"], {"top_padding": 1, "left_padding": 2, "target_height": 8,
                                 "target_width": 9}),
        ("extract_patches", ["img", 2], {}), ("gaussian_blur", ["img"], {}),
        ("sobel_edges", ["img"], {}), ("ssim", ["img", "img"], {"filter_size": 3}),
        ("affine_transform", ["img", "transform"], {}),
        ("perspective_transform", ["img", "corners", "corners_to"], {}),
        ("map_coordinates", ["coords", [[0.5, 1.5, 2.5]] * 2, 1], {}),
        ("scale_and_translate", ["img", (2, 3, 3, 3), (0.5, 0.5), (0.0, 0.0), (1, 2),
                                 "s:linear"], {}),
    ]
    cases += [(f"image_{op}", f"image.{op}", args, config) for op, args, config in image]
    cases.append(("image_resize_nearest", "image.resize", ["img", (4, 4)],
                  {"interpolation": "nearest"}))
    cases += [(f"activations_{op}", f"activations.{op}", ["x"], {})
              for op in ("relu", "gelu", "sigmoid", "softmax", "elu", "selu", "mish", "silu",
                         "exponential", "hard_sigmoid", "linear", "log_softmax")]
    cases += [
        ("activations_relu_options", "activations.relu", ["x"],
         {"negative_slope": 0.1, "max_value": 1.5, "threshold": 0.25}),
        ("activations_relu_capped", "activations.relu", ["x"], {"max_value": 1.0}),
        ("activations_relu_threshold", "activations.relu", ["x"], {"threshold": 0.5}),
        ("activations_leaky_relu", "activations.leaky_relu", ["x"], {"negative_slope": 0.3}),
    ]
    return cases


def _resolve(op):
    """(the Keras function, its module's name) for "name", "image.name" (keras.ops.image)
    or "activations.name" (keras.activations)."""
    module, _, attr = op.rpartition(".")
    where = "keras.activations" if module == "activations" else \
        f"keras.ops.{module}" if module else "keras.ops"
    fn = keras
    for part in where.split(".")[1:] + [attr]:
        fn = getattr(fn, part)
    return fn, where


def _run_in_numpy_backend():
    env = dict(os.environ, KERAS_BACKEND="numpy")
    subprocess.run([sys.executable, os.path.abspath(__file__)], env=env, check=True,
                   cwd=os.path.dirname(os.path.abspath(__file__)))


def _jax_dtypes():
    """{case name: the dtype names of Keras's JAX backend's results}, from a run of this
    file under JAX (None where it raises)."""
    import json
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "dtypes.json")
        env = dict(os.environ, KERAS_BACKEND="jax", JAX_PLATFORMS="cpu")
        subprocess.run([sys.executable, os.path.abspath(__file__), "--jax-dtypes", path],
                       env=env, check=True, cwd=os.path.dirname(os.path.abspath(__file__)))
        with open(path) as f:
            return json.load(f)


def _write_jax_dtypes(path):
    import json

    inputs = _inputs(np.random.default_rng(SEED))
    found = {}
    for name, op, args, config in _cases():
        call = _resolve(op)[0]
        arrays = {}
        try:
            out = call(*[_describe(a, f"arg{i}", inputs, arrays)[0] for i, a in enumerate(args)],
                       **{k: _describe(v, k, inputs, arrays)[0] for k, v in config.items()})
        except Exception:  # recorded as None
            found[name] = None
            continue
        outs = list(out) if isinstance(out, (list, tuple)) else [out]
        found[name] = [keras.backend.standardize_dtype(getattr(o, "dtype", type(o)))
                       for o in outs]
    with open(path, "w") as f:
        json.dump(found, f)


def make_bfloat16_ops():
    if keras.backend.backend() != "numpy":
        _run_in_numpy_backend()
        return
    jax_dtypes = _jax_dtypes()
    rng = np.random.default_rng(SEED)
    inputs = _inputs(rng)
    g = Golden(
        "bfloat16_ops",
        seed=SEED,
        description=(
            "out = keras.ops.<class>(*args, **config) on bfloat16 inputs, Keras's NumPy "
            "backend (ml_dtypes); 'args' entries are {'array': 'arg<i>', 'dtype': name} or "
            "{'value': literal}, 'kwargs' the same for array keyword arguments "
            "(kwarg_<name>); outputs out / out<i> as float32 where bfloat16, Keras's dtype "
            "names in 'dtypes'; 'raises' where Keras raised."),
    )
    for name, op, args, config in _cases():
        _case(g, inputs, name, op, args, config, jax_dtypes[name])
    g.write()


def _describe(value, key, inputs, arrays):
    """(the Keras argument, its json description) for one argument of a case."""
    if isinstance(value, str) and value.startswith("s:"):
        return value[2:], {"value": value[2:]}
    if isinstance(value, str) and value in inputs:
        stored = inputs[value]
        bf = isinstance(stored, BF)
        array = stored.array if bf else stored
        arrays[key] = array
        dtype = "bfloat16" if bf else str(array.dtype)
        tensor = keras.ops.cast(array, dtype) if bf else keras.ops.convert_to_tensor(array)
        return tensor, {"array": key, "dtype": dtype}
    if isinstance(value, list) and value and all(isinstance(v, str) for v in value) and \
            all(v in inputs for v in value):
        parts = [_describe(v, f"{key}_{i}", inputs, arrays) for i, v in enumerate(value)]
        return [p[0] for p in parts], {"list": [p[1] for p in parts]}
    if isinstance(value, tuple) and value and all(isinstance(v, str) and v in inputs
                                                  for v in value):
        parts = [_describe(v, f"{key}_{i}", inputs, arrays) for i, v in enumerate(value)]
        return tuple(p[0] for p in parts), {"tuple": [p[1] for p in parts]}
    return value, {"value": value}


def _case(g, inputs, name, op, args, config, jax_dtypes):
    arrays = {}
    described = [_describe(a, f"arg{i}", inputs, arrays) for i, a in enumerate(args)]
    kw = {k: _describe(v, f"kwarg_{k}", inputs, arrays) for k, v in config.items()}
    call, module = _resolve(op)
    attr = op.rpartition(".")[2]
    meta = {"args": [d for _, d in described], "kwargs": {k: d for k, (_, d) in kw.items()},
            "jax_dtypes": jax_dtypes}
    try:
        out = call(*[a for a, _ in described], **{k: a for k, (a, _) in kw.items()})
    except Exception as error:  # Keras refuses bfloat16 here: recorded, not compared
        g.add(name, attr, module, {}, arrays,
              raises=type(error).__name__, **meta)
        return
    outs = list(out) if isinstance(out, (list, tuple)) else [out]
    values = [to_np(o) for o in outs]
    dtypes = [keras.backend.standardize_dtype(v.dtype) for v in values]
    stored = [v.astype(np.float32) if d == "bfloat16" else v for v, d in zip(values, dtypes)]
    if len(stored) == 1 and not isinstance(out, (list, tuple)):
        arrays["out"] = stored[0]
    else:
        arrays.update({f"out{i}": v for i, v in enumerate(stored)})
    g.add(name, attr, module, {}, arrays, dtypes=dtypes, **meta)


if __name__ == "__main__":
    if sys.argv[1:2] == ["--jax-dtypes"]:
        _write_jax_dtypes(sys.argv[2])
    else:
        make_bfloat16_ops()
