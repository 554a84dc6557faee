"""Control flow (`cond`, `switch`, `while_loop`, `fori_loop`, `scan`, `associative_scan`,
`map`, `vectorized_map`) with Keras 3's eager semantics: values against plain Python
loops over NumPy, gradients through the loops against finite differences, nested
loop state, bad arguments, and use on symbolic tensors in a functional model."""

import numpy as np
import pytest

import kerasx
from kerasx import GradientTape, Variable, ops
from kerasx.testing import OpCase, check_op_case
from tests.conftest import to_numpy

rng = np.random.default_rng(3)
SEQ = rng.standard_normal((5, 3))
H0 = rng.standard_normal((3,))
W = rng.uniform(-0.8, 0.8, (3,))
VEC = rng.uniform(0.5, 1.5, (4,))


def _rnn_reference(h0, xs, w, reverse=False):
    h, ys = h0, [None] * len(xs)
    for i in (reversed(range(len(xs))) if reverse else range(len(xs))):
        h = np.tanh(h * w + xs[i])
        ys[i] = h * 2.0
    return np.concatenate([np.stack(ys).ravel(), h])


def _rnn(h0, xs, w, reverse=False):
    carry, ys = ops.scan(lambda h, x: (ops.tanh(h * w + x), ops.tanh(h * w + x) * 2.0),
                         h0, xs, reverse=reverse)
    return ops.concatenate([ops.reshape(ys, (-1,)), carry])


def _fori(x):
    return ops.fori_loop(0, 4, lambda i, v: v * x + float(i), x)


def _fori_reference(x):
    v = x
    for i in range(4):
        v = v * x + i
    return v


def _while(x):
    _, v = ops.while_loop(lambda i, v: i < 3, lambda i, v: (i + 1, ops.sin(v) * x), (0, x))
    return v


def _while_reference(x):
    v = x
    for _ in range(3):
        v = np.sin(v) * x
    return v


def _linear_recurrence(a, b):
    """h_t = a_t h_{t-1} + b_t as an associative scan of the pairs (a, b)."""
    def combine(first, second):
        return first[0] * second[0], second[0] * first[1] + second[1]

    return ops.associative_scan(combine, (a, b), axis=0)[1]


def _linear_recurrence_reference(a, b):
    h, out = np.zeros_like(b[0]), []
    for t in range(len(a)):
        h = a[t] * h + b[t]
        out.append(h)
    return np.stack(out)


CASES = [
    OpCase("scan_rnn", _rnn, _rnn_reference, [H0, SEQ, W]),
    OpCase("scan_rnn_reverse", lambda h, x, w: _rnn(h, x, w, reverse=True),
           lambda h, x, w: _rnn_reference(h, x, w, reverse=True), [H0, SEQ, W]),
    OpCase("fori_loop", _fori, _fori_reference, [VEC]),
    OpCase("while_loop", _while, _while_reference, [VEC]),
    OpCase("associative_scan_sum", lambda x: ops.associative_scan(lambda a, b: a + b, x, axis=1),
           lambda x: np.cumsum(x, axis=1), [rng.standard_normal((2, 7, 3))]),
    OpCase("associative_scan_reverse",
           lambda x: ops.associative_scan(lambda a, b: a * b, x, reverse=True),
           lambda x: np.cumprod(x[::-1], axis=0)[::-1], [rng.uniform(0.5, 1.5, (6, 2))]),
    OpCase("associative_scan_pairs", _linear_recurrence, _linear_recurrence_reference,
           [rng.uniform(-0.9, 0.9, (9, 2)), rng.standard_normal((9, 2))]),
    OpCase("map", lambda x: ops.map(lambda r: ops.sum(r * r) * r, x),
           lambda x: np.sum(x * x, axis=1, keepdims=True) * x, [SEQ]),
    OpCase("vectorized_map_pair",
           lambda x, y: ops.vectorized_map(lambda e: ops.matmul(e[0], e[1]), [x, y]),
           lambda x, y: np.einsum("bij,bjk->bik", x, y),
           [rng.standard_normal((3, 2, 4)), rng.standard_normal((3, 4, 2))]),
    OpCase("cond", lambda x: ops.cond(True, lambda: ops.exp(x), lambda: x * 0.0), np.exp, [VEC]),
    OpCase("switch", lambda x: ops.switch(7, [ops.exp, ops.sin], x), np.sin, [VEC]),
]


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_control_flow_case(case):
    check_op_case(case)


def test_scan_stacks_nested_outputs_and_carries_nested_state():
    xs = {"a": np.arange(4.0), "b": (np.ones(4), np.arange(4.0) * 2)}

    def step(carry, x):
        total = carry["total"] + x["a"] * x["b"][1]
        return {"total": total, "count": carry["count"] + 1}, (total, [x["b"][0]])

    carry, (totals, [ones]) = ops.scan(step, {"total": 0.0, "count": 0}, xs)
    np.testing.assert_allclose(to_numpy(totals), np.cumsum(np.arange(4.0) ** 2 * 2))
    np.testing.assert_allclose(to_numpy(ones), np.ones(4))
    assert float(to_numpy(carry["total"])) == 28.0
    assert int(to_numpy(carry["count"])) == 4
    assert carry["count"].dtype == "int32"  # a Python int starts as Keras's int32


def test_scan_without_xs_runs_length_steps_and_a_none_output_gives_none():
    carry, ys = ops.scan(lambda c, x: (c * 2.0, None), 1.0, length=5)
    assert ys is None
    assert float(to_numpy(carry)) == 32.0
    carry, ys = ops.scan(lambda c, x: (c + 1, c), 0, length=3)
    np.testing.assert_array_equal(to_numpy(ys), [0, 1, 2])


@pytest.mark.parametrize("call, message", [
    (lambda: ops.scan(lambda c, x: (c, x), 0.0), "no `xs`"),
    (lambda: ops.scan(lambda c, x: (c, x), 0.0, np.ones(3), length=4), "does not match"),
    (lambda: ops.scan(lambda c, x: (c, x), 0.0, np.ones(3), unroll=0), "unroll"),
    (lambda: ops.scan(lambda c, x: c, 0.0, np.ones(3)), "pair"),
    (lambda: ops.scan(lambda c, x: ((c, c), x), 0.0, np.ones(3)), "structure of `init`"),
    (lambda: ops.scan(lambda c, x: (c, x), 0.0, [np.ones(3), np.ones(2)]), "leading size"),
    (lambda: ops.scan("f", 0.0, np.ones(3)), "callable"),
    (lambda: ops.scan(lambda c, x: (c, x), 0.0, np.ones(0)), "no steps"),
])
def test_scan_rejects_bad_arguments(call, message):
    with pytest.raises((ValueError, TypeError), match=message):
        call()


def test_gradient_flows_through_scan_into_a_variable_closed_over():
    w = Variable(np.array([0.5, -0.3]))
    with GradientTape() as tape:
        carry, ys = ops.scan(lambda c, x: (c * w + x, c), ops.zeros((2,)), np.ones((3, 2)))
        total = ops.sum(ys) + ops.sum(carry)
    # carries 0, 1, w + 1, w^2 + w + 1; ys are the first three: d total / dw = 2 + 2w
    np.testing.assert_allclose(to_numpy(tape.gradient(total, w)), 2 + 2 * np.array([0.5, -0.3]),
                               rtol=1e-6)


def test_while_loop_passes_tuples_spread_and_returns_a_tuple():
    out = ops.while_loop(lambda i, j: i < 10, lambda i, j: (i + 1, j + 2), [0, 1])
    assert isinstance(out, tuple)
    assert [int(to_numpy(v)) for v in out] == [10, 21]


def test_while_loop_passes_a_single_value_or_a_dict_whole():
    assert int(to_numpy(ops.while_loop(lambda i: i < 10, lambda i: i + 3, 0))) == 12
    out = ops.while_loop(lambda d: d["i"] < 3, lambda d: {"i": d["i"] + 1, "s": d["s"] * 2.0},
                         {"i": 0, "s": 1.0})
    assert int(to_numpy(out["i"])) == 3 and float(to_numpy(out["s"])) == 8.0


def test_while_loop_stops_at_maximum_iterations():
    assert int(to_numpy(ops.while_loop(lambda i: i < 10, lambda i: i + 1, 0,
                                       maximum_iterations=4))) == 4
    assert int(to_numpy(ops.while_loop(lambda i: i < 10, lambda i: i + 1, 0,
                                       maximum_iterations=0))) == 0


@pytest.mark.parametrize("call, message", [
    (lambda: ops.while_loop(lambda i: i < 3, lambda i: (i, i), 0), "structure"),
    (lambda: ops.while_loop(lambda i: ops.ones((2,)) > 0, lambda i: i, 0), "scalar"),
    (lambda: ops.while_loop(lambda i: i < 3, lambda i: i + 1, 0, maximum_iterations=-1),
     "maximum_iterations"),
    (lambda: ops.while_loop(None, lambda i: i, 0), "callable"),
])
def test_while_loop_rejects_bad_arguments(call, message):
    with pytest.raises((ValueError, TypeError), match=message):
        call()


def test_fori_loop_takes_python_and_tensor_bounds():
    assert int(to_numpy(ops.fori_loop(0, 10, lambda i, s: s + i, 0))) == 45
    bound = ops.convert_to_tensor(np.array(5))
    assert ops.fori_loop(2, bound, lambda i, s: s + [i], []) == [2, 3, 4]
    with pytest.raises(ValueError, match="integer"):
        ops.fori_loop(0, 2.5, lambda i, s: s, 0)


def test_cond_runs_only_the_chosen_branch_and_reads_a_scalar_tensor():
    ran = []
    out = ops.cond(ops.convert_to_tensor(np.array([False])), lambda: ran.append("t") or 1,
                   lambda: ran.append("f") or 2)
    assert out == 2 and ran == ["f"]
    with pytest.raises(ValueError, match="scalar"):
        ops.cond(np.array([True, False]), lambda: 1, lambda: 2)
    with pytest.raises(TypeError, match="callable"):
        ops.cond(True, 1, lambda: 2)


def test_switch_clamps_the_index():
    branches = [lambda a, b: a + b, lambda a, b: a - b, lambda a, b: a * b]
    assert [ops.switch(i, branches, 2.0, 0.5) for i in (-3, 0, 1, 2, 9)] == \
        [2.5, 2.5, 1.5, 1.0, 1.0]
    assert ops.switch(ops.convert_to_tensor(np.array(1)), branches, 2.0, 0.5) == 1.5
    with pytest.raises(ValueError, match="non-empty"):
        ops.switch(0, [], 1.0)


@pytest.mark.parametrize("n", range(1, 10))
def test_associative_scan_matches_a_running_sum_for_every_length(n):
    x = np.arange(1.0, n + 1)
    np.testing.assert_allclose(to_numpy(ops.associative_scan(lambda a, b: a + b, x)),
                               np.cumsum(x))
    np.testing.assert_allclose(
        to_numpy(ops.associative_scan(lambda a, b: a + b, x, reverse=True)),
        np.cumsum(x[::-1])[::-1])


def test_associative_scan_keeps_a_dict_structure_and_checks_its_arguments():
    def combine(a, b):
        return {"s": a["s"] + b["s"], "m": ops.maximum(a["m"], b["m"])}

    out = ops.associative_scan(combine, {"s": np.ones(5), "m": np.array([1.0, 3.0, 2.0, 5.0, 4.0])})
    np.testing.assert_allclose(to_numpy(out["s"]), np.arange(1.0, 6.0))
    np.testing.assert_allclose(to_numpy(out["m"]), [1.0, 3.0, 3.0, 5.0, 5.0])
    with pytest.raises(ValueError, match="share the size"):
        ops.associative_scan(lambda a, b: a, [np.ones(3), np.ones(4)])
    with pytest.raises(ValueError, match="axis"):
        ops.associative_scan(lambda a, b: a, np.ones(3), axis=2)


def test_map_and_vectorized_map_stack_structured_outputs():
    out = ops.map(lambda v: {"sq": v * v, "neg": -v}, np.arange(3.0))
    np.testing.assert_allclose(to_numpy(out["sq"]), [0.0, 1.0, 4.0])
    np.testing.assert_allclose(to_numpy(out["neg"]), [0.0, -1.0, -2.0])
    pairs = ops.vectorized_map(lambda e: e["x"] + e["y"], {"x": np.ones((2, 3)),
                                                           "y": np.arange(6.0).reshape(2, 3)})
    np.testing.assert_allclose(to_numpy(pairs), np.arange(6.0).reshape(2, 3) + 1)
    with pytest.raises(ValueError, match="leading size"):
        ops.vectorized_map(lambda e: e[0], [np.ones((2, 3)), np.ones((3, 3))])


def test_vectorized_map_and_scan_in_a_functional_model():
    x = np.arange(24.0, dtype=np.float32).reshape(4, 3, 2)
    inp = kerasx.Input((3, 2))
    rows = ops.vectorized_map(lambda e: ops.sum(e, axis=0), inp)
    _, running = ops.scan(lambda c, e: (c + e, c + e), ops.zeros((2,)), inp[0])
    model = kerasx.Model(inp, [rows, running])
    got_rows, got_running = model(x)
    np.testing.assert_allclose(to_numpy(got_rows), x.sum(axis=1))
    np.testing.assert_allclose(to_numpy(got_running), np.cumsum(x[0], axis=0))
    assert tuple(rows.shape) == (None, 2)


def test_cond_refuses_a_symbolic_predicate_with_advice():
    inp = kerasx.Input((1,))
    with pytest.raises(ValueError, match="inside a layer"):
        ops.cond(inp[0, 0] > 0, lambda: inp, lambda: -inp)
