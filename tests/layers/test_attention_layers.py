"""Attention layers: MultiHeadAttention, Attention and AdditiveAttention against float64
NumPy references and Keras golden values; masks, gradients, training, configs, saving,
and `.keras` files moving between real Keras and kerasx."""

import json
import os
import zipfile

import numpy as np
import pytest

import kerasx
from kerasx import layers, ops
from kerasx.backends import current
from kerasx.testing import OpCase
from tests.golden.loader import GOLDEN_DIR, case_ids, load_case, load_cases
from tests.interop.round_trips import assert_keras_file_trains_on, assert_real_keras_trains_on
from tests.sampled_gradcheck import check_op_case

rng = np.random.default_rng(5)
B, TQ, TV, DIM = 2, 4, 5, 6
Q = rng.standard_normal((B, TQ, DIM))
V = rng.standard_normal((B, TV, DIM))
K3 = rng.standard_normal((B, TV, 3))
V8 = rng.standard_normal((B, TV, 8))
Q_MASK = np.array([[1, 1, 1, 0], [1, 1, 1, 1]], bool)
V_MASK = np.array([[1, 1, 0, 1, 0], [1, 1, 1, 1, 1]], bool)
A_MASK = rng.uniform(size=(B, TQ, TV)) > 0.4
A_MASK[:, :, 1] = True
A_MASK[1, 3, :] = False  # a query position that may attend to nothing
CAUSAL = np.tril(np.ones((TQ, TV), bool))


def to_numpy(x):
    return current().to_numpy(getattr(x, "value", x))


def dev(x):
    return current().asarray(x)


def softmax(x):
    e = np.exp(x - x.max(-1, keepdims=True))
    return e / e.sum(-1, keepdims=True)


# -- float64 NumPy references -------------------------------------------------------------
def mha_reference(q, v, weights, key=None, mask=None, fused=False):
    """Keras's multi-head attention for (batch, seq, dim) inputs; `mask` is the combined
    boolean (batch or 1, T, S) mask. Returns the output and the (B, N, T, S) weights.
    `fused`: Keras's path without dropout or returned scores, where rows with every key
    masked weigh all keys equally (the explicit path gives them zero weights)."""
    wq, bq, wk, bk, wv, bv, wo, bo = weights
    k = v if key is None else key
    query = np.einsum("btd,dnh->btnh", q, wq) + bq
    keys = np.einsum("bsd,dnh->bsnh", k, wk) + bk
    values = np.einsum("bsd,dnh->bsnh", v, wv) + bv
    logits = np.einsum("btnh,bsnh->bnts", query / np.sqrt(wq.shape[-1]), keys)
    if mask is not None:
        mask = np.broadcast_to(np.asarray(mask)[:, None], logits.shape)
        logits = np.where(mask, logits, -1e9)
    weights_ = softmax(logits)
    if mask is not None and not fused:
        weights_ = np.where(mask, weights_, 0.0)
    heads = np.einsum("bnts,bsnh->btnh", weights_, values)
    return np.einsum("btnh,nho->bto", heads, wo) + bo, weights_


def luong_reference(q, v, key=None, mode="dot", scale=None, concat_weight=None,
                    q_mask=None, v_mask=None, causal=False):
    """Keras's Attention (`mode` dot / concat) and AdditiveAttention (`mode` additive)."""
    k = v if key is None else key
    if mode == "dot":
        scores = q @ np.swapaxes(k, -1, -2)
        scores = scores if scale is None else scores * scale
    else:
        pairs = q[:, :, None, :] + k[:, None, :, :]
        if mode == "concat":
            pairs = pairs if scale is None else pairs * scale
            scores = concat_weight * np.tanh(pairs).sum(-1)
        else:
            scores = (np.tanh(pairs) * (1.0 if scale is None else scale)).sum(-1)
    keep = np.ones(scores.shape, bool)
    if v_mask is not None:
        keep &= v_mask[:, None, :]
    if causal:
        keep &= np.tril(np.ones(scores.shape[-2:], bool))
    weights = softmax(np.where(keep, scores, scores - 1e9))
    out = weights @ v
    if q_mask is not None:
        out = np.where(q_mask[..., None], out, 0.0)
    return out, weights


def mha_weights(dq=DIM, dk=DIM, dv=DIM, heads=2, key_dim=3, value_dim=3, out=DIM, seed=0):
    r = np.random.default_rng(seed)
    shapes = [(dq, heads, key_dim), (heads, key_dim), (dk, heads, key_dim), (heads, key_dim),
              (dv, heads, value_dim), (heads, value_dim), (heads, value_dim, out), (out,)]
    return [r.normal(0, 0.5, s) for s in shapes]


_BUILT = {}


def built_once(cls, config, *shapes):
    """One `cls(**config)` built for `shapes` under each floatx: the finite differences call
    a case's `fn` hundreds of times, and only the weights it points the layer at change."""
    key = (cls.__name__, json.dumps(config, sort_keys=True), repr(shapes), kerasx.config.floatx())
    if key not in _BUILT:
        _BUILT[key] = cls(**config)
        _BUILT[key].build(*shapes)
    return _BUILT[key]


def point_at(layer, weights):
    """Points the projections at the given arrays or Variables (so gradients reach them)."""
    subs = [layer.query_dense, layer.key_dense, layer.value_dense, layer.output_dense]
    for sub, kernel, bias in zip(subs, weights[::2], weights[1::2]):
        sub._set_untracked("kernel", kernel)
        sub._set_untracked("bias", bias)


def flat(outputs):
    """The output and the weights as one (batch, n) tensor, for the op-case harness."""
    return ops.concatenate([ops.reshape(o, (o.shape[0], -1)) for o in outputs], axis=1)


def flat_np(outputs):
    return np.concatenate([o.reshape(o.shape[0], -1) for o in outputs], axis=1)


# -- forward and gradients: MultiHeadAttention ---------------------------------------------
def mha_case(name, config=None, key=None, mask=None, weights=None, **call):
    """An op case over (query, value[, key], 8 weights) with the call arguments `call`
    (NumPy masks become backend arrays) and the combined `mask` of the reference."""
    config = {"num_heads": 2, "key_dim": 3, **(config or {})}
    weights = weights or mha_weights()
    with_key = key is not None

    def fn(q, v, *rest):
        k, w = (rest[0], rest[1:]) if with_key else (None, rest)
        shapes = (tuple(q.shape), tuple(v.shape), None if k is None else tuple(k.shape))
        layer = built_once(layers.MultiHeadAttention, config, *shapes)
        point_at(layer, w)
        args = {a: dev(m) if isinstance(m, np.ndarray) else m for a, m in call.items()}
        return flat(layer(q, v, key=k, return_attention_scores=True, **args))

    def reference(q, v, *rest):
        k, w = (rest[0], rest[1:]) if with_key else (None, rest)
        return flat_np(mha_reference(q, v, w, key=k, mask=mask))

    inputs = [Q, V] + ([key] if with_key else []) + list(weights)
    return OpCase(name, fn, reference, inputs, rtol32=1e-4, atol32=1e-5)


MHA_CASES = [
    mha_case("cross_attention"),
    mha_case("causal_and_value_mask", use_causal_mask=True, value_mask=V_MASK,
             mask=CAUSAL[None] & V_MASK[:, None, :]),
    mha_case("attention_mask_with_empty_row", attention_mask=A_MASK, mask=A_MASK),
    mha_case("separate_key_value_dims_output", {"value_dim": 4, "output_shape": 5},
             key=K3, weights=mha_weights(dk=3, dv=DIM, value_dim=4, out=5, seed=1),
             key_mask=V_MASK, query_mask=Q_MASK,
             mask=Q_MASK[:, :, None] & V_MASK[:, None, :]),
]


@pytest.mark.parametrize("case", MHA_CASES, ids=[c.name for c in MHA_CASES])
def test_multi_head_attention_forward_and_gradients(case):
    check_op_case(case)


# -- forward and gradients: Attention / AdditiveAttention ----------------------------------
def luong_case(name, cls, config, mode, params, key=None, q_mask=None, v_mask=None,
               causal=False):
    """An op case over (query, value[, key], scale / concat weight...)."""
    n_x = 3 if key is not None else 2

    def fn(*arrays):
        xs, ws = list(arrays[:n_x]), list(arrays[n_x:])
        layer = built_once(cls, config, [tuple(x.shape) for x in xs])
        if layer.scale is not None:
            layer._set_untracked("scale", ws.pop(0))
        if getattr(layer, "concat_score_weight", None) is not None:
            layer._set_untracked("concat_score_weight", ws.pop(0))
        mask = None if q_mask is None and v_mask is None else [
            None if m is None else dev(m) for m in (q_mask, v_mask)]
        return flat(layer(xs, mask=mask, return_attention_scores=True, use_causal_mask=causal))

    def reference(*arrays):
        xs, ws = list(arrays[:n_x]), list(arrays[n_x:])
        scale = ws.pop(0) if config.get("use_scale", cls is layers.AdditiveAttention) else None
        concat = ws.pop(0) if mode == "concat" else None
        return flat_np(luong_reference(xs[0], xs[1], xs[2] if key is not None else None, mode,
                                       scale, concat, q_mask, v_mask, causal))

    inputs = [Q, V] + ([key] if key is not None else []) + [np.asarray(p) for p in params]
    return OpCase(name, fn, reference, inputs, rtol32=1e-4, atol32=1e-5)


LUONG_CASES = [
    luong_case("dot", layers.Attention, {}, "dot", []),
    luong_case("dot_scale_key_masks", layers.Attention, {"use_scale": True}, "dot", [0.7],
               key=rng.standard_normal((B, TV, DIM)), q_mask=Q_MASK, v_mask=V_MASK),
    luong_case("concat_scale_causal", layers.Attention,
               {"use_scale": True, "score_mode": "concat"}, "concat", [0.8, 1.3], causal=True),
    luong_case("additive", layers.AdditiveAttention, {}, "additive",
               [rng.standard_normal(DIM)], v_mask=V_MASK),
    luong_case("additive_no_scale_causal_masks", layers.AdditiveAttention, {"use_scale": False},
               "additive", [], q_mask=Q_MASK, v_mask=V_MASK, causal=True),
]


@pytest.mark.parametrize("case", LUONG_CASES, ids=[c.name for c in LUONG_CASES])
def test_luong_and_additive_attention_forward_and_gradients(case):
    check_op_case(case)


# -- Keras golden values -------------------------------------------------------------------
GOLDEN = [c for c in load_cases("attention") if c["kind"] == "layer"]
EMBEDDING_GOLDEN = [c for c in load_cases("attention") if c["kind"] == "embedding_model"]


def golden_layer(case):
    """The case's layer built as Keras built it, with the golden weights."""
    a = case["arrays"]
    layer = getattr(layers, case["class"])(**case["config"])
    if case["class"] == "MultiHeadAttention":
        shapes = {k: a[n].shape for k, n in case["tensor_args"].items()}
        layer.build(shapes["query"], shapes["value"], shapes.get("key"))
    else:
        layer.build([a[n].shape for n in case["inputs"]])
    layer.set_weights([a[f"w{i}"] for i in range(case["n_weights"])])
    return layer


@pytest.mark.parametrize("case", GOLDEN, ids=case_ids(GOLDEN))
def test_matches_keras_golden(case):
    a = case["arrays"]
    layer = golden_layer(case)
    assert [w.path for w in layer.weights] == case["weight_names"]
    if case["class"] == "MultiHeadAttention":
        out = layer(**{k: dev(a[n]) for k, n in case["tensor_args"].items()},
                    **case["call_kwargs"])
    else:
        mask = None if case["masks"] is None else [None if n is None else dev(a[n])
                                                   for n in case["masks"]]
        out = layer([dev(a[n]) for n in case["inputs"]], mask=mask, **case["call_kwargs"])
    outs = list(out) if isinstance(out, tuple) else [out]
    np.testing.assert_allclose(to_numpy(outs[0]), a["y"], rtol=1e-5, atol=2e-6)
    assert ("scores" in a) == (len(outs) == 2)
    if "scores" in a:
        np.testing.assert_allclose(to_numpy(outs[1]), a["scores"], rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("case", GOLDEN, ids=case_ids(GOLDEN))
def test_config_matches_keras(case):
    layer = golden_layer(case)
    config = layer.get_config()
    keras_config = case["keras_config"]
    assert set(config) == set(keras_config)
    for key, value in keras_config.items():
        if key not in ("name", "dtype") and not isinstance(value, dict):
            assert json.loads(json.dumps(config[key])) == value, key
    rebuilt = kerasx.saving.deserialize_keras_object(
        {"module": "keras.layers", "class_name": case["class"], "config": keras_config,
         "registered_name": None})
    assert type(rebuilt) is type(layer)
    rebuilt_config = rebuilt.get_config()
    for key in ("num_heads", "key_dim", "value_dim", "output_shape", "use_scale", "score_mode",
                "use_gate", "sliding_window"):
        if key in config:
            assert json.loads(json.dumps(rebuilt_config[key])) == keras_config[key]


def embedding_model(case):
    ids = kerasx.Input((case["arrays"]["ids"].shape[1],), dtype="int32")
    e = layers.Embedding(**case["embedding"], mask_zero=True)(ids)
    layer = getattr(layers, case["class"])(**case["config"])
    out = layer(e, e) if case["class"] == "MultiHeadAttention" else layer([e, e])
    model = kerasx.Model(ids, out)
    model.set_weights([case["arrays"][f"w{i}"] for i in range(case["n_weights"])])
    return model


@pytest.mark.parametrize("case", EMBEDDING_GOLDEN, ids=case_ids(EMBEDDING_GOLDEN))
def test_embedding_padding_masks_match_keras(case):
    """Keras's fused kernel gives padded query positions uniform weights and its explicit
    path zeros; those rows are masked anyway, so only the real positions are compared."""
    ids = case["arrays"]["ids"]
    got = embedding_model(case).predict(ids, verbose=0)
    real = ids != 0
    np.testing.assert_allclose(got[real], case["arrays"]["y"][real], rtol=1e-5, atol=2e-6)


# -- masks -----------------------------------------------------------------------------------
IDS = np.array([[3, 5, 2, 0, 0], [1, 4, 4, 6, 0]], np.int32)


def test_multi_head_attention_reads_embedding_masks_and_passes_the_query_mask():
    embedding = layers.Embedding(8, DIM, mask_zero=True)
    mha = layers.MultiHeadAttention(2, 3)
    e = embedding(dev(IDS))
    out = mha(e, e)
    real = IDS != 0
    np.testing.assert_array_equal(to_numpy(out._keras_mask), real)
    table = embedding.get_weights()[0].astype(np.float64)
    weights = [w.astype(np.float64) for w in mha.get_weights()]
    want, _ = mha_reference(table[IDS], table[IDS], weights,
                            mask=real[:, :, None] & real[:, None, :], fused=True)
    np.testing.assert_allclose(to_numpy(out), want, rtol=1e-5, atol=1e-6)
    # as in Keras, the layer consumes its inputs' masks
    assert e._keras_mask is None


def test_attention_layers_read_embedding_masks_in_a_model():
    ids = kerasx.Input((5,), dtype="int32")
    e = layers.Embedding(8, DIM, mask_zero=True)(ids)
    model = kerasx.Model(ids, [layers.Attention(use_scale=True)([e, e]),
                               layers.AdditiveAttention()([e, e])])
    dot, additive = model.predict(IDS, verbose=0)
    table, scale, additive_scale = [w.astype(np.float64) for w in model.get_weights()]
    x, real = table[IDS], IDS != 0
    np.testing.assert_allclose(dot, luong_reference(x, x, scale=scale, q_mask=real,
                                                    v_mask=real)[0], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(additive, luong_reference(x, x, mode="additive",
                                                         scale=additive_scale, q_mask=real,
                                                         v_mask=real)[0], rtol=1e-5, atol=1e-6)
    out = layers.Attention()([layers.Embedding(8, 3, mask_zero=True)(dev(IDS))] * 2)
    np.testing.assert_array_equal(to_numpy(out._keras_mask), real)


MASK_SLICES = {"(T, S)": A_MASK[0], "(1, T, S)": A_MASK[:1], "(B, 1, S)": A_MASK[:, :1],
               "(B, T, 1)": A_MASK[:, :, :1], "(B, T, S)": A_MASK}


@pytest.mark.parametrize("shape", sorted(MASK_SLICES))
def test_attention_mask_broadcast_shapes(shape):
    mask = np.ascontiguousarray(MASK_SLICES[shape])
    layer = layers.MultiHeadAttention(2, 3)
    weights = mha_weights()
    layer.build(Q.shape, V.shape)
    layer.set_weights([w.astype(np.float32) for w in weights])
    out, scores = layer(dev(Q.astype(np.float32)), dev(V.astype(np.float32)),
                        attention_mask=dev(mask), return_attention_scores=True)
    want, want_scores = mha_reference(Q, V, weights,
                                      mask=np.broadcast_to(mask, (B, TQ, TV)))
    np.testing.assert_allclose(to_numpy(out), want, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(to_numpy(scores), want_scores, rtol=1e-4, atol=1e-6)


def test_causal_mask_blocks_the_future():
    layer = layers.MultiHeadAttention(2, 3)
    x = dev(Q.astype(np.float32))
    _, scores = layer(x, x, use_causal_mask=True, return_attention_scores=True)
    scores = to_numpy(scores)
    assert np.all(scores[..., np.triu_indices(TQ, 1)[0], np.triu_indices(TQ, 1)[1]] == 0)
    np.testing.assert_allclose(scores.sum(-1), 1.0, rtol=1e-6)
    # the first position attends only to itself
    np.testing.assert_allclose(scores[..., 0, 0], 1.0)
    for cls in (layers.Attention, layers.AdditiveAttention):
        _, w = cls()([x, x], use_causal_mask=True, return_attention_scores=True)
        assert np.all(np.triu(to_numpy(w)[0], 1) == 0)


def test_explicit_query_mask_zeroes_attention_rows():
    """An explicit `query_mask` is honoured (Keras reads only the query tensor's own mask)."""
    layer = layers.MultiHeadAttention(2, 3)
    x = dev(Q.astype(np.float32))
    out, scores = layer(x, x, query_mask=dev(Q_MASK), return_attention_scores=True)
    assert np.all(to_numpy(scores)[0, :, 3] == 0)
    np.testing.assert_array_equal(to_numpy(out._keras_mask), Q_MASK)


# -- dropout -------------------------------------------------------------------------------
def test_dropout_only_in_training():
    x = dev(Q.astype(np.float32))
    plain = layers.MultiHeadAttention(2, 3)
    dropped = layers.MultiHeadAttention(2, 3, dropout=0.5, seed=3)
    plain(x, x)
    dropped(x, x)
    dropped.set_weights(plain.get_weights())
    np.testing.assert_allclose(to_numpy(dropped(x, x)), to_numpy(plain(x, x)), rtol=1e-6)
    np.testing.assert_allclose(to_numpy(dropped(x, x, training=False)), to_numpy(plain(x, x)),
                               rtol=1e-6)
    assert not np.allclose(to_numpy(dropped(x, x, training=True)), to_numpy(plain(x, x)))
    _, scores = dropped(x, x, training=True, return_attention_scores=True)
    np.testing.assert_allclose(to_numpy(scores).sum(-1), 1.0, rtol=1e-5)  # before dropout

    attention = layers.Attention(dropout=0.5, seed=1)
    _, w = attention([x, x], training=True, return_attention_scores=True)
    _, w_eval = attention([x, x], return_attention_scores=True)
    w, w_eval = to_numpy(w), to_numpy(w_eval)
    kept = w != 0
    assert 0 < kept.mean() < 1
    np.testing.assert_allclose(w[kept], 2 * w_eval[kept], rtol=1e-5)


# -- shapes, symbolic use and training -------------------------------------------------------
def test_symbolic_shapes_and_output_shape():
    q, v = kerasx.Input((None, 6)), kerasx.Input((7, 8))
    mha = layers.MultiHeadAttention(3, 2, value_dim=5, output_shape=(2, 4))
    out, scores = mha(q, v, return_attention_scores=True)
    assert out.shape == (None, None, 2, 4) and scores.shape == (None, 3, None, 7)
    assert [w.shape for w in mha.weights] == [(6, 3, 2), (3, 2), (8, 3, 2), (3, 2), (8, 3, 5),
                                              (3, 5), (3, 5, 2, 4), (2, 4)]
    assert mha.compute_output_shape((None, 4, 6), (None, 7, 8)) == (None, 4, 2, 4)
    att = layers.Attention()([kerasx.Input((4, 6)), kerasx.Input((5, 3)), kerasx.Input((5, 6))])
    assert att.shape == (None, 4, 3)
    assert layers.Attention().compute_output_shape([(None, 4, 6), (None, 5, 3)]) == (None, 4, 3)


def copy_model(kind):
    ids = kerasx.Input((6,), dtype="int32")
    e = layers.Embedding(8, 16)(ids)
    if kind == "MultiHeadAttention":
        h = layers.MultiHeadAttention(2, 8)(e, e)
    else:
        h = getattr(layers, kind)(use_scale=True)([layers.Dense(16)(e), e])
    return kerasx.Model(ids, layers.Dense(8, activation="softmax")(h))


@pytest.mark.parametrize("kind", ["MultiHeadAttention", "Attention", "AdditiveAttention"])
def test_training_learns_a_copy_task_and_updates_every_weight(kind):
    """Each position predicts its own token with no residual path: attention must learn to
    look at the positions holding the same token."""
    data = np.random.default_rng(0).integers(1, 8, size=(64, 6)).astype("int32")
    model = copy_model(kind)
    model.compile(optimizer=kerasx.optimizers.Adam(0.02), loss="sparse_categorical_crossentropy")
    before = [w.copy() for w in model.get_weights()]
    losses = model.fit(data, data, epochs=20, batch_size=16, verbose=0).history["loss"]
    assert losses[0] > 1.5 and losses[-1] < 0.05
    changed = [not np.allclose(a, b) for a, b in zip(before, model.get_weights())]
    assert all(changed), [w.path for w, c in zip(model.weights, changed) if not c]


def test_regularizers_and_constraints_reach_every_projection():
    layer = layers.MultiHeadAttention(2, 3, kernel_regularizer=kerasx.regularizers.L2(0.1),
                                      activity_regularizer="l1", kernel_constraint="non_neg")
    x = dev(Q.astype(np.float32))
    out = layer(x, x)
    kernels = [w for w in layer.weights if w.name == "kernel"]
    assert len(kernels) == 4 and all(w.constraint is not None for w in kernels)
    penalties = [float(to_numpy(p)) for p in layer.losses]
    assert len(penalties) == 8  # a kernel penalty and an activity penalty per projection
    expected = [0.1 * float((to_numpy(w).astype(np.float64) ** 2).sum()) for w in kernels]
    expected.append(0.01 * float(np.abs(to_numpy(out)).sum()) / B)  # the output projection's
    for value in expected:
        assert any(np.isclose(p, value, rtol=1e-5) for p in penalties), (value, penalties)


# -- saving ----------------------------------------------------------------------------------
def attention_model(value_dim=3):
    ids = kerasx.Input((6,), dtype="int32")
    e = layers.Embedding(10, 8, mask_zero=True)(ids)
    k = layers.Dense(5)(e)
    h = layers.MultiHeadAttention(2, 4, value_dim=value_dim, output_shape=6)(
        e, e, key=k, use_causal_mask=True)
    h = layers.Attention(score_mode="concat")([h, layers.Dense(6)(e)])
    h = layers.AdditiveAttention(use_scale=False)([h, layers.Dense(6)(e)])
    return kerasx.Model(ids, layers.Dense(2)(h), name="attention_model")


def attention_data(n=16):
    r = np.random.default_rng(1)
    x = r.integers(0, 10, size=(n, 6)).astype("int32")
    x[::3, 4:] = 0
    return x, r.normal(size=(n, 6, 2)).astype("float32")


def test_model_save_and_load_round_trip(tmp_path):
    model = attention_model()
    model.compile(optimizer="adam", loss="mse")
    x, y = attention_data()
    model.fit(x, y, epochs=1, batch_size=8, verbose=0)
    path = str(tmp_path / "m.keras")
    model.save(path)
    loaded = kerasx.models.load_model(path)
    np.testing.assert_allclose(loaded.predict(x, verbose=0), model.predict(x, verbose=0),
                               rtol=1e-6, atol=1e-7)
    for a, b in zip(loaded.get_weights(), model.get_weights()):
        np.testing.assert_array_equal(a, b)
    mha = [l for l in loaded.layers if isinstance(l, layers.MultiHeadAttention)][0]
    assert mha.get_build_config() == {"shapes_dict": {"query_shape": (None, 6, 8),
                                                      "value_shape": (None, 6, 8),
                                                      "key_shape": (None, 6, 5)}}
    loaded.train_on_batch(x[:8], y[:8])
    model.train_on_batch(x[:8], y[:8])
    np.testing.assert_allclose(loaded.predict(x, verbose=0), model.predict(x, verbose=0),
                               rtol=1e-5, atol=1e-6)


KERAS_FILE = os.path.join(GOLDEN_DIR, "attention_model.keras")


def test_keras_file_loads_predicts_and_trains_on_like_keras(tmp_path):
    """`attention_model.keras` was trained by Keras: same predictions, the same after one
    more step (optimizer state, gradients and the loss's mask agree), same file layout."""
    arrays = load_case("attention", "saved_model")["arrays"]
    assert_keras_file_trains_on(KERAS_FILE, arrays, tmp_path)


def test_real_keras_loads_kerasx_attention_models(tmp_path):
    """A model built and trained in kerasx loads in real Keras, predicts the same and
    trains on from the same optimizer state."""
    kerasx.utils.set_random_seed(2)
    model = attention_model(value_dim=4)  # Keras's fused kernel rejects value_dim != key_dim
    model.compile(optimizer=kerasx.optimizers.Adam(0.01), loss="mse")
    x, y = attention_data()
    model.fit(x, y, epochs=2, batch_size=8, shuffle=False, verbose=0)
    path = assert_real_keras_trains_on(tmp_path, "attention_model", model, x[:4], x[8:16],
                                       y[8:16])
    with zipfile.ZipFile(path) as zf:
        layer_classes = [l["class_name"] for l in json.loads(zf.read("config.json"))
                         ["config"]["layers"]]
    assert {"MultiHeadAttention", "Attention", "AdditiveAttention"} <= set(layer_classes)


# -- errors ----------------------------------------------------------------------------------
def test_constructor_errors():
    with pytest.raises(TypeError, match="key_dim"):
        layers.MultiHeadAttention(num_heads=2)
    with pytest.raises(ValueError, match=r"argument `key_dim`, expected a positive integer.*key_dim=None"):
        layers.MultiHeadAttention(2, None)
    with pytest.raises(ValueError, match=r"argument `num_heads`, expected a positive integer.*num_heads=0"):
        layers.MultiHeadAttention(0, 3)
    with pytest.raises(ValueError, match=r"dropout must be in \[0, 1\).*1.5"):
        layers.MultiHeadAttention(2, 3, dropout=1.5)
    with pytest.raises(ValueError, match=r"attention_axes must be None, an int"):
        layers.MultiHeadAttention(2, 3, attention_axes="time")
    with pytest.raises(ValueError, match=r"Invalid value for argument score_mode.*'cosine'"):
        layers.Attention(score_mode="cosine")


def test_call_errors():
    x = dev(Q.astype(np.float32))
    with pytest.raises(ValueError, match=r"needs `value` as well as `query`.*layer\(x, x\)"):
        layers.MultiHeadAttention(2, 3)(x)
    with pytest.raises(ValueError, match=r"attention_axes=\(3,\) are not distinct axes.*\(1,\)"):
        layers.MultiHeadAttention(2, 3, attention_axes=3)(x, x)
    with pytest.raises(ValueError, match=r"`value` and `key`, except the last one, must be equal"):
        layers.MultiHeadAttention(2, 3)(x, dev(V.astype(np.float32)), key=x)
    with pytest.raises(ValueError, match=r"`value_mask` has shape \(2, 4\).*\(batch, value_length\)"):
        layers.MultiHeadAttention(2, 3)(x, dev(V.astype(np.float32)), value_mask=dev(Q_MASK))
    with pytest.raises(ValueError, match=r"`attention_mask` has shape \(2, 5, 4\).*"
                                         r"\(batch, query_length, key_length\)"):
        layers.MultiHeadAttention(2, 3)(x, dev(V.astype(np.float32)),
                                        attention_mask=dev(np.ones((B, TV, TQ), bool)))
    x4 = dev(np.ones((2, 3, 4, 5), np.float32))
    with pytest.raises(ValueError, match=r"use_causal_mask or sliding_window with attention_axes other than \(1,\), need \(batch, "):
        layers.MultiHeadAttention(2, 3)(x4, x4, use_causal_mask=True)
    with pytest.raises(ValueError, match=r"same last dimension.*\(2, 4, 6\).*\(2, 5, 3\)"):
        layers.Attention()([x, dev(K3.astype(np.float32))])
    with pytest.raises(ValueError, match=r"must be called on a list of inputs.*single input"):
        layers.Attention()(x)
    with pytest.raises(ValueError, match=r"accepts inputs list of length 2 or 3.*list of 4"):
        layers.AdditiveAttention()([x, x, x, x])
    with pytest.raises(ValueError, match=r"mask must be a list, namely \[query_mask, value_mask\]"):
        layers.Attention()([x, x], mask=dev(Q_MASK))
    with pytest.raises(ValueError, match=r"`value_mask` has shape \(2, 5\).*\(batch, Tv\)"):
        layers.Attention()([x, x], mask=[None, dev(V_MASK)])
    with pytest.raises(ValueError, match=r"same number of positions"):
        layers.Attention()([x, x, dev(V.astype(np.float32))])
    with pytest.raises(ValueError, match=r"same last dimension"):
        layers.Attention()([kerasx.Input((4, 6)), kerasx.Input((5, 3))])


def test_scores_come_back_as_a_tuple_also_on_symbolic_inputs():
    q = kerasx.Input((5, 8))
    symbolic = layers.MultiHeadAttention(2, 4)(q, q, return_attention_scores=True)
    assert isinstance(symbolic, tuple) and symbolic[1].shape == (None, 2, 5, 5)
    out, weights = layers.Attention()([q, q], return_attention_scores=True)
    model = kerasx.Model(q, [*symbolic, out, weights])
    shapes = [a.shape for a in model.predict(np.ones((2, 5, 8), "float32"), verbose=0)]
    assert shapes == [(2, 5, 8), (2, 2, 5, 5), (2, 5, 8), (2, 5, 5)]
