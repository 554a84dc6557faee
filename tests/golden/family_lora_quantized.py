"""Golden values of Keras 3 LoRA on int8 / int4 quantized `Dense`, `EinsumDense` and
`Embedding` (QLoRA-style fine-tuning): outputs, JAX gradients of the trainable
variables, what `save_own_variables` writes (the update merged and quantized again),
and a model trained one SGD step.

Run from this folder::

    KERAS_BACKEND=jax JAX_PLATFORMS=cpu /work/kvenv/bin/python family_lora_quantized.py
"""

import os

import numpy as np

import jax
import keras
from make_golden import HERE, Golden, f32, to_np

IDS = np.array([[0, 5, 2], [3, 3, 1]], dtype=np.int32)

# name, class, config, input shape (None: the ids above), mode, int4 block size, rank,
# alpha, order ("quantize_first" or "lora_first")
_LAYERS = [
    ("dense_int8", "Dense", {"units": 3}, (2, 8), "int8", None, 2, 4.0, "quantize_first"),
    ("dense_int4_channel", "Dense", {"units": 3}, (2, 8), "int4", -1, 2, 2.0,
     "quantize_first"),
    ("dense_int4_grouped", "Dense", {"units": 5, "activation": "relu"}, (2, 8), "int4", 4, 3,
     None, "quantize_first"),
    ("dense_int8_lora_first", "Dense", {"units": 3}, (2, 8), "int8", None, 2, 4.0,
     "lora_first"),
    ("dense_int4_lora_first", "Dense", {"units": 3}, (2, 8), "int4", 4, 2, 1.0, "lora_first"),
    ("einsum_int8", "EinsumDense", {"equation": "ab,bc->ac", "output_shape": 4,
                                    "bias_axes": "c"}, (3, 8), "int8", None, 2, 4.0,
     "quantize_first"),
    ("einsum_3d_int8", "EinsumDense", {"equation": "abc,cde->abde",
                                       "output_shape": (None, 2, 3)}, (2, 4, 6), "int8", None,
     2, 1.0, "quantize_first"),
    ("einsum_int4_grouped", "EinsumDense", {"equation": "ab,bc->ac", "output_shape": 4,
                                            "bias_axes": "c"}, (3, 8), "int4", 4, 2, 2.0,
     "quantize_first"),
    ("einsum_int4_channel", "EinsumDense", {"equation": "ab,bc->ac", "output_shape": 4},
     (3, 8), "int4", -1, 2, 2.0, "quantize_first"),
    ("embedding_int8", "Embedding", {"input_dim": 6, "output_dim": 8}, None, "int8", None, 2,
     5.0, "quantize_first"),
    ("embedding_int4_channel", "Embedding", {"input_dim": 6, "output_dim": 8}, None, "int4",
     -1, 2, 2.0, "quantize_first"),
    ("embedding_int4_grouped", "Embedding", {"input_dim": 6, "output_dim": 8}, None, "int4",
     4, 3, 3.0, "quantize_first"),
]


def quantize(layer, mode, block_size):
    config = None
    if mode == "int4":
        config = keras.quantizers.Int4QuantizationConfig(block_size=block_size)
    layer.quantize(mode, config=config)


def _gradients(layer, x, proj):
    """JAX gradients of `sum(layer(x) * proj)` by the trainable variables."""
    trainable = [v.value for v in layer.trainable_variables]
    frozen = [v.value for v in layer.non_trainable_variables]

    def loss(trainable):
        y, _ = layer.stateless_call(trainable, frozen, x)
        return (y * proj).sum()

    return jax.grad(loss)(trainable)


def _layers(g, rng):
    for name, cls, config, shape, mode, block_size, rank, alpha, order in _LAYERS:
        layer = getattr(keras.layers, cls)(**config)
        layer.build(shape)
        floats = {v.name: f32(rng.normal(0, 0.5, v.shape)) for v in layer.weights}
        for v in layer.weights:
            v.assign(floats[v.name])
        if order == "lora_first":
            layer.enable_lora(rank, lora_alpha=alpha)
            quantize(layer, mode, block_size)
        else:
            quantize(layer, mode, block_size)
            layer.enable_lora(rank, lora_alpha=alpha)
        factors = {}
        for v in layer.weights:
            if v.name.startswith("lora_"):  # B is not zero: the update shows
                factors[v.name] = f32(rng.normal(0, 0.3, v.shape))
                v.assign(factors[v.name])
        x = IDS if shape is None else f32(rng.normal(0, 1.0, shape))
        y = to_np(layer(x))
        proj = f32(rng.normal(0, 1.0, y.shape))
        grads = _gradients(layer, x, proj)
        store = {}
        layer.save_own_variables(store)
        g.add(name, cls, "keras.layers", config,
              {"x": x, "y": y, "proj": proj,
               **{f"float_{k}": v for k, v in floats.items()},
               **{f"factor_{k}": v for k, v in factors.items()},
               **{f"quantized_{v.name}": to_np(v) for v in layer.non_trainable_weights},
               **{f"grad_{v.name}": to_np(d) for v, d in zip(layer.trainable_variables, grads)},
               **{f"saved_{k}": to_np(v) for k, v in store.items()}},
              kind="layer", mode=mode, block_size=block_size, rank=rank, alpha=alpha,
              order=order, input_shape=shape, lora_alpha=layer.lora_alpha,
              dtype_policy=layer.dtype_policy.name,
              trainable_names=[v.name for v in layer.trainable_weights],
              saved_keys=sorted(store, key=int))


def _training(g, rng):
    """Input-Dense(6)-Dense(3) quantized to int8, LoRA on both, one SGD step of mse."""
    model = keras.Sequential([keras.Input((5,)), keras.layers.Dense(6, activation="tanh"),
                              keras.layers.Dense(3)])
    floats = [f32(rng.normal(0, 0.5, w.shape)) for w in model.weights]
    model.set_weights(floats)
    model.quantize("int8")
    factors = []
    for layer in model.layers:
        layer.enable_lora(2, lora_alpha=4.0)
        for v in (layer.lora_kernel_a, layer.lora_kernel_b):
            factors.append(f32(rng.normal(0, 0.3, v.shape)))
            v.assign(factors[-1])
    model.compile(optimizer=keras.optimizers.SGD(0.1), loss="mse")
    x = f32(rng.normal(0, 1.0, (6, 5)))
    y = f32(rng.normal(0, 1.0, (6, 3)))
    loss = float(model.train_on_batch(x, y))
    g.add("train_sgd", "Sequential", "keras", {}, {
        "x": x, "y": y, "loss": f32([loss]),
        **{f"float_{i}": w for i, w in enumerate(floats)},
        **{f"factor_{i}": w for i, w in enumerate(factors)},
        **{f"after_{v.path.replace('/', '__')}": to_np(v) for v in model.weights}},
        kind="train", after_paths=[v.path for v in model.weights])


def _saved_model(g, rng):
    """The trained model of `_training`'s shape, int4 this time, saved by Keras."""
    model = keras.Sequential([keras.Input((5,)), keras.layers.Dense(6, activation="tanh"),
                              keras.layers.Dense(3)])
    model.set_weights([f32(rng.normal(0, 0.5, w.shape)) for w in model.weights])
    model.quantize("int4")
    for layer in model.layers:
        layer.enable_lora(2)
        layer.lora_kernel_b.assign(f32(rng.normal(0, 0.3, layer.lora_kernel_b.shape)))
    x = f32(rng.normal(0, 1.0, (4, 5)))
    path = os.path.join(HERE, "lora_quantized_model.keras")
    model.save(path)
    loaded = to_np(keras.models.load_model(path)(x))
    g.add("saved_model", "Sequential", "keras", {}, {"x": x, "pred": to_np(model(x)),
                                                       "pred_loaded": loaded},
          kind="saved_model", file="lora_quantized_model.keras")


def make_lora_quantized():
    g = Golden(
        "lora_quantized",
        seed=157,
        description=(
            "kinds: layer (a layer built, every float weight set to float_<name>; then "
            "quantize(mode) with Int4QuantizationConfig(block_size) for int4 and "
            "enable_lora(rank, lora_alpha=alpha), in `order`; the factors set to "
            "factor_<name>; quantized_<name> = the non-trainable variables; y = layer(x); "
            "grad_<name> = JAX gradients of sum(y * proj) by the trainable variables; "
            "saved_<i> = what save_own_variables writes); train (Input(5)-Dense(6, tanh)-"
            "Dense(3), weights float_<i>, model.quantize('int8'), enable_lora(2, "
            "lora_alpha=4) on both with factor_<i> (a, b per layer), SGD(0.1) mse "
            "train_on_batch once: loss, and every weight after, by path); saved_model (the same "
            "shape quantized to int4 with enable_lora(2) and B set, saved by Keras as "
            "lora_quantized_model.keras: pred = its output before saving, pred_loaded = the "
            "output of the model Keras loads from the file, whose kernels hold the update)."),
    )
    rng = np.random.default_rng(157)
    _layers(g, rng)
    _training(g, rng)
    _saved_model(g, rng)
    g.write()


if __name__ == "__main__":
    make_lora_quantized()
