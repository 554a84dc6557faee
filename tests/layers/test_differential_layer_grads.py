"""Layer gradients compared with JAX's autodiff of Keras 3.15.1's layers.

`test_golden_case` replays the `fuzz_layer_grads` golden family: one layer (convolutions of
every kind, pooling with tied maxima, reshaping, merging, normalization in training and
inference, activation layers, Embedding, Dense, EinsumDense) or a chain that models run as
one op (convolution, batch normalization, activation and pooling), drawn by
tests/golden/fuzz_layer_grads_recipe.py, in a functional or Sequential model from the stored
weights. kerasx must give Keras's output, the gradients of `sum(y * proj)` with respect to
every float input and trainable weight, and the non-trainable weights after the call: with
the inputs watched by a `GradientTape`, with only the weights differentiated (the inputs of
two or more axes and the output gradient as Fortran-ordered NumPy arrays), without a tape
for inference, and through
`train_on_batch` with `SGD(1.0)`, whose step then takes each weight from `w0` to `w0 - dw`.
"""

import numpy as np
import pytest

import kerasx as keras
from kerasx import ops
from tests.golden.fuzz_layer_grads_recipe import build_model, float_input_indices
from tests.golden.loader import case_ids, load_cases

GOLDEN = load_cases("fuzz_layer_grads")
# Keras's warnings, given by kerasx too: LayerNormalization(rms_scaling=True) is deprecated,
# a softmax over an axis of size 1 is constant
pytestmark = [pytest.mark.filterwarnings("ignore:You passed `rms_scaling=True`"),
              pytest.mark.filterwarnings("ignore:You are using a softmax over axis")]


def _inputs(case):
    a, config = case["arrays"], case["config"]
    return [a[f"x{i}"] for i in range(len(config["inputs"]) + int(config["mask"]))]


def _model(case):
    keras.backend.clear_session()
    model = build_model(keras, case["config"])
    model.set_weights([case["arrays"][f"w0_{i}"] for i in range(case["n_weights"])])
    return model


def _numpy(x):
    return np.asarray(ops.convert_to_numpy(x))


def _assert_close(got, want, name, atol=1e-5):
    # float32 sums of many products (Winograd's transforms most) round at the scale of
    # the largest entry
    assert got is not None, f"{name}: no gradient"
    scale = max(1.0, float(np.abs(want).max(initial=0.0)))
    np.testing.assert_allclose(_numpy(got), want, rtol=1e-4, atol=atol * scale, err_msg=name)


def _gradients(case, watch_inputs):
    config, a = case["config"], case["arrays"]
    model = _model(case)
    xs = _inputs(case)
    diff = float_input_indices(config) if watch_inputs else []
    proj = a["proj"]
    if watch_inputs:
        xs = [ops.convert_to_tensor(x) for x in xs]
    else:  # the arrays the trainer hands over, and an output gradient, non-contiguous
        xs = [np.asfortranarray(x) if x.ndim > 1 else x for x in xs]
        proj = np.asfortranarray(proj)
    with keras.GradientTape() as tape:
        tape.watch([xs[i] for i in diff])
        y = model(xs if len(xs) > 1 else xs[0], training=config["training"])
        loss = ops.sum(ops.multiply(y, proj))
    grads = tape.gradient(loss, [xs[i] for i in diff] + list(model.trainable_weights))
    return model, y, dict(zip([f"dx{i}" for i in diff], grads)), grads[len(diff):]


@pytest.mark.parametrize("case", GOLDEN, ids=case_ids(GOLDEN))
@pytest.mark.parametrize("watch_inputs", [True, False], ids=["inputs", "weights"])
def test_golden_case(case, watch_inputs):
    a = case["arrays"]
    model, y, dxs, dws = _gradients(case, watch_inputs)
    assert [w.path for w in model.weights] == case["weight_paths"]
    _assert_close(y, a["y"], "y")
    for name, got in dxs.items():
        _assert_close(got, a[name], name)
    assert len(dws) == case["n_trainable"]
    for j, got in enumerate(dws):
        _assert_close(got, a[f"dw{j}"], f"dw{j}")
    for j, v in enumerate(model.non_trainable_weights):
        _assert_close(v, a[f"nt{j}"], f"nt{j}")
    if not watch_inputs and not case["config"]["training"]:
        # without a tape (a batch normalization folded into the convolution before it)
        model.set_weights([a[f"w0_{i}"] for i in range(case["n_weights"])])
        xs = _inputs(case)
        _assert_close(model(xs if len(xs) > 1 else xs[0], training=False), a["y"], "y")


TRAINED = [c for c in GOLDEN if c["config"]["training"] or not any(
    spec["class_name"] == "BatchNormalization" for spec in c["config"]["layers"])]


@pytest.mark.parametrize("case", TRAINED, ids=case_ids(TRAINED))
def test_sgd_step_moves_each_weight_by_its_gradient(case):
    # train_on_batch trains (BatchNormalization with batch statistics); the loss
    # sum(y_true * y_pred) is the golden one with y_true = proj. Three steps from w0: the
    # eager step, the one recorded and the one checked against a replay.
    a = case["arrays"]
    model = _model(case)
    model.compile(optimizer=keras.optimizers.SGD(1.0),
                  loss=lambda y_true, y_pred: ops.sum(ops.multiply(y_true, y_pred)))
    xs = _inputs(case)
    w0 = [a[f"w0_{i}"] for i in range(case["n_weights"])]
    trainable = [i for i, w in enumerate(model.weights) if w.trainable]
    for _ in range(3):
        model.set_weights(w0)
        model.train_on_batch(xs if len(xs) > 1 else xs[0], a["proj"])
        for j, i in enumerate(trainable):
            _assert_close(w0[i] - _numpy(model.weights[i]), a[f"dw{j}"], f"dw{j}", 2e-5)
