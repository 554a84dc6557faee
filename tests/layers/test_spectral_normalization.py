"""SpectralNormalization: Keras golden values (training and inference calls, the stored
kernel and vector), the power method against NumPy's singular values, gradients against
finite differences, training in a model, configs and the weight-file layout."""

import numpy as np
import pytest

import kerasx
from kerasx import layers
from kerasx.backends import current
from kerasx.testing import OpCase, check_op_case
from tests.golden.loader import case_ids, load_case, load_cases
from tests.interop.specs import LAYER_SPECS, build_spec_model, h5_layout, spec_data


def to_numpy(x):
    return current().to_numpy(getattr(x, "value", x))


def dev(x):
    return current().asarray(x)


GOLDEN = [c for c in load_cases("layers_more") if c["kind"] == "spectral"]


@pytest.mark.parametrize("case", GOLDEN, ids=case_ids(GOLDEN))
def test_matches_keras_golden(case):
    """Inference uses the stored kernel; each training call runs the power method, stores
    `u` and the normalized kernel, then calls the wrapped layer (twice in a row)."""
    a = case["arrays"]
    wrapped = getattr(layers, case["wrapped"])(**case["wrapped_config"])
    layer = layers.SpectralNormalization(wrapped, **case["config"])
    x = dev(a["x"])
    layer(x)
    layer.set_weights([a[f"w{i}"] for i in range(case["n_weights"])])
    assert [w.path for w in layer.weights] == case["weight_names"]
    close = {"rtol": 1e-5, "atol": 1e-6}
    if "y_infer" in a:
        np.testing.assert_allclose(to_numpy(layer(x)), a["y_infer"], **close)
    for step in (1, 2):
        y = layer(x, training=True)
        np.testing.assert_allclose(to_numpy(layer.kernel), a[f"kernel_{step}"], **close)
        np.testing.assert_allclose(to_numpy(layer.vector_u), a[f"u_{step}"], **close)
        key = "y_train" if step == 1 else "y_train_2"
        if key in a:
            np.testing.assert_allclose(to_numpy(y), a[key], **close)
    if "y_after" in a:
        np.testing.assert_allclose(to_numpy(layer(x)), a["y_after"], **close)
    assert layer.get_config()["power_iterations"] == case["keras_config"]["power_iterations"]


def power_method(kernel, u, iterations):
    """The float64 reference: `(u, kernel / sigma)` after `iterations` steps."""
    w = kernel.reshape(-1, kernel.shape[-1])
    for _ in range(iterations):
        v = u @ w.T
        v = v / np.linalg.norm(v)
        u = v @ w
        u = u / np.linalg.norm(u)
    sigma = (v @ w @ u.T).item()
    return u, kernel / sigma


@pytest.mark.parametrize("iterations", [1, 4])
def test_training_call_normalizes_like_the_power_method(iterations):
    kerasx.config.set_floatx("float64")
    r = np.random.default_rng(2)
    conv = layers.Conv2D(3, 2)
    layer = layers.SpectralNormalization(conv, power_iterations=iterations)
    x = dev(r.normal(size=(2, 4, 4, 2)))
    layer(x)
    kernel, u = r.normal(size=(2, 2, 2, 3)), r.normal(size=(1, 3))
    layer.set_weights([kernel, u, np.zeros(3)])
    layer(x, training=True)
    u_ref, kernel_ref = power_method(kernel, u, iterations)
    np.testing.assert_allclose(to_numpy(layer.vector_u), u_ref, rtol=1e-12)
    np.testing.assert_allclose(to_numpy(conv.kernel), kernel_ref, rtol=1e-12)


def test_many_iterations_give_unit_spectral_norm():
    dense = layers.Dense(5)
    layer = layers.SpectralNormalization(dense, power_iterations=50)
    layer(dev(np.ones((1, 7), np.float32)), training=True)
    assert np.linalg.svd(to_numpy(dense.kernel), compute_uv=False)[0] == pytest.approx(1.0,
                                                                                       abs=1e-5)


def test_inference_and_zero_kernels_change_nothing():
    dense = layers.Dense(3, kernel_initializer="zeros")
    layer = layers.SpectralNormalization(dense)
    x = dev(np.ones((2, 4), np.float32))
    layer(x)
    u = to_numpy(layer.vector_u).copy()
    layer(x, training=True)  # an all-zero kernel is left as it is
    np.testing.assert_array_equal(to_numpy(dense.kernel), 0.0)
    np.testing.assert_array_equal(to_numpy(layer.vector_u), u)
    dense.kernel.assign(dev(np.full((4, 3), 2.0, np.float32)))
    layer(x)
    layer(x, training=False)
    np.testing.assert_array_equal(to_numpy(dense.kernel), 2.0)


def spectral_case(training):
    """Gradients with respect to the input (training: after the kernel update) and, at
    inference, to the stored kernel and bias."""
    r = np.random.default_rng(4)
    kernel, u, bias = r.normal(size=(4, 3)), r.normal(size=(1, 3)), r.normal(size=(3,))

    def fn(x, k, b):
        dense = layers.Dense(3, activation="tanh")
        layer = layers.SpectralNormalization(dense, power_iterations=2)
        layer(x)
        layer.set_weights([current().to_numpy(getattr(k, "value", k)), u,
                           current().to_numpy(getattr(b, "value", b))])
        if not training:
            dense._set_untracked("kernel", k)
            dense._set_untracked("bias", b)
        return layer(x, training=training)

    def reference(x, k, b):
        if training:
            _, k = power_method(k, u, 2)
        return np.tanh(x @ k + b)

    return OpCase(f"training={training}", fn, reference, [r.normal(size=(2, 4)), kernel, bias],
                  wrt=[0] if training else None, rtol32=1e-5, atol32=1e-6)


@pytest.mark.parametrize("training", [True, False])
def test_gradients_against_finite_differences(training):
    check_op_case(spectral_case(training))


def test_trains_in_a_model_and_keeps_the_spectral_norm_near_one():
    r = np.random.default_rng(0)
    x = r.normal(size=(64, 6)).astype("float32")
    y = (x @ r.normal(size=(6, 1)) * 0.5).astype("float32")
    inner = layers.Dense(8, activation="relu")
    model = kerasx.Sequential([kerasx.Input((6,)),
                               layers.SpectralNormalization(inner, power_iterations=3),
                               layers.Dense(1)])
    model.compile(optimizer=kerasx.optimizers.Adam(0.01), loss="mse")
    u_before = to_numpy(model.layers[0].vector_u).copy()
    losses = model.fit(x, y, epochs=15, batch_size=16, verbose=0).history["loss"]
    assert losses[-1] < 0.5 * losses[0], losses
    assert not np.allclose(to_numpy(model.layers[0].vector_u), u_before)
    sigma = np.linalg.svd(to_numpy(inner.kernel), compute_uv=False)[0]
    assert 0.8 < sigma < 1.2, sigma
    assert len(model.trainable_weights) == 4 and len(model.non_trainable_weights) == 1


def test_config_round_trip_and_weights_file_layout(tmp_path):
    case = load_case("layers_more", "layout_spectral_normalization")
    model = build_spec_model(kerasx, "spectral_normalization")
    model.compile(optimizer="adam", loss="mse")
    xs, y = spec_data("spectral_normalization", LAYER_SPECS["spectral_normalization"][1])
    model.fit(xs[0], y, batch_size=8, epochs=1, verbose=0)
    model.save_weights(str(tmp_path / "m.weights.h5"))
    ours, theirs = h5_layout(str(tmp_path / "m.weights.h5")), case["layout"]
    assert ours["groups"] == theirs["groups"]
    assert [d[:2] for d in ours["datasets"]] == [d[:2] for d in theirs["datasets"]]
    layer = next(l for l in model.layers if isinstance(l, layers.SpectralNormalization))
    rebuilt = layers.SpectralNormalization.from_config(layer.get_config())
    assert rebuilt.power_iterations == 1 and isinstance(rebuilt.layer, layers.Dense)


def test_errors():
    with pytest.raises(ValueError, match=r"`power_iterations` must be a positive integer.*=0"):
        layers.SpectralNormalization(layers.Dense(2), power_iterations=0)
    with pytest.raises(ValueError, match=r"expects a kerasx Layer instance to wrap"):
        layers.SpectralNormalization("dense")
    with pytest.raises(ValueError, match=r"`kernel` or an `embeddings`.*Dropout"):
        layers.SpectralNormalization(layers.Dropout(0.5))(dev(np.ones((2, 3), np.float32)))
    layer = layers.SpectralNormalization(layers.Dense(2))
    layer(dev(np.ones((2, 3), np.float32)))
    with pytest.raises(ValueError):
        layer(kerasx.Input((4,)))
