"""Masks shared by the attention layers: conversion, shape checks, causal and banded masks."""

__all__ = []

from kerasx import ops
from kerasx.layers.activations.softmax import large_negative


def as_bool(mask):
    """`mask` as a boolean Tensor (nonzero entries are True)."""
    mask = ops.convert_to_tensor(mask)
    return mask if mask.dtype == "bool" else ops.cast(mask, "bool")


def check_mask(layer, what, mask, target, expected):
    """Raises a ValueError unless `mask` broadcasts to the shape `target`.

    `what` names the argument and `expected` describes the shape it should have
    (for the message).
    """
    got, target = tuple(mask.shape), tuple(target)
    if len(got) <= len(target) and all(
            g == 1 or t is None or g == t for g, t in zip(got[::-1], target[::-1])):
        return
    raise ValueError(
        f"{type(layer).__name__} {layer.name!r}: `{what}` has shape {got}, which does not "
        f"broadcast to {target}. Pass a boolean mask of shape {expected} (size-1 axes "
        "broadcast)."
    )


def causal_mask(query_length, key_length):
    """A `(1, Tq, Tk)` boolean mask where query position i sees key positions j <= i."""
    rows = ops.reshape(ops.arange(query_length), (1, query_length, 1))
    cols = ops.reshape(ops.arange(key_length), (1, 1, key_length))
    return ops.greater_equal(rows, cols)


def with_causal_mask(query, key, attention_mask, use_causal_mask):
    """`attention_mask` as booleans, combined with a causal mask over axis 1 of the
    query and key when `use_causal_mask` (the argument of `_compute_attention`)."""
    if use_causal_mask:
        causal = causal_mask(query.shape[1], key.shape[1])
        return causal if attention_mask is None \
            else ops.logical_and(as_bool(attention_mask), causal)
    return None if attention_mask is None else as_bool(attention_mask)


def band_mask(query_length, key_length, width):
    """A `(1, Tq, Tk)` boolean mask where query position i sees key positions j with
    |i - j| < width."""
    rows = ops.reshape(ops.arange(query_length), (1, query_length, 1))
    cols = ops.reshape(ops.arange(key_length), (1, 1, key_length))
    return ops.less(ops.abs(ops.subtract(rows, cols)), width)


def logical_and_all(masks):
    """The logical AND of the masks that are not None (None when all are)."""
    out = None
    for mask in masks:
        if mask is not None:
            out = mask if out is None else ops.logical_and(out, mask)
    return out


def fused_attention_weights(logits, mask):
    """The weights of Keras's fused `dot_product_attention` path: masked logits set to a
    large negative number, then a softmax over the keys.

    Rows whose keys are all masked come out uniform (Keras's fused path), where the
    `Softmax` layer of the explicit path returns zeros for them.
    """
    from kerasx import activations

    if mask is not None:
        logits = ops.where(mask, logits, large_negative(logits.dtype))
    return activations.softmax(logits, axis=-1)
