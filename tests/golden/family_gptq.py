"""Golden values of Keras 3 GPTQ (`model.quantize("gptq", config=GPTQConfig(...))`) and
AWQ (cases `awq_*`, layers quantized by keras's `AWQ` state):
single layers (`Dense`, `EinsumDense` with 2-D and 3-D kernels) quantized by the
`GPTQ` state of real Keras from fixed kernels and calibration batches (the Hessian,
the stored levels, scales, zero points and group indices, the quantized output), and
small models calibrated end to end through an embedding with numeric and text data
(with Keras's Hessian hook fixed: see `_streamed_hessians`).

Run from this folder::

    KERAS_BACKEND=jax JAX_PLATFORMS=cpu /work/kvenv/bin/python family_gptq.py
"""

import contextlib

import numpy as np

import keras
from keras.quantizers import GPTQConfig
from keras.src.quantizers import gptq_core
from keras.src.quantizers.gptq import GPTQ
from make_golden import Golden, f32, to_np


@contextlib.contextmanager
def _streamed_hessians(layers_map, gptq_objects):
    """`gptq_core.stream_hessians` as its docstring describes it. Keras 3.15.1 patches
    `layer.call`, which a layer in a quantized mode never runs (`Layer.__call__` goes
    to `quantized_call`), so its Hessians stay zero and GPTQ degrades to rounding;
    this hooks `quantized_call` instead."""
    originals = {}

    def hook(name, call):
        def observed(*args, **kwargs):
            inputs = args[0] if args else kwargs["inputs"]
            state = gptq_objects[name]
            state.update_hessian_with_batch(keras.ops.reshape(inputs, (-1, state.rows)))
            return call(*args, **kwargs)

        return observed

    try:
        for name, layer in layers_map.items():
            originals[name] = layer.quantized_call
            layer.quantized_call = hook(name, layer.quantized_call)
        yield
    finally:
        for name, layer in layers_map.items():
            layer.quantized_call = originals[name]


@contextlib.contextmanager
def _recorded_hessians(hessians):
    """Appends each layer's Hessian to `hessians` when GPTQ quantizes it."""
    original = GPTQ.quantize_and_correct_layer

    def quantize(self, blocksize=128):
        hessians.append(to_np(self.hessian))
        return original(self, blocksize)

    GPTQ.quantize_and_correct_layer = quantize
    try:
        yield
    finally:
        GPTQ.quantize_and_correct_layer = original

# name, class, config, input shape, GPTQConfig kwargs, blocksize (a multiple of the
# group size: Keras restarts a group's parameters at each block)
_LAYERS = [
    ("dense_4bit_channel", "Dense", {"units": 6}, (16,), {"group_size": -1}, 128),
    ("dense_4bit_groups_act_order", "Dense", {"units": 5},
     (12,), {"group_size": 4, "activation_order": True}, 128),
    ("dense_3bit_symmetric_blocks", "Dense", {"units": 4},
     (10,), {"weight_bits": 3, "group_size": 2, "symmetric": True}, 4),
    ("dense_8bit_act_order_blocks", "Dense", {"units": 7, "use_bias": False},
     (9,), {"weight_bits": 8, "group_size": 3, "activation_order": True,
            "hessian_damping": 0.1}, 3),
    ("dense_2bit_per_tensor", "Dense", {"units": 3},
     (8,), {"weight_bits": 2, "per_channel": False, "group_size": -1}, 128),
    ("einsum_2d", "EinsumDense", {"equation": "ab,bc->ac", "output_shape": 5,
                                  "bias_axes": "c"}, (8,), {"group_size": 4}, 4),
    ("einsum_qkv", "EinsumDense", {"equation": "abc,cde->abde",
                                   "output_shape": (None, 2, 3)},
     (4, 12), {"group_size": 8, "activation_order": True}, 128),
    ("einsum_attention_out", "EinsumDense", {"equation": "abcd,cde->abe",
                                             "output_shape": (None, 12), "bias_axes": "e"},
     (4, 2, 3), {"group_size": -1}, 128),
]


def _calibration(rng, shape, features):
    """Two batches whose features have different scales (and one dead feature)."""
    scales = np.linspace(0.2, 3.0, features).astype(np.float32)
    scales[1] = 0.0
    batches = []
    for n in (5, 3):
        x = rng.normal(size=(n,) + shape).astype(np.float32)
        batches.append(f32(x * scales.reshape((1,) * len(shape) + (-1,))
                           if len(shape) == 1 or features == shape[-1] else x))
    return batches


def _layers(g, rng):
    for name, cls, config, shape, gptq_kwargs, blocksize in _LAYERS:
        layer = getattr(keras.layers, cls)(**config)
        layer.build((None,) + shape)
        weights = [f32(rng.normal(size=w.shape)) for w in layer.weights]
        layer.set_weights(weights)
        cfg = GPTQConfig(dataset=None, tokenizer=None, **gptq_kwargs)
        layer.quantize("gptq", config=cfg)
        state = GPTQ(layer, cfg)
        batches = _calibration(rng, shape, shape[-1])
        for batch in batches:
            state.update_hessian_with_batch(batch.reshape(-1, state.rows))
        hessian = to_np(state.hessian)
        state.quantize_and_correct_layer(blocksize=blocksize)
        x = f32(rng.normal(size=(2,) + shape))
        arrays = {f"weight_{i}": w for i, w in enumerate(weights)}
        arrays.update({"batch_0": batches[0], "batch_1": batches[1], "hessian": hessian,
                       "quantized_kernel": to_np(layer.quantized_kernel),
                       "kernel_scale": to_np(layer.kernel_scale),
                       "kernel_zero": to_np(layer.kernel_zero), "g_idx": to_np(layer.g_idx),
                       "x": x, "y": to_np(layer(x))})
        g.add(name, cls, "keras.layers", config, arrays, input_shape=list(shape),
              gptq=gptq_kwargs, blocksize=blocksize, policy=layer.dtype_policy.name,
              layer_config=layer.get_config(),
              saved_names=[v.name for v in layer.weights])


_keras_stream_hessians = gptq_core.stream_hessians


class CharTokenizer:
    """Lower-case letters to ids 1..26, anything else to 0."""

    def tokenize(self, text):
        return np.array([[ord(c) - 96 if "a" <= c <= "z" else 0 for c in text]], np.int32)


def _models(g, rng):
    length, vocab = 48, 27  # 48 rows for 8 features: a well-conditioned Hessian
    numeric = [rng.integers(0, vocab, size=(length,)).astype(np.int32)]
    text = ["the quick brown fox jumps over the lazy dog and away"[:length]]
    for name, dataset, tokenizer, kwargs in [
            ("model_numeric", numeric, None, {"group_size": 4}),
            ("model_text", text, CharTokenizer(), {"group_size": -1, "symmetric": True,
                                                   "activation_order": True})]:
        embedding = keras.layers.Embedding(vocab, 8)
        first, second = keras.layers.Dense(6, activation="relu"), keras.layers.Dense(5)
        model = keras.Sequential([keras.Input((length,), dtype="int32"), embedding, first,
                                  second])
        weights = [f32(rng.normal(size=w.shape)) for w in model.weights]
        model.set_weights(weights)
        tokens = rng.integers(0, vocab, size=(2, length)).astype(np.int32)
        before = to_np(model(tokens))
        cfg = GPTQConfig(dataset=dataset, tokenizer=tokenizer or CharTokenizer(),
                         num_samples=1, sequence_length=length,
                         quantization_layer_structure={"pre_block_layers": [embedding],
                                                       "sequential_blocks": [first, second]},
                         **kwargs)
        hessians = []
        with _recorded_hessians(hessians):
            gptq_core.stream_hessians = _streamed_hessians
            try:
                model.quantize("gptq", config=cfg)
            finally:
                gptq_core.stream_hessians = _keras_stream_hessians
        arrays = {f"weight_{i}": w for i, w in enumerate(weights)}
        arrays.update({f"layer{i}_hessian": h for i, h in enumerate(hessians)})
        arrays.update({"tokens": tokens, "before": before, "after": to_np(model(tokens))})
        if isinstance(dataset[0], np.ndarray):
            arrays["dataset"] = dataset[0]
        for i, layer in enumerate((first, second)):
            for attr in ("quantized_kernel", "kernel_scale", "kernel_zero", "g_idx"):
                arrays[f"layer{i}_{attr}"] = to_np(getattr(layer, attr))
        g.add(name, "Sequential", "keras", {}, arrays, length=length, vocab=vocab,
              text=text[0] if tokenizer else None, gptq=kwargs)


# name, class, config, input shape, AWQConfig kwargs
_AWQ_LAYERS = [
    ("awq_dense_channel", "Dense", {"units": 6}, (16,), {"group_size": -1}),
    ("awq_dense_groups", "Dense", {"units": 5, "use_bias": False}, (12,),
     {"group_size": 4, "num_grid_points": 10}),
    ("awq_dense_partial_group", "Dense", {"units": 3}, (10,), {"group_size": 4}),
    ("awq_einsum_qkv", "EinsumDense", {"equation": "abc,cde->abde",
                                       "output_shape": (None, 2, 3)}, (4, 12),
     {"group_size": 8}),
    ("awq_einsum_attention_out", "EinsumDense", {"equation": "abcd,cde->abe",
                                                 "output_shape": (None, 12),
                                                 "bias_axes": "e"}, (4, 2, 3),
     {"group_size": -1}),
]


def _awq_layers(g, rng):
    from keras.quantizers import AWQConfig
    from keras.src.quantizers.awq import AWQ

    for name, cls, config, shape, awq_kwargs in _AWQ_LAYERS:
        layer = getattr(keras.layers, cls)(**config)
        layer.build((None,) + shape)
        weights = [f32(rng.normal(size=w.shape)) for w in layer.weights]
        layer.set_weights(weights)
        cfg = AWQConfig(dataset=None, tokenizer=None, **awq_kwargs)
        layer.quantize("awq", config=cfg)
        state = AWQ(layer, cfg)
        batches = _calibration(rng, shape, shape[-1])
        for batch in batches:
            state.update_activation_magnitudes(batch.reshape(-1, state.rows))
        magnitudes = to_np(state.activation_magnitudes)
        state.quantize_layer()
        x = f32(rng.normal(size=(2,) + shape))
        arrays = {f"weight_{i}": w for i, w in enumerate(weights)}
        arrays.update({"batch_0": batches[0], "batch_1": batches[1],
                       "activation_magnitudes": magnitudes,
                       "quantized_kernel": to_np(layer.quantized_kernel),
                       "kernel_scale": to_np(layer.kernel_scale),
                       "kernel_zero": to_np(layer.kernel_zero),
                       "awq_scales": to_np(layer.awq_scales), "g_idx": to_np(layer.g_idx),
                       "x": x, "y": to_np(layer(x))})
        g.add(name, cls, "keras.layers", config, arrays, input_shape=list(shape),
              awq=awq_kwargs, policy=layer.dtype_policy.name,
              layer_config=layer.get_config(),
              saved_names=[v.name for v in layer.weights])


def make_gptq():
    g = Golden("gptq", seed=31, description=(
        "Keras GPTQ: single Dense / EinsumDense layers quantized by keras's GPTQ state from "
        "fixed kernels and two calibration batches (Hessian, stored levels, scales, zero "
        "points, g_idx, output on x), and Embedding + Dense models calibrated end to end "
        "by model.quantize('gptq') on one window of numeric or text tokens; awq_* cases: "
        "single layers quantized by keras's AWQ state (input magnitudes, levels, scales, "
        "zero points, awq_scales, g_idx, output)."))
    rng = np.random.default_rng(g.seed)
    _layers(g, rng)
    _models(g, rng)
    _awq_layers(g, rng)
    g.write()


if __name__ == "__main__":
    make_gptq()
