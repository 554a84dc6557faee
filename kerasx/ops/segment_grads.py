"""Differentiable VJPs of the segment reductions (`segment_sum`, `segment_max`,
`segment_min`, `segment_prod` without zero factors) and of `scatter`, for gradients of
gradients (`kerasx.autodiff.higher_order`): gathers of the output gradient per row,
as recorded `take`s."""

from kerasx.autodiff.higher_order import differentiable_vjp
from kerasx.ops._helpers import Tensor, current
from kerasx.ops.segments import _extremum, scatter, segment_prod, segment_sum
from kerasx.ops.shape import concatenate, reshape, scatter_add_rows, take


def _per_row(s, per_segment):
    """Each row's entry of the Tensor `per_segment` `(count, k)` (0 for dropped rows)."""
    xp = current().xp
    zero = Tensor(xp.zeros((1, per_segment.shape[1]), dtype=s.rows.dtype,
                           device=current().device))
    return take(concatenate([per_segment, zero], axis=0), s.routed, axis=0)


def _flat_segments(s, g):
    return reshape(g, (s.count, -1))


@differentiable_vjp(segment_sum)
def _segment_sum_rule(g, parents, out, env):
    s = env["s"]
    return reshape(_per_row(s, _flat_segments(s, g)), s.shape), None


@differentiable_vjp(_extremum)
def _segment_extremum_rule(g, parents, out, env):
    """The gradient to the entries equal to their segment's extremum, split between
    ties: constant masks times a gather of `g`."""
    s, xp = env["s"], current().xp
    hit = xp.astype(s.rows == s.gather(env["out_rows"]), s.rows.dtype)
    ties = scatter_add_rows(s.count + 1, s.routed, hit)[:s.count, ...]
    share = _flat_segments(s, g) / Tensor(xp.where(ties > 0, ties, xp.ones_like(ties)))
    return reshape(_per_row(s, share) * Tensor(hit), s.shape), None


@differentiable_vjp(segment_prod)
def _segment_prod_rule(g, parents, out, env):
    """`segment product / x` for each entry; declined where a factor is 0."""
    s, xp = env["s"], current().xp
    if bool(xp.any(env["zero"])):
        return None
    flat_data = reshape(parents[0], tuple(s.rows.shape))
    return reshape(_per_row(s, _flat_segments(s, g * out)) / flat_data, s.shape), None


@differentiable_vjp(scatter)
def _scatter_rule(g, parents, out, env):
    rows = take(reshape(g, (env["n_rows"], -1)), env["flat"], axis=0)
    return None, reshape(rows, tuple(env["vv"].shape))
