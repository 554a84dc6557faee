"""`Dense`, `EinsumDense` and `Embedding` after `quantize(mode)`, against Keras 3 golden
values: the quantized variables, the outputs, the inputs' gradients, the policies
and configs (a Keras config rebuilds the quantized layer); gradients of the linear
modes against finite differences in float64; errors."""

import numpy as np
import pytest

import kerasx as keras
from kerasx import ops
from kerasx import quantizers as Q
from kerasx.autodiff.tape import GradientTape
from kerasx.backends import current
from kerasx.testing.gradcheck import check_gradients
from tests.quantizers._golden import cases_of


def _np(x):
    return current().to_numpy(getattr(x, "value", x))


def _config(mode, option):
    if mode == "int4" and option == "per_channel":
        return Q.Int4QuantizationConfig(block_size=None)
    if mode == "int4" and isinstance(option, int):
        return Q.Int4QuantizationConfig(block_size=option)
    if option == "weight_only":
        return Q.Int8QuantizationConfig(activation_quantizer=None)
    return None


def _quantized_layer(case):
    a = case["arrays"]
    layer = getattr(keras.layers, case["class"])(**case["config"])
    layer.build(a["x"].shape)
    weights = [a[f"weights_{i}"] for i in range(len(layer.weights))]
    layer.set_weights(weights)
    layer.quantize(case["mode"], config=_config(case["mode"], case["option"]))
    return layer


def _output_and_input_gradient(layer, case):
    a = case["arrays"]
    x = ops.convert_to_tensor(a["x"])
    if case["class"] == "Embedding":
        return layer(x), None
    with GradientTape() as tape:
        tape.watch(x)
        y = layer(x)
        loss = ops.sum(ops.multiply(y, a["proj"]))
    return y, tape.gradient(loss, x)


# float8 products round differently where float32 sums run in another order
_TOLERANCE = {"int8": 2e-6, "int4": 2e-6, "float8": 2e-5}


@pytest.mark.parametrize("case", cases_of("layer"), ids=lambda c: c["name"])
def test_quantized_layer_matches_keras(case):
    a = case["arrays"]
    layer = _quantized_layer(case)
    assert layer.dtype_policy.name == case["policy"]
    assert [v.name for v in layer.weights] == case["variable_names"]
    for v in layer.weights:
        expected = a[f"var_{v.name}"]
        assert tuple(v.shape) == expected.shape, v.name
        np.testing.assert_allclose(_np(v), expected, rtol=1e-6, err_msg=v.name)
    y, grad = _output_and_input_gradient(layer, case)
    tol = _TOLERANCE[case["mode"]]
    np.testing.assert_allclose(_np(y), a["y"], rtol=tol, atol=tol)
    if grad is not None:
        np.testing.assert_allclose(_np(grad), a["grad_x"], rtol=tol, atol=tol)
    assert not any(v.trainable for v in layer.weights if v.dtype == "int8")


@pytest.mark.parametrize("case", cases_of("layer"), ids=lambda c: c["name"])
def test_keras_config_of_a_quantized_layer_rebuilds_it(case):
    """A quantized layer's Keras config (its policy and quantization config) builds the
    quantized layer directly; with Keras's variables it computes Keras's output."""
    a = case["arrays"]
    cls = getattr(keras.layers, case["class"])
    layer = cls.from_config(case["layer_config"])
    layer.build(a["x"].shape)
    assert layer.quantization_mode == case["mode"]
    assert layer.dtype_policy.name == case["policy"]
    for v in layer.weights:
        v.assign(current().asarray(a[f"var_{v.name}"]))
    y, _ = _output_and_input_gradient(layer, case)
    tol = _TOLERANCE[case["mode"]]
    np.testing.assert_allclose(_np(y), a["y"], rtol=tol, atol=tol)
    ours = _quantized_layer(case).get_config()
    assert ours["dtype"] == case["layer_config"]["dtype"]
    assert ours["quantization_config"] == _jsonish(case["layer_config"]["quantization_config"])


def _jsonish(config):
    """`config` with lists where kerasx's config has tuples (JSON made them lists)."""
    if isinstance(config, dict):
        return {k: _jsonish(v) for k, v in config.items()}
    if isinstance(config, list):
        return tuple(_jsonish(v) for v in config)
    return config


_LINEAR_MODES = [("int4", Q.Int4QuantizationConfig(block_size=2)),
                 ("int4", Q.Int4QuantizationConfig(block_size=None)),
                 ("int8", Q.Int8QuantizationConfig(activation_quantizer=None))]


@pytest.mark.parametrize("kind", ["dense", "einsum"])
@pytest.mark.parametrize("mode,config", _LINEAR_MODES)
def test_gradients_of_the_linear_modes_match_finite_differences(kind, mode, config):
    """Without input quantization the quantized forward is linear in the inputs, and
    its gradient (`upstream @ dequantized_kernel.T`, as Keras defines it) is the true
    one, checked in float64."""
    if kind == "dense":
        layer = keras.layers.Dense(3, activation="tanh", dtype="float64")
        shape = (4, 5)
    else:
        layer = keras.layers.EinsumDense("abc,cde->abde", (2, 3, 2), bias_axes="e",
                                         activation="tanh", dtype="float64")
        shape = (4, 2, 5)
    layer.build(shape)
    layer.quantize(mode, config=config)
    assert layer.compute_dtype == "float64"
    x = np.random.default_rng(3).normal(size=shape)
    check_gradients(lambda x: layer(x), [x], rtol=1e-6, atol=1e-9)


def test_int8_input_gradient_uses_the_dequantized_kernel():
    layer = keras.layers.Dense(3, use_bias=False)
    layer.build((None, 4))
    layer.quantize("int8")
    x = ops.convert_to_tensor(np.random.default_rng(0).normal(size=(2, 4)).astype("float32"))
    with GradientTape() as tape:
        tape.watch(x)
        loss = ops.sum(layer(x))
    kernel = _np(layer.kernel).astype("float32") / _np(layer.kernel_scale)
    np.testing.assert_allclose(_np(tape.gradient(loss, x)), np.ones((2, 3)) @ kernel.T,
                               rtol=1e-6)
    assert [v.name for v in layer.trainable_weights] == []


def test_quantized_layers_train_their_float_variables_only():
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3, activation="relu"),
                              keras.layers.Dense(2)])
    model.quantize("int8")
    assert [v.name for v in model.trainable_weights] == ["bias", "bias"]
    kernels = [_np(layer.kernel).copy() for layer in model.layers]
    biases = [_np(layer.bias).copy() for layer in model.layers]
    model.compile(optimizer="sgd", loss="mse")
    x = np.random.default_rng(0).normal(size=(8, 4)).astype("float32")
    model.fit(x, np.ones((8, 2), "float32"), epochs=2, verbose=0)
    for layer, kernel, bias in zip(model.layers, kernels, biases):
        np.testing.assert_array_equal(_np(layer.kernel), kernel)
        assert not np.array_equal(_np(layer.bias), bias)


def test_model_quantize_walks_leaf_layers_with_filters():
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3, name="first"),
                              keras.layers.Dropout(0.1), keras.layers.Dense(2, name="second")])
    with pytest.warns(UserWarning, match="Layer Dropout does not have a `quantize` method"):
        model.quantize("int8", filters=["sec", "drop"])
    assert [layer.dtype_policy.name for layer in model.layers] == \
        ["float32", "float32", "int8_from_float32"]
    model.quantize("int4", filters=lambda layer: layer.name == "first")
    assert model.layers[0].dtype_policy.name == "int4/128_from_float32"


def test_quantize_errors_are_keras_errors():
    model = keras.Sequential([keras.layers.Dense(2)])
    with pytest.raises(ValueError, match="Cannot quantize a layer that isn't yet built"):
        model.quantize("int8")
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3)])
    cases = [
        (dict(mode="int2"), ValueError, r"Invalid quantization mode. Expected one of"),
        (dict(mode="int8", foo=1), ValueError,
         r"Unrecognized keyword arguments passed to Sequential: \{'foo': 1\}"),
        (dict(mode="int8", filters=3), ValueError, "The `filters` argument must be"),
        (dict(), ValueError, "You must provide either `mode` or `config`"),
        (dict(mode="gptq"), ValueError, "For GPTQ, you must pass a `GPTQConfig`"),
        (dict(mode="int4", config=Q.Int8QuantizationConfig()), ValueError,
         "Contradictory arguments: mode='int4' but config.mode='int8'"),
        (dict(config="float8x"), ValueError, "Invalid quantization mode"),
        (dict(mode="int8", config=object()), ValueError,
         "Argument `config` must be an instance of `QuantizationConfig`"),
    ]
    for kwargs, error, message in cases:
        with pytest.raises(error, match=message):
            model.quantize(**kwargs)
    layer = model.layers[0]
    layer.quantize("int8")
    with pytest.raises(ValueError, match="is already quantized with dtype_policy="
                                         "'int8_from_float32'. Received: mode=int4"):
        layer.quantize("int4")
    with pytest.raises(NotImplementedError, match="does not support quantization mode"):
        table = keras.layers.Embedding(3, 2)
        table.build()
        table.quantize("float8")


def test_subclasses_need_type_check_off():
    class MyDense(keras.layers.Dense):
        pass

    layer = MyDense(2)
    layer.build((None, 3))
    with pytest.raises(NotImplementedError, match="Layer MyDense does not have a `quantize`"):
        layer.quantize("int8")
    layer.quantize("int8", type_check=False)
    assert layer.quantization_mode == "int8"


def test_quantization_configs_validate_and_round_trip():
    with pytest.raises(ValueError, match="block_size must be None, -1, or a positive integer"):
        Q.Int4QuantizationConfig(block_size=0)
    with pytest.raises(ValueError, match="does not support custom quantizers"):
        Q.Int4QuantizationConfig(weight_quantizer=Q.AbsMaxQuantizer(value_range=(-8, 7)))
    with pytest.raises(ValueError, match=r"requires a weight_quantizer with value_range=\(-8, 7\)"):
        Q.Int4QuantizationConfig(weight_quantizer=Q.AbsMaxQuantizer(), block_size=None)
    with pytest.raises(NotImplementedError, match="Do not instantiate QuantizationConfig"):
        Q.QuantizationConfig().mode
    config = Q.Int4QuantizationConfig(block_size=64)
    again = Q.deserialize(Q.serialize(config))
    assert isinstance(again, Q.Int4QuantizationConfig) and again.block_size == 64
    int8 = Q.deserialize(Q.serialize(Q.Int8QuantizationConfig()))
    assert isinstance(int8.activation_quantizer, Q.AbsMaxQuantizer)
    assert Q.Float8QuantizationConfig.from_config({}).mode == "float8"


def test_quantized_dtype_policies():
    from kerasx import dtype_policies

    policy = dtype_policies.get("int8_from_mixed_bfloat16")
    assert isinstance(policy, dtype_policies.QuantizedDTypePolicy)
    assert (policy.quantization_mode, policy.compute_dtype, policy.variable_dtype) == \
        ("int8", "bfloat16", "float32")
    int4 = dtype_policies.get("int4/32_from_float32")
    assert isinstance(int4, dtype_policies.Int4DTypePolicy) and int4.block_size == 32
    float8 = dtype_policies.QuantizedFloat8DTypePolicy("float8", "float32", 16)
    assert dtype_policies.deserialize(dtype_policies.serialize(float8)) == float8
    assert float8 != dtype_policies.QuantizedFloat8DTypePolicy("float8", "float32", 8)
    assert dtype_policies.get("int8_from_float32") == dtype_policies.get("int8_from_float32")
    with pytest.raises(ValueError, match="doesn't work well with compute_dtype='float16'"):
        dtype_policies.get("int8_from_mixed_float16")
    with pytest.raises(ValueError, match="Expected format 'int4/<block_size>'"):
        dtype_policies.Int4DTypePolicy("int4", "float32")
    with pytest.raises(ValueError, match="Invalid block_size in mode"):
        dtype_policies.get("int4/0_from_float32")
    with pytest.raises(ValueError, match="Cannot convert `policy` into a valid pair"):
        dtype_policies.get("int8_float32")
    with pytest.raises(TypeError, match="`amax_history_length` must be an integer"):
        dtype_policies.QuantizedFloat8DTypePolicy("float8", "float32", 1.5)
    layer = keras.layers.Dense(2, dtype="int8_from_float32")
    layer.build((None, 3))
    assert layer.kernel.dtype == "int8" and layer.quantization_mode == "int8"
