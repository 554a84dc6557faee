"""`kerasx.quantizers` functions against Keras 3 golden values: abs-max quantization
(symmetric and grouped with zero points), float8 quantize-dequantize, scale and amax
history updates, int4 packing, and `fake_quant_with_min_max_vars` with its gradients."""

import numpy as np
import pytest

from kerasx import ops
from kerasx import quantizers as Q
from kerasx.autodiff.tape import GradientTape
from kerasx.backends import current
from kerasx.ops import convert_to_tensor
from tests.quantizers._golden import cases_of


def _np(x):
    return current().to_numpy(getattr(x, "value", x))


@pytest.mark.parametrize("case", cases_of("abs_max"), ids=lambda c: c["name"])
def test_abs_max_quantize_matches_keras(case):
    a = case["arrays"]
    config = dict(case["config"])
    if isinstance(config["axis"], list):
        config["axis"] = tuple(config["axis"])
    if "value_range" in config:
        config["value_range"] = tuple(config["value_range"])
    q, scale = Q.abs_max_quantize(a["x"], **config)
    assert q.dtype == "int8"
    np.testing.assert_array_equal(_np(q), a["quantized"])
    np.testing.assert_allclose(_np(scale), a["scale"], rtol=1e-6)


def test_abs_max_quantizer_calls_and_config():
    x = np.array([[0.5, -2.0, 1.0], [3.0, 0.0, -1.5]], np.float32)
    quantizer = Q.AbsMaxQuantizer(axis=0, value_range=(-8, 7))
    q, scale = quantizer(x)
    assert tuple(scale.shape) == (1, 3)
    np.testing.assert_array_equal(_np(q), np.round(x * _np(scale)))
    q_last, _ = quantizer(x, axis=-1)  # the call's axis wins over the constructor's
    assert not np.array_equal(_np(q_last), _np(q))
    again = Q.AbsMaxQuantizer.from_config(quantizer.get_config())
    assert again.axis == (0,) and again.value_range == (-8, 7) and again.epsilon == 1e-7
    assert Q.deserialize(Q.serialize(quantizer)).get_config() == quantizer.get_config()
    assert Q.serialize(quantizer)["module"] == "keras.quantizers"
    assert isinstance(Q.get("AbsMaxQuantizer"), Q.AbsMaxQuantizer)
    with pytest.raises(ValueError, match=r"within the interval \[-128, 127\]"):
        Q.AbsMaxQuantizer(value_range=(-200, 200))
    with pytest.raises(ValueError, match="Could not interpret quantizer identifier"):
        Q.get(3.5)
    with pytest.raises(NotImplementedError, match="does not implement get_config"):
        Q.Quantizer().get_config()


@pytest.mark.parametrize("case", cases_of("grouped"), ids=lambda c: c["name"])
def test_grouped_quantization_with_zero_point_matches_keras(case):
    a = case["arrays"]
    q, scale, zero = Q.abs_max_quantize_grouped_with_zero_point(
        a["x"], block_size=case["config"]["block_size"], to_numpy=case["config"]["to_numpy"])
    np.testing.assert_array_equal(_np(q), a["quantized"])
    np.testing.assert_allclose(_np(scale), a["scale"], rtol=1e-6)
    np.testing.assert_array_equal(_np(zero), a["zero"])
    assert zero.dtype == "int8"


@pytest.mark.parametrize("case", cases_of("qdq"), ids=lambda c: c["name"])
def test_quantize_and_dequantize_matches_keras(case):
    a = case["arrays"]
    y = Q.quantize_and_dequantize(a["x"], np.float32(case["config"]["scale"]),
                                  case["config"]["quantized_dtype"], "float32")
    np.testing.assert_array_equal(_np(y), a["y"])


def test_quantize_and_dequantize_passes_gradients_inside_the_range():
    x = convert_to_tensor(np.array([0.3, -500.0, 2.0], np.float32))
    with GradientTape() as tape:
        tape.watch(x)
        y = Q.quantize_and_dequantize(x, np.float32(1.0), "float8_e4m3fn", "float32")
    # the rounding passes the gradient as a cast does; the clip stops it outside +-448
    np.testing.assert_array_equal(_np(tape.gradient(y, x)), [1.0, 0.0, 1.0])


@pytest.mark.parametrize("case", cases_of("float8_scale"), ids=lambda c: c["name"])
def test_compute_float8_scale_matches_keras(case):
    a = case["arrays"]
    y = Q.compute_float8_scale(a["amax"], a["scale"], np.float32(448.0),
                               margin=case["config"]["margin"])
    np.testing.assert_allclose(_np(y), a["y"], rtol=1e-6)


def test_compute_float8_amax_history_matches_keras():
    a = cases_of("amax_history")[0]["arrays"]
    y = Q.compute_float8_amax_history(a["x"], a["history"])
    np.testing.assert_array_equal(_np(y), a["y"])


@pytest.mark.parametrize("case", cases_of("pack_int4"), ids=lambda c: c["name"])
def test_pack_int4_matches_keras_and_unpacks(case):
    a = case["arrays"]
    axis = case["config"]["axis"]
    packed, shape, length = Q.pack_int4(a["x"], axis=axis)
    np.testing.assert_array_equal(_np(packed), a["packed"])
    assert shape == tuple(case["packed_shape"]) and length == case["orig_len"]
    np.testing.assert_array_equal(_np(Q.unpack_int4(packed, length, axis=axis)), a["x"])


def test_int4_packing_unsigned_and_errors():
    values = np.array([[0, 15], [9, 3], [7, 8]], np.uint8)
    packed, _, length = Q.pack_int4(values, dtype="uint8")
    assert packed.dtype == "uint8"
    np.testing.assert_array_equal(_np(Q.unpack_int4(packed, length, dtype="uint8")), values)
    with pytest.raises(TypeError, match="Expected int8 tensor for packing, got uint8"):
        Q.pack_int4(values)
    with pytest.raises(ValueError, match="'int8' or 'uint8', but got 'int16'"):
        Q.pack_int4(values, dtype="int16")
    with pytest.raises(TypeError, match="Expected int8 or uint8 tensor for unpacking"):
        Q.unpack_int4(np.zeros((2, 2), np.float32), 2)


@pytest.mark.parametrize("case", cases_of("fake_quant"), ids=lambda c: c["name"])
def test_fake_quant_forward_and_gradients_match_keras(case):
    a = case["arrays"]
    x, lo, hi = (convert_to_tensor(a[k]) for k in ("x", "min", "max"))
    with GradientTape() as tape:
        for t in (x, lo, hi):
            tape.watch(t)
        y = Q.fake_quant_with_min_max_vars(x, lo, hi, **case["config"])
        loss = ops.sum(ops.multiply(y, a["proj"]))
    gx, glo, ghi = tape.gradient(loss, [x, lo, hi])
    np.testing.assert_allclose(_np(y), a["y"], rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(_np(gx), a["grad_x"], rtol=1e-6)
    np.testing.assert_allclose(_np(glo), a["grad_min"], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(_np(ghi), a["grad_max"], rtol=1e-5, atol=1e-6)


def test_fake_quant_rejects_an_axis_out_of_range():
    with pytest.raises(ValueError, match="axis=2 is out of range for inputs of rank 2"):
        Q.fake_quant_with_min_max_vars(np.zeros((2, 3), np.float32), 0.0, 1.0, axis=2)


def test_top_level_names():
    import kerasx

    assert kerasx.Quantizer is Q.Quantizer and kerasx.quantizers is Q
    assert issubclass(Q.AbsMaxQuantizer, kerasx.Quantizer)
