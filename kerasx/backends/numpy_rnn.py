"""Fast NumPy kernels (rnn), registered by the NumPy backend; the tests check each
against the portable array-API path in `kerasx.ops.rnn`.

Same contract as the portable `*_forward` / `*_backward` functions there, on
NumPy arrays: a forward returns `(outputs, final_states, saved)` or None when it
does not handle the options (the op then runs the portable path), and the
matching backward consumes its own `saved`. An `*_inference` kernel has the same
signature and is tried first when no gradient is needed; it keeps no per-timestep
buffers and returns `saved` as None. The speed comes from time-major
preallocated buffers, gate math done in place with `out=` (no temporaries per
step), sigmoid gates evaluated through one `tanh` over the gate row (sigmoid(x) =
0.5 tanh(x / 2) + 0.5, with the 1/2 folded into the weights), and the weight
gradients taken as one matmul over all timesteps.
"""

import numpy as np


def _sigmoid_(v):
    v *= 0.5
    np.tanh(v, out=v)
    v *= 0.5
    v += 0.5


def _tanh_(v):
    np.tanh(v, out=v)


def _relu_(v):
    np.maximum(v, 0.0, out=v)


def _linear_(v):
    pass


def _d_sigmoid(y, out):
    np.subtract(1.0, y, out=out)
    out *= y


def _d_tanh(y, out):
    np.multiply(y, y, out=out)
    np.subtract(1.0, out, out=out)


def _d_relu(y, out):
    np.greater(y, 0.0, out=out, casting="unsafe")


def _d_linear(y, out):
    out.fill(1.0)


# name -> (in-place activation, derivative from the output written into `out`)
_ACT = {"tanh": (_tanh_, _d_tanh), "sigmoid": (_sigmoid_, _d_sigmoid),
        "relu": (_relu_, _d_relu), "linear": (_linear_, _d_linear)}


def _supported(names, dmask, rmask):
    return (all(n in _ACT for n in names)
            and (dmask is None or dmask.ndim == 2) and (rmask is None or rmask.ndim == 2))


def _project(x_tm, kernel, bias, dmask):
    t, b, f = x_tm.shape
    xs = x_tm if dmask is None else x_tm * dmask
    x2 = np.ascontiguousarray(xs).reshape(t * b, f)
    out = x2 @ kernel
    if bias is not None:
        out += bias
    return x2, out.reshape(t, b, kernel.shape[1])


def _project_vjp(x2, kernel, d_tm, dmask, need_x):
    t, b, n = d_tm.shape
    d2 = d_tm.reshape(t * b, n)
    dw = x2.T @ d2
    db = d2.sum(axis=0)
    dx = None
    if need_x:
        dx = (d2 @ kernel.T).reshape(t, b, kernel.shape[0])
        if dmask is not None:
            dx *= dmask
    return dx, dw, db


def _recur_dw(h_tm, d_tm, rmask):
    t, b, u = h_tm.shape
    hs = h_tm if rmask is None else h_tm * rmask
    return hs.reshape(t * b, u).T @ d_tm.reshape(t * b, d_tm.shape[-1])


def _masked_index(mask_tm):
    """(T, B, 1) booleans, True at the masked (skipped) steps."""
    return None if mask_tm is None else ~mask_tm[:, :, None]


def _outputs(hseq, mask_tm, zero_output):
    out = hseq.transpose(1, 0, 2)
    if zero_output and mask_tm is not None:
        out = np.where(mask_tm.T[:, :, None], out, 0.0).astype(hseq.dtype, copy=False)
    return out


def _state_grad(g, like):
    return np.zeros_like(like) if g is None else np.array(g, dtype=like.dtype, copy=True)


def _dout_tm(dout, mask_tm, zero_output):
    if dout is None:
        return None
    d = dout.transpose(1, 0, 2)
    if zero_output and mask_tm is not None:
        d = d * mask_tm[:, :, None]
    return d


def _unit_major_grad(g, u, b, dtype):
    """A final-state gradient `(batch, units)` as a fresh C-ordered `(units, batch)` array
    (a plain copy of the transpose would keep Fortran order and slow every step)."""
    if g is None:
        return np.zeros((u, b), dtype)
    return np.array(g.T, dtype=dtype, order="C")


def _split_(skip, t, d, carry):
    """Moves the gradient of masked rows of `d` into `carry` (returned), zeroing them in d."""
    if skip is None:
        return None
    k = skip[t]
    np.multiply(d, k, out=carry)
    np.copyto(d, 0.0, where=k)
    return carry


def _step_buffer(x_tm, h0, dmask=None):
    """The `(T + 1, features + units + 1, batch)` buffer whose column block t is
    `[x_t; h_(t-1); 1]`, and its `h` rows (block t + 1 receives the new state)."""
    t_len, b, f = x_tm.shape
    u = h0.shape[-1]
    buf = np.empty((t_len + 1, f + u + 1, b), x_tm.dtype)
    xs = x_tm if dmask is None else x_tm * dmask
    buf[:t_len, :f] = xs.transpose(0, 2, 1)
    buf[:, f + u] = 1.0
    hs = buf[:, f:f + u]
    hs[0] = h0.T
    return buf, hs


class _InferenceSteps:
    """The step blocks of a forward-only kernel: the whole `_step_buffer` when the
    output sequence is wanted, else two blocks used in turn (the input of step t is
    copied into its block just before the step), so memory does not grow with T."""

    def __init__(self, x_tm, h0, keep_sequence):
        self.keep = keep_sequence
        if keep_sequence:
            self.buf, self.hs = _step_buffer(x_tm, h0)
            return
        f, u, b = x_tm.shape[2], h0.shape[-1], x_tm.shape[1]
        self.x_tm, self.f = x_tm, f
        self.buf = np.empty((2, f + u + 1, b), x_tm.dtype)
        self.buf[:, f + u] = 1.0
        self.hs = self.buf[:, f:f + u]
        self.hs[0] = h0.T

    def block(self, t):
        """`[x_t; h_(t-1); 1]`, and the index of the rows in `hs` that receive h_t."""
        if self.keep:
            return self.buf[t], t + 1
        block = self.buf[t & 1]
        block[:self.f] = self.x_tm[t].T
        return block, (t + 1) & 1

    def previous(self, t):
        return self.hs[t] if self.keep else self.hs[t & 1]

    def results(self, t_len, mask_tm, zero_output, dtype):
        """(output sequence or None, final h as `(batch, units)`)."""
        last = self.hs[t_len if self.keep else t_len & 1]
        if not self.keep:
            return None, np.ascontiguousarray(last.T)
        outputs = self.hs[1:].transpose(2, 0, 1)
        if zero_output and mask_tm is not None:
            outputs = np.where(mask_tm.T[:, :, None], outputs, 0.0).astype(dtype, copy=False)
        return outputs, np.ascontiguousarray(last.T)


def _lstm_weights(kernel, rkernel, bias, order, fused, dtype):
    """`[W; U; b]` transposed to gate rows in kernel order i, f, o, c (the sigmoid
    rows pre-scaled by 1/2 when the gates are fused into one tanh)."""
    f, u = kernel.shape[0], rkernel.shape[0]
    w = np.empty((4 * u, f + u + 1), dtype)
    w[:, :f] = kernel[:, order].T
    w[:, f:f + u] = rkernel[:, order].T
    w[:, f + u] = 0.0 if bias is None else bias[order]
    if fused:
        w[:3 * u] *= 0.5
    return w


# -- LSTM --------------------------------------------------------------------------------
# The LSTM runs unit-major: states are `(units, batch)` and step t multiplies `[W; U; b]^T`
# (gate rows) by the `[x_t; h_{t-1}; 1]` block of one buffer, so input, recurrent and bias
# terms are one matmul, each gate is a contiguous block of rows (the elementwise passes run
# on contiguous memory), the new h lands in the next block, and the weight gradients (bias
# included, through the ones row) are one matmul over all steps. Recurrent dropout masks
# the h rows of the buffer; the state itself is then kept beside it.
# Inside the kernel the gate columns are reordered i, f, o, c (Keras stores i, f, c, o) so
# the three recurrent-activation gates form one block; with sigmoid gates the weights of
# that block are pre-scaled by 1/2, making sigmoid(z) = 0.5 * tanh(z / 2) + 0.5 one tanh
# over the whole row plus two scalar ops on the block.

def _lstm_order(u):
    return np.concatenate([np.arange(0, 2 * u), np.arange(3 * u, 4 * u), np.arange(2 * u, 3 * u)])


def _unorder(a, order):
    out = np.empty_like(a)
    out[..., order] = a
    return out


def _per_gate(mask, k_gate):
    """The mask of Keras gate `k_gate` from a per-gate `(4, batch, n)` stack, a shared
    `(batch, n)` mask, or None."""
    if mask is None or mask.ndim == 2:
        return mask
    return mask[k_gate]


# Keras gate index (i, f, c, o) of each row block of the kernel order i, f, o, c
_KERAS_GATE = (0, 1, 3, 2)


def lstm_forward(x_tm, kernel, rkernel, bias, states, mask_tm, names, dmask, rmask, zero_output):
    if not all(n in _ACT for n in names):
        return None
    act, ract = names
    t_len, b, f = x_tm.shape
    u = rkernel.shape[0]
    dtype = x_tm.dtype
    order = _lstm_order(u)
    fused = ract == "sigmoid" and act == "tanh"
    kernel_p, rkernel_p = kernel[:, order], rkernel[:, order]
    w = _lstm_weights(kernel, rkernel, bias, order, fused, dtype)
    gates = np.empty((t_len, 4 * u, b), dtype)
    # Per-gate dropout masks (Keras's implementation 1, used with recurrent dropout) give
    # each gate its own masked input and state: the input terms of all steps are then
    # projected per gate up front and each step does one units x units matmul per gate.
    per_gate = any(m is not None and m.ndim == 3 for m in (dmask, rmask))
    buf = rms = None
    if per_gate:
        hseq = np.empty((t_len + 1, u, b), dtype)
        hseq[0] = states[0].T
        for k, g in enumerate(_KERAS_GATE):
            dm = _per_gate(dmask, g)
            xs = x_tm if dm is None else x_tm * dm
            rows = slice(k * u, (k + 1) * u)
            np.matmul(w[rows, :f], xs.transpose(0, 2, 1), out=gates[:, rows])
            gates[:, rows] += w[rows, f + u][:, None]
        recur = [np.ascontiguousarray(w[k * u:(k + 1) * u, f:f + u]) for k in range(4)]
        rms = [None if rmask is None else np.ascontiguousarray(_per_gate(rmask, g).T)
               for g in _KERAS_GATE]
        hm = np.empty((u, b), dtype)
        rec = np.empty((u, b), dtype)
    else:
        buf, hs = _step_buffer(x_tm, states[0], dmask)
        # With recurrent dropout the buffer's h rows hold the dropped-out state that the
        # matmul reads, and the state itself (outputs, final h, carried over masked steps)
        # is `hseq`.
        rm = hseq = hs
        if rmask is not None:
            rm = np.ascontiguousarray(rmask.T)
            hseq = np.empty((t_len + 1, u, b), dtype)
            hseq[0] = states[0].T
            np.multiply(hseq[0], rm, out=hs[0])
        rms = None if rmask is None else rm
    cseq = np.empty((t_len + 1, u, b), dtype)
    tcs = np.empty((t_len, u, b), dtype)
    cseq[0] = states[1].T
    tmp = np.empty((u, b), dtype)
    skip = None if mask_tm is None else ~mask_tm[:, None, :]
    f_act, f_ract = _ACT[act][0], _ACT[ract][0]
    for t in range(t_len):
        z = gates[t]
        if per_gate:
            for k in range(4):
                h = hseq[t] if rms[k] is None else np.multiply(hseq[t], rms[k], out=hm)
                np.matmul(recur[k], h, out=rec)
                z[k * u:(k + 1) * u] += rec
        else:
            np.matmul(w, buf[t], out=z)
        if fused:
            np.tanh(z, out=z)
            sig = z[:3 * u]
            sig *= 0.5
            sig += 0.5
        else:
            f_ract(z[:3 * u])
            f_act(z[3 * u:])
        c = cseq[t + 1]
        np.multiply(z[u:2 * u], cseq[t], out=c)
        np.multiply(z[:u], z[3 * u:], out=tmp)
        c += tmp
        if act == "tanh":
            np.tanh(c, out=tcs[t])
        else:
            np.copyto(tcs[t], c)
            f_act(tcs[t])
        np.multiply(z[2 * u:3 * u], tcs[t], out=hseq[t + 1])
        if skip is not None:
            np.copyto(hseq[t + 1], hseq[t], where=skip[t])
            np.copyto(c, cseq[t], where=skip[t])
        if not per_gate and rmask is not None:
            np.multiply(hseq[t + 1], rms, out=hs[t + 1])
    outputs = hseq[1:].transpose(2, 0, 1)
    if zero_output and mask_tm is not None:
        outputs = np.where(mask_tm.T[:, :, None], outputs, 0.0).astype(dtype, copy=False)
    inputs = (x_tm, dmask, hseq) if per_gate else None
    saved = (kernel_p, rkernel_p, dmask, mask_tm, zero_output, names, buf, gates, cseq, tcs,
             order, rms, inputs)
    finals = (np.ascontiguousarray(hseq[t_len].T), np.ascontiguousarray(cseq[t_len].T))
    return outputs, finals, saved


def lstm_backward(saved, dout, dfinals, needs):
    (kernel_p, rkernel_p, dmask, mask_tm, zero_output, names, buf, gates, cseq, tcs, order,
     rms, inputs) = saved
    per_gate = inputs is not None
    act, ract = names
    t_len, n, b = gates.shape
    u = n // 4
    f = kernel_p.shape[0]
    dtype = gates.dtype
    d_act, d_ract = _ACT[act][1], _ACT[ract][1]
    dz_all = np.empty_like(gates)
    dh, dc = _unit_major_grad(dfinals[0], u, b, dtype), _unit_major_grad(dfinals[1], u, b, dtype)
    d_out = None
    if dout is not None:
        d_out = dout.transpose(1, 2, 0)
        if zero_output and mask_tm is not None:
            d_out = d_out * mask_tm[:, None, :]
    skip = None if mask_tm is None else ~mask_tm[:, None, :]
    tmp = np.empty((u, b), dtype)
    deriv = np.empty((n, b), dtype)
    h_carry, c_carry = np.empty_like(tmp), np.empty_like(tmp)
    if per_gate:
        recur = [np.ascontiguousarray(rkernel_p[:, k * u:(k + 1) * u]) for k in range(4)]
        part = np.empty((u, b), dtype)
    else:
        rk = np.ascontiguousarray(rkernel_p)
    for t in reversed(range(t_len)):
        y, tc, dz = gates[t], tcs[t], dz_all[t]
        if d_out is not None:
            dh += d_out[t]
        hk = _split_(skip, t, dh, h_carry)
        ck = _split_(skip, t, dc, c_carry)
        d_act(tc, tmp)
        tmp *= y[2 * u:3 * u]
        tmp *= dh
        dc += tmp
        np.multiply(dc, y[3 * u:], out=dz[:u])
        np.multiply(dc, cseq[t], out=dz[u:2 * u])
        np.multiply(dh, tc, out=dz[2 * u:3 * u])
        np.multiply(dc, y[:u], out=dz[3 * u:])
        dc *= y[u:2 * u]
        d_ract(y[:3 * u], deriv[:3 * u])
        d_act(y[3 * u:], deriv[3 * u:])
        dz *= deriv
        if per_gate:
            dh.fill(0.0)
            for k in range(4):
                np.matmul(recur[k], dz[k * u:(k + 1) * u], out=part)
                if rms[k] is not None:
                    part *= rms[k]
                dh += part
        else:
            np.matmul(rk, dz, out=dh)
            if rms is not None:
                dh *= rms
        if hk is not None:
            dh += hk
            dc += ck
    if per_gate:
        dw, dr, db, dx = _lstm_per_gate_grads(inputs, kernel_p, dz_all, rms, needs[0])
    else:
        # one matmul over all timesteps; the ones row of `buf` turns into the bias gradient
        d2 = dz_all.transpose(1, 0, 2).reshape(n, t_len * b)
        x2 = buf[:t_len].transpose(1, 0, 2).reshape(buf.shape[1], t_len * b)
        dfull = d2 @ x2.T
        dx = None
        if needs[0]:
            dx = np.matmul(kernel_p, dz_all).transpose(0, 2, 1)
            if dmask is not None:
                dx = dx * dmask
        dw, dr, db = dfull[:, :f].T, dfull[:, f:f + u].T, dfull[:, f + u]
    return (dx, _unorder(dw, order), _unorder(dr, order), _unorder(db, order),
            (np.ascontiguousarray(dh.T), np.ascontiguousarray(dc.T)))


def _lstm_per_gate_grads(inputs, kernel_p, dz_all, rms, need_x):
    """Kernel, recurrent kernel, bias and input gradients (kernel order) with per-gate masks."""
    x_tm, dmask, hseq = inputs
    t_len, n, b = dz_all.shape
    u = n // 4
    f = kernel_p.shape[0]
    dw = np.empty((f, n), dz_all.dtype)
    dr = np.empty((u, n), dz_all.dtype)
    dx = np.zeros(x_tm.shape, dz_all.dtype) if need_x else None
    for k, g in enumerate(_KERAS_GATE):
        cols = slice(k * u, (k + 1) * u)
        dz = dz_all[:, cols]
        dm = _per_gate(dmask, g)
        xs = x_tm if dm is None else x_tm * dm
        dw[:, cols] = np.tensordot(xs, dz, axes=([0, 1], [0, 2]))
        hs = hseq[:t_len] if rms[k] is None else hseq[:t_len] * rms[k]
        dr[:, cols] = np.tensordot(hs, dz, axes=([0, 2], [0, 2]))
        if need_x:
            part = np.matmul(kernel_p[:, cols], dz).transpose(0, 2, 1)
            dx += part if dm is None else part * dm
    return dw, dr, dz_all.sum(axis=(0, 2)), dx


def lstm_inference(x_tm, kernel, rkernel, bias, states, mask_tm, names, dmask, rmask,
                   zero_output, sequences=True):
    """Forward only, keeping no buffers for a backward pass.

    Unit-major layout: step t multiplies `[W; U; b]^T` by column block `[x_t; h; 1]`
    of one `(timesteps + 1, features + units + 1, batch)` buffer, so the input,
    recurrent and bias terms come out of one matmul, each gate is a contiguous
    block of rows, and the new `h` is written straight into the next block, where
    it is both the next matmul's input and the returned output sequence. With
    `sequences=False` no output sequence is kept (None is returned in its place)
    and two blocks are used in turn.
    """
    act, ract = names
    if not _supported(names, dmask, rmask) or dmask is not None or rmask is not None:
        return None
    t_len, b, f = x_tm.shape
    u = rkernel.shape[0]
    dtype = x_tm.dtype
    order = _lstm_order(u)
    fused = ract == "sigmoid" and act == "tanh"
    w = _lstm_weights(kernel, rkernel, bias, order, fused, dtype)
    steps = _InferenceSteps(x_tm, states[0], sequences)
    hs = steps.hs
    c = np.ascontiguousarray(states[1].T)
    z = np.empty((4 * u, b), dtype)
    tmp = np.empty((u, b), dtype)
    skip = None if mask_tm is None else ~mask_tm[:, None, :]
    c_new = c if skip is None else np.empty_like(c)
    f_act, f_ract = _ACT[act][0], _ACT[ract][0]
    gi, gf, go, gc = z[:u], z[u:2 * u], z[2 * u:3 * u], z[3 * u:]
    for t in range(t_len):
        block, nxt = steps.block(t)
        np.matmul(w, block, out=z)
        if fused:
            np.tanh(z, out=z)
            sig = z[:3 * u]
            sig *= 0.5
            sig += 0.5
        else:
            f_ract(z[:3 * u])
            f_act(gc)
        np.multiply(gf, c, out=c_new)
        np.multiply(gi, gc, out=tmp)
        c_new += tmp
        if act == "tanh":
            np.tanh(c_new, out=tmp)
        else:
            np.copyto(tmp, c_new)
            f_act(tmp)
        np.multiply(go, tmp, out=hs[nxt])
        if skip is not None:
            np.copyto(c_new, c, where=skip[t])
            np.copyto(hs[nxt], steps.previous(t), where=skip[t])
            c, c_new = c_new, c
    outputs, h = steps.results(t_len, mask_tm, zero_output, dtype)
    return outputs, (h, np.ascontiguousarray(c.T)), None


# -- GRU (reset_after=True, the Keras default) -------------------------------------------

# Without recurrent dropout the GRU trains unit-major too: one `(4 * units, features + units
# + 1)` matmul per step on the `[x_t; h_{t-1}; 1]` buffer, with rows `z, r` (input,
# recurrent and both biases), the candidate's recurrent term (with its recurrent bias, which
# the reset gate multiplies) and the candidate's input term (with its input bias); the
# recurrent rows come first so `dh` is one matmul by the recurrent kernel.

def _gru_forward_um(x_tm, kernel, rkernel, bias, states, mask_tm, names, dmask, zero_output):
    act, ract = names
    t_len, b, f = x_tm.shape
    u = rkernel.shape[0]
    dtype = x_tm.dtype
    fused = ract == "sigmoid"
    w = np.zeros((4 * u, f + u + 1), dtype)
    w[:2 * u, :f] = kernel[:, :2 * u].T
    w[3 * u:, :f] = kernel[:, 2 * u:].T
    w[:3 * u, f:f + u] = rkernel.T
    if bias is not None:
        w[:2 * u, f + u] = bias[0][:2 * u] + bias[1][:2 * u]
        w[2 * u:3 * u, f + u] = bias[1][2 * u:]
        w[3 * u:, f + u] = bias[0][2 * u:]
    if fused:
        w[:2 * u] *= 0.5
    buf, hs = _step_buffer(x_tm, states[0], dmask)
    gates = np.empty((t_len, 4 * u, b), dtype)
    tmp = np.empty((u, b), dtype)
    skip = None if mask_tm is None else ~mask_tm[:, None, :]
    f_act, f_ract = _ACT[act][0], _ACT[ract][0]
    for t in range(t_len):
        y = gates[t]
        np.matmul(w, buf[t], out=y)
        zr, hh = y[:2 * u], y[3 * u:]
        if fused:
            np.tanh(zr, out=zr)
            zr *= 0.5
            zr += 0.5
        else:
            f_ract(zr)
        np.multiply(y[u:2 * u], y[2 * u:3 * u], out=tmp)
        hh += tmp
        f_act(hh)
        np.subtract(hs[t], hh, out=tmp)                        # h = hh + z * (h_prev - hh)
        tmp *= y[:u]
        np.add(hh, tmp, out=hs[t + 1])
        if skip is not None:
            np.copyto(hs[t + 1], hs[t], where=skip[t])
    outputs = hs[1:].transpose(2, 0, 1)
    if zero_output and mask_tm is not None:
        outputs = np.where(mask_tm.T[:, :, None], outputs, 0.0).astype(dtype, copy=False)
    saved = ("unit_major", kernel, rkernel, dmask, mask_tm, zero_output, names, buf, gates,
             bias is not None)
    return outputs, (np.ascontiguousarray(hs[t_len].T),), saved


def _gru_backward_um(saved, dout, dfinals, needs):
    _, kernel, rkernel, dmask, mask_tm, zero_output, names, buf, gates, has_bias = saved
    act, ract = names
    t_len, n, b = gates.shape
    u = n // 4
    f = kernel.shape[0]
    dtype = gates.dtype
    d_act, d_ract = _ACT[act][1], _ACT[ract][1]
    hs = buf[:, f:f + u]
    dz_all = np.empty_like(gates)
    dh = _unit_major_grad(dfinals[0], u, b, dtype)
    d_out = None
    if dout is not None:
        d_out = dout.transpose(1, 2, 0)
        if zero_output and mask_tm is not None:
            d_out = d_out * mask_tm[:, None, :]
    skip = None if mask_tm is None else ~mask_tm[:, None, :]
    tmp = np.empty((u, b), dtype)
    deriv = np.empty((2 * u, b), dtype)
    carry = np.empty_like(tmp)
    rk = np.ascontiguousarray(rkernel)
    # weight gradients accumulated per step: a matmul over all steps would first copy the
    # time-major buffers into (rows, timesteps * batch) matrices
    dfull = np.zeros((n, buf.shape[1]), dtype)
    dstep = np.empty_like(dfull)
    for t in reversed(range(t_len)):
        y, dz = gates[t], dz_all[t]
        z, r, rec_h, hh = y[:u], y[u:2 * u], y[2 * u:3 * u], y[3 * u:]
        if d_out is not None:
            dh += d_out[t]
        hk = _split_(skip, t, dh, carry)
        d_z, d_r, d_rec, d_hh = dz[:u], dz[u:2 * u], dz[2 * u:3 * u], dz[3 * u:]
        np.subtract(hs[t], hh, out=d_z)
        d_z *= dh
        d_act(hh, d_hh)
        np.subtract(1.0, z, out=tmp)
        tmp *= dh
        d_hh *= tmp
        np.multiply(d_hh, rec_h, out=d_r)
        d_ract(y[:2 * u], deriv)
        dz[:2 * u] *= deriv
        np.multiply(d_hh, r, out=d_rec)
        dh *= z
        np.matmul(rk, dz[:3 * u], out=tmp)
        dh += tmp
        if hk is not None:
            dh += hk
        np.matmul(dz, buf[t].T, out=dstep)                      # ones row: bias gradients
        dfull += dstep
    dx = None
    if needs[0]:
        dx = np.matmul(kernel[:, :2 * u], dz_all[:, :2 * u])
        dx += np.matmul(kernel[:, 2 * u:], dz_all[:, 3 * u:])
        dx = dx.transpose(0, 2, 1)
        if dmask is not None:
            dx = dx * dmask
    dw = np.concatenate([dfull[:2 * u, :f], dfull[3 * u:, :f]]).T
    dr = np.ascontiguousarray(dfull[:3 * u, f:f + u].T)
    db = None
    if has_bias:
        bcol = dfull[:, f + u]
        db = np.stack([np.concatenate([bcol[:2 * u], bcol[3 * u:]]), bcol[:3 * u]])
    return dx, dw, dr, db, (np.ascontiguousarray(dh.T),)


def gru_forward(x_tm, kernel, rkernel, bias, states, mask_tm, names, dmask, rmask, zero_output,
                reset_after=True):
    act, ract = names
    if not reset_after or not _supported(names, dmask, rmask):
        return None
    if rmask is None:
        return _gru_forward_um(x_tm, kernel, rkernel, bias, states, mask_tm, names, dmask,
                               zero_output)
    t_len, b, _ = x_tm.shape
    u = rkernel.shape[0]
    dtype = x_tm.dtype
    # sigmoid z, r gates: their columns are pre-scaled by 1/2 (see the LSTM note above)
    scale = np.ones(3 * u, dtype)
    if ract == "sigmoid":
        scale[:2 * u] = 0.5
    b_in, b_rec = (None, None) if bias is None else (bias[0] * scale, bias[1] * scale)
    x2, xw = _project(x_tm, kernel * scale, b_in, dmask)
    rk_scaled = rkernel * scale
    f_ract = _ACT[ract][0]
    hseq = np.empty((t_len + 1, b, u), dtype)
    hseq[0] = states[0]
    keeps = np.empty((t_len, b, u), dtype)
    rec = np.empty((b, 3 * u), dtype)
    tmp = np.empty((b, u), dtype)
    skip = _masked_index(mask_tm)
    f_act = _ACT[act][0]
    for t in range(t_len):
        hp = hseq[t] if rmask is None else np.multiply(hseq[t], rmask, out=tmp)
        np.matmul(hp, rk_scaled, out=rec)
        if b_rec is not None:
            rec += b_rec
        x_t = xw[t]
        zr = x_t[:, :2 * u]
        zr += rec[:, :2 * u]
        if ract == "sigmoid":
            np.tanh(zr, out=zr)
            zr *= 0.5
            zr += 0.5
        else:
            f_ract(zr)
        np.copyto(keeps[t], rec[:, 2 * u:])
        hh = x_t[:, 2 * u:]
        np.multiply(zr[:, u:], keeps[t], out=tmp)
        hh += tmp
        f_act(hh)
        np.subtract(hseq[t], hh, out=tmp)                      # h = hh + z * (h_prev - hh)
        tmp *= zr[:, :u]
        np.add(hh, tmp, out=hseq[t + 1])
        if skip is not None:
            np.copyto(hseq[t + 1], hseq[t], where=skip[t])
    saved = (x2, kernel, rkernel, dmask, rmask, mask_tm, zero_output, names, xw, hseq, keeps,
             bias is not None)
    return _outputs(hseq[1:], mask_tm, zero_output), (hseq[t_len],), saved


def gru_backward(saved, dout, dfinals, needs):
    if isinstance(saved[0], str):
        return _gru_backward_um(saved, dout, dfinals, needs)
    (x2, kernel, rkernel, dmask, rmask, mask_tm, zero_output, names, xw, hseq, keeps,
     has_bias) = saved
    act, ract = names
    t_len, b, n = xw.shape
    u = n // 3
    d_act, d_ract = _ACT[act][1], _ACT[ract][1]
    dx_all = np.empty_like(xw)
    dr_all = np.empty_like(xw)
    dh = _state_grad(dfinals[0], hseq[0])
    rt = np.ascontiguousarray(rkernel.T)
    d_out = _dout_tm(dout, mask_tm, zero_output)
    skip = _masked_index(mask_tm)
    tmp = np.empty((b, u), hseq.dtype)
    deriv = np.empty((b, 2 * u), hseq.dtype)
    carry = np.empty_like(tmp)
    for t in reversed(range(t_len)):
        y, dxt, drt = xw[t], dx_all[t], dr_all[t]
        z, r, hh = y[:, :u], y[:, u:2 * u], y[:, 2 * u:]
        if d_out is not None:
            dh += d_out[t]
        hk = _split_(skip, t, dh, carry)
        dz, d_r, dpre_h = dxt[:, :u], dxt[:, u:2 * u], dxt[:, 2 * u:]
        np.subtract(hseq[t], hh, out=dz)
        dz *= dh
        d_act(hh, dpre_h)
        np.subtract(1.0, z, out=tmp)
        tmp *= dh
        dpre_h *= tmp
        np.multiply(dpre_h, keeps[t], out=d_r)
        d_ract(y[:, :2 * u], deriv)
        dxt[:, :2 * u] *= deriv
        drt[:, :2 * u] = dxt[:, :2 * u]
        np.multiply(dpre_h, r, out=drt[:, 2 * u:])
        dh *= z
        np.matmul(drt, rt, out=tmp)
        if rmask is not None:
            tmp *= rmask
        dh += tmp
        if hk is not None:
            dh += hk
    dr = _recur_dw(hseq[:t_len], dr_all, rmask)
    dx, dw, db_in = _project_vjp(x2, kernel, dx_all, dmask, needs[0])
    db = np.stack([db_in, dr_all.sum(axis=(0, 1))]) if has_bias else None
    return dx, dw, dr, db, (dh,)


def gru_inference(x_tm, kernel, rkernel, bias, states, mask_tm, names, dmask, rmask,
                  zero_output, reset_after=True, sequences=True):
    """Forward only, keeping no buffers for a backward pass.

    Unit-major layout: step t multiplies one stacked weight matrix by column block
    `[x_t; h; 1]` of a `(timesteps + 1, features + units + 1, batch)` buffer and
    writes the new `h` straight into the next block, where it is both the next
    matmul's input and the returned output. The rows are `z, r` (input, recurrent
    and biases summed), then the candidate's input term with its input bias.
    With `reset_after=True` the reset gate multiplies the candidate's recurrent
    projection (its recurrent bias included), which is a fourth row block of the
    same matmul; with `reset_after=False` it multiplies the state before that
    projection, a second, `units x units` matmul per step. With `sequences=False`
    no output sequence is kept (None is returned in its place).
    """
    act, ract = names
    if not _supported(names, dmask, rmask) or dmask is not None or rmask is not None:
        return None
    t_len, b, f = x_tm.shape
    u = rkernel.shape[0]
    dtype = x_tm.dtype
    fused = ract == "sigmoid"
    w = np.zeros(((4 if reset_after else 3) * u, f + u + 1), dtype)
    w[:3 * u, :f] = kernel.T
    w[:2 * u, f:f + u] = rkernel[:, :2 * u].T
    rk_h = None
    if reset_after:
        w[3 * u:, f:f + u] = rkernel[:, 2 * u:].T
        if bias is not None:
            w[:2 * u, f + u] = bias[0][:2 * u] + bias[1][:2 * u]
            w[2 * u:3 * u, f + u] = bias[0][2 * u:]
            w[3 * u:, f + u] = bias[1][2 * u:]
    else:
        rk_h = np.ascontiguousarray(rkernel[:, 2 * u:].T)
        if bias is not None:
            w[:, f + u] = bias
    if fused:
        w[:2 * u] *= 0.5
    steps = _InferenceSteps(x_tm, states[0], sequences)
    hs = steps.hs
    y = np.empty((w.shape[0], b), dtype)
    tmp = np.empty((u, b), dtype)
    rec = None if reset_after else np.empty((u, b), dtype)
    skip = None if mask_tm is None else ~mask_tm[:, None, :]
    f_act, f_ract = _ACT[act][0], _ACT[ract][0]
    zr, gz, gr, hh, rec_h = y[:2 * u], y[:u], y[u:2 * u], y[2 * u:3 * u], y[3 * u:]
    for t in range(t_len):
        block, nxt = steps.block(t)
        prev = steps.previous(t)
        np.matmul(w, block, out=y)
        if fused:
            np.tanh(zr, out=zr)
            zr *= 0.5
            zr += 0.5
        else:
            f_ract(zr)
        if reset_after:
            np.multiply(gr, rec_h, out=tmp)
            hh += tmp
        else:
            np.multiply(gr, prev, out=tmp)
            np.matmul(rk_h, tmp, out=rec)
            hh += rec
        f_act(hh)
        np.subtract(prev, hh, out=tmp)                         # h = hh + z * (h_prev - hh)
        tmp *= gz
        np.add(hh, tmp, out=hs[nxt])
        if skip is not None:
            np.copyto(hs[nxt], prev, where=skip[t])
    outputs, h = steps.results(t_len, mask_tm, zero_output, dtype)
    return outputs, (h,), None

# -- SimpleRNN ---------------------------------------------------------------------------

def simple_rnn_forward(x_tm, kernel, rkernel, bias, states, mask_tm, names, dmask, rmask,
                       zero_output):
    if not _supported(names, dmask, rmask):
        return None
    t_len, b, _ = x_tm.shape
    u = rkernel.shape[0]
    dtype = x_tm.dtype
    f_act = _ACT[names[0]][0]
    x2, xw = _project(x_tm, kernel, bias, dmask)
    hseq = np.empty((t_len + 1, b, u), dtype)
    hseq[0] = states[0]
    rec = np.empty((b, u), dtype)
    hm = np.empty((b, u), dtype)
    skip = _masked_index(mask_tm)
    for t in range(t_len):
        hp = hseq[t] if rmask is None else np.multiply(hseq[t], rmask, out=hm)
        np.matmul(hp, rkernel, out=rec)
        y = xw[t]
        y += rec
        f_act(y)
        np.copyto(hseq[t + 1], y)
        if skip is not None:
            np.copyto(hseq[t + 1], hseq[t], where=skip[t])
    saved = (x2, kernel, rkernel, dmask, rmask, mask_tm, zero_output, names, xw, hseq)
    return _outputs(hseq[1:], mask_tm, zero_output), (hseq[t_len],), saved


def simple_rnn_backward(saved, dout, dfinals, needs):
    x2, kernel, rkernel, dmask, rmask, mask_tm, zero_output, names, xw, hseq = saved
    t_len, b, u = xw.shape
    d_act = _ACT[names[0]][1]
    dpre = np.empty_like(xw)
    dh = _state_grad(dfinals[0], hseq[0])
    rt = np.ascontiguousarray(rkernel.T)
    d_out = _dout_tm(dout, mask_tm, zero_output)
    skip = _masked_index(mask_tm)
    carry = np.empty((b, u), hseq.dtype)
    for t in reversed(range(t_len)):
        if d_out is not None:
            dh += d_out[t]
        hk = _split_(skip, t, dh, carry)
        d_act(xw[t], dpre[t])
        dpre[t] *= dh
        np.matmul(dpre[t], rt, out=dh)
        if rmask is not None:
            dh *= rmask
        if hk is not None:
            dh += hk
    dr = _recur_dw(hseq[:t_len], dpre, rmask)
    dx, dw, db = _project_vjp(x2, kernel, dpre, dmask, needs[0])
    return dx, dw, dr, db, (dh,)


KERNELS = {
    "lstm_forward": lstm_forward, "lstm_backward": lstm_backward, "lstm_inference": lstm_inference,
    "gru_forward": gru_forward, "gru_backward": gru_backward, "gru_inference": gru_inference,
    "simple_rnn_forward": simple_rnn_forward, "simple_rnn_backward": simple_rnn_backward,
}
