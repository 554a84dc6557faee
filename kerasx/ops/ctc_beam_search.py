"""CTC prefix beam search, vectorized over the batch (the `"beam_search"` strategy of
`ctc_decode`).

Each beam entry is a distinct label prefix with two log-scores: the prefix's
probability over the frames read so far when the last frame was a label
(`emit`) and when it was a blank (`blank`). A frame extends every entry by
every class; the candidates that spell the same prefix are merged by adding
their probabilities, and the `beam_width` most probable prefixes are kept.
"""

import math

_HASH_BASE = 1000003
_HASH_MODULUS = 2147483647


def beam_search(backend, log_probs, frames, beam_width, top_paths, blank):
    """`(paths, scores)`: `paths` int32 `(top_paths, batch, time)` padded with -1,
    `scores` `(batch, top_paths)`, the log-probability of each decoded sequence."""
    xp = backend.xp
    batch, steps, classes = log_probs.shape
    state = _initial_beam(backend, batch, steps, beam_width, log_probs.dtype)
    for t in range(steps):
        new = _extend(backend, state, log_probs[:, t, :], beam_width, blank)
        if t == 0:
            state = new  # the first frame is read whatever the sequence length
        else:
            keep = t < frames
            state = {k: xp.where(_expand(xp, keep, new[k].ndim), new[k], v)
                     for k, v in state.items()}
    total = xp.logaddexp(state["emit"], state["blank"])
    best = xp.argsort(total, axis=1, descending=True, stable=True)[:, :top_paths]
    paths = xp.take_along_axis(state["paths"], _rows(xp, best, steps), axis=1)
    scores = xp.take_along_axis(total, best, axis=1)
    alive = scores > -math.inf
    paths = xp.where(alive[:, :, None], paths, xp.full_like(paths, -1))
    return xp.permute_dims(xp.astype(paths, backend.dtype("int32")), (1, 0, 2)), scores


def _expand(xp, keep, ndim):
    return xp.reshape(keep, tuple(keep.shape) + (1,) * (ndim - 1))


def _rows(xp, index, steps):
    """`index` (batch, k) as the index of whole rows of a (batch, n, steps) array."""
    return xp.broadcast_to(index[:, :, None], tuple(index.shape) + (steps,))


def _initial_beam(backend, batch, steps, width, dtype):
    """The empty prefix, all blank so far (log-score 0), and `width - 1` dead entries."""
    xp, device = backend.xp, backend.device
    int64 = backend.dtype("int64")
    first = xp.arange(width, dtype=int64, device=device)[None, :] == 0
    first = xp.broadcast_to(first, (batch, width))
    dead = xp.full((batch, width), -math.inf, dtype=dtype, device=device)
    ids = xp.broadcast_to(xp.arange(width, dtype=int64, device=device)[None, :], (batch, width))
    return {
        "paths": xp.full((batch, width, steps), -1, dtype=int64, device=device),
        "length": xp.zeros((batch, width), dtype=int64, device=device),
        "last": xp.full((batch, width), -1, dtype=int64, device=device),
        "emit": dead,
        "blank": xp.where(first, xp.zeros_like(dead), dead),
        # a hash of the prefix and of its parent (the prefix minus its last label);
        # dead entries get distinct negative values so that they match nothing
        "hash": xp.where(first, xp.zeros_like(ids), -1 - ids),
        "parent_hash": -1 - ids,
    }


def _extend(backend, s, lp, width, blank):
    """The beam after reading one frame of log-probabilities `lp` (batch, classes)."""
    xp, device = backend.xp, backend.device
    batch, k = s["emit"].shape
    classes = lp.shape[1]
    int64 = backend.dtype("int64")
    neg_inf = xp.full_like(s["emit"], -math.inf)
    either = xp.logaddexp(s["emit"], s["blank"])
    lp_blank = lp[:, blank:blank + 1]

    # staying on the same prefix: a blank, or the last label again (merged)
    last_lp = xp.take_along_axis(lp, xp.where(s["last"] >= 0, s["last"], 0), axis=1)
    stay_emit = xp.where(s["last"] >= 0, s["emit"] + last_lp, neg_inf)
    stay_blank = either + lp_blank

    # growing a prefix by one label; after the same label, only from a blank
    cls = xp.arange(classes, dtype=int64, device=device)[None, None, :]
    same = cls == s["last"][:, :, None]
    grow = xp.where(same, s["blank"][:, :, None], either[:, :, None]) + lp[:, None, :]
    grow = xp.where(cls == blank, xp.full_like(grow, -math.inf), grow)

    # a grown prefix that is already an entry adds its score to that entry
    parent, found = _parents(xp, s)
    slot = parent * classes + s["last"]
    from_grow = xp.take_along_axis(xp.reshape(grow, (batch, k * classes)),
                                   xp.where(found, slot, 0), axis=1)
    stay_emit = xp.logaddexp(stay_emit, xp.where(found, from_grow, neg_inf))
    grow = xp.reshape(grow, (batch, k * classes))
    taken = _slots_taken(backend, slot, found, k * classes)
    grow = xp.where(taken, xp.full_like(grow, -math.inf), grow)

    cand_emit = xp.concat([stay_emit, grow], axis=1)
    cand_blank = xp.concat([stay_blank, xp.full_like(grow, -math.inf)], axis=1)
    total = xp.logaddexp(cand_emit, cand_blank)
    pick = xp.argsort(total, axis=1, descending=True, stable=True)[:, :width]
    grown = pick >= k
    source = xp.where(grown, (pick - k) // classes, pick)
    label = xp.where(grown, (pick - k) % classes, xp.full_like(pick, -1))
    alive = xp.take_along_axis(total, pick, axis=1) > -math.inf

    length = xp.take_along_axis(s["length"], source, axis=1)
    steps = s["paths"].shape[2]
    paths = xp.take_along_axis(s["paths"], _rows(xp, source, steps), axis=1)
    at_end = xp.arange(steps, dtype=int64, device=device)[None, None, :] == length[:, :, None]
    paths = xp.where(grown[:, :, None] & at_end, label[:, :, None], paths)
    source_hash = xp.take_along_axis(s["hash"], source, axis=1)
    grown_hash = (source_hash * _HASH_BASE + label + 1) % _HASH_MODULUS
    dead_id = -1 - xp.broadcast_to(xp.arange(width, dtype=int64, device=device)[None, :],
                                   pick.shape)
    return {
        "paths": paths,
        "length": length + xp.astype(grown, int64),
        "last": xp.where(grown, label, xp.take_along_axis(s["last"], source, axis=1)),
        "emit": xp.take_along_axis(cand_emit, pick, axis=1),
        "blank": xp.take_along_axis(cand_blank, pick, axis=1),
        "hash": xp.where(alive, xp.where(grown, grown_hash, source_hash), dead_id),
        "parent_hash": xp.where(
            alive, xp.where(grown, source_hash,
                            xp.take_along_axis(s["parent_hash"], source, axis=1)), dead_id),
    }


def _parents(xp, s):
    """For each non-empty live prefix, the entry holding it minus its last label:
    `(index, found)`, matched by hash and confirmed on the labels."""
    batch, k, steps = s["paths"].shape
    alive = s["hash"] >= 0
    match = (s["parent_hash"][:, :, None] == s["hash"][:, None, :]) & alive[:, None, :]
    match = match & (alive & (s["length"] > 0))[:, :, None]
    found = xp.any(match, axis=2)
    parent = xp.argmax(xp.astype(match, xp.int8), axis=2)
    position = xp.arange(steps, dtype=s["length"].dtype, device=s["paths"].device)
    trimmed = xp.where(position[None, None, :] == (s["length"] - 1)[:, :, None],
                       xp.full_like(s["paths"], -1), s["paths"])
    candidate = xp.take_along_axis(s["paths"], _rows(xp, parent, steps), axis=1)
    found = found & xp.all(candidate == trimmed, axis=2)
    return xp.astype(parent, s["length"].dtype), found


def _slots_taken(backend, slot, found, n_slots):
    """(batch, n_slots) booleans: the grown-prefix slots that an entry already holds."""
    xp, device = backend.xp, backend.device
    batch = slot.shape[0]
    int64 = backend.dtype("int64")
    offset = xp.arange(batch, dtype=int64, device=device)[:, None] * (n_slots + 1)
    keys = xp.sort(xp.reshape(xp.where(found, slot, n_slots) + offset, (-1,)))
    wanted = xp.reshape(xp.arange(n_slots, dtype=int64, device=device)[None, :] + offset, (-1,))
    at = xp.clip(xp.searchsorted(keys, wanted), 0, keys.shape[0] - 1)
    return xp.reshape(xp.take(keys, at) == wanted, (batch, n_slots))
