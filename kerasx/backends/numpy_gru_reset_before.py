"""The NumPy GRU training kernel for `reset_after=False` (the reset gate multiplies the
state before the candidate's recurrent projection, Keras 2's convention).

Unit-major like the other kernels: step t multiplies one `(3 * units, features +
units + 1)` matrix, rows `z, r` (input, recurrent, bias) and the candidate's input
term (with its bias), by the `[x_t; h_(t-1); 1]` block of the step buffer; the
candidate's recurrent term is a second, `units x units` product of `r * h_(t-1)`.
The weight gradients are accumulated per step from the same blocks. A shared input
dropout mask is applied in the buffer; recurrent dropout (Keras's per-gate masks)
stays on the portable path.
"""

import numpy as np

from kerasx.backends.numpy_rnn_steps import (ACT, gru_state, gru_state_grad, product_sums,
                                             sequence_outputs, split_carry, step_buffer,
                                             supported, unit_major_dout, unit_major_grad,
                                             unit_major_skip)


class Saved:
    """What `forward` keeps for `backward`."""

    __slots__ = ("kernel", "rkernel", "dmask", "mask_tm", "zero_output", "names", "buf",
                 "gates", "keeps", "has_bias")

    def __init__(self, **fields):
        for name, value in fields.items():
            setattr(self, name, value)


def forward(x_tm, kernel, rkernel, bias, states, mask_tm, names, dmask, rmask, zero_output):
    """The `gru_forward` kernel contract (see `kerasx.backends.numpy_rnn`) for
    `reset_after=False`; None where it does not apply."""
    if not supported(names, dmask, rmask) or rmask is not None:
        return None
    act, ract = names
    t_len, b, f = x_tm.shape
    u = rkernel.shape[0]
    dtype = x_tm.dtype
    w = np.zeros((3 * u, f + u + 1), dtype)
    w[:, :f] = kernel.T
    w[:2 * u, f:f + u] = rkernel[:, :2 * u].T
    if bias is not None:
        w[:, f + u] = bias
    rk_h = np.ascontiguousarray(rkernel[:, 2 * u:].T)
    buf, hs = step_buffer(x_tm, states[0], dmask)
    gates = np.empty((t_len, 3 * u, b), dtype)
    keeps = np.empty((t_len, u, b), dtype)
    rec = np.empty((u, b), dtype)
    tmp = np.empty((u, b), dtype)
    skip = unit_major_skip(mask_tm, dtype)
    f_act, f_ract = ACT[act][0], ACT[ract][0]
    for t in range(t_len):
        y = gates[t]
        np.matmul(w, buf[t], out=y)
        f_ract(y[:2 * u])
        np.multiply(y[u:2 * u], hs[t], out=keeps[t])          # r * h_prev
        np.matmul(rk_h, keeps[t], out=rec)
        hh = y[2 * u:]
        hh += rec
        f_act(hh)
        gru_state(hs[t], hh, y[:u], hs[t + 1], tmp, skip, t)
    outputs = sequence_outputs(hs, mask_tm, zero_output, dtype)
    saved = Saved(kernel=kernel, rkernel=rkernel, dmask=dmask, mask_tm=mask_tm,
                  zero_output=zero_output, names=names, buf=buf, gates=gates, keeps=keeps,
                  has_bias=bias is not None)
    return outputs, (np.ascontiguousarray(hs[t_len].T),), saved


def backward(saved, dout, dfinals, needs):
    """The `gru_backward` kernel contract for what `forward` saved."""
    s = saved
    act, ract = s.names
    t_len, n, b = s.gates.shape
    u = n // 3
    f = s.kernel.shape[0]
    dtype = s.gates.dtype
    d_act, d_ract = ACT[act][1], ACT[ract][1]
    hs = s.buf[:, f:f + u]
    dz_all = np.empty_like(s.gates)
    dh = unit_major_grad(dfinals[0], u, b, dtype)
    d_out = unit_major_dout(dout, s.mask_tm, s.zero_output)
    skip = unit_major_skip(s.mask_tm, dtype)
    rk_zr = np.ascontiguousarray(s.rkernel[:, :2 * u])
    rk_h = np.ascontiguousarray(s.rkernel[:, 2 * u:])
    tmp, d_keep, carry = (np.empty((u, b), dtype) for _ in range(3))
    deriv = np.empty((2 * u, b), dtype)
    # weight gradients accumulated per step (as the reset_after kernel does)
    dfull = np.zeros((n, f + u + 1), dtype)
    add_step_grads = product_sums(dfull, dz_all, s.buf)
    d_rk_h = np.zeros((u, u), dtype)
    add_reset_grads = product_sums(d_rk_h, s.keeps, dz_all[:, 2 * u:])
    for t in reversed(range(t_len)):
        y, dz = s.gates[t], dz_all[t]
        z, r, hh = y[:u], y[u:2 * u], y[2 * u:]
        if d_out is not None:
            dh += d_out[t]
        hk = split_carry(skip, t, dh, carry)
        d_z, d_r, d_hh = dz[:u], dz[u:2 * u], dz[2 * u:]
        gru_state_grad(dh, hs[t], hh, z, d_z, d_hh, d_act, tmp)
        np.matmul(rk_h, d_hh, out=d_keep)                     # gradient of r * h_prev
        np.multiply(d_keep, hs[t], out=d_r)
        d_ract(y[:2 * u], deriv)
        dz[:2 * u] *= deriv
        dh *= z
        np.multiply(d_keep, r, out=tmp)
        dh += tmp
        np.matmul(rk_zr, dz[:2 * u], out=tmp)
        dh += tmp
        add_step_grads(t)                                     # ones row: bias gradients
        add_reset_grads(t)
        if hk is not None:
            dh += hk
    dx = None
    if needs[0]:
        dx = np.matmul(s.kernel, dz_all).transpose(0, 2, 1)
        if s.dmask is not None:
            dx = dx * s.dmask
    dw = np.ascontiguousarray(dfull[:, :f].T)
    dr = np.empty(s.rkernel.shape, dtype)
    dr[:, :2 * u] = dfull[:2 * u, f:f + u].T
    dr[:, 2 * u:] = d_rk_h
    db = dfull[:, f + u].copy() if s.has_bias else None
    return dx, dw, dr, db, (np.ascontiguousarray(dh.T),)
