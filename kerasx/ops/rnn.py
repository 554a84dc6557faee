"""Whole-sequence recurrent primitives: `simple_rnn`, `lstm` and `gru`.

Each call is ONE tape node. The forward projects the inputs of every timestep
with one matmul, then loops over time doing only the recurrent matmul and the
gate update; the VJP runs backprop through time in one reverse loop and ends
with one matmul each for the kernel, recurrent kernel and input gradients.

Conventions shared by the three ops (Keras 3 semantics and weight layouts):

- `inputs`: `(batch, timesteps, features)`; `kernel`: `(features, G * units)`;
  `recurrent_kernel`: `(units, G * units)`, gates in Keras order (LSTM `i, f, c, o`,
  GRU `z, r, h`; G = 1, 4, 3).
- `mask`: optional `(batch, timesteps)` booleans; at a `False` step the states
  and the output keep their previous values (zeros in the output sequence when
  `zero_output_for_mask`).
- `go_backwards`: the sequence is read last to first and the output sequence is
  returned in that (reversed) order, as Keras does.
- `dropout_mask` / `recurrent_dropout_mask`: already scaled keep-masks, drawn
  once per sequence: `(batch, features)` / `(batch, units)` shared by all gates,
  or `(G, batch, features)` / `(G, batch, units)` with one mask per gate.
- `activation`, `recurrent_activation`: a name from `ACTIVATIONS` or a
  `(fn(xp, v), derivative_from_output(xp, y))` pair.

Every op returns `(outputs, *final_states)` with `outputs` of shape
`(batch, timesteps, units)`.
"""

from kerasx.autodiff.tape import record_multi
from kerasx.ops._helpers import Tensor, current, input_like_weights, tracked, value_of
from kerasx.ops.reduction import column_sum


def _sigmoid(xp, v):
    e = xp.exp(-xp.abs(v))
    return xp.where(v >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def _step(xp, y):
    return xp.astype(y > 0.0, y.dtype)


_SELU_ALPHA, _SELU_SCALE = 1.6732632423543772, 1.0507009873554805

# name -> (f(xp, v), f'(x) written in terms of y = f(x)); only activations whose
# derivative is a function of their output can be fused.
ACTIVATIONS = {
    "tanh": (lambda xp, v: xp.tanh(v), lambda xp, y: 1.0 - y * y),
    "sigmoid": (_sigmoid, lambda xp, y: y * (1.0 - y)),
    "hard_sigmoid": (lambda xp, v: xp.clip(v / 6.0 + 0.5, 0.0, 1.0),
                     lambda xp, y: xp.astype((y > 0.0) & (y < 1.0), y.dtype) / 6.0),
    "relu": (lambda xp, v: xp.maximum(v, 0.0), _step),
    "relu6": (lambda xp, v: xp.clip(v, 0.0, 6.0),
              lambda xp, y: xp.astype((y > 0.0) & (y < 6.0), y.dtype)),
    "linear": (lambda xp, v: v, lambda xp, y: 1.0),
    "softsign": (lambda xp, v: v / (1.0 + xp.abs(v)), lambda xp, y: (1.0 - xp.abs(y)) ** 2),
    "elu": (lambda xp, v: xp.where(v > 0, v, xp.expm1(xp.minimum(v, 0.0))),
            lambda xp, y: xp.where(y > 0, 1.0, y + 1.0)),
    "selu": (lambda xp, v: _SELU_SCALE * xp.where(
        v > 0, v, _SELU_ALPHA * xp.expm1(xp.minimum(v, 0.0))),
        lambda xp, y: xp.where(y > 0, _SELU_SCALE, y + _SELU_SCALE * _SELU_ALPHA)),
    "softplus": (lambda xp, v: xp.maximum(v, 0.0) + xp.log1p(xp.exp(-xp.abs(v))),
                 lambda xp, y: -xp.expm1(-y)),
    "exponential": (lambda xp, v: xp.exp(v), lambda xp, y: y),
}


def _resolve(activation, role):
    if isinstance(activation, str):
        pair = ACTIVATIONS.get(activation)
        if pair is None:
            raise ValueError(
                f"Unsupported {role} {activation!r} for a fused recurrent op; supported: "
                f"{sorted(ACTIVATIONS)}, or pass a (fn, derivative_from_output) pair. "
                "Recurrent layers fall back to a per-step loop for other activations."
            )
        return activation, pair
    if isinstance(activation, tuple) and len(activation) == 2:
        return None, activation
    raise TypeError(
        f"{role} must be a name or a (fn, derivative_from_output) pair, got {activation!r}.")


# -- shared pieces: input projection and recurrent matmul, each with its VJP -----------

def _gate_slices(total, gates):
    n = total // gates
    return [slice(k * n, (k + 1) * n) for k in range(gates)]


def _project(xp, x_tm, kernel, bias, dmask):
    """(T, B, F) inputs -> (T, B, G * units) pre-activations in one matmul (one per
    gate when each gate has its own dropout mask)."""
    T, B, F = x_tm.shape
    if dmask is None or dmask.ndim == 2:
        xs = x_tm if dmask is None else x_tm * dmask
        out = xp.reshape(xs, (T * B, F)) @ kernel
    else:
        out = xp.concat([xp.reshape(x_tm * dmask[k, ...], (T * B, F)) @ kernel[:, s]
                         for k, s in enumerate(_gate_slices(kernel.shape[1], dmask.shape[0]))],
                        axis=1)
    if bias is not None:
        out = out + bias
    return xp.reshape(out, (T, B, kernel.shape[1]))


def _project_vjp(xp, x_tm, kernel, d_tm, dmask, need_x):
    """Gradients of `_project` for the inputs, kernel and bias."""
    T, B, F = x_tm.shape
    d2 = xp.reshape(d_tm, (T * B, kernel.shape[1]))
    db = column_sum(d2)
    kt = xp.matrix_transpose(kernel)
    if dmask is None or dmask.ndim == 2:
        xs = x_tm if dmask is None else x_tm * dmask
        dw = xp.matrix_transpose(xp.reshape(xs, (T * B, F))) @ d2
        dx = None
        if need_x:
            dx = xp.reshape(d2 @ kt, (T, B, F))
            if dmask is not None:
                dx = dx * dmask
        return dx, dw, db
    slices = _gate_slices(kernel.shape[1], dmask.shape[0])
    dw = xp.concat([xp.matrix_transpose(xp.reshape(x_tm * dmask[k, ...], (T * B, F))) @ d2[:, s]
                    for k, s in enumerate(slices)], axis=1)
    dx = None
    if need_x:
        for k, s in enumerate(slices):
            part = xp.reshape(d2[:, s] @ kt[s, :], (T, B, F)) * dmask[k, ...]
            dx = part if dx is None else dx + part
    return dx, dw, db


def _recur(xp, h, rkernel, rmask):
    """h @ recurrent_kernel, with the recurrent dropout mask(s) applied to h."""
    if rmask is None:
        return h @ rkernel
    if rmask.ndim == 2:
        return (h * rmask) @ rkernel
    return xp.concat([(h * rmask[k, ...]) @ rkernel[:, s]
                      for k, s in enumerate(_gate_slices(rkernel.shape[1], rmask.shape[0]))],
                     axis=1)


def _recur_dh(xp, d, rkernel_t, rmask):
    """Gradient of `_recur` for h, given `rkernel_t` = recurrent_kernel transposed."""
    if rmask is None:
        return d @ rkernel_t
    if rmask.ndim == 2:
        return (d @ rkernel_t) * rmask
    out = None
    for k, s in enumerate(_gate_slices(rkernel_t.shape[0], rmask.shape[0])):
        part = (d[:, s] @ rkernel_t[s, :]) * rmask[k, ...]
        out = part if out is None else out + part
    return out


def _recur_dw(xp, h_tm, d_tm, rmask):
    """Gradient of `_recur` for the recurrent kernel over all steps: one matmul."""
    T, B, U = h_tm.shape
    d2 = xp.reshape(d_tm, (T * B, d_tm.shape[-1]))
    if rmask is None or rmask.ndim == 2:
        hs = h_tm if rmask is None else h_tm * rmask
        return xp.matrix_transpose(xp.reshape(hs, (T * B, U))) @ d2
    return xp.concat([xp.matrix_transpose(xp.reshape(h_tm * rmask[k, ...], (T * B, U))) @ d2[:, s]
                      for k, s in enumerate(_gate_slices(d2.shape[1], rmask.shape[0]))], axis=1)


def _keep_where(xp, mask_tm, t, new, old):
    return new if mask_tm is None else xp.where(mask_tm[t, :, None], new, old)


def _split_masked(xp, mask_tm, t, d):
    """Splits a state gradient into the part for the new state and the part that
    flows straight to the previous state at a masked step."""
    if mask_tm is None:
        return d, None
    m = mask_tm[t, :, None]
    return xp.where(m, d, 0.0), xp.where(m, 0.0, d)


def _add(a, b):
    return a if b is None else a + b


def _stack_outputs(xp, outs, mask_tm, zero_output):
    if zero_output and mask_tm is not None:
        outs = [xp.where(mask_tm[t, :, None], o, 0.0) for t, o in enumerate(outs)]
    return xp.stack(outs, axis=1)


def _dout_step(xp, dout, t, mask_tm, zero_output):
    g = dout[:, t, :]
    if zero_output and mask_tm is not None:
        g = xp.where(mask_tm[t, :, None], g, 0.0)
    return g


def _zeros_like_state(xp, like, g):
    return xp.zeros_like(like) if g is None else g


# -- SimpleRNN ---------------------------------------------------------------------------

def simple_rnn_forward(xp, x_tm, kernel, rkernel, bias, states, mask_tm, acts, dmask, rmask,
                       zero_output):
    """Portable forward of `simple_rnn` on time-major inputs; returns (outputs, finals, saved)."""
    (fa, _), = acts
    xw = _project(xp, x_tm, kernel, bias, dmask)
    h, = states
    hs, ys, outs = [], [], []
    for t in range(x_tm.shape[0]):
        y = fa(xp, xw[t, ...] + _recur(xp, h, rkernel, rmask))
        hs.append(h)
        ys.append(y)
        h = _keep_where(xp, mask_tm, t, y, h)
        outs.append(h)
    saved = (x_tm, kernel, rkernel, dmask, rmask, mask_tm, zero_output, acts, hs, ys)
    return _stack_outputs(xp, outs, mask_tm, zero_output), (h,), saved


def simple_rnn_backward(xp, saved, dout, dfinals, needs):
    """Portable backprop through time for `simple_rnn`."""
    x_tm, kernel, rkernel, dmask, rmask, mask_tm, zero_output, acts, hs, ys = saved
    (_, da), = acts
    rt = xp.matrix_transpose(rkernel)
    dh = _zeros_like_state(xp, hs[0], dfinals[0])
    dpre = [None] * len(hs)
    for t in reversed(range(len(hs))):
        if dout is not None:
            dh = dh + _dout_step(xp, dout, t, mask_tm, zero_output)
        dh, carry = _split_masked(xp, mask_tm, t, dh)
        dpre[t] = dh * da(xp, ys[t])
        dh = _add(_recur_dh(xp, dpre[t], rt, rmask), carry)
    d_tm = xp.stack(dpre)
    dr = _recur_dw(xp, xp.stack(hs), d_tm, rmask)
    dx, dw, db = _project_vjp(xp, x_tm, kernel, d_tm, dmask, needs[0])
    return dx, dw, dr, db, (dh,)


# -- LSTM --------------------------------------------------------------------------------

def lstm_forward(xp, x_tm, kernel, rkernel, bias, states, mask_tm, acts, dmask, rmask,
                 zero_output):
    """Portable forward of `lstm` on time-major inputs; returns (outputs, finals, saved)."""
    (fa, _), (fr, _) = acts
    u = rkernel.shape[0]
    xw = _project(xp, x_tm, kernel, bias, dmask)
    h, c = states
    steps, outs = [], []
    for t in range(x_tm.shape[0]):
        z = xw[t, ...] + _recur(xp, h, rkernel, rmask)
        i, f = fr(xp, z[:, :u]), fr(xp, z[:, u:2 * u])
        g, o = fa(xp, z[:, 2 * u:3 * u]), fr(xp, z[:, 3 * u:])
        c_new = f * c + i * g
        tc = fa(xp, c_new)
        steps.append((h, c, i, f, g, o, tc))
        h = _keep_where(xp, mask_tm, t, o * tc, h)
        c = _keep_where(xp, mask_tm, t, c_new, c)
        outs.append(h)
    saved = (x_tm, kernel, rkernel, dmask, rmask, mask_tm, zero_output, acts, steps)
    return _stack_outputs(xp, outs, mask_tm, zero_output), (h, c), saved


def lstm_backward(xp, saved, dout, dfinals, needs):
    """Portable backprop through time for `lstm`."""
    x_tm, kernel, rkernel, dmask, rmask, mask_tm, zero_output, acts, steps = saved
    (_, da), (_, dr) = acts
    rt = xp.matrix_transpose(rkernel)
    dh = _zeros_like_state(xp, steps[0][0], dfinals[0])
    dc = _zeros_like_state(xp, steps[0][1], dfinals[1])
    dzs = [None] * len(steps)
    for t in reversed(range(len(steps))):
        h_prev, c_prev, i, f, g, o, tc = steps[t]
        if dout is not None:
            dh = dh + _dout_step(xp, dout, t, mask_tm, zero_output)
        dh, h_carry = _split_masked(xp, mask_tm, t, dh)
        dc, c_carry = _split_masked(xp, mask_tm, t, dc)
        dc = dc + dh * o * da(xp, tc)
        dzs[t] = xp.concat([dc * g * dr(xp, i), dc * c_prev * dr(xp, f),
                            dc * i * da(xp, g), dh * tc * dr(xp, o)], axis=1)
        dc = _add(dc * f, c_carry)
        dh = _add(_recur_dh(xp, dzs[t], rt, rmask), h_carry)
    d_tm = xp.stack(dzs)
    dr_w = _recur_dw(xp, xp.stack([s[0] for s in steps]), d_tm, rmask)
    dx, dw, db = _project_vjp(xp, x_tm, kernel, d_tm, dmask, needs[0])
    return dx, dw, dr_w, db, (dh, dc)


# -- GRU ---------------------------------------------------------------------------------

def _gru_bias(bias, reset_after):
    if bias is None:
        return None, None
    if reset_after:
        return bias[0, ...], bias[1, ...]
    return bias, None


def _gate_masks(mask, lo, hi):
    """The recurrent dropout mask(s) of gates lo..hi-1 (shared masks pass through)."""
    if mask is None or mask.ndim == 2:
        return mask
    return mask[lo:hi, ...] if hi - lo > 1 else mask[lo, ...]


def gru_forward(xp, x_tm, kernel, rkernel, bias, states, mask_tm, acts, dmask, rmask,
                zero_output, reset_after=True):
    """Portable forward of `gru` on time-major inputs; returns (outputs, finals, saved)."""
    (fa, _), (fr, _) = acts
    u = rkernel.shape[0]
    b_in, b_rec = _gru_bias(bias, reset_after)
    xw = _project(xp, x_tm, kernel, b_in, dmask)
    rk_zr, rk_h = rkernel[:, :2 * u], rkernel[:, 2 * u:]
    h, = states
    steps, outs = [], []
    for t in range(x_tm.shape[0]):
        x_t = xw[t, ...]
        if reset_after:
            hr = _recur(xp, h, rkernel, rmask)
            if b_rec is not None:
                hr = hr + b_rec
            z = fr(xp, x_t[:, :u] + hr[:, :u])
            r = fr(xp, x_t[:, u:2 * u] + hr[:, u:2 * u])
            keep = hr[:, 2 * u:]
            hh = fa(xp, x_t[:, 2 * u:] + r * keep)
        else:
            hr = _recur(xp, h, rk_zr, _gate_masks(rmask, 0, 2))
            z = fr(xp, x_t[:, :u] + hr[:, :u])
            r = fr(xp, x_t[:, u:2 * u] + hr[:, u:])
            h_h = h if rmask is None else h * _gate_masks(rmask, 2, 3)
            keep = r * h_h
            hh = fa(xp, x_t[:, 2 * u:] + keep @ rk_h)
        steps.append((h, z, r, hh, keep))
        h = _keep_where(xp, mask_tm, t, hh + z * (h - hh), h)
        outs.append(h)
    saved = (x_tm, kernel, rkernel, dmask, rmask, mask_tm, zero_output, acts, steps, reset_after)
    return _stack_outputs(xp, outs, mask_tm, zero_output), (h,), saved


def gru_backward(xp, saved, dout, dfinals, needs):
    """Portable backprop through time for `gru` (both `reset_after` conventions)."""
    x_tm, kernel, rkernel, dmask, rmask, mask_tm, zero_output, acts, steps, reset_after = saved
    (_, da), (_, dr) = acts
    u = rkernel.shape[0]
    rt = xp.matrix_transpose(rkernel)
    rt_zr, rt_h = rt[:2 * u, :], rt[2 * u:, :]
    mask_h = None if rmask is None else _gate_masks(rmask, 2, 3)
    dh = _zeros_like_state(xp, steps[0][0], dfinals[0])
    dxs, drs = [None] * len(steps), [None] * len(steps)
    for t in reversed(range(len(steps))):
        h_prev, z, r, hh, keep = steps[t]
        if dout is not None:
            dh = dh + _dout_step(xp, dout, t, mask_tm, zero_output)
        dh, carry = _split_masked(xp, mask_tm, t, dh)
        dz = dh * (h_prev - hh) * dr(xp, z)
        dpre_h = dh * (1.0 - z) * da(xp, hh)
        direct = dh * z
        if reset_after:
            d_r = dpre_h * keep * dr(xp, r)
            drs[t] = xp.concat([dz, d_r, dpre_h * r], axis=1)
            dh = direct + _recur_dh(xp, drs[t], rt, rmask)
        else:
            d_keep = dpre_h @ rt_h
            h_h = h_prev if mask_h is None else h_prev * mask_h
            d_r = d_keep * h_h * dr(xp, r)
            d_hh = d_keep * r if mask_h is None else d_keep * r * mask_h
            drs[t] = xp.concat([dz, d_r], axis=1)
            dh = direct + d_hh + _recur_dh(xp, drs[t], rt_zr, _gate_masks(rmask, 0, 2))
        dh = _add(dh, carry)
        dxs[t] = xp.concat([dz, d_r, dpre_h], axis=1)
    dx_tm = xp.stack(dxs)
    dr_tm = xp.stack(drs)
    h_tm = xp.stack([s[0] for s in steps])
    dx, dw, db_in = _project_vjp(xp, x_tm, kernel, dx_tm, dmask, needs[0])
    if reset_after:
        dr_w = _recur_dw(xp, h_tm, dr_tm, rmask)
        db = xp.stack([db_in, xp.sum(dr_tm, axis=(0, 1))])
    else:
        dr_zr = _recur_dw(xp, h_tm, dr_tm, _gate_masks(rmask, 0, 2))
        keeps = xp.stack([s[4] for s in steps])
        dr_h = _recur_dw(xp, keeps, dx_tm[:, :, 2 * u:], None)
        dr_w = xp.concat([dr_zr, dr_h], axis=1)
        db = db_in
    return dx, dw, dr_w, db, (dh,)


# -- the public ops ------------------------------------------------------------------------

_PORTABLE = {
    "simple_rnn": (simple_rnn_forward, simple_rnn_backward),
    "lstm": (lstm_forward, lstm_backward),
    "gru": (gru_forward, gru_backward),
}


def _run(name, n_states, inputs, kernel, recurrent_kernel, bias, initial_state, mask,
         activations, go_backwards, zero_output_for_mask, dropout_mask, recurrent_dropout_mask,
         return_sequences, **extra):
    backend = current()
    xp = backend.xp
    xv, wv, rv, bv = (_native(backend, a) for a in (inputs, kernel, recurrent_kernel, bias))
    xv = input_like_weights(xv, wv)
    if len(xv.shape) != 3:
        raise ValueError(
            f"{name} expects inputs of shape (batch, timesteps, features), received shape "
            f"{tuple(xv.shape)}. Add a time axis (e.g. reshape to (batch, 1, features)).")
    batch, units = xv.shape[0], rv.shape[0]
    states = _initial_states(backend, name, initial_state, n_states, batch, units, xv.dtype)
    names, pairs = zip(*[_resolve(a, role) for a, role in activations])
    x_tm = xp.permute_dims(xv, (1, 0, 2))
    mask_tm = None
    if mask is not None:
        mv = _native(backend, mask)
        if mv.dtype != xp.bool:
            mv = mv != 0
        if tuple(mv.shape) != tuple(xv.shape[:2]):
            raise ValueError(
                f"{name}: mask must have shape (batch, timesteps) = {tuple(xv.shape[:2])}, "
                f"received shape {tuple(mv.shape)}.")
        mask_tm = xp.permute_dims(mv, (1, 0))
    if go_backwards:
        x_tm = xp.flip(x_tm, axis=0)
        mask_tm = None if mask_tm is None else xp.flip(mask_tm, axis=0)
    dmask, rmask = _native(backend, dropout_mask), _native(backend, recurrent_dropout_mask)
    args = (x_tm, wv, rv, bv, tuple(_native(backend, s) for s in states), mask_tm)
    forward, backward = _PORTABLE[name]
    parents = (inputs, kernel, recurrent_kernel, bias) + tuple(states)
    need_grad = tracked(*parents)
    result = None
    # without a gradient, a backend's forward-only kernel (no saved buffers) comes first
    kinds = () if None in names else ("forward",) if need_grad else ("inference", "forward")
    for kind in kinds:
        fast = backend.kernel(f"{name}_{kind}")
        if fast is not None:
            options = dict(extra, sequences=return_sequences) if kind == "inference" else extra
            result = fast(*args, names, dmask, rmask, zero_output_for_mask, **options)
            if result is not None:
                break
    if result is None:
        result = forward(xp, *args, pairs, dmask, rmask, zero_output_for_mask, **extra)
        run_backward = lambda *a: backward(xp, *a)  # noqa: E731
    else:
        run_backward = backend.kernel(f"{name}_backward")
    outputs, finals, saved = result
    if not need_grad:
        if outputs is None:  # a forward-only kernel that kept no sequence
            outputs = finals[0]
            if zero_output_for_mask and mask_tm is not None:
                outputs = xp.where(mask_tm[-1][:, None], outputs, 0.0)
        elif not return_sequences:
            outputs = outputs[:, -1, ...]
        return (Tensor(outputs),) + tuple(Tensor(s) for s in finals)
    needs = (getattr(inputs, "tracked", False),)

    def vjp(grads):
        # kept in the closure: the recorded backward reads them here
        _ = (name, names, pairs, args, dmask, rmask, zero_output_for_mask, extra)
        dout, dfinals = grads[0], grads[1:]
        dx_tm, dw, dr, db, dstates = run_backward(saved, dout, dfinals, needs)
        dx = None
        if dx_tm is not None:
            if go_backwards:
                dx_tm = xp.flip(dx_tm, axis=0)
            dx = xp.permute_dims(dx_tm, (1, 0, 2))
        return (dx, dw, dr, db if bias is not None else None) + tuple(dstates)

    results = record_multi((outputs,) + tuple(finals), parents, vjp)
    if return_sequences:
        return results
    if zero_output_for_mask and mask_tm is not None:
        return (results[0][:, -1, ...],) + tuple(results[1:])
    # the last output is the final state: its gradient then reaches the backward pass as
    # a state gradient, with no mostly-zero sequence gradient to walk through
    return (results[1],) + tuple(results[1:])


def _native(backend, x):
    """The backend array behind `x` (host data is moved to the device); None stays None."""
    if x is None:
        return None
    value = value_of(x)
    return value if backend.is_native(value) else backend.asarray(value)


def _initial_states(backend, name, initial_state, n_states, batch, units, dtype):
    xp = backend.xp
    if initial_state is None:
        zeros = Tensor(xp.zeros((batch, units), dtype=dtype, device=backend.device))
        return [zeros] * n_states
    states = list(initial_state) if isinstance(initial_state, (list, tuple)) else [initial_state]
    shapes = [tuple(getattr(value_of(s), "shape", ())) for s in states]
    if len(states) != n_states or any(s != (batch, units) for s in shapes):
        raise ValueError(
            f"{name} expects initial_state to be {n_states} tensor(s) of shape (batch, units) = "
            f"{(batch, units)}, received {len(states)} with shapes {shapes}.")
    return [s if hasattr(s, "value") else Tensor(backend.asarray(s)) for s in states]


def simple_rnn(inputs, kernel, recurrent_kernel, bias=None, initial_state=None, mask=None,
               activation="tanh", go_backwards=False, zero_output_for_mask=False,
               dropout_mask=None, recurrent_dropout_mask=None, return_sequences=True):
    """A whole SimpleRNN sequence: `h_t = activation(x_t @ W + h_{t-1} @ U + b)`.

    Returns:
        `(outputs, h)`: the output sequence `(batch, timesteps, units)` and the final state.
    With `return_sequences=False` the first result is the last output `(batch, units)`
    instead of the sequence (a forward-only backend kernel then keeps no sequence).
    """
    return _run("simple_rnn", 1, inputs, kernel, recurrent_kernel, bias, initial_state, mask,
                [(activation, "activation")], go_backwards, zero_output_for_mask, dropout_mask,
                recurrent_dropout_mask, return_sequences)


def lstm(inputs, kernel, recurrent_kernel, bias=None, initial_state=None, mask=None,
         activation="tanh", recurrent_activation="sigmoid", go_backwards=False,
         zero_output_for_mask=False, dropout_mask=None, recurrent_dropout_mask=None,
         return_sequences=True):
    """A whole LSTM sequence with Keras's gate order `i, f, c, o`.

    `initial_state` is `[h0, c0]` (zeros when None).

    Returns:
        `(outputs, h, c)`: the output sequence and the final memory and carry states.
    With `return_sequences=False` the first result is the last output `(batch, units)`
    instead of the sequence (a forward-only backend kernel then keeps no sequence).
    """
    return _run("lstm", 2, inputs, kernel, recurrent_kernel, bias, initial_state, mask,
                [(activation, "activation"), (recurrent_activation, "recurrent_activation")],
                go_backwards, zero_output_for_mask, dropout_mask, recurrent_dropout_mask,
                return_sequences)


def gru(inputs, kernel, recurrent_kernel, bias=None, initial_state=None, mask=None,
        activation="tanh", recurrent_activation="sigmoid", reset_after=True, go_backwards=False,
        zero_output_for_mask=False, dropout_mask=None, recurrent_dropout_mask=None,
        return_sequences=True):
    """A whole GRU sequence with Keras's gate order `z, r, h`.

    With `reset_after=True` (Keras's default) the bias has shape `(2, 3 * units)`
    (input and recurrent biases) and the reset gate multiplies the recurrent
    projection; with `reset_after=False` the bias is `(3 * units,)` and the reset
    gate multiplies the state before its projection.

    Returns:
        `(outputs, h)`: the output sequence and the final state.
    With `return_sequences=False` the first result is the last output `(batch, units)`
    instead of the sequence (a forward-only backend kernel then keeps no sequence).
    """
    return _run("gru", 1, inputs, kernel, recurrent_kernel, bias, initial_state, mask,
                [(activation, "activation"), (recurrent_activation, "recurrent_activation")],
                go_backwards, zero_output_for_mask, dropout_mask, recurrent_dropout_mask,
                return_sequences, reset_after=reset_after)


from kerasx.ops import rnn_grads  # noqa: E402,F401  (registers the differentiable rule)
