"""`kerasx.ops` calls and Python operators on symbolic tensors: operation nodes in functional
graphs (values, training, gradients, configs in Keras 3's format, saving, errors)."""

import json
import os

import numpy as np
import pytest

import kerasx
from kerasx import layers, ops
from kerasx.layers.core.keras_tensor import KerasTensor
from kerasx.layers.core.op_layer import OpLayer
from kerasx.testing import check_gradients, float64

RNG = np.random.default_rng(3)
X = RNG.standard_normal((5, 4)).astype(np.float32)
Y = RNG.standard_normal((5, 2)).astype(np.float32)
FIXTURE = os.path.join(os.path.dirname(__file__), "keras_functional_ops_fixture.json")


def _np(x):
    return np.asarray(ops.convert_to_numpy(x))


def _ops_graph(x):
    """The same computation for symbolic and real tensors."""
    h = x * 2.0 + ops.exp(-abs(x)) - 1.0 / (1.0 + x ** 2)
    h = ops.concatenate([h, x[:, 1:3], ops.cast(x > 0.0, x.dtype) * 0.5], axis=-1)
    h = h - ops.mean(h, axis=-1, keepdims=True)
    return ops.softmax(ops.reshape(h, (-1, 2, 5)), axis=-1)[:, 0, :]


def _models():
    """A functional model with op nodes and the same model with the ops in a Lambda."""
    x = kerasx.Input((4,), name="x")
    dense_a, head_a = layers.Dense(4, name="d"), layers.Dense(2, name="head")
    op_model = kerasx.Model(x, head_a(_ops_graph(dense_a(x))))
    x2 = kerasx.Input((4,), name="x")
    dense_b, head_b = layers.Dense(4, name="d"), layers.Dense(2, name="head")
    lambda_model = kerasx.Model(x2, head_b(layers.Lambda(_ops_graph)(dense_b(x2))))
    lambda_model.set_weights(op_model.get_weights())
    return op_model, lambda_model


def test_keras_example_graph():
    x = kerasx.Input((4,))
    y = x * 2 + ops.exp(x)
    z = ops.concatenate([y, x], axis=-1)
    model = kerasx.Model(x, z)
    assert isinstance(y, KerasTensor) and z.shape == (None, 8)
    expected = np.concatenate([X * 2 + np.exp(X), X], axis=-1)
    # atol: a device's float32 exp may differ from NumPy's by an ulp where 2x + exp(x) cancels
    np.testing.assert_allclose(model.predict(X, verbose=0), expected, rtol=1e-6, atol=1e-6)


def test_operators_slicing_and_ops_values():
    x = kerasx.Input((4,), name="x")
    outputs = {
        "radd": 1.5 + x, "rsub": 2.0 - x, "rmul": 3.0 * x, "rdiv": 1.0 / (2.0 + x * x),
        "rpow": 2.0 ** x, "neg": -x, "abs": abs(x), "pow": x ** 2,
        "slice": x[:, 1:3], "step": x[:, ::2], "int": x[:, 0], "ellipsis": x[..., -1],
        "newaxis": x[:, None, :], "T": ops.expand_dims(x, -1).T if False else x.T,
        "gt": ops.cast(x > 0.1, "float32"), "le": ops.cast(x <= 0.1, "float32"),
        "ne": ops.cast(x != x[:, :1], "float32"), "mean": ops.mean(x, axis=-1),
        "reshape": x.reshape((-1, 2, 2)), "max": ops.max(x, axis=1, keepdims=True),
        "where": ops.where(x > 0.0, x, 0.5 * x), "squeeze": ops.squeeze(x[:, None, :], axis=1),
        "take": ops.take(x, [3, 0], axis=1), "transpose": ops.transpose(x.reshape((-1, 2, 2)),
                                                                          (0, 2, 1)),
        "stack": ops.stack([x, 2 * x], axis=1), "log_softmax": ops.log_softmax(x),
        "matmul": x @ ops.convert_to_tensor(np.eye(4, 3, dtype=np.float32)),
    }
    outputs.pop("T")  # x.T on (batch, 4) moves the batch axis; checked separately below
    model = kerasx.Model(x, outputs)
    got = model.predict(X, verbose=0)
    e = np.exp(X - X.max(-1, keepdims=True))
    expected = {
        "radd": 1.5 + X, "rsub": 2 - X, "rmul": 3 * X, "rdiv": 1 / (2 + X * X),
        "rpow": 2.0 ** X, "neg": -X, "abs": np.abs(X), "pow": X ** 2,
        "slice": X[:, 1:3], "step": X[:, ::2], "int": X[:, 0], "ellipsis": X[..., -1],
        "newaxis": X[:, None, :], "gt": (X > 0.1) * 1.0, "le": (X <= 0.1) * 1.0,
        "ne": (X != X[:, :1]) * 1.0, "mean": X.mean(-1), "reshape": X.reshape(-1, 2, 2),
        "max": X.max(1, keepdims=True), "where": np.where(X > 0, X, 0.5 * X),
        "squeeze": X, "take": X[:, [3, 0]], "transpose": X.reshape(-1, 2, 2).transpose(0, 2, 1),
        "stack": np.stack([X, 2 * X], axis=1), "log_softmax": np.log(e / e.sum(-1, keepdims=True)),
        "matmul": X @ np.eye(4, 3),
    }
    assert sorted(got) == sorted(expected)
    for key, value in expected.items():
        assert got[key].shape == value.shape, key
        np.testing.assert_allclose(got[key], value, rtol=1e-5, atol=1e-6, err_msg=key)
    square = kerasx.Input(batch_shape=(3, 3))
    np.testing.assert_allclose(kerasx.Model(square, square.T).predict(X[:3, :3], verbose=0),
                               X[:3, :3].T)


def test_symbolic_shapes_and_dtypes():
    x = kerasx.Input((None, 6), name="seq")
    assert x[:, 1:3].shape == (None, 2, 6)
    assert ops.reshape(x, (-1, 3, 2)).shape == (None, 3, 2)
    assert ops.mean(x, axis=-1).shape == (None, None)
    assert (x > 0).dtype == "bool"
    assert ops.concatenate([x, x], axis=-1).shape == (None, None, 12)


def test_trains_and_predicts_like_the_lambda_model():
    op_model, lambda_model = _models()
    np.testing.assert_allclose(op_model.predict(X, verbose=0), lambda_model.predict(X, verbose=0),
                               rtol=1e-6)
    histories = []
    for model in (op_model, lambda_model):
        model.compile(optimizer=kerasx.optimizers.SGD(0.1), loss="mse")
        histories.append(model.fit(X, Y, epochs=3, batch_size=5, shuffle=False, verbose=0))
    np.testing.assert_allclose(histories[0].history["loss"], histories[1].history["loss"],
                               rtol=1e-5)
    assert histories[0].history["loss"][-1] < histories[0].history["loss"][0]
    for a, b in zip(op_model.get_weights(), lambda_model.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-7)


def test_gradients_through_op_nodes():
    with float64():
        x = kerasx.Input((3,), dtype="float64")
        h = layers.Dense(3, kernel_initializer="glorot_uniform")(x)
        out = ops.tanh(h[:, :2] * x[:, 1:]) + ops.mean(h * h, axis=-1, keepdims=True) - 0.5 / \
            (2.0 + x[:, ::2])
        model = kerasx.Model(x, ops.sum(out, axis=-1))
        data = RNG.standard_normal((2, 3))
        check_gradients(lambda v: model(v), [data])
        with kerasx.GradientTape() as tape:
            loss = ops.sum(model(data))
        grads = tape.gradient(loss, model.trainable_weights)
        assert all(g is not None and np.all(np.isfinite(_np(g))) for g in grads)
        assert np.abs(_np(grads[0])).sum() > 0


def test_op_nodes_are_operations_not_layers():
    x = kerasx.Input((4,), name="x")
    model = kerasx.Model(x, layers.Dense(2, name="d")(x * 2.0) + x[:, :2])
    assert [layer.name for layer in model.layers] == ["x", "d"]
    assert [op.name for op in model.operations] == ["x", "multiply", "d", "get_item", "add"]
    assert all(isinstance(op, OpLayer) for op in model.operations if op.name not in ("x", "d"))
    assert len(model.weights) == 2


def test_config_is_keras_format_and_round_trips():
    op_model, _ = _models()
    config = op_model.get_config()
    entries = {entry["name"]: entry for entry in config["layers"]}
    assert entries["multiply"]["module"] == "keras.src.ops.numpy"
    assert entries["multiply"]["class_name"] == "Multiply"
    assert entries["multiply"]["config"] == {"name": "multiply"}
    assert entries["multiply"]["inbound_nodes"][0]["args"][1] == 2.0
    assert entries["mean"]["config"] == {"name": "mean", "axis": -1, "keepdims": True}
    assert entries["softmax"]["module"] == "keras.src.ops.nn"
    assert entries["get_item"]["inbound_nodes"][0]["args"][1] == [
        {"class_name": "__slice__", "config": {"start": None, "stop": None, "step": None}},
        {"class_name": "__slice__", "config": {"start": 1, "stop": 3, "step": None}}]
    rebuilt = kerasx.Model.from_config(json.loads(json.dumps(config)))
    rebuilt.set_weights(op_model.get_weights())
    np.testing.assert_array_equal(rebuilt.predict(X, verbose=0), op_model.predict(X, verbose=0))
    assert json.dumps(rebuilt.get_config(), sort_keys=True) == json.dumps(config, sort_keys=True)


def test_keras_save_and_load(tmp_path):
    op_model, _ = _models()
    op_model.compile(optimizer="adam", loss="mse")
    path = str(tmp_path / "ops.keras")
    kerasx.saving.save_model(op_model, path)
    loaded = kerasx.saving.load_model(path)
    np.testing.assert_array_equal(loaded.predict(X, verbose=0), op_model.predict(X, verbose=0))
    assert [layer.name for layer in loaded.layers] == [layer.name for layer in op_model.layers]


def test_reads_a_keras_3_config_with_operations():
    with open(FIXTURE) as f:
        fixture = json.load(f)
    model = kerasx.Model.from_config(fixture["config"])
    got = model.predict(np.asarray(fixture["inputs"], np.float32), verbose=0)
    assert len(got) == len(fixture["outputs"])
    for i, (a, b) in enumerate(zip(got, fixture["outputs"])):
        np.testing.assert_allclose(np.asarray(a, np.float64), np.asarray(b), rtol=1e-5,
                                   atol=1e-6, err_msg=f"output {i}")
    # Written back, the config is Keras's (its `/` a TrueDivide operation, as Keras writes it)
    ours = {e["name"]: e for e in json.loads(json.dumps(model.get_config()))["layers"]}
    for entry in fixture["config"]["layers"]:
        assert ours[entry["name"]] == entry, entry["name"]


def test_incompatible_symbolic_shapes_fail_at_construction():
    a, b = kerasx.Input((4,)), kerasx.Input((3,))
    with pytest.raises(ValueError, match=r"kerasx\.ops\.add cannot be applied to the symbolic "
                                         r"arguments \(KerasTensor shape=\(None, 4\).*"
                                         r"KerasTensor shape=\(None, 3\).*Check the shapes and dtypes"):
        ops.add(a, b)
    with pytest.raises(ValueError, match=r"kerasx\.ops\.multiply cannot be applied.*\(None, 4\)"):
        a * b
    with pytest.raises(ValueError, match=r"kerasx\.ops\.concatenate cannot be applied to the "
                                         r"symbolic arguments \(\[KerasTensor shape=\(None, 4\)"):
        ops.concatenate([a, ops.expand_dims(b, -1)], axis=-1)
    with pytest.raises(ValueError, match=r"kerasx\.ops\.reshape cannot be applied.*\(5, 5\)"):
        ops.reshape(a, (5, 5))
    with pytest.raises(ValueError, match=r"kerasx\.ops\.matmul cannot be applied"):
        a @ ops.convert_to_tensor(np.ones((3, 2), np.float32))
    with pytest.raises(TypeError, match=r"mean\(\) got an unexpected keyword argument 'axes'"):
        ops.mean(a, axes=1)


def test_symbolic_tensors_still_refuse_python_control_flow():
    x = kerasx.Input((4,))
    with pytest.raises(TypeError, match=r"cannot be used as a Python bool"):
        bool(x > 0)
    with pytest.raises(TypeError, match=r"Iterating over the symbolic .* is not supported"):
        list(x)
    assert (x == x) is True  # identity, as in Keras: tensors stay hashable dict keys


def test_eager_ops_are_unchanged():
    a = ops.convert_to_tensor(X)
    np.testing.assert_allclose(_np(ops.add(a, 1.0)), X + 1, rtol=1e-6)
    np.testing.assert_allclose(_np(ops.mean(a, axis=-1)), X.mean(-1), rtol=1e-5)
    np.testing.assert_allclose(_np(ops.concatenate([a, a], axis=1)),
                               np.concatenate([X, X], axis=1))
    assert ops.add.__name__ == "add" and ops.add.__wrapped__.__module__ == "kerasx.ops.math"
    assert ops.shape(kerasx.Input((4,))) == (None, 4)


def test_model_with_ops_is_callable_on_symbolic_tensors_and_nested():
    x = kerasx.Input((4,))
    inner = kerasx.Model(x, ops.relu(x - 0.5) * 2.0, name="inner")
    y = kerasx.Input((4,))
    outer = kerasx.Model(y, inner(y) + inner(y * -1.0))
    expected = 2 * np.maximum(X - 0.5, 0) + 2 * np.maximum(-X - 0.5, 0)
    np.testing.assert_allclose(outer.predict(X, verbose=0), expected, rtol=1e-6)
    rebuilt = kerasx.Model.from_config(json.loads(json.dumps(outer.get_config())))
    np.testing.assert_allclose(rebuilt.predict(X, verbose=0), expected, rtol=1e-6)


def test_ops_with_several_outputs_give_one_symbolic_tensor_each(tmp_path):
    x = kerasx.Input((4,))
    values, indices = ops.top_k(x, 2)
    mean, variance = ops.moments(x, axes=[1])
    assert values.shape == indices.shape == (None, 2) and indices.dtype == "int32"
    assert mean.shape == variance.shape == (None,)
    model = kerasx.Model(x, [values * 2.0, ops.cast(indices, "float32"), variance])
    data = np.array([[3.0, 1.0, 4.0, 2.0], [0.5, 0.25, 0.0, 1.0]], dtype="float32")
    expected = [[[8.0, 6.0], [2.0, 1.0]], [[2.0, 0.0], [3.0, 0.0]], data.var(axis=1)]
    for got, want in zip(model.predict(data, verbose=0), expected):
        np.testing.assert_allclose(got, want, rtol=1e-6)
    model.save(tmp_path / "several.keras")
    loaded = kerasx.models.load_model(tmp_path / "several.keras")
    for got, want in zip(loaded.predict(data, verbose=0), expected):
        np.testing.assert_allclose(got, want, rtol=1e-6)


def test_ops_taking_many_tensors_or_tensor_arguments_round_trip(tmp_path):
    a, b = kerasx.Input((3,)), kerasx.Input((2,))
    grid_x, grid_y = ops.meshgrid(a[0], b[0])
    x = kerasx.Input((4,))
    q = ops.quantile(x, np.array([0.25, 0.5]), axis=1)  # `q`: a captured tensor argument
    model = kerasx.Model([a, b, x], [grid_x, grid_y, q])
    data = [np.array([[1.0, 2.0, 3.0]]), np.array([[4.0, 5.0]]), np.array([[1.0, 2.0, 3.0, 4.0]])]
    expected = [*np.meshgrid(data[0][0], data[1][0]), np.quantile(data[2], [0.25, 0.5], axis=1)]
    model.save(tmp_path / "many.keras")
    loaded = kerasx.models.load_model(tmp_path / "many.keras")
    for m in (model, loaded):
        for got, want in zip(m.predict(data, verbose=0), expected):
            np.testing.assert_allclose(got, want, rtol=1e-6)


def test_keras_convert_to_tensor_nodes_with_unset_sparse_and_ragged_load():
    # Keras 3 writes this node (with None, not False) when a mask made by an attention
    # layer feeds a masked layer such as GlobalAveragePooling1D
    entry = {"module": "keras.src.ops.core", "class_name": "ConvertToTensor",
             "config": {"name": "convert_to_tensor", "dtype": None, "sparse": None,
                        "ragged": None}, "registered_name": "ConvertToTensor"}
    layer = OpLayer.from_serialized(entry)
    assert layer.op == "convert_to_tensor"
    assert layer.op_config == {"dtype": None, "sparse": None, "ragged": None}
    entry["config"]["sparse"] = True
    with pytest.raises(ValueError, match="no sparse or ragged tensors; received sparse=True"):
        OpLayer.from_serialized(entry)(np.ones(2, "float32"))
