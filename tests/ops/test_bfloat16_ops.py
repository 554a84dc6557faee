"""Ops on bfloat16 inputs against Keras 3's NumPy backend (golden values): the same
result dtypes and, to bfloat16 rounding, the same values; gradients in the dtypes of
what they differentiate, close to the float32 ones; bfloat16 models train."""

import importlib.util
import os
import sys
import warnings

import numpy as np
import pytest

import kerasx
from kerasx import layers, ops
from kerasx.autodiff.tape import GradientTape
from kerasx.backends import current

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "golden"))
from loader import case_ids, load_cases  # noqa: E402

pytestmark = pytest.mark.skipif(
    importlib.util.find_spec("ml_dtypes") is None or current().name != "numpy",
    reason="bfloat16 needs ml_dtypes on the numpy backend")

CASES = load_cases("bfloat16_ops")
COMPARED = [c for c in CASES if "raises" not in c]
# Where Keras's NumPy backend's values are not the op's: `np.nan_to_num` leaves ml_dtypes
# arrays as they are (NaN and infinities stay); its sparsemax sorts and sums in bfloat16
# (rows no longer sum to 1); `empty_like` has no set values. These are checked against
# the op's own float32 values instead.
VALUES_FROM_FLOAT32 = {"nan_to_num", "sparsemax"}
NO_VALUES = {"empty_like"}


def _argument(spec, arrays, bfloat16_as="bfloat16"):
    if "array" in spec:
        dtype = bfloat16_as if spec["dtype"] == "bfloat16" else spec["dtype"]
        return ops.cast(arrays[spec["array"]], dtype)
    if "list" in spec:
        return [_argument(s, arrays, bfloat16_as) for s in spec["list"]]
    if "tuple" in spec:
        return tuple(_argument(s, arrays, bfloat16_as) for s in spec["tuple"])
    value = spec["value"]
    return tuple(value) if isinstance(value, list) and value and \
        not isinstance(value[0], list) else value


def _function(case):
    fn = kerasx
    for part in case["module"].split(".")[1:] + [case["class"]]:
        fn = getattr(fn, part)
    return fn


def run_case(case, bfloat16_as="bfloat16"):
    """The kerasx function of a golden case on its arguments (bfloat16 ones as
    `bfloat16_as`); a list of its outputs."""
    arrays = case["arrays"]
    args = [_argument(s, arrays, bfloat16_as) for s in case["args"]]
    kwargs = {k: _argument(s, arrays, bfloat16_as) for k, s in case["kwargs"].items()}
    out = _function(case)(*args, **kwargs)
    return list(out) if isinstance(out, (list, tuple)) else [out]


def _dtype(value):
    from kerasx.backends.base import dtype_name

    dtype = getattr(value, "dtype", None)
    return {int: "int", bool: "bool"}[type(value)] if dtype is None else dtype_name(dtype)


def _float32(value):
    return np.asarray(ops.convert_to_numpy(ops.cast(value, "float32")))


def _kind(name):
    return "int" if name.startswith(("int", "uint")) else name


@pytest.mark.parametrize("case", COMPARED, ids=case_ids(COMPARED))
def test_result_dtypes_and_values_match_keras(case):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # logs of the negative inputs
        outs = run_case(case)
        reference = run_case(case, "float32") if case["name"] in VALUES_FROM_FLOAT32 else None
    expected = [case["arrays"][k] for k in sorted(case["arrays"]) if k.startswith("out")]
    assert len(outs) == len(expected)
    for i, (out, want, dtype) in enumerate(zip(outs, expected, case["dtypes"])):
        got_dtype = _dtype(out)
        # where Keras's NumPy and JAX backends disagree (logsumexp: float64 / bfloat16),
        # kerasx takes one of them; the width of an integer result is kerasx's index type
        allowed = {_kind(dtype)} | {_kind((case["jax_dtypes"] or [dtype] * len(outs))[i])}
        assert _kind(got_dtype) in allowed
        if dtype == "bfloat16":
            assert got_dtype == "bfloat16"
        if case["name"] in NO_VALUES:
            continue
        if reference is not None:
            want = _float32(reference[i])
        got = np.asarray(ops.convert_to_numpy(out))
        got = _float32(out) if got_dtype == "bfloat16" else got
        if want.dtype.kind != "c":
            got = got.astype(want.dtype)
        # bfloat16 keeps 8 significant bits: a rounding step is 2**-8 of the value;
        # Keras rounds some intermediate results where kerasx does not (and the reverse)
        scale = np.max(np.abs(want[np.isfinite(want)]), initial=1.0)
        np.testing.assert_allclose(got, want, rtol=2 ** -6, atol=2 ** -7 * scale,
                                   equal_nan=True)


def _gradients(case, dtype):
    """Gradients of the sum of a case's float outputs (in float32) with respect to its
    bfloat16 arguments, those run as `dtype`; None when it has none."""
    arrays = case["arrays"]
    watched = {i: ops.cast(arrays[s["array"]], dtype) for i, s in enumerate(case["args"])
               if s.get("dtype") == "bfloat16"}
    if not watched:
        return None
    args = [watched[i] if i in watched else _argument(s, arrays, dtype)
            for i, s in enumerate(case["args"])]
    kwargs = {k: _argument(s, arrays, dtype) for k, s in case["kwargs"].items()}
    with GradientTape() as tape:
        tape.watch(list(watched.values()))
        out = _function(case)(*args, **kwargs)
        floats = [ops.sum(ops.cast(o, "float32"))
                  for o in (out if isinstance(out, (list, tuple)) else [out])
                  if _dtype(o) in ("bfloat16", "float32", "float64")]
        if not floats:
            return None
        total = floats[0]
        for f in floats[1:]:
            total = total + f
    return tape.gradient(total, list(watched.values()))


# piecewise linear in the hue: bfloat16 rounding moves pixels across the kinks
GRADIENTS_APART = {"image_hsv_to_rgb"}
DIFFERENTIABLE = [c for c in COMPARED if c["name"] not in GRADIENTS_APART | NO_VALUES]


@pytest.mark.parametrize("case", DIFFERENTIABLE, ids=case_ids(DIFFERENTIABLE))
def test_gradients_keep_bfloat16_and_follow_the_float32_ones(case):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        try:
            reference = _gradients(case, "float32")
        except (TypeError, ValueError, NotImplementedError):
            pytest.skip("not differentiable in float32 either")
        if reference is None:
            pytest.skip("no float output or no bfloat16 input")
        grads = _gradients(case, "bfloat16")
    for got, want in zip(grads, reference):
        assert (got is None) == (want is None)
        if got is None:
            continue
        assert _dtype(got) == "bfloat16"
        want = _float32(want)
        scale = np.max(np.abs(want[np.isfinite(want)]), initial=1.0)
        np.testing.assert_allclose(_float32(got), want, rtol=5e-2, atol=5e-2 * scale,
                                   equal_nan=True)


# -- the rule beyond the golden cases -------------------------------------------------
def _bf16(shape, seed=0):
    return ops.cast(np.random.default_rng(seed).standard_normal(shape), "bfloat16")


def test_a_wider_float_operand_gives_the_wider_type_as_keras():
    a, b = _bf16((2, 3)), _bf16((3, 2), 1)
    assert ops.matmul(a, ops.cast(b, "float32")).dtype == "float32"
    assert ops.add(a, ops.ones((2, 3), dtype="float64")).dtype == "float64"
    assert ops.multiply(a, ops.ones((2, 3), dtype="float16")).dtype == "float32"
    assert ops.where(ops.ones((2, 3), dtype="bool"), a, ops.zeros((2, 3))).dtype == "float32"


def test_an_explicit_dtype_argument_decides():
    a = _bf16((2, 3))
    assert ops.cast(a, "float32").dtype == "float32"
    assert ops.full_like(a, 2.0, dtype="float64").dtype == "float64"
    assert ops.ones_like(a, dtype="float32").dtype == "float32"
    assert ops.convert_to_tensor(a, dtype="float32").dtype == "float32"


def test_operators_keep_bfloat16():
    a, b = _bf16((2, 3)), _bf16((3, 4), 1)
    for out in (a @ b, a * 0.5, 2.0 / (a * a + 1.0), -a, abs(a), a ** 2, a - 1.5, a // 0.5,
                a % 0.75):
        assert out.dtype == "bfloat16"
    np.testing.assert_allclose(_float32(a @ b), _float32(a) @ _float32(b), rtol=2 ** -7,
                               atol=2 ** -7)


def test_ml_dtypes_arrays_passed_directly_keep_bfloat16():
    import ml_dtypes

    a = np.random.default_rng(0).standard_normal((2, 3)).astype(ml_dtypes.bfloat16)
    assert ops.matmul(a, a.T).dtype == "bfloat16"
    assert ops.relu(a).dtype == "bfloat16" and ops.sigmoid(a).dtype == "bfloat16"
    assert current().xp.clip(a, -0.5, 0.5).dtype == a.dtype


def test_the_first_op_of_a_process_keeps_ml_dtypes_bfloat16():
    # the first call resolves the backend; with ml_dtypes imported first, it is kept too
    import subprocess

    code = ("import ml_dtypes, numpy as np, kerasx\n"
            "a = np.ones((2, 2), ml_dtypes.bfloat16)\n"
            "print(kerasx.ops.matmul(a, a).dtype)")
    env = dict(os.environ, KERASX_BACKEND="numpy")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env=env, check=True).stdout
    assert out.split() == ["bfloat16"]


def test_float16_and_float32_results_keep_their_types():
    for dtype in ("float16", "float32", "float64"):
        x = ops.cast(np.linspace(-2, 2, 12).reshape(3, 4), dtype)
        for out in (ops.relu(x), ops.sigmoid(x), ops.matmul(x, ops.transpose(x)), x * 0.5,
                    ops.arctan2(x, 1.5), ops.clip(x, -0.5, 0.5), ops.nan_to_num(x)):
            assert out.dtype == dtype


# -- training ----------------------------------------------------------------------------
def _model(rng, **dtype):
    weights = lambda *s: (rng.standard_normal(s) * 0.3).astype("float32")  # noqa: E731
    return kerasx.Sequential([
        kerasx.Input((6, 6, 3)),
        layers.Conv2D(4, 3, activation="relu", kernel_initializer=weights(3, 3, 3, 4),
                      **dtype),
        layers.MaxPooling2D(**dtype), layers.Flatten(**dtype),
        layers.Dense(8, activation="gelu", kernel_initializer=weights(16, 8), **dtype),
        layers.Dense(3, activation="softmax", kernel_initializer=weights(8, 3), **dtype)])


@pytest.fixture
def _float32_policy():
    from kerasx.dtype_policies.dtype_policy import reset_dtype_policy

    reset_dtype_policy()
    yield
    reset_dtype_policy()


@pytest.mark.parametrize("dtype", ["bfloat16", "mixed_bfloat16"])
@pytest.mark.parametrize("optimizer", ["sgd", "adam"])
def test_a_bfloat16_convnet_trains(dtype, optimizer, _float32_policy):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((48, 6, 6, 3)).astype("float32")
    y = rng.integers(0, 3, 48)
    model = _model(rng, dtype=dtype)
    variable_dtype = "bfloat16" if dtype == "bfloat16" else "float32"
    assert {v.dtype for v in model.trainable_variables} == {variable_dtype}
    with GradientTape() as tape:
        loss = ops.mean(kerasx.losses.sparse_categorical_crossentropy(
            y[:8], model(x[:8], training=True)))
    grads = tape.gradient(loss, model.trainable_variables)
    assert [_dtype(g) for g in grads] == [variable_dtype] * len(grads)
    assert all(np.isfinite(_float32(g)).all() for g in grads)
    model.compile(optimizer=optimizer, loss="sparse_categorical_crossentropy")
    history = model.fit(x, y, epochs=4, batch_size=16, verbose=0).history["loss"]
    assert np.isfinite(history).all() and history[-1] < history[0]
    assert {v.dtype for v in model.trainable_variables} == {variable_dtype}
    assert model.predict(x[:2], verbose=0).dtype == "bfloat16"
