"""GroupQueryAttention: against a float64 NumPy reference (forward and gradients), Keras
golden values, MultiHeadAttention, masks, dropout, training, configs, the weight-file
layout and a `.keras` file trained by real Keras."""

import json
import os

import numpy as np
import pytest

import kerasx
from kerasx import layers, ops
from kerasx.backends import current
from kerasx.testing import OpCase
from tests.golden.loader import GOLDEN_DIR, case_ids, load_case, load_cases
from tests.interop.round_trips import assert_keras_file_trains_on
from tests.interop.specs import LAYER_SPECS, build_spec_model, h5_layout, spec_data
from tests.sampled_gradcheck import check_op_case

rng = np.random.default_rng(9)
B, TQ, TV, DIM = 2, 4, 5, 6
Q = rng.standard_normal((B, TQ, DIM))
V = rng.standard_normal((B, TV, DIM))
K3 = rng.standard_normal((B, TV, 3))
V_MASK = np.array([[1, 1, 0, 1, 0], [1, 1, 1, 1, 1]], bool)
Q_MASK = np.array([[1, 1, 1, 0], [1, 1, 1, 1]], bool)
A_MASK = rng.uniform(size=(B, TQ, TV)) > 0.4
A_MASK[:, :, 1] = True
A_MASK[1, 3, :] = False  # a query position that may attend to nothing


def to_numpy(x):
    return current().to_numpy(getattr(x, "value", x))


def dev(x):
    return current().asarray(x)


# -- the float64 reference -------------------------------------------------------------------
def softmax(x):
    e = np.exp(x - x.max(-1, keepdims=True))
    return e / e.sum(-1, keepdims=True)


def gqa_reference(q, v, weights, key=None, mask=None, gate=False, bias=True):
    """Keras's grouped-query attention; `weights` in Keras's order. Returns the output and
    the (B, heads, T, S) attention weights."""
    weights = list(weights)

    def projection():
        kernel = weights.pop(0)
        return kernel, (weights.pop(0) if bias else 0.0)

    (wq, bq), (wk, bk) = projection(), projection()
    wg, bg = projection() if gate else (None, None)
    (wv, bv), (wo, bo) = projection(), projection()
    k = v if key is None else key
    repeats = wq.shape[1] // wk.shape[1]
    query = np.einsum("btd,dnh->btnh", q, wq) + bq
    keys = np.repeat(np.einsum("bsd,dnh->bsnh", k, wk) + bk, repeats, axis=2)
    values = np.repeat(np.einsum("bsd,dnh->bsnh", v, wv) + bv, repeats, axis=2)
    logits = np.einsum("btnh,bsnh->bnts", query / np.sqrt(wq.shape[-1]), keys)
    scores = softmax(logits)
    if mask is not None:
        mask = np.broadcast_to(np.asarray(mask)[:, None], logits.shape)
        scores = np.where(mask, softmax(np.where(mask, logits, -1e9)), 0.0)
    heads = np.einsum("bnts,bsnh->btnh", scores, values)
    if gate:
        heads = heads / (1.0 + np.exp(-(np.einsum("btd,dnh->btnh", q, wg) + bg)))
    return np.einsum("btnh,nho->bto", heads, wo) + bo, scores


def gqa_weights(config, dq=DIM, dk=DIM, dv=DIM, seed=0):
    r = np.random.default_rng(seed)
    nq, nk, h = config["num_query_heads"], config["num_key_value_heads"], config["head_dim"]
    shapes = [[(dq, nq, h), (nq, h)], [(dk, nk, h), (nk, h)]]
    if config.get("use_gate"):
        shapes.append([(dq, nq, h), (nq, h)])
    shapes += [[(dv, nk, h), (nk, h)], [(nq, h, dq), (dq,)]]
    bias = config.get("use_bias", True)
    return [r.normal(0, 0.5, s) for pair in shapes for s in (pair if bias else pair[:1])]


_BUILT = {}


def built_once(config, shapes):
    """One GroupQueryAttention built for `shapes` under each floatx: the finite differences
    call a case's `fn` hundreds of times, and only the weights it points the layer at change."""
    key = (json.dumps(config, sort_keys=True), shapes, kerasx.config.floatx())
    if key not in _BUILT:
        _BUILT[key] = layers.GroupQueryAttention(**config)
        _BUILT[key].build(*shapes)
    return _BUILT[key]


def point_at(layer, weights):
    """Points the projections at the given arrays or Variables (so gradients reach them)."""
    subs = [layer._query_dense, layer._key_dense] + (
        [layer._gate_dense] if layer.use_gate else []) + [layer._value_dense,
                                                          layer._output_dense]
    weights = list(weights)
    for sub in subs:
        sub._set_untracked("kernel", weights.pop(0))
        sub._set_untracked("bias", weights.pop(0) if layer.use_bias else None)


def flat(outputs):
    from kerasx import ops

    return ops.concatenate([ops.reshape(o, (o.shape[0], -1)) for o in outputs], axis=1)


def flat_np(outputs):
    return np.concatenate([o.reshape(o.shape[0], -1) for o in outputs], axis=1)


def gqa_case(name, config, key=None, mask=None, **call):
    """An op case over (query, value[, key], weights...) with the call arguments `call`
    and the combined `mask` of the reference."""
    with_key = key is not None
    weights = gqa_weights(config, dk=key.shape[-1] if with_key else DIM)

    def fn(q, v, *rest):
        k, w = (rest[0], rest[1:]) if with_key else (None, rest)
        shapes = (tuple(q.shape), tuple(v.shape), None if k is None else tuple(k.shape))
        layer = built_once(config, shapes)
        point_at(layer, w)
        args = {a: dev(m) if isinstance(m, np.ndarray) else m for a, m in call.items()}
        return flat(layer(q, v, key=k, return_attention_scores=True, **args))

    def reference(q, v, *rest):
        k, w = (rest[0], rest[1:]) if with_key else (None, rest)
        return flat_np(gqa_reference(q, v, w, key=k, mask=mask, gate=config.get("use_gate"),
                                     bias=config.get("use_bias", True)))

    inputs = [Q, V] + ([key] if with_key else []) + weights
    return OpCase(name, fn, reference, inputs, rtol32=1e-4, atol32=1e-5)


CAUSAL = np.tril(np.ones((TQ, TV), bool))
BAND = np.abs(np.arange(TQ)[:, None] - np.arange(TV)[None]) < 2
GQA_CASES = [
    gqa_case("grouped", {"head_dim": 3, "num_query_heads": 4, "num_key_value_heads": 2}),
    gqa_case("multi_query_causal_value_mask",
             {"head_dim": 2, "num_query_heads": 3, "num_key_value_heads": 1},
             use_causal_mask=True, value_mask=V_MASK, mask=CAUSAL[None] & V_MASK[:, None]),
    gqa_case("key_attention_mask_empty_row",
             {"head_dim": 2, "num_query_heads": 4, "num_key_value_heads": 2}, key=K3,
             attention_mask=A_MASK, query_mask=Q_MASK, mask=A_MASK & Q_MASK[:, :, None]),
    gqa_case("gate_sliding_window_no_bias",
             {"head_dim": 3, "num_query_heads": 4, "num_key_value_heads": 2, "use_gate": True,
              "sliding_window": 2, "use_bias": False}, mask=BAND[None]),
]


@pytest.mark.parametrize("case", GQA_CASES, ids=[c.name for c in GQA_CASES])
def test_forward_and_gradients_against_float64_reference(case):
    check_op_case(case)


def test_equals_multi_head_attention_when_every_query_head_has_its_own_key_head():
    x, y = dev(Q.astype(np.float32)), dev(V.astype(np.float32))
    gqa = layers.GroupQueryAttention(head_dim=3, num_query_heads=2, num_key_value_heads=2)
    mha = layers.MultiHeadAttention(num_heads=2, key_dim=3)
    out = gqa(x, y, use_causal_mask=True)
    mha(x, y)
    mha.set_weights(gqa.get_weights())
    np.testing.assert_allclose(to_numpy(out), to_numpy(mha(x, y, use_causal_mask=True)),
                               rtol=1e-5, atol=1e-6)


# -- Keras golden values ------------------------------------------------------------------------
GOLDEN = [c for c in load_cases("layers_more") if c["kind"] == "gqa"]


def golden_layer(case):
    a = case["arrays"]
    layer = layers.GroupQueryAttention(**case["config"])
    shapes = {k: a[n].shape for k, n in case["tensor_args"].items()}
    layer.build(shapes["query"], shapes["value"], shapes.get("key"))
    layer.set_weights([a[f"w{i}"] for i in range(case["n_weights"])])
    return layer


@pytest.mark.parametrize("case", GOLDEN, ids=case_ids(GOLDEN))
def test_matches_keras_golden(case):
    """Keras's explicit path (with scores) and its fused kernel (without): outputs, scores
    and the gradients with respect to the query and the value."""
    a = case["arrays"]
    layer = golden_layer(case)
    assert [w.path for w in layer.weights] == case["weight_names"]
    tensors = {k: dev(a[n]) for k, n in case["tensor_args"].items()}
    out = layer(**tensors, **case["call_kwargs"])
    outs = list(out) if isinstance(out, tuple) else [out]
    np.testing.assert_allclose(to_numpy(outs[0]), a["y"], rtol=1e-5, atol=2e-6)
    assert ("scores" in a) == (len(outs) == 2)
    if "scores" in a:
        np.testing.assert_allclose(to_numpy(outs[1]), a["scores"], rtol=1e-5, atol=1e-6)
    if "proj" in a:
        query = kerasx.Variable(tensors.pop("query"))
        shared = case["tensor_args"]["value"] == case["tensor_args"]["query"]
        value = query if shared else kerasx.Variable(tensors.pop("value"))
        tensors.pop("value", None)
        with kerasx.GradientTape() as tape:
            y = layer(query, value, **tensors, **case["call_kwargs"])
            loss = ops.sum(y * dev(a["proj"]))
        grads = tape.gradient(loss, [query] if shared else [query, value])
        np.testing.assert_allclose(to_numpy(grads[0]), a["dq"], rtol=1e-4, atol=1e-5)
        if not shared:
            np.testing.assert_allclose(to_numpy(grads[1]), a["dv"], rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("case", GOLDEN, ids=case_ids(GOLDEN))
def test_config_matches_keras(case):
    layer = golden_layer(case)
    config, keras_config = layer.get_config(), case["keras_config"]
    assert set(config) == set(keras_config)
    for key, value in keras_config.items():
        if key not in ("name", "dtype") and not isinstance(value, dict):
            assert json.loads(json.dumps(config[key])) == value, key
    rebuilt = kerasx.saving.deserialize_keras_object(
        {"module": "keras.layers", "class_name": "GroupQueryAttention", "config": keras_config,
         "registered_name": None})
    assert isinstance(rebuilt, layers.GroupQueryAttention)
    assert rebuilt.get_config()["num_key_value_heads"] == keras_config["num_key_value_heads"]
    assert layers.GroupQueryAttention is layers.GroupedQueryAttention


def test_weights_file_layout_matches_keras(tmp_path):
    case = load_case("layers_more", "layout_group_query_attention")
    model = build_spec_model(kerasx, "group_query_attention")
    model.compile(optimizer="adam", loss="mse")
    xs, y = spec_data("group_query_attention", LAYER_SPECS["group_query_attention"][1])
    model.fit(xs, y, batch_size=8, epochs=1, verbose=0)
    model.save_weights(str(tmp_path / "m.weights.h5"))
    ours, theirs = h5_layout(str(tmp_path / "m.weights.h5")), case["layout"]
    assert ours["groups"] == theirs["groups"]
    assert [d[:2] for d in ours["datasets"]] == [d[:2] for d in theirs["datasets"]]


def test_keras_file_loads_predicts_and_trains_on_like_keras(tmp_path):
    """`layers_more_model.keras` (ReversibleEmbedding, GroupQueryAttention, the reverse
    projection) was trained by Keras: same predictions, and the same after one more step."""
    arrays = load_case("layers_more", "saved_model")["arrays"]
    assert_keras_file_trains_on(os.path.join(GOLDEN_DIR, "layers_more_model.keras"), arrays,
                                tmp_path)


# -- masks, dropout, training ---------------------------------------------------------------------
def test_reads_embedding_masks_and_passes_the_query_mask():
    ids = np.array([[3, 5, 2, 0, 0], [1, 4, 4, 6, 0]], "int32")
    embedding = layers.Embedding(8, 6, mask_zero=True)
    gqa = layers.GroupQueryAttention(head_dim=2, num_query_heads=4, num_key_value_heads=2)
    e = embedding(dev(ids))
    out, scores = gqa(e, e, return_attention_scores=True)
    np.testing.assert_array_equal(to_numpy(out._keras_mask), ids != 0)
    np.testing.assert_array_equal(np.moveaxis(to_numpy(scores), 1, 2)[ids == 0], 0.0)
    np.testing.assert_array_equal(to_numpy(scores)[:, :, :, 4], 0.0)  # padded key column
    table = embedding.get_weights()[0].astype(np.float64)
    weights = [w.astype(np.float64) for w in gqa.get_weights()]
    mask = (ids != 0)[:, :, None] & (ids != 0)[:, None, :]
    expected, _ = gqa_reference(table[ids], table[ids], weights, mask=mask)
    np.testing.assert_allclose(to_numpy(out), expected, rtol=1e-4, atol=1e-5)


def test_causal_mask_blocks_the_future():
    x = Q.astype(np.float32).copy()
    gqa = layers.GroupQueryAttention(head_dim=2, num_query_heads=2, num_key_value_heads=1)
    before = to_numpy(gqa(dev(x), dev(x), use_causal_mask=True))
    x[:, -1] += 10.0
    after = to_numpy(gqa(dev(x), dev(x), use_causal_mask=True))
    np.testing.assert_allclose(after[:, :-1], before[:, :-1], rtol=1e-6, atol=1e-6)
    assert not np.allclose(after[:, -1], before[:, -1])


def test_dropout_only_in_training_and_seeded():
    x = dev(Q.astype(np.float32))
    gqa = layers.GroupQueryAttention(2, 4, 2, dropout=0.5, seed=3)
    _, w_eval = gqa(x, x, return_attention_scores=True)
    out_eval = to_numpy(gqa(x, x))
    np.testing.assert_allclose(to_numpy(gqa(x, x, training=False)), out_eval)
    out_train = to_numpy(gqa(x, x, training=True))
    assert not np.allclose(out_train, out_eval)
    # the scores are returned before dropout, as in Keras
    _, w_train = gqa(x, x, return_attention_scores=True, training=True)
    np.testing.assert_allclose(to_numpy(w_train), to_numpy(w_eval), rtol=1e-6)


def test_symbolic_shapes_and_scores():
    q, v = kerasx.Input((None, 6)), kerasx.Input((7, 8))
    gqa = layers.GroupQueryAttention(head_dim=2, num_query_heads=6, num_key_value_heads=3)
    out, scores = gqa(q, v, return_attention_scores=True)
    assert out.shape == (None, None, 6) and scores.shape == (None, 6, None, 7)
    assert [tuple(w.shape) for w in gqa.weights] == [(6, 6, 2), (6, 2), (8, 3, 2), (3, 2),
                                                     (8, 3, 2), (3, 2), (6, 2, 6), (6,)]
    model = kerasx.Model([q, v], [out, scores])
    shapes = [a.shape for a in model.predict([np.ones((2, 4, 6), "float32"),
                                              np.ones((2, 7, 8), "float32")], verbose=0)]
    assert shapes == [(2, 4, 6), (2, 6, 4, 7)]


def test_training_learns_a_copy_task_and_updates_every_weight():
    """Each position predicts its own token with no residual path: attention must find the
    positions holding the same token."""
    data = np.random.default_rng(0).integers(1, 8, size=(64, 6)).astype("int32")
    ids = kerasx.Input((6,), dtype="int32")
    e = layers.Embedding(8, 16)(ids)
    h = layers.GroupQueryAttention(8, 4, 2, use_gate=True)(e, e)
    model = kerasx.Model(ids, layers.Dense(8, activation="softmax")(h))
    model.compile(optimizer=kerasx.optimizers.Adam(0.02), loss="sparse_categorical_crossentropy")
    before = [w.copy() for w in model.get_weights()]
    losses = model.fit(data, data, epochs=20, batch_size=16, verbose=0).history["loss"]
    assert losses[0] > 1.5 and losses[-1] < 0.1, losses
    changed = [not np.allclose(a, b) for a, b in zip(before, model.get_weights())]
    assert all(changed), [w.path for w, c in zip(model.weights, changed) if not c]


def test_activity_penalty_reaches_every_projection_and_the_output():
    gqa = layers.GroupQueryAttention(2, 2, 1, activity_regularizer="l2",
                                     kernel_regularizer=kerasx.regularizers.L2(0.1))
    x = dev(np.ones((2, 3, 4), np.float32))
    out = gqa(x, x)
    penalties = [float(to_numpy(p)) for p in gqa.losses]
    assert len(penalties) == 4 + 4 + 1  # kernels, projection outputs, the layer's output
    expected = 0.01 * float((to_numpy(out).astype(np.float64) ** 2).sum()) / 2
    assert any(np.isclose(p, expected, rtol=1e-5) for p in penalties), (expected, penalties)


# -- errors ---------------------------------------------------------------------------------------
def test_constructor_errors():
    with pytest.raises(ValueError, match=r"`num_query_heads` must be divisible by "
                                         r"`num_key_value_heads`.*=4.*=3"):
        layers.GroupQueryAttention(2, 4, 3)
    with pytest.raises(ValueError, match=r"`head_dim` must be a positive integer.*head_dim=0"):
        layers.GroupQueryAttention(0, 4, 2)
    with pytest.raises(ValueError, match=r"`sliding_window` must be a positive integer or "
                                         r"None.*-1"):
        layers.GroupQueryAttention(2, 4, 2, sliding_window=-1)
    with pytest.raises(ValueError, match=r"dropout must be in \[0, 1\).*1.0"):
        layers.GroupQueryAttention(2, 4, 2, dropout=1.0)
    with pytest.raises(ValueError, match=r"dropout is not supported with flash_attention=True"):
        layers.GroupQueryAttention(2, 4, 2, dropout=0.1, flash_attention=True)


def test_call_errors():
    x, v = dev(Q.astype(np.float32)), dev(V.astype(np.float32))
    with pytest.raises(ValueError, match=r"needs `value` as well as `query`"):
        layers.GroupQueryAttention(2, 4, 2)(x)
    with pytest.raises(ValueError, match=r"return_attention_scores=True is not supported with "
                                         r"flash_attention=True"):
        layers.GroupQueryAttention(2, 4, 2, flash_attention=True)(
            x, x, return_attention_scores=True)
    with pytest.raises(ValueError, match=r"`key` and `value` must have the same sequence"):
        layers.GroupQueryAttention(2, 4, 2)(x, v, key=x)
    with pytest.raises(ValueError, match=r"`value_mask` has shape \(2, 4\).*\(batch, "
                                         r"value_length\)"):
        layers.GroupQueryAttention(2, 4, 2)(x, v, value_mask=dev(Q_MASK))
    with pytest.raises(ValueError, match=r"`attention_mask` has shape \(2, 5, 4\)"):
        layers.GroupQueryAttention(2, 4, 2)(x, v, attention_mask=dev(np.ones((B, TV, TQ), bool)))
    with pytest.raises(ValueError, match=r"expects `query` of shape \(batch, sequence, "
                                         r"features\).*\(2, 3, 4, 5\)"):
        x4 = dev(np.ones((2, 3, 4, 5), np.float32))
        layers.GroupQueryAttention(2, 4, 2)(x4, x4)
