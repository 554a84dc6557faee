"""Golden values of Keras 3 mixed precision (`"mixed_float16"` dtype policies and
`LossScaleOptimizer`): forward passes and training steps of small models.

Run from this folder::

    KERAS_BACKEND=jax JAX_PLATFORMS=cpu /work/kvenv/bin/python family_mixed_precision.py
"""

import os

import numpy as np

import keras
from make_golden import HERE, Golden, f32, to_np

# (name, layer configs of the model after its Input, input shape of one sample)
_MODELS = {
    "dense": ([("Dense", {"units": 8, "activation": "relu"}), ("Dense", {"units": 3}),
               ("Activation", {"activation": "softmax", "dtype": "float32"})], (4,)),
    "conv": ([("Conv1D", {"filters": 4, "kernel_size": 3, "activation": "tanh"}),
              ("Flatten", {}), ("Dense", {"units": 3, "activation": "softmax",
                                          "dtype": "float32"})], (6, 2)),
    "batch_norm": ([("Dense", {"units": 6}), ("BatchNormalization", {}),
                    ("Dense", {"units": 3, "activation": "softmax", "dtype": "float32"})],
                   (4,)),
}


def _model(kind, weights):
    specs, shape = _MODELS[kind]
    model = keras.Sequential([keras.Input(shape)] + [getattr(keras.layers, cls)(**config)
                                                     for cls, config in specs])
    model.set_weights(weights)
    return model


def _weights(rng, kind):
    specs, shape = _MODELS[kind]
    probe = keras.Sequential([keras.Input(shape)] + [getattr(keras.layers, cls)(**config)
                                                     for cls, config in specs])
    # moving variances must be positive for the inference pass
    return [f32(abs(rng.normal(0, 0.6, v.shape)) + 0.5 if v.path.endswith("moving_variance")
                else rng.normal(0, 0.6, v.shape)) for v in probe.weights]


def _optimizer(case):
    inner = keras.optimizers.SGD(learning_rate=0.1)
    if "initial_scale" in case:
        return keras.optimizers.LossScaleOptimizer(
            inner, initial_scale=case["initial_scale"],
            dynamic_growth_steps=case.get("dynamic_growth_steps", 2000))
    return inner


def make_mixed_precision():
    g = Golden(
        "mixed_precision",
        seed=61,
        description=(
            "kind 'forward': a Sequential model built under the global policy "
            "'mixed_float16' (its last layer dtype='float32') with fixed float32 weights; "
            "y = model(x), hidden = outputs of each layer (in their compute dtype). kind "
            "'train': the same model compiled with SGD(0.1) (wrapped in a LossScaleOptimizer "
            "by compile, or given one with initial_scale / dynamic_growth_steps), then "
            "train_on_batch(x, labels) 'steps' times; loss_<i> after step i, weights_<j> "
            "after the last step, scale and step_counter of the LossScaleOptimizer."
        ),
    )
    rng = np.random.default_rng(61)
    keras.config.set_dtype_policy("mixed_float16")
    try:
        for kind in _MODELS:
            weights = _weights(rng, kind)
            shape = _MODELS[kind][1]
            x = f32(rng.normal(0, 1.0, (5,) + shape))
            labels = rng.integers(0, 3, 5).astype(np.int32)
            model = _model(kind, weights)
            hidden = {}
            out = keras.ops.convert_to_tensor(x)
            for i, layer in enumerate(model.layers):
                out = layer(out)
                hidden[f"hidden_{i}"] = to_np(out)
            arrays = {"x": x, "y": to_np(model(x)), **hidden,
                      **{f"weights_{j}": w for j, w in enumerate(weights)}}
            g.add(f"{kind}_forward", "Sequential", "keras", {"layers": _MODELS[kind][0]},
                  arrays, kind="forward", model=kind,
                  layer_dtypes=[[layer.dtype_policy.name, layer.compute_dtype,
                                 layer.variable_dtype] for layer in model.layers],
                  layer_configs=[layer.get_config()["dtype"] for layer in model.layers])
            cases = [{"name": "auto_wrapped", "steps": 1},
                     {"name": "overflow", "steps": 1, "initial_scale": 2.0 ** 40},
                     {"name": "growth", "steps": 3, "initial_scale": 64.0,
                      "dynamic_growth_steps": 2}]
            for case in cases:
                model = _model(kind, weights)
                model.compile(optimizer=_optimizer(case),
                              loss="sparse_categorical_crossentropy")
                losses = {f"loss_{i}": np.float32(model.train_on_batch(x, labels))
                          for i in range(case["steps"])}
                opt = model.optimizer
                arrays = {"x": x, "labels": labels, **losses,
                          **{f"initial_{j}": w for j, w in enumerate(weights)},
                          **{f"weights_{j}": w for j, w in enumerate(model.get_weights())},
                          "scale": to_np(opt.dynamic_scale), "step_counter":
                          to_np(opt.step_counter)}
                g.add(f"{kind}_train_{case['name']}", "Sequential", "keras",
                      {k: v for k, v in case.items() if k != "name"}, arrays, kind="train",
                      model=kind, optimizer=type(opt).__name__,
                      optimizer_variables=[v.path for v in opt.variables])
        model = _model("dense", _weights(rng, "dense"))
        model.compile(optimizer=keras.optimizers.SGD(0.1),
                      loss="sparse_categorical_crossentropy")
        x = f32(rng.normal(0, 1.0, (6, 4)))
        labels = rng.integers(0, 3, 6).astype(np.int32)
        model.train_on_batch(x, labels)
        path = os.path.join(HERE, "mixed_precision_model.keras")
        model.save(path)
        g.add("saved_model", "Sequential", "keras", {}, {
            "x": x, "y": to_np(model(x)),
            **{f"weights_{j}": w for j, w in enumerate(model.get_weights())},
            **{f"optimizer_{j}": to_np(v) for j, v in enumerate(model.optimizer.variables)}},
            kind="saved_model", file="mixed_precision_model.keras")
    finally:
        keras.config.set_dtype_policy("float32")
    g.write()


if __name__ == "__main__":
    make_mixed_precision()
