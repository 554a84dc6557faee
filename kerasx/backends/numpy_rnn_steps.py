"""What the NumPy recurrent kernels share: in-place activations and their derivatives,
time-major projections, the unit-major `[x_t; h_(t-1); 1]` step buffer, and the
bookkeeping of masked steps."""

import numpy as np

from kerasx.backends.numpy_blas import level3
from kerasx.backends.numpy_kernels import relu_in_place
from kerasx.backends.numpy_where import word_mask


def sigmoid_(v):
    v *= 0.5
    np.tanh(v, out=v)
    v *= 0.5
    v += 0.5


def tanh_(v):
    np.tanh(v, out=v)


def relu_(v):
    relu_in_place(v)


def linear_(v):
    pass


def d_sigmoid(y, out):
    np.subtract(1.0, y, out=out)
    out *= y


def d_tanh(y, out):
    np.multiply(y, y, out=out)
    np.subtract(1.0, out, out=out)


def d_relu(y, out):
    np.greater(y, 0.0, out=out, casting="unsafe")


def d_linear(y, out):
    out.fill(1.0)


# name -> (in-place activation, derivative from the output written into `out`)
ACT = {"tanh": (tanh_, d_tanh), "sigmoid": (sigmoid_, d_sigmoid),
        "relu": (relu_, d_relu), "linear": (linear_, d_linear)}


def supported(names, dmask, rmask):
    return (all(n in ACT for n in names)
            and (dmask is None or dmask.ndim == 2) and (rmask is None or rmask.ndim == 2))


def gate_mask(mask, gate):
    """The dropout mask of Keras gate `gate`: from a per-gate `(gates, batch, n)` stack
    (Keras's implementation 1), the shared `(batch, n)` mask, or None."""
    if mask is None or mask.ndim == 2:
        return mask
    return mask[gate]


def project(x_tm, kernel, bias, dmask):
    t, b, f = x_tm.shape
    xs = x_tm if dmask is None else x_tm * dmask
    x2 = np.ascontiguousarray(xs).reshape(t * b, f)
    out = x2 @ kernel
    if bias is not None:
        out += bias
    return x2, out.reshape(t, b, kernel.shape[1])


def project_vjp(x2, kernel, d_tm, dmask, need_x):
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


def recur_dw(h_tm, d_tm, rmask):
    t, b, u = h_tm.shape
    hs = h_tm if rmask is None else h_tm * rmask
    return hs.reshape(t * b, u).T @ d_tm.reshape(t * b, d_tm.shape[-1])


def product_sums(total, a_steps, b_steps):
    """A function `add(t)` doing `total += a_steps[t] @ b_steps[t].T` (the per-step
    weight gradients): by the BLAS in the pass that computes the product where it is
    bound, else a product into a scratch array and an add. Either stack may be one
    matrix broadcast along a first axis of stride 0."""
    blas = level3()
    run = None if blas is None else blas.step_products(a_steps, b_steps, total,
                                                       accumulate=True, trans_b=True)
    if run is not None:
        return run
    scratch = np.empty_like(total)

    def add(t):
        np.matmul(a_steps[t], b_steps[t].T, out=scratch)
        total.__iadd__(scratch)

    return add


class SkipMasks:
    """The samples each step skips (masked), for exact selects on the floats' bits.

    `skip` holds `(T, ...)` booleans (True: skipped) broadcasting against one step's
    state array. `np.copyto(..., where=)` takes a branch per element; with sequences of
    mixed lengths the skipped samples of a step follow no pattern and half of those
    branches mispredict (27 us for a 128 x 64 step against 6.7 us when every sample is
    skipped). Here each step's mask is an integer word per sample, all ones where it is
    skipped, and a select is two `and`s and an `or` on the bits: 9.5 us, exact. A step
    that skips no sample selects nothing, one that skips them all copies.
    """

    def __init__(self, skip, dtype):
        flat = skip.reshape(len(skip), -1)
        self.none, self.every = ~flat.any(axis=1), flat.all(axis=1)
        self.bits = word_mask(skip, dtype)
        self.integer = self.bits.dtype
        self.keep = np.invert(self.bits)
        self._scratch = None

    def _buffer(self, like):
        if self._scratch is None or self._scratch.shape != like.shape:
            self._scratch = np.empty(like.shape, self.integer)
        return self._scratch

    def restore(self, t, out, previous):
        """`out` takes `previous`'s values at the samples step `t` skips."""
        if self.none[t]:
            return
        if self.every[t]:
            np.copyto(out, previous)
            return
        bits, scratch = out.view(self.integer), self._buffer(out)
        np.bitwise_and(previous.view(self.integer), self.bits[t], out=scratch)
        np.bitwise_and(bits, self.keep[t], out=bits)
        np.bitwise_or(bits, scratch, out=bits)

    def split(self, t, d, carry):
        """Moves `d`'s values at the samples step `t` skips into `carry` (zero elsewhere),
        zeroing them in `d`; returns `carry`, or None when the step skips no sample."""
        if self.none[t]:
            return None
        d_bits = d.view(self.integer)
        np.bitwise_and(d_bits, self.bits[t], out=carry.view(self.integer))
        np.bitwise_and(d_bits, self.keep[t], out=d_bits)
        return carry


def masked_index(mask_tm, dtype):
    """The `SkipMasks` of a `(T, batch, units)` layout, or None without a mask."""
    return None if mask_tm is None else SkipMasks(~mask_tm[:, :, None], dtype)


def outputs_of(hseq, mask_tm, zero_output):
    out = hseq.transpose(1, 0, 2)
    if zero_output and mask_tm is not None:
        out = np.where(mask_tm.T[:, :, None], out, 0.0).astype(hseq.dtype, copy=False)
    return out


def state_grad(g, like):
    return np.zeros_like(like) if g is None else np.array(g, dtype=like.dtype, copy=True)


def dout_tm(dout, mask_tm, zero_output):
    if dout is None:
        return None
    d = dout.transpose(1, 0, 2)
    if zero_output and mask_tm is not None:
        d = d * mask_tm[:, :, None]
    return d


def unit_major_grad(g, u, b, dtype):
    """A final-state gradient `(batch, units)` as a fresh C-ordered `(units, batch)` array
    (a plain copy of the transpose would keep Fortran order and slow every step)."""
    if g is None:
        return np.zeros((u, b), dtype)
    return np.array(g.T, dtype=dtype, order="C")


def split_carry(skip, t, d, carry):
    """Moves the gradient of the samples step `t` skips from `d` into `carry` (returned;
    None when no sample is skipped there), zeroing it in `d`. `skip` is a `SkipMasks`."""
    return None if skip is None else skip.split(t, d, carry)


def step_buffer(x_tm, h0, dmask=None):
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


def unit_major_skip(mask_tm, dtype):
    """The `SkipMasks` of a `(T, units, batch)` layout, or None without a mask."""
    return None if mask_tm is None else SkipMasks(~mask_tm[:, None, :], dtype)


def unit_major_dout(dout, mask_tm, zero_output):
    """The output-sequence gradient `(batch, T, units)` as `(T, units, batch)` (zero at
    the masked steps with `zero_output`), or None."""
    if dout is None:
        return None
    d_out = dout.transpose(1, 2, 0)
    if zero_output and mask_tm is not None:
        d_out = d_out * mask_tm[:, None, :]
    return d_out


def sequence_outputs(hs, mask_tm, zero_output, dtype):
    """The `(batch, T, units)` outputs from blocks 1..T of unit-major states `hs`
    (zeros at masked steps with `zero_output`)."""
    outputs = hs[1:].transpose(2, 0, 1)
    if zero_output and mask_tm is not None:
        outputs = np.where(mask_tm.T[:, :, None], outputs, 0.0).astype(dtype, copy=False)
    return outputs


def gate_activation(rows, f_ract, halved):
    """The recurrent activation in place on gate rows; `halved`: a sigmoid whose
    pre-activations the weights already halved, so `0.5 * tanh + 0.5` finishes it."""
    if halved:
        np.tanh(rows, out=rows)
        rows *= 0.5
        rows += 0.5
    else:
        f_ract(rows)


def gru_state(prev, hh, z, out, tmp, skip=None, t=None):
    """The GRU update `hh + z * (prev - hh)` written into `out`; `prev` is kept at the
    samples step `t` skips (`skip`: a `SkipMasks`, or None)."""
    np.subtract(prev, hh, out=tmp)
    tmp *= z
    np.add(hh, tmp, out=out)
    if skip is not None:
        skip.restore(t, out, prev)


def gru_state_grad(dh, prev, hh, z, d_z, d_hh, d_act, tmp):
    """Through `gru_state` for the gradient `dh` of the new state: the gradient of
    `z` into `d_z` and of the candidate's pre-activation into `d_hh` (`d_act` is the
    candidate activation's derivative from its output)."""
    np.subtract(prev, hh, out=d_z)
    d_z *= dh
    d_act(hh, d_hh)
    np.subtract(1.0, z, out=tmp)
    tmp *= dh
    d_hh *= tmp


class InferenceSteps:
    """The step blocks of a forward-only kernel: the whole `step_buffer` when the
    output sequence is wanted, else two blocks used in turn (the input of step t is
    copied into its block just before the step), so memory does not grow with T."""

    def __init__(self, x_tm, h0, keep_sequence):
        self.keep = keep_sequence
        if keep_sequence:
            self.buf, self.hs = step_buffer(x_tm, h0)
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
        return sequence_outputs(self.hs, mask_tm, zero_output, dtype), np.ascontiguousarray(last.T)
