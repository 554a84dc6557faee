"""EinsumDense: Keras goldens (values, weight layout, configs, JAX gradients), float64
NumPy references with gradients by finite differences, kernel and bias shapes, the
initializer's fans, training, saving, `.keras` files moving between real Keras and
kerasx, and bad-input errors."""

import json
import os

import numpy as np
import pytest

import kerasx
from kerasx import layers, ops
from kerasx.testing import check_gradients, float64
from tests.golden.loader import GOLDEN_DIR, case_ids, load_case, load_cases
from tests.interop.round_trips import assert_keras_file_trains_on, assert_real_keras_trains_on

GOLDEN = [c for c in load_cases("einsum_adaptive") if c["class"] == "EinsumDense"]
rng = np.random.default_rng(17)


def to_numpy(x):
    return ops.convert_to_numpy(x)


@pytest.mark.parametrize("case", GOLDEN, ids=case_ids(GOLDEN))
def test_matches_keras_golden(case):
    a = case["arrays"]
    layer = layers.EinsumDense(**case["config"], name=case["keras_config"]["name"])
    layer(a["x"])
    assert [w.path for w in layer.weights] == case["weight_names"]
    layer.set_weights([a[f"w{i}"] for i in range(case["n_weights"])])
    x = kerasx.Variable(a["x"])
    with kerasx.GradientTape() as tape:
        y = layer(x)
        loss = ops.sum(ops.multiply(y, a["proj"]))
    np.testing.assert_allclose(to_numpy(y), a["y"], rtol=1e-5, atol=1e-6)
    assert layer.compute_output_shape(a["x"].shape) == a["y"].shape
    grads = tape.gradient(loss, [x] + layer.trainable_weights)
    expected = [a["dx"]] + [a[f"dw{i}"] for i in range(case["n_weights"])]
    for got, want in zip(grads, expected):
        np.testing.assert_allclose(to_numpy(got), want, rtol=1e-5, atol=1e-5)
    config = json.loads(json.dumps(layer.get_config()))
    assert set(config) == set(case["keras_config"])
    for key in config:
        assert config[key] == case["keras_config"][key], key
    # the golden stores Keras's DTypePolicy as its repr
    rebuilt = layers.EinsumDense.from_config(
        {k: v for k, v in case["keras_config"].items() if k != "dtype"})
    assert rebuilt.get_config() == layer.get_config()


TABLE = [
    ("ab,bc->ac", 4, "c", None, (3, 5)),
    ("abc,cd->abd", (None, 4), "d", "tanh", (2, 3, 5)),
    ("abc,cde->abde", (3, 2, 4), "be", None, (2, 3, 5)),
    ("abcd,cde->abe", (3, 4), "e", "sigmoid", (2, 3, 2, 5)),
    ("...b,bc->...c", 3, "c", None, (2, 3, 4, 5)),
    ("...b,bc->...c", 3, None, None, (2, 5)),
    ("ab...,bc->ac...", 3, "c", None, (2, 4, 3, 2)),
    ("abc,cd->adb", (4, 3), "d", None, (2, 3, 5)),
    ("abc,dc->abd", (3, 2), "bd", None, (2, 3, 5)),
]
ACTIVATIONS = {None: lambda v: v, "tanh": np.tanh, "sigmoid": lambda v: 1 / (1 + np.exp(-v))}


@pytest.mark.parametrize("row", TABLE, ids=[f"{r[0]}-{r[2]}" for r in TABLE])
def test_float64_reference_and_gradients(row):
    equation, output_shape, bias_axes, activation, shape = row
    x = rng.standard_normal(shape)
    with float64():
        layer = layers.EinsumDense(equation, output_shape, activation=activation,
                                   bias_axes=bias_axes, bias_initializer="random_normal")
        y = to_numpy(layer(x))
        weights = [w.numpy() for w in layer.weights]
    expected = np.einsum(equation, x, weights[0])
    if bias_axes is not None:
        expected = expected + weights[1]
    expected = ACTIVATIONS[activation](expected)
    np.testing.assert_allclose(y, expected, rtol=1e-12, atol=1e-12)
    assert y.shape == layer.compute_output_shape(shape)
    names = [w.name for w in layer.weights]

    def fn(x, *ws):
        for name, w in zip(names, ws):
            layer._set_untracked(name, w)
        return layer(x)

    check_gradients(fn, [x] + weights, rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("equation,output_shape,bias_axes,input_shape,kernel,bias,output", [
    ("ab,bc->ac", 64, "c", (None, 32), (32, 64), (64,), (None, 64)),
    ("abc,cd->abd", (None, 64), "d", (None, 32, 128), (128, 64), (64,), (None, 32, 64)),
    ("abc,cd->abd", (32, 64), "d", (None, None, 128), (128, 64), (64,), (None, 32, 64)),
    ("...x,xy->...y", 64, "y", (None, 32, 128), (128, 64), (64,), (None, 32, 64)),
    ("...x,xy->...y", 4, "y", (2, 3, 5, 6), (6, 4), (4,), (2, 3, 5, 4)),
    ("abc,cde->abde", (3, 4, 5), "be", (None, 3, 6), (6, 4, 5), (3, 1, 5), (None, 3, 4, 5)),
    ("ab...,bc->ac...", 4, "c", (2, 3, 6, 7), (3, 4), (4, 1, 1), (2, 4, 6, 7)),
    ("abcd,cde->abe", (3, 7), None, (None, 3, 2, 5), (2, 5, 7), None, (None, 3, 7)),
])
def test_weight_and_output_shapes(equation, output_shape, bias_axes, input_shape, kernel,
                                  bias, output):
    layer = layers.EinsumDense(equation, output_shape, bias_axes=bias_axes)
    assert layer.compute_output_shape(input_shape) == output
    layer.build(input_shape)
    assert layer.kernel.shape == kernel
    assert (layer.bias is None and bias is None) or layer.bias.shape == bias
    assert [w.name for w in layer.weights] == ["kernel", "bias"][:1 + (bias is not None)]


def test_variance_scaling_counts_fans_over_the_equation_axes():
    init = kerasx.initializers.VarianceScaling(scale=2.0, mode="fan_avg",
                                               distribution="uniform", seed=4)
    layer = layers.EinsumDense("abc,cde->abde", (3, 4, 5), kernel_initializer=init)
    layer.build((None, 3, 6))
    expected = kerasx.initializers.VarianceScaling(
        scale=2.0, mode="fan_avg", distribution="uniform", seed=4, input_axes=[0],
        output_axes=[1, 2])((6, 4, 5))
    np.testing.assert_array_equal(layer.kernel.numpy(), to_numpy(expected))
    assert np.abs(layer.kernel.numpy()).max() <= np.sqrt(3 * 2.0 / ((6 + 20) / 2))
    saved = layer.get_config()["kernel_initializer"]["config"]
    assert saved["input_axes"] is None and saved["output_axes"] is None
    fixed = kerasx.initializers.GlorotUniform(seed=1, input_axes=[0, 1], output_axes=[2])
    layer = layers.EinsumDense("abc,cde->abde", (3, 4, 5), kernel_initializer=fixed)
    layer.build((None, 3, 6))
    np.testing.assert_array_equal(layer.kernel.numpy(), to_numpy(fixed((6, 4, 5))))


def test_regularizers_constraints_and_a_model_that_trains():
    kerasx.utils.set_random_seed(5)
    # its own generator: the data must not depend on which tests ran before in the worker
    local = np.random.default_rng(5)
    x = local.standard_normal((64, 4, 6)).astype(np.float32)
    target = np.tanh(x @ local.standard_normal((6, 2))).reshape(64, 8).astype(np.float32)
    model = kerasx.Sequential([
        kerasx.Input((4, 6)),
        layers.EinsumDense("abc,cde->abde", (4, 3, 5), bias_axes="de", activation="relu",
                           kernel_regularizer="l2", activity_regularizer="l1",
                           kernel_constraint="max_norm"),
        layers.EinsumDense("abde,de->ab", 4, bias_axes="b"),
        layers.Dense(8),
    ])
    first = model.layers[0]
    model(x[:2])
    assert len(first.losses) == 2
    model.compile(optimizer=kerasx.optimizers.Adam(0.01), loss="mse")
    losses = model.fit(x, target, batch_size=16, epochs=20, verbose=0).history["loss"]
    assert losses[-1] < 0.5 * losses[0]
    norms = np.sqrt((first.kernel.numpy() ** 2).sum(axis=0))
    assert norms.max() <= 2.0 + 1e-5


def test_config_round_trip_and_save_load(tmp_path):
    layer = layers.EinsumDense("...b,bc->...c", 3, activation="relu", bias_axes="c",
                               kernel_regularizer="l2", bias_constraint="non_neg")
    config = layer.get_config()
    assert layers.EinsumDense.from_config(config).get_config() == config
    inputs = kerasx.Input(shape=(5, 4))
    h = layers.EinsumDense("abc,cde->abde", (5, 2, 3), bias_axes="be", name="heads")(inputs)
    h = layers.EinsumDense("abde,de->ab", 5, name="merge")(h)
    model = kerasx.Model(inputs, h)
    path = str(tmp_path / "einsum.keras")
    model.save(path)
    loaded = kerasx.models.load_model(path)
    x = rng.standard_normal((3, 5, 4)).astype(np.float32)
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0))
    for a, b in zip(loaded.get_weights(), model.get_weights()):
        np.testing.assert_array_equal(a, b)
    assert loaded.get_layer("heads").get_config() == model.get_layer("heads").get_config()


KERAS_FILE = os.path.join(GOLDEN_DIR, "einsum_adaptive_model.keras")


def test_keras_file_loads_predicts_and_trains_on_like_keras(tmp_path):
    """`einsum_adaptive_model.keras` (EinsumDense and adaptive pooling) was trained by
    Keras: same predictions, the same after one more step, the same file layout."""
    arrays = load_case("einsum_adaptive", "saved_model")["arrays"]
    assert_keras_file_trains_on(KERAS_FILE, arrays, tmp_path)


def test_real_keras_loads_kerasx_einsum_and_adaptive_models(tmp_path):
    """A model built and trained in kerasx loads in real Keras, predicts the same and
    trains on from the same optimizer state."""
    kerasx.utils.set_random_seed(2)
    inputs = kerasx.Input((7, 5, 3))
    h = layers.AdaptiveMaxPooling2D((3, 2))(inputs)
    h = layers.EinsumDense("abcd,de->abce", (3, 2, 4), bias_axes="ce", activation="tanh")(h)
    h = layers.AdaptiveAveragePooling2D(2, data_format="channels_first")(h)
    outputs = layers.EinsumDense("...b,bc->...c", 2, bias_axes="c")(layers.Flatten()(h))
    model = kerasx.Model(inputs, outputs)
    model.compile(optimizer=kerasx.optimizers.Adam(0.01), loss="mse")
    x = rng.standard_normal((16, 7, 5, 3)).astype(np.float32)
    y = rng.standard_normal((16, 2)).astype(np.float32)
    model.fit(x, y, epochs=2, batch_size=8, shuffle=False, verbose=0)
    assert_real_keras_trains_on(tmp_path, "einsum_adaptive", model, x[:4], x[8:16], y[8:16])


@pytest.mark.parametrize("equation", ["ab,bc", "a b,bc->ac", "ab,bc->ac,d", "ab,bc,cd->ad",
                                      "a...,bc->ac...", "...ab,bc->ac", "ab,bc->ac...", 3])
def test_invalid_equations(equation):
    with pytest.raises(ValueError, match=r"invalid equation .*'ab,bc->ac', '\.\.\.ab,bc->"):
        layers.EinsumDense(equation, 4)


@pytest.mark.parametrize("kwargs,match", [
    (dict(output_shape=(None, 0)), r"output_shape must be a positive int.*\(None, 0\)"),
    (dict(output_shape="4"), r"output_shape must be a positive int.*'4'"),
    (dict(output_shape=4, bias_axes=["d"]), r"bias_axes must be a string.*\['d'\]"),
])
def test_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        layers.EinsumDense("abc,cd->abd", **kwargs)


@pytest.mark.parametrize("equation,output_shape,bias_axes,input_shape,match", [
    ("abc,cd->abd", (4, 3), None, (2, 3, 5),
     r"share the axis 'b', but it has size 3 in the input .* and 4 in output_shape"),
    ("abc,cd->abd", 4, None, (2, 3, 5), r"output_shape=\(4,\) has 1 entries, but the output "
                                       r"'abd' has 2 axes"),
    ("ab,bc->acd", (4, 5), None, (2, 3), r"output letter 'd' is neither in the input 'ab'"),
    ("ab,cd->ac", 4, None, (2, 3), r"kernel letter 'd' is neither in the input 'ab' nor"),
    ("ab,bc->ac", 4, "x", (2, 3), r"bias axis 'x' of bias_axes='x' is not an output letter"),
    ("ab,bc->ac", (None,), None, (2, 3), r"kernel axis 'c' takes its size from the "
                                         r"output_shape, where it is unknown"),
    ("abc,cd->abd", (None, 4), None, (2, 3, None), r"kernel axis 'c' takes its size from "
                                                  r"the input shape"),
    ("ab,bc->ac", 4, None, (2, 3, 4), r"names 2 input axes, but received an input of shape "
                                      r"\(2, 3, 4\)"),
    ("...b,bc->...c", 4, None, (3,), r"besides those under '...' .*shape \(3,\)"),
])
def test_shape_errors(equation, output_shape, bias_axes, input_shape, match):
    layer = layers.EinsumDense(equation, output_shape, bias_axes=bias_axes, name="proj")
    with pytest.raises(ValueError, match=r"EinsumDense layer 'proj' \(equation .*" + match):
        layer.build(input_shape)


def test_call_on_an_input_of_another_size():
    layer = layers.EinsumDense("abc,cd->abd", (None, 4), name="proj")
    layer(np.zeros((2, 3, 5), np.float32))
    assert layer(np.zeros((1, 7, 5), np.float32)).shape == (1, 7, 4)
    with pytest.raises(ValueError, match=r"'proj' .* built for inputs of rank 3 with sizes "
                                         r"\{2: 5\} .* received an input of shape \(2, 3, 6\)"):
        layer(np.zeros((2, 3, 6), np.float32))
