"""Merge layers: forward against NumPy, gradients against finite differences, shape
inference and errors at graph-construction time, configs."""

import numpy as np
import pytest

import kerasx
from kerasx import layers
from kerasx.testing import OpCase, check_op_case

rng = np.random.default_rng(3)
A = rng.standard_normal((2, 3))
B = rng.standard_normal((2, 3))
C = rng.standard_normal((2, 3))
COL = rng.standard_normal((2, 1))
SEQ = rng.standard_normal((2, 4, 3))
T1 = rng.standard_normal((2, 2, 3))
T2 = rng.standard_normal((2, 2, 4))
M34 = rng.standard_normal((2, 3, 4))
V4 = rng.standard_normal((2, 4))


def _l2n(x, axis):
    return x / np.sqrt(np.maximum((x * x).sum(axis=axis, keepdims=True), 1e-12))


def _first_winner(values, pick):
    stacked = np.stack(np.broadcast_arrays(*values))
    return pick(stacked, axis=0)


CASES = [
    OpCase("add3", lambda a, b, c: layers.Add()([a, b, c]), lambda a, b, c: a + b + c, [A, B, C]),
    OpCase("add_broadcast_col", lambda a, c: layers.Add()([a, c]), lambda a, c: a + c, [A, COL]),
    OpCase("add_lower_rank", lambda s, a: layers.Add()([s, a]),
           lambda s, a: s + a[:, None, :], [SEQ, A]),
    OpCase("subtract", lambda a, b: layers.Subtract()([a, b]), np.subtract, [A, B]),
    OpCase("multiply3", lambda a, b, c: layers.Multiply()([a, b, c]),
           lambda a, b, c: a * b * c, [A, B, C]),
    OpCase("multiply_broadcast", lambda a, c: layers.Multiply()([a, c]), np.multiply, [A, COL]),
    OpCase("average3", lambda a, b, c: layers.Average()([a, b, c]),
           lambda a, b, c: (a + b + c) / 3, [A, B, C]),
    OpCase("maximum3", lambda a, b, c: layers.Maximum()([a, b, c]),
           lambda a, b, c: _first_winner([a, b, c], np.max), [A, B, C]),
    OpCase("minimum_broadcast", lambda a, c: layers.Minimum()([a, c]),
           lambda a, c: np.minimum(a, c), [A, COL]),
    OpCase("concatenate_last", lambda a, c: layers.Concatenate()([a, c]),
           lambda a, c: np.concatenate([a, c], axis=-1), [A, COL]),
    OpCase("concatenate_axis1", lambda t, s: layers.Concatenate(axis=1)([t, s]),
           lambda t, s: np.concatenate([t, s], axis=1), [T1, SEQ]),
    OpCase("dot_vectors", lambda a, b: layers.Dot(axes=1)([a, b]),
           lambda a, b: (a * b).sum(axis=1, keepdims=True), [A, B]),
    OpCase("dot_axes1_3d", lambda t1, t2: layers.Dot(axes=1)([t1, t2]),
           lambda t1, t2: np.einsum("bij,bik->bjk", t1, t2), [T1, T2]),
    OpCase("dot_axes_pair", lambda m, v: layers.Dot(axes=(2, 1))([m, v]),
           lambda m, v: np.einsum("bij,bj->bi", m, v), [M34, V4]),
    OpCase("dot_negative_axes", lambda s, t: layers.Dot(axes=-1)([s, t]),
           lambda s, t: np.einsum("bik,bjk->bij", s, t), [SEQ, T1]),
    OpCase("dot_normalize", lambda a, b: layers.Dot(axes=1, normalize=True)([a, b]),
           lambda a, b: (_l2n(a, 1) * _l2n(b, 1)).sum(axis=1, keepdims=True), [A, B]),
    OpCase("dot_normalize_3d", lambda t1, t2: layers.Dot(axes=(1, 1), normalize=True)([t1, t2]),
           lambda t1, t2: np.einsum("bij,bik->bjk", _l2n(t1, 1), _l2n(t2, 1)), [T1, T2]),
]


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_merge_forward_and_gradients(case):
    check_op_case(case)


def test_functional_forms_match_layers(backend):
    a, b = backend.asarray(A.astype(np.float32)), backend.asarray(B.astype(np.float32))
    pairs = [(layers.add, layers.Add), (layers.subtract, layers.Subtract),
             (layers.multiply, layers.Multiply), (layers.average, layers.Average),
             (layers.maximum, layers.Maximum), (layers.minimum, layers.Minimum),
             (layers.concatenate, layers.Concatenate)]
    for fn, cls in pairs:
        np.testing.assert_allclose(fn([a, b]).numpy(), cls()([a, b]).numpy(), rtol=1e-6)
    np.testing.assert_allclose(layers.dot([a, b], axes=1).numpy(),
                               (A * B).sum(axis=1, keepdims=True), rtol=1e-5)


def test_maximum_tie_sends_gradient_to_first_input(backend):
    x = kerasx.Variable(backend.asarray(np.array([[1.0, 2.0]], dtype=np.float32)))
    y = kerasx.Variable(backend.asarray(np.array([[1.0, 3.0]], dtype=np.float32)))
    with kerasx.GradientTape() as tape:
        out = kerasx.ops.sum(layers.Maximum()([x, y]))
    gx, gy = tape.gradient(out, [x, y])
    np.testing.assert_array_equal(backend.to_numpy(gx), [[1.0, 0.0]])
    np.testing.assert_array_equal(backend.to_numpy(gy), [[0.0, 1.0]])


def test_symbolic_shapes():
    a = kerasx.Input((3,))
    s = kerasx.Input((4, 3))
    t = kerasx.Input((2, 5))
    assert layers.Add()([a, kerasx.Input((1,))]).shape == (None, 3)
    assert layers.Add()([s, a]).shape == (None, 4, 3)
    assert layers.Concatenate(axis=1)([s, kerasx.Input((2, 3))]).shape == (None, 6, 3)
    assert layers.Concatenate()([a, kerasx.Input((None,))]).shape == (None, None)
    assert layers.Dot(axes=1)([a, kerasx.Input((3,))]).shape == (None, 1)
    assert layers.Dot(axes=(1, 1))([kerasx.Input((2, 3)), t]).shape == (None, 3, 5)
    assert layers.Dot(axes=(2, 1))([kerasx.Input((4, 2)), t]).shape == (None, 4, 5)
    assert layers.Concatenate().compute_output_shape([(None, 3), (None, 5)]) == (None, 8)
    assert layers.Dot(axes=-1).compute_output_shape([(None, 4, 3), (None, 2, 3)]) == (None, 4, 2)


def test_errors_at_construction_time():
    a, b = kerasx.Input((3,)), kerasx.Input((4,))
    with pytest.raises(ValueError, match=r"incompatible shapes.*\(None, 3\).*\(None, 4\)"):
        layers.Add()([a, b])
    with pytest.raises(ValueError, match=r"matching shapes except for the concatenation axis"):
        layers.Concatenate(axis=1)([kerasx.Input((2, 3)), kerasx.Input((2, 4))])
    with pytest.raises(ValueError, match=r"different ranks \[2, 3\]"):
        layers.Concatenate()([a, kerasx.Input((4, 2))])
    with pytest.raises(ValueError, match=r"axis=0 is not a valid axis.*batch axis"):
        layers.Concatenate(axis=0)([a, a])
    with pytest.raises(ValueError, match=r"axis values 3 \(at axis 1\) != 4 \(at axis 1\)"):
        layers.Dot(axes=1)([a, b])
    with pytest.raises(ValueError, match=r"exactly 2 inputs.*received 3"):
        layers.Subtract()([a, a, a])
    with pytest.raises(ValueError, match=r"exactly 2 inputs.*received 1"):
        layers.Dot(axes=1)([a])
    with pytest.raises(ValueError, match=r"should be called on a list of inputs, received a single input of shape \(None, 3\)"):
        layers.Add()(a)
    with pytest.raises(ValueError, match=r"list of 2 integers"):
        layers.Dot(axes=(1, 1, 1))
    with pytest.raises(TypeError, match=r"axes must be an integer.*str"):
        layers.Dot(axes="last")


def test_errors_on_data(backend):
    x = backend.asarray(np.ones((2, 3), dtype=np.float32))
    y = backend.asarray(np.ones((3, 3), dtype=np.float32))
    with pytest.raises(ValueError, match=r"different batch sizes"):
        layers.Add()([x, y])
    with pytest.raises(ValueError, match=r"incompatible shapes"):
        layers.Multiply()([x, backend.asarray(np.ones((2, 4), dtype=np.float32))])


def test_configs_match_keras_and_round_trip():
    assert layers.Add(name="add_x").get_config()["name"] == "add_x"
    assert layers.Concatenate(axis=1).get_config()["axis"] == 1
    config = layers.Dot(axes=(1, 2), normalize=True).get_config()
    assert config["axes"] == [1, 2] and config["normalize"] is True
    assert {"name", "trainable", "dtype", "axes", "normalize"} <= set(config)
    rebuilt = layers.Dot.from_config(config)
    assert rebuilt.axes == [1, 2] and rebuilt.normalize
    assert layers.Concatenate.from_config(layers.Concatenate(axis=2).get_config()).axis == 2


def test_merge_in_a_trained_model(backend):
    a, b = kerasx.Input((3,), name="a"), kerasx.Input((3,), name="b")
    merged = layers.concatenate([layers.add([a, b]), layers.multiply([a, b])])
    model = kerasx.Model([a, b], layers.Dense(1)(merged))
    model.compile(optimizer="sgd", loss="mse")
    xa, xb = rng.standard_normal((32, 3)).astype(np.float32), rng.standard_normal((32, 3)).astype(np.float32)
    y = (xa + xb).sum(axis=1, keepdims=True).astype(np.float32)
    history = model.fit([xa, xb], y, epochs=8, batch_size=8, verbose=0)
    assert history.history["loss"][-1] < 0.5 * history.history["loss"][0]
