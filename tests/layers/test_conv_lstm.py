"""ConvLSTM1D/2D/3D: Keras goldens (layers and a model Keras trained and saved),
forward against a float64 NumPy reference (written here with one convolution per
gate, as the Keras cell does), gradients by finite differences, dropout,
statefulness, training, configs, saving and bad input. Masks are checked against
the reference only: Keras 3 fails on masked ConvLSTM inputs."""

import os

import numpy as np
import pytest

import kerasx
from kerasx import layers, ops
from kerasx.backends import current
from kerasx.layers.rnn.conv_lstm_cell import ConvLSTMCell
from kerasx.saving.serialization import deserialize_keras_object
from kerasx.testing import float64
from tests.golden.loader import GOLDEN_DIR, case_ids, load_cases
from tests.interop.round_trips import assert_real_keras_trains_on
from tests.sampled_gradcheck import check_gradients

CASES = load_cases("conv_lstm")
GOLDEN = [c for c in CASES if c["kind"] == "layer"]
SAVED = next(c for c in CASES if c["kind"] == "saved_model")
CLASSES = {1: layers.ConvLSTM1D, 2: layers.ConvLSTM2D, 3: layers.ConvLSTM3D}
SPATIAL = {1: (5,), 2: (4, 3), 3: (3, 2, 3)}
B, T, C, F = 2, 3, 2, 2
MASK = np.array([[True, False, True], [False, True, True]])


def to_numpy(x):
    return ops.convert_to_numpy(x)


# -- the float64 reference --------------------------------------------------------------------

ACTS = {"tanh": np.tanh, "sigmoid": lambda v: 1.0 / (1.0 + np.exp(-v)),
        "relu": lambda v: np.maximum(v, 0.0),
        "hard_sigmoid": lambda v: np.clip(v / 6.0 + 0.5, 0.0, 1.0)}


def np_conv(x, w, strides, padding, dilation):
    """Channels_last convolution of `x` (N, *S, C) with `w` (*k, C, F), summed offset by offset."""
    rank = x.ndim - 2
    ks = w.shape[:rank]
    windows = [(k - 1) * d + 1 for k, d in zip(ks, dilation)]
    sizes = x.shape[1:-1]
    if padding == "same":
        out = [-(-n // s) for n, s in zip(sizes, strides)]
        total = [max((o - 1) * s + e - n, 0) for o, s, e, n in zip(out, strides, windows, sizes)]
        x = np.pad(x, [(0, 0)] + [(p // 2, p - p // 2) for p in total] + [(0, 0)])
        sizes = x.shape[1:-1]
    out = [(n - e) // s + 1 for n, e, s in zip(sizes, windows, strides)]
    y = np.zeros((x.shape[0], *out, w.shape[-1]))
    for offset in np.ndindex(*ks):
        index = tuple(slice(o * d, o * d + s * (n - 1) + 1, s)
                      for o, d, s, n in zip(offset, dilation, strides, out))
        y += x[(slice(None),) + index] @ w[offset]
    return y


def reference(x, kernel, rkernel, bias, strides=None, padding="valid", dilation=None,
              states=None, mask=None, go_backwards=False, act="tanh", ract="sigmoid",
              dmask=None, rmask=None, zero_output=False):
    """Channels_last ConvLSTM: `(outputs (batch, steps, ...) in processing order, [h, c])`.

    `dmask` / `rmask`: per-gate dropout masks `(4, batch, *step)` (channels_last)."""
    rank = x.ndim - 3
    strides, dilation = strides or (1,) * rank, dilation or (1,) * rank
    fa, fr = ACTS[act], ACTS[ract]
    f = rkernel.shape[-2]
    step_shape = np_conv(x[:, 0], kernel[..., :f], strides, padding, dilation).shape
    h, c = (np.zeros(step_shape), np.zeros(step_shape)) if states is None else states
    outs = []
    for t in (range(x.shape[1] - 1, -1, -1) if go_backwards else range(x.shape[1])):
        z = []
        for g in range(4):
            xg = x[:, t] if dmask is None else x[:, t] * dmask[g]
            hg = h if rmask is None else h * rmask[g]
            cols = slice(g * f, (g + 1) * f)
            z.append(np_conv(xg, kernel[..., cols], strides, padding, dilation)
                     + np_conv(hg, rkernel[..., cols], (1,) * rank, "same", (1,) * rank)
                     + (0.0 if bias is None else bias[cols]))
        c_new = fr(z[1]) * c + fr(z[0]) * fa(z[2])
        h_new = fr(z[3]) * fa(c_new)
        if mask is None:
            out, h, c = h_new, h_new, c_new
        else:
            m = mask[:, t].reshape((-1,) + (1,) * (rank + 1))
            out = np.where(m, h_new, 0.0 if zero_output else h)
            h, c = np.where(m, h_new, h), np.where(m, c_new, c)
        outs.append(out)
    return np.stack(outs, 1), [h, c]


def last_to_first(a, lead):
    """A channels_last array with its channel axis moved to position `lead`."""
    return np.moveaxis(a, -1, lead)


def make_inputs(rank, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((B, T) + SPATIAL[rank] + (C,))
    ks = (2,) * rank
    kernel = rng.standard_normal(ks + (C, 4 * F)) * 0.4
    rkernel = rng.standard_normal(ks + (F, 4 * F)) * 0.4
    bias = rng.standard_normal(4 * F) * 0.3
    return x, kernel, rkernel, bias


def built_layer(rank, weights, input_shape, **kwargs):
    layer = CLASSES[rank](F, weights[0].shape[:rank], **kwargs)
    layer.build(input_shape)
    layer.set_weights([w for w in weights if w is not None])
    return layer


def use_weights(layer, kernel, recurrent_kernel, bias):
    """Points the layer's cell at the given tensors, so gradients reach them."""
    layer.cell._set_untracked("kernel", kernel)
    layer.cell._set_untracked("recurrent_kernel", recurrent_kernel)
    layer.cell._set_untracked("bias", bias)


# -- Keras goldens ----------------------------------------------------------------------------

@pytest.mark.parametrize("case", GOLDEN, ids=case_ids(GOLDEN))
def test_matches_keras_golden(case):
    arrays = case["arrays"]
    layer = getattr(layers, case["class"])(**case["config"])
    x = arrays["x"]
    layer.build(x.shape)
    assert [w.name for w in layer.weights] == [n.rsplit("/", 1)[1] for n in case["weight_names"]]
    assert layer.cell.name == case["weight_names"][0].split("/")[1]
    layer.set_weights([arrays[f"w{i}"] for i in range(case["n_weights"])])
    kwargs = {"initial_state": [arrays["h0"], arrays["c0"]]} if case.get("initial_state") else {}
    y = layer(x, **kwargs)
    ys = y if isinstance(y, list) else [y]
    expected = ([arrays["y"]] if "y" in arrays
                else [arrays[f"y{i}"] for i in range(case["n_outputs"])])
    assert len(ys) == len(expected)
    for got, want in zip(ys, expected):
        np.testing.assert_allclose(to_numpy(got), want, rtol=1e-4, atol=2e-5)
    config = layer.get_config()
    assert set(config) == set(case["keras_config"])
    for key, value in case["keras_config"].items():
        if key in ("name", "dtype"):
            continue
        got = list(config[key]) if isinstance(config[key], tuple) else config[key]
        if isinstance(value, (bool, int, float, str, list)) or value is None:
            assert got == value, key
    shapes = [tuple(e.shape) for e in expected]
    assert layer.compute_output_shape(x.shape) == (shapes if len(shapes) > 1 else shapes[0])
    clone = deserialize_keras_object({"module": "keras.layers", "class_name": case["class"],
                                      "config": case["keras_config"]})
    clone.build(x.shape)
    clone.set_weights(layer.get_weights())
    out = clone(x, **kwargs)
    np.testing.assert_allclose(to_numpy(out[0] if isinstance(out, list) else out),
                               to_numpy(ys[0]), rtol=1e-6)


# -- forward and gradients against the reference ----------------------------------------------

OPTIONS = [
    ("last", 1, {}),
    ("sequences", 2, {"return_sequences": True}),
    ("state", 3, {"return_state": True}),
    ("backwards", 1, {"go_backwards": True, "return_sequences": True}),
    ("mask", 2, {"return_sequences": True, "mask": True}),
    ("mask_backwards_state", 1, {"go_backwards": True, "return_state": True, "mask": True}),
    ("mask_zero_output", 1, {"return_sequences": True, "mask": True,
                             "zero_output_for_mask": True}),
    ("initial_state", 2, {"return_sequences": True, "initial_state": True}),
    ("same", 2, {"padding": "same", "return_sequences": True}),
    ("strides", 2, {"strides": (2, 1), "return_state": True}),
    ("dilation_same", 1, {"dilation_rate": 2, "padding": "same", "return_sequences": True}),
    ("channels_first", 2, {"data_format": "channels_first", "return_sequences": True,
                           "return_state": True, "initial_state": True, "mask": True}),
    ("channels_first_3d", 3, {"data_format": "channels_first", "padding": "same",
                              "go_backwards": True}),
    ("relu_hard_sigmoid_no_bias", 2, {"activation": "relu", "recurrent_activation":
                                      "hard_sigmoid", "use_bias": False,
                                      "return_sequences": True}),
]


def _case(rank, options):
    """Inputs, layer arguments, call arguments and the expected outputs of one option set."""
    options = dict(options)
    use_mask, use_states = options.pop("mask", False), options.pop("initial_state", False)
    channels_first = options.get("data_format") == "channels_first"
    x, kernel, rkernel, bias = make_inputs(rank, seed=rank)
    if not options.get("use_bias", True):
        bias = None
    rng = np.random.default_rng(10 + rank)
    strides = options.get("strides", 1)
    strides = (strides,) * rank if isinstance(strides, int) else strides[:rank]
    options["strides"] = strides
    dilation = (options.get("dilation_rate", 1),) * rank
    padding = options.get("padding", "valid")
    step = np_conv(x[:, 0], kernel[..., :F], strides, padding, dilation).shape
    states = [rng.standard_normal(step), rng.standard_normal(step)] if use_states else None
    outputs, finals = reference(
        x, kernel, rkernel, bias, strides, padding, dilation, states=states,
        mask=MASK if use_mask else None, go_backwards=options.get("go_backwards", False),
        act=options.get("activation", "tanh"),
        ract=options.get("recurrent_activation", "sigmoid"),
        zero_output=options.get("zero_output_for_mask", False))
    seq_out = options.get("return_sequences")
    expected = outputs if seq_out else outputs[:, -1]
    if channels_first:
        x = last_to_first(x, 2)
        expected = last_to_first(expected, 2 if seq_out else 1)
        finals = [last_to_first(s, 1) for s in finals]
        states = None if states is None else [last_to_first(s, 1) for s in states]
    if options.get("return_state"):
        expected = [expected] + finals
    call_kwargs = {}
    if use_mask:
        call_kwargs["mask"] = MASK
    if use_states:
        call_kwargs["initial_state"] = states
    return (x, kernel, rkernel, bias), options, call_kwargs, expected


@pytest.mark.parametrize("name,rank,options", OPTIONS, ids=[o[0] for o in OPTIONS])
def test_forward_matches_reference(name, rank, options):
    (x, *weights), layer_kwargs, call_kwargs, expected = _case(rank, options)
    with float64():
        layer = built_layer(rank, weights, x.shape, **layer_kwargs)
        got = layer(x, **call_kwargs)
    got, expected = (got, expected) if isinstance(expected, list) else ([got], [expected])
    assert len(got) == len(expected)
    for g, e in zip(got, expected):
        np.testing.assert_allclose(to_numpy(g), e, rtol=1e-10, atol=1e-12)
    assert layer.compute_output_shape(x.shape) == (
        [e.shape for e in expected] if len(expected) > 1 else expected[0].shape)


# (option name, rank): 1-D keeps the finite differences cheap; the layer code is the same
# for every rank (the 2-D and 3-D convolution gradients are checked in tests/ops)
GRADIENT_OPTIONS = [("sequences", 1), ("mask_backwards_state", 1), ("initial_state", 1),
                    ("strides", 1), ("channels_first", 1), ("relu_hard_sigmoid_no_bias", 1)]


@pytest.mark.parametrize("name,rank", GRADIENT_OPTIONS, ids=[o[0] for o in GRADIENT_OPTIONS])
def test_gradients_match_finite_differences(name, rank):
    options = next(o[2] for o in OPTIONS if o[0] == name)
    (x, *weights), layer_kwargs, call_kwargs, _ = _case(rank, options)
    with float64():
        layer = built_layer(rank, weights, x.shape, **layer_kwargs)
    states = call_kwargs.pop("initial_state", None)
    inputs = [x, *[w for w in weights if w is not None]] + list(states or [])

    def fn(x, kernel, rkernel, *rest):
        rest = list(rest)
        bias = rest.pop(0) if weights[2] is not None else None
        use_weights(layer, kernel, rkernel, bias)
        out = layer(x, initial_state=rest or None, **call_kwargs)
        outs = out if isinstance(out, list) else [out]
        return ops.concatenate([ops.reshape(o, (o.shape[0], -1)) for o in outs], axis=1)

    check_gradients(fn, inputs)


def test_one_convolution_for_all_inputs_and_one_per_step(monkeypatch):
    """The input convolution of every timestep is one `conv` call (time folded into
    the batch, the four gates at once); each step adds one recurrent convolution."""
    x, kernel, rkernel, bias = make_inputs(2)
    layer = built_layer(2, (kernel, rkernel, bias), x.shape, return_sequences=True)
    calls, original = [], ops.conv

    def counting(inputs, kernel, *args, **kwargs):
        calls.append((tuple(inputs.shape), tuple(kernel.shape)))
        return original(inputs, kernel, *args, **kwargs)

    monkeypatch.setattr(ops, "conv", counting)
    layer(x)
    assert calls[0] == ((B * T,) + SPATIAL[2] + (C,), kernel.shape)
    assert calls[1:] == [((B, 3, 2, F), rkernel.shape)] * T


# -- dropout -----------------------------------------------------------------------------------

def _spy_masks(cell, fixed=None):
    drawn, original = [], cell._create_dropout_mask

    def spy(step_input, rate):
        mask = original(step_input, rate) if fixed is None else fixed[len(drawn) % 2]
        drawn.append(mask)
        return mask

    cell._create_dropout_mask = spy
    return drawn


@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
def test_dropout_masks_are_per_gate_and_drawn_once_per_sequence(data_format):
    x, kernel, rkernel, bias = make_inputs(2)
    first = data_format == "channels_first"
    x_in = last_to_first(x, 2) if first else x
    with float64():
        layer = built_layer(2, (kernel, rkernel, bias), x_in.shape, return_sequences=True,
                            dropout=0.4, recurrent_dropout=0.3, data_format=data_format)
        drawn = _spy_masks(layer.cell)
        got = layer(x_in, training=True)
        inference = layer(x_in)
    assert len(drawn) == 2
    dmask, rmask = (current().to_numpy(m) for m in drawn)
    assert dmask.shape == (4,) + x_in[:, 0].shape
    assert set(np.unique(dmask)) <= {0.0, 1 / 0.6}
    if first:
        dmask, rmask = np.moveaxis(dmask, 2, -1), np.moveaxis(rmask, 2, -1)
    want, _ = reference(x, kernel, rkernel, bias, dmask=dmask, rmask=rmask)
    want_inference, _ = reference(x, kernel, rkernel, bias)
    if first:
        want, want_inference = last_to_first(want, 2), last_to_first(want_inference, 2)
    np.testing.assert_allclose(to_numpy(got), want, rtol=1e-10)
    np.testing.assert_allclose(to_numpy(inference), want_inference, rtol=1e-10)
    assert layer.cell._dropout_mask is None and layer.cell._recurrent_dropout_mask is None


def test_dropout_gradients_match_finite_differences():
    x, kernel, rkernel, bias = make_inputs(1)
    rng = np.random.default_rng(5)
    with float64():
        layer = built_layer(1, (kernel, rkernel, bias), x.shape, return_sequences=True,
                            dropout=0.5, recurrent_dropout=0.5)
        step = layer.cell.compute_output_shape(x[:, 0].shape)
    keep = lambda shape: (rng.uniform(size=(4,) + tuple(shape)) > 0.5) * 2.0  # noqa: E731
    fixed = [current().asarray(keep(x[:, 0].shape)), current().asarray(keep(step))]
    _spy_masks(layer.cell, fixed)

    def fn(x, kernel, rkernel, bias):
        use_weights(layer, kernel, rkernel, bias)
        return layer(x, training=True)

    check_gradients(fn, [x, kernel, rkernel, bias])


def test_dropout_seed_is_repeatable():
    x = np.random.default_rng(0).standard_normal((2, 3, 4, 4, 2)).astype("float32")
    outs = []
    for _ in range(2):
        kerasx.utils.set_random_seed(3)
        layer = layers.ConvLSTM2D(3, 2, dropout=0.5, recurrent_dropout=0.5, seed=7)
        outs.append(to_numpy(layer(x, training=True)))
        plain = to_numpy(layer(x))
    np.testing.assert_array_equal(outs[0], outs[1])
    assert not np.allclose(outs[0], plain)


# -- the cell, states ----------------------------------------------------------------------

@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
def test_cell_step_matches_reference(data_format):
    x, kernel, rkernel, bias = make_inputs(2)
    rng = np.random.default_rng(3)
    step = np_conv(x[:, 0], kernel[..., :F], (1, 1), "same", (1, 1)).shape
    states = [rng.standard_normal(step), rng.standard_normal(step)]
    want, finals = reference(x[:, :1], kernel, rkernel, bias, padding="same", states=states)
    first = data_format == "channels_first"
    move = (lambda a: last_to_first(a, 1)) if first else (lambda a: a)
    with float64():
        cell = ConvLSTMCell(2, F, 2, padding="same", data_format=data_format)
        cell.build(move(x[:, 0]).shape)
        cell.set_weights([kernel, rkernel, bias])
        out, new = cell(move(x[:, 0]), [ops.convert_to_tensor(move(s)) for s in states])
    np.testing.assert_allclose(to_numpy(out), move(want[:, 0]), rtol=1e-10)
    for got, expected in zip(new, finals):
        np.testing.assert_allclose(to_numpy(got), move(expected), rtol=1e-10)
    assert [tuple(s.shape) for s in cell.get_initial_state(4)] == [(4,) + move(
        np.zeros(step)).shape[1:]] * 2


def test_stateful_carries_states_between_calls():
    x, kernel, rkernel, bias = make_inputs(2)
    with float64():
        layer = built_layer(2, (kernel, rkernel, bias), x.shape, stateful=True,
                            return_state=True)
        first = layer(x[:, :2])
        second = layer(x[:, 2:])
    whole, finals = reference(x, kernel, rkernel, bias)
    np.testing.assert_allclose(to_numpy(second[0]), whole[:, -1], rtol=1e-10)
    for var, want in zip(layer.states, finals):
        np.testing.assert_allclose(to_numpy(var), want, rtol=1e-10)
    layer.reset_states()
    assert all(np.all(to_numpy(v) == 0) for v in layer.states)
    with float64():
        again = layer(x[:, :2])
    np.testing.assert_allclose(to_numpy(again[0]), to_numpy(first[0]), rtol=1e-12)
    with pytest.raises(ValueError, match=r"holds states of shape \(2, 3, 2, 2\) but the inputs "
                                         r"need states of shape \(2, 2, 2, 2\)"):
        layer(np.zeros((2, 3, 3, 3, 2)))


def test_initial_state_given_in_the_input_list():
    x, kernel, rkernel, bias = make_inputs(1)
    rng = np.random.default_rng(1)
    states = [rng.standard_normal((B, 4, F)), rng.standard_normal((B, 4, F))]
    with float64():
        layer = built_layer(1, (kernel, rkernel, bias), x.shape, return_sequences=True)
        got = layer([x, *states])
    np.testing.assert_allclose(to_numpy(got),
                               reference(x, kernel, rkernel, bias, states=states)[0], rtol=1e-10)


def test_bidirectional_runs_both_directions():
    x, kernel, rkernel, bias = make_inputs(1)
    with float64():
        wrapper = layers.Bidirectional(layers.ConvLSTM1D(F, 2, return_sequences=True))
        wrapper.build(x.shape)
        wrapper.set_weights([kernel, rkernel, bias, kernel * 0.5, rkernel, bias])
        got = to_numpy(wrapper(x))
    forward, _ = reference(x, kernel, rkernel, bias)
    backward, _ = reference(x, kernel * 0.5, rkernel, bias, go_backwards=True)
    np.testing.assert_allclose(got, np.concatenate([forward, backward[:, ::-1]], -1),
                               rtol=1e-10)


# -- training, configs, saving -------------------------------------------------------------

def test_conv_lstm_trains_in_a_sequential_model():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((48, 3, 5, 5, 1)).astype("float32")
    y = (x[:, :, 1:4, 1:4].mean(axis=(1, 2, 3, 4)) > 0).astype("int64")
    model = kerasx.Sequential([kerasx.Input(shape=(3, 5, 5, 1)),
                               layers.ConvLSTM2D(4, 3, padding="same"),
                               layers.GlobalAveragePooling2D(),
                               layers.Dense(2, activation="softmax")])
    model.compile(optimizer=kerasx.optimizers.Adam(0.03), loss="sparse_categorical_crossentropy")
    history = model.fit(x, y, epochs=12, batch_size=16, verbose=0)
    assert history.history["loss"][-1] < 0.7 * history.history["loss"][0]
    assert model.layers[0].output.shape == (None, 5, 5, 4)


def test_config_round_trip_gives_the_same_layer():
    layer = layers.ConvLSTM3D(3, (2, 3, 2), strides=(1, 2, 1), padding="same",
                              data_format="channels_first", return_sequences=True,
                              go_backwards=True, dropout=0.2, recurrent_dropout=0.1,
                              unit_forget_bias=False, seed=5, kernel_regularizer="l2",
                              activation="relu", activity_regularizer="l1")
    clone = layers.ConvLSTM3D.from_config(layer.get_config())
    assert clone.get_config() == layer.get_config()
    assert clone.cell.name == "conv_lstm_cell"
    assert (clone.filters, clone.kernel_size, clone.strides, clone.padding, clone.data_format,
            clone.dilation_rate) == (3, (2, 3, 2), (1, 2, 1), "same", "channels_first", (1, 1, 1))
    assert clone.dropout == 0.2 and clone.unit_forget_bias is False and clone.seed == 5
    assert "cell" not in layer.get_config()


def test_save_and_load_round_trip(tmp_path):
    rng = np.random.default_rng(2)
    x = rng.standard_normal((4, 3, 6, 2)).astype("float32")
    inputs = kerasx.Input(shape=(3, 6, 2))
    h = layers.ConvLSTM1D(3, 3, padding="same", return_sequences=True)(inputs)
    h = layers.ConvLSTM1D(2, 2, data_format="channels_last")(h)
    model = kerasx.Model(inputs, layers.Dense(1)(layers.Flatten()(h)))
    model.compile(optimizer="adam", loss="mse")
    model.fit(x, rng.standard_normal((4, 1)).astype("float32"), epochs=1, verbose=0)
    path = str(tmp_path / "conv_lstm.keras")
    model.save(path)
    loaded = kerasx.models.load_model(path)
    np.testing.assert_array_equal(model.predict(x, verbose=0), loaded.predict(x, verbose=0))
    assert [type(l).__name__ for l in loaded.layers[1:3]] == ["ConvLSTM1D", "ConvLSTM1D"]


def test_keras_file_loads_predicts_and_trains_on_like_keras(tmp_path):
    """The model Keras trained and saved: same predictions, the same after one more
    step (gradients through both ConvLSTM layers and the optimizer state agree), and
    saved again with the layout Keras writes."""
    from tests.interop.test_interop import archive_layout

    a = SAVED["arrays"]
    path = os.path.join(GOLDEN_DIR, SAVED["file"])
    model = kerasx.models.load_model(path)
    second = model.layers[1]
    assert (second.strides, second.dropout, second.seed) == ((2, 2), 0.2, 1)
    assert model.layers[0].go_backwards and model.layers[0].return_sequences
    np.testing.assert_allclose(model.predict(a["x"], verbose=0), a["pred"], atol=1e-5)
    out = str(tmp_path / "again.keras")
    model.save(out)
    assert archive_layout(out) == archive_layout(path)
    second.cell.dropout = 0.0  # as in Keras's step
    model.train_on_batch(a["step_x"], a["step_y"])
    np.testing.assert_allclose(model.predict(a["x"], verbose=0), a["after_step"], atol=1e-5)


def test_real_keras_loads_kerasx_conv_lstm_models(tmp_path):
    """A model built and trained in kerasx loads in real Keras, predicts the same and
    trains on from the same optimizer state."""
    kerasx.utils.set_random_seed(2)
    rng = np.random.default_rng(4)
    x = rng.standard_normal((16, 3, 4, 6, 2)).astype("float32")
    y = rng.standard_normal((16, 2)).astype("float32")
    model = kerasx.Sequential([
        kerasx.Input((3, 4, 6, 2)),
        layers.ConvLSTM2D(3, (2, 3), padding="same", return_sequences=True,
                          data_format="channels_first"),
        layers.ConvLSTM2D(2, 2, recurrent_activation="hard_sigmoid", go_backwards=True),
        layers.Flatten(), layers.Dense(2)])
    model.compile(optimizer=kerasx.optimizers.Adam(0.01), loss="mse")
    model.fit(x, y, epochs=2, batch_size=8, shuffle=False, verbose=0)
    assert_real_keras_trains_on(tmp_path, "conv_lstm_model", model, x[:4], x[8:16], y[8:16])


def test_unit_forget_bias_and_orthogonal_recurrent_kernel():
    layer = layers.ConvLSTM2D(3, 2)
    layer.build((None, 4, 5, 5, 2))
    np.testing.assert_array_equal(to_numpy(layer.cell.bias), [0] * 3 + [1] * 3 + [0] * 6)
    recurrent = to_numpy(layer.cell.recurrent_kernel)
    assert recurrent.shape == (2, 2, 3, 12)
    flat = recurrent.reshape(-1, 12)
    np.testing.assert_allclose(flat.T @ flat, np.eye(12), atol=1e-5)
    off = layers.ConvLSTM2D(3, 2, unit_forget_bias=False, bias_initializer="ones")
    off.build((None, 4, 5, 5, 2))
    np.testing.assert_array_equal(to_numpy(off.cell.bias), np.ones(12))


def test_regularizers_add_losses():
    layer = layers.ConvLSTM1D(2, 2, kernel_regularizer="l2", recurrent_regularizer="l1",
                              bias_regularizer="l2", activity_regularizer="l2")
    layer(np.ones((2, 3, 4, 3), "float32"))
    assert len(layer.losses) == 4


# -- bad input ---------------------------------------------------------------------------------

def test_wrong_input_rank_is_rejected():
    with pytest.raises(ValueError, match=r"ConvLSTM2D layer 'conv_lstm2d' expects 5-D inputs "
                                         r"\(batch, timesteps, rows, cols, channels\), received "
                                         r"input of shape \(2, 5, 5, 3\)\. .*add a time axis"):
        layers.ConvLSTM2D(2, 3)(np.zeros((2, 5, 5, 3), "float32"))
    with pytest.raises(ValueError, match=r"expects 4-D inputs \(batch, timesteps, channels, "
                                         r"rows\)"):
        layers.ConvLSTM1D(2, 3, data_format="channels_first")(np.zeros((2, 3, 4), "float32"))


def test_bad_arguments_are_rejected():
    with pytest.raises(ValueError, match=r"`padding` must be one of \['valid', 'same'\], "
                                         r"received padding='causal'"):
        layers.ConvLSTM1D(2, 3, padding="causal")
    with pytest.raises(ValueError, match=r"Invalid value for argument `filters`. Expected a "
                                         r"strictly positive value. Received filters=0"):
        layers.ConvLSTM2D(0, 3)
    with pytest.raises(ValueError, match=r"Specifying `strides > 1` is not compatible with `dilation_rate > 1`"):
        layers.ConvLSTM2D(2, 3, strides=2, dilation_rate=2)
    with pytest.raises(ValueError, match=r"`kernel_size` must have 3 entries"):
        layers.ConvLSTM3D(2, (3, 3))
    with pytest.raises(ValueError, match=r"`data_format` must be 'channels_last' or "
                                         r"'channels_first'"):
        layers.ConvLSTM2D(2, 3, data_format="NHWC")


def test_bad_shapes_are_rejected():
    layer = layers.ConvLSTM2D(2, 3)
    layer(np.zeros((2, 3, 5, 5, 4), "float32"))
    with pytest.raises(ValueError, match=r"was built for inputs with 4 channels on axis -1 "
                                         r"\(data_format='channels_last'\), but received inputs "
                                         r"of shape \(2, 3, 5, 5, 3\)"):
        layer(np.zeros((2, 3, 5, 5, 3), "float32"))
    with pytest.raises(ValueError, match=r"kernel \(effective size 3 with dilation\) is larger "
                                         r"than the input along spatial axis 1 \(size 2\)"):
        layers.ConvLSTM2D(2, 3)(np.zeros((2, 3, 5, 2, 4), "float32"))
    with pytest.raises(ValueError, match=r"expects initial_state to be 2 tensors \[h, c\] of "
                                         r"shape \(2, 3, 3, 2\), received 2 with shape\(s\) "
                                         r"\[\(2, 3, 3, 2\), \(2, 5, 5, 2\)\]"):
        layer(np.zeros((2, 3, 5, 5, 4), "float32"),
              initial_state=[np.zeros((2, 3, 3, 2), "float32"),
                             np.zeros((2, 5, 5, 2), "float32")])
    with pytest.raises(ValueError, match=r"needs known spatial dimensions"):
        layers.ConvLSTM2D(2, 3).build((None, 3, None, 5, 4))
    with pytest.raises(ValueError, match=r"mask of a recurrent layer must have shape "
                                         r"\(batch, timesteps\) = \(2, 3\)"):
        layer(np.zeros((2, 3, 5, 5, 4), "float32"), mask=np.ones((2, 3, 5), bool))
