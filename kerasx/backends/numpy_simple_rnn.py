"""The NumPy SimpleRNN kernels (see `kerasx.backends.numpy_rnn` for the contract)."""

import numpy as np

from kerasx.backends.numpy_rnn_steps import (ACT, dout_tm, masked_index, outputs_of, project,
    project_vjp, recur_dw, split_carry, state_grad, supported)
from kerasx.backends.numpy_trace_array import recordable_helper


@recordable_helper
def simple_rnn_forward(x_tm, kernel, rkernel, bias, states, mask_tm, names, dmask, rmask,
                       zero_output):
    if not supported(names, dmask, rmask):
        return None
    t_len, b, _ = x_tm.shape
    u = rkernel.shape[0]
    dtype = x_tm.dtype
    f_act = ACT[names[0]][0]
    x2, xw = project(x_tm, kernel, bias, dmask)
    hseq = np.empty((t_len + 1, b, u), dtype)
    hseq[0] = states[0]
    rec = np.empty((b, u), dtype)
    hm = np.empty((b, u), dtype)
    skip = masked_index(mask_tm, dtype)
    for t in range(t_len):
        hp = hseq[t] if rmask is None else np.multiply(hseq[t], rmask, out=hm)
        np.matmul(hp, rkernel, out=rec)
        y = xw[t]
        y += rec
        f_act(y)
        np.copyto(hseq[t + 1], y)
        if skip is not None:
            skip.restore(t, hseq[t + 1], hseq[t])
    saved = (x2, kernel, rkernel, dmask, rmask, mask_tm, zero_output, names, xw, hseq)
    return outputs_of(hseq[1:], mask_tm, zero_output), (hseq[t_len],), saved


@recordable_helper
def simple_rnn_backward(saved, dout, dfinals, needs):
    x2, kernel, rkernel, dmask, rmask, mask_tm, zero_output, names, xw, hseq = saved
    t_len, b, u = xw.shape
    d_act = ACT[names[0]][1]
    dpre = np.empty_like(xw)
    dh = state_grad(dfinals[0], hseq[0])
    rt = np.ascontiguousarray(rkernel.T)
    d_out = dout_tm(dout, mask_tm, zero_output)
    skip = masked_index(mask_tm, hseq.dtype)
    carry = np.empty((b, u), hseq.dtype)
    for t in reversed(range(t_len)):
        if d_out is not None:
            dh += d_out[t]
        hk = split_carry(skip, t, dh, carry)
        d_act(xw[t], dpre[t])
        dpre[t] *= dh
        np.matmul(dpre[t], rt, out=dh)
        if rmask is not None:
            dh *= rmask
        if hk is not None:
            dh += hk
    dr = recur_dw(hseq[:t_len], dpre, rmask)
    dx, dw, db = project_vjp(x2, kernel, dpre, dmask, needs[0])
    return dx, dw, dr, db, (dh,)


KERNELS = {"simple_rnn_forward": simple_rnn_forward, "simple_rnn_backward": simple_rnn_backward}
