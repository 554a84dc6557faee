"""The differentiable VJP of the fused recurrent ops (`simple_rnn`, `lstm`, `gru`: the
`SimpleRNN`, `LSTM` and `GRU` layers), for gradients of gradients
(`kerasx.autodiff.higher_order`).

The rule replays the sequence step by step with recorded kerasx ops (the same
masks, dropout masks, direction and gate order as `kerasx.ops.rnn`) and runs their
recorded backward (`composite_vjp`). A custom `(fn(xp, v), derivative)` activation
pair runs its `fn` on Tensors with `kerasx.array_api` as `xp` (the derivative is not
needed: the recorded `fn` differentiates itself); an `fn` that namespace cannot run
is declined.
"""

from kerasx.autodiff.higher_order import composite_vjp, differentiable_vjp
from kerasx.ops._helpers import Tensor, current
from kerasx.ops.linalg import matmul
from kerasx.ops.math import exp, where
from kerasx.ops.nn import elu, hard_sigmoid, relu, relu6, selu, sigmoid, softplus, softsign, tanh
from kerasx.ops.rnn import _run
from kerasx.ops.shape import concatenate, getitem, stack

_ACTIVATIONS = {
    "tanh": tanh, "sigmoid": sigmoid, "hard_sigmoid": hard_sigmoid, "relu": relu,
    "relu6": relu6, "linear": lambda v: v, "softsign": softsign, "elu": elu, "selu": selu,
    "softplus": softplus, "exponential": exp,
}


def _cols(t, lo, hi):
    return getitem(t, (Ellipsis, slice(lo, hi)))


def _masked_product(x, w, mask):
    """`x @ w` with a dropout mask on `x`: one shared `(batch, n)` mask, or one per gate
    (`(gates, batch, n)`, each applied before its slice of `w`'s columns)."""
    if mask is None:
        return matmul(x, w)
    if mask.ndim == 2:
        return matmul(x * Tensor(mask), w)
    n = w.shape[-1] // mask.shape[0]
    return concatenate([matmul(x * Tensor(mask[k, ...]), _cols(w, k * n, (k + 1) * n))
                        for k in range(mask.shape[0])], axis=1)


def _gate_mask(mask, lo, hi):
    if mask is None or mask.ndim == 2:
        return mask
    return mask[lo:hi, ...] if hi - lo > 1 else mask[lo, ...]


def _simple_cell(x_t, h, states, w, r, b, acts, dmask, rmask, extra):
    (fa,) = acts
    pre = _masked_product(x_t, w, dmask) + _masked_product(h, r, rmask)
    y = fa(pre if b is None else pre + b)
    return y, (y,)


def _lstm_cell(x_t, h, states, w, r, b, acts, dmask, rmask, extra):
    fa, fr = acts
    c = states[1]
    u = r.shape[0]
    z = _masked_product(x_t, w, dmask)
    z = (z if b is None else z + b) + _masked_product(h, r, rmask)
    i, f = fr(_cols(z, 0, u)), fr(_cols(z, u, 2 * u))
    g, o = fa(_cols(z, 2 * u, 3 * u)), fr(_cols(z, 3 * u, 4 * u))
    c_new = f * c + i * g
    h_new = o * fa(c_new)
    return h_new, (h_new, c_new)


def _gru_cell(x_t, h, states, w, r, b, acts, dmask, rmask, extra):
    fa, fr = acts
    u = r.shape[0]
    reset_after = extra.get("reset_after", True)
    if b is None:
        b_in = b_rec = None
    elif reset_after:
        b_in, b_rec = getitem(b, (0, Ellipsis)), getitem(b, (1, Ellipsis))
    else:
        b_in, b_rec = b, None
    x = _masked_product(x_t, w, dmask)
    x = x if b_in is None else x + b_in
    if reset_after:
        hr = _masked_product(h, r, rmask)
        hr = hr if b_rec is None else hr + b_rec
        z = fr(_cols(x, 0, u) + _cols(hr, 0, u))
        g_r = fr(_cols(x, u, 2 * u) + _cols(hr, u, 2 * u))
        hh = fa(_cols(x, 2 * u, 3 * u) + g_r * _cols(hr, 2 * u, 3 * u))
    else:
        hr = _masked_product(h, _cols(r, 0, 2 * u), _gate_mask(rmask, 0, 2))
        z = fr(_cols(x, 0, u) + _cols(hr, 0, u))
        g_r = fr(_cols(x, u, 2 * u) + _cols(hr, u, 2 * u))
        mask_h = _gate_mask(rmask, 2, 3)
        h_h = h if mask_h is None else h * Tensor(mask_h)
        hh = fa(_cols(x, 2 * u, 3 * u) + matmul(g_r * h_h, _cols(r, 2 * u, 3 * u)))
    h_new = hh + z * (h - hh)
    return h_new, (h_new,)


_CELLS = {"simple_rnn": _simple_cell, "lstm": _lstm_cell, "gru": _gru_cell}


def _custom(fn):
    """The custom activation `fn(xp, v)` on Tensors through `kerasx.array_api`, or None
    when it cannot run there (it calls functions of one library's namespace)."""
    from kerasx import array_api

    probe = Tensor(current().xp.zeros((1,)))
    try:
        ok = isinstance(fn(array_api, probe), Tensor)
    except (AttributeError, TypeError, ValueError, NotImplementedError):
        ok = False
    return (lambda v: fn(array_api, v)) if ok else None


@differentiable_vjp(_run)
def _rnn_rule(grads, parents, outs, env):
    acts = tuple(_ACTIVATIONS[n] if n in _ACTIVATIONS else _custom(pair[0])
                 for n, pair in zip(env["names"], env["pairs"]))
    if None in acts:
        return None  # declined: a custom activation not written for the array API
    cell = _CELLS[env["name"]]
    x_tm, wv, rv, bv, state_values, mask_tm = env["args"]
    dmask, rmask, extra = env["dmask"], env["rmask"], env["extra"]
    zero_output, backwards = env["zero_output_for_mask"], env["go_backwards"]
    steps = x_tm.shape[0]

    def forward(inputs, kernel, rkernel, bias, *states):
        outputs = []
        for s in range(steps):
            if inputs is None:
                x_t = Tensor(x_tm[s, ...])
            else:  # the time-major step `s` reads the input's step in the run's direction
                t = steps - 1 - s if backwards else s
                x_t = getitem(inputs, (slice(None), t, slice(None)))
            h_new, new_states = cell(x_t, states[0], states, kernel, rkernel, bias, acts,
                                     dmask, rmask, extra)
            if mask_tm is not None:
                keep = Tensor(mask_tm[s, :, None])
                new_states = tuple(where(keep, n, o) for n, o in zip(new_states, states))
                h_new = new_states[0]
                if zero_output:
                    h_new = where(keep, h_new, 0.0)
            states = new_states
            outputs.append(h_new)
        return (stack(outputs, axis=1),) + tuple(states)

    constants = (None, wv, rv, bv) + tuple(state_values)
    return composite_vjp(forward, grads, parents, constants)
