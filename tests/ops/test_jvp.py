"""`ops.jvp`: forward-mode derivatives against central finite differences in float64 and
against Keras 3 (JAX backend) golden values, with nested primals, `has_aux`, symbolic
inputs and bad arguments."""

import numpy as np
import pytest

import kerasx
from kerasx import ops
from kerasx.testing import float64
from tests.conftest import to_numpy
from tests.golden.loader import load_cases

# the functions of tests/golden/family_api_more.py, written with kerasx ops
FUNCTIONS = {
    "sin": lambda x: ops.sin(x),
    "dense_tanh": lambda x, w: ops.tanh(ops.matmul(x, w)),
    "dict_softmax": lambda d: {"s": ops.softmax(d["a"] * d["b"]), "l": ops.logsumexp(d["a"])},
    "cube_with_aux": lambda x: (x ** 3, ops.mean(x)),
    "norm_and_sum": lambda x, y: [ops.sqrt(ops.sum(x * x, axis=-1)), ops.sum(x * y)],
}


def _unflatten(arrays, prefix):
    """The nested structure stored as `prefix.<path>` keys (digits: list positions)."""
    leaves = {k[len(prefix) + 1:]: v for k, v in arrays.items() if k.startswith(prefix + ".")}
    root = {}
    for path, value in leaves.items():
        node, parts = root, path.split(".")
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        node[parts[-1]] = value

    def listify(node):
        if not isinstance(node, dict):
            return node
        if all(k.isdigit() for k in node):
            return [listify(node[str(i)]) for i in range(len(node))]
        return {k: listify(v) for k, v in node.items()}

    return listify(root)


def _flat(structure, prefix):
    if isinstance(structure, dict):
        return {k: v for key in sorted(structure)
                for k, v in _flat(structure[key], f"{prefix}.{key}").items()}
    if isinstance(structure, (list, tuple)):
        return {k: v for i, item in enumerate(structure)
                for k, v in _flat(item, f"{prefix}.{i}").items()}
    return {prefix: to_numpy(structure)}


@pytest.mark.parametrize("case", load_cases("api_more"), ids=lambda c: c["name"])
def test_matches_keras_jax(case):
    arrays = case["arrays"]
    primals, tangents = _unflatten(arrays, "primals"), _unflatten(arrays, "tangents")
    has_aux = case["config"]["has_aux"]
    result = ops.jvp(FUNCTIONS[case["name"]], tuple(primals), tuple(tangents), has_aux=has_aux)
    got = {**_flat(result[0], "primals_out"), **_flat(result[1], "tangents_out")}
    if has_aux:
        got.update(_flat(result[2], "aux"))
    expected = {k: v for k, v in arrays.items() if not k.startswith(("primals.", "tangents."))}
    assert sorted(got) == sorted(expected)
    for key, value in expected.items():
        assert got[key].dtype == value.dtype, key
        np.testing.assert_allclose(got[key], value, rtol=2e-5, atol=1e-6, err_msg=key)


def _central_difference(fun, primals, tangents, eps=1e-6):
    shifted = [[p + s * eps * t for p, t in zip(primals, tangents)] for s in (1, -1)]
    plus, minus = (fun(*[kerasx.ops.convert_to_tensor(v) for v in args]) for args in shifted)
    return (to_numpy(plus) - to_numpy(minus)) / (2 * eps)


@pytest.mark.parametrize("name", ["elementwise", "matmul_chain", "softmax_rows", "reduction",
                                  "broadcast"])
def test_matches_central_differences_in_float64(name):
    funs = {
        "elementwise": (lambda x: ops.exp(ops.sin(x)) * x, [(3, 4)]),
        "matmul_chain": (lambda x, w, b: ops.relu(x @ w + b) @ ops.transpose(w),
                         [(5, 3), (3, 4), (4,)]),
        "softmax_rows": (lambda x: ops.softmax(x * 2.0, axis=-1), [(2, 6)]),
        "reduction": (lambda x, y: ops.logsumexp(x * y) + ops.var(x), [(4, 3), (4, 3)]),
        "broadcast": (lambda x, s: ops.tanh(x / (1.0 + s * s)), [(2, 3), (3,)]),
    }
    fun, shapes = funs[name]
    rng = np.random.default_rng(len(name))
    primals = [rng.normal(size=s) + 0.3 for s in shapes]
    tangents = [rng.normal(size=s) for s in shapes]
    with float64():
        out, tangent_out = ops.jvp(fun, tuple(primals), tuple(tangents))
        expected = _central_difference(fun, primals, tangents)
        reference = to_numpy(fun(*[ops.convert_to_tensor(p) for p in primals]))
    assert to_numpy(tangent_out).dtype == np.float64
    np.testing.assert_allclose(to_numpy(out), reference, rtol=1e-12)
    np.testing.assert_allclose(to_numpy(tangent_out), expected, rtol=1e-6, atol=1e-8)


def test_keras_documentation_example_and_python_floats():
    out, tangent = ops.jvp(ops.sin, (0.1,), (0.2,))
    assert tangent.dtype == "float32"
    np.testing.assert_allclose(to_numpy(out), np.sin(0.1), rtol=1e-6)
    np.testing.assert_allclose(to_numpy(tangent), np.cos(0.1) * 0.2, rtol=1e-6)


def test_has_aux_returns_aux_undifferentiated():
    x = np.array([0.5, -1.0, 2.0], np.float32)
    t = np.array([1.0, 0.5, -2.0], np.float32)
    out, tangent, aux = ops.jvp(lambda v: (v ** 2, {"m": ops.mean(v), "tag": "kept"}),
                                (x,), (t,), has_aux=True)
    np.testing.assert_allclose(to_numpy(tangent), 2 * x * t, rtol=1e-6)
    np.testing.assert_allclose(to_numpy(aux["m"]), x.mean(), rtol=1e-6)
    assert aux["tag"] == "kept" and not aux["m"].tracked and not out.tracked


def test_identity_constant_and_integer_outputs():
    x = np.array([[1.0, 2.0]], np.float32)
    t = np.array([[3.0, -4.0]], np.float32)
    (same, const, count), (dsame, dconst, dcount) = ops.jvp(
        lambda v: (v, ops.ones((2,)), ops.argmax(v, axis=-1)), (x,), (t,))
    np.testing.assert_array_equal(to_numpy(dsame), t)
    np.testing.assert_array_equal(to_numpy(dconst), np.zeros(2, np.float32))
    np.testing.assert_array_equal(to_numpy(dcount), np.zeros(1, to_numpy(count).dtype))


def test_layer_weights_are_constants_of_the_derivative():
    layer = kerasx.layers.Dense(3, use_bias=True)
    x = np.random.default_rng(0).normal(size=(2, 4)).astype(np.float32)
    t = np.random.default_rng(1).normal(size=(2, 4)).astype(np.float32)
    _, tangent = ops.jvp(layer, (x,), (t,))
    np.testing.assert_allclose(to_numpy(tangent), t @ to_numpy(layer.kernel), rtol=1e-5,
                               atol=1e-6)


def test_symbolic_inputs_build_a_model_node():
    x = kerasx.Input((7,))
    out, tangent, aux = ops.jvp(lambda v: (ops.exp(v), ops.mean(ops.exp(v), axis=-1,
                                                                keepdims=True)),
                                (x,), (x,), has_aux=True)
    assert out.shape == (None, 7) and tangent.shape == (None, 7) and aux.shape == (None, 1)
    model = kerasx.Model(x, [out, tangent, aux])
    data = np.linspace(-1, 1, 14, dtype=np.float32).reshape(2, 7)
    got = [to_numpy(v) for v in model(data)]
    np.testing.assert_allclose(got[1], np.exp(data) * data, rtol=1e-6)
    np.testing.assert_allclose(got[2], np.exp(data).mean(-1, keepdims=True), rtol=1e-6)


def test_bad_arguments_are_explained():
    x = np.ones((2,), np.float32)
    with pytest.raises(TypeError, match="`fun` must be a callable"):
        ops.jvp("sin", (x,), (x,))
    with pytest.raises(TypeError, match="`primals` must be a tuple or list"):
        ops.jvp(ops.sin, x, (x,))
    with pytest.raises(ValueError, match="structure of `primals`"):
        ops.jvp(lambda a, b: a * b, (x, x), (x,))
    with pytest.raises(ValueError, match="shape of its primal"):
        ops.jvp(ops.sin, (x,), (np.ones((3,), np.float32),))
    with pytest.raises(ValueError, match="dtype of its primal"):
        ops.jvp(ops.sin, (x,), (np.ones((2,), np.float64),))
    with pytest.raises(ValueError, match="pair"):
        ops.jvp(ops.sin, (x,), (x,), has_aux=True)
