"""LoRA (`enable_lora`, `lora_rank`): Keras golden values (outputs, gradients, merged
weights, what files hold, training, a model saved by Keras), the merged-kernel formula,
gradients against finite differences in float64, training only the factors, saving
round trips and errors."""

import os

import numpy as np
import pytest

import kerasx
from kerasx import layers, ops
from kerasx.autodiff.tape import GradientTape
from kerasx.backends import current
from tests.conftest import to_numpy
from tests.golden.loader import GOLDEN_DIR, load_cases
from tests.layers.lora_in_keras import assert_real_keras_reloads

CASES = load_cases("lora")


def of_kind(kind):
    return [c for c in CASES if c["kind"] == kind]


def dev(x):
    return current().asarray(x)


def build(cls, config, x):
    layer = getattr(layers, cls)(**config)
    layer.build(None if cls.endswith("Embedding") else tuple(x.shape))
    return layer


def weight_name(layer):
    return "embeddings" if isinstance(layer, layers.Embedding) else "kernel"


# -- Keras golden values ----------------------------------------------------------------
@pytest.mark.parametrize("case", of_kind("layer"), ids=lambda c: c["name"])
def test_layer_matches_keras(case):
    a = case["arrays"]
    layer = getattr(layers, case["class"])(**case["config"])
    layer.build(None if case["class"].endswith("Embedding") else a["x"].shape)
    layer.enable_lora(case["rank"], lora_alpha=case["alpha"])
    assert [w.name for w in layer.weights] == case["weight_names"]
    assert [w.name for w in layer.trainable_weights] == case["trainable_names"]
    assert layer.lora_enabled and layer.lora_alpha == case["lora_alpha"]
    config = layer.get_config()
    assert (config["lora_rank"], config["lora_alpha"]) == (
        case["layer_config"]["lora_rank"], case["layer_config"]["lora_alpha"])
    layer.set_weights([a[f"weights_{i}"] for i in range(len(case["weight_names"]))])
    x = kerasx.Variable(dev(a["x"])) if a["x"].dtype.kind == "f" else dev(a["x"])
    with GradientTape() as tape:
        y = layer(x, **case["call_kwargs"])
        loss = ops.sum(ops.multiply(y, dev(a["proj"])))
    np.testing.assert_allclose(to_numpy(y), a["y"], rtol=1e-5, atol=1e-5)
    sources = list(layer.trainable_weights) + ([x] if "grad_x" in a else [])
    grads = tape.gradient(loss, sources)
    expected = [a[f"grad_{v.name}"] for v in layer.trainable_weights]
    expected += [a["grad_x"]] if "grad_x" in a else []
    for got, want in zip(grads, expected):  # None: no path to the loss (Keras: zeros)
        got = np.zeros_like(want) if got is None else to_numpy(got)
        np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-5)
    merged = getattr(layer, weight_name(layer))
    np.testing.assert_allclose(to_numpy(merged), a["merged"], rtol=1e-5, atol=1e-6)
    store = {}
    layer.save_own_variables(store)
    assert sorted(store) == case["saved_keys"]
    for key in store:
        np.testing.assert_allclose(store[key], a[f"saved_{key}"], rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("case", of_kind("constructor"), ids=lambda c: c["name"])
def test_constructor_lora_rank_matches_keras(case):
    layer = getattr(layers, case["class"])(**case["config"])
    shape = {"Dense": (None, 4), "EinsumDense": (None, 4), "Conv1D": (None, 5, 3)}
    layer.build(shape.get(case["class"]))
    assert layer.lora_enabled and layer.lora_alpha == case["lora_alpha"]
    assert [w.name for w in layer.weights] == case["weight_names"]
    assert [list(w.shape) for w in layer.weights] == case["weight_shapes"]
    assert [w.name for w in layer.trainable_weights] == case["trainable_names"]
    config = layer.get_config()
    assert (config["lora_rank"], config["lora_alpha"]) == (
        case["layer_config"]["lora_rank"], case["layer_config"]["lora_alpha"])


def lora_model(lora_rank=None):
    return kerasx.Sequential([
        kerasx.Input((5, 3)),
        layers.Conv1D(4, 2, activation="tanh", lora_rank=lora_rank),
        layers.Flatten(),
        layers.Dense(3, lora_rank=lora_rank),
    ])


def test_training_matches_keras():
    (case,) = of_kind("train")
    a = case["arrays"]
    model = lora_model()
    for layer in model.layers:
        if layer.weights:
            layer.enable_lora(2, lora_alpha=4.0)
    assert [w.path.split("/", 1)[1] for w in model.weights] == [
        p.split("/", 1)[1].replace("conv1d_2", "conv1d").replace("dense_3", "dense")
        for p in case["weight_names"]]
    model.set_weights([a[f"weights_{i}"] for i in range(len(model.weights))])
    model.compile(optimizer=kerasx.optimizers.SGD(0.1), loss="mse")
    losses = [float(model.train_on_batch(a["x"], a["y"])) for _ in range(3)]
    np.testing.assert_allclose(losses, a["losses"], rtol=1e-5)
    for i, w in enumerate(model.weights):
        np.testing.assert_allclose(to_numpy(w), a[f"after_{i}"], rtol=1e-5, atol=1e-6,
                                   err_msg=w.path)
        if not w.trainable:  # the frozen base kernels did not move at all
            np.testing.assert_array_equal(to_numpy(w), a[f"weights_{i}"])


def test_model_saved_by_keras_loads():
    (case,) = of_kind("saved_model")
    model = kerasx.models.load_model(os.path.join(GOLDEN_DIR, case["file"]))
    np.testing.assert_allclose(model.predict(case["arrays"]["x"], verbose=0),
                               case["arrays"]["pred"], rtol=1e-5, atol=1e-6)
    for layer in (model.layers[0], model.layers[2]):
        assert layer.lora_enabled and layer.lora_rank == 2
        assert not np.any(to_numpy(layer.lora_kernel_a)) and not np.any(
            to_numpy(layer.lora_kernel_b))


# -- the formula and the gradients ------------------------------------------------------
def test_forward_is_the_merged_kernel_formula():
    rng = np.random.default_rng(0)
    layer = layers.Dense(4, activation="tanh")
    layer.build((None, 3))
    layer.enable_lora(2, lora_alpha=5.0)
    w, b, la, lb = [rng.normal(size=v.shape).astype("float32") for v in layer.weights]
    layer.set_weights([w, b, la, lb])
    x = rng.normal(size=(6, 3)).astype("float32")
    merged = w + 2.5 * la @ lb
    np.testing.assert_allclose(to_numpy(layer.kernel), merged, rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(to_numpy(layer(dev(x))), np.tanh(x @ merged + b), rtol=1e-5,
                               atol=1e-6)
    np.testing.assert_array_equal(to_numpy(layer._kernel), w)  # the base is untouched


GRAD_LAYERS = [
    ("dense", lambda: layers.Dense(3), (2, 4), {}),
    ("einsum", lambda: layers.EinsumDense("abc,cde->abde", (None, 2, 3), bias_axes="e"),
     (2, 3, 4), {}),
    ("embedding", lambda: layers.Embedding(5, 3), None, {}),
    ("reversible_reverse", lambda: layers.ReversibleEmbedding(5, 3), (2, 3), {"reverse": True}),
    ("conv2d", lambda: layers.Conv2D(2, 2, groups=2), (1, 3, 3, 2), {}),
    ("conv1d_causal", lambda: layers.Conv1D(2, 2, padding="causal"), (2, 4, 3), {}),
]


def _loss(layer, x, proj, call_kwargs):
    return ops.sum(ops.multiply(layer(x, **call_kwargs), proj))


@pytest.mark.parametrize("name,make,shape,call_kwargs", GRAD_LAYERS,
                         ids=[g[0] for g in GRAD_LAYERS])
def test_gradients_match_finite_differences(name, make, shape, call_kwargs):
    rng = np.random.default_rng(1)
    kerasx.config.set_floatx("float64")
    layer = make()
    x = rng.integers(0, 5, (2, 3)) if shape is None else rng.normal(size=shape)
    layer.build(None if shape is None or call_kwargs else x.shape)
    layer.enable_lora(2, lora_alpha=3.0)
    assert all(w.dtype == "float64" for w in layer.weights)
    layer.set_weights([rng.normal(size=w.shape) for w in layer.weights])
    proj = dev(rng.normal(size=to_numpy(layer(dev(x), **call_kwargs)).shape))
    sources = list(layer.trainable_weights)
    x_var = kerasx.Variable(dev(x)) if shape is not None else dev(x)
    with GradientTape() as tape:
        loss = _loss(layer, x_var, proj, call_kwargs)
    grads = tape.gradient(loss, sources + ([x_var] if shape is not None else []))
    eps = 1e-6
    for var, grad in zip(sources + ([x_var] if shape is not None else []), grads):
        base = to_numpy(var).copy()
        numeric = np.zeros_like(base)
        for i in np.ndindex(base.shape):
            values = []
            for delta in (eps, -eps):
                moved = base.copy()
                moved[i] += delta
                var.assign(dev(moved))
                values.append(float(to_numpy(_loss(layer, x_var, proj, call_kwargs))))
            numeric[i] = (values[0] - values[1]) / (2 * eps)
        var.assign(dev(base))
        np.testing.assert_allclose(to_numpy(grad), numeric, rtol=1e-6, atol=1e-8,
                                   err_msg=f"{name}: {getattr(var, 'name', 'x')}")


# -- training -----------------------------------------------------------------------------
def _data(seed=0):
    rng = np.random.default_rng(seed)
    return (rng.normal(size=(16, 5, 3)).astype("float32"),
            rng.normal(size=(16, 3)).astype("float32"))


def test_fit_trains_only_the_lora_weights():
    x, y = _data()
    model = lora_model(lora_rank=2)
    model.compile(optimizer=kerasx.optimizers.Adam(0.05), loss="mse")
    before = {w.path: to_numpy(w).copy() for w in model.weights}
    history = model.fit(x, y, batch_size=4, epochs=3, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]
    for w in model.weights:
        moved = not np.array_equal(to_numpy(w), before[w.path])
        assert moved == w.trainable, w.path
    assert sorted(w.name for w in model.non_trainable_weights) == ["kernel", "kernel"]


def test_enable_lora_after_compile_then_recompile():
    """As Keras, the trainable weights of a compiled model change with `enable_lora`:
    its optimizer refuses the new set, and compiling again trains it."""
    x, y = _data(1)
    model = lora_model()
    model.compile(optimizer=kerasx.optimizers.SGD(0.05), loss="mse")
    model.fit(x, y, epochs=1, verbose=0)
    dense = model.layers[-1]
    dense.enable_lora(2)
    with pytest.raises(ValueError, match="lora_kernel_a"):  # the optimizer's variables
        model.fit(x, y, epochs=1, verbose=0)
    model.compile(optimizer=kerasx.optimizers.SGD(0.05), loss="mse")
    frozen = to_numpy(dense._kernel).copy()
    b = to_numpy(dense.lora_kernel_b).copy()
    model.fit(x, y, epochs=1, verbose=0)
    np.testing.assert_array_equal(to_numpy(dense._kernel), frozen)
    assert not np.array_equal(to_numpy(dense.lora_kernel_b), b)


def test_regularizer_applies_to_the_factors_not_the_frozen_kernel():
    layer = layers.Dense(2, kernel_regularizer=kerasx.regularizers.L2(0.5))
    layer.build((None, 3))
    layer.enable_lora(1)
    assert layer.lora_kernel_a.regularizer is layer.kernel_regularizer
    layer.set_weights([np.ones((3, 2)), np.zeros(2), np.full((3, 1), 2.0), np.ones((1, 2))])
    layer(dev(np.ones((1, 3), "float32")))
    total = sum(float(to_numpy(loss)) for loss in layer.losses)
    assert total == pytest.approx(0.5 * (3 * 4.0 + 2 * 1.0))


# -- saving ---------------------------------------------------------------------------------
def test_keras_file_round_trip_holds_the_merged_kernel(tmp_path):
    x, y = _data(2)
    model = lora_model(lora_rank=2)
    model.compile(optimizer=kerasx.optimizers.Adam(0.05), loss="mse")
    model.fit(x, y, epochs=2, verbose=0)
    path = str(tmp_path / "lora.keras")
    model.save(path)
    loaded = kerasx.models.load_model(path)
    np.testing.assert_allclose(loaded.predict(x, verbose=0), model.predict(x, verbose=0),
                               rtol=1e-5, atol=1e-6)
    for old, new in zip((model.layers[0], model.layers[2]), (loaded.layers[0], loaded.layers[2])):
        assert new.lora_enabled and new.get_config()["lora_rank"] == 2
        np.testing.assert_allclose(to_numpy(new._kernel), to_numpy(old.kernel), rtol=1e-6)
        assert not np.any(to_numpy(new.lora_kernel_a))
    # the weights file holds plain layers: a model without LoRA reads it too
    weights = str(tmp_path / "lora.weights.h5")
    model.save_weights(weights)
    plain = lora_model()
    plain.load_weights(weights)
    np.testing.assert_allclose(plain.predict(x, verbose=0), model.predict(x, verbose=0),
                               rtol=1e-5, atol=1e-6)


def test_load_own_variables_resets_the_factors():
    layer = layers.Embedding(4, 3)
    layer.build()
    layer.enable_lora(2)
    layer.set_weights([np.ones((4, 3)), np.ones((4, 2)), np.ones((2, 3))])
    store = {}
    layer.save_own_variables(store)
    np.testing.assert_allclose(store["0"], np.full((4, 3), 3.0))
    layer.load_own_variables({"0": np.full((4, 3), 7.0, "float32")})
    np.testing.assert_array_equal(to_numpy(layer._embeddings), np.full((4, 3), 7.0))
    assert not np.any(to_numpy(layer.lora_embeddings_b))
    np.testing.assert_array_equal(to_numpy(layer(dev(np.array([1, 2])))), np.full((2, 3), 7.0))


def test_config_round_trip():
    layer = layers.Conv2D(3, 2, lora_rank=2, lora_alpha=6)
    config = layer.get_config()
    assert (config["lora_rank"], config["lora_alpha"]) == (2, 6)
    clone = layers.Conv2D.from_config(config)
    clone.build((None, 4, 4, 2))
    assert clone.lora_enabled and clone.lora_alpha == 6
    assert "lora_rank" not in layers.Dense(2).get_config()


def test_real_keras_loads_a_kerasx_lora_file(tmp_path):
    x, y = _data(3)
    assert_real_keras_reloads(tmp_path, "lora", lora_model(lora_rank=2), x, y, 1e-5)


# -- errors -----------------------------------------------------------------------------
def test_errors():
    layer = layers.Dense(2)
    with pytest.raises(ValueError, match="isn't yet built"):
        layer.enable_lora(2)
    with pytest.raises(AttributeError, match="build the layer before accessing `kernel`"):
        layer.kernel
    layer.build((None, 3))
    with pytest.raises(ValueError, match="rank must be a positive integer, received rank=0"):
        layer.enable_lora(0)
    layer.enable_lora(2)
    with pytest.raises(ValueError, match="already enabled"):
        layer.enable_lora(2)
    constrained = layers.Embedding(3, 2, embeddings_constraint="non_neg")
    constrained.build()
    with pytest.raises(ValueError, match="remove the `embeddings_constraint` argument"):
        constrained.enable_lora(1)
    with pytest.raises(ValueError, match="lora_rank must be a positive integer.*'2'"):
        layers.Dense(2, lora_rank="2")
