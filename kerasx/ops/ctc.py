"""Connectionist temporal classification: `ctc_loss` and `ctc_decode`.

The loss runs the CTC forward (alpha) recursion in log space, one time step
per iteration, vectorized over the batch and the label positions, and records
one tape node. Its VJP runs the backward (beta) recursion, takes the posterior
of every alignment state at every frame from alpha and beta, and returns
`softmax(logits) - posterior occupancy` per class.
"""

import operator
from importlib import import_module

from kerasx.ops._helpers import Tensor, current, record, tracked, value_of
from kerasx.ops.ctc_beam_search import beam_search

# The log-weight of a transition that no alignment may take. Keras's JAX and NumPy
# `ctc_loss` use this finite floor instead of -inf, so a label that cannot fit in its
# output length gets a large finite loss (about 1e5 per missing frame) and finite
# gradients; kerasx returns the same values.
LOG_EPSILON = -1e5


def ctc_loss(target, output, target_length, output_length, mask_index=0):
    """Per-sample CTC negative log-likelihood of `target` under `output` logits.

    Args:
        target: integer labels, shape `(batch, max_label_length)`; the entries
            past `target_length` are ignored.
        output: logits, shape `(batch, time, num_classes)`, not normalized
            (a log-softmax is applied here).
        target_length: the number of labels of each sample, shape `(batch,)`.
        output_length: the number of valid time steps of each sample, shape
            `(batch,)`; the steps past it are ignored.
        mask_index: the class of the blank (mask) symbol.

    Returns:
        The losses, shape `(batch,)`, float32 (float64 for float64 logits).
        A label that cannot be aligned within its output length (each repeated
        pair needs a blank between them) gives a loss near `1e5` per missing
        step, as Keras's JAX and NumPy backends do, rather than infinity.
    """
    backend = current()
    zv = _float_logits(backend, output, "ctc_loss", "output")
    batch, steps, classes = zv.shape
    tv = _integer_array(backend, target)
    if len(tv.shape) != 2 or tv.shape[0] != batch:
        raise ValueError(
            f"ctc_loss expects target of shape (batch, max_label_length) = ({batch}, N) to go "
            f"with output of shape {tuple(zv.shape)}; received target of shape "
            f"{tuple(tv.shape)}. Pad the label sequences of a batch to one length.")
    mask_index = _check_mask_index(mask_index, classes, "ctc_loss")
    lengths = _lengths(backend, target_length, batch, "target_length")
    frames = _lengths(backend, output_length, batch, "output_length")

    lattice = _Lattice(backend, zv, tv, lengths, frames, mask_index)
    loss = -lattice.log_likelihood
    if not tracked(output):
        return Tensor(loss)
    return record(loss, (output,), lambda g: (lattice.logits_gradient(g),))


class _Lattice:
    """The CTC alignment lattice of a batch, with its forward and backward recursions.

    Label position `n` has two states: `emit[n]`, the label `n` is being
    emitted, and `phi[n]`, the `n` labels before it are done (blank frames or
    ready for the next label); `phi` has one more state, for all labels done.
    A frame moves `phi[n] -> phi[n]` or `emit[n-1] -> phi[n]` reading a blank,
    and `phi[n]`, `emit[n]` or `emit[n-1]` (when label `n` differs from label
    `n-1`) `-> emit[n]` reading label `n`. The log-likelihood is that of
    ending in `phi[L]` or `emit[L-1]`, `L` being the sample's label length.

    The forward log-weights of every frame are kept (shifted by `_rescaled`)
    for the backward pass, which the VJP runs only when a gradient is taken.
    """

    def __init__(self, backend, zv, tv, lengths, frames, mask_index):
        xp = backend.xp
        self.xp, self.backend = xp, backend
        batch, steps, classes = zv.shape
        labels = tv.shape[1]
        dtype = zv.dtype
        self.log_probs = _log_softmax(xp, zv)
        self.mask_index = mask_index

        # a label outside [0, classes) reads a log-probability of 0, as Keras's one-hot does
        self.known = (tv >= 0) & (tv < classes)
        ids = xp.where(self.known, tv, xp.zeros_like(tv))
        self.ids = ids
        gathered = xp.take_along_axis(
            self.log_probs, xp.broadcast_to(ids[:, None, :], (batch, steps, labels)), axis=-1)
        self.emit_lp = xp.where(self.known[:, None, :], gathered, xp.zeros_like(gathered))
        self.blank_lp = self.log_probs[:, :, mask_index:mask_index + 1]
        # time steps past each output length leave the lattice as it is
        time = xp.arange(steps, dtype=lengths.dtype, device=backend.device)
        self.valid = time[None, :] < frames[:, None]

        # a repeated label needs a blank first: no emit[n-1] -> emit[n] step
        same = tv[:, :-1] == tv[:, 1:]
        repeat = xp.concat([same, xp.zeros((batch, min(labels, 1)), dtype=xp.bool,
                                           device=backend.device)], axis=1)
        zeros = xp.zeros((batch, labels), dtype=dtype, device=backend.device)
        self.repeat_penalty = xp.where(repeat, zeros + LOG_EPSILON, zeros)
        self.blank_penalty = xp.where(repeat, zeros, zeros + LOG_EPSILON)

        phi = xp.concat([xp.zeros((batch, 1), dtype=dtype, device=backend.device),
                         xp.full((batch, labels), LOG_EPSILON, dtype=dtype,
                                 device=backend.device)], axis=1)
        emit = zeros + LOG_EPSILON
        self.phis, self.emits, scales = [], [], []
        for t in range(steps):
            phi, emit = self._step(t, phi, emit)
            phi, emit, scale = _rescaled(xp, phi, emit)
            self.phis.append(phi)
            self.emits.append(emit)
            scales.append(scale)

        self.end = xp.clip(lengths, 0, labels)[:, None]
        final = xp.concat([phi[:, :1], xp.logaddexp(phi[:, 1:], emit)], axis=1)
        self.log_likelihood = xp.take_along_axis(final, self.end, axis=1)[:, 0]
        if scales:
            self.log_likelihood = self.log_likelihood + xp.sum(xp.concat(scales, axis=1), axis=1)

    def _ready(self, phi, emit):
        """`phi` with `emit[n-1] -> phi[n]` merged in (not before a repeated label)."""
        xp = self.xp
        return xp.concat([phi[:, :1], xp.logaddexp(phi[:, 1:], emit + self.repeat_penalty)],
                         axis=1)

    def _step(self, t, phi, emit):
        xp = self.xp
        ready = self._ready(phi, emit)
        e, p = self.emit_lp[:, t, :], self.blank_lp[:, t, :]
        new_emit = e + xp.logaddexp(ready[:, :-1], emit)
        new_phi = xp.concat([ready[:, :1] + p, xp.logaddexp(
            ready[:, 1:] + p, emit + p + self.blank_penalty)], axis=1)
        keep = self.valid[:, t:t + 1]
        return xp.where(keep, new_phi, phi), xp.where(keep, new_emit, emit)

    def occupancy(self):
        """The posterior probability of reading each class at each valid frame, shape
        `(batch, time, classes)`. At a frame every alignment is in exactly one state, so
        the posterior of the states is `softmax(alpha + beta)` over them, `beta` coming
        from the backward recursion."""
        xp, backend = self.xp, self.backend
        batch, steps, classes = self.log_probs.shape
        labels = self.ids.shape[1]
        dtype = self.log_probs.dtype
        at_end = xp.arange(labels + 1, dtype=self.end.dtype, device=backend.device)[None, :] \
            == self.end
        nowhere = xp.full(at_end.shape, -float("inf"), dtype=dtype, device=backend.device)
        # the log-weight of finishing from each state after the last frame
        beta_phi = xp.where(at_end, xp.zeros_like(nowhere), nowhere)
        beta_emit = beta_phi[:, 1:]
        betas_phi, betas_emit = [None] * steps, [None] * steps
        for t in range(steps - 1, -1, -1):
            betas_phi[t], betas_emit[t] = beta_phi, beta_emit
            into_emit = self.emit_lp[:, t, :] + beta_emit
            into_phi = self.blank_lp[:, t, :] + beta_phi
            beta_ready = xp.concat([xp.logaddexp(into_emit, into_phi[:, :-1]),
                                    into_phi[:, labels:]], axis=1)
            from_emit = xp.logaddexp(
                xp.logaddexp(into_emit, into_phi[:, 1:] + self.blank_penalty),
                beta_ready[:, 1:] + self.repeat_penalty)
            keep = self.valid[:, t:t + 1]
            beta_phi, beta_emit, _ = _rescaled(xp, xp.where(keep, beta_ready, beta_phi),
                                               xp.where(keep, from_emit, beta_emit))
        both = (xp.concat([xp.stack(self.phis, axis=1), xp.stack(self.emits, axis=1)], axis=2)
                + xp.concat([xp.stack(betas_phi, axis=1), xp.stack(betas_emit, axis=1)], axis=2))
        posterior = xp.exp(both - xp.max(both, axis=2, keepdims=True))
        posterior = posterior / xp.sum(posterior, axis=2, keepdims=True)
        posterior = xp.where(self.valid[:, :, None], posterior, xp.zeros_like(posterior))
        one_hot = xp.astype(
            self.ids[:, :, None] == xp.arange(classes, dtype=self.ids.dtype,
                                              device=backend.device)[None, None, :], dtype)
        one_hot = one_hot * xp.astype(self.known[:, :, None], dtype)
        blank = xp.astype(xp.arange(classes, device=backend.device) == self.mask_index, dtype)
        return (xp.matmul(posterior[:, :, labels + 1:], one_hot)
                + xp.sum(posterior[:, :, :labels + 1], axis=2, keepdims=True) * blank)

    def logits_gradient(self, g):
        """The VJP: `g * (softmax(logits) * occupancy per frame - occupancy)`."""
        xp = self.xp
        occupied = self.occupancy()
        frame = xp.sum(occupied, axis=-1, keepdims=True)
        return g[:, None, None] * (xp.exp(self.log_probs) * frame - occupied)


def _rescaled(xp, phi, emit):
    """`(phi, emit, scale)`: the log-weights shifted so that the largest is 0, and the
    shift. In float32 the sum of a forward and a backward log-weight then keeps its
    precision for the states that matter, whatever the length of the sequence."""
    scale = xp.max(xp.concat([phi, emit], axis=1), axis=1, keepdims=True)
    return phi - scale, emit - scale, scale


def ctc_decode(inputs, sequence_lengths, strategy="greedy", beam_width=100, top_paths=1,
               merge_repeated=True, mask_index=0):
    """Decodes CTC outputs, as `keras.ops.ctc_decode`.

    Args:
        inputs: logits, shape `(batch, time, num_classes)`.
        sequence_lengths: the valid time steps of each sample, shape `(batch,)`.
        strategy: `"greedy"` (the best class of every frame, then repeats
            merged and blanks dropped) or `"beam_search"` (a prefix beam
            search over the log-softmax of `inputs`).
        beam_width: the number of prefixes the beam search keeps.
        top_paths: the number of sequences the beam search returns (at most
            `beam_width`).
        merge_repeated: whether the greedy strategy merges consecutive
            repeats of a class (the beam search always does, as CTC reads them).
        mask_index: the blank class (None: the last class).

    Returns:
        `(decoded, scores)`. `decoded` is int32 of shape `(1, batch, time)`
        (greedy) or `(top_paths, batch, time)` (beam search): each row the
        decoded classes followed by `-1` padding. `scores` has shape
        `(batch, 1)` (greedy: minus the sum over the valid frames of the
        largest logit) or `(batch, top_paths)` (beam search: the
        log-probability of each sequence, best first).
    """
    backend = current()
    if strategy not in ("greedy", "beam_search"):
        raise ValueError(
            f"Invalid strategy {strategy!r} for ctc_decode. Expected 'greedy' or "
            "'beam_search'.")
    zv = _float_logits(backend, inputs, "ctc_decode", "inputs")
    batch, steps, classes = zv.shape
    if mask_index is None:
        mask_index = classes - 1
    mask_index = _check_mask_index(mask_index, classes, "ctc_decode")
    frames = _lengths(backend, sequence_lengths, batch, "sequence_lengths")
    if strategy == "greedy":
        return _greedy_decode(backend, zv, frames, merge_repeated, mask_index)
    for name, value in (("beam_width", beam_width), ("top_paths", top_paths)):
        if _as_int(value) is None or value < 1:
            raise ValueError(f"ctc_decode expects {name} to be a positive integer; "
                             f"received {name}={value!r}.")
    beam_width, top_paths = int(beam_width), int(top_paths)
    if top_paths > beam_width:
        raise ValueError(
            f"ctc_decode received top_paths={top_paths} > beam_width={beam_width}: the beam "
            "search returns at most beam_width sequences. Raise beam_width or lower "
            "top_paths.")
    paths, scores = beam_search(backend, _log_softmax(backend.xp, zv), frames, beam_width, top_paths, mask_index)
    return Tensor(paths), Tensor(scores)


def _greedy_decode(backend, zv, frames, merge_repeated, mask_index):
    xp = backend.xp
    batch, steps, classes = zv.shape
    int32 = backend.dtype("int32")
    ids = xp.astype(xp.argmax(zv, axis=-1), int32)
    best = xp.max(zv, axis=-1)
    time = xp.arange(steps, dtype=frames.dtype, device=backend.device)[None, :]
    past_end = time >= frames[:, None]
    blank = xp.full_like(ids, mask_index)
    ids = xp.where(past_end, blank, ids)
    best = xp.where(past_end, xp.zeros_like(best), best)
    if merge_repeated:
        repeat = xp.concat([xp.zeros((batch, 1), dtype=xp.bool, device=backend.device),
                            ids[:, 1:] == ids[:, :-1]], axis=1)
        ids = xp.where(repeat, blank, ids)
    dropped = ids == mask_index
    ids = xp.where(dropped, xp.full_like(ids, -1), ids)
    # a stable sort that moves the dropped frames to the end keeps the others in order
    order = xp.where(dropped, xp.full_like(time, steps), time)
    ids = xp.take_along_axis(ids, xp.argsort(order, axis=-1, stable=True), axis=-1)
    scores = -xp.sum(best, axis=1, keepdims=True)
    return Tensor(ids[None, ...]), Tensor(scores)


def _log_softmax(xp, zv):
    shifted = zv - xp.max(zv, axis=-1, keepdims=True)
    return shifted - xp.log(xp.sum(xp.exp(shifted), axis=-1, keepdims=True))


def _float_logits(backend, x, op, name):
    zv = backend.asarray(value_of(x))
    shape = tuple(getattr(zv, "shape", ()))
    if len(shape) != 3:
        raise ValueError(
            f"{op} expects {name} (logits) of shape (batch, time, num_classes); received "
            f"shape {shape}. Give a sequence model's per-step logits, e.g. a Dense layer "
            "applied on every time step.")
    if backend.isdtype(zv.dtype, "real floating") and zv.dtype in (
            backend.dtype("float32"), backend.dtype("float64")):
        return zv
    # integers and half floats (float16, bfloat16) in float32, as Keras computes them
    return backend.xp.astype(zv, backend.dtype("float32"))


def _integer_array(backend, x):
    v = backend.asarray(value_of(x))
    if backend.isdtype(v.dtype, "integral"):
        return v
    return backend.xp.astype(v, backend.dtype("int64"))


def _lengths(backend, lengths, batch, name):
    v = _integer_array(backend, lengths)
    if tuple(v.shape) != (batch,):
        raise ValueError(
            f"{name} must have one entry per sample, shape ({batch},); received shape "
            f"{tuple(v.shape)}.")
    return backend.xp.astype(v, backend.dtype("int64"))


def _check_mask_index(mask_index, classes, op):
    """`mask_index` as an int, or a clear error."""
    index = _as_int(mask_index)
    if index is None or not 0 <= index < classes:
        raise ValueError(
            f"{op} received mask_index={mask_index!r}; expected the integer class of the "
            f"blank symbol, in [0, {classes}) for {classes} classes.")
    return index


def _as_int(value):
    if isinstance(value, bool):
        return None
    try:
        return operator.index(value)
    except TypeError:
        return None


# registers the differentiable rule
import_module("kerasx.ops.ctc_grads")
