"""The NumPy GRU kernels (see `kerasx.backends.numpy_rnn` for the contract)."""

import numpy as np

from kerasx.backends import numpy_gru_reset_before as reset_before
from kerasx.backends.numpy_rnn_steps import (ACT, InferenceSteps, gate_activation,
    gate_mask, gru_state, gru_state_grad, product_sums, sequence_outputs, split_carry,
    step_buffer, supported, unit_major_dout, unit_major_grad, unit_major_skip)
from kerasx.backends.numpy_trace_array import recordable_helper


# The GRU (reset_after=True) trains unit-major too: one `(4 * units, features + units + 1)`
# matmul per step on the `[x_t; h_{t-1}; 1]` buffer, with rows `z, r` (input, recurrent and
# both biases), the candidate's recurrent term (with its recurrent bias, which the reset
# gate multiplies) and the candidate's input term (with its input bias); the recurrent rows
# come first so `dh` is one matmul by the recurrent kernel. With recurrent dropout (Keras's
# implementation 1: one input mask and one state mask per gate, stacked `(3, batch, n)`;
# a single shared mask works the same way) the input terms of all steps are projected per
# gate up front and each step does one units x units matmul per gate on its masked state.

# (row block, Keras gate) of the input terms and of the recurrent terms
_INPUT_ROWS = ((0, 0), (1, 1), (3, 2))
_RECURRENT_ROWS = ((0, 0), (1, 1), (2, 2))


def _gru_weights(kernel, rkernel, bias, fused, dtype):
    f, u = kernel.shape[0], rkernel.shape[0]
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
    return w


@recordable_helper
def gru_forward(x_tm, kernel, rkernel, bias, states, mask_tm, names, dmask, rmask, zero_output,
                reset_after=True):
    if not reset_after:
        return reset_before.forward(x_tm, kernel, rkernel, bias, states, mask_tm, names, dmask,
                                    rmask, zero_output)
    if not all(n in ACT for n in names):
        return None
    act, ract = names
    t_len, b, f = x_tm.shape
    u = rkernel.shape[0]
    dtype = x_tm.dtype
    fused = ract == "sigmoid"
    w = _gru_weights(kernel, rkernel, bias, fused, dtype)
    gates = np.empty((t_len, 4 * u, b), dtype)
    per_gate = rmask is not None or (dmask is not None and dmask.ndim == 3)
    buf = rms = None
    if per_gate:
        hs = np.empty((t_len + 1, u, b), dtype)
        hs[0] = states[0].T
        for k, g in _INPUT_ROWS:
            dm = gate_mask(dmask, g)
            xs = x_tm if dm is None else x_tm * dm
            rows = slice(k * u, (k + 1) * u)
            np.matmul(w[rows, :f], xs.transpose(0, 2, 1), out=gates[:, rows])
        gates[:, 2 * u:3 * u] = 0.0
        gates += w[:, f + u][:, None]
        recur = [(slice(k * u, (k + 1) * u), np.ascontiguousarray(w[k * u:(k + 1) * u, f:f + u]))
                 for k, _ in _RECURRENT_ROWS]
        rms = [None if rmask is None else np.ascontiguousarray(gate_mask(rmask, g).T)
               for _, g in _RECURRENT_ROWS]
        hm = np.empty((u, b), dtype)
        rec = np.empty((u, b), dtype)
    else:
        buf, hs = step_buffer(x_tm, states[0], dmask)
    tmp = np.empty((u, b), dtype)
    skip = unit_major_skip(mask_tm, dtype)
    f_act, f_ract = ACT[act][0], ACT[ract][0]
    for t in range(t_len):
        y = gates[t]
        if per_gate:
            for (rows, rk), m in zip(recur, rms):
                h = hs[t] if m is None else np.multiply(hs[t], m, out=hm)
                np.matmul(rk, h, out=rec)
                y[rows] += rec
        else:
            np.matmul(w, buf[t], out=y)
        zr, hh = y[:2 * u], y[3 * u:]
        gate_activation(zr, f_ract, fused)
        np.multiply(y[u:2 * u], y[2 * u:3 * u], out=tmp)
        hh += tmp
        f_act(hh)
        gru_state(hs[t], hh, y[:u], hs[t + 1], tmp, skip, t)
    outputs = sequence_outputs(hs, mask_tm, zero_output, dtype)
    inputs = (x_tm, dmask, hs) if per_gate else None
    saved = (kernel, rkernel, dmask, mask_tm, zero_output, names, buf, gates, bias is not None,
             rms, inputs)
    return outputs, (np.ascontiguousarray(hs[t_len].T),), saved


@recordable_helper
def gru_backward(saved, dout, dfinals, needs):
    if isinstance(saved, reset_before.Saved):
        return reset_before.backward(saved, dout, dfinals, needs)
    kernel, rkernel, dmask, mask_tm, zero_output, names, buf, gates, has_bias, rms, inputs = saved
    per_gate = inputs is not None
    act, ract = names
    t_len, n, b = gates.shape
    u = n // 4
    f = kernel.shape[0]
    dtype = gates.dtype
    d_act, d_ract = ACT[act][1], ACT[ract][1]
    hs = inputs[2] if per_gate else buf[:, f:f + u]
    dz_all = np.empty_like(gates)
    dh = unit_major_grad(dfinals[0], u, b, dtype)
    d_out = unit_major_dout(dout, mask_tm, zero_output)
    skip = unit_major_skip(mask_tm, dtype)
    tmp = np.empty((u, b), dtype)
    deriv = np.empty((2 * u, b), dtype)
    carry = np.empty_like(tmp)
    if per_gate:
        recur = [(slice(k * u, (k + 1) * u), np.ascontiguousarray(rkernel[:, k * u:(k + 1) * u]))
                 for k, _ in _RECURRENT_ROWS]
    else:
        rk = np.ascontiguousarray(rkernel)
        # weight gradients accumulated per step: a matmul over all steps would first copy the
        # time-major buffers into (rows, timesteps * batch) matrices
        dfull = np.zeros((n, buf.shape[1]), dtype)
        add_step_grads = product_sums(dfull, dz_all, buf)
    for t in reversed(range(t_len)):
        y, dz = gates[t], dz_all[t]
        z, r, rec_h, hh = y[:u], y[u:2 * u], y[2 * u:3 * u], y[3 * u:]
        if d_out is not None:
            dh += d_out[t]
        hk = split_carry(skip, t, dh, carry)
        d_z, d_r, d_rec, d_hh = dz[:u], dz[u:2 * u], dz[2 * u:3 * u], dz[3 * u:]
        gru_state_grad(dh, hs[t], hh, z, d_z, d_hh, d_act, tmp)
        np.multiply(d_hh, rec_h, out=d_r)
        d_ract(y[:2 * u], deriv)
        dz[:2 * u] *= deriv
        np.multiply(d_hh, r, out=d_rec)
        dh *= z
        if per_gate:
            for (rows, rk_g), m in zip(recur, rms):
                np.matmul(rk_g, dz[rows], out=tmp)
                if m is not None:
                    tmp *= m
                dh += tmp
        else:
            np.matmul(rk, dz[:3 * u], out=tmp)
            dh += tmp
            add_step_grads(t)                                   # ones row: bias gradients
        if hk is not None:
            dh += hk
    if per_gate:
        dx, dw, dr, bcol = _per_gate_grads(inputs, kernel, rkernel, dz_all, rms, needs[0])
    else:
        dx = None
        if needs[0]:
            dx = np.matmul(kernel[:, :2 * u], dz_all[:, :2 * u])
            dx += np.matmul(kernel[:, 2 * u:], dz_all[:, 3 * u:])
            dx = dx.transpose(0, 2, 1)
            if dmask is not None:
                dx = dx * dmask
        dw = np.concatenate([dfull[:2 * u, :f], dfull[3 * u:, :f]]).T
        dr = np.ascontiguousarray(dfull[:3 * u, f:f + u].T)
        bcol = dfull[:, f + u]
    db = None
    if has_bias:
        db = np.stack([np.concatenate([bcol[:2 * u], bcol[3 * u:]]), bcol[:3 * u]])
    return dx, dw, dr, db, (np.ascontiguousarray(dh.T),)


def _per_gate_grads(inputs, kernel, rkernel, dz_all, rms, need_x):
    """Input, kernel, recurrent kernel and row-block bias gradients with per-gate masks."""
    x_tm, dmask, hs = inputs
    t_len, n, b = dz_all.shape
    u = n // 4
    dw = np.empty(kernel.shape, dz_all.dtype)
    dr = np.empty(rkernel.shape, dz_all.dtype)
    dx = np.zeros(x_tm.shape, dz_all.dtype) if need_x else None
    for k, g in _INPUT_ROWS:
        dz = dz_all[:, k * u:(k + 1) * u]
        cols = slice(g * u, (g + 1) * u)
        dm = gate_mask(dmask, g)
        xs = x_tm if dm is None else x_tm * dm
        dw[:, cols] = np.tensordot(xs, dz, axes=([0, 1], [0, 2]))
        if need_x:
            part = np.matmul(kernel[:, cols], dz).transpose(0, 2, 1)
            dx += part if dm is None else part * dm
    for (k, g), m in zip(_RECURRENT_ROWS, rms):
        dz = dz_all[:, k * u:(k + 1) * u]
        h = hs[:t_len] if m is None else hs[:t_len] * m
        dr[:, g * u:(g + 1) * u] = np.tensordot(h, dz, axes=([0, 2], [0, 2]))
    return dx, dw, dr, dz_all.sum(axis=(0, 2))


@recordable_helper
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
    skip = unit_major_skip(mask_tm, dtype)
    f_act, f_ract = ACT[act][0], ACT[ract][0]
    zr, gz, gr, hh, rec_h = y[:2 * u], y[:u], y[u:2 * u], y[2 * u:3 * u], y[3 * u:]
    for t in range(t_len):
        block, nxt = steps.block(t)
        prev = steps.previous(t)
        np.matmul(w, block, out=y)
        gate_activation(zr, f_ract, fused)
        if reset_after:
            np.multiply(gr, rec_h, out=tmp)
            hh += tmp
        else:
            np.multiply(gr, prev, out=tmp)
            np.matmul(rk_h, tmp, out=rec)
            hh += rec
        f_act(hh)
        gru_state(prev, hh, gz, hs[nxt], tmp, skip, t)
    outputs, h = steps.results(t_len, mask_tm, zero_output, dtype)
    return outputs, (h,), None


KERNELS = {"gru_forward": gru_forward, "gru_backward": gru_backward,
           "gru_inference": gru_inference}
