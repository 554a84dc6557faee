"""Keras 3's remaining top-level names: `Operation`, `Function`, `StatelessScope`,
`SymbolicScope`, `name_scope`, `device`, `RematScope`/`remat`, `layers.serialize`,
`utils.is_keras_tensor`/`standardize_dtype`, Keras 2 style serialization
(`utils.legacy`, `legacy.saving`) and `optimizers.legacy`."""

import numpy as np
import pytest

import kerasx as keras
from kerasx import ops
from kerasx.autodiff.variable import Variable
from kerasx.backends import current
from tests.conftest import to_numpy


class Scale(keras.Operation):
    def __init__(self, factor, name=None):
        super().__init__(name=name)
        self.factor = factor

    def call(self, x, shift=0.0):
        return x * self.factor + shift

    def get_config(self):
        return {**super().get_config(), "factor": self.factor}


class Pairwise(keras.Operation):
    """An operation with its own output spec and two outputs."""

    def call(self, a, b):
        return a + b, ops.sum(a * b, axis=-1)

    def compute_output_spec(self, a, b):
        return (keras.KerasTensor(a.shape, a.dtype), keras.KerasTensor(a.shape[:-1], a.dtype))


# ---- Operation ----

def test_operation_runs_eagerly_and_records_symbolically():
    op = Scale(3.0)
    assert op.name == "scale" and Scale(1.0).name == "scale_1"
    np.testing.assert_allclose(to_numpy(op(np.array([1.0, 2.0], np.float32), shift=1.0)),
                               [4.0, 7.0])
    x = keras.Input((4,))
    y = op(x, shift=2.0)
    assert isinstance(y, keras.KerasTensor) and y.shape == (None, 4)
    assert y.node.layer is op and op.output is y and op.input is x
    assert isinstance(keras.layers.Dense(2), keras.Operation)
    assert Scale.from_config(op.get_config()).factor == 3.0
    with pytest.raises(ValueError, match="cannot contain character `/`"):
        Scale(1.0, name="a/b")
    with pytest.raises(NotImplementedError, match="must implement `call"):
        keras.Operation()(np.ones(2))


def test_operation_inside_a_functional_model():
    x = keras.Input((3,))
    model = keras.Model(x, keras.layers.Dense(2, kernel_initializer="ones")(Scale(2.0)(x)))
    data = np.arange(6, dtype=np.float32).reshape(2, 3)
    np.testing.assert_allclose(to_numpy(model(data)), np.repeat(2 * data.sum(1, keepdims=True),
                                                                 2, axis=1))


# ---- Function ----

def test_function_replays_the_graph_of_ops_layers_and_operations():
    a, b = keras.KerasTensor((None, 2, 3)), keras.KerasTensor((None, 2, 3))
    fn = keras.Function(inputs=[a, b], outputs=ops.sigmoid(a + b))
    x1 = np.random.default_rng(0).random((4, 2, 3)).astype(np.float32)
    x2 = np.random.default_rng(1).random((4, 2, 3)).astype(np.float32)
    np.testing.assert_allclose(to_numpy(fn([x1, x2])), 1 / (1 + np.exp(-(x1 + x2))), rtol=1e-6)
    assert [op.name for op in fn.operations] == ["add", "sigmoid"]
    assert fn.inputs == [a, b] and len(fn.outputs) == 1

    x = keras.Input((3,), name="features")
    dense = keras.layers.Dense(2)
    hidden = dense(Scale(0.5)(x))
    total, dot = Pairwise()(hidden, hidden)
    fn = keras.Function({"x": x}, {"relu": ops.relu(hidden), "rest": [total, dot]})
    data = np.random.default_rng(2).normal(size=(5, 3)).astype(np.float32)
    out = fn({"x": data})
    h = 0.5 * data @ to_numpy(dense.kernel) + to_numpy(dense.bias)
    np.testing.assert_allclose(to_numpy(out["relu"]), np.maximum(h, 0), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(to_numpy(out["rest"][0]), 2 * h, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(to_numpy(out["rest"][1]), (h * h).sum(-1), rtol=1e-5)
    symbolic = fn({"x": keras.Input((3,))})
    assert symbolic["rest"][1].shape == (None,)


def test_function_gradients_flow_through_the_replayed_graph():
    x = keras.KerasTensor((None, 2))
    fn = keras.Function(x, ops.sum(ops.square(x) * 3.0))
    value = Variable(np.array([[1.0, -2.0]], np.float32))
    with keras.GradientTape() as tape:
        out = fn(value)
    np.testing.assert_allclose(to_numpy(tape.gradient(out, value)), [[6.0, -12.0]])


def test_function_rejects_bad_graphs_and_inputs():
    a, b = keras.KerasTensor((None, 2)), keras.KerasTensor((None, 2))
    with pytest.raises(ValueError, match="not connected to `inputs`"):
        keras.Function(a, a * b)
    with pytest.raises(ValueError, match="cannot be empty"):
        keras.Function([], a)
    with pytest.raises(ValueError, match="must be a KerasTensor"):
        keras.Function(a, [a, np.ones(2)])
    fn = keras.Function([a, b], a - b)
    with pytest.raises(ValueError, match="expects 2 input"):
        fn([np.ones((1, 2))])
    with pytest.raises(ValueError, match="expects shape"):
        fn([np.ones((1, 3)), np.ones((1, 3))])


# ---- StatelessScope ----

def _model():
    return keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])


def test_stateless_scope_reads_mapped_values_and_records_assignments():
    model = _model()
    kernel, bias = model.weights
    before = [to_numpy(w).copy() for w in model.weights]
    x = np.ones((1, 3), np.float32)
    mapping = [(w, np.ones(w.shape, np.float32)) for w in model.weights]
    with keras.StatelessScope(mapping) as scope:
        np.testing.assert_allclose(to_numpy(model(x)), [[4.0, 4.0]])
        bias.assign(np.array([5.0, 6.0], np.float32))
        np.testing.assert_allclose(to_numpy(model(x)), [[8.0, 9.0]])
        np.testing.assert_allclose(to_numpy(scope.get_current_value(bias)), [5.0, 6.0])
        fresh = Variable(np.zeros(2, np.float32), name="made_inside")
    for w, old in zip(model.weights, before):
        np.testing.assert_array_equal(to_numpy(w), old)
    np.testing.assert_allclose(to_numpy(scope.get_current_value(bias)), [5.0, 6.0])
    np.testing.assert_allclose(to_numpy(scope.get_current_value(kernel)), np.ones((3, 2)))
    assert scope.get_current_value(fresh) is None
    np.testing.assert_array_equal(to_numpy(fresh), np.zeros(2))
    # outside every scope the variables' storage is plain again
    assert type(Variable.__dict__["_value"]).__name__ == "member_descriptor"


def test_optimizer_step_in_a_stateless_scope_matches_the_real_step():
    model = _model()
    variables = model.trainable_variables
    before = [to_numpy(v).copy() for v in variables]
    optimizer = keras.optimizers.Adam(learning_rate=0.1)
    optimizer.build(variables)
    grads = [np.full(v.shape, 0.5, np.float32) for v in variables]
    kernels = current().kernels
    with keras.StatelessScope() as scope:
        optimizer.apply(grads, variables)
        assert keras.scopes.in_stateless_scope()
    assert current().kernels is kernels and not keras.scopes.in_stateless_scope()
    assert int(to_numpy(optimizer.iterations)) == 0
    assert int(to_numpy(scope.get_current_value(optimizer.iterations))) == 1
    for v, old in zip(variables, before):
        np.testing.assert_array_equal(to_numpy(v), old)
    recorded = [to_numpy(scope.get_current_value(v)) for v in variables]
    optimizer.apply(grads, variables)
    for v, got, old in zip(variables, recorded, before):
        assert not np.allclose(got, old)
        np.testing.assert_allclose(got, to_numpy(v), rtol=1e-6, atol=1e-7)


def test_nested_stateless_scopes_use_the_innermost():
    v = Variable(np.array([1.0, 2.0], np.float32))
    with keras.StatelessScope([(v, np.array([10.0, 20.0], np.float32))]) as outer:
        with keras.StatelessScope() as inner:
            np.testing.assert_array_equal(to_numpy(v), [1.0, 2.0])
            v.assign_add(ops.ones((2,)))
            np.testing.assert_array_equal(to_numpy(v), [2.0, 3.0])
        np.testing.assert_array_equal(to_numpy(v), [10.0, 20.0])
    np.testing.assert_array_equal(to_numpy(inner.get_current_value(v)), [2.0, 3.0])
    np.testing.assert_array_equal(to_numpy(outer.get_current_value(v)), [10.0, 20.0])
    np.testing.assert_array_equal(to_numpy(v), [1.0, 2.0])


def test_metric_updates_in_a_stateless_scope_are_not_applied():
    metric = keras.metrics.Mean()
    metric.update_state(np.array([1.0, 3.0], np.float32))
    with keras.StatelessScope():
        metric.update_state(np.array([100.0], np.float32))
    assert float(to_numpy(metric.result())) == 2.0


def test_stateless_scope_validates_its_mapping():
    v = Variable(np.zeros((2, 2), np.float32))
    with pytest.raises(ValueError, match="must be Variable instances"):
        keras.StatelessScope([("kernel", np.zeros((2, 2)))])
    with pytest.raises(ValueError, match="shape that matches"):
        keras.StatelessScope([(v, np.zeros((3,)))])
    scope = keras.StatelessScope([(v, np.ones((2, 2)))])
    assert scope.get_current_value(v).dtype == v.value.dtype


# ---- SymbolicScope, name_scope, device ----

def test_symbolic_scope_marks_the_symbolic_stage():
    assert not keras.scopes.in_symbolic_scope()
    with keras.SymbolicScope() as scope:
        assert keras.scopes.get_symbolic_scope() is scope
    assert keras.scopes.get_symbolic_scope() is None


def test_name_scope_prefixes_variable_paths():
    with keras.name_scope("encoder"):
        layer = keras.layers.Dense(3)
        layer.build((None, 2))
        with keras.name_scope("block") as scope:
            assert keras.scopes.current_path() == "encoder/block" and scope.name == "block"
        with keras.name_scope("other", override_parent="root/sub"):
            assert keras.scopes.current_path() == "root/sub/other"
    assert layer.kernel.path == "encoder/dense/kernel"
    assert keras.scopes.current_path() == ""
    owner = object()
    with keras.name_scope("x", caller=owner):
        with keras.name_scope("x", caller=owner):
            assert keras.scopes.current_path() == "x"
        with keras.name_scope("x", caller=owner, deduplicate=False):
            assert keras.scopes.current_path() == "x/x"
    with pytest.raises(ValueError, match="cannot contain character `/`"):
        keras.name_scope("a/b")


def test_device_accepts_only_this_process_device():
    here = keras.distribution.list_devices()[0]
    kind = here.split(":")[0]
    with keras.device(here.upper()):
        out = ops.ones((2,))
    assert to_numpy(out).tolist() == [1.0, 1.0]
    with keras.device(kind):
        pass
    with pytest.raises(ValueError, match="Device not found"):
        with keras.device(f"{kind}:7"):
            pass
    with pytest.raises(ValueError, match="Invalid device name"):
        with keras.device("npu:0"):
            pass
    with pytest.raises(ValueError, match="Expected a string"):
        with keras.device(0):
            pass


# ---- RematScope, remat ----

def test_remat_scope_records_its_mode():
    from kerasx.scopes import get_current_remat_mode

    assert get_current_remat_mode() is None
    with keras.RematScope(mode="list_of_layers", layer_names=["dense"]):
        with keras.RematScope(mode="larger_than", output_size_threshold=512):
            assert get_current_remat_mode() == ("larger_than", 512, [])
        assert get_current_remat_mode().layer_names == ["dense"]
    assert get_current_remat_mode() is None
    with pytest.raises(ValueError, match="Invalid mode 'some'"):
        keras.RematScope(mode="some")


def test_remat_gives_the_function_values_and_gradients():
    layer = keras.layers.Dense(4, activation="tanh")
    layer.build((None, 3))
    x = np.random.default_rng(0).normal(size=(2, 3)).astype(np.float32)

    def loss(fn):
        with keras.GradientTape() as tape:
            value = ops.sum(fn(x) ** 2)
        return to_numpy(value), [to_numpy(g) for g in tape.gradient(value, layer.weights)]

    plain, plain_grads = loss(layer)
    with keras.RematScope():
        rematerialized, grads = loss(keras.remat(layer))
    assert rematerialized == plain
    for a, b in zip(grads, plain_grads):
        np.testing.assert_array_equal(a, b)
    with pytest.raises(TypeError, match="expects a callable"):
        keras.remat(3)


# ---- layers.serialize, utils ----

def test_layers_serialize_round_trip():
    layer = keras.layers.Dense(3, activation="relu", name="d")
    config = keras.layers.serialize(layer)
    assert config["class_name"] == "Dense" and config["module"] == "keras.layers"
    again = keras.layers.deserialize(config)
    assert isinstance(again, keras.layers.Dense) and again.units == 3 and again.name == "d"
    assert keras.layers.serialize(None) is None
    with pytest.raises(ValueError, match="not a `keras.layers.Layer`"):
        keras.layers.deserialize(keras.saving.serialize_keras_object(keras.regularizers.L2(0.1)))


def test_utils_is_keras_tensor_and_standardize_dtype():
    assert keras.utils.is_keras_tensor(keras.Input((2,)))
    assert not keras.utils.is_keras_tensor(ops.ones((2,)))
    assert keras.utils.standardize_dtype("float64") == "float64"
    assert keras.utils.standardize_dtype(None) == "float32"
    assert keras.utils.standardize_dtype(float) == "float32"
    assert keras.utils.standardize_dtype(np.dtype("int16")) == "int16"
    with pytest.raises(ValueError):
        keras.utils.standardize_dtype("float7")


# ---- Keras 2 style serialization, optimizers.legacy ----

def test_legacy_serialization_round_trip():
    from kerasx.utils import legacy

    assert legacy.serialize_keras_object is keras.legacy.saving.serialize_keras_object
    layer = keras.layers.Dense(3, activation="relu", kernel_regularizer=keras.regularizers.L2(0.1),
                               name="d")
    config = legacy.serialize_keras_object(layer)
    assert set(config) == {"class_name", "config"} and config["class_name"] == "Dense"
    assert config["config"]["activation"] == "relu" and config["config"]["name"] == "d"
    assert legacy.serialize_keras_object(keras.activations.relu) == "relu"
    assert legacy.serialize_keras_object(None) is None
    module_objects = {"Dense": keras.layers.Dense, "L2": keras.regularizers.L2,
                      "relu": keras.activations.relu}
    again = legacy.deserialize_keras_object(config, module_objects=module_objects)
    assert isinstance(again, keras.layers.Dense) and again.units == 3 and again.name == "d"
    assert legacy.deserialize_keras_object("relu", module_objects=module_objects) is \
        keras.activations.relu
    zeros = legacy.deserialize_keras_object("Zeros",
                                            custom_objects={"Zeros": keras.initializers.Zeros})
    assert isinstance(zeros, keras.initializers.Zeros)


def test_legacy_serialization_revives_passive_objects_and_functions():
    from kerasx.utils import legacy

    def double(x):
        return 2 * x

    class Holder:
        def __init__(self, fn, reg, name="holder"):
            self.fn, self.reg, self.name = fn, reg, name

        def get_config(self):
            return {"fn": self.fn, "reg": self.reg, "name": self.name}

    config = legacy.serialize_keras_object(Holder(double, keras.regularizers.L1(0.5)))
    assert config["config"]["fn"] == "double"
    assert config["config"]["reg"]["__passive_serialization__"] is True
    objects = {"Holder": Holder, "double": double, "L1": keras.regularizers.L1}
    holder = legacy.deserialize_keras_object(config, custom_objects=objects)
    assert holder.fn is double and isinstance(holder.reg, keras.regularizers.L1)
    assert holder.reg.l1 == pytest.approx(0.5)


def test_legacy_deserialization_errors():
    from kerasx.utils import legacy

    with pytest.raises(ValueError, match="Improper config format"):
        legacy.deserialize_keras_object({"class_name": "Dense"})
    with pytest.raises(ValueError, match="Unknown layer: 'Nope'"):
        legacy.deserialize_keras_object({"class_name": "Nope", "config": {}}, module_objects={},
                                        printable_module_name="layer")
    with pytest.raises(ValueError, match="Unknown object: 'missing'"):
        legacy.deserialize_keras_object("missing", module_objects={})
    with pytest.raises(ValueError, match="Could not interpret"):
        legacy.deserialize_keras_object(3.5)
    with pytest.raises(ValueError, match="doesn't implement `get_config"):
        legacy.serialize_keras_object(3.5)


@pytest.mark.parametrize("name", ["Adagrad", "Adam", "Ftrl", "Optimizer", "RMSprop", "SGD"])
def test_legacy_optimizers_are_refused_as_in_keras_3(name):
    cls = getattr(keras.optimizers.legacy, name)
    assert cls is keras.optimizers.legacy.Adam
    with pytest.raises(ImportError, match="`keras.optimizers.legacy` is not supported"):
        cls(learning_rate=0.1)
