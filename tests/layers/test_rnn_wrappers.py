"""Bidirectional, TimeDistributed and Masking: Keras goldens, float64 references,
gradients by finite differences, masks, configs and bad input."""

import numpy as np
import pytest

import kerasx
from kerasx import layers, ops
from kerasx.saving.serialization import deserialize_keras_object
from kerasx.testing import check_gradients, float64
from tests.golden.loader import case_ids, load_cases
from tests.ops.test_rnn_ops import MASK, make_inputs, reference

GOLDEN = [c for c in load_cases("layers") if c["class"] == "Bidirectional"]


def to_numpy(x):
    return ops.convert_to_numpy(x)


def _inner(ref):
    return getattr(layers, ref["__class__"])(**ref["config"])


@pytest.mark.parametrize("case", GOLDEN, ids=case_ids(GOLDEN))
def test_bidirectional_matches_keras_golden(case):
    config = dict(case["config"])
    config["layer"] = _inner(config["layer"])
    layer = layers.Bidirectional(**config)
    x = case["arrays"]["x"]
    layer.build(x.shape)
    layer.set_weights([case["arrays"][f"w{i}"] for i in range(case["n_weights"])])
    np.testing.assert_allclose(to_numpy(layer(x)), case["arrays"]["y"], rtol=1e-4, atol=1e-4)
    got = layer.get_config()
    assert set(got) == set(case["keras_config"])
    assert got["merge_mode"] == case["keras_config"]["merge_mode"]
    for key in ("layer", "backward_layer"):
        want = case["keras_config"][key]["config"]
        assert got[key]["class_name"] == case["keras_config"][key]["class_name"]
        for name in ("name", "go_backwards", "return_sequences", "zero_output_for_mask", "units"):
            assert got[key]["config"][name] == want[name], (key, name)
    assert layer.compute_output_shape(x.shape) == case["arrays"]["y"].shape
    from_keras = deserialize_keras_object({"module": "keras.layers", "class_name": "Bidirectional",
                                           "config": case["keras_config"]})
    from_keras.set_weights(layer.get_weights())
    np.testing.assert_allclose(to_numpy(from_keras(x)), case["arrays"]["y"], rtol=1e-4, atol=1e-4)


def _bidirectional_reference(kind, weights_f, weights_b, x, mask=None, merge="concat",
                             sequences=True):
    fwd, f_states = reference(kind, x, *weights_f, mask=mask, zero_output=sequences)
    bwd, b_states = reference(kind, x, *weights_b, mask=mask, go_backwards=True,
                              zero_output=sequences)
    if sequences:
        y, y_rev = fwd, bwd[:, ::-1]
    else:
        y, y_rev = f_states[0], b_states[0]
    merged = {"concat": lambda: np.concatenate([y, y_rev], axis=-1), "sum": lambda: y + y_rev,
              "ave": lambda: (y + y_rev) / 2, "mul": lambda: y * y_rev,
              None: lambda: [y, y_rev]}[merge]()
    return merged, f_states + b_states


@pytest.mark.parametrize("merge", ["concat", "sum", "ave", "mul", None])
@pytest.mark.parametrize("sequences", [True, False])
def test_bidirectional_merge_modes_and_masks(merge, sequences):
    x, *wf, _ = make_inputs("gru", seed=1)
    _, *wb, _ = make_inputs("gru", seed=2)
    with float64():
        layer = layers.Bidirectional(layers.GRU(2, return_sequences=sequences, return_state=True),
                                     merge_mode=merge)
        layer.build((2, 3, 3))
        layer.set_weights(wf + wb)
        got = layer(x, mask=MASK)
    want, states = _bidirectional_reference("gru", wf, wb, x, MASK, merge, sequences)
    want = (want if isinstance(want, list) else [want]) + states
    assert isinstance(got, list) and len(got) == len(want)
    for g, w in zip(got, want):
        np.testing.assert_allclose(to_numpy(g), w, rtol=1e-10, atol=1e-12)


def test_bidirectional_gradients():
    x, *wf, _ = make_inputs("lstm", seed=1)
    _, *wb, _ = make_inputs("lstm", seed=2)
    with float64():
        layer = layers.Bidirectional(layers.LSTM(2, return_sequences=True))
        layer.build((2, 3, 3))
        layer.set_weights(wf + wb)

    def fn(x, kernel, rkernel, bias, back_kernel):
        cell = layer.forward_layer.cell
        cell._set_untracked("kernel", kernel)
        cell._set_untracked("recurrent_kernel", rkernel)
        cell._set_untracked("bias", bias)
        layer.backward_layer.cell._set_untracked("kernel", back_kernel)
        return layer(x, mask=MASK)

    check_gradients(fn, [x, *wf, wb[0]])


def test_bidirectional_initial_state_custom_backward_layer_and_config():
    x, *wf, states_f = make_inputs("lstm", seed=1)
    _, *wb, states_b = make_inputs("lstm", seed=2)
    with float64():
        forward = layers.LSTM(2, return_sequences=True)
        backward = layers.LSTM(2, return_sequences=True, go_backwards=True, name="back")
        layer = layers.Bidirectional(forward, backward_layer=backward, merge_mode="sum")
        layer.build((2, 3, 3))
        layer.set_weights(wf + wb)
        got = layer(x, initial_state=states_f + states_b)
    fwd, _ = reference("lstm", x, *wf, states_f)
    bwd, _ = reference("lstm", x, *wb, states_b, go_backwards=True)
    np.testing.assert_allclose(to_numpy(got), fwd + bwd[:, ::-1], rtol=1e-10)
    assert layer.backward_layer is backward and layer.forward_layer.name == "forward_lstm"
    assert [w.shape for w in layer.weights] == [(3, 8), (2, 8), (8,)] * 2
    clone = layers.Bidirectional.from_config(layer.get_config())
    assert clone.merge_mode == "sum" and clone.backward_layer.name == "back"
    assert clone.compute_output_shape((None, 3, 3)) == (None, 3, 2)


def test_bidirectional_stateful_and_bad_arguments():
    layer = layers.Bidirectional(layers.SimpleRNN(2, stateful=True))
    layer(np.ones((2, 3, 4), "float32"))
    assert layer.states is not None and len(layer.states) == 2
    layer.reset_states()
    assert all(np.all(to_numpy(s) == 0) for s in layer.states)
    with pytest.raises(ValueError, match=r"invalid merge_mode 'max'; expected one of 'concat', 'sum', 'mul', 'ave' or None"):
        layers.Bidirectional(layers.LSTM(2), merge_mode="max")
    with pytest.raises(ValueError, match=r"Bidirectional expects a kerasx Layer instance.*received 3"):
        layers.Bidirectional(3)
    with pytest.raises(ValueError, match=r"must have different go_backwards values"):
        layers.Bidirectional(layers.LSTM(2), backward_layer=layers.LSTM(2))
    with pytest.raises(ValueError, match=r"must have the same return_sequences"):
        layers.Bidirectional(layers.LSTM(2),
                             backward_layer=layers.LSTM(2, go_backwards=True,
                                                        return_sequences=True))
    with pytest.raises(ValueError, match=r"expects 3-D inputs \(batch, timesteps, features\), received input of shape \(2, 4\)"):
        layers.Bidirectional(layers.GRU(2))(np.ones((2, 4), "float32"))


# -- TimeDistributed ----------------------------------------------------------------------------

def test_time_distributed_dense_matches_reference_and_gradients():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 3, 4))
    kernel, bias = rng.standard_normal((4, 5)), rng.standard_normal(5)
    with float64():
        layer = layers.TimeDistributed(layers.Dense(5, activation="tanh"))
        layer.build((2, 3, 4))
        layer.set_weights([kernel, bias])
        got = layer(x)
    np.testing.assert_allclose(to_numpy(got), np.tanh(x @ kernel + bias), rtol=1e-12)
    assert layer.compute_output_shape((None, 3, 4)) == (None, 3, 5)
    assert layer.compute_output_shape((2, 3, 4)) == (2, 3, 5)

    def fn(x, kernel, bias):
        layer.layer._set_untracked("kernel", kernel)
        layer.layer._set_untracked("bias", bias)
        return layer(x)

    check_gradients(fn, [x, kernel, bias])


def test_time_distributed_keeps_the_mask_and_round_trips():
    x = np.ones((2, 3, 4), "float32")
    x[0, 2] = 0.0
    out = layers.TimeDistributed(layers.Dense(2))(layers.Masking()(x))
    np.testing.assert_array_equal(to_numpy(out._keras_mask), [[True, True, False], [True] * 3])
    layer = layers.TimeDistributed(layers.Dense(3, use_bias=False))
    clone = layers.TimeDistributed.from_config(layer.get_config())
    assert isinstance(clone.layer, layers.Dense) and clone.layer.units == 3
    with pytest.raises(ValueError, match=r"TimeDistributed needs inputs with at least 3 dimensions \(batch, timesteps, \.\.\.\), received input shape \(2, 4\)"):
        layers.TimeDistributed(layers.Dense(2))(np.ones((2, 4), "float32"))
    with pytest.raises(ValueError, match=r"TimeDistributed expects a kerasx Layer instance"):
        layers.TimeDistributed("dense")


def test_time_distributed_in_a_model_before_an_lstm():
    model = kerasx.Sequential([kerasx.Input(shape=(5, 3)),
                               layers.TimeDistributed(layers.Dense(4, activation="relu")),
                               layers.LSTM(2)])
    assert to_numpy(model(np.ones((2, 5, 3), "float32"))).shape == (2, 2)
    assert model.layers[0].compute_output_shape((None, 5, 3)) == (None, 5, 4)


# -- Masking -------------------------------------------------------------------------------

def test_masking_values_and_mask():
    x = np.arange(24, dtype="float32").reshape(2, 3, 4) / 10
    x[0, 1] = -1.0
    x[1, 0] = -1.0
    layer = layers.Masking(mask_value=-1.0)
    out = layer(x)
    want = x.copy()
    want[0, 1] = 0.0
    want[1, 0] = 0.0
    np.testing.assert_array_equal(to_numpy(out), want)
    np.testing.assert_array_equal(to_numpy(out._keras_mask), [[True, False, True],
                                                              [False, True, True]])
    assert layer.get_config()["mask_value"] == -1.0
    assert layer.compute_output_shape((None, 3, 4)) == (None, 3, 4)


def test_masking_propagates_through_a_sequential_model():
    x, kernel, rkernel, bias, _ = make_inputs("simple_rnn", seed=6)
    x[~MASK] = 0.0
    with float64():
        model = kerasx.Sequential([kerasx.Input(shape=(3, 3)), layers.Masking(),
                                   layers.SimpleRNN(2, return_sequences=True),
                                   layers.SimpleRNN(2)])
        model.layers[1].set_weights([kernel, rkernel, bias])
        model.layers[2].set_weights([rkernel[:, :2], rkernel, bias])
        got = model(x)
    seq, _ = reference("simple_rnn", x, kernel, rkernel, bias, mask=MASK)
    _, finals = reference("simple_rnn", seq, rkernel[:, :2], rkernel, bias, mask=MASK)
    np.testing.assert_allclose(to_numpy(got), finals[0], rtol=1e-10)


@kerasx.saving.register_keras_serializable(package="wrapper_tests")
class _Doubled(layers.Wrapper):
    def call(self, x):
        return 2.0 * self.layer(x)


def test_a_custom_wrapper_owns_its_layers_weights_and_saves(tmp_path):
    wrapper = _Doubled(layers.Dense(3, name="inner"))
    model = kerasx.Sequential([kerasx.Input((4,)), wrapper])
    assert [w.path for w in wrapper.weights] == [w.path for w in wrapper.layer.weights]
    assert len(model.trainable_weights) == 2 and isinstance(wrapper, layers.Wrapper)
    assert isinstance(layers.TimeDistributed(layers.Dense(2)), layers.Wrapper)
    x = np.random.default_rng(0).standard_normal((5, 4)).astype("float32")
    kernel, bias = (np.asarray(w, dtype="float64") for w in wrapper.layer.get_weights())
    np.testing.assert_allclose(model.predict(x, verbose=0), 2.0 * (x @ kernel + bias), rtol=1e-5)
    path = tmp_path / "wrapped.keras"
    model.save(path)
    loaded = kerasx.models.load_model(path)
    assert type(loaded.layers[0]) is _Doubled and loaded.layers[0].layer.name == "inner"
    np.testing.assert_allclose(loaded.predict(x, verbose=0), model.predict(x, verbose=0))
    with pytest.raises(ValueError, match="_Doubled expects a kerasx Layer instance"):
        _Doubled("dense")
