"""Golden gradients of layers drawn by `fuzz_layer_grads_recipe`, taken by JAX.

Each case is `fuzz_layer_grads_recipe.draw_case(seed)`: one layer (convolutions of every
kind with their padding, strides, dilation, groups and data formats, pooling with ties,
reshaping, merging, normalization in training and inference, activation layers, Embedding,
Dense, EinsumDense) or a chain that kerasx fuses (convolution, batch normalization,
activation and pooling), in a functional or Sequential model. Keras's results from the
stored weights `w0_<i>`: the output `y` of `model.stateless_call(..., training=)` and, by
`jax.grad`, `dx<i>` for every float input and `dw<i>` for every trainable weight (in
`model.trainable_weights` order) of `sum(y * proj)`; `nt<i>`, the non-trainable weights
after the call.

Run from this folder::

    KERAS_BACKEND=jax JAX_PLATFORMS=cpu /work/kvenv/bin/python family_fuzz_layer_grads.py
"""

import jax
import keras
import numpy as np
from fuzz_layer_grads_recipe import (build_model, case_inputs, draw_case, draw_projection,
                                     draw_weights, float_input_indices)
from make_golden import Golden

# A slice of the cases compared with kerasx, (seed, group) for `draw_case(seed, group)`
# (None: the seed draws the group too), chosen to cover every layer and argument drawn.
CASES = ((7, None), (13, None), (41, None), (44, None), (71, None), (88, None),
         (109, None), (131, None), (132, None), (142, None), (145, None), (148, None),
         (155, None), (156, None), (189, None), (200, None), (201, None), (208, None),
         (221, None), (224, None), (240, None), (249, None), (250, None), (255, None),
         (256, None), (269, None), (279, None), (281, None), (310, None), (312, None),
         (313, None), (314, None), (315, None), (317, None), (320, None), (322, None),
         (323, None), (325, None), (331, None), (341, None), (347, None), (349, None),
         (358, None), (359, None), (360, None), (365, None), (366, None),
         (375, None), (377, None), (381, None), (385, None), (387, None), (388, None),
         (389, None), (392, None), (393, None), (395, None), (402, None), (406, None),
         (411, None), (413, None), (416, None), (429, None), (430, None), (431, None),
         (433, None), (437, None), (444, None), (450, None), (460, None), (461, None),
         (462, None), (466, None), (468, None), (472, None), (474, None), (475, None),
         (477, None), (10006, 'conv'), (10008, 'conv'), (10020, 'conv'), (10027, 'conv'),
         (10034, 'conv'), (10048, 'conv'), (10051, 'conv'), (10053, 'conv'),
         (10058, 'conv'), (10068, 'conv'), (10070, 'conv'), (10071, 'conv'),
         (20020, 'merge'), (20069, 'act'), (20141, 'reshape'), (20249, 'merge'),
         (20622, 'act'))


def keras_gradients(case):
    """(arrays, meta) of Keras's results for `case`."""
    keras.backend.clear_session()
    model = build_model(keras, case)
    w0 = draw_weights(case, [(w.path, tuple(w.shape)) for w in model.weights])
    model.set_weights(w0)
    xs = case_inputs(case)
    diff = float_input_indices(case)
    trainable = [v.value for v in model.trainable_variables]
    non_trainable = [v.value for v in model.non_trainable_variables]
    y, _ = model.stateless_call(trainable, non_trainable, xs if len(xs) > 1 else xs[0],
                                training=case["training"])
    proj = draw_projection(case, tuple(y.shape))

    def loss(float_xs, trainable):
        full = list(xs)
        for i, x in zip(diff, float_xs):
            full[i] = x
        out, nt = model.stateless_call(trainable, non_trainable,
                                       full if len(full) > 1 else full[0],
                                       training=case["training"])
        return jax.numpy.sum(out * proj), nt

    (dxs, dws), nt = jax.grad(loss, argnums=(0, 1), has_aux=True)(
        [xs[i] for i in diff], trainable)
    arrays = {f"x{i}": x for i, x in enumerate(xs)}
    arrays.update({f"w0_{i}": w for i, w in enumerate(w0)})
    arrays.update({"y": np.asarray(y), "proj": proj})
    arrays.update({f"dx{i}": np.asarray(d) for i, d in zip(diff, dxs)})
    arrays.update({f"dw{i}": np.asarray(d) for i, d in enumerate(dws)})
    arrays.update({f"nt{i}": np.asarray(v) for i, v in enumerate(nt)})
    meta = {"n_weights": len(w0), "n_trainable": len(dws), "n_non_trainable": len(nt),
            "weight_paths": [w.path for w in model.weights]}
    return arrays, meta


def make_fuzz_layer_grads():
    g = Golden(
        "fuzz_layer_grads",
        seed=CASES[0][0],
        description=(
            "config: fuzz_layer_grads_recipe.draw_case(seed); x<i>: the inputs; w0_<i>: the "
            "weights set; y: the output with training=config['training']; dx<i> / dw<i>: "
            "JAX gradients of sum(y * proj) for float input i / trainable weight i; nt<i>: "
            "the non-trainable weights after the call."
        ),
    )
    for seed, group in CASES:
        case = draw_case(seed, group)
        arrays, meta = keras_gradients(case)
        g.add(f"{case['group']}_{seed}", "run", "keras.Model", case, arrays, **meta)
    g.write()


if __name__ == "__main__":
    make_fuzz_layer_grads()
