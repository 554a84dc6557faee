"""The fused recurrent ops (`kerasx.ops.rnn`): forward against a float64 NumPy
per-timestep reference, gradients by central finite differences, one tape node per
sequence, the NumPy fast path against the portable path, and bad input."""

import numpy as np
import pytest

from kerasx import GradientTape, Variable, activations, ops
from kerasx.backends import current
from kerasx.ops import rnn
from kerasx.testing import check_gradients, float64

B, T, F, U = 2, 3, 3, 2
GATES = {"simple_rnn": 1, "lstm": 4, "gru": 3}
N_STATES = {"simple_rnn": 1, "lstm": 2, "gru": 1}
MASK = np.array([[True, False, True], [False, True, True]])
LAST_MASKED = np.array([[True, True, False], [False, True, True]])


# -- the float64 reference: a plain loop over timesteps ------------------------------------

def np_sigmoid(v):
    return 1.0 / (1.0 + np.exp(-v))


NP_ACTS = {
    "tanh": np.tanh, "sigmoid": np_sigmoid, "relu": lambda v: np.maximum(v, 0.0),
    "hard_sigmoid": lambda v: np.clip(v / 6.0 + 0.5, 0.0, 1.0), "linear": lambda v: v,
    "softsign": lambda v: v / (1.0 + np.abs(v)), "relu6": lambda v: np.clip(v, 0.0, 6.0),
    "elu": lambda v: np.where(v > 0, v, np.expm1(np.minimum(v, 0.0))),
    "selu": lambda v: 1.0507009873554805 * np.where(
        v > 0, v, 1.6732632423543772 * np.expm1(np.minimum(v, 0.0))),
    "softplus": lambda v: np.log1p(np.exp(v)), "exponential": np.exp,
}


def _mm(x, w, masks, gates):
    """x @ w with dropout masks on x: None, one shared (batch, n) mask, or one per gate."""
    if masks is None:
        return x @ w
    if masks.ndim == 2:
        return (x * masks) @ w
    n = w.shape[1] // gates
    return np.concatenate([(x * masks[k]) @ w[:, k * n:(k + 1) * n] for k in range(gates)], 1)


def reference_step(kind, x_t, states, kernel, rkernel, bias, act="tanh", ract="sigmoid",
                   reset_after=True, dmask=None, rmask=None):
    """One timestep of a Keras cell, written out plainly; returns the new states."""
    fa, fr = NP_ACTS[act] if isinstance(act, str) else act, NP_ACTS[ract]
    u = rkernel.shape[0]
    g = GATES[kind]
    xw = _mm(x_t, kernel, dmask, g)
    if kind == "simple_rnn":
        h = fa(xw + (0 if bias is None else bias) + _mm(states[0], rkernel, rmask, g))
        return [h]
    if kind == "lstm":
        h, c = states
        z = xw + _mm(h, rkernel, rmask, g) + (0 if bias is None else bias)
        i, f, o = fr(z[:, :u]), fr(z[:, u:2 * u]), fr(z[:, 3 * u:])
        c = f * c + i * fa(z[:, 2 * u:3 * u])
        return [o * fa(c), c]
    h = states[0]
    if reset_after:
        b_in, b_rec = (0, 0) if bias is None else (bias[0], bias[1])
        x_ = xw + b_in
        r_ = _mm(h, rkernel, rmask, g) + b_rec
        z = fr(x_[:, :u] + r_[:, :u])
        r = fr(x_[:, u:2 * u] + r_[:, u:2 * u])
        hh = fa(x_[:, 2 * u:] + r * r_[:, 2 * u:])
    else:
        x_ = xw + (0 if bias is None else bias)
        rm = rmask if rmask is None or rmask.ndim == 2 else rmask[:2]
        r_ = _mm(h, rkernel[:, :2 * u], rm, 2)
        z = fr(x_[:, :u] + r_[:, :u])
        r = fr(x_[:, u:2 * u] + r_[:, u:])
        h_h = h if rmask is None else h * (rmask if rmask.ndim == 2 else rmask[2])
        hh = fa(x_[:, 2 * u:] + (r * h_h) @ rkernel[:, 2 * u:])
    return [z * h + (1 - z) * hh]


def reference(kind, x, kernel, rkernel, bias=None, states=None, mask=None, go_backwards=False,
              zero_output=False, **step_kwargs):
    """A whole sequence with Keras's masking and go_backwards rules; returns
    (outputs (batch, timesteps, units) in processing order, final states)."""
    batch, steps, _ = x.shape
    u = rkernel.shape[0]
    states = [np.zeros((batch, u))] * N_STATES[kind] if states is None else list(states)
    outs = []
    for t in (range(steps - 1, -1, -1) if go_backwards else range(steps)):
        new = reference_step(kind, x[:, t], states, kernel, rkernel, bias, **step_kwargs)
        if mask is not None:
            m = mask[:, t][:, None]
            new = [np.where(m, n, s) for n, s in zip(new, states)]
            outs.append(np.where(m, new[0], 0.0) if zero_output else new[0])
        else:
            outs.append(new[0])
        states = new
    return np.stack(outs, axis=1), states


def make_inputs(kind, seed=0, units=U, reset_after=True, use_bias=True):
    rng = np.random.default_rng(seed)
    g = GATES[kind]
    x = rng.standard_normal((B, T, F))
    kernel = rng.standard_normal((F, g * units)) * 0.6
    rkernel = rng.standard_normal((units, g * units)) * 0.6
    bias = None
    if use_bias:
        shape = (2, g * units) if kind == "gru" and reset_after else (g * units,)
        bias = rng.standard_normal(shape) * 0.3
    states = [rng.standard_normal((B, units)) * 0.5 for _ in range(N_STATES[kind])]
    return x, kernel, rkernel, bias, states


def dropout_masks(kind, per_gate, seed=5, units=U):
    rng = np.random.default_rng(seed)
    g = GATES[kind]
    lead = (g,) if per_gate else ()
    keep = lambda n: (rng.random(lead + (B, n)) < 0.7) / 0.7  # noqa: E731
    return keep(F), keep(units)


def call_op(kind, x, kernel, rkernel, bias, states, **kwargs):
    fn = {"simple_rnn": rnn.simple_rnn, "lstm": rnn.lstm, "gru": rnn.gru}[kind]
    return fn(x, kernel, rkernel, bias, initial_state=states, **kwargs)


OPTIONS = [
    ("plain", {}),
    ("go_backwards", {"go_backwards": True}),
    ("mask", {"mask": MASK}),
    ("mask_backwards", {"mask": MASK, "go_backwards": True}),
    ("mask_zero_output", {"mask": MASK, "zero_output_for_mask": True}),
    ("shared_dropout", {"dropout": False}),
    ("per_gate_dropout", {"dropout": True}),
]
KINDS = [("simple_rnn", {}), ("lstm", {}), ("gru", {"reset_after": True}),
         ("gru", {"reset_after": False})]


def _case_id(kind, extra):
    return kind + ("" if not extra else ("_reset_after" if extra["reset_after"] else "_reset_before"))


def _split_options(kind, options):
    """Op kwargs and reference kwargs for one option set (dropout masks become arrays)."""
    options = dict(options)
    op_kwargs, ref_kwargs = {}, {}
    if "dropout" in options:
        dmask, rmask = dropout_masks(kind, options.pop("dropout"))
        op_kwargs.update(dropout_mask=dmask, recurrent_dropout_mask=rmask)
        ref_kwargs.update(dmask=dmask, rmask=rmask)
    if "zero_output_for_mask" in options:
        ref_kwargs["zero_output"] = options["zero_output_for_mask"]
    for key in ("mask", "go_backwards"):
        if key in options:
            ref_kwargs[key] = options[key]
    op_kwargs.update(options)
    return op_kwargs, ref_kwargs


def _flat(outputs):
    """All outputs of an op as one (batch, n) tensor, so one projection covers them."""
    return ops.concatenate([ops.reshape(o, (o.shape[0], -1)) for o in outputs], axis=1)


@pytest.mark.parametrize("kind,extra", KINDS, ids=[_case_id(*k) for k in KINDS])
@pytest.mark.parametrize("name,options", OPTIONS, ids=[o[0] for o in OPTIONS])
def test_forward_matches_reference(kind, extra, name, options):
    x, kernel, rkernel, bias, states = make_inputs(kind, **extra)
    op_kwargs, ref_kwargs = _split_options(kind, options)
    expected, finals = reference(kind, x, kernel, rkernel, bias, states, **ref_kwargs, **extra)
    with float64():
        got = call_op(kind, x, kernel, rkernel, bias, states, **op_kwargs, **extra)
    np.testing.assert_allclose(ops.convert_to_numpy(got[0]), expected, rtol=1e-10, atol=1e-12)
    for g, e in zip(got[1:], finals):
        np.testing.assert_allclose(ops.convert_to_numpy(g), e, rtol=1e-10, atol=1e-12)
    op32 = {k: v.astype(np.float32) if k.endswith("dropout_mask") else v
            for k, v in op_kwargs.items()}
    got32 = call_op(kind, *[a if a is None else a.astype(np.float32)
                            for a in (x, kernel, rkernel, bias)],
                    [s.astype(np.float32) for s in states], **op32, **extra)
    assert got32[0].dtype == "float32"
    np.testing.assert_allclose(ops.convert_to_numpy(got32[0]), expected, rtol=1e-5, atol=1e-5)


def _without_rnn_kernels(monkeypatch):
    backend = current()
    monkeypatch.setattr(backend, "kernels",
                        {k: v for k, v in backend.kernels.items()
                         if not k.split("_forward")[0].split("_backward")[0] in GATES})


@pytest.mark.parametrize("path", ["default", "portable"])
@pytest.mark.parametrize("kind,extra", KINDS, ids=[_case_id(*k) for k in KINDS])
@pytest.mark.parametrize("name,options", OPTIONS, ids=[o[0] for o in OPTIONS])
def test_gradients_match_finite_differences(kind, extra, name, options, path, monkeypatch):
    if path == "portable":
        if current().name != "numpy":
            pytest.skip("only NumPy has a fast path to switch off")
        _without_rnn_kernels(monkeypatch)
    x, kernel, rkernel, bias, states = make_inputs(kind, **extra)
    op_kwargs, _ = _split_options(kind, options)

    def fn(x, kernel, rkernel, bias, *states):
        return _flat(call_op(kind, x, kernel, rkernel, bias, list(states), **op_kwargs, **extra))

    check_gradients(fn, [x, kernel, rkernel, bias, *states], rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("path", ["default", "portable"])
@pytest.mark.parametrize("kind,extra", KINDS, ids=[_case_id(*k) for k in KINDS])
@pytest.mark.parametrize("options", [
    {}, {"go_backwards": True}, {"mask": LAST_MASKED},
    {"mask": LAST_MASKED, "zero_output_for_mask": True},
], ids=["plain", "backwards", "mask", "mask_zero_output"])
def test_gradients_of_the_last_output_alone(kind, extra, options, path, monkeypatch):
    """`return_sequences=False`: the gradient enters as a final-state gradient."""
    if path == "portable":
        if current().name != "numpy":
            pytest.skip("only NumPy has a fast path to switch off")
        _without_rnn_kernels(monkeypatch)
    x, kernel, rkernel, bias, states = make_inputs(kind, seed=6, **extra)

    def fn(x, kernel, rkernel, bias, *states):
        return call_op(kind, x, kernel, rkernel, bias, list(states), return_sequences=False,
                       **options, **extra)[0]

    check_gradients(fn, [x, kernel, rkernel, bias, *states], rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("kind", ["simple_rnn", "lstm", "gru"])
def test_gradients_without_bias_and_with_other_activations(kind):
    x, kernel, rkernel, _, states = make_inputs(kind, seed=3)
    acts = {"activation": "softsign"} if kind == "simple_rnn" else \
        {"activation": "relu", "recurrent_activation": "hard_sigmoid"}
    expected, _ = reference(kind, x, kernel, rkernel, None, states, mask=MASK,
                            act=acts["activation"], ract=acts.get("recurrent_activation", "sigmoid"))
    with float64():
        got = call_op(kind, x, kernel, rkernel, None, states, mask=MASK, **acts)
    np.testing.assert_allclose(ops.convert_to_numpy(got[0]), expected, rtol=1e-10, atol=1e-12)

    def fn(x, kernel, rkernel, *states):
        return _flat(call_op(kind, x, kernel, rkernel, None, list(states), mask=MASK, **acts))

    check_gradients(fn, [x, kernel, rkernel, *states])


def test_gradients_of_only_some_outputs():
    """A loss on the final carry alone (outputs and h unused) still backpropagates."""
    x, kernel, rkernel, bias, states = make_inputs("lstm", seed=4)
    check_gradients(lambda *a: rnn.lstm(a[0], a[1], a[2], a[3], initial_state=list(a[4:]))[2],
                    [x, kernel, rkernel, bias, *states])
    check_gradients(lambda *a: rnn.gru(a[0], a[1], a[2], a[3], initial_state=[a[4]],
                                       go_backwards=True)[0],
                    list(make_inputs("gru", seed=4)[:4]) + make_inputs("gru", seed=4)[4])


@pytest.mark.parametrize("name", sorted(rnn.ACTIVATIONS))
def test_activation_table(name):
    """Each fused activation equals kerasx.activations, and its derivative-from-output
    equals the finite-difference slope."""
    xp = current().xp
    v = np.array([-4.0, -2.5, -1.1, -0.3, 0.4, 1.2, 2.6, 4.5, 7.0])
    fn, deriv = rnn.ACTIVATIONS[name]
    with float64():
        value = current().asarray(v)
        y = fn(xp, value)
        np.testing.assert_allclose(current().to_numpy(y),
                                   ops.convert_to_numpy(activations.get(name)(value)), rtol=1e-12)
        eps = 1e-6
        slope = (current().to_numpy(fn(xp, value + eps)) - current().to_numpy(fn(xp, value - eps))) / (2 * eps)
        d = deriv(xp, y)
        d = np.broadcast_to(current().to_numpy(d) if not isinstance(d, float) else d, v.shape)
        np.testing.assert_allclose(d, slope, rtol=1e-5, atol=1e-7)


def test_whole_sequence_is_one_tape_node():
    x, kernel, rkernel, bias, states = make_inputs("lstm")
    backend = current()
    w, r, b = (Variable(backend.asarray(a)) for a in (kernel, rkernel, bias))
    xt = Variable(backend.asarray(x))
    with GradientTape() as tape:
        out, h, c = rnn.lstm(xt, w, r, b)
        loss = ops.sum(out) + ops.sum(c)
    node = out.node
    assert h.node is node and c.node is node and node.n_out == 3
    assert node.parents[:4] == (xt, w, r, b)
    grads = tape.gradient(loss, [xt, w, r, b])
    assert all(g is not None for g in grads)


def test_untracked_call_records_nothing():
    x, kernel, rkernel, bias, states = make_inputs("gru")
    out, h = rnn.gru(x, kernel, rkernel, bias)
    assert out.node is None and h.node is None



@pytest.mark.parametrize("tracked_kernel", [False, True], ids=["inference", "training"])
@pytest.mark.parametrize("kind,extra", KINDS, ids=[_case_id(*k) for k in KINDS])
@pytest.mark.parametrize("options", [
    {}, {"go_backwards": True}, {"mask": LAST_MASKED},
    {"mask": LAST_MASKED, "zero_output_for_mask": True},
], ids=["plain", "backwards", "mask", "mask_zero_output"])
def test_return_sequences_false_gives_the_last_output(kind, extra, options, tracked_kernel):
    x, kernel, rkernel, bias, states = make_inputs(kind, **extra)
    full = call_op(kind, x, kernel, rkernel, bias, states, **extra, **options)
    if tracked_kernel:
        kernel = Variable(current().asarray(kernel))
    with GradientTape():
        last = call_op(kind, x, kernel, rkernel, bias, states, return_sequences=False,
                       **extra, **options)
    assert (last[0].node is not None) == tracked_kernel
    want = ops.convert_to_numpy(full[0])[:, -1]
    np.testing.assert_allclose(ops.convert_to_numpy(last[0]), want, rtol=1e-6, atol=1e-12)
    if options.get("zero_output_for_mask"):
        assert not want[0].any()  # the first sample's last step is masked
    for got, ref in zip(last[1:], full[1:]):
        np.testing.assert_allclose(ops.convert_to_numpy(got), ops.convert_to_numpy(ref),
                                   rtol=1e-6, atol=1e-12)


# -- the NumPy fast path against the portable path ----------------------------------------

FAST_OPTIONS = [
    ("plain", {}),
    ("mask", {"mask": True}),
    ("mask_zero_output", {"mask": True, "zero_output": True}),
    ("reversed_dropout", {"reverse": True, "dropout": True}),
    ("reversed_input_dropout", {"reverse": True, "dropout": "input"}),
    ("no_bias_relu", {"use_bias": False, "acts": ("relu", "sigmoid")}),
    ("masked_relu_zero_output", {"mask": True, "zero_output": True, "acts": ("relu", "sigmoid")}),
    ("masked_dropout_linear", {"mask": True, "dropout": True, "acts": ("linear", "tanh")}),
    ("masked_linear_tanh_gates", {"mask": True, "acts": ("linear", "tanh")}),
]


@pytest.mark.parametrize("dtype,rtol", [("float64", 1e-10), ("float32", 2e-5)])
@pytest.mark.parametrize("kind", ["simple_rnn", "lstm", "gru", "gru_reset_before"])
@pytest.mark.parametrize("name,options", FAST_OPTIONS, ids=[o[0] for o in FAST_OPTIONS])
def test_numpy_fast_path_matches_portable(kind, name, options, dtype, rtol):
    if current().name != "numpy":
        pytest.skip("the fast path is the NumPy backend's")
    from kerasx.backends import numpy_rnn

    extra = {}
    if kind == "gru_reset_before":
        kind, extra = "gru", {"reset_after": False}
    xp = current().xp
    rng = np.random.default_rng(11)
    steps, batch, feats, units = 5, 3, 4, 6
    g = GATES[kind]
    x_tm = rng.standard_normal((steps, batch, feats)).astype(dtype)
    if options.get("reverse"):
        x_tm = x_tm[::-1]
    kernel = (rng.standard_normal((feats, g * units)) * 0.5).astype(dtype)
    rkernel = (rng.standard_normal((units, g * units)) * 0.5).astype(dtype)
    bias = None
    if options.get("use_bias", True):
        two_rows = kind == "gru" and extra.get("reset_after", True)
        bias = (rng.standard_normal((2, g * units) if two_rows else (g * units,)) * 0.3
                ).astype(dtype)
    states = tuple(rng.standard_normal((batch, units)).astype(dtype)
                   for _ in range(N_STATES[kind]))
    mask_tm = rng.random((steps, batch)) < 0.7 if options.get("mask") else None
    dmask = rmask = None
    if options.get("dropout"):
        dmask = ((rng.random((batch, feats)) < 0.8) / 0.8).astype(dtype)
        if options["dropout"] != "input":
            rmask = ((rng.random((batch, units)) < 0.8) / 0.8).astype(dtype)
    acts = options.get("acts", ("tanh", "sigmoid"))
    names = acts[:1] if kind == "simple_rnn" else acts
    zero = options.get("zero_output", False)
    args = (x_tm, kernel, rkernel, bias, states, mask_tm)
    fast = numpy_rnn.KERNELS[f"{kind}_forward"](*args, names, dmask, rmask, zero, **extra)
    if extra and rmask is not None:
        assert fast is None, "recurrent dropout with reset_after=False is the portable path's"
        return
    assert fast is not None, "the fast path should handle these options"
    forward, backward = rnn._PORTABLE[kind]
    pairs = tuple(rnn.ACTIVATIONS[n] for n in names)
    slow = forward(xp, *args, pairs, dmask, rmask, zero, **extra)
    for a, b in zip((fast[0],) + tuple(fast[1]), (slow[0],) + tuple(slow[1])):
        np.testing.assert_allclose(a, b, rtol=rtol, atol=rtol)
    infer = numpy_rnn.KERNELS.get(f"{kind}_inference")
    if infer is not None:
        got = infer(*args, names, dmask, rmask, zero, **extra)
        if dmask is not None:
            assert got is None, "the forward-only kernel leaves dropout to the forward kernel"
        else:
            assert got[2] is None
            for a, b in zip((got[0],) + tuple(got[1]), (slow[0],) + tuple(slow[1])):
                assert a.dtype == b.dtype and a.shape == b.shape
                np.testing.assert_allclose(a, b, rtol=rtol, atol=rtol)
            short = infer(*args, names, dmask, rmask, zero, sequences=False, **extra)
            assert short[0] is None
            for a, b in zip(short[1], slow[1]):
                np.testing.assert_allclose(a, b, rtol=rtol, atol=rtol)
    dout = rng.standard_normal((batch, steps, units)).astype(dtype)
    dfinals = tuple(rng.standard_normal((batch, units)).astype(dtype) for _ in states)
    dfinals = (None,) + dfinals[1:] if kind == "lstm" else dfinals
    got = numpy_rnn.KERNELS[f"{kind}_backward"](fast[2], dout, dfinals, (True,))
    want = backward(xp, slow[2], dout, dfinals, (True,))
    for i, (a, b) in enumerate(zip(got[:4] + tuple(got[4]), want[:4] + tuple(want[4]))):
        if i == 3 and bias is None:
            continue
        # float32 rounding scales with the largest gradient entry (linear activations
        # give entries of ~30 next to ~0.1 ones)
        scale = max(1.0, float(np.abs(b).max()))
        np.testing.assert_allclose(a, b, rtol=rtol * 10, atol=rtol * 10 * scale)


@pytest.mark.parametrize("dtype,rtol", [("float64", 1e-10), ("float32", 2e-5)])
@pytest.mark.parametrize("masks", ["both", "recurrent_only", "input_only", "shared_recurrent"])
@pytest.mark.parametrize("sequence_mask", [False, True])
@pytest.mark.parametrize("kind", ["lstm", "gru"])
def test_numpy_per_gate_dropout_matches_portable(kind, masks, sequence_mask, dtype, rtol):
    """Keras's implementation 1 (used with recurrent dropout): one mask per gate."""
    if current().name != "numpy":
        pytest.skip("the fast path is the NumPy backend's")
    from kerasx.backends import numpy_rnn

    rng = np.random.default_rng(13)
    steps, batch, feats, units = 5, 3, 4, 6
    g = GATES[kind]
    x_tm = rng.standard_normal((steps, batch, feats)).astype(dtype)
    kernel = (rng.standard_normal((feats, g * units)) * 0.5).astype(dtype)
    rkernel = (rng.standard_normal((units, g * units)) * 0.5).astype(dtype)
    bias = (rng.standard_normal((2, g * units) if kind == "gru" else g * units) * 0.3
            ).astype(dtype)
    states = tuple(rng.standard_normal((batch, units)).astype(dtype)
                   for _ in range(N_STATES[kind]))

    def keep(*shape):
        return ((rng.random(shape) < 0.7) / 0.7).astype(dtype)

    dmask = None if masks == "recurrent_only" else keep(g, batch, feats)
    rmask = {"both": keep(g, batch, units), "recurrent_only": keep(g, batch, units),
             "input_only": None, "shared_recurrent": keep(batch, units)}[masks]
    mask_tm = rng.random((steps, batch)) < 0.7 if sequence_mask else None
    names = ("tanh", "sigmoid")
    args = (x_tm, kernel, rkernel, bias, states, mask_tm)
    fast = numpy_rnn.KERNELS[f"{kind}_forward"](*args, names, dmask, rmask, sequence_mask)
    assert fast is not None
    forward, backward = rnn._PORTABLE[kind]
    pairs = tuple(rnn.ACTIVATIONS[n] for n in names)
    slow = forward(current().xp, *args, pairs, dmask, rmask, sequence_mask)
    for a, b in zip((fast[0],) + tuple(fast[1]), (slow[0],) + tuple(slow[1])):
        np.testing.assert_allclose(a, b, rtol=rtol, atol=rtol)
    dout = rng.standard_normal((batch, steps, units)).astype(dtype)
    dfinals = tuple(rng.standard_normal((batch, units)).astype(dtype) for _ in states)
    dfinals = (None,) + dfinals[1:] if kind == "lstm" else dfinals
    got = numpy_rnn.KERNELS[f"{kind}_backward"](fast[2], dout, dfinals, (True,))
    want = backward(current().xp, slow[2], dout, dfinals, (True,))
    for a, b in zip(got[:4] + tuple(got[4]), want[:4] + tuple(want[4])):
        scale = max(1.0, float(np.abs(b).max()))
        np.testing.assert_allclose(a, b, rtol=rtol * 10, atol=rtol * 10 * scale)


@pytest.mark.parametrize("dtype,rtol", [("float64", 1e-10), ("float32", 2e-5)])
@pytest.mark.parametrize("name,options", [
    ("plain", {}), ("mask_zero_output", {"mask": True, "zero_output": True}),
    ("no_bias_relu", {"use_bias": False, "acts": ("relu", "sigmoid")}),
    ("masked_linear_tanh_gates", {"mask": True, "acts": ("linear", "tanh")}),
], ids=lambda v: v if isinstance(v, str) else "")
def test_numpy_gru_reset_before_inference_matches_portable(name, options, dtype, rtol):
    if current().name != "numpy":
        pytest.skip("the fast path is the NumPy backend's")
    from kerasx.backends import numpy_rnn

    rng = np.random.default_rng(12)
    steps, batch, feats, units = 5, 3, 4, 6
    x_tm = rng.standard_normal((steps, batch, feats)).astype(dtype)
    kernel = (rng.standard_normal((feats, 3 * units)) * 0.5).astype(dtype)
    rkernel = (rng.standard_normal((units, 3 * units)) * 0.5).astype(dtype)
    bias = (rng.standard_normal(3 * units) * 0.3).astype(dtype) \
        if options.get("use_bias", True) else None
    states = (rng.standard_normal((batch, units)).astype(dtype),)
    mask_tm = rng.random((steps, batch)) < 0.7 if options.get("mask") else None
    names = options.get("acts", ("tanh", "sigmoid"))
    zero = options.get("zero_output", False)
    args = (x_tm, kernel, rkernel, bias, states, mask_tm)
    slow = rnn.gru_forward(current().xp, *args, tuple(rnn.ACTIVATIONS[n] for n in names), None,
                           None, zero, reset_after=False)
    infer = numpy_rnn.KERNELS["gru_inference"]
    got = infer(*args, names, None, None, zero, reset_after=False)
    assert got[2] is None
    for a, b in zip((got[0],) + tuple(got[1]), (slow[0],) + tuple(slow[1])):
        assert a.dtype == b.dtype and a.shape == b.shape
        np.testing.assert_allclose(a, b, rtol=rtol, atol=rtol)
    short = infer(*args, names, None, None, zero, reset_after=False, sequences=False)
    assert short[0] is None
    np.testing.assert_allclose(short[1][0], slow[1][0], rtol=rtol, atol=rtol)


@pytest.mark.parametrize("kind", ["lstm", "gru"])
def test_numpy_forward_only_kernel_runs_when_no_gradient_is_needed(kind, monkeypatch):
    if current().name != "numpy":
        pytest.skip("the fast path is the NumPy backend's")
    backend = current()
    calls = []
    infer = backend.kernels[f"{kind}_inference"]

    def spy(*args, **kwargs):
        calls.append(True)
        return infer(*args, **kwargs)

    monkeypatch.setattr(backend, "kernels", {**backend.kernels, f"{kind}_inference": spy})
    x, kernel, rkernel, bias, states = make_inputs(kind)
    out, *finals = call_op(kind, x, kernel, rkernel, bias, states)
    assert calls == [True]
    expected, want = reference(kind, x, kernel, rkernel, bias, states)
    np.testing.assert_allclose(ops.convert_to_numpy(out), expected, rtol=1e-5, atol=1e-6)
    for got, ref in zip(finals, want):
        np.testing.assert_allclose(ops.convert_to_numpy(got), ref, rtol=1e-5, atol=1e-6)
    w = Variable(backend.asarray(kernel))
    with GradientTape():
        call_op(kind, x, w, rkernel, bias, states)
    assert calls == [True], "a tracked call needs the forward kernel's saved buffers"
    if kind == "gru":
        # reset_after=False has its own forward-only kernel too
        _, k2, r2, b2, _ = make_inputs("gru", reset_after=False)
        out, h = rnn.gru(x, k2, r2, b2, initial_state=states, reset_after=False)
        assert calls == [True, True]
        expected, want = reference("gru", x, k2, r2, b2, states, reset_after=False)
        np.testing.assert_allclose(ops.convert_to_numpy(out), expected, rtol=1e-5, atol=1e-6)


def test_numpy_fast_path_declines_what_it_does_not_cover():
    if current().name != "numpy":
        pytest.skip("the fast path is the NumPy backend's")
    from kerasx.backends import numpy_rnn

    x_tm = np.zeros((2, 2, 3))
    states = (np.zeros((2, 2)),)
    per_gate = np.ones((3, 2, 3))
    gru = numpy_rnn.KERNELS["gru_forward"]
    k, r = np.zeros((3, 6)), np.zeros((2, 6))
    # reset_after=False trains through its kernel, but leaves recurrent dropout to the
    # portable path
    assert gru(x_tm, k, r, None, states, None, ("tanh", "sigmoid"), None, None, False,
               reset_after=False) is not None
    assert gru(x_tm, k, r, None, states, None, ("tanh", "sigmoid"), None, np.ones((2, 2)),
               False, reset_after=False) is None
    assert gru(x_tm, k, r, None, states, None, ("tanh", "sigmoid"), per_gate, None, False,
               reset_after=False) is None
    assert gru(x_tm, k, r, None, states, None, ("softsign", "sigmoid"), None, None, False) is None
    infer = numpy_rnn.KERNELS["gru_inference"]
    assert infer(x_tm, k, r, None, states, None, ("softsign", "sigmoid"), None, None,
                 False) is None
    assert infer(x_tm, k, r, None, states, None, ("tanh", "sigmoid"), None, per_gate[:, :, :2],
                 False) is None
    assert infer(x_tm, k, r, None, states, None, ("tanh", "sigmoid"), None, None, False)[2] is None


# -- bad input ------------------------------------------------------------------------------

def test_two_dimensional_input_is_rejected():
    x, kernel, rkernel, bias, states = make_inputs("lstm")
    with pytest.raises(ValueError, match=r"lstm expects inputs of shape \(batch, timesteps, features\), received shape \(2, 3\)"):
        rnn.lstm(x[:, 0], kernel, rkernel, bias)


def test_initial_state_of_wrong_shape_is_rejected():
    x, kernel, rkernel, bias, states = make_inputs("lstm")
    with pytest.raises(ValueError, match=r"lstm expects initial_state to be 2 tensor\(s\) of shape \(batch, units\) = \(2, 2\), received 2 with shapes \[\(2, 2\), \(3, 2\)\]"):
        rnn.lstm(x, kernel, rkernel, bias, initial_state=[states[0], np.zeros((3, 2))])
    with pytest.raises(ValueError, match=r"gru expects initial_state to be 1 tensor\(s\).*received 2"):
        rnn.gru(x, *make_inputs("gru")[1:4], initial_state=[states[0], states[1]])


def test_unknown_activation_and_bad_mask_are_rejected():
    x, kernel, rkernel, bias, _ = make_inputs("simple_rnn")
    with pytest.raises(ValueError, match=r"Unsupported activation 'gelu' for a fused recurrent op"):
        rnn.simple_rnn(x, kernel, rkernel, bias, activation="gelu")
    with pytest.raises(ValueError, match=r"mask must have shape \(batch, timesteps\) = \(2, 3\), received shape \(2, 4\)"):
        rnn.simple_rnn(x, kernel, rkernel, bias, mask=np.ones((2, 4), bool))


@pytest.mark.parametrize("bound", [True, False])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_numpy_step_weight_gradients_add_their_products(bound, dtype, monkeypatch):
    """`product_sums` (each step's weight gradient added into the total) by the BLAS's
    gemm where it is bound, by a product and an add where it is not; one stack may
    repeat a single matrix (stride 0)."""
    if current().name != "numpy":
        pytest.skip("the fast path is the NumPy backend's")
    from kerasx.backends import numpy_blas, numpy_rnn_steps

    if bound and numpy_blas.level3() is None:
        pytest.skip("this NumPy bundles no OpenBLAS (or KERASX_BLAS_GEMM=0)")
    if not bound:
        monkeypatch.setattr(numpy_rnn_steps, "level3", lambda: None)
    gen = np.random.default_rng(4)
    a = gen.standard_normal((4, 12, 5)).astype(dtype)
    b = gen.standard_normal((5, 9, 5)).astype(dtype)[:, 1:8]  # steps of strided rows
    total = gen.standard_normal((12, 7)).astype(dtype)
    want = total.astype(np.float64)
    add = numpy_rnn_steps.product_sums(total, a, b)
    for t in (2, 0, 3, 2):
        add(t)
        want = want + a[t].astype(np.float64) @ b[t].T
    tol = 1e-5 if dtype == "float32" else 1e-13
    np.testing.assert_allclose(total, want, rtol=tol, atol=tol)
    one = gen.standard_normal((7, 5)).astype(dtype)
    add = numpy_rnn_steps.product_sums(total, a, np.broadcast_to(one, (4, 7, 5)))
    add(1)
    np.testing.assert_allclose(total, want + a[1] @ one.T, rtol=tol, atol=tol)


@pytest.mark.skipif("current().name != 'numpy'", reason="NumPy kernel")
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("layout", ["unit_major", "batch_major"])
def test_numpy_skip_masks_select_exactly_what_copyto_selects(dtype, layout):
    """The recurrent kernels' masked-step selects on bits: per step, the previous state
    at the skipped samples (a random set, none, or all of them), and the gradient split
    between the step and the carry, equal to `np.copyto(..., where=)` bit for bit."""
    from kerasx.backends.numpy_rnn_steps import SkipMasks, masked_index, unit_major_skip

    rng = np.random.default_rng(41)
    t_len, batch, units = 5, 24, 7
    mask_tm = rng.random((t_len, batch)) > 0.4     # True: the step is valid
    mask_tm[1], mask_tm[2] = True, False           # a step skipping none, one skipping all
    masks = (unit_major_skip if layout == "unit_major" else masked_index)(mask_tm, dtype)
    assert isinstance(masks, SkipMasks)
    skip = ~mask_tm[:, None, :] if layout == "unit_major" else ~mask_tm[:, :, None]
    shape = (units, batch) if layout == "unit_major" else (batch, units)
    ints = {4: np.int32, 8: np.int64}[np.dtype(dtype).itemsize]
    for t in range(t_len):
        new = rng.standard_normal(shape).astype(dtype)
        previous = rng.standard_normal(shape).astype(dtype)
        previous.reshape(-1)[::5] = -0.0
        expected = new.copy()
        np.copyto(expected, previous, where=skip[t])
        masks.restore(t, new, previous)
        np.testing.assert_array_equal(new.view(ints), expected.view(ints))
        d = rng.standard_normal(shape).astype(dtype)
        carry_expected = np.where(skip[t], d, 0.0).astype(dtype)
        d_expected = np.where(skip[t], 0.0, d).astype(dtype)
        carry = masks.split(t, d, np.empty_like(d))
        if t == 1:
            assert carry is None  # no sample skipped: nothing to carry
        else:
            np.testing.assert_array_equal(carry.view(ints), carry_expected.view(ints))
        np.testing.assert_array_equal(d.view(ints), d_expected.view(ints))
    assert masked_index(None, dtype) is None and unit_major_skip(None, dtype) is None
