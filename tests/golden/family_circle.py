"""Golden values of Keras 3's Circle loss (`keras.losses.circle` / `keras.losses.Circle`).

Run from this folder::

    KERAS_BACKEND=jax JAX_PLATFORMS=cpu /work/kvenv/bin/python family_circle.py
"""

import numpy as np

import keras
from make_golden import Golden, f32, to_np


def _unit_rows(rng, n, dim):
    e = rng.normal(0, 1, (n, dim))
    return f32(e / np.linalg.norm(e, axis=1, keepdims=True))


def make_circle():
    g = Golden(
        "circle",
        seed=47,
        description=(
            "kind 'fn': values = keras.losses.circle(y_true, y_pred, **config) (with "
            "ref_labels / ref_embeddings when present), grad = d sum(values) / d y_pred "
            "(jax.grad) and ref_grad = d sum(values) / d ref_embeddings.  kind 'loss_class': "
            "for each r in 'reductions', loss__<r> = keras.losses.Circle(reduction=r, "
            "**config)(y_true, y_pred) and loss__<r>__sw the same with sample_weight."
        ),
    )
    import jax
    import jax.numpy as jnp

    rng = np.random.default_rng(47)

    def fn_case(name, y_true, y_pred, ref_labels=None, ref_embeddings=None, **config):
        extra = {}
        if ref_labels is not None:
            extra = {"ref_labels": ref_labels, "ref_embeddings": ref_embeddings}

        def total(z, refs):
            kwargs = dict(config)
            if ref_labels is not None:
                kwargs.update(ref_labels=ref_labels, ref_embeddings=refs)
            return jnp.sum(keras.losses.circle(y_true, z, **kwargs))

        refs = ref_embeddings if ref_embeddings is not None else y_pred
        values = keras.losses.circle(y_true, y_pred, **config, **extra)
        grad, ref_grad = jax.grad(total, argnums=(0, 1))(jnp.asarray(y_pred), jnp.asarray(refs))
        arrays = {"y_true": y_true, "y_pred": y_pred, "values": to_np(values),
                  "grad": to_np(grad), **extra}
        if ref_labels is not None:
            arrays["ref_grad"] = to_np(ref_grad)
        g.add(name, "circle", "keras.losses", config, arrays, kind="fn")

    labels = np.array([0, 0, 1, 1, 2, 3], np.int32)
    fn_case("defaults", labels, _unit_rows(rng, 6, 4))
    fn_case("small_gamma_keep_diagonal", np.array([[1], [0], [1], [2], [0], [1], [2], [2]],
                                                  np.int32),
            _unit_rows(rng, 8, 5), gamma=2.0, margin=0.25, remove_diagonal=False)
    fn_case("moderate_gamma", np.array([3, 1, 3, 1, 1, 0, 3], np.int32), _unit_rows(rng, 7, 3),
            gamma=16.0, margin=0.3)
    fn_case("references", np.array([0, 1, 2, 1, 0, 4], np.int32), _unit_rows(rng, 6, 4),
            ref_labels=np.array([1, 0, 2, 2, 1], np.int32),
            ref_embeddings=_unit_rows(rng, 5, 4), gamma=8.0, margin=0.35)
    fn_case("one_class", np.array([2, 2, 2, 2], np.int32), _unit_rows(rng, 4, 3), gamma=4.0)

    reductions = ["sum_over_batch_size", "sum", "mean", "mean_with_sample_weight", "none"]
    y_true = np.array([0, 1, 0, 2, 1, 3, 2, 0], np.int32)
    y_pred = _unit_rows(rng, 8, 4)
    weight = f32([0.5, 2.0, 1.0, 0.0, 1.5, 1.0, 0.25, 3.0])
    config = {"gamma": 10.0, "margin": 0.3}
    arrays = {"y_true": y_true, "y_pred": y_pred, "sample_weight": weight}
    for red in reductions:
        loss = keras.losses.Circle(reduction=red, **config)
        arrays[f"loss__{red}"] = to_np(loss(y_true, y_pred))
        arrays[f"loss__{red}__sw"] = to_np(loss(y_true, y_pred, sample_weight=weight))
    loss = keras.losses.Circle()
    g.add("Circle", "Circle", "keras.losses", config, arrays, kind="loss_class",
          reductions=reductions, default_name=loss.name, keras_config=loss.get_config(),
          serialized=keras.losses.serialize(loss),
          get_circle=keras.losses.get("circle").__name__,
          float_labels_sum=float(to_np(keras.losses.Circle(reduction="sum", **config)(
              y_true.astype("float32"), y_pred))))
    g.write()


if __name__ == "__main__":
    make_circle()
