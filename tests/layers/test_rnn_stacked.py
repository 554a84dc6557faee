"""Stacked recurrent cells: `StackedRNNCells` and `RNN([cell, cell, ...])`: forward
against a float64 NumPy per-timestep reference (masks, direction, states), gradients by
central finite differences, states, dropout, weights and config as Keras, bad input."""

import numpy as np
import pytest

import kerasx
from kerasx import layers, ops
from kerasx.saving.serialization import deserialize_keras_object, serialize_keras_object
from kerasx.testing import check_gradients, float64
from tests.ops.test_rnn_ops import N_STATES, reference_step

B, T, F = 2, 3, 3
MASK = np.array([[True, False, True], [False, True, True]])
CELLS = {"simple_rnn": layers.SimpleRNNCell, "lstm": layers.LSTMCell, "gru": layers.GRUCell}
GATES = {"simple_rnn": 1, "lstm": 4, "gru": 3}
STACKS = {"simple_rnn+gru": [("simple_rnn", 3), ("gru", 2)],
          "lstm+simple_rnn": [("lstm", 3), ("simple_rnn", 3)],
          "gru+lstm": [("gru", 2), ("lstm", 2)]}


def to_numpy(x):
    return ops.convert_to_numpy(x)


def stack_weights(stack, seed=0, features=F):
    """Per cell (kernel, recurrent_kernel, bias) in Keras's shapes, float64."""
    rng = np.random.default_rng(seed)
    out, n_in = [], features
    for kind, units in stack:
        g = GATES[kind]
        bias_shape = (2, g * units) if kind == "gru" else (g * units,)
        out.append((rng.standard_normal((n_in, g * units)) * 0.5,
                    rng.standard_normal((units, g * units)) * 0.5,
                    rng.standard_normal(bias_shape) * 0.5))
        n_in = units
    return out


def initial_states(stack, seed=None):
    rng = None if seed is None else np.random.default_rng(seed)
    return [np.zeros((B, units)) if rng is None else rng.standard_normal((B, units))
            for kind, units in stack for _ in range(N_STATES[kind])]


def reference(stack, x, weights, states, mask=None, go_backwards=False, zero_output=False):
    """The stack over the sequence, written as a plain float64 loop; returns
    (outputs in step order, final states of every cell in cell order)."""
    counts = [N_STATES[kind] for kind, _ in stack]
    starts = np.cumsum([0] + counts)
    states = [np.asarray(s, dtype=np.float64) for s in states]
    prev = np.zeros((x.shape[0], stack[-1][1]))
    outputs = []
    steps = range(x.shape[1])
    for t in (reversed(steps) if go_backwards else steps):
        inp, new = x[:, t], []
        for i, ((kind, _), (k, rk, b)) in enumerate(zip(stack, weights)):
            cell_states = reference_step(kind, inp, states[starts[i]:starts[i + 1]], k, rk, b)
            inp = cell_states[0]
            new.extend(cell_states)
        out = inp
        if mask is not None:
            m = mask[:, t:t + 1]
            out = np.where(m, out, 0.0 if zero_output else prev)
            new = [np.where(m, n, s) for n, s in zip(new, states)]
        states, prev = new, out
        outputs.append(out)
    return np.stack(outputs, 1), states


def built_rnn(stack, weights, **kwargs):
    rnn = layers.RNN([CELLS[kind](units) for kind, units in stack], **kwargs)
    rnn.build((B, T, F))
    rnn.set_weights([w for cell in weights for w in cell])
    return rnn


OPTIONS = [
    ("sequences", {"return_sequences": True}),
    ("last_state", {"return_state": True}),
    ("backwards", {"return_sequences": True, "return_state": True, "go_backwards": True}),
    ("mask", {"return_sequences": True, "return_state": True, "mask": True}),
    ("mask_zero_output", {"return_sequences": True, "mask": True, "zero_output_for_mask": True}),
    ("mask_backwards", {"return_sequences": True, "mask": True, "go_backwards": True}),
    ("initial_state", {"return_sequences": True, "return_state": True, "initial_state": True}),
]


@pytest.mark.parametrize("options", [o for _, o in OPTIONS], ids=[n for n, _ in OPTIONS])
@pytest.mark.parametrize("stack_name", sorted(STACKS))
def test_forward_matches_float64_reference(stack_name, options):
    stack = STACKS[stack_name]
    options = dict(options)
    use_mask, use_init = options.pop("mask", False), options.pop("initial_state", False)
    x = np.random.default_rng(1).standard_normal((B, T, F))
    weights = stack_weights(stack)
    init = initial_states(stack, seed=2 if use_init else None)
    mask = MASK if use_mask else None
    with float64():
        rnn = built_rnn(stack, weights, **options)
        got = rnn(x, mask=mask, initial_state=init if use_init else None)
    outs, finals = reference(stack, x, weights, init, mask, options.get("go_backwards", False),
                             options.get("zero_output_for_mask", False))
    # with return_state, Keras returns one list of final states per cell
    got = [got[0]] + [s for cell_states in got[1:] for s in cell_states] \
        if isinstance(got, list) else [got]
    want = [outs if options.get("return_sequences") else outs[:, -1]]
    if options.get("return_state"):
        want += finals
    assert len(got) == len(want)
    for g, w in zip(got, want):
        np.testing.assert_allclose(to_numpy(g), w, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("options", [{}, {"mask": True, "go_backwards": True}],
                         ids=["plain", "mask_backwards"])
def test_gradients_of_a_two_cell_stack_match_finite_differences(options):
    """Through the inputs, the initial states and every weight of both cells."""
    stack = [("simple_rnn", 2), ("gru", 2)]
    rng = np.random.default_rng(3)
    x = rng.standard_normal((B, T, 2))
    (k1, rk1, b1), (k2, rk2, b2) = stack_weights(stack, seed=4, features=2)
    h1, h2 = rng.standard_normal((B, 2)), rng.standard_normal((B, 2))
    mask = MASK if options.get("mask") else None
    with float64():
        rnn = layers.RNN([layers.SimpleRNNCell(2), layers.GRUCell(2)], return_sequences=True,
                         return_state=True, go_backwards=options.get("go_backwards", False))
        rnn.build((B, T, 2))
    cell1, cell2 = rnn.cell.cells

    def fn(x, h1, h2, k1, rk1, b1, k2, rk2, b2):
        for cell, (k, rk, b) in ((cell1, (k1, rk1, b1)), (cell2, (k2, rk2, b2))):
            cell._set_untracked("kernel", k)
            cell._set_untracked("recurrent_kernel", rk)
            cell._set_untracked("bias", b)
        seq, (s1,), (s2,) = rnn(x, initial_state=[h1, h2], mask=mask)
        return ops.concatenate([ops.reshape(seq, (B, -1)), s1, s2], axis=-1)

    check_gradients(fn, [x, h1, h2, k1, rk1, b1, k2, rk2, b2])


def test_stacked_rnn_cells_instance_equals_a_list_of_cells():
    stack = STACKS["lstm+simple_rnn"]
    weights = stack_weights(stack)
    x = np.random.default_rng(5).standard_normal((B, T, F)).astype("float32")
    a = built_rnn(stack, weights, return_sequences=True)
    b = layers.RNN(layers.StackedRNNCells([layers.LSTMCell(3), layers.SimpleRNNCell(3)]),
                   return_sequences=True)
    b.build((B, T, F))
    b.set_weights(a.get_weights())
    assert isinstance(a.cell, layers.StackedRNNCells)
    np.testing.assert_array_equal(to_numpy(a(x)), to_numpy(b(x)))


def test_states_structure_and_output_shape_as_keras():
    """States: one list per cell (Keras 3.15.1 returns `(output, [h, c], [h])` eagerly and
    gives `((B, 2), [(B, 3), (B, 3)], (B, 2))` as the output shape)."""
    rnn = layers.RNN([layers.LSTMCell(3), layers.GRUCell(2)], return_state=True)
    assert rnn.cell.state_size == [[3, 3], 2]
    assert rnn.cell.output_size == 2
    assert rnn.state_size == [3, 3, 2]
    assert rnn.compute_output_shape((B, T, F)) == [(B, 2), [(B, 3), (B, 3)], (B, 2)]
    out, (h1, c1), (h2,) = rnn(np.ones((B, T, F), "float32"))
    assert [tuple(o.shape) for o in (out, h1, c1, h2)] == [(B, 2), (B, 3), (B, 3), (B, 2)]
    np.testing.assert_array_equal(to_numpy(out), to_numpy(h2))  # GRU output is its h
    inputs = kerasx.Input((T, F))
    symbolic = layers.RNN([layers.LSTMCell(3), layers.GRUCell(2)], return_state=True)(inputs)
    shapes = kerasx.tree.map_structure(lambda s: tuple(s.shape), symbolic)
    # Keras 3.15.1's functional API gives the GRU cell's state bare (as its output shape).
    assert shapes == [(None, 2), [(None, 3), (None, 3)], (None, 2)]


def test_cell_call_keeps_the_structure_of_its_states():
    stack = layers.StackedRNNCells([layers.LSTMCell(3), layers.GRUCell(2)])
    x = np.random.default_rng(6).standard_normal((B, F)).astype("float32")
    nested = stack.get_initial_state(batch_size=B)
    assert [len(s) for s in nested] == [2, 1]
    out, new_nested = stack(x, nested)
    assert [len(s) for s in new_nested] == [2, 1]
    out_flat, new_flat = stack(x, [s for cell in nested for s in cell])
    assert len(new_flat) == 3
    np.testing.assert_array_equal(to_numpy(out), to_numpy(out_flat))
    for a, b in zip([s for cell in new_nested for s in cell], new_flat):
        np.testing.assert_array_equal(to_numpy(a), to_numpy(b))
    np.testing.assert_array_equal(to_numpy(out), to_numpy(new_flat[2]))


def test_nested_initial_state_is_accepted_like_the_flat_one():
    stack = STACKS["lstm+simple_rnn"]
    weights = stack_weights(stack)
    x = np.random.default_rng(7).standard_normal((B, T, F)).astype("float32")
    h, c, h2 = [s.astype("float32") for s in initial_states(stack, seed=8)]
    rnn = built_rnn(stack, weights)
    np.testing.assert_array_equal(to_numpy(rnn(x, initial_state=[h, c, h2])),
                                  to_numpy(rnn(x, initial_state=[[h, c], [h2]])))


def test_stateful_stack_carries_every_cell_state():
    stack = STACKS["simple_rnn+gru"]
    weights = stack_weights(stack)
    x = np.random.default_rng(9).standard_normal((B, 2 * T, F))
    with float64():
        rnn = built_rnn(stack, weights, stateful=True)
        rnn(x[:, :T])
        second = rnn(x[:, T:])
        assert [tuple(v.shape) for v in rnn.states] == [(B, 3), (B, 2)]
        outs, finals = reference(stack, x, weights, initial_states(stack))
        np.testing.assert_allclose(to_numpy(second), outs[:, -1], rtol=1e-10)
        for var, want in zip(rnn.states, finals):
            np.testing.assert_allclose(to_numpy(var), want, rtol=1e-10)
        rnn.reset_states()
        first, _ = reference(stack, x[:, :T], weights, initial_states(stack))
        np.testing.assert_allclose(to_numpy(rnn(x[:, :T])), first[:, -1], rtol=1e-10)


def test_dropout_of_every_cell_is_drawn_once_per_sequence_and_cleared():
    cells = [layers.GRUCell(3, dropout=0.5, recurrent_dropout=0.5, seed=1),
             layers.SimpleRNNCell(2, dropout=0.5, seed=2)]
    rnn = layers.RNN(cells, return_sequences=True)
    x = np.random.default_rng(10).standard_normal((4, T, F)).astype("float32")
    drawn = []
    for cell in cells:
        original = cell._create_dropout_mask

        def spy(step_input, rate, original=original, cell=cell):
            drawn.append((cell.name, tuple(step_input.shape)))
            return original(step_input, rate)

        cell._set_untracked("_create_dropout_mask", spy)
    train = rnn(x, training=True)
    assert sorted(drawn) == sorted([(cells[0].name, (4, F)), (cells[0].name, (4, 3)),
                                    (cells[1].name, (4, 3))])
    for cell in cells:
        assert getattr(cell, "_dropout_mask", None) is None
        assert getattr(cell, "_recurrent_dropout_mask", None) is None
    infer = rnn(x)
    assert not np.allclose(to_numpy(train), to_numpy(infer))
    np.testing.assert_array_equal(to_numpy(infer), to_numpy(rnn(x, training=False)))


def test_weights_in_keras_order():
    rnn = layers.RNN([layers.SimpleRNNCell(3), layers.GRUCell(2)])
    rnn.build((None, T, F))
    assert [(w.name, tuple(w.shape)) for w in rnn.weights] == [
        ("kernel", (F, 3)), ("recurrent_kernel", (3, 3)), ("bias", (3,)),
        ("kernel", (3, 6)), ("recurrent_kernel", (2, 6)), ("bias", (2, 6))]


def test_config_has_keras_keys_and_round_trips():
    rnn = layers.RNN([layers.SimpleRNNCell(3), layers.GRUCell(2, reset_after=False)],
                     return_sequences=True, go_backwards=True)
    rnn.build((B, T, F))
    config = serialize_keras_object(rnn)
    cell = config["config"]["cell"]
    assert (cell["module"], cell["class_name"]) == ("keras.layers", "StackedRNNCells")
    assert set(cell["config"]) == {"name", "trainable", "dtype", "cells"}
    assert [c["class_name"] for c in cell["config"]["cells"]] == ["SimpleRNNCell", "GRUCell"]
    clone = deserialize_keras_object(config)
    assert isinstance(clone.cell, layers.StackedRNNCells)
    assert [type(c) for c in clone.cell.cells] == [layers.SimpleRNNCell, layers.GRUCell]
    assert clone.cell.cells[1].reset_after is False and clone.go_backwards
    clone.build((B, T, F))
    clone.set_weights(rnn.get_weights())
    x = np.random.default_rng(11).standard_normal((B, T, F)).astype("float32")
    np.testing.assert_array_equal(to_numpy(clone(x)), to_numpy(rnn(x)))


def test_trains_in_a_model():
    rng = np.random.default_rng(12)
    x = rng.standard_normal((32, 4, 2)).astype("float32")
    y = x.sum(axis=(1, 2))[:, None].astype("float32")
    model = kerasx.Sequential([kerasx.Input((4, 2)),
                               layers.RNN([layers.LSTMCell(6), layers.GRUCell(4)]),
                               layers.Dense(1)])
    model.compile(optimizer=kerasx.optimizers.Adam(0.03), loss="mse")
    history = model.fit(x, y, batch_size=8, epochs=15, verbose=0)
    assert history.history["loss"][-1] < 0.5 * history.history["loss"][0]


def test_bad_input_is_rejected():
    with pytest.raises(ValueError, match="non-empty list of RNN cells, received cells=\\[\\]"):
        layers.StackedRNNCells([])
    with pytest.raises(ValueError, match="must have a `call` method; received 3"):
        layers.RNN([layers.SimpleRNNCell(2), 3])
    with pytest.raises(ValueError, match="must have a `state_size` attribute"):
        layers.StackedRNNCells([layers.Dense(2)])
    stack = layers.StackedRNNCells([layers.LSTMCell(3), layers.GRUCell(2)])
    x = np.ones((B, F), "float32")
    with pytest.raises(ValueError, match=r"expects 3 state tensor\(s\) \(per cell: \[2, 1\]\), "
                                         r"received 2"):
        stack(x, [np.zeros((B, 3), "float32"), np.zeros((B, 2), "float32")])
    rnn = layers.RNN([layers.LSTMCell(3), layers.GRUCell(2)])
    with pytest.raises(ValueError, match=r"expects initial_state to be 3 tensor\(s\).*"
                                         "received 2.*in cell order"):
        rnn(np.ones((B, T, F), "float32"),
            initial_state=[np.zeros((B, 3), "float32"), np.zeros((B, 2), "float32")])
