"""SimpleRNN, LSTM, GRU, their cells and the generic RNN layer: Keras goldens,
forward against the float64 per-timestep reference, gradients by finite
differences for each option, statefulness, dropout, configs and bad input."""

import numpy as np
import pytest

import kerasx
from kerasx import layers, ops
from kerasx.backends import current
from kerasx.saving.serialization import deserialize_keras_object
from kerasx.testing import check_gradients, float64
from tests.golden.loader import case_ids, load_cases
from tests.ops.test_rnn_ops import MASK, make_inputs, reference

GOLDEN = [c for c in load_cases("layers") if c["class"] in ("SimpleRNN", "LSTM", "GRU")]
LAYERS = {"simple_rnn": layers.SimpleRNN, "lstm": layers.LSTM, "gru": layers.GRU}
CELLS = {"simple_rnn": layers.SimpleRNNCell, "lstm": layers.LSTMCell, "gru": layers.GRUCell}
KINDS = [("simple_rnn", {}), ("lstm", {}), ("gru", {"reset_after": True}),
         ("gru", {"reset_after": False})]
KIND_IDS = ["simple_rnn", "lstm", "gru_reset_after", "gru_reset_before"]


def to_numpy(x):
    return ops.convert_to_numpy(x)


def built_layer(kind, weights, **kwargs):
    """A layer of `kind` built for (2, 3, 3) inputs, holding `weights`."""
    layer = LAYERS[kind](weights[1].shape[0], **kwargs)
    layer.build((2, 3, 3))
    layer.set_weights([w for w in weights if w is not None])
    return layer


def use_weights(layer, kernel, recurrent_kernel, bias):
    """Points the layer's cell at the given tensors, so gradients reach them."""
    cell = layer.cell
    cell._set_untracked("kernel", kernel)
    cell._set_untracked("recurrent_kernel", recurrent_kernel)
    cell._set_untracked("bias", bias)


@pytest.mark.parametrize("case", GOLDEN, ids=case_ids(GOLDEN))
def test_matches_keras_golden(case):
    layer = getattr(layers, case["class"])(**case["config"])
    x = case["arrays"]["x"]
    layer.build(x.shape)
    assert [w.name for w in layer.weights] == [n.rsplit("/", 1)[1] for n in case["weight_names"]]
    layer.set_weights([case["arrays"][f"w{i}"] for i in range(case["n_weights"])])
    y = layer(x, **case["call_kwargs"])
    ys = y if isinstance(y, list) else [y]
    expected = ([case["arrays"]["y"]] if "y" in case["arrays"]
                else [case["arrays"][f"y{i}"] for i in range(case["n_outputs"])])
    assert len(ys) == len(expected)
    for got, want in zip(ys, expected):
        np.testing.assert_allclose(to_numpy(got), want, rtol=1e-4, atol=1e-4)
    config = layer.get_config()
    assert set(config) == set(case["keras_config"])
    for key, value in case["keras_config"].items():
        if isinstance(value, (bool, int, float, str)) and key not in ("name", "dtype"):
            assert config[key] == value, key
    assert layer.compute_output_shape(x.shape) == (
        [tuple(e.shape) for e in expected] if len(expected) > 1 else tuple(expected[0].shape))
    keras_layer = deserialize_keras_object({"module": "keras.layers", "class_name": case["class"],
                                            "config": case["keras_config"]})
    keras_layer.build(x.shape)
    keras_layer.set_weights(layer.get_weights())
    out = keras_layer(x)
    np.testing.assert_allclose(to_numpy(out[0] if isinstance(out, list) else out),
                               to_numpy(ys[0]), rtol=1e-6)


OPTIONS = [
    ("last", {}),
    ("sequences", {"return_sequences": True}),
    ("state", {"return_state": True}),
    ("sequences_state", {"return_sequences": True, "return_state": True}),
    ("backwards", {"go_backwards": True, "return_sequences": True}),
    ("mask", {"return_sequences": True, "mask": True}),
    ("mask_backwards_state", {"go_backwards": True, "return_state": True, "mask": True}),
    ("initial_state", {"return_sequences": True, "initial_state": True}),
]


def _layer_and_reference(kind, extra, options):
    x, kernel, rkernel, bias, states = make_inputs(kind, **extra)
    options = dict(options)
    use_mask = options.pop("mask", False)
    use_states = options.pop("initial_state", False)
    call_kwargs = {}
    if use_mask:
        call_kwargs["mask"] = MASK
    if use_states:
        call_kwargs["initial_state"] = states
    outputs, finals = reference(kind, x, kernel, rkernel, bias,
                                states if use_states else None,
                                mask=MASK if use_mask else None,
                                go_backwards=options.get("go_backwards", False), **extra)
    expected = outputs if options.get("return_sequences") else outputs[:, -1]
    if options.get("return_state"):
        expected = [expected] + finals
    return (x, kernel, rkernel, bias), {**options, **extra}, call_kwargs, expected


@pytest.mark.parametrize("kind,extra", KINDS, ids=KIND_IDS)
@pytest.mark.parametrize("name,options", OPTIONS, ids=[o[0] for o in OPTIONS])
def test_forward_matches_reference(kind, extra, name, options):
    (x, *weights), layer_kwargs, call_kwargs, expected = _layer_and_reference(kind, extra, options)
    with float64():
        layer = built_layer(kind, weights, **layer_kwargs)
        got = layer(x, **call_kwargs)
    if isinstance(expected, list):
        assert isinstance(got, list) and len(got) == len(expected)
        for g, e in zip(got, expected):
            np.testing.assert_allclose(to_numpy(g), e, rtol=1e-10, atol=1e-12)
    else:
        np.testing.assert_allclose(to_numpy(got), expected, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("kind,extra", KINDS, ids=KIND_IDS)
@pytest.mark.parametrize("name,options", OPTIONS, ids=[o[0] for o in OPTIONS])
def test_gradients_match_finite_differences(kind, extra, name, options):
    (x, *weights), layer_kwargs, call_kwargs, _ = _layer_and_reference(kind, extra, options)
    with float64():
        layer = built_layer(kind, weights, **layer_kwargs)

    def fn(x, kernel, rkernel, bias):
        use_weights(layer, kernel, rkernel, bias)
        out = layer(x, **call_kwargs)
        outs = out if isinstance(out, list) else [out]
        return ops.concatenate([ops.reshape(o, (o.shape[0], -1)) for o in outs], axis=1)

    check_gradients(fn, [x, *weights])


def test_initial_state_given_in_the_input_list():
    """Keras 2 style `layer([x, h0, c0])` equals `layer(x, initial_state=[h0, c0])`."""
    x, kernel, rkernel, bias, states = make_inputs("lstm")
    with float64():
        layer = layers.LSTM(2, return_sequences=True)
        got = layer([x, *states])
        layer.set_weights([kernel, rkernel, bias])
        got = layer([x, *states])
    np.testing.assert_allclose(to_numpy(got), reference("lstm", x, kernel, rkernel, bias,
                                                        states)[0], rtol=1e-10)


@pytest.mark.parametrize("kind,extra", KINDS, ids=KIND_IDS)
def test_stateful_carries_states_between_calls(kind, extra):
    x, kernel, rkernel, bias, _ = make_inputs(kind, **extra)
    with float64():
        layer = built_layer(kind, (kernel, rkernel, bias), stateful=True, return_state=True,
                            **extra)
        first = layer(x[:, :2])
        second = layer(x[:, 2:])
    _, finals = reference(kind, x[:, :2], kernel, rkernel, bias, **extra)
    for got, want in zip(first[1:], finals):
        np.testing.assert_allclose(to_numpy(got), want, rtol=1e-10)
    for var, want in zip(layer.states, reference(kind, x, kernel, rkernel, bias, **extra)[1]):
        np.testing.assert_allclose(to_numpy(var), want, rtol=1e-10)
    np.testing.assert_allclose(to_numpy(second[0]),
                               reference(kind, x, kernel, rkernel, bias, **extra)[0][:, -1],
                               rtol=1e-10)
    assert all(w.trainable for w in layer.weights) and len(layer.weights) == 3
    layer.reset_states()
    assert all(np.all(to_numpy(v) == 0) for v in layer.states)
    with float64():
        again = layer(x[:, :2])
    np.testing.assert_allclose(to_numpy(again[0]), to_numpy(first[0]), rtol=1e-12)


@pytest.mark.parametrize("kind,extra", KINDS, ids=KIND_IDS)
def test_stateful_gradients(kind, extra):
    """Gradients of a call that starts from the stored states (set by reset_states)."""
    x, kernel, rkernel, bias, states = make_inputs(kind, **extra)
    with float64():
        layer = built_layer(kind, (kernel, rkernel, bias), stateful=True,
                            return_sequences=True, **extra)
    _, finals = reference(kind, x, kernel, rkernel, bias, states, **extra)

    def fn(x, kernel, rkernel, bias):
        layer.reset_states(states)
        use_weights(layer, kernel, rkernel, bias)
        return layer(x)

    check_gradients(fn, [x, kernel, rkernel, bias])
    with float64():
        fn(x, kernel, rkernel, bias)
    for var, want in zip(layer.states, finals):
        np.testing.assert_allclose(to_numpy(var), want, rtol=1e-10)


@pytest.mark.parametrize("batch_size", [2, None])
def test_stateful_layer_in_a_model(batch_size):
    """Building a model (shape inference on placeholders) leaves the states at zero;
    each call then continues from the previous one until reset_states()."""
    x = np.random.default_rng(0).standard_normal((2, 3, 4)).astype("float32")
    model = kerasx.Sequential([kerasx.Input(shape=(3, 4), batch_size=batch_size),
                               layers.LSTM(2, stateful=True, bias_initializer="ones")])
    layer = model.layers[0]
    assert layer.states is None or all(np.all(to_numpy(s) == 0) for s in layer.states)
    first, second = to_numpy(model(x)), to_numpy(model(x))
    assert not np.allclose(first, second)
    layer.reset_states()
    np.testing.assert_allclose(to_numpy(model(x)), first, rtol=1e-6)
    if batch_size is not None:
        with pytest.raises(ValueError, match=r"built for batches of 2 samples but received a batch of 3"):
            model(np.concatenate([x, x[:1]]))


def test_masking_layer_feeds_the_mask():
    x, kernel, rkernel, bias, _ = make_inputs("lstm")
    padded = x.copy()
    padded[~MASK] = 0.0
    with float64():
        masking = layers.Masking(0.0)
        lstm = built_layer("lstm", (kernel, rkernel, bias), return_sequences=True,
                           return_state=True)
        out = lstm(masking(padded))
    want, finals = reference("lstm", padded, kernel, rkernel, bias, mask=MASK)
    np.testing.assert_allclose(to_numpy(out[0]), want, rtol=1e-10)
    np.testing.assert_allclose(to_numpy(out[2]), finals[1], rtol=1e-10)
    np.testing.assert_array_equal(to_numpy(out[0]._keras_mask), MASK)


def test_padded_timesteps_keep_the_previous_state():
    """A sequence padded at the end gives the same final state as the unpadded one."""
    x, kernel, rkernel, bias, _ = make_inputs("gru")
    with float64():
        layer = built_layer("gru", (kernel, rkernel, bias))
        short = layer(x[:, :2])
        padded = layer(np.concatenate([x[:, :2], np.zeros((2, 1, 3))], axis=1),
                       mask=np.array([[True, True, False]] * 2))
    np.testing.assert_allclose(to_numpy(padded), to_numpy(short), rtol=1e-12)


@pytest.mark.parametrize("kind,extra", KINDS, ids=KIND_IDS)
def test_per_step_loop_matches_the_fused_op(kind, extra):
    """An activation the fused op cannot take (a custom callable) runs the per-step
    cell loop; with tanh as that callable both paths agree, masks and all."""
    x, kernel, rkernel, bias, states = make_inputs(kind, **extra)
    kwargs = dict(return_sequences=True, return_state=True, go_backwards=True, **extra)
    with float64():
        fused = built_layer(kind, (kernel, rkernel, bias), **kwargs)
        looped = built_layer(kind, (kernel, rkernel, bias), activation=lambda v: ops.tanh(v),
                             **kwargs)
        for zero in (False, True):
            fused.zero_output_for_mask = looped.zero_output_for_mask = zero
            a = fused(x, mask=MASK, initial_state=states)
            b = looped(x, mask=MASK, initial_state=states)
            for p, q in zip(a, b):
                np.testing.assert_allclose(to_numpy(p), to_numpy(q), rtol=1e-10, atol=1e-12)

    def fn(x, kernel, rkernel, bias):
        use_weights(looped, kernel, rkernel, bias)
        return looped(x, mask=MASK)[0]

    with float64():
        check_gradients(fn, [x, kernel, rkernel, bias])


@pytest.mark.parametrize("kind", ["simple_rnn", "lstm", "gru"])
def test_other_activations_and_no_bias(kind):
    x, kernel, rkernel, _, _ = make_inputs(kind, seed=2)
    acts = {"activation": "relu"} if kind == "simple_rnn" else \
        {"activation": "relu", "recurrent_activation": "hard_sigmoid"}
    want, _ = reference(kind, x, kernel, rkernel, None, act="relu",
                        ract=acts.get("recurrent_activation", "sigmoid"))
    with float64():
        layer = built_layer(kind, (kernel, rkernel, None), use_bias=False,
                            return_sequences=True, **acts)
        got = layer(x)
    assert len(layer.weights) == 2
    np.testing.assert_allclose(to_numpy(got), want, rtol=1e-10)


def test_gelu_activation_falls_back_to_the_loop():
    x, kernel, rkernel, bias, _ = make_inputs("lstm")
    gelu = lambda v: 0.5 * v * (1 + np.tanh(np.sqrt(2 / np.pi) * (v + 0.044715 * v ** 3)))  # noqa: E731
    want, _ = reference("lstm", x, kernel, rkernel, bias, act=gelu)
    with float64():
        layer = built_layer("lstm", (kernel, rkernel, bias), activation=kerasx.activations.gelu,
                            return_sequences=True)
        layer.cell.activation = lambda v: kerasx.activations.gelu(v, approximate=True)
        got = layer(x)
    np.testing.assert_allclose(to_numpy(got), want, rtol=1e-9, atol=1e-12)


# -- dropout ----------------------------------------------------------------------------------

@pytest.mark.parametrize("kind,extra", KINDS, ids=KIND_IDS)
@pytest.mark.parametrize("recurrent", [False, True])
def test_dropout_masks_are_drawn_once_per_sequence(kind, extra, recurrent):
    """Training applies one mask per sequence (one per gate with recurrent dropout,
    as Keras's implementation 1); the result equals the reference with those masks."""
    x, kernel, rkernel, bias, _ = make_inputs(kind, **extra)
    with float64():
        layer = built_layer(kind, (kernel, rkernel, bias), return_sequences=True, dropout=0.4,
                            recurrent_dropout=0.3 if recurrent else 0.0, **extra)
    cell, drawn = layer.cell, []
    original = cell._create_dropout_mask

    def spy(step_input, rate):
        mask = original(step_input, rate)
        drawn.append(mask)
        return mask

    cell._create_dropout_mask = spy
    with float64():
        got = layer(x, training=True)
        inference = layer(x)
    gates = {"simple_rnn": 1, "lstm": 4, "gru": 3}[kind]
    assert len(drawn) == (2 if recurrent else 1)
    dmask = current().to_numpy(drawn[0])
    rmask = current().to_numpy(drawn[1]) if recurrent else None
    per_gate = recurrent and kind != "simple_rnn"
    assert dmask.shape == ((gates,) if per_gate else ()) + (2, 3)
    assert set(np.unique(dmask)) <= {0.0, 1 / 0.6}
    want, _ = reference(kind, x, kernel, rkernel, bias, dmask=dmask, rmask=rmask, **extra)
    np.testing.assert_allclose(to_numpy(got), want, rtol=1e-10)
    np.testing.assert_allclose(to_numpy(inference), reference(kind, x, kernel, rkernel, bias,
                                                              **extra)[0], rtol=1e-10)
    assert cell._dropout_mask is None


def test_dropout_seed_is_repeatable_and_training_changes_output():
    x = np.random.default_rng(0).standard_normal((4, 5, 3)).astype("float32")
    outs = []
    for _ in range(2):
        kerasx.utils.set_random_seed(3)
        layer = layers.GRU(4, dropout=0.5, recurrent_dropout=0.5, seed=7)
        outs.append(to_numpy(layer(x, training=True)))
        plain = to_numpy(layer(x))
    np.testing.assert_array_equal(outs[0], outs[1])
    assert not np.allclose(outs[0], plain)


# -- cells and the generic RNN -------------------------------------------------------------

@pytest.mark.parametrize("kind,extra", KINDS, ids=KIND_IDS)
def test_cell_step_matches_reference(kind, extra):
    from tests.ops.test_rnn_ops import reference_step

    x, kernel, rkernel, bias, states = make_inputs(kind, **extra)
    with float64():
        cell = CELLS[kind](2, **extra)
        cell.build((2, 3))
        cell.set_weights([kernel, rkernel, bias])
        out, new = cell(x[:, 0], [ops.convert_to_tensor(s) for s in states])
    want = reference_step(kind, x[:, 0], states, kernel, rkernel, bias, **extra)
    np.testing.assert_allclose(to_numpy(out), want[0], rtol=1e-10)
    for g, w in zip(new, want):
        np.testing.assert_allclose(to_numpy(g), w, rtol=1e-10)


@pytest.mark.parametrize("kind,extra", KINDS, ids=KIND_IDS)
def test_rnn_of_builtin_cell_equals_the_layer(kind, extra):
    x, kernel, rkernel, bias, _ = make_inputs(kind, **extra)
    with float64():
        rnn = layers.RNN(CELLS[kind](2, **extra), return_sequences=True, go_backwards=True)
        rnn.build((2, 3, 3))
        rnn.set_weights([kernel, rkernel, bias])
        got = rnn(x, mask=MASK)
    want, _ = reference(kind, x, kernel, rkernel, bias, mask=MASK, go_backwards=True, **extra)
    np.testing.assert_allclose(to_numpy(got), want, rtol=1e-10)
    assert got.node is None
    config = rnn.get_config()
    assert config["cell"]["class_name"] == CELLS[kind].__name__
    clone = layers.RNN.from_config(config)
    assert clone.go_backwards and clone.return_sequences and clone.cell.units == 2


class MinimalRNNCell(layers.Layer):
    """The custom cell of the Keras RNN docstring: output = x @ W + h @ U, two states."""

    def __init__(self, units, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.state_size = [units, 1]

    def build(self, input_shape):
        self.kernel = self.add_weight((input_shape[-1], self.units), "glorot_uniform", name="kernel")
        self.recurrent_kernel = self.add_weight((self.units, self.units), "orthogonal",
                                                name="recurrent_kernel")

    def call(self, inputs, states):
        h = ops.matmul(inputs, self.kernel) + ops.matmul(states[0], self.recurrent_kernel)
        return h, [h, states[1] + 1.0]


def test_generic_rnn_runs_any_cell_with_masks_and_gradients():
    rng = np.random.default_rng(4)
    x = rng.standard_normal((2, 3, 3))
    w, u = rng.standard_normal((3, 2)) * 0.5, rng.standard_normal((2, 2)) * 0.5

    def want(go_backwards):
        h, count, outs = np.zeros((2, 2)), np.zeros((2, 1)), []
        for t in (range(2, -1, -1) if go_backwards else range(3)):
            m = MASK[:, t][:, None]
            new = x[:, t] @ w + h @ u
            h, count = np.where(m, new, h), np.where(m, count + 1, count)
            outs.append(h)
        return np.stack(outs, 1), count

    for go_backwards in (False, True):
        with float64():
            rnn = layers.RNN(MinimalRNNCell(2), return_sequences=True, return_state=True,
                             go_backwards=go_backwards)
            rnn.build((2, 3, 3))
            rnn.set_weights([w, u])
            seq, h, count = rnn(x, mask=MASK)
        outs, counts = want(go_backwards)
        np.testing.assert_allclose(to_numpy(seq), outs, rtol=1e-12)
        np.testing.assert_allclose(to_numpy(count), counts)

    def fn(x, w, u):
        rnn.cell._set_untracked("kernel", w)
        rnn.cell._set_untracked("recurrent_kernel", u)
        return rnn(x, mask=MASK)[0]

    with float64():
        check_gradients(fn, [x, w, u])


def test_lstm_trains_in_a_sequential_model():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((64, 5, 3)).astype("float32")
    y = (x[:, :, 0].sum(axis=1) > 0).astype("int64")
    model = kerasx.Sequential([kerasx.Input(shape=(5, 3)), layers.LSTM(8),
                               layers.Dense(2, activation="softmax")])
    model.compile(optimizer=kerasx.optimizers.Adam(0.02), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    history = model.fit(x, y, epochs=20, batch_size=16, verbose=0)
    assert history.history["loss"][-1] < 0.5 * history.history["loss"][0]
    assert history.history["accuracy"][-1] > 0.9
    assert model.layers[0].compute_output_shape((None, 5, 3)) == (None, 8)


def test_config_round_trip_gives_the_same_layer():
    layer = layers.LSTM(3, return_sequences=True, go_backwards=True, dropout=0.2,
                        recurrent_dropout=0.1, unit_forget_bias=False, seed=5,
                        kernel_regularizer="l2", activation="relu")
    clone = layers.LSTM.from_config(layer.get_config())
    assert clone.get_config() == layer.get_config()
    assert clone.units == 3 and clone.cell.name == "lstm_cell"
    gru = layers.GRU(2, reset_after=False)
    assert layers.GRU.from_config(gru.get_config()).reset_after is False


def test_unit_forget_bias_initializes_the_forget_gate_to_one():
    layer = layers.LSTM(3)
    layer.build((None, 4, 2))
    bias = to_numpy(layer.cell.bias)
    np.testing.assert_array_equal(bias, [0, 0, 0, 1, 1, 1, 0, 0, 0, 0, 0, 0])
    kernel = to_numpy(layer.cell.recurrent_kernel)
    np.testing.assert_allclose(kernel @ kernel.T, np.eye(3), atol=1e-5)
    assert to_numpy(layers.GRU(2).cell.__class__(2).get_initial_state(4)[0]).shape == (4, 2)


def test_regularizers_add_losses():
    layer = layers.SimpleRNN(2, kernel_regularizer="l2", recurrent_regularizer="l1",
                             activity_regularizer="l2")
    layer(np.ones((2, 3, 3), "float32"))
    assert len(layer.losses) == 3


# -- bad input --------------------------------------------------------------------------------

@pytest.mark.parametrize("kind", ["simple_rnn", "lstm", "gru"])
def test_two_dimensional_input_is_rejected(kind):
    layer = LAYERS[kind](4)
    cls = layer.__class__.__name__
    with pytest.raises(ValueError, match=rf"{cls} layer '{layer.name}' expects 3-D inputs \(batch, timesteps, features\), received input of shape \(2, 5\)\. .*add a time axis"):
        layer(np.zeros((2, 5), "float32"))


def test_initial_state_of_wrong_shape_is_rejected():
    layer = layers.LSTM(4)
    x = np.zeros((2, 3, 5), "float32")
    with pytest.raises(ValueError, match=r"LSTM layer 'lstm' expects initial_state to be 2 tensor\(s\) of shape \[\(2, 4\), \(2, 4\)\] \(batch, state size\), received 2 with shape\(s\) \[\(2, 4\), \(2, 3\)\]"):
        layer(x, initial_state=[np.zeros((2, 4), "float32"), np.zeros((2, 3), "float32")])
    with pytest.raises(ValueError, match=r"received 1 with shape\(s\) \[\(2, 4\)\]"):
        layer(x, initial_state=np.zeros((2, 4), "float32"))
    with pytest.raises(ValueError, match=r"GRU layer 'gru' expects initial_state to be 1 tensor\(s\) of shape \(2, 4\)"):
        layers.GRU(4)(x, initial_state=np.zeros((3, 4), "float32"))


def test_other_bad_input_is_rejected():
    layer = layers.GRU(2)
    layer(np.zeros((2, 3, 4), "float32"))
    with pytest.raises(ValueError, match=r"was built for 4 features per timestep but received inputs of shape \(2, 3, 5\)"):
        layer(np.zeros((2, 3, 5), "float32"))
    with pytest.raises(ValueError, match=r"units must be a positive integer, received units=0"):
        layers.LSTM(0)
    with pytest.raises(ValueError, match=r"mask of a recurrent layer must have shape \(batch, timesteps\) = \(2, 3\), received shape \(2, 4\)"):
        layer(np.zeros((2, 3, 4), "float32"), mask=np.ones((2, 4), bool))
    stateful = layers.SimpleRNN(2, stateful=True)
    stateful.build((2, 3, 4))
    with pytest.raises(ValueError, match=r"built for batches of 2 samples but received a batch of 3"):
        stateful(np.zeros((3, 3, 4), "float32"))
    with pytest.raises(ValueError, match=r"needs a `state_size` attribute"):
        layers.RNN(layers.Dense(2))
    with pytest.raises(ValueError, match=r"use_cudnn must be 'auto', True or False"):
        layers.LSTM(2, use_cudnn="yes")
