"""Differentiable VJPs of the segment reductions (`segment_sum`, `segment_max`,
`segment_min`, `segment_prod`) and of `scatter`, for gradients of gradients
(`kerasx.autodiff.higher_order`): gathers of the output gradient per row, as recorded
`take`s."""

from kerasx.autodiff.higher_order import differentiable_vjp
from kerasx.ops._helpers import Tensor, current, value_of
from kerasx.ops.segments import _extremum, scatter, segment_prod, segment_sum
from kerasx.ops.cumulative import cumprod
from kerasx.ops.shape import concatenate, flip, reshape, scatter_add_rows, take


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
    """`segment product / x` for each entry; with a zero factor, the product of the
    others (`_products_of_the_others`)."""
    s, xp = env["s"], current().xp
    flat_data = reshape(parents[0], tuple(s.rows.shape))
    if bool(xp.any(env["zero"])):
        others = _products_of_the_others(s, flat_data)
        return reshape(_per_row(s, _flat_segments(s, g)) * others, s.shape), None
    return reshape(_per_row(s, _flat_segments(s, g * out)) / flat_data, s.shape), None


def _products_of_the_others(s, rows):
    """For each row of the Tensor `rows` (n, k), the product of the other rows of its
    segment (0 for dropped rows), without division: the rows laid out per segment in a
    (count, longest, k) table padded with ones, the running products before and after
    each place multiplied (as `prod`'s rule does along an axis)."""
    backend = current()
    xp, device = backend.xp, backend.device
    n, k = tuple(rows.shape)
    order = xp.argsort(s.routed, stable=True)
    ids = xp.take(s.routed, order)
    segments = xp.arange(s.count, dtype=ids.dtype, device=device)
    first = xp.searchsorted(ids, segments, side="left")
    sizes = xp.searchsorted(ids, segments, side="right") - first
    longest = int(backend.to_numpy(xp.max(sizes))) if s.count else 0
    if longest == 0:  # every row dropped: no gradient
        return rows * 0.0
    places = xp.arange(longest, dtype=ids.dtype, device=device)
    slots = xp.clip(first[:, None] + places[None, :], 0, max(n - 1, 0))
    listed = xp.reshape(xp.take(order, xp.reshape(slots, (-1,))), tuple(slots.shape))
    table = xp.where(places[None, :] < sizes[:, None], listed, xp.full_like(slots, n))
    ones = Tensor(xp.ones((1, k), dtype=value_of(rows).dtype, device=device))
    laid = reshape(take(concatenate([rows, ones], axis=0), xp.reshape(table, (-1,)), axis=0),
                   (s.count, longest, k))
    start = Tensor(xp.ones((s.count, 1, k), dtype=value_of(rows).dtype, device=device))
    before = cumprod(concatenate([start, laid[:, :-1, :]], axis=1), axis=1)
    after = flip(cumprod(concatenate([start, flip(laid, axis=1)[:, :-1, :]], axis=1),
                         axis=1), axis=1)
    # each row's place in the table; a dropped row reads the zero row after it
    sorted_place = xp.arange(n, dtype=ids.dtype, device=device) - xp.take(
        xp.concat([first, xp.zeros((1,), dtype=first.dtype, device=device)]), ids)
    place = xp.take(sorted_place, xp.argsort(order, stable=True))
    cell = xp.where(s.routed < s.count, s.routed * longest + place,
                    xp.full_like(place, s.count * longest))
    zero = Tensor(xp.zeros((1, k), dtype=value_of(rows).dtype, device=device))
    return take(concatenate([reshape(before * after, (s.count * longest, k)), zero], axis=0),
                cell, axis=0)


@differentiable_vjp(scatter)
def _scatter_rule(g, parents, out, env):
    rows = take(reshape(g, (env["n_rows"], -1)), env["flat"], axis=0)
    return None, reshape(rows, tuple(env["vv"].shape))
