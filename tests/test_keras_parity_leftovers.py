"""Behaviours matched to Keras 3.15.1: shape arguments, float32 learning-rate schedules,
load-time warnings, `pad`'s unknown modes, tuple structures through `from_config`,
Sequential / Functional attributes, and graph batches in `train_on_batch`."""

import math
import warnings

import numpy as np
import pytest

import kerasx as keras
from kerasx import layers, ops
from kerasx.optimizers import schedules
from tests.conftest import to_numpy


# -- shape arguments -----------------------------------------------------------------------
@pytest.mark.parametrize("make", [
    lambda: keras.Input(shape=8),
    lambda: keras.layers.InputLayer(shape=8),
    lambda: keras.layers.InputLayer(batch_shape=8),
    lambda: layers.Dense(2, input_shape=8),
], ids=["Input", "InputLayer", "InputLayer-batch_shape", "input_shape-kwarg"])
def test_a_bare_int_is_not_a_shape(make):
    # Keras: ValueError "Cannot convert '8' to a shape."
    with pytest.raises(ValueError, match=r"Cannot convert '8' to a shape.*\(8,\)"):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the input_shape deprecation warning
            make()


@pytest.mark.parametrize("shape,batch_size", [((8.0,), None), (("8",), None), ((8.5,), None),
                                              ((3,), 2.0), ((True,), None)])
def test_sizes_must_be_ints(shape, batch_size):
    # Keras: "Cannot convert '(8.0,)' to a shape. Found invalid dimension '8.0' ..."
    with pytest.raises(ValueError, match="Found invalid dimension"):
        keras.Input(shape=shape, batch_size=batch_size)


def test_negative_sizes_are_refused_and_numpy_ints_accepted():
    with pytest.raises(ValueError, match="Negative dimensions are not allowed"):
        keras.Input(shape=(-1,))
    assert keras.Input(shape=(np.int64(8), None)).shape == (None, 8, None)
    assert keras.Input(shape=np.array([4, 2])).shape == (None, 4, 2)


# -- learning-rate schedules: Keras's float32 arithmetic -----------------------------------
F = np.float32


def _f32_of(fn, *args):
    """A transcendental function of float32 arguments, correctly rounded to float32."""
    return F(fn(*(float(a) for a in args)))


def _exponential(init, steps, rate, staircase=False):
    def at(step):
        p = F(step) / F(steps)
        if staircase:
            p = np.floor(p)
        return F(init) * _f32_of(math.pow, F(rate), p)
    return at


def _inverse_time(init, steps, rate, staircase=False):
    def at(step):
        p = F(step) / F(steps)
        if staircase:
            p = np.floor(p)
        return F(init) / (F(1) + F(rate) * p)
    return at


def _polynomial(init, steps, end=1e-4, power=1.0, cycle=False):
    def at(step):
        s, d = F(step), F(steps)
        if cycle:
            d = d * (F(1) if s == 0 else np.ceil(s / d))
        else:
            s = min(s, d)
        return (F(init) - F(end)) * _f32_of(math.pow, F(1) - s / d, F(power)) + F(end)
    return at


def _cosine_part(step, steps, peak, alpha):
    angle = F(math.pi) * (step / F(steps))
    cosine = F(0.5) * (F(1) + _f32_of(math.cos, angle))
    return peak * (F(1.0 - alpha) * cosine + F(alpha))


def _cosine(init, steps, alpha=0.0, target=None, warmup=0):
    def at(step):
        s = F(step)
        if target is None:
            return _cosine_part(min(s, F(steps)), steps, F(init), alpha)
        s = min(s, F(steps) + F(warmup))
        if s < F(warmup):
            return (F(target) - F(init)) * (s / F(warmup)) + F(init)
        return _cosine_part(s - F(warmup), steps, F(target), alpha)
    return at


def _restarts(init, first, t_mul=2.0, m_mul=1.0, alpha=0.0):
    def at(step):
        fraction = F(step) / F(first)
        t = F(t_mul)
        if t == 1:
            i = np.floor(fraction)
            fraction = fraction - i
        else:
            # the period from the exact sums of the periods' lengths
            i = 0
            while (F(1) - _f32_of(math.pow, t, i + 1)) / (F(1) - t) <= fraction:
                i += 1
            start = (F(1) - _f32_of(math.pow, t, i)) / (F(1) - t)
            fraction = (fraction - start) / _f32_of(math.pow, t, i)
        cosine = F(0.5) * _f32_of(math.pow, F(m_mul), i) * (
            F(1) + _f32_of(math.cos, F(math.pi) * fraction))
        return F(init) * ((F(1) - F(alpha)) * cosine + F(alpha))
    return at


SCHEDULES = {
    "exponential": (schedules.ExponentialDecay(0.1, 1000, 0.96), _exponential(0.1, 1000, 0.96)),
    "exponential-odd": (schedules.ExponentialDecay(3e-4, 37, 0.9137),
                        _exponential(3e-4, 37, 0.9137)),
    "exponential-staircase": (schedules.ExponentialDecay(0.01, 7, 0.5, staircase=True),
                              _exponential(0.01, 7, 0.5, staircase=True)),
    "inverse-time": (schedules.InverseTimeDecay(0.1, 1000, 0.5), _inverse_time(0.1, 1000, 0.5)),
    "inverse-time-staircase": (schedules.InverseTimeDecay(0.03, 7, 0.3, staircase=True),
                               _inverse_time(0.03, 7, 0.3, staircase=True)),
    "polynomial": (schedules.PolynomialDecay(0.07, 1234), _polynomial(0.07, 1234)),
    "polynomial-sqrt": (schedules.PolynomialDecay(0.1, 300, 1e-4, power=0.5),
                        _polynomial(0.1, 300, 1e-4, power=0.5)),
    "polynomial-cycle": (schedules.PolynomialDecay(0.1, 70, 1e-3, power=2.0, cycle=True),
                         _polynomial(0.1, 70, 1e-3, power=2.0, cycle=True)),
    "piecewise": (schedules.PiecewiseConstantDecay([100, 300], [0.1, 0.01, 0.001]),
                  lambda step: F(0.1) if step <= 100 else F(0.01) if step <= 300 else F(0.001)),
    "cosine": (schedules.CosineDecay(0.1, 3000, alpha=0.01), _cosine(0.1, 3000, alpha=0.01)),
    "cosine-warmup": (schedules.CosineDecay(0.0, 250, alpha=0.1, warmup_target=0.05,
                                            warmup_steps=50),
                      _cosine(0.0, 250, alpha=0.1, target=0.05, warmup=50)),
    "restarts": (schedules.CosineDecayRestarts(0.1, 30, t_mul=2.0, m_mul=0.9, alpha=0.05),
                 _restarts(0.1, 30, t_mul=2.0, m_mul=0.9, alpha=0.05)),
    "restarts-constant-period": (schedules.CosineDecayRestarts(0.02, 25, t_mul=1.0, m_mul=0.8),
                                 _restarts(0.02, 25, t_mul=1.0, m_mul=0.8)),
    "restarts-odd": (schedules.CosineDecayRestarts(0.05, 11, t_mul=1.5),
                     _restarts(0.05, 11, t_mul=1.5)),
}


@pytest.mark.parametrize("name", SCHEDULES)
def test_schedules_compute_in_float32_operation_by_operation(name):
    schedule, reference = SCHEDULES[name]
    got = np.array([schedule.host_rate(step) for step in range(400)])
    want = np.array([reference(step) for step in range(400)], dtype=np.float64)
    np.testing.assert_array_equal(got, want)  # float32 values, each rounding as Keras's
    assert float(schedule(123)) == got[123]


# Keras 3.15.1 (JAX backend, CPU) `schedule(step)` at steps where a float64 computation
# rounded once to float32 differs in the last bit
KERAS_VALUES = [
    (schedules.ExponentialDecay(0.1, 1000, 0.96),
     {4: 0.09998367726802826, 7: 0.09997143596410751, 8: 0.0999673530459404,
      12: 0.09995102137327194}),
    (schedules.InverseTimeDecay(0.1, 1000, 0.5),
     {1: 0.09995003044605255, 5: 0.09975061565637589, 7: 0.09965122491121292,
      11: 0.09945301711559296}),
    (schedules.PolynomialDecay(0.07, 1234),
     {7: 0.06960348039865494, 24: 0.06864052265882492, 28: 0.06841394305229187,
      42: 0.0676209032535553}),
    (schedules.CosineDecay(0.1, 3000, alpha=0.01),
     {1: 0.09999997913837433, 2: 0.09999989718198776, 3: 0.09999974817037582,
      9: 0.09999781101942062}),
]


@pytest.mark.parametrize("schedule,values", KERAS_VALUES,
                         ids=[type(s).__name__ for s, _ in KERAS_VALUES])
def test_schedule_values_equal_keras_float32_values(schedule, values):
    for step, keras_value in values.items():
        assert schedule.host_rate(step) == keras_value
        assert float(schedule(step)) == keras_value


def test_a_replaced_schedule_argument_is_used():
    schedule = schedules.ExponentialDecay(0.1, 10, 0.5)
    assert schedule.host_rate(10) == F(0.05)
    schedule.initial_learning_rate = 0.2
    assert schedule.host_rate(10) == F(0.1)


# -- load-time warnings --------------------------------------------------------------------
def _dense_model(optimizer):
    model = keras.Sequential([keras.Input((3,)), layers.Dense(1)])
    model.compile(optimizer, "mse")
    return model


def test_loading_a_compiled_never_trained_model_skips_its_optimizer_state(tmp_path):
    _dense_model("adam").save(tmp_path / "m.keras")
    # Keras: "Skipping variable loading for optimizer 'adam', because it has 6 variables
    # whereas the saved optimizer has 2 variables."
    with pytest.warns(UserWarning, match="Skipping variable loading for optimizer 'adam', "
                                         "because it has 6 variables whereas the saved "
                                         "optimizer has 2 variables"):
        loaded = keras.models.load_model(tmp_path / "m.keras")
    assert len(loaded.optimizer.variables) == 6  # built on load, as Keras's
    x, y = np.ones((4, 3), "float32"), np.zeros((4, 1), "float32")
    loaded.train_on_batch(x, y)
    assert int(to_numpy(loaded.optimizer.iterations)) == 1


@pytest.mark.parametrize("optimizer,train", [("adam", True), ("sgd", False)])
def test_no_optimizer_warning_when_the_state_fits(tmp_path, optimizer, train):
    model = _dense_model(optimizer)
    if train:
        model.train_on_batch(np.ones((4, 3), "float32"), np.zeros((4, 1), "float32"))
    model.save(tmp_path / "m.keras")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        loaded = keras.models.load_model(tmp_path / "m.keras")
    for a, b in zip(loaded.optimizer.variables, model.optimizer.variables):
        np.testing.assert_array_equal(to_numpy(a), to_numpy(b))


@keras.saving.register_keras_serializable(package="parity_leftovers")
class _BlockWithoutBuild(layers.Layer):
    def __init__(self, units=4, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.inner = layers.Dense(units)

    def call(self, x):
        return self.inner(x)

    def get_config(self):
        return {**super().get_config(), "units": self.units}


_UNBUILT_STATE = "`build\\(\\)` was called on layer '{}', however the layer does not have a"


def test_loading_a_layer_without_build_and_with_unbuilt_sublayers_warns(tmp_path):
    inputs = keras.Input((3,))
    block = _BlockWithoutBuild(name="block")
    model = keras.Model(inputs, block(inputs))
    model.save(tmp_path / "m.keras")
    with pytest.warns(UserWarning, match=_UNBUILT_STATE.format("block")):
        loaded = keras.models.load_model(tmp_path / "m.keras")
    x = np.random.default_rng(0).random((5, 3)).astype("float32")
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0))


def test_build_from_config_warns_like_build_for_unbuilt_sublayers():
    block = _BlockWithoutBuild(name="blk")
    block(np.ones((2, 3), "float32"))
    fresh = _BlockWithoutBuild(name="fresh")
    with pytest.warns(UserWarning, match=_UNBUILT_STATE.format("fresh")):
        fresh.build_from_config(block.get_build_config())


def test_loading_built_in_layers_with_sublayers_does_not_warn(tmp_path):
    inputs = keras.Input((5, 3))
    x = layers.Bidirectional(layers.LSTM(2, return_sequences=True))(inputs)
    x = layers.TimeDistributed(layers.Dense(2))(x)
    model = keras.Model(inputs, layers.MultiHeadAttention(2, 4)(x, x))
    model.save(tmp_path / "m.keras")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        keras.models.load_model(tmp_path / "m.keras")


# -- pad ------------------------------------------------------------------------------------
@pytest.mark.parametrize("mode", ["REFLECT", "Symmetric", "mirror"])
def test_pad_with_an_unknown_mode_raises_not_implemented_as_keras_on_jax(mode):
    x = np.arange(12, dtype="float32").reshape(3, 4)
    # Keras on JAX: NotImplementedError "Unimplemented padding mode 'REFLECT' for np.pad."
    with pytest.raises(NotImplementedError, match=f"unknown mode '{mode}'") as info:
        ops.pad(x, ((1, 1), (1, 1)), mode=mode)
    assert isinstance(info.value, ValueError)  # NumPy's own error type, kept for callers
    if mode != "mirror":
        assert f"use mode='{mode.lower()}'" in str(info.value)


# -- tuple structures through from_config ----------------------------------------------------
def _two_tower_model():
    a, b = keras.Input((3,), name="a"), keras.Input((3,), name="b")
    dense = layers.Dense(2)
    return keras.Model((a, b), (dense(a), dense(b)))


def test_tuple_inputs_and_outputs_survive_get_config_and_from_config():
    model = _two_tower_model()
    x = [np.ones((2, 3), "float32"), np.zeros((2, 3), "float32")]
    assert isinstance(model.input, tuple)
    config = model.get_config()
    assert isinstance(config["output_layers"], tuple)
    assert isinstance(config["input_layers"], tuple)
    rebuilt = keras.Model.from_config(config)
    assert isinstance(rebuilt(x), tuple)
    assert isinstance(rebuilt.output, tuple) and isinstance(rebuilt.input, tuple)
    assert isinstance(rebuilt.predict(x, verbose=0), tuple)


def test_a_tuple_nested_in_dict_outputs_survives_from_config():
    a = keras.Input((3,))
    dense = layers.Dense(2)
    model = keras.Model(a, {"pair": (dense(a), dense(a))})
    rebuilt = keras.Model.from_config(model.get_config())
    assert isinstance(rebuilt(np.ones((2, 3), "float32"))["pair"], tuple)


# -- Sequential / Functional attributes ----------------------------------------------------
@pytest.mark.parametrize("attribute", ["inputs", "outputs"])
def test_an_unbuilt_sequential_has_no_inputs_or_outputs(attribute):
    for model in (keras.Sequential(), keras.Sequential([layers.Dense(2)])):
        # Keras: AttributeError "Sequential model 'sequential' has no defined inputs yet."
        with pytest.raises(AttributeError, match=f"has no defined {attribute} yet"):
            getattr(model, attribute)
        assert getattr(model, attribute, None) is None


def test_an_unbuilt_sequential_still_refuses_export_clearly(tmp_path):
    with pytest.raises(ValueError, match="has not been built"):
        keras.Sequential([layers.Dense(2)]).export(str(tmp_path / "m.onnx"), format="onnx")


def test_functional_build_config_is_keras_s():
    inputs = keras.Input((3,))
    model = keras.Model(inputs, layers.Dense(2)(inputs))
    assert model.get_build_config() == {"input_shape": None}
    serialized = keras.saving.serialize_keras_object(model)
    assert serialized["build_config"] == {"input_shape": None}
    rebuilt = keras.saving.deserialize_keras_object(serialized)  # new weights, same graph
    assert rebuilt(np.ones((2, 3), "float32")).shape == (2, 2)


# -- graph batches in *_on_batch -----------------------------------------------------------
class _SumNeighbours(layers.Layer):
    def call(self, nodes, edges):
        messages = ops.take(nodes, edges[:, 1], axis=0)
        return ops.segment_sum(messages, edges[:, 0], num_segments=ops.shape(nodes)[0])


def _graph_model_and_batch():
    nodes = keras.Input((4,), name="nodes")
    edges = keras.Input((2,), dtype="int32", name="edges")
    outputs = layers.Dense(1)(_SumNeighbours()(nodes, edges))
    model = keras.Model({"nodes": nodes, "edges": edges}, outputs)
    model.compile(keras.optimizers.SGD(0.01), "mse")
    rng = np.random.default_rng(0)
    x = {"nodes": rng.random((5, 4)).astype("float32"),
         "edges": rng.integers(0, 5, (9, 2)).astype("int32")}
    return model, x, rng.random((5, 1)).astype("float32")


def test_on_batch_methods_accept_a_graph_batch_as_keras():
    model, x, y = _graph_model_and_batch()
    predictions = model.predict_on_batch(x)
    expected = float(np.mean((predictions - y) ** 2))
    assert model.test_on_batch(x, y) == pytest.approx(expected, rel=1e-6)
    assert model.train_on_batch(x, y, sample_weight=np.ones(5, "float32")) == \
        pytest.approx(expected, rel=1e-6)
    assert model.test_on_batch(x, y) < expected  # the step trained on the whole graph
    # a second batch with other row counts (already-checked signature)
    x2 = {"nodes": x["nodes"][:4], "edges": x["edges"][:6] % 4}
    assert np.isfinite(model.train_on_batch(x2, y[:4]))


def test_fit_and_evaluate_still_refuse_a_graph_batch_as_keras():
    model, x, y = _graph_model_and_batch()
    # Keras: ValueError "Data cardinality is ambiguous ... 'x' sizes: 9, 5 'y' sizes: 5"
    with pytest.raises(ValueError, match="Data cardinality is ambiguous"):
        model.fit(x, y, batch_size=5, verbose=0)
    with pytest.raises(ValueError, match="Data cardinality is ambiguous"):
        model.evaluate(x, y, batch_size=5, verbose=0)


@pytest.mark.parametrize("method", ["train_on_batch", "test_on_batch"])
def test_an_on_batch_failure_with_unequal_rows_names_them(method):
    model = keras.Sequential([keras.Input((3,)), layers.Dense(1)])
    model.compile("sgd", "mse")
    # Keras fails in the loss ("incompatible shapes for broadcasting"); the error here
    # also names the row counts and the likely cause
    with pytest.raises((ValueError, TypeError), match=r"different numbers of rows \(x: \[5\], "
                                                      r"y: \[3\]\).*split or shuffled"):
        getattr(model, method)(np.ones((5, 3), "float32"), np.ones((3, 1), "float32"))
