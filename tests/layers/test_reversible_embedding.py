"""ReversibleEmbedding: Keras golden values (lookup, reverse projection and its gradient),
gradients against finite differences, weight tying, masks, dtypes, configs, the
weight-file layout and errors."""

import json

import numpy as np
import pytest

import kerasx
from kerasx import layers, ops
from kerasx.backends import current
from kerasx.testing import OpCase, check_op_case
from tests.golden.loader import case_ids, load_case, load_cases
from tests.interop.specs import LAYER_SPECS, build_spec_model, h5_layout, spec_data


def to_numpy(x):
    return current().to_numpy(getattr(x, "value", x))


def dev(x):
    return current().asarray(x)


GOLDEN = [c for c in load_cases("layers_more") if c["kind"] == "reversible"]


@pytest.mark.parametrize("case", GOLDEN, ids=case_ids(GOLDEN))
def test_matches_keras_golden(case):
    a = case["arrays"]
    layer = layers.ReversibleEmbedding(**case["config"])
    layer.build()
    layer.set_weights([a[f"w{i}"] for i in range(case["n_weights"])])
    assert [w.path for w in layer.weights] == case["weight_names"]
    np.testing.assert_array_equal(to_numpy(layer(dev(a["ids"]))), a["y"])
    h = kerasx.Variable(dev(a["h"]))
    with kerasx.GradientTape() as tape:
        logits = layer(h, reverse=True)
        loss = ops.sum(logits * dev(a["proj"]))
    np.testing.assert_allclose(to_numpy(logits), a["y_reverse"], rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(to_numpy(tape.gradient(loss, h)), a["dh"], rtol=1e-5, atol=1e-5)
    config = layer.get_config()
    for key, value in case["keras_config"].items():
        if key not in ("name", "dtype") and not isinstance(value, dict):
            assert json.loads(json.dumps(config[key])) == value, key


def reverse_case(name, tie_weights, cap):
    r = np.random.default_rng(6)
    table = r.normal(size=(7, 3))
    inputs = [r.normal(size=(2, 4, 3)), table] + ([] if tie_weights else [r.normal(size=(3, 7))])

    def fn(h, embeddings, reverse_embeddings=None):
        layer = layers.ReversibleEmbedding(7, 3, tie_weights=tie_weights, logit_soft_cap=cap)
        layer.build()
        layer._set_untracked("embeddings", embeddings)
        if not tie_weights:
            layer._set_untracked("reverse_embeddings", reverse_embeddings)
        return layer(h, reverse=True)

    def reference(h, embeddings, reverse_embeddings=None):
        logits = h @ (embeddings.T if tie_weights else reverse_embeddings)
        return logits if cap is None else cap * np.tanh(logits / cap)

    return OpCase(name, fn, reference, inputs)


REVERSE_CASES = [reverse_case("tied", True, None), reverse_case("untied_soft_cap", False, 2.0),
                 reverse_case("tied_soft_cap", True, 0.7)]


@pytest.mark.parametrize("case", REVERSE_CASES, ids=[c.name for c in REVERSE_CASES])
def test_reverse_gradients_against_finite_differences(case):
    check_op_case(case)


def test_tied_table_gets_gradients_from_both_uses():
    layer = layers.ReversibleEmbedding(6, 4, embeddings_initializer="glorot_uniform")
    ids = dev(np.array([[1, 2, 3]], "int32"))
    with kerasx.GradientTape(persistent=True) as tape:
        forward = ops.sum(layer(ids))
        both = ops.sum(layer(layer(ids), reverse=True))
    g_forward = to_numpy(tape.gradient(forward, layer.embeddings))
    g_both = to_numpy(tape.gradient(both, layer.embeddings))
    table = to_numpy(layer.embeddings).astype(np.float64)
    # d/dE sum(E[ids] @ E.T): every row gets the sum of the looked-up vectors (the reverse
    # kernel), each looked-up row also the sum of all rows (the lookup)
    looked = table[[1, 2, 3]]
    expected = np.tile(looked.sum(0), (6, 1))
    for i in (1, 2, 3):
        expected[i] += table.sum(0)
    np.testing.assert_allclose(g_both, expected, rtol=1e-5, atol=1e-6)
    assert np.count_nonzero(g_forward.any(axis=1)) == 3
    assert len(layer.weights) == 1


def test_masks_dtypes_and_shapes():
    layer = layers.ReversibleEmbedding(10, 4, mask_zero=True, reverse_dtype="float64")
    ids = dev(np.array([[3, 0, 2]], "int32"))
    vectors = layer(ids)
    np.testing.assert_array_equal(to_numpy(vectors._keras_mask), [[True, False, True]])
    assert vectors.dtype == "float32"
    logits = layer(vectors, reverse=True)
    assert logits.dtype == "float64" and tuple(logits.shape) == (1, 3, 10)
    assert getattr(logits, "_keras_mask", None) is None
    assert layer.compute_output_shape((None, 3), reverse=True) == (None, 10)
    assert layer.compute_output_shape((None, 3)) == (None, 3, 4)
    inp = kerasx.Input((5,), dtype="int32")
    tied = layers.ReversibleEmbedding(12, 8)
    out = tied(inp)
    assert out.shape == (None, 5, 8) and tied(out, reverse=True).shape == (None, 5, 12)


def test_untied_language_model_trains():
    data = np.random.default_rng(0).integers(0, 10, size=(64, 6)).astype("int32")
    ids = kerasx.Input((6,), dtype="int32")
    embedding = layers.ReversibleEmbedding(10, 16, tie_weights=False, logit_soft_cap=10.0)
    model = kerasx.Model(ids, embedding(layers.Dense(16)(embedding(ids)), reverse=True))
    model.compile(optimizer=kerasx.optimizers.Adam(0.02),
                  loss=kerasx.losses.SparseCategoricalCrossentropy(from_logits=True))
    before = [w.copy() for w in model.get_weights()]
    losses = model.fit(data, data, epochs=15, batch_size=16, verbose=0).history["loss"]
    assert losses[-1] < 0.3 * losses[0], losses
    assert all(not np.allclose(a, b) for a, b in zip(before, model.get_weights()))


def test_weights_file_layout_matches_keras(tmp_path):
    case = load_case("layers_more", "layout_reversible_embedding")
    model = build_spec_model(kerasx, "reversible_embedding")
    model.compile(optimizer="adam", loss="mse")
    xs, y = spec_data("reversible_embedding", LAYER_SPECS["reversible_embedding"][1])
    with pytest.warns(UserWarning, match="reverse_embeddings"):  # unused in this model
        model.fit(xs[0], y, batch_size=8, epochs=1, verbose=0)
    model.save_weights(str(tmp_path / "m.weights.h5"))
    ours, theirs = h5_layout(str(tmp_path / "m.weights.h5")), case["layout"]
    assert ours["groups"] == theirs["groups"]
    assert [d[:2] for d in ours["datasets"]] == [d[:2] for d in theirs["datasets"]]


def test_errors():
    with pytest.raises(ValueError, match=r"`logit_soft_cap` must be a positive number.*-1"):
        layers.ReversibleEmbedding(5, 2, logit_soft_cap=-1)
    with pytest.raises(ValueError, match=r"`reverse_dtype` must be a float dtype.*int32"):
        layers.ReversibleEmbedding(5, 2, reverse_dtype="int32")
    with pytest.raises(ValueError, match=r"reverse call expects vectors of size output_dim=2.*"
                                         r"\(1, 3\)"):
        layers.ReversibleEmbedding(5, 2)(dev(np.ones((1, 3), np.float32)), reverse=True)
