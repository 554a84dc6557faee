"""The NumPy GRU kernels (see `kerasx.backends.numpy_rnn` for the contract)."""

import numpy as np

from kerasx.backends.numpy_rnn_steps import (ACT, InferenceSteps, dout_tm, masked_index,
    outputs_of, recur_dw, split_carry, state_grad, step_buffer, supported, unit_major_grad)


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
    buf, hs = step_buffer(x_tm, states[0], dmask)
    gates = np.empty((t_len, 4 * u, b), dtype)
    tmp = np.empty((u, b), dtype)
    skip = None if mask_tm is None else ~mask_tm[:, None, :]
    f_act, f_ract = ACT[act][0], ACT[ract][0]
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
    d_act, d_ract = ACT[act][1], ACT[ract][1]
    hs = buf[:, f:f + u]
    dz_all = np.empty_like(gates)
    dh = unit_major_grad(dfinals[0], u, b, dtype)
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
        hk = split_carry(skip, t, dh, carry)
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


# With recurrent dropout the GRU runs batch-major, one `(batch, 3 * units)` recurrent matmul
# per step on the masked state. Keras's implementation 1 (what recurrent dropout selects)
# gives each gate its own input and state masks, stacked as `(3, batch, n)`: the input
# terms are then projected per gate and the recurrent matmul is split into one per gate.

def _masks_of(mask, u):
    """`[(columns, mask)]` covering all gates: one entry for a shared (or no) mask,
    one per gate for a per-gate stack."""
    if mask is None or mask.ndim == 2:
        return [(slice(None), mask)]
    return [(slice(g * u, (g + 1) * u), mask[g]) for g in range(mask.shape[0])]


def _project_gates(x_tm, kernel, bias, dmask, u):
    """`x_t @ kernel + bias` for all steps, each gate's columns from its masked input."""
    t, b, f = x_tm.shape
    out = np.empty((t * b, kernel.shape[1]), x_tm.dtype)
    for cols, m in _masks_of(dmask, u):
        xs = x_tm if m is None else x_tm * m
        np.matmul(xs.reshape(t * b, f), kernel[:, cols], out=out[:, cols])
    if bias is not None:
        out += bias
    return out.reshape(t, b, kernel.shape[1])


def _project_gates_vjp(x_tm, kernel, d_tm, dmask, u, need_x):
    t, b, f = x_tm.shape
    d2 = d_tm.reshape(t * b, -1)
    dw = np.empty(kernel.shape, d_tm.dtype)
    dx = np.zeros((t, b, f), d_tm.dtype) if need_x else None
    for cols, m in _masks_of(dmask, u):
        xs = (x_tm if m is None else x_tm * m).reshape(t * b, f)
        dw[:, cols] = xs.T @ d2[:, cols]
        if need_x:
            part = (d2[:, cols] @ kernel[:, cols].T).reshape(t, b, f)
            dx += part if m is None else part * m
    return dx, dw, d2.sum(axis=0)


def gru_forward(x_tm, kernel, rkernel, bias, states, mask_tm, names, dmask, rmask, zero_output,
                reset_after=True):
    act, ract = names
    if not reset_after or not all(n in ACT for n in names):
        return None
    if rmask is None and (dmask is None or dmask.ndim == 2):
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
    xw = _project_gates(x_tm, kernel * scale, b_in, dmask, u)
    rk_scaled = rkernel * scale
    recur = [(cols, m, np.ascontiguousarray(rk_scaled[:, cols])) for cols, m in _masks_of(rmask, u)]
    f_ract = ACT[ract][0]
    hseq = np.empty((t_len + 1, b, u), dtype)
    hseq[0] = states[0]
    keeps = np.empty((t_len, b, u), dtype)
    rec = np.empty((b, 3 * u), dtype)
    tmp = np.empty((b, u), dtype)
    skip = masked_index(mask_tm)
    f_act = ACT[act][0]
    for t in range(t_len):
        for cols, m, rk in recur:
            hp = hseq[t] if m is None else np.multiply(hseq[t], m, out=tmp)
            np.matmul(hp, rk, out=rec[:, cols])
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
    saved = (x_tm, kernel, rkernel, dmask, rmask, mask_tm, zero_output, names, xw, hseq, keeps,
             bias is not None)
    return outputs_of(hseq[1:], mask_tm, zero_output), (hseq[t_len],), saved


def gru_backward(saved, dout, dfinals, needs):
    if isinstance(saved[0], str):
        return _gru_backward_um(saved, dout, dfinals, needs)
    (x_tm, kernel, rkernel, dmask, rmask, mask_tm, zero_output, names, xw, hseq, keeps,
     has_bias) = saved
    act, ract = names
    t_len, b, n = xw.shape
    u = n // 3
    d_act, d_ract = ACT[act][1], ACT[ract][1]
    dx_all = np.empty_like(xw)
    dr_all = np.empty_like(xw)
    dh = state_grad(dfinals[0], hseq[0])
    recur = [(cols, m, np.ascontiguousarray(rkernel[:, cols].T))
             for cols, m in _masks_of(rmask, u)]
    d_out = dout_tm(dout, mask_tm, zero_output)
    skip = masked_index(mask_tm)
    tmp = np.empty((b, u), hseq.dtype)
    deriv = np.empty((b, 2 * u), hseq.dtype)
    carry = np.empty_like(tmp)
    for t in reversed(range(t_len)):
        y, dxt, drt = xw[t], dx_all[t], dr_all[t]
        z, r, hh = y[:, :u], y[:, u:2 * u], y[:, 2 * u:]
        if d_out is not None:
            dh += d_out[t]
        hk = split_carry(skip, t, dh, carry)
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
        for cols, m, rt in recur:
            np.matmul(drt[:, cols], rt, out=tmp)
            if m is not None:
                tmp *= m
            dh += tmp
        if hk is not None:
            dh += hk
    dr = np.empty(rkernel.shape, dr_all.dtype)
    for cols, m in _masks_of(rmask, u):
        dr[:, cols] = recur_dw(hseq[:t_len], dr_all[..., cols], m)
    dx, dw, db_in = _project_gates_vjp(x_tm, kernel, dx_all, dmask, u, needs[0])
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
    if not supported(names, dmask, rmask) or dmask is not None or rmask is not None:
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
    steps = InferenceSteps(x_tm, states[0], sequences)
    hs = steps.hs
    y = np.empty((w.shape[0], b), dtype)
    tmp = np.empty((u, b), dtype)
    rec = None if reset_after else np.empty((u, b), dtype)
    skip = None if mask_tm is None else ~mask_tm[:, None, :]
    f_act, f_ract = ACT[act][0], ACT[ract][0]
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


KERNELS = {"gru_forward": gru_forward, "gru_backward": gru_backward,
           "gru_inference": gru_inference}
