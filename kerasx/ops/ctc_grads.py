"""The differentiable VJP of `ctc_loss`, for gradients of gradients
(`kerasx.autodiff.higher_order`).

The rule runs the CTC forward (alpha) recursion again with recorded ops (log-softmax,
gathers, `logaddexp`, `where`) on the lattice the loss kept, and seeds its recorded
backward with the loss gradient (`composite_vjp`): the first-order gradient comes out
as Tensors that differentiate again. The per-frame shifts that keep float32 precise are
taken as constants: the recursion commutes with subtracting one, so the function and
all its derivatives are unchanged.
"""

from kerasx.autodiff.higher_order import composite_vjp, differentiable_vjp
from kerasx.ops._helpers import Tensor, current
from kerasx.ops.ctc import LOG_EPSILON, ctc_loss
from kerasx.ops.exp_log import logaddexp
from kerasx.ops.math import where
from kerasx.ops.nn import log_softmax
from kerasx.ops.shape import concatenate, take_along_axis


def _log_likelihood(z, lattice):
    """The log-likelihood of each sample's labels under the logits `z` (a Tensor), by
    the forward recursion of `lattice` (`kerasx.ops.ctc._Lattice`), recorded."""
    backend = current()
    xp = backend.xp
    batch, steps, classes = z.shape
    labels = lattice.ids.shape[1]
    dtype = lattice.log_probs.dtype
    log_probs = log_softmax(z, axis=-1)
    ids = xp.broadcast_to(lattice.ids[:, None, :], (batch, steps, labels))
    emit_lp = where(lattice.known[:, None, :], take_along_axis(log_probs, ids, axis=-1), 0.0)
    blank = lattice.mask_index
    blank_lp = log_probs[:, :, blank:blank + 1]
    repeat_penalty = Tensor(lattice.repeat_penalty)
    blank_penalty = Tensor(lattice.blank_penalty)
    phi = Tensor(xp.concat([xp.zeros((batch, 1), dtype=dtype, device=backend.device),
                            xp.full((batch, labels), LOG_EPSILON, dtype=dtype,
                                    device=backend.device)], axis=1))
    emit = Tensor(xp.full((batch, labels), LOG_EPSILON, dtype=dtype, device=backend.device))
    shift = xp.zeros((batch, 1), dtype=dtype, device=backend.device)
    for t in range(steps):
        ready = concatenate([phi[:, :1], logaddexp(phi[:, 1:], emit + repeat_penalty)], axis=1)
        e, p = emit_lp[:, t, :], blank_lp[:, t, :]
        new_emit = e + logaddexp(ready[:, :-1], emit)
        new_phi = concatenate([ready[:, :1] + p,
                               logaddexp(ready[:, 1:] + p, emit + p + blank_penalty)], axis=1)
        keep = lattice.valid[:, t:t + 1]
        phi, emit = where(keep, new_phi, phi), where(keep, new_emit, emit)
        scale = xp.max(xp.concat([phi.value, emit.value], axis=1), axis=1, keepdims=True)
        phi, emit = phi - Tensor(scale), emit - Tensor(scale)
        shift = shift + scale
    final = concatenate([phi[:, :1], logaddexp(phi[:, 1:], emit)], axis=1)
    return take_along_axis(final, lattice.end, axis=1)[:, 0] + Tensor(shift[:, 0])


@differentiable_vjp(ctc_loss)
def _ctc_loss_rule(g, parents, out, env):
    lattice = env["lattice"]
    return composite_vjp(lambda z: -_log_likelihood(z, lattice), g, parents, (None,))
