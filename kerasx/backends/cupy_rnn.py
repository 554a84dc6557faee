"""Fast CuPy kernels (rnn); they compile lazily on first use. The portable
array-API path stays the reference.

Same contract as `kerasx.backends.numpy_rnn` (and the portable functions in
`kerasx.ops.rnn`): a forward returns `(outputs, final_states, saved)` or None
for options it does not cover (activations other than tanh/sigmoid, one dropout
mask per gate, GRU with `reset_after=False`); the matching backward consumes its
own `saved`. Each timestep is one cuBLAS matmul plus ONE fused elementwise kernel
for the whole gate update (forward) or its gradient (backward); the input
projection and the weight gradients are single matmuls over all timesteps.
"""

from kerasx.backends.cupy_build import kernel_cache

_LSTM_FORWARD = (
    "raw T rec, T c_prev, T h_prev, bool m, int32 U",
    "raw T z, T c, T tc, T h",
    """
    const ptrdiff_t row = i / U, col = i % U;
    const ptrdiff_t k = row * 4 * U + col;
    const T gi = 1 / (1 + exp(-(z[k] + rec[k])));
    const T gf = 1 / (1 + exp(-(z[k + U] + rec[k + U])));
    const T gg = tanh(z[k + 2 * U] + rec[k + 2 * U]);
    const T go = 1 / (1 + exp(-(z[k + 3 * U] + rec[k + 3 * U])));
    z[k] = gi; z[k + U] = gf; z[k + 2 * U] = gg; z[k + 3 * U] = go;
    const T cn = gf * c_prev + gi * gg;
    const T t = tanh(cn);
    tc = t;
    c = m ? cn : c_prev;
    h = m ? go * t : h_prev;
    """,
    "kerasx_lstm_forward_step",
)

_LSTM_BACKWARD = (
    "raw T y, T tc, T c_prev, T dh_in, T dc_in, bool m, int32 U",
    "raw T dz, T dh_carry, T dc_out",
    """
    const ptrdiff_t row = i / U, col = i % U;
    const ptrdiff_t k = row * 4 * U + col;
    const T gi = y[k], gf = y[k + U], gg = y[k + 2 * U], go = y[k + 3 * U];
    const T dh = m ? dh_in : (T)0;
    const T dcn = (m ? dc_in : (T)0) + dh * go * (1 - tc * tc);
    dz[k] = dcn * gg * gi * (1 - gi);
    dz[k + U] = dcn * c_prev * gf * (1 - gf);
    dz[k + 2 * U] = dcn * gi * (1 - gg * gg);
    dz[k + 3 * U] = dh * tc * go * (1 - go);
    dc_out = dcn * gf + (m ? (T)0 : dc_in);
    dh_carry = m ? (T)0 : dh_in;
    """,
    "kerasx_lstm_backward_step",
)

_GRU_FORWARD = (
    "raw T rec, T h_prev, bool m, int32 U",
    "raw T x, T keep, T h",
    """
    const ptrdiff_t row = i / U, col = i % U;
    const ptrdiff_t k = row * 3 * U + col;
    const T z = 1 / (1 + exp(-(x[k] + rec[k])));
    const T r = 1 / (1 + exp(-(x[k + U] + rec[k + U])));
    const T hr = rec[k + 2 * U];
    const T hh = tanh(x[k + 2 * U] + r * hr);
    x[k] = z; x[k + U] = r; x[k + 2 * U] = hh;
    keep = hr;
    h = m ? hh + z * (h_prev - hh) : h_prev;
    """,
    "kerasx_gru_forward_step",
)

_GRU_BACKWARD = (
    "raw T y, T keep, T h_prev, T dh_in, bool m, int32 U",
    "raw T dx, raw T dr, T dh_direct",
    """
    const ptrdiff_t row = i / U, col = i % U;
    const ptrdiff_t k = row * 3 * U + col;
    const T z = y[k], r = y[k + U], hh = y[k + 2 * U];
    const T dh = m ? dh_in : (T)0;
    const T dz = dh * (h_prev - hh) * z * (1 - z);
    const T dpre_h = dh * (1 - z) * (1 - hh * hh);
    const T d_r = dpre_h * keep * r * (1 - r);
    dx[k] = dz; dx[k + U] = d_r; dx[k + 2 * U] = dpre_h;
    dr[k] = dz; dr[k + U] = d_r; dr[k + 2 * U] = dpre_h * r;
    dh_direct = dh * z + (m ? (T)0 : dh_in);
    """,
    "kerasx_gru_backward_step",
)


def kernels(cupy):
    """The fast-path table for this family of ops."""
    kernel = kernel_cache(cupy)

    def supported(names, dmask, rmask):
        return (tuple(names) == ("tanh", "sigmoid")
                and (dmask is None or dmask.ndim == 2) and (rmask is None or rmask.ndim == 2))

    def project(x_tm, kernel_w, bias, dmask):
        t, b, f = x_tm.shape
        xs = x_tm if dmask is None else x_tm * dmask
        x2 = cupy.ascontiguousarray(xs).reshape(t * b, f)
        out = x2 @ kernel_w
        if bias is not None:
            out += bias
        return x2, out.reshape(t, b, kernel_w.shape[1])

    def project_vjp(x2, kernel_w, d_tm, dmask, need_x):
        t, b, n = d_tm.shape
        d2 = d_tm.reshape(t * b, n)
        dx = None
        if need_x:
            dx = (d2 @ kernel_w.T).reshape(t, b, kernel_w.shape[0])
            if dmask is not None:
                dx *= dmask
        return dx, x2.T @ d2, d2.sum(axis=0)

    def recur_dw(h_tm, d_tm, rmask):
        t, b, u = h_tm.shape
        hs = h_tm if rmask is None else h_tm * rmask
        return hs.reshape(t * b, u).T @ d_tm.reshape(t * b, d_tm.shape[-1])

    def step_masks(mask_tm, t_len, b):
        if mask_tm is None:
            return cupy.ones((t_len, b, 1), dtype=cupy.bool_)
        return cupy.ascontiguousarray(mask_tm)[:, :, None]

    def outputs(hseq, mask_tm, zero_output):
        out = hseq.transpose(1, 0, 2)
        if zero_output and mask_tm is not None:
            out = cupy.where(mask_tm.T[:, :, None], out, 0).astype(hseq.dtype, copy=False)
        return out

    def dout_tm(dout, mask_tm, zero_output):
        if dout is None:
            return None
        d = dout.transpose(1, 0, 2)
        if zero_output and mask_tm is not None:
            d = d * mask_tm[:, :, None]
        return d

    def state_grad(g, like):
        return cupy.zeros_like(like) if g is None else g.astype(like.dtype, copy=True)

    def lstm_forward(x_tm, kernel_w, rkernel, bias, states, mask_tm, names, dmask, rmask,
                     zero_output):
        if not supported(names, dmask, rmask):
            return None
        step = kernel(_LSTM_FORWARD)
        t_len, b, _ = x_tm.shape
        u = rkernel.shape[0]
        with x_tm.device:
            x2, gates = project(x_tm, kernel_w, bias, dmask)
            hseq = cupy.empty((t_len + 1, b, u), x_tm.dtype)
            cseq = cupy.empty_like(hseq)
            tcs = cupy.empty((t_len, b, u), x_tm.dtype)
            hseq[0], cseq[0] = states
            rec = cupy.empty((b, 4 * u), x_tm.dtype)
            keep = step_masks(mask_tm, t_len, b)
            # the kernel enters each product column-major (a transposed row-major copy,
            # which the backward reuses), the layout it had before orthogonal kernels
            # became row-major; after that change the `lstm` benchmark on an H200 fell
            # from 58-66k to 43-46k samples/s (this layout is not yet re-measured there)
            rt = cupy.ascontiguousarray(rkernel.T)
            for t in range(t_len):
                hp = hseq[t] if rmask is None else hseq[t] * rmask
                cupy.matmul(hp, rt.T, out=rec)
                step(rec, cseq[t], hseq[t], keep[t], u, gates[t], cseq[t + 1], tcs[t], hseq[t + 1])
        saved = (x2, kernel_w, rt, dmask, rmask, mask_tm, zero_output, gates, hseq, cseq,
                 tcs, keep)
        return outputs(hseq[1:], mask_tm, zero_output), (hseq[t_len], cseq[t_len]), saved

    def lstm_backward(saved, dout, dfinals, needs):
        (x2, kernel_w, rt, dmask, rmask, mask_tm, zero_output, gates, hseq, cseq, tcs,
         keep) = saved
        step = kernel(_LSTM_BACKWARD)
        t_len, b, n = gates.shape
        u = n // 4
        with gates.device:
            dz_all = cupy.empty_like(gates)
            dh = state_grad(dfinals[0], hseq[0])
            dc = state_grad(dfinals[1], cseq[0])
            d_out = dout_tm(dout, mask_tm, zero_output)
            dh_carry, dc_next = cupy.empty_like(dh), cupy.empty_like(dc)
            for t in reversed(range(t_len)):
                if d_out is not None:
                    dh += d_out[t]
                step(gates[t], tcs[t], cseq[t], dh, dc, keep[t], u, dz_all[t], dh_carry, dc_next)
                dc, dc_next = dc_next, dc
                cupy.matmul(dz_all[t], rt, out=dh)
                if rmask is not None:
                    dh *= rmask
                dh += dh_carry
            dr = recur_dw(hseq[:t_len], dz_all, rmask)
            dx, dw, db = project_vjp(x2, kernel_w, dz_all, dmask, needs[0])
        return dx, dw, dr, db, (dh, dc)

    def gru_forward(x_tm, kernel_w, rkernel, bias, states, mask_tm, names, dmask, rmask,
                    zero_output, reset_after=True):
        if not reset_after or not supported(names, dmask, rmask):
            return None
        step = kernel(_GRU_FORWARD)
        t_len, b, _ = x_tm.shape
        u = rkernel.shape[0]
        b_in, b_rec = (None, None) if bias is None else (bias[0], bias[1])
        with x_tm.device:
            x2, xw = project(x_tm, kernel_w, b_in, dmask)
            hseq = cupy.empty((t_len + 1, b, u), x_tm.dtype)
            hseq[0] = states[0]
            keeps = cupy.empty((t_len, b, u), x_tm.dtype)
            rec = cupy.empty((b, 3 * u), x_tm.dtype)
            keep = step_masks(mask_tm, t_len, b)
            rt = cupy.ascontiguousarray(rkernel.T)  # column-major operand, as the LSTM's
            for t in range(t_len):
                hp = hseq[t] if rmask is None else hseq[t] * rmask
                cupy.matmul(hp, rt.T, out=rec)
                if b_rec is not None:
                    rec += b_rec
                step(rec, hseq[t], keep[t], u, xw[t], keeps[t], hseq[t + 1])
        saved = (x2, kernel_w, rt, dmask, rmask, mask_tm, zero_output, xw, hseq, keeps,
                 keep, bias is not None)
        return outputs(hseq[1:], mask_tm, zero_output), (hseq[t_len],), saved

    def gru_backward(saved, dout, dfinals, needs):
        (x2, kernel_w, rt, dmask, rmask, mask_tm, zero_output, xw, hseq, keeps, keep,
         has_bias) = saved
        step = kernel(_GRU_BACKWARD)
        t_len, b, n = xw.shape
        u = n // 3
        with xw.device:
            dx_all = cupy.empty_like(xw)
            dr_all = cupy.empty_like(xw)
            dh = state_grad(dfinals[0], hseq[0])
            d_out = dout_tm(dout, mask_tm, zero_output)
            direct = cupy.empty_like(dh)
            for t in reversed(range(t_len)):
                if d_out is not None:
                    dh += d_out[t]
                step(xw[t], keeps[t], hseq[t], dh, keep[t], u, dx_all[t], dr_all[t], direct)
                cupy.matmul(dr_all[t], rt, out=dh)
                if rmask is not None:
                    dh *= rmask
                dh += direct
            dr = recur_dw(hseq[:t_len], dr_all, rmask)
            dx, dw, db_in = project_vjp(x2, kernel_w, dx_all, dmask, needs[0])
            db = cupy.stack([db_in, dr_all.sum(axis=(0, 1))]) if has_bias else None
        return dx, dw, dr, db, (dh,)

    return {"lstm_forward": lstm_forward, "lstm_backward": lstm_backward,
            "gru_forward": gru_forward, "gru_backward": gru_backward}
