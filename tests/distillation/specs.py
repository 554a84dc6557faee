"""Shared pieces of the distillation tests: golden cases' losses built in kerasx, and
the fixed-weight teacher and student of the golden `Distiller` cases."""

import numpy as np

import kerasx
from kerasx import distillation


def loss_from_spec(spec):
    """A loss written in a golden case (`"mse"`, `["KLDivergence", {...}]`, None, or a
    list/dict of them) built from kerasx."""
    if spec is None or isinstance(spec, str):
        return spec
    if isinstance(spec, dict):
        return {k: loss_from_spec(v) for k, v in spec.items()}
    if len(spec) == 2 and isinstance(spec[0], str) and spec[0][:1].isupper() \
            and isinstance(spec[1], dict):
        return getattr(kerasx.losses, spec[0])(**spec[1])
    return [loss_from_spec(s) for s in spec]


def distillation_loss(cls_name, config):
    config = dict(config)
    if "loss" in config:
        config["loss"] = loss_from_spec(config["loss"])
    return getattr(distillation, cls_name)(**config)


def outputs(arrays, structure, tag, dtype=None):
    """The case's `teacher_<i>` / `student_<i>` arrays in the case's structure."""
    leaves = []
    while f"{tag}_{len(leaves)}" in arrays:
        leaf = arrays[f"{tag}_{len(leaves)}"]
        leaves.append(leaf if dtype is None else leaf.astype(dtype))
    if structure == "single":
        return leaves[0]
    if structure == "list":
        return leaves
    return dict(zip(structure[1], leaves))


def golden_models(arrays):
    """The golden teacher (5 -> 6 -> 10 -> 4) and student (5 -> 6 -> 4) with the case's
    weights."""
    def build(name, layers):
        inputs = kerasx.Input((5,), name=f"{name}_in")
        x = inputs
        for i, (width, layer_name) in enumerate(layers):
            last = i == len(layers) - 1
            layer = kerasx.layers.Dense(width, activation=None if last else "relu",
                                        name=layer_name)
            x = layer(x)
            layer.set_weights([arrays[f"{name}_{layer_name}_kernel"],
                               arrays[f"{name}_{layer_name}_bias"]])
        return kerasx.Model(inputs, x, name=name)

    return (build("teacher", [(6, "hidden"), (10, "wide"), (4, "logits")]),
            build("student", [(6, "hidden"), (4, "logits")]))


def small_problem(seed=0, n=96):
    """Four classes of 5-feature points separated by a fixed linear map."""
    rng = np.random.default_rng(seed)
    x = rng.normal(0, 1, (n, 5)).astype(np.float32)
    w = rng.normal(0, 1, (5, 4)).astype(np.float32)
    y = np.argmax(x @ w, axis=1).astype(np.int32)
    return x, y


def functional(name, widths, seed=None, dtype=None):
    """A functional model 5 -> widths..., relu between, last layer linear; layer i is
    named `dense_<i>`."""
    inputs = kerasx.Input((5,), dtype=dtype)
    x = inputs
    for i, width in enumerate(widths):
        x = kerasx.layers.Dense(width, activation=None if i == len(widths) - 1 else "relu",
                                name=f"dense_{i}", dtype=dtype)(x)
    return kerasx.Model(inputs, x, name=name)
