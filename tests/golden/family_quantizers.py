"""Golden values of Keras 3 quantization: the `keras.quantizers` functions, and
`Dense`, `EinsumDense` and `Embedding` after `quantize("int8" / "int4" / "float8")` on
fixed weights (outputs, quantized variables, JAX gradients of the inputs), and float8
training steps.

Run from this folder::

    KERAS_BACKEND=jax JAX_PLATFORMS=cpu /work/kvenv/bin/python family_quantizers.py
"""

import os

import numpy as np

import jax
import keras
from keras import ops
from make_golden import HERE, Golden, f32, to_np

Q = keras.quantizers


def _functions(g, rng):
    x = f32(rng.normal(0, 1.5, (4, 6)))
    x[1] = 0.0  # an all-zero row: the scale stays finite through epsilon
    for name, kwargs in [("axis_last", {"axis": -1}), ("axis_0", {"axis": 0}),
                         ("axes_both", {"axis": (0, 1)}),
                         ("int4_range", {"axis": -1, "value_range": (-8, 7)})]:
        q, s = Q.abs_max_quantize(x, **kwargs)
        g.add(f"abs_max_{name}", "abs_max_quantize", "keras.quantizers", kwargs,
              {"x": x, "quantized": to_np(q), "scale": to_np(s)}, kind="abs_max")
    w = f32(rng.normal(0, 1.0, (10, 4)))
    w[:, 2] = 0.25  # a constant column: the two paths of Keras differ there
    for to_numpy in (True, False):
        q, s, z = Q.abs_max_quantize_grouped_with_zero_point(w, block_size=4, to_numpy=to_numpy)
        g.add(f"grouped_to_numpy_{to_numpy}", "abs_max_quantize_grouped_with_zero_point",
              "keras.quantizers", {"block_size": 4, "to_numpy": to_numpy},
              {"x": w, "quantized": to_np(q), "scale": to_np(s), "zero": to_np(z)},
              kind="grouped")
    # values across the float8 ranges: subnormals, ties, near the largest values
    base = np.concatenate([rng.normal(0, 3.0, 40), rng.normal(0, 300.0, 20),
                           [0.0, 1e-4, -2.0 ** -9, 3 * 2.0 ** -10, 448.0, 460.0, -500.0,
                            1.0625, 1.1875, 57344.0, 61440.0, 1e6, -3e-6]])
    x = f32(base)
    for fmt in ("float8_e4m3fn", "float8_e5m2"):
        for scale in (1.0, 0.37):
            y = Q.quantize_and_dequantize(x, np.float32(scale), fmt, "float32")
            g.add(f"qdq_{fmt}_{scale}", "quantize_and_dequantize", "keras.quantizers",
                  {"quantized_dtype": fmt, "scale": scale}, {"x": x, "y": to_np(y)}, kind="qdq")
    amax = f32([0.0, 3.0, np.inf, 1e-3, 500.0])
    scale = f32([0.5, 0.5, 0.5, 2.0, 1.0])
    for margin in (0, 2):
        y = Q.compute_float8_scale(amax, scale, np.float32(448.0), margin=margin)
        g.add(f"float8_scale_margin_{margin}", "compute_float8_scale", "keras.quantizers",
              {"margin": margin, "dtype_max": 448.0},
              {"amax": amax, "scale": scale, "y": to_np(y)}, kind="float8_scale")
    history = f32(rng.uniform(0, 2, 5))
    x = f32(rng.normal(0, 2, (3, 4)))
    g.add("amax_history", "compute_float8_amax_history", "keras.quantizers", {},
          {"x": x, "history": history, "y": to_np(Q.compute_float8_amax_history(x, history))},
          kind="amax_history")
    for axis, shape in ((0, (5, 3)), (1, (2, 5)), (-1, (2, 3, 4))):
        v = rng.integers(-8, 8, shape).astype(np.int8)
        packed, packed_shape, n = Q.pack_int4(v, axis=axis)
        g.add(f"pack_int4_axis_{axis}_{len(shape)}d", "pack_int4", "keras.quantizers",
              {"axis": axis}, {"x": v, "packed": to_np(packed)}, kind="pack_int4",
              packed_shape=list(packed_shape), orig_len=n)


def _fake_quant(g, rng):
    cases = [("per_tensor", {}, -1.0, 1.5), ("narrow_4bit", {"num_bits": 4, "narrow_range": True},
                                               -0.7, 2.1),
             ("per_channel", {"axis": -1}, [-1.0, -0.3, 0.0], [1.0, 0.9, 2.0]),
             ("positive_range", {}, 0.2, 1.3)]
    for name, kwargs, lo, hi in cases:
        x = f32(rng.normal(0, 1.2, (6, 3)))
        lo, hi = f32(lo), f32(hi)
        proj = f32(rng.normal(0, 1, x.shape))

        def loss(x, lo, hi):
            return ops.sum(Q.fake_quant_with_min_max_vars(x, lo, hi, **kwargs) * proj)

        y = Q.fake_quant_with_min_max_vars(x, lo, hi, **kwargs)
        gx, glo, ghi = jax.grad(loss, argnums=(0, 1, 2))(x, lo, hi)
        g.add(f"fake_quant_{name}", "fake_quant_with_min_max_vars", "keras.quantizers", kwargs,
              {"x": x, "min": lo, "max": hi, "proj": proj, "y": to_np(y), "grad_x": to_np(gx),
               "grad_min": to_np(glo), "grad_max": to_np(ghi)}, kind="fake_quant")


def _input_gradient(layer, x):
    proj = None

    def loss(x):
        return ops.sum(layer(x) * proj)

    y = layer(x)
    proj = f32(np.random.default_rng(7).normal(0, 1, tuple(y.shape)))
    return to_np(y), proj, to_np(jax.grad(loss)(x))


_LAYERS = [
    ("dense", "Dense", {"units": 5, "activation": "relu"}, (3, 7)),
    ("dense_nobias", "Dense", {"units": 4, "use_bias": False}, (2, 6)),
    ("einsum_abd", "EinsumDense", {"equation": "abc,cd->abd", "output_shape": (3, 4),
                                   "bias_axes": "d"}, (2, 3, 5)),
    ("einsum_abde", "EinsumDense", {"equation": "abc,cde->abde", "output_shape": (3, 2, 4),
                                    "bias_axes": "de"}, (2, 3, 5)),
    ("einsum_ab", "EinsumDense", {"equation": "ab,bc->ac", "output_shape": 3}, (4, 6)),
    ("einsum_abd_dc", "EinsumDense", {"equation": "abc,dc->abd", "output_shape": (3, 4),
                                      "bias_axes": "d"}, (2, 3, 5)),
]
_MODES = {
    "Dense": [("int8", None), ("int4", None), ("int4_per_channel", "per_channel"),
              ("int4_block2", 2), ("float8", None), ("int8_weight_only", "weight_only")],
    "EinsumDense": [("int8", None), ("int4", None), ("int4_per_channel", "per_channel"),
                    ("int4_block2", 2), ("float8", None)],
}


def _config(mode, option):
    if mode.startswith("int4") and option == "per_channel":
        return Q.Int4QuantizationConfig(block_size=None)
    if mode.startswith("int4") and isinstance(option, int):
        return Q.Int4QuantizationConfig(block_size=option)
    if option == "weight_only":
        return Q.Int8QuantizationConfig(activation_quantizer=None)
    return None


def _layers(g, rng):
    for name, cls, config, shape in _LAYERS:
        for mode_name, option in _MODES[cls]:
            mode = mode_name.split("_")[0]
            layer = getattr(keras.layers, cls)(**config)
            layer.build(shape)
            weights = [f32(rng.normal(0, 0.5, w.shape)) for w in layer.weights]
            layer.set_weights(weights)
            layer.quantize(mode, config=_config(mode, option))
            x = f32(rng.normal(0, 1.0, shape))
            y, proj, grad = _input_gradient(layer, x)
            variables = {f"var_{v.name}": to_np(v) for v in layer.weights}
            g.add(f"{name}_{mode_name}", cls, "keras.layers", config,
                  {"x": x, "y": y, "proj": proj, "grad_x": grad, **variables,
                   **{f"weights_{i}": w for i, w in enumerate(weights)}},
                  kind="layer", mode=mode, option=option,
                  policy=layer.dtype_policy.name, layer_config=layer.get_config(),
                  variable_names=[v.name for v in layer.weights])
    for mode_name, option in [("int8", None), ("int4", None), ("int4_per_channel", "per_channel"),
                              ("int4_block2", 2)]:
        mode = mode_name.split("_")[0]
        layer = keras.layers.Embedding(6, 5)
        layer.build()
        table = f32(rng.normal(0, 0.5, (6, 5)))
        layer.set_weights([table])
        layer.quantize(mode, config=_config(mode, option))
        ids = np.array([[0, 5, 2], [3, 3, 1]], dtype=np.int32)
        g.add(f"embedding_{mode_name}", "Embedding", "keras.layers",
              {"input_dim": 6, "output_dim": 5},
              {"x": ids, "y": to_np(layer(ids)), "weights_0": table,
               **{f"var_{v.name}": to_np(v) for v in layer.weights}},
              kind="layer", mode=mode, option=option, policy=layer.dtype_policy.name,
              layer_config=layer.get_config(), variable_names=[v.name for v in layer.weights])


def _float8_training(g, rng):
    for name, history in (("default_history", None), ("history_3", 3)):
        dtype = None
        if history is not None:
            dtype = keras.dtype_policies.QuantizedFloat8DTypePolicy("float8", "float32",
                                                                    amax_history_length=history)
        model = keras.Sequential([keras.Input((6,)), keras.layers.Dense(4, activation="tanh"),
                                  keras.layers.Dense(3, dtype=dtype)])
        initial = {}
        for i, layer in enumerate(model.layers):
            for v in layer.weights:
                if v.name in ("kernel", "bias"):
                    initial[f"{i}__{v.name}"] = f32(rng.normal(0, 0.6, v.shape))
                    v.assign(initial[f"{i}__{v.name}"])
        if history is None:
            model.quantize("float8")
        model.compile(optimizer=keras.optimizers.SGD(0.1), loss="mse")
        x = f32(rng.normal(0, 1.5, (5, 6)))
        y = f32(rng.normal(0, 1, (5, 3)))
        losses = {f"loss_{i}": np.float32(model.train_on_batch(x, y)) for i in range(3)}
        state = {f"{i}__{v.name}": to_np(v) for i, layer in enumerate(model.layers)
                 for v in layer.weights}
        g.add(f"float8_train_{name}", "Sequential", "keras", {"history": history},
              {"x": x, "y": y, **losses, **{f"initial_{k}": w for k, w in initial.items()},
               **{f"state_{k}": v for k, v in state.items()},
               "pred": to_np(model(x))},
              kind="float8_train", state_names=sorted(state), mode="float8")


def _saved_models(g, rng):
    """Quantized models saved by Keras (trained one step first, so their optimizer
    state is in the file)."""
    cases = [("int8", "int8", False), ("int4", "int4", False), ("float8", "float8", True)]
    for name, mode, use_bias in cases:
        # int8 and int4 kernels are frozen: a LayerNormalization gives the step something
        # to train
        model = keras.Sequential([keras.Input((6,)),
                                  keras.layers.Dense(5, activation="relu", use_bias=use_bias),
                                  keras.layers.Dense(3, use_bias=use_bias),
                                  keras.layers.LayerNormalization()])
        model.set_weights([f32(rng.normal(0, 0.5, w.shape)) for w in model.weights])
        model.quantize(mode)
        model.compile(optimizer="adam", loss="mse")
        x = f32(rng.normal(0, 1, (8, 6)))
        y = f32(rng.normal(0, 1, (8, 3)))
        model.train_on_batch(x, y)
        file = f"quantizers_{name}_model.keras"
        model.save(os.path.join(HERE, file))
        pred = to_np(model(x))
        step_x, step_y = f32(rng.normal(0, 1, (8, 6))), f32(rng.normal(0, 1, (8, 3)))
        model.train_on_batch(step_x, step_y)
        g.add(f"saved_{name}", "Sequential", "keras", {}, {
            "x": x, "pred": pred, "step_x": step_x, "step_y": step_y,
            "after_step": to_np(model(x))}, kind="saved_model", file=file, mode=mode)


def make_quantizers():
    g = Golden(
        "quantizers",
        seed=83,
        description=(
            "kinds: abs_max / grouped / qdq / float8_scale / amax_history / pack_int4 / "
            "fake_quant (a keras.quantizers function on fixed inputs; fake_quant with JAX "
            "gradients of sum(y * proj)); layer (a layer built, set_weights(weights_<i>), "
            "quantize(mode, config from 'option'), y = layer(x), grad_x = JAX gradient of "
            "sum(y * proj), var_<name> = its variables after quantize); float8_train (a "
            "Sequential of two Dense (kernels and biases initial_<layer index>__<name>), "
            "quantized to float8 or its last layer built with a float8 policy of amax history "
            "3, SGD(0.1) mse train_on_batch three times: loss_<i>, then every variable as "
            "state_<layer index>__<name>); saved_model (a quantized model trained one "
            "step and saved by Keras: pred, then after_step after one more step)."),
    )
    rng = np.random.default_rng(83)
    _functions(g, rng)
    _fake_quant(g, rng)
    _layers(g, rng)
    _float8_training(g, rng)
    _saved_models(g, rng)
    g.write()


if __name__ == "__main__":
    make_quantizers()
