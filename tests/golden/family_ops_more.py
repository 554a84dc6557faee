"""Golden values of Keras 3's control-flow, segment and remaining `keras.ops.nn` ops.

A case calls ``keras.ops.<class>(*args, **config)`` on the arrays ``arg0``,
``arg1``... (for control flow, the step function named by ``fn``, whose definition
the test repeats) and stores the result as ``out`` (``out0``, ``out1``... for
several). Where the op is differentiable, ``grad<i>`` is the JAX gradient of
``sum(out * proj)`` with respect to ``arg<i>`` for each index in ``wrt``.

Run from this folder::

    KERAS_BACKEND=jax JAX_PLATFORMS=cpu /work/kvenv/bin/python family_ops_more.py
"""

import numpy as np

import keras
from make_golden import Golden, f32, to_np

# Step functions of the control-flow cases; the test defines the same ones.
STEP_FUNCTIONS = {
    "rnn": lambda h, x: (keras.ops.tanh(h * 0.5 + x), keras.ops.tanh(h * 0.5 + x) * 2.0),
    "add": lambda a, b: a + b,
    "sumsq": lambda r: keras.ops.sum(r * r) * r,
}


def make_ops_more():
    g = Golden(
        "ops_more",
        seed=61,
        description=(
            "out = keras.ops.<class>(*arg<i>, **config) (control flow: the first argument is "
            "the step function named by 'fn'); grad<i> = d sum(out * proj) / d arg<i> "
            "(jax.grad) for i in 'wrt'; several outputs are out0, out1... (no gradients)."
        ),
    )
    import jax
    import jax.numpy as jnp

    rng = np.random.default_rng(61)

    def case(name, op, args, wrt=(), fn=None, **config):
        call = getattr(keras.ops, op)
        step = STEP_FUNCTIONS[fn] if fn else None

        def run(*values):
            return call(step, *values, **config) if step else call(*values, **config)

        out = run(*args)
        arrays = {f"arg{i}": a for i, a in enumerate(args)}
        if isinstance(out, (list, tuple)):
            arrays.update({f"out{i}": to_np(o) for i, o in enumerate(out)})
        else:
            arrays["out"] = to_np(out)
        if wrt:
            proj = f32(rng.standard_normal(np.shape(to_np(out))))
            arrays["proj"] = proj

            def total(*floats):
                values = list(args)
                for i, v in zip(wrt, floats):
                    values[i] = v
                return jnp.sum(run(*values) * proj)

            grads = jax.grad(total, argnums=tuple(range(len(wrt))))(
                *[jnp.asarray(args[i]) for i in wrt])
            arrays.update({f"grad{i}": to_np(gr) for i, gr in zip(wrt, grads)})
        g.add(name, op, "keras.ops", config, arrays, wrt=list(wrt), fn=fn)

    q = f32(rng.standard_normal((2, 3, 4, 5)))
    k = f32(rng.standard_normal((2, 6, 4, 5)))
    v = f32(rng.standard_normal((2, 6, 4, 5)))
    bias = f32(rng.standard_normal((1, 4, 3, 6)))
    mask = rng.random((2, 1, 3, 6)) > 0.3
    case("attention", "dot_product_attention", [q, k, v], wrt=(0, 1, 2))
    case("attention_bias_mask", "dot_product_attention", [q, k, v, bias, mask], wrt=(0, 1, 3),
         scale=0.3)
    case("attention_causal", "dot_product_attention", [q, k, v], wrt=(0, 2), is_causal=True)
    case("attention_grouped", "dot_product_attention", [q, k[:, :, :2], v[:, :, :2]],
         wrt=(0, 1, 2))

    image = f32(rng.standard_normal((2, 4, 6, 8)))
    case("depth_to_space", "depth_to_space", [image], wrt=(0,), block_size=2)
    case("depth_to_space_channels_first", "depth_to_space", [image], wrt=(0,), block_size=2,
         data_format="channels_first")
    case("space_to_depth", "space_to_depth", [image], wrt=(0,), block_size=2)
    case("space_to_depth_channels_first", "space_to_depth", [image[:, :3, :, :6]], wrt=(0,),
         block_size=3, data_format="channels_first")
    case("psnr", "psnr", [image, f32(image * 0.8 + 0.1)], wrt=(0, 1), max_val=2.0)
    case("polar", "polar", [f32(rng.uniform(0.5, 2, (2, 3))), f32(rng.uniform(-3, 3, (2, 3)))])
    case("multi_hot", "multi_hot", [np.array([[0, 4], [1, 1]], np.int32)], num_classes=5)
    case("multi_hot_rank3", "multi_hot", [np.array([[[0, 4], [1, 1]], [[2, 2], [3, 0]]])],
         num_classes=5)

    labels = f32(rng.random((4, 5)) > 0.5)
    probs = f32(rng.uniform(0.05, 1.0, (4, 5)))
    logits = f32(rng.standard_normal((4, 5)) * 3)
    one_hot = f32(np.eye(5)[[0, 3, 1, 4]])
    ids = np.array([0, 3, 1, 4], np.int32)
    case("binary_crossentropy", "binary_crossentropy", [labels, probs], wrt=(1,))
    case("binary_crossentropy_logits", "binary_crossentropy", [labels, logits], wrt=(1,),
         from_logits=True)
    case("categorical_crossentropy", "categorical_crossentropy", [one_hot, probs], wrt=(1,))
    case("categorical_crossentropy_logits_axis0", "categorical_crossentropy",
         [one_hot.T, logits.T], wrt=(1,), from_logits=True, axis=0)
    case("sparse_categorical_crossentropy", "sparse_categorical_crossentropy", [ids, probs],
         wrt=(1,))
    case("sparse_categorical_crossentropy_logits", "sparse_categorical_crossentropy",
         [ids[:, None], logits], wrt=(1,), from_logits=True)

    signal = f32(rng.standard_normal((2, 11)))
    case("extract_sequences", "extract_sequences", [signal], wrt=(0,), sequence_length=4,
         sequence_stride=3)
    planar = f32(rng.standard_normal((2, 3, 5, 6)))
    case("unfold", "unfold", [planar], wrt=(0,), kernel_size=(2, 3), dilation=(2, 1),
         padding=1, stride=(1, 2))
    case("fold", "fold", [f32(rng.standard_normal((2, 12, 12)))], wrt=(0,), output_size=(5, 6),
         kernel_size=(2, 3), padding=(1, 0), stride=(2, 1))

    data = f32(rng.permutation(np.arange(24.0)).reshape(8, 3) * 0.37 - 4.0)
    segments = np.array([2, 0, 2, -1, 1, 2, 0, 3], np.int32)
    for op in ("segment_sum", "segment_max", "segment_min", "segment_prod"):
        # JAX has no gradient of a product scatter with repeated indices
        case(op, op, [data, segments], wrt=() if op == "segment_prod" else (0,), num_segments=4)
    case("scatter", "scatter", [np.array([[0, 1], [2, 0], [0, 1]], np.int32),
                                f32(rng.standard_normal((3, 4)))], wrt=(1,), shape=(3, 2, 4))

    case("scan_rnn", "scan", [f32(rng.standard_normal(3)), f32(rng.standard_normal((5, 3)))],
         fn="rnn")
    case("scan_rnn_reverse", "scan", [f32(rng.standard_normal(3)),
                                      f32(rng.standard_normal((5, 3)))], fn="rnn", reverse=True)
    case("associative_scan", "associative_scan", [f32(rng.standard_normal((2, 7, 3)))],
         fn="add", axis=1)
    case("associative_scan_reverse", "associative_scan", [f32(rng.standard_normal((6, 2)))],
         fn="add", reverse=True)
    case("map", "map", [f32(rng.standard_normal((4, 3)))], fn="sumsq")
    g.write()


if __name__ == "__main__":
    make_ops_more()
