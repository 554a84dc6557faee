"""Quantization, LoRA and dtype-policy maps on the projections of `MultiHeadAttention`
and `GroupQueryAttention`, which are `EinsumDense` layers with Keras's equations: the
quantized variables (paths, shapes, dtypes), outputs against Keras 3.15.1's, the same
projection as a standalone `EinsumDense`, `model.quantize` of a Transformer block, and
`.keras` / weights files of quantized and LoRA models."""

import numpy as np
import pytest

import kerasx
from kerasx import dtype_policies, layers
from kerasx.layers.core.einsum_dense import EinsumDense
from kerasx.quantizers import Int4QuantizationConfig
from tests.conftest import to_numpy

_PROJECTIONS = ("_query_dense", "_key_dense", "_value_dense", "_output_dense")
_MODES = ("int8", "int4", "int4_grouped", "float8")


def _quantize(layer, mode):
    if mode == "int4_grouped":
        layer.quantize("int4", config=Int4QuantizationConfig(block_size=2))
    else:
        layer.quantize(mode)


def _model_quantize(model, mode):
    with pytest.warns(UserWarning, match="does not have a `quantize` method"):  # softmax, ...
        if mode == "int4_grouped":
            model.quantize(config=Int4QuantizationConfig(block_size=2))
        else:
            model.quantize(mode)


def _small_layer(cls):
    """A layer for `(1, 2, 3)` queries and `(1, 3, 3)` values, weights from a formula."""
    if cls == "mha":
        layer = layers.MultiHeadAttention(num_heads=2, key_dim=2)
    else:
        layer = layers.GroupQueryAttention(head_dim=2, num_query_heads=2, num_key_value_heads=1)
    layer.build((1, 2, 3), (1, 3, 3))
    layer.set_weights([np.sin(np.arange(w.size, dtype="float32") * 0.7 + i).reshape(w.shape)
                       for i, w in enumerate(layer.get_weights())])
    return layer


def _small_inputs():
    query = np.sin(np.arange(6, dtype="float32")).reshape(1, 2, 3)
    value = np.cos(np.arange(9, dtype="float32")).reshape(1, 3, 3)
    return query, value


# computed with Keras 3.15.1 (JAX backend) on `_small_layer` / `_small_inputs`, each
# projection quantized with `sublayer.quantize(mode)` (int4_grouped: block_size=2)
_KERAS_OUTPUTS = {
    ("mha", "int8"): [[0.090373, 0.427535, 0.574574], [0.105554, 0.461068, 0.610169]],
    ("mha", "int4"): [[0.150461, 0.389682, 0.589835], [0.166304, 0.432849, 0.634026]],
    ("mha", "int4_grouped"): [[0.057849, 0.859095, 0.584207], [0.077516, 0.871315, 0.617756]],
    ("mha", "float8"): [[0.080078, 0.414062, 0.553711], [0.080078, 0.414062, 0.553711]],
    ("gqa", "int8"): [[1.404195, 0.581214, -0.488156], [1.352545, 0.389666, -0.724951]],
    ("gqa", "int4"): [[1.356142, 0.439609, -0.497575], [1.296878, 0.203937, -0.761019]],
    ("gqa", "int4_grouped"): [[0.394594, 1.169268, -0.378497], [0.18714, 1.08463, -0.507598]],
    ("gqa", "float8"): [[1.347656, 0.648438, -0.457031], [1.289062, 0.480469, -0.664062]],
}


@pytest.mark.parametrize("cls,mode", sorted(_KERAS_OUTPUTS))
def test_quantized_projections_give_keras_outputs(cls, mode):
    layer = _small_layer(cls)
    for name in _PROJECTIONS:
        _quantize(getattr(layer, name), mode)
    output = to_numpy(layer(*_small_inputs()))
    np.testing.assert_allclose(output[0], _KERAS_OUTPUTS[cls, mode], atol=2e-5)


def test_projections_are_einsum_dense_with_keras_equations():
    # the equations Keras 3.15.1 builds (rank-3 and rank-4 MHA inputs, GQA)
    mha = layers.MultiHeadAttention(num_heads=2, key_dim=3, use_gate=True, output_shape=(2, 5))
    mha.build((2, 4, 6), (2, 5, 7))
    assert [(p.equation, p.bias_axes) for p in mha._projections()] == [
        ("abc,cde->abde", "de"), ("abc,cde->abde", "de"), ("abc,cde->abde", "de"),
        ("abc,cde->abde", "de"), ("abcd,cdef->abef", "ef")]
    high = layers.MultiHeadAttention(num_heads=2, key_dim=4, attention_axes=(1, 2))
    high.build((2, 3, 2, 8), (2, 3, 2, 8))
    assert high._query_dense.equation == "abcd,def->abcef"
    assert high._output_dense.equation == "abcde,def->abcf"
    gqa = layers.GroupQueryAttention(head_dim=4, num_query_heads=4, num_key_value_heads=2)
    gqa.build((2, 4, 8), (2, 5, 8))
    assert [p.equation for p in gqa._projections()] == [
        "bqm,muh->bquh", "bkm,mvh->bkvh", "bkm,mvh->bkvh", "bquh,uhm->bqm"]
    assert all(isinstance(p, EinsumDense) for p in mha._projections() + gqa._projections())


@pytest.mark.parametrize("mode", _MODES)
def test_projection_quantizes_as_a_standalone_einsum_dense(mode):
    """A rank-4 MHA (attention over two axes): each quantized projection equals an
    `EinsumDense` with the same equation and float weights, quantized the same way."""
    layer = layers.MultiHeadAttention(num_heads=2, key_dim=4, attention_axes=(1, 2))
    rng = np.random.default_rng(0)
    query = rng.standard_normal((2, 3, 2, 8)).astype("float32")
    layer.build(query.shape, query.shape)
    heads = rng.standard_normal((2, 3, 2, 2, 4)).astype("float32")
    for name, x in (("_query_dense", query), ("_output_dense", heads)):
        projection = getattr(layer, name)
        twin = EinsumDense(projection.equation, projection.partial_output_shape,
                           bias_axes=projection.bias_axes)
        twin.build(x.shape)
        twin.set_weights(projection.get_weights())
        _quantize(projection, mode)
        _quantize(twin, mode)
        assert [(v.name, tuple(v.shape), v.dtype) for v in projection.weights] == [
            (v.name, tuple(v.shape), v.dtype) for v in twin.weights]
        np.testing.assert_array_equal(to_numpy(projection(x)), to_numpy(twin(x)))


def test_int8_variables_are_keras_ones():
    inputs = kerasx.Input((4, 6)), kerasx.Input((5, 6))
    attention = layers.MultiHeadAttention(2, 3, use_gate=True, name="att")
    model = kerasx.Model(list(inputs), attention(*inputs))
    _model_quantize(model, "int8")
    # Keras 3.15.1: `model.weights` of the same model after `model.quantize("int8")`
    expected = []
    for name in ("query", "key", "gate", "value"):
        expected += [(f"att/{name}/bias", (2, 3), "float32"),
                     (f"att/{name}/kernel", (6, 2, 3), "int8"),
                     (f"att/{name}/kernel_scale", (1, 1, 2, 3), "float32")]
    expected += [("att/attention_output/bias", (6,), "float32"),
                 ("att/attention_output/kernel", (2, 3, 6), "int8"),
                 ("att/attention_output/kernel_scale", (1, 1, 6), "float32")]
    assert [(v.path, tuple(v.shape), v.dtype) for v in model.weights] == expected
    assert [v.path for v in model.trainable_weights] == [
        f"att/{n}/bias" for n in ("query", "key", "gate", "value", "attention_output")]


class _Block(layers.Layer):
    """A Transformer encoder block: self-attention and a feed-forward part."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.attention = layers.MultiHeadAttention(2, 4, name="attention")
        self.norm = layers.LayerNormalization()
        self.feed_forward = layers.Dense(8, name="feed_forward")

    def build(self, shape):
        self.attention.build(shape, shape)
        self.norm.build(shape)
        self.feed_forward.build(shape)

    def call(self, x):
        return self.feed_forward(self.norm(x + self.attention(x, x)))


def _block_model():
    block = _Block(name="block")
    model = kerasx.Sequential([kerasx.Input((5, 8)), block])
    rng = np.random.default_rng(1)
    model.set_weights([rng.standard_normal(w.shape).astype("float32") * 0.3
                       for w in model.get_weights()])
    return model, block


@pytest.mark.parametrize("mode", _MODES)
def test_model_quantize_reaches_the_attention_of_a_block(mode, tmp_path):
    model, block = _block_model()
    x = np.random.default_rng(2).standard_normal((2, 5, 8)).astype("float32")
    before = to_numpy(model(x))
    _model_quantize(model, mode)
    expected_mode = "int4" if mode == "int4_grouped" else mode
    quantized = [block.feed_forward] + block.attention._projections()
    assert [p.quantization_mode for p in quantized] == [expected_mode] * 5
    after = to_numpy(model(x))
    assert np.abs(after - before).max() < 0.5 * np.abs(before).max()
    # a weights file loads into the same model quantized the same way
    path = str(tmp_path / "block.weights.h5")
    model.save_weights(path)
    fresh, _ = _block_model()
    _model_quantize(fresh, mode)
    fresh.load_weights(path)
    np.testing.assert_array_equal(to_numpy(fresh(x)), after)


@pytest.mark.parametrize("cls", ["mha", "gqa"])
@pytest.mark.parametrize("mode", _MODES)
def test_quantized_model_keras_file_round_trip(cls, mode, tmp_path):
    """Keras 3.15.1 writes a quantized attention layer's plain policy and cannot load
    the file; its config here is a DTypePolicyMap of the projections' policies (which
    Keras also reads), so the model loads quantized."""
    query, value = kerasx.Input((4, 8)), kerasx.Input((5, 8))
    if cls == "mha":
        attention = layers.MultiHeadAttention(2, 4, use_gate=True, name="att")
    else:
        attention = layers.GroupQueryAttention(4, 4, 2, use_gate=True, name="att")
    model = kerasx.Model([query, value], attention(query, value))
    _model_quantize(model, mode)
    rng = np.random.default_rng(3)
    x = [rng.standard_normal((2, 4, 8)).astype("float32"),
         rng.standard_normal((2, 5, 8)).astype("float32")]
    expected = to_numpy(model(x))
    path = str(tmp_path / "model.keras")
    model.save(path)
    loaded = kerasx.saving.load_model(path)
    att = loaded.get_layer("att")
    expected_mode = "int4" if mode == "int4_grouped" else mode
    assert [p.quantization_mode for p in att._projections()] == [expected_mode] * 5
    # (a float8 layer built quantized creates its scales before its kernel, as Keras's)
    assert sorted((v.path, v.dtype) for v in loaded.weights) == sorted(
        (v.path, v.dtype) for v in model.weights)
    np.testing.assert_array_equal(to_numpy(loaded(x)), expected)


def test_dtype_policy_map_addresses_projections_by_path():
    # as Keras's multi_head_attention_test.test_dtype_policy_map
    policy_map = dtype_policies.DTypePolicyMap()
    quantized = dtype_policies.QuantizedDTypePolicy("int8", "float32")
    for name in ("query", "key", "value"):
        policy_map[f"mha/{name}"] = quantized
    layer = layers.MultiHeadAttention(num_heads=3, key_dim=8, use_bias=False,
                                      dtype=policy_map, name="mha")
    layer.build((1, 2, 2), (1, 2, 2))
    assert [p._kernel.dtype for p in layer._projections()] == ["int8"] * 3 + ["float32"]
    gqa = layers.GroupQueryAttention(
        head_dim=4, num_query_heads=2, num_key_value_heads=1, name="gqa",
        dtype=dtype_policies.DTypePolicyMap(
            policy_map={"gqa/attention_output": "int4_from_float32"}))
    gqa.build((1, 3, 8), (1, 3, 8))
    assert [p.quantization_mode for p in gqa._projections()] == [None] * 3 + ["int4"]
    # the map is the layer's configured dtype, so a rebuilt layer is quantized alike
    rebuilt = layers.MultiHeadAttention.from_config(layer.get_config())
    rebuilt.build((1, 2, 2), (1, 2, 2))
    assert [p.quantization_mode for p in rebuilt._projections()] == ["int8"] * 3 + [None]


def test_lora_on_projections(tmp_path):
    # as Keras's multi_head_attention_test.test_lora
    query = np.array([[[1.0, 0.0], [0.0, 1.0]]], "float32")
    key = np.array([[[0.0, 1.0], [1.0, 0.0]]], "float32")
    value = np.array([[[1.0, 2.0], [3.0, 4.0]]], "float32")

    def attention():
        return layers.MultiHeadAttention(num_heads=3, key_dim=8, use_bias=False, use_gate=True)

    inputs = {name: kerasx.Input((2, 2), name=name) for name in ("query", "key", "value")}
    layer = attention()
    model = kerasx.Model(inputs, layer(inputs["query"], inputs["value"], inputs["key"]))
    for name in ("query_dense", "key_dense", "value_dense"):
        getattr(layer, name).enable_lora(2)
    assert len(layer.trainable_variables) == 8 and len(layer.non_trainable_variables) == 3
    x = {"query": query, "key": key, "value": value}
    model.compile(optimizer="sgd", loss="mse")
    model.fit(x, np.random.default_rng(4).random((1, 2, 2)).astype("float32"), verbose=0)
    lora_b = layer.query_dense.lora_kernel_b
    assert np.abs(to_numpy(lora_b)).max() > 0  # trained
    path = str(tmp_path / "lora.keras")
    model.save(path)
    np.testing.assert_allclose(to_numpy(kerasx.saving.load_model(path).predict(x, verbose=0)),
                               to_numpy(model.predict(x, verbose=0)), atol=1e-6)
    weights = str(tmp_path / "lora.weights.h5")
    model.save_weights(weights)
    plain = attention()
    plain_model = kerasx.Model(inputs, plain(inputs["query"], inputs["value"], inputs["key"]))
    plain_model.load_weights(weights)
    np.testing.assert_allclose(to_numpy(plain_model.predict(x, verbose=0)),
                               to_numpy(model.predict(x, verbose=0)), atol=1e-6)
    plain_model.save_weights(weights)
    model.load_weights(weights)
    np.testing.assert_allclose(to_numpy(plain_model.predict(x, verbose=0)),
                               to_numpy(model.predict(x, verbose=0)), atol=1e-6)


@pytest.mark.parametrize("mode", ["int8", "int4"])
def test_lora_on_quantized_projections_matches_the_merged_kernel(mode):
    """QLoRA on a projection: the output equals the float projection of the dequantized
    kernel plus `(alpha / rank) * A @ B`."""
    layer = _small_layer("mha")
    query, value = _small_inputs()
    projection = layer._query_dense
    _quantize(projection, mode)
    projection.enable_lora(2)
    rng = np.random.default_rng(5)
    projection.lora_kernel_b.assign(rng.standard_normal((2, 2)).astype("float32"))
    update = to_numpy(projection.lora_kernel_a) @ to_numpy(projection.lora_kernel_b)
    merged = to_numpy(projection._dequantized_weight()) + update * projection.lora_alpha / 2
    expected = np.einsum("abc,cde->abde", query, merged) + to_numpy(projection.bias)
    np.testing.assert_allclose(to_numpy(projection(query)), expected, rtol=2e-2, atol=2e-2)
    assert to_numpy(layer(query, value)).shape == (1, 2, 3)


class _Tokenizer:
    """Characters to token ids below 50."""

    def tokenize(self, text):
        return kerasx.ops.convert_to_tensor([ord(c) % 50 for c in text], dtype="int32")


@pytest.mark.parametrize("mode", ["gptq", "awq"])
def test_calibrated_modes_reach_the_attention_of_a_block(mode):
    from kerasx.quantizers import AWQConfig, GPTQConfig

    embedding, block = layers.Embedding(50, 8), _Block(name="block")
    model = kerasx.Sequential([kerasx.Input((12,), dtype="int32"), embedding, block])
    tokens = np.random.default_rng(6).integers(0, 50, size=(2, 12)).astype("int32")
    before = to_numpy(model(tokens))
    config_class = GPTQConfig if mode == "gptq" else AWQConfig
    config = config_class(dataset=["a calibration text, long enough for three windows"],
                          tokenizer=_Tokenizer(), num_samples=3, sequence_length=12,
                          quantization_layer_structure={"pre_block_layers": [embedding],
                                                        "sequential_blocks": [block]})
    with pytest.warns(UserWarning):
        model.quantize(mode, config=config)
    projections = block.attention._projections()
    assert [p.quantization_mode for p in projections] == [mode] * 4
    assert all(getattr(p, f"is_{mode}_calibrated") for p in projections)
    after = to_numpy(model(tokens))
    assert not np.array_equal(after, before)
    assert np.abs(after - before).max() < 0.5 * np.abs(before).max()
