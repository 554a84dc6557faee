"""Golden values of Keras 3 LoRA (`enable_lora` / `lora_rank`) on `Dense`, `EinsumDense`,
`Embedding`, `ReversibleEmbedding` and the convolutions: outputs and JAX gradients with
fixed weights, the merged weight and what `save_own_variables` writes, training steps
that move only the LoRA factors, and a model with LoRA layers saved by Keras.

Run from this folder::

    KERAS_BACKEND=jax JAX_PLATFORMS=cpu /work/kvenv/bin/python family_lora.py
"""

import os

import numpy as np

import jax
import keras
from make_golden import HERE, Golden, f32, to_np

IDS = np.array([[0, 5, 2], [3, 3, 1]], dtype=np.int32)

# name, class, config, input shape (None: the ids above), rank, alpha, call kwargs
_LAYERS = [
    ("dense", "Dense", {"units": 3}, (2, 4), 2, 6.0, {}),
    ("dense_relu_3d", "Dense", {"units": 5, "activation": "relu"}, (2, 3, 4), 3, None, {}),
    ("einsum_matrix", "EinsumDense", {"equation": "ab,bc->ac", "output_shape": 4,
                                      "bias_axes": "c"}, (3, 5), 2, 4.0, {}),
    ("einsum_3d_kernel", "EinsumDense", {"equation": "abc,cde->abde",
                                         "output_shape": (None, 2, 3)}, (2, 4, 5), 2, 1.0, {}),
    ("embedding", "Embedding", {"input_dim": 6, "output_dim": 4}, None, 2, 5.0, {}),
    ("reversible_tied_reverse", "ReversibleEmbedding", {"input_dim": 6, "output_dim": 4},
     (2, 4), 2, 3.0, {"reverse": True}),
    ("reversible_untied_forward", "ReversibleEmbedding",
     {"input_dim": 6, "output_dim": 4, "tie_weights": False}, None, 3, 2.0, {}),
    ("conv1d", "Conv1D", {"filters": 3, "kernel_size": 2}, (2, 5, 4), 2, 6.0, {}),
    ("conv2d_groups", "Conv2D", {"filters": 4, "kernel_size": 2, "groups": 2,
                                 "padding": "same"}, (2, 4, 4, 2), 2, 3.0, {}),
    ("conv3d", "Conv3D", {"filters": 2, "kernel_size": 2}, (1, 3, 3, 3, 2), 1, 2.0, {}),
]


def _gradients(layer, x, call_kwargs, proj):
    """JAX gradients of `sum(layer(x) * proj)` by the trainable variables and by x."""
    trainable = [v.value for v in layer.trainable_variables]
    frozen = [v.value for v in layer.non_trainable_variables]

    def loss(trainable, x):
        y, _ = layer.stateless_call(trainable, frozen, x, **call_kwargs)
        return (y * proj).sum()

    argnums = (0, 1) if x.dtype.kind == "f" else (0,)
    grads = jax.grad(loss, argnums=argnums)(trainable, x)
    return grads[0], (grads[1] if len(grads) > 1 else None)


def _layers(g, rng):
    for name, cls, config, shape, rank, alpha, call_kwargs in _LAYERS:
        layer = getattr(keras.layers, cls)(**config)
        layer.build(shape if cls not in ("Embedding", "ReversibleEmbedding") else None)
        layer.enable_lora(rank, lora_alpha=alpha)
        # every weight fixed, the factors too (B is not zero: the update shows)
        weights = [f32(rng.normal(0, 0.5, w.shape)) for w in layer.weights]
        layer.set_weights(weights)
        x = IDS if shape is None or (cls.endswith("Embedding") and not call_kwargs) \
            else f32(rng.normal(0, 1.0, shape))
        y = to_np(layer(x, **call_kwargs))
        proj = f32(rng.normal(0, 1.0, y.shape))
        grads, grad_x = _gradients(layer, x, call_kwargs, proj)
        store = {}
        layer.save_own_variables(store)
        merged = layer.embeddings if cls.endswith("Embedding") else layer.kernel
        g.add(name, cls, "keras.layers", config,
              {"x": x, "y": y, "proj": proj, "grad_x": grad_x, "merged": to_np(merged),
               **{f"weights_{i}": w for i, w in enumerate(weights)},
               **{f"grad_{v.name}": to_np(d) for v, d in zip(layer.trainable_variables, grads)},
               **{f"saved_{k}": to_np(v) for k, v in store.items()}},
              kind="layer", rank=rank, alpha=alpha, call_kwargs=call_kwargs,
              lora_alpha=layer.lora_alpha, layer_config=layer.get_config(),
              weight_names=[v.name for v in layer.weights],
              trainable_names=[v.name for v in layer.trainable_weights],
              saved_keys=sorted(store))
    # lora_rank in the constructor: Dense and Embedding enable it with alpha = rank
    for cls, config, shape in (("Dense", {"units": 3}, (None, 4)),
                               ("Embedding", {"input_dim": 6, "output_dim": 4}, None),
                               ("EinsumDense", {"equation": "ab,bc->ac", "output_shape": 3},
                                (None, 4)),
                               ("Conv1D", {"filters": 2, "kernel_size": 2}, (None, 5, 3))):
        config = {**config, "lora_rank": 2, "lora_alpha": 8}
        layer = getattr(keras.layers, cls)(**config)
        layer.build(shape)
        g.add(f"constructor_{cls}", cls, "keras.layers", config, {},
              kind="constructor", lora_alpha=layer.lora_alpha,
              layer_config=layer.get_config(), weight_names=[v.name for v in layer.weights],
              weight_shapes=[list(v.shape) for v in layer.weights],
              trainable_names=[v.name for v in layer.trainable_weights])


def _model(lora_rank=None):
    return keras.Sequential([
        keras.Input((5, 3)),
        keras.layers.Conv1D(4, 2, activation="tanh", lora_rank=lora_rank),
        keras.layers.Flatten(),
        keras.layers.Dense(3, lora_rank=lora_rank),
    ])


def _training(g, rng):
    """A model with LoRA on both layers, trained three SGD steps on fixed weights."""
    model = _model()
    model.build((None, 5, 3))
    for layer in model.layers:
        if layer.weights:
            layer.enable_lora(2, lora_alpha=4.0)
    weights = [f32(rng.normal(0, 0.5, w.shape)) for w in model.weights]
    model.set_weights(weights)
    model.compile(optimizer=keras.optimizers.SGD(0.1), loss="mse")
    x = f32(rng.normal(0, 1.0, (6, 5, 3)))
    y = f32(rng.normal(0, 1.0, (6, 3)))
    losses = [float(model.train_on_batch(x, y)) for _ in range(3)]
    g.add("train_sgd", "Sequential", "keras", {}, {
        "x": x, "y": y, "losses": f32(losses),
        **{f"weights_{i}": w for i, w in enumerate(weights)},
        **{f"after_{i}": to_np(v) for i, v in enumerate(model.weights)}},
        kind="train", weight_names=[v.path for v in model.weights])


def _saved_model(g, rng):
    """A model built with `lora_rank`, trained a step and saved by Keras."""
    model = _model(lora_rank=2)
    model.build((None, 5, 3))
    model.set_weights([f32(rng.normal(0, 0.5, w.shape)) for w in model.weights])
    model.compile(optimizer=keras.optimizers.Adam(0.05), loss="mse")
    x = f32(rng.normal(0, 1.0, (4, 5, 3)))
    y = f32(rng.normal(0, 1.0, (4, 3)))
    model.train_on_batch(x, y)
    path = os.path.join(HERE, "lora_model.keras")
    model.save(path)
    g.add("saved_model", "Sequential", "keras", {}, {"x": x, "pred": to_np(model(x))},
          kind="saved_model", file="lora_model.keras")


def make_lora():
    g = Golden(
        "lora",
        seed=131,
        description=(
            "kinds: layer (a layer built, enable_lora(rank, lora_alpha=alpha), "
            "set_weights(weights_<i>) for every weight, the factors included; y = layer(x, "
            "**call_kwargs); grad_<name> and grad_x = JAX gradients of sum(y * proj) by the "
            "trainable variables and x; merged = the kernel / embeddings attribute; "
            "saved_<key> = what save_own_variables writes); constructor (lora_rank=2, "
            "lora_alpha=8 in the constructor: the layer's lora_alpha, config and weights "
            "after build); train (Conv1D-Flatten-Dense with enable_lora(2, lora_alpha=4), "
            "weights_<i> set, SGD(0.1) mse train_on_batch three times: losses, then every "
            "weight as after_<i>); saved_model (the same model with lora_rank=2, trained one "
            "Adam step and saved by Keras as lora_model.keras: pred)."),
    )
    rng = np.random.default_rng(131)
    _layers(g, rng)
    _training(g, rng)
    _saved_model(g, rng)
    g.write()


if __name__ == "__main__":
    make_lora()
