"""`remat` and `RematScope` recompute in the backward pass: the same values and
gradients bit for bit, fewer arrays kept by the tape, state updated once."""

import math
import types

import numpy as np
import pytest

import kerasx as keras
from kerasx import layers, ops
from kerasx.autodiff.tape import Node
from kerasx.autodiff.tensor import Tensor
from kerasx.autodiff.variable import Variable
from kerasx.backends import current
from kerasx.backends import random as backend_random
from kerasx.layers.layer import Layer
from tests.conftest import to_numpy

X = np.random.default_rng(0).normal(size=(8, 6)).astype(np.float32)


def _is_rematerialized(tensor):
    vjp = getattr(tensor.node, "vjp", None)
    return vjp is not None and vjp.__qualname__.startswith("_Recompute.")


def _run(block, weights, x=X, loss=lambda y: ops.sum(y * y)):
    """`(output, [gradients of the weights and of x])` of `loss(block(x))`."""
    xt = ops.convert_to_tensor(x)
    with keras.GradientTape() as tape:
        tape.watch(xt)
        y = block(xt)
        value = loss(y)
    grads = tape.gradient(value, list(weights) + [xt])
    return to_numpy(y), [to_numpy(g) for g in grads]


def _assert_same(a, b):
    np.testing.assert_array_equal(a[0], b[0])
    assert len(a[1]) == len(b[1])
    for ga, gb in zip(a[1], b[1]):
        np.testing.assert_array_equal(ga, gb)


def _dropout_stack(seed=None):
    keras.utils.set_random_seed(11)
    d1 = layers.Dense(16, activation="relu")
    drop = layers.Dropout(0.4, seed=seed)
    d2 = layers.Dense(5, activation="tanh")

    def block(h):
        return d2(drop(d1(h), training=True))

    block(ops.convert_to_tensor(X))  # built outside the comparison
    return block, d1.weights + d2.weights, drop


@pytest.mark.parametrize("seed", [None, 7])
def test_remat_matches_the_plain_call_with_dropout_in_training(seed):
    block, weights, _ = _dropout_stack(seed)
    keras.utils.set_random_seed(5)
    plain = _run(block, weights)
    plain_next = to_numpy(block(ops.convert_to_tensor(X)))
    state_plain = backend_random.get_state()

    block, weights, _ = _dropout_stack(seed)
    keras.utils.set_random_seed(5)
    rematerialized = _run(keras.remat(block), weights)
    # the recomputation drew the same masks without moving the generator or the
    # layer's seed counter on: the next call draws what it draws without remat
    again = to_numpy(block(ops.convert_to_tensor(X)))
    assert backend_random.get_state() == state_plain
    _assert_same(plain, rematerialized)
    np.testing.assert_array_equal(plain_next, again)
    assert not np.array_equal(plain[0], plain_next)  # each call draws a new mask


def test_the_tape_keeps_one_node_and_recomputes_it():
    block, weights, _ = _dropout_stack()
    xt = ops.convert_to_tensor(X)
    with keras.GradientTape() as tape:
        tape.watch(xt)
        y = keras.remat(block)(xt)
    assert _is_rematerialized(y)
    assert y.node.parents == (xt,)  # the weights are found when it is recomputed
    calls = []
    original = block

    def counted(h):
        calls.append(1)
        return original(h)

    with keras.GradientTape() as tape:
        tape.watch(xt)
        y = keras.remat(counted)(xt)
        assert len(calls) == 1
        loss = ops.sum(y)
    grads = tape.gradient(loss, weights)
    assert len(calls) == 2 and all(g is not None for g in grads)
    assert not _is_rematerialized(keras.remat(block)(xt))  # no tape: the plain call


def _kept_arrays(tensor):
    """The distinct backend arrays that the tape behind `tensor` keeps for its
    backward pass (reached from its nodes' VJP rules; weights excluded)."""
    backend = current()
    arrays, seen, stack = {}, set(), [tensor.node]
    while stack:
        obj = stack.pop()
        if obj is None or id(obj) in seen or isinstance(
                obj, (Variable, Layer, type, types.ModuleType, str, bytes, int, float)):
            continue
        seen.add(id(obj))
        if backend.is_native(obj):
            arrays[id(obj)] = obj
        elif isinstance(obj, Node):
            stack.append(obj.vjp)
            stack.extend(p.node for p in obj.parents if p is not None)
        elif isinstance(obj, Tensor):
            stack.extend((obj.value, obj.logits))
        elif isinstance(obj, types.FunctionType):
            stack.extend(c.cell_contents for c in obj.__closure__ or ())
            stack.extend(obj.__defaults__ or ())
        elif isinstance(obj, types.MethodType):
            stack.extend((obj.__self__, obj.__func__))
        elif isinstance(obj, (list, tuple, set, frozenset)):
            stack.extend(obj)
        elif isinstance(obj, dict):
            stack.extend(obj.values())
        else:
            stack.extend(getattr(obj, "__dict__", {}).values())
            for slot in getattr(type(obj), "__slots__", ()):
                stack.append(getattr(obj, slot, None))
    return list(arrays.values())


def test_the_tape_keeps_fewer_arrays():
    keras.utils.set_random_seed(3)
    width, depth = 64, 6
    stack = [layers.Dense(width, activation="relu") for _ in range(depth)]
    stack.insert(3, layers.Dropout(0.2))

    def block(h):
        for layer in stack:
            h = layer(h, training=True)
        return h

    x = np.random.default_rng(1).normal(size=(32, width)).astype(np.float32)
    xt = ops.convert_to_tensor(x)
    block(xt)
    kept = {}
    for name, fn in (("plain", block), ("remat", keras.remat(block))):
        with keras.GradientTape():
            xt = ops.convert_to_tensor(x)
            y = fn(xt)
        kept[name] = _kept_arrays(y)
    activation = 32 * width
    # without remat every layer keeps activations (and its kernel's value); with it,
    # the tape keeps only the block's input
    assert sum(math.prod(a.shape) for a in kept["plain"]) >= depth * activation
    assert len(kept["remat"]) == 1 and kept["remat"][0] is xt.value


def test_batch_normalization_updates_its_moving_statistics_once():
    def make():
        keras.utils.set_random_seed(2)
        dense, bn = layers.Dense(6), layers.BatchNormalization(momentum=0.5)
        out = layers.Dense(3)

        def block(h):
            return out(bn(dense(h), training=True))

        block(ops.convert_to_tensor(X))
        return block, dense.weights + bn.trainable_weights + out.weights, bn

    block, weights, bn = make()
    plain = _run(block, weights)
    moving = [to_numpy(v) for v in bn.non_trainable_weights]
    block, weights, bn = make()
    rematerialized = _run(keras.remat(block), weights)
    _assert_same(plain, rematerialized)
    for v, expected in zip(bn.non_trainable_weights, moving):
        np.testing.assert_array_equal(to_numpy(v), expected)


def test_rematerialized_softmax_keeps_the_fused_cross_entropy():
    keras.utils.set_random_seed(4)
    dense = layers.Dense(4, activation="softmax")
    labels = ops.convert_to_tensor(np.eye(4, dtype=np.float32)[np.arange(8) % 4])

    def loss(y):
        assert y.logits is not None and y.logits[0] == "softmax"
        return ops.sum(keras.losses.categorical_crossentropy(labels, y))

    dense(ops.convert_to_tensor(X))
    rematerialized = _run(keras.remat(dense), dense.weights, loss=loss)
    plain = _run(dense, dense.weights, loss=loss)
    _assert_same(plain, rematerialized)


def test_activity_losses_inside_a_rematerialized_block_keep_their_gradients():
    def make():
        keras.utils.set_random_seed(6)
        inner = layers.Dense(5, activity_regularizer="l2")
        out = layers.Dense(2)

        def block(h):
            return out(inner(h))

        block(ops.convert_to_tensor(X))
        return block, inner, inner.weights + out.weights

    results = []
    for wrap in (lambda f: f, keras.remat):
        block, inner, weights = make()
        fn = wrap(block)
        results.append(_run(fn, weights, loss=lambda y: ops.sum(y) + inner.losses[0]))
        assert len(inner.losses) == 1
    _assert_same(*results)


def test_a_persistent_tape_recomputes_at_every_gradient():
    block, weights, _ = _dropout_stack()
    xt = ops.convert_to_tensor(X)
    with keras.GradientTape(persistent=True) as tape:
        y = keras.remat(block)(xt)
        loss = ops.sum(y * y)
    first = tape.gradient(loss, weights)
    second = tape.gradient(loss, weights)
    for a, b in zip(first, second):
        np.testing.assert_array_equal(to_numpy(a), to_numpy(b))


def test_a_tensor_read_from_a_closure_is_an_error():
    w = Variable(np.ones((6, 3), np.float32))
    with keras.GradientTape() as tape:
        hidden = ops.matmul(ops.convert_to_tensor(X), w)
        y = keras.remat(lambda h: h * hidden)(ops.ones((8, 3)))
        loss = ops.sum(y)
    with pytest.raises(RuntimeError, match="not passed to it as an argument"):
        tape.gradient(loss, [w])


# ---- RematScope ----

def _rematerialized_layers(model, x=X):
    """The names of the layers whose outputs the tape records as recomputed calls."""
    found, h = [], x
    for layer in model.layers:
        with keras.GradientTape():
            out = layer(ops.convert_to_tensor(h))
        h = to_numpy(out)
        if _is_rematerialized(out):
            found.append(layer.name)
    return found


@pytest.mark.parametrize("mode, kwargs, expected", [
    ("full", {}, ["a", "b", "c"]),
    ("list_of_layers", {"layer_names": ["b"]}, ["b"]),
    ("larger_than", {"output_size_threshold": 8 * 200 - 1}, ["b"]),
    (None, {}, []),
])
def test_remat_scope_selects_layers_by_mode(mode, kwargs, expected):
    with keras.RematScope(mode=mode, **kwargs):
        model = keras.Sequential([layers.Dense(4, name="a"), layers.Dense(200, name="b"),
                                  layers.Dense(3, name="c")])
    model.build((None, 6))
    assert _rematerialized_layers(model) == expected


def test_remat_scope_applies_to_layers_created_inside_it():
    with keras.RematScope(mode="full"):
        inside = layers.Dense(3)
    outside = layers.Dense(3)
    with keras.RematScope(mode="full"):
        with keras.GradientTape():
            a, b = inside(ops.convert_to_tensor(X)), outside(ops.convert_to_tensor(X))
    assert _is_rematerialized(a) and not _is_rematerialized(b)
    assert inside._remat_mode.mode == "full" and outside._remat_mode is None


def test_activations_mode_rematerializes_the_activation_only():
    with keras.RematScope(mode="activations"):
        dense = layers.Dense(3, activation="sigmoid")
        plain = layers.Flatten()
    x = ops.convert_to_tensor(X)
    with keras.GradientTape():
        y, z = dense(x), plain(x)
    assert _is_rematerialized(y) and not _is_rematerialized(y.node.parents[0])
    assert not _is_rematerialized(z)


@pytest.mark.parametrize("mode", ["full", "activations"])
def test_fit_in_a_remat_scope_gives_the_results_without_it(mode):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(48, 6)).astype(np.float32)
    y = rng.integers(0, 3, size=48)

    def fit(remat_mode, jit_compile=False):
        keras.utils.set_random_seed(9)
        with keras.RematScope(mode=remat_mode):
            model = keras.Sequential([
                layers.Input((6,)), layers.Dense(16, activation="relu"),
                layers.BatchNormalization(), layers.Dropout(0.3),
                layers.Dense(8, activation="tanh"), layers.Dense(3, activation="softmax")])
        model.compile(optimizer="adam", loss="sparse_categorical_crossentropy",
                      jit_compile=jit_compile)
        history = model.fit(x, y, batch_size=16, epochs=2, verbose=0)
        # a recorded step keeps the call's masks for the recomputation: it replays
        reasons = getattr(model, "_compiled_train_step", None)
        assert reasons is None or reasons.reasons == {}
        return history.history["loss"], [to_numpy(v) for v in model.weights]

    plain = fit(None)
    for jit_compile in (False, "auto", True):
        losses, weights = fit(mode, jit_compile)
        assert losses == plain[0]
        for a, b in zip(weights, plain[1]):
            np.testing.assert_array_equal(a, b)


def test_a_model_does_not_fuse_rematerialized_layers():
    # a model runs a convolution and its pooling as one fused op, which would skip the
    # layers' calls: layers made in a RematScope run (and recompute) on their own
    x = np.random.default_rng(2).normal(size=(4, 8, 8, 3)).astype(np.float32)

    def build():
        keras.utils.set_random_seed(3)
        return keras.Sequential([keras.Input((8, 8, 3)),
                                 layers.Conv2D(4, 3, activation="relu", name="conv"),
                                 layers.MaxPooling2D(2), layers.Flatten(), layers.Dense(2)])

    plain = build()
    with keras.RematScope(mode="list_of_layers", layer_names=["conv"]):
        rematerialized = build()
    conv = rematerialized.layers[0]
    calls = []
    original = type(conv).call

    def counting(self, *args, **kwargs):
        calls.append(self.name)
        return original(self, *args, **kwargs)

    type(conv).call = counting
    fusion = keras.config.layer_fusion()
    keras.config.set_layer_fusion(False)  # the plain model's layers one by one
    try:
        a = _run(plain, plain.trainable_weights, x)
    finally:
        keras.config.set_layer_fusion(fusion)
    try:
        calls.clear()
        b = _run(rematerialized, rematerialized.trainable_weights, x)
    finally:
        type(conv).call = original
    assert calls.count(conv.name) == 2  # the forward and the recomputation
    _assert_same(a, b)


def test_a_seed_generator_counts_a_rematerialized_draw_once():
    """The recomputation draws the call's numbers again without moving the
    generator's counter on: the next draw is the one a plain call would give."""
    generators = [keras.random.SeedGenerator(3), keras.random.SeedGenerator(3)]
    x = Variable(np.ones(3, "float32"))
    for generator, wrap in zip(generators, (keras.remat, lambda f: f)):
        with keras.GradientTape() as tape:
            y = ops.sum(wrap(lambda v: v * keras.random.uniform((3,), seed=generator))(x))
        tape.gradient(y, [x])
    assert generators[0].draws == generators[1].draws == 1
    np.testing.assert_array_equal(to_numpy(keras.random.uniform((3,), seed=generators[0])),
                                  to_numpy(keras.random.uniform((3,), seed=generators[1])))
