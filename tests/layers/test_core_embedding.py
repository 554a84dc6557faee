"""`Embedding` (gather forward, scatter-add gradient, masks) and sparse inputs."""

import sys

import numpy as np
import pytest

import kerasx
from kerasx import layers, ops
from kerasx.backends import current, sparse
from kerasx.layers.layer import Layer
from kerasx.ops.shape import scatter_add_rows
from kerasx.testing import check_gradients, float64
from tests.golden.loader import load_case

IDS = np.array([[1, 3, 3, 0], [4, 1, 0, 0]])
TABLE = np.random.default_rng(0).standard_normal((5, 3))


def test_matches_keras_golden():
    case = load_case("layers", "Embedding")
    layer = layers.Embedding(**case["config"])
    layer.build(case["arrays"]["x"].shape)
    layer.set_weights([case["arrays"]["w0"]])
    y = layer(case["arrays"]["x"])
    np.testing.assert_allclose(ops.convert_to_numpy(y), case["arrays"]["y"], rtol=1e-6)
    assert set(layer.get_config()) == set(case["keras_config"])
    key = "embeddings_initializer"
    assert layer.get_config()[key] == case["keras_config"][key]


def test_default_initializer_is_uniform_005():
    layer = layers.Embedding(1000, 8)
    layer.build(None)
    table = layer.get_weights()[0]
    assert table.shape == (1000, 8) and table.dtype == np.float32
    assert -0.05 <= table.min() < -0.045 and 0.045 < table.max() <= 0.05


def test_forward_and_scatter_add_gradient():
    with float64():
        layer = layers.Embedding(5, 3, weights=TABLE)
        np.testing.assert_allclose(ops.convert_to_numpy(layer(IDS)), TABLE[IDS], rtol=1e-12)
        upstream = np.random.default_rng(1).standard_normal((2, 4, 3))
        with kerasx.GradientTape() as tape:
            loss = ops.sum(layer(IDS) * ops.convert_to_tensor(upstream))
        grad = ops.convert_to_numpy(tape.gradient(loss, layer.embeddings))
    expected = np.zeros_like(TABLE)
    np.add.at(expected, IDS.reshape(-1), upstream.reshape(-1, 3))
    np.testing.assert_allclose(grad, expected, rtol=1e-12)
    ids = ops.convert_to_tensor(IDS)
    check_gradients(lambda t: ops.take(t, ids, axis=0), [TABLE])


def test_scatter_add_fast_path_matches_portable(monkeypatch):
    backend = current()
    rng = np.random.default_rng(2)
    indices = backend.asarray(rng.integers(0, 7, 50), dtype="int64")
    updates = backend.asarray(rng.standard_normal((50, 4)), dtype="float32")
    fast = scatter_add_rows(7, indices, updates)
    monkeypatch.delitem(backend.kernels, "scatter_add_rows", raising=False)
    portable = scatter_add_rows(7, indices, updates)
    expected = np.zeros((7, 4))
    np.add.at(expected, backend.to_numpy(indices), backend.to_numpy(updates))
    np.testing.assert_allclose(backend.to_numpy(portable), expected, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(backend.to_numpy(fast), backend.to_numpy(portable), rtol=1e-5,
                               atol=1e-6)


def test_numpy_kernel_against_portable_path(monkeypatch):
    from kerasx.backends import numpy_kernels, use_backend

    with use_backend("numpy") as backend:
        rng = np.random.default_rng(3)
        indices = rng.integers(0, 6, 40)
        updates = rng.standard_normal((40, 5)).astype(np.float32)
        fast = numpy_kernels.scatter_add_rows((6, 5), indices, updates, updates.dtype)
        monkeypatch.delitem(backend.kernels, "scatter_add_rows", raising=False)
        np.testing.assert_allclose(fast, scatter_add_rows(6, indices, updates), rtol=1e-6,
                                   atol=1e-6)
        # (batch, timesteps) int32 ids, as an Embedding's inputs
        ids = rng.integers(0, 6, (4, 10)).astype(np.int32)
        rows = rng.standard_normal((4, 10, 5)).astype(np.float32)
        want = np.zeros((6, 5), np.float32)
        np.add.at(want, ids.reshape(-1), rows.reshape(-1, 5))
        got = numpy_kernels.scatter_add_rows((6, 5), ids, rows, rows.dtype)
        assert got.dtype == np.float32
        np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-6)


def test_mask_zero():
    layer = layers.Embedding(5, 2, mask_zero=True)
    out = layer(IDS)
    np.testing.assert_array_equal(ops.convert_to_numpy(out._keras_mask), IDS != 0)
    np.testing.assert_array_equal(ops.convert_to_numpy(layer.compute_mask(IDS)), IDS != 0)
    assert layers.Embedding(5, 2).compute_mask(IDS) is None


def test_float_indices_are_cast():
    layer = layers.Embedding(5, 3, weights=TABLE.astype(np.float32))
    out = layer(IDS.astype(np.float32))
    np.testing.assert_allclose(ops.convert_to_numpy(out), TABLE[IDS].astype(np.float32))


def test_training_updates_only_the_rows_looked_up():
    rng = np.random.default_rng(4)
    x = rng.integers(0, 6, (64, 3))
    y = (x.sum(-1, keepdims=True) > 7).astype(np.float32)
    model = kerasx.Sequential([kerasx.Input(shape=(3,), dtype="int64"), layers.Embedding(8, 4),
                               layers.Flatten(), layers.Dense(1, activation="sigmoid")])
    before = model.layers[0].get_weights()[0]
    model.compile(optimizer=kerasx.optimizers.SGD(0.5), loss="binary_crossentropy",
                  metrics=["accuracy"])
    history = model.fit(x, y, epochs=15, batch_size=16, verbose=0)
    after = model.layers[0].get_weights()[0]
    np.testing.assert_array_equal(after[6:], before[6:])  # indices 6 and 7 never occur
    assert not np.allclose(after[:6], before[:6])
    assert history.history["accuracy"][-1] >= 0.9
    lines = []
    model.summary(print_fn=lines.append)
    assert "(None, 3, 4)" in "\n".join(lines) and "Trainable params: 45 " in "\n".join(lines)


def test_bad_arguments_and_indices():
    with pytest.raises(ValueError, match=r"input_dim must be a positive integer, received "
                                         r"input_dim=0"):
        layers.Embedding(0, 3)
    with pytest.raises(ValueError, match=r"output_dim must be a positive integer.*'3'"):
        layers.Embedding(4, "3")
    if current().name == "numpy":
        with pytest.raises(ValueError, match=r"index outside \[0, 5\).*input_dim=5"):
            layers.Embedding(5, 2)(np.array([[1, 7]]))
        # NumPy would read a negative index from the end of the table
        model = kerasx.Sequential([kerasx.Input((3,)), layers.Embedding(5, 2)])
        for call in (lambda ids: model(ids), lambda ids: model.predict(ids, verbose=0)):
            with pytest.raises(ValueError, match=r"negative index -1; indices must be in "
                                                 r"\[0, 5\).*Use 0 for padding"):
                call(np.array([[1, -1, 2]]))


def test_config_round_trip():
    layer = layers.Embedding(7, 3, mask_zero=True, embeddings_initializer="glorot_uniform")
    clone = layers.Embedding.from_config(layer.get_config())
    assert clone.get_config() == layer.get_config()


# -- sparse inputs ---------------------------------------------------------------------------

def _densify_hook(monkeypatch):
    """Applies the sparse->dense step of `Layer._convert_inputs` (a no-op once it is built in)."""
    original = Layer._convert_inputs

    def convert(self, inputs):
        if sparse.is_sparse(inputs):
            return original(self, sparse.to_dense(inputs, current()))
        return original(self, inputs)

    monkeypatch.setattr(Layer, "_convert_inputs", convert)


def test_sparse_to_dense():
    sp = pytest.importorskip("scipy.sparse")
    matrix = sp.random(4, 6, density=0.4, format="csr", random_state=0, dtype=np.float64)
    dense = sparse.to_dense(matrix, current(), dtype="float32")
    assert current().is_native(dense)
    np.testing.assert_allclose(current().to_numpy(dense), matrix.toarray().astype(np.float32))
    assert sparse.is_sparse(matrix) and not sparse.is_sparse(matrix.toarray())
    with pytest.raises(TypeError, match=r"expects a scipy or cupyx sparse matrix"):
        sparse.to_dense(matrix.toarray(), current())


def test_sparse_inputs_train_like_dense(monkeypatch, digits):
    sp = pytest.importorskip("scipy.sparse")
    _densify_hook(monkeypatch)
    x_train, y_train, x_test, y_test = digits
    results = []
    for x_tr, x_te in ((sp.csr_matrix(x_train), sp.csr_matrix(x_test)), (x_train, x_test)):
        kerasx.utils.set_random_seed(7)
        inputs = kerasx.Input(shape=(64,), sparse=not isinstance(x_tr, np.ndarray))
        hidden = layers.Dense(32, activation="relu")(inputs)
        model = kerasx.Model(inputs, layers.Dense(10, activation="softmax")(hidden))
        model.compile(optimizer=kerasx.optimizers.Adam(0.01),
                      loss="sparse_categorical_crossentropy", metrics=["accuracy"])
        model.fit(x_tr, y_train, epochs=3, batch_size=64, verbose=0, shuffle=False)
        results.append(model.predict(x_te, verbose=0))
    np.testing.assert_allclose(results[0], results[1], rtol=1e-4, atol=1e-5)
    assert (results[0].argmax(-1) == y_test).mean() > 0.8


def test_missing_scipy_gives_a_clear_error(monkeypatch):
    monkeypatch.setitem(sys.modules, "scipy.sparse", None)
    backend = current()
    if backend.name == "cupy":
        monkeypatch.setitem(sys.modules, "cupyx.scipy.sparse", None)
    with pytest.raises(ImportError, match=r"Input\(sparse=True\).*pip install (scipy|cupy)"):
        sparse.check_sparse_support(backend)


@pytest.mark.parametrize("chunk", [1, 7, 64, 131072])
@pytest.mark.parametrize("width,dtype", [(5, np.float32), (6, np.float32), (6, np.float64),
                                         (4, np.float16)])
def test_numpy_scatter_in_chunks_adds_in_order(chunk, width, dtype, monkeypatch):
    from kerasx.backends import numpy_kernels

    monkeypatch.setattr(numpy_kernels, "SCATTER_CHUNK", chunk)
    rng = np.random.default_rng(4)
    ids = rng.integers(0, 9, (6, 11))             # many duplicates, several chunks
    rows = rng.standard_normal((6, 11, width)).astype(dtype)
    rows[2, 3, 1] = np.nan                         # stays in its own lane
    rows[4, 0, 0] = np.inf
    want = np.zeros((9, width), dtype)
    np.add.at(want, ids.reshape(-1), rows.reshape(-1, width))
    got = numpy_kernels.scatter_add_rows((9, width), ids, rows, rows.dtype)
    assert got.dtype == dtype
    # the same additions in the same order: equal bit for bit (even rows of float32 and
    # float64 go through as complex pairs)
    np.testing.assert_array_equal(got, want)
    empty = numpy_kernels.scatter_add_rows((9, width), ids[:0], rows[:0], rows.dtype)
    np.testing.assert_array_equal(empty, np.zeros((9, width), dtype))


@pytest.mark.parametrize("table_shape,ids,axis", [
    ((7, 4), np.array(3), 0),                      # one index: a row
    ((7,), np.array([[1, 6], [1, 1]]), 0),         # a 1-D table
    ((7, 2, 3), np.array([[0, 5, 5], [2, 0, 6]]), 0),
    ((3, 7, 2), np.array([4, 4, 1, 0]), 1),        # gathering along another axis
])
def test_take_gradient_for_index_and_table_shapes(table_shape, ids, axis):
    table = np.random.default_rng(5).standard_normal(table_shape)
    with float64():
        index = ops.convert_to_tensor(ids)
        check_gradients(lambda t: ops.take(t, index, axis=axis) * 1.5, [table])


def test_embedding_gradient_from_a_broadcast_average():
    """Embedding -> GlobalAveragePooling1D: the gradient reaching the scatter is a
    broadcast view; it must equal the dense computation."""
    backend = current()
    rng = np.random.default_rng(6)
    ids = rng.integers(0, 9, (5, 12))
    table = kerasx.Variable(backend.asarray(rng.standard_normal((9, 6)), dtype="float32"))
    g = rng.standard_normal((5, 6)).astype(np.float32)
    with kerasx.GradientTape() as tape:
        pooled = ops.mean(ops.take(table, ops.convert_to_tensor(ids), axis=0), axis=1)
        loss = ops.sum(pooled * ops.convert_to_tensor(g))
    got = backend.to_numpy(tape.gradient(loss, table))
    want = np.zeros((9, 6), np.float64)
    np.add.at(want, ids.reshape(-1), np.repeat(g / 12.0, 12, axis=0))
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)
