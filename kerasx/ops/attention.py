"""`dot_product_attention`: scaled dot-product attention of `(batch, length, heads, dim)`
arrays, built from differentiable ops."""

import math

from kerasx.backends.base import dtype_name
from kerasx.ops._helpers import current, keras_common_dtype, shape_of, value_of
from kerasx.ops.math import add, multiply, where
from kerasx.ops.nn import softmax
from kerasx.ops.shape import cast, repeat, swapaxes, transpose

# Keras's fill for masked logits: far below any logit, yet finite, so a fully masked
# row becomes a uniform distribution instead of NaN.
_MASKED_LOGIT = -0.7 * 3.38953e38
_MASKED_LOGIT_FLOAT16 = -0.7 * 65500.0


def dot_product_attention(query, key, value, bias=None, mask=None, scale=None,
                          is_causal=False, flash_attention=None, attn_logits_soft_cap=None):
    """`softmax(query . key / sqrt(H) + bias) . value`, per head.

    Args:
        query: shape `(B, T, N, H)`.
        key: shape `(B, S, K, H)`; `N` a multiple of `K` groups the query heads
            (grouped-query attention: query head `n` reads key head `n // (N // K)`).
        value: shape `(B, S, K, H_v)`.
        bias: added to the logits, broadcastable to `(B, N, T, S)`.
        mask: boolean, broadcastable to `(B, N, T, S)`; True where a query may
            attend to a key.
        scale: the logits' factor; `1 / sqrt(H)` by default.
        is_causal: also mask the keys after each query position (`tril` of `(T, S)`).
        flash_attention: None or False (kerasx has no fused flash kernel).
        attn_logits_soft_cap: must be None (Keras supports it on TPUs only).

    Returns:
        The attention output, shape `(B, T, N, H_v)`. Logits and softmax are computed
        in the inputs' type (float16 inputs in float32).
    """
    from kerasx.ops.linalg import matmul  # linalg imports nn, which re-exports this module

    if flash_attention:
        raise ValueError("dot_product_attention: flash_attention=True is not supported by "
                         "kerasx, which computes attention with ordinary ops; pass "
                         "flash_attention=None or False.")
    if attn_logits_soft_cap is not None:
        raise ValueError("dot_product_attention: attn_logits_soft_cap is only supported by "
                         "Keras's JAX backend on TPUs; set attn_logits_soft_cap=None.")
    shapes = [shape_of(value_of(t)) for t in (query, key, value)]
    if any(len(s) != 4 for s in shapes):
        raise ValueError(f"dot_product_attention only supports 4D inputs (batch, length, heads, "
                         f"dim); received query.shape={shapes[0]}, key.shape={shapes[1]}, "
                         f"value.shape={shapes[2]}.")
    (b, t, n, h), (bk, s, k, hk), (bv, sv, kv, _) = shapes
    if bk != b or bv != b or sv != s or kv != k or hk != h or k == 0 or n % k:
        raise ValueError(
            f"dot_product_attention expects query (B, T, N, H), key (B, S, K, H) and value "
            f"(B, S, K, H_v) with N a multiple of K; received query.shape={shapes[0]}, "
            f"key.shape={shapes[1]}, value.shape={shapes[2]}.")
    backend = current()
    dtypes = {value_of(x).dtype for x in (query, key, value)}
    # Keras's promotion (float16 with bfloat16: float32, where NumPy has no common type)
    dtype = backend.dtype(keras_common_dtype(tuple(dtypes))) if len(dtypes) > 1 else dtypes.pop()
    low_precision = dtype_name(dtype) in ("float16", "bfloat16")
    compute = backend.dtype("float32") if low_precision else dtype
    q, kk, v = (_heads_first(cast(x, compute)) for x in (query, key, value))
    if k != n:
        kk, v = repeat(kk, n // k, axis=1), repeat(v, n // k, axis=1)
    factor = 1.0 / math.sqrt(h) if scale is None else scale
    logits = multiply(matmul(q, swapaxes(kk, -1, -2)), factor)
    if bias is not None:
        logits = add(logits, cast(bias, compute))
    keep = _keep_mask(mask, is_causal, t, s)
    if keep is not None:
        logits = where(keep, logits, _MASKED_LOGIT_FLOAT16 if low_precision else _MASKED_LOGIT)
    probs = cast(softmax(logits, axis=-1), dtype)
    return transpose(matmul(probs, cast(v, dtype)), (0, 2, 1, 3))


def _heads_first(x):
    return transpose(x, (0, 2, 1, 3))


def _keep_mask(mask, is_causal, t, s):
    """The boolean array of the logits to keep, or None to keep all."""
    backend = current()
    xp = backend.xp
    keep = None
    if mask is not None:
        keep = value_of(mask)
        if not backend.is_native(keep):
            keep = backend.asarray(keep)
        if keep.dtype != xp.bool:
            keep = keep != 0
    if is_causal:
        rows = xp.arange(t, device=backend.device)[:, None]
        columns = xp.arange(s, device=backend.device)[None, :]
        causal = columns <= rows
        keep = causal if keep is None else xp.logical_and(keep, causal)
    return keep
