"""The NumPy LSTM kernels (see `kerasx.backends.numpy_rnn` for the contract)."""

import numpy as np

from kerasx.backends.numpy_rnn_steps import (ACT, InferenceSteps, gate_mask, product_sums,
    sequence_outputs, split_carry, step_buffer, supported, unit_major_dout, unit_major_grad,
    unit_major_skip)
from kerasx.backends.numpy_trace_array import recordable_helper


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
# included, through the ones row) are one product per step added into their total. A shared
# recurrent dropout mask masks the h rows of the buffer (the state itself is then kept
# beside it); per-gate masks are described in `lstm_forward`.
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


# Keras gate index (i, f, c, o) of each row block of the kernel order i, f, o, c
_KERAS_GATE = (0, 1, 3, 2)


@recordable_helper
def lstm_forward(x_tm, kernel, rkernel, bias, states, mask_tm, names, dmask, rmask, zero_output):
    if not all(n in ACT for n in names):
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
            dm = gate_mask(dmask, g)
            xs = x_tm if dm is None else x_tm * dm
            rows = slice(k * u, (k + 1) * u)
            np.matmul(w[rows, :f], xs.transpose(0, 2, 1), out=gates[:, rows])
            gates[:, rows] += w[rows, f + u][:, None]
        recur = [np.ascontiguousarray(w[k * u:(k + 1) * u, f:f + u]) for k in range(4)]
        rms = [None if rmask is None else np.ascontiguousarray(gate_mask(rmask, g).T)
               for g in _KERAS_GATE]
        hm = np.empty((u, b), dtype)
        rec = np.empty((u, b), dtype)
    else:
        buf, hs = step_buffer(x_tm, states[0], dmask)
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
    skip = unit_major_skip(mask_tm, dtype)
    f_act, f_ract = ACT[act][0], ACT[ract][0]
    for t in range(t_len):
        z = gates[t]
        if per_gate:
            for k in range(4):
                h = hseq[t] if rms[k] is None else np.multiply(hseq[t], rms[k], out=hm)
                np.matmul(recur[k], h, out=rec)
                z[k * u:(k + 1) * u] += rec
        else:
            np.matmul(w, buf[t], out=z)
        _activate_gates(z, u, f_act, f_ract, fused)
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
            skip.restore(t, hseq[t + 1], hseq[t])
            skip.restore(t, c, cseq[t])
        if not per_gate and rmask is not None:
            np.multiply(hseq[t + 1], rms, out=hs[t + 1])
    outputs = sequence_outputs(hseq, mask_tm, zero_output, dtype)
    inputs = (x_tm, dmask, hseq) if per_gate else None
    saved = (kernel_p, rkernel_p, dmask, mask_tm, zero_output, names, buf, gates, cseq, tcs,
             order, rms, inputs)
    finals = (np.ascontiguousarray(hseq[t_len].T), np.ascontiguousarray(cseq[t_len].T))
    return outputs, finals, saved


@recordable_helper
def lstm_backward(saved, dout, dfinals, needs):
    (kernel_p, rkernel_p, dmask, mask_tm, zero_output, names, buf, gates, cseq, tcs, order,
     rms, inputs) = saved
    per_gate = inputs is not None
    act, ract = names
    t_len, n, b = gates.shape
    u = n // 4
    f = kernel_p.shape[0]
    dtype = gates.dtype
    d_act, d_ract = ACT[act][1], ACT[ract][1]
    dz_all = np.empty_like(gates)
    dh, dc = unit_major_grad(dfinals[0], u, b, dtype), unit_major_grad(dfinals[1], u, b, dtype)
    d_out = unit_major_dout(dout, mask_tm, zero_output)
    skip = unit_major_skip(mask_tm, dtype)
    tmp = np.empty((u, b), dtype)
    deriv = np.empty((n, b), dtype)
    h_carry, c_carry = np.empty_like(tmp), np.empty_like(tmp)
    if per_gate:
        recur = [np.ascontiguousarray(rkernel_p[:, k * u:(k + 1) * u]) for k in range(4)]
        part = np.empty((u, b), dtype)
    else:
        rk = np.ascontiguousarray(rkernel_p)
        # weight gradients accumulated per step while `dz` is in cache: a product over all
        # steps first copies both time-major buffers into (rows, timesteps * batch) matrices
        dfull = np.zeros((n, buf.shape[1]), dtype)
        add_step_grads = product_sums(dfull, dz_all, buf)
    for t in reversed(range(t_len)):
        y, tc, dz = gates[t], tcs[t], dz_all[t]
        if d_out is not None:
            dh += d_out[t]
        hk = split_carry(skip, t, dh, h_carry)
        ck = split_carry(skip, t, dc, c_carry)
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
            add_step_grads(t)                                   # ones row: bias gradients
        if hk is not None:
            dh += hk
            dc += ck
    if per_gate:
        dw, dr, db, dx = _lstm_per_gate_grads(inputs, kernel_p, dz_all, rms, needs[0])
    else:
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
        dm = gate_mask(dmask, g)
        xs = x_tm if dm is None else x_tm * dm
        dw[:, cols] = np.tensordot(xs, dz, axes=([0, 1], [0, 2]))
        hs = hseq[:t_len] if rms[k] is None else hseq[:t_len] * rms[k]
        dr[:, cols] = np.tensordot(hs, dz, axes=([0, 2], [0, 2]))
        if need_x:
            part = np.matmul(kernel_p[:, cols], dz).transpose(0, 2, 1)
            dx += part if dm is None else part * dm
    return dw, dr, dz_all.sum(axis=(0, 2)), dx


@recordable_helper
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
    if not supported(names, dmask, rmask) or dmask is not None or rmask is not None:
        return None
    t_len, b, f = x_tm.shape
    u = rkernel.shape[0]
    dtype = x_tm.dtype
    order = _lstm_order(u)
    fused = ract == "sigmoid" and act == "tanh"
    w = _lstm_weights(kernel, rkernel, bias, order, fused, dtype)
    steps = InferenceSteps(x_tm, states[0], sequences)
    hs = steps.hs
    # a copy: the loop writes `c`, and the state of a batch of one is contiguous already
    # (ascontiguousarray would hand back the caller's array)
    c = np.array(states[1].T, order="C")
    z = np.empty((4 * u, b), dtype)
    tmp = np.empty((u, b), dtype)
    skip = unit_major_skip(mask_tm, dtype)
    c_new = c if skip is None else np.empty_like(c)
    f_act, f_ract = ACT[act][0], ACT[ract][0]
    gi, gf, go, gc = z[:u], z[u:2 * u], z[2 * u:3 * u], z[3 * u:]
    for t in range(t_len):
        block, nxt = steps.block(t)
        np.matmul(w, block, out=z)
        _activate_gates(z, u, f_act, f_ract, fused)
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
            skip.restore(t, c_new, c)
            skip.restore(t, hs[nxt], steps.previous(t))
            c, c_new = c_new, c
    outputs, h = steps.results(t_len, mask_tm, zero_output, dtype)
    return outputs, (h, np.ascontiguousarray(c.T)), None



def _activate_gates(z, u, f_act, f_ract, fused):
    """The gate activations in place on the `(4 * units, batch)` step rows `i, f, o, c`;
    `fused`: tanh on all rows, whose sigmoid pre-activations the weights already halved,
    then `0.5 * tanh + 0.5` on the sigmoid rows."""
    if fused:
        np.tanh(z, out=z)
        sig = z[:3 * u]
        sig *= 0.5
        sig += 0.5
    else:
        f_ract(z[:3 * u])
        f_act(z[3 * u:])

KERNELS = {"lstm_forward": lstm_forward, "lstm_backward": lstm_backward,
           "lstm_inference": lstm_inference}
