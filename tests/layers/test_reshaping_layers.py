"""Reshape, Permute, RepeatVector and Flatten: Keras goldens, float64 references,
gradients by finite differences, shapes for summary, and bad-input errors."""

import numpy as np
import pytest

import kerasx
from kerasx import layers, ops
from kerasx.testing import check_gradients, float64
from tests.golden.loader import case_ids, load_cases

GOLDEN = [c for c in load_cases("layers")
          if c["class"] in ("Reshape", "Permute", "RepeatVector", "Flatten")]
X = np.random.default_rng(0).standard_normal((2, 3, 4))


@pytest.mark.parametrize("case", GOLDEN, ids=case_ids(GOLDEN))
def test_matches_keras_golden(case):
    layer = getattr(layers, case["class"])(**case["config"])
    y = layer(case["arrays"]["x"], **case["call_kwargs"])
    np.testing.assert_allclose(ops.convert_to_numpy(y), case["arrays"]["y"], rtol=1e-5, atol=1e-5)
    config = layer.get_config()
    assert set(case["keras_config"]) <= set(config)
    for key in case["config"]:
        assert list(np.atleast_1d(config[key])) == list(np.atleast_1d(case["config"][key]))
    assert layer.compute_output_shape(case["arrays"]["x"].shape) == case["arrays"]["y"].shape


CASES = [
    ("reshape", lambda: layers.Reshape((4, 3)), lambda x: x.reshape(2, 4, 3)),
    ("reshape_minus1", lambda: layers.Reshape((-1, 2)), lambda x: x.reshape(2, 6, 2)),
    ("reshape_flat", lambda: layers.Reshape((12,)), lambda x: x.reshape(2, 12)),
    ("permute", lambda: layers.Permute((2, 1)), lambda x: x.transpose(0, 2, 1)),
    ("flatten", lambda: layers.Flatten(), lambda x: x.reshape(2, 12)),
    ("flatten_channels_first", lambda: layers.Flatten(data_format="channels_first"),
     lambda x: x.transpose(0, 2, 1).reshape(2, 12)),
    ("repeat_vector", lambda: layers.RepeatVector(3), lambda x: np.repeat(x[:, None], 3, axis=1)),
]


@pytest.mark.parametrize("name,make,reference", CASES, ids=[c[0] for c in CASES])
def test_forward_and_gradient(name, make, reference):
    x = X[:, 0, :] if name == "repeat_vector" else X
    with float64():
        layer = make()
        got = ops.convert_to_numpy(layer(x))
        np.testing.assert_allclose(got, reference(x), rtol=1e-12)
        check_gradients(lambda v: layer(v), [x])
    got32 = ops.convert_to_numpy(make()(x.astype(np.float32)))
    assert got32.dtype == np.float32
    np.testing.assert_allclose(got32, reference(x), rtol=1e-6)


def test_permute_rank4():
    x = np.random.default_rng(1).standard_normal((2, 3, 4, 5))
    layer = layers.Permute((3, 1, 2))
    np.testing.assert_allclose(ops.convert_to_numpy(layer(x)), x.transpose(0, 3, 1, 2), rtol=1e-6)
    assert layer.compute_output_shape((None, 3, 4, 5)) == (None, 5, 3, 4)


def test_output_shapes_with_unknown_sizes():
    assert layers.Reshape((-1, 2)).compute_output_shape((None, 3, 4)) == (None, 6, 2)
    assert layers.Reshape((-1, 2)).compute_output_shape((None, None, 4)) == (None, None, 2)
    assert layers.Reshape((2, 6)).compute_output_shape((8, 3, 4)) == (8, 2, 6)
    assert layers.RepeatVector(5).compute_output_shape((None, 7)) == (None, 5, 7)
    assert layers.Permute((2, 1)).compute_output_shape((None, None, 7)) == (None, 7, None)


def test_summary_shows_output_shapes():
    model = kerasx.Sequential([kerasx.Input(shape=(3, 4)), layers.Reshape((-1, 2)),
                               layers.Permute((2, 1)), layers.Flatten(), layers.RepeatVector(2)])
    lines = []
    model.summary(print_fn=lines.append)
    text = "\n".join(lines)
    for shape in ("(None, 6, 2)", "(None, 2, 6)", "(None, 12)", "(None, 2, 12)"):
        assert shape in text
    assert model.count_params() == 0
    out = model.predict(X.astype(np.float32), verbose=0)
    np.testing.assert_allclose(out[:, 0], X.reshape(2, 6, 2).transpose(0, 2, 1).reshape(2, 12),
                               rtol=1e-6)


def test_functional_symbolic_shapes():
    inputs = kerasx.Input(shape=(3, 4))
    outputs = layers.Permute((2, 1))(layers.Reshape((4, 3))(inputs))
    assert outputs.shape == (None, 3, 4)


def test_reshape_incompatible_size_error():
    layer = layers.Reshape((5, 2), name="to_pairs")
    with pytest.raises(ValueError, match=r"'to_pairs'.*samples of shape \(3, 4\) \(12 values\) "
                                         r"into target_shape=\(5, 2\).*exactly 10"):
        layer(X)
    with pytest.raises(ValueError, match=r"a multiple of 5"):
        layers.Reshape((-1, 5))(X)
    with pytest.raises(ValueError, match=r"cannot take inputs of shape|cannot reshape"):
        kerasx.Sequential([kerasx.Input(shape=(3, 4)), layers.Reshape((7,))])
    with pytest.raises(ValueError, match=r"at most one entry of target_shape may be -1"):
        layers.Reshape((-1, -1))
    with pytest.raises(ValueError, match=r"must be positive"):
        layers.Reshape((0, 3))


def test_permute_invalid_permutation_error():
    with pytest.raises(ValueError, match=r"Invalid permutation dims=\(0, 1\).*counted from 1"):
        layers.Permute((0, 1))
    with pytest.raises(ValueError, match=r"Invalid permutation dims=\(1, 1\)"):
        layers.Permute((1, 1))
    with pytest.raises(ValueError, match=r"expects inputs of rank 4.*\(2, 3, 4\)"):
        layers.Permute((1, 3, 2))(X)


def test_repeat_vector_errors():
    with pytest.raises(ValueError, match=r"expects 2-D inputs.*\(2, 3, 4\)"):
        layers.RepeatVector(2)(X)
    with pytest.raises(ValueError, match=r"positive integer, received n=0"):
        layers.RepeatVector(0)
    with pytest.raises(TypeError, match=r"n must be an integer"):
        layers.RepeatVector(2.5)


def test_config_round_trip():
    for layer, x in ((layers.Reshape((-1, 3)), X), (layers.Permute((2, 1)), X),
                     (layers.RepeatVector(4), X[:, 0])):
        clone = type(layer).from_config(layer.get_config())
        np.testing.assert_array_equal(ops.convert_to_numpy(clone(x)),
                                      ops.convert_to_numpy(layer(x)))


def test_flatten_an_empty_batch():
    out = layers.Flatten()(np.zeros((0, 3, 4, 2), np.float32))
    assert tuple(out.shape) == (0, 24)
    model = kerasx.Sequential([kerasx.Input((6, 6, 1)), layers.Conv2D(2, 3, activation="relu"),
                               layers.MaxPooling2D(), layers.Flatten(), layers.Dense(3)])
    assert tuple(model(np.zeros((0, 6, 6, 1), np.float32)).shape) == (0, 3)
