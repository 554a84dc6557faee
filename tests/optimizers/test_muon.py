"""Muon: which variables take the Muon step, the Newton-Schulz orthogonalisation against
an SVD, training and saving through a model, and argument errors (the numerics against
Keras are in test_optimizers_more_golden.py)."""

import numpy as np
import pytest

import kerasx
from kerasx import optimizers
from kerasx.testing import float64


def _model():
    return kerasx.Sequential([
        kerasx.Input((3,), dtype="int32"),
        kerasx.layers.Embedding(10, 4, name="token_embedding"),
        kerasx.layers.Reshape((3, 4, 1)),
        kerasx.layers.Conv2D(2, 2, name="conv"),
        kerasx.layers.Flatten(),
        kerasx.layers.Dense(5, name="hidden"),
        kerasx.layers.Dense(2, name="output_dense"),
    ], name="net")


def _adamw_paths(opt, variables):
    return [v.path for v, vel in zip(variables, opt._adam_velocities) if vel is not None]


def test_only_2d_non_embedding_non_excluded_variables_take_the_muon_step():
    model = _model()
    variables = model.trainable_variables
    opt = optimizers.Muon(exclude_layers=["output"])
    opt.build(variables)
    assert _adamw_paths(opt, variables) == [
        "net/token_embedding/embeddings", "net/conv/kernel", "net/conv/bias", "net/hidden/bias",
        "net/output_dense/kernel", "net/output_dense/bias"]
    opt = optimizers.Muon(exclude_embeddings=False)
    opt.build(variables)
    assert "net/token_embedding/embeddings" not in _adamw_paths(opt, variables)
    assert "net/output_dense/kernel" not in _adamw_paths(opt, variables)
    # every variable has a momentum, an AdamW one also a velocity right after it
    names = [v.name for v in opt.variables]
    assert names[:2] == ["iteration", "learning_rate"]
    assert names[2:5] == ["net_token_embedding_embeddings_momentum", "net_conv_kernel_momentum",
                          "net_conv_kernel_velocity"]


def _svd_polar(x):
    u, _, vt = np.linalg.svd(x, full_matrices=False)
    return u, vt


@pytest.mark.parametrize("shape", [(3, 5), (6, 2), (4, 4)])
def test_newton_schulz_keeps_singular_vectors_and_squashes_singular_values(shape):
    """The iteration is an odd matrix polynomial of X: it keeps X's singular vectors and
    maps every singular value into roughly [0.7, 1.2] (Keras's coefficients)."""
    x = np.random.default_rng(0).standard_normal(shape) * 3.0
    with float64():
        opt = optimizers.Muon()
        out = kerasx.backends.current().to_numpy(
            opt.zeropower_via_newtonschulz5(kerasx.backends.current().asarray(x), 5))
    u, vt = _svd_polar(x)
    core = u.T @ out @ vt.T
    off_diagonal = core - np.diag(np.diag(core))
    assert np.abs(off_diagonal).max() < 1e-10
    assert np.all(np.diag(core) > 0.6) and np.all(np.diag(core) < 1.25)
    with float64():
        transposed = kerasx.backends.current().to_numpy(
            opt.zeropower_via_newtonschulz5(kerasx.backends.current().asarray(x.T.copy()), 5))
    np.testing.assert_allclose(transposed, out.T, rtol=1e-12, atol=1e-14)


def test_one_muon_step_in_float64():
    """The first Muon step written out with an exact orthogonal factor as the reference
    is within the Newton-Schulz approximation; with ns_steps=0 it is exact."""
    rng = np.random.default_rng(1)
    w0, g = rng.standard_normal((4, 3)), rng.standard_normal((4, 3))
    with float64():
        w = kerasx.Variable(w0, name="kernel")
        opt = optimizers.Muon(learning_rate=0.1, weight_decay=0.5, ns_steps=0, momentum=0.9)
        opt.apply_gradients([(g, w)])
    direction = g + 0.9 * g  # m = g, nesterov direction g + mu m
    normalised = direction / (np.linalg.norm(direction) + 1e-7)
    expected = w0 * (1 - 0.5 * 0.1) - 0.1 * normalised * np.sqrt(4) * 0.2
    np.testing.assert_allclose(w.numpy(), expected, rtol=1e-12)


def test_fit_trains_and_resumes_after_save(tmp_path):
    rng = np.random.default_rng(2)
    x = rng.integers(0, 10, (64, 3)).astype("int32")
    y = rng.standard_normal((64, 2)).astype("float32")
    model = _model()
    model.compile(optimizer=optimizers.Muon(learning_rate=0.02, exclude_layers=["output"]),
                  loss="mse")
    history = model.fit(x, y, batch_size=16, epochs=4, shuffle=False, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]
    path = str(tmp_path / "muon.keras")
    model.save(path)
    loaded = kerasx.models.load_model(path)
    assert isinstance(loaded.optimizer, optimizers.Muon)
    assert loaded.optimizer.get_config() == model.optimizer.get_config()
    saved = [v.numpy() for v in model.optimizer.variables]
    restored = [v.numpy() for v in loaded.optimizer.variables]
    # (a loaded Sequential's variable paths lose the model name, as in Keras)
    assert len(restored) == len(saved) == 2 + 7 + 6  # 7 momentums, 6 AdamW velocities
    for a, b in zip(saved, restored):
        np.testing.assert_array_equal(a, b)
    model.fit(x, y, batch_size=16, epochs=1, shuffle=False, verbose=0)
    loaded.fit(x, y, batch_size=16, epochs=1, shuffle=False, verbose=0)
    for a, b in zip(model.get_weights(), loaded.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7)


def test_get_and_deserialize_by_name():
    assert type(optimizers.get("muon")) is optimizers.Muon
    opt = optimizers.Muon(exclude_layers=("head",), rms_rate=None)
    again = optimizers.deserialize(optimizers.serialize(opt))
    assert again.get_config() == opt.get_config()
    assert again.exclude_layers == ["head"] and again.rms_rate is None


@pytest.mark.parametrize("kwargs, message", [
    ({"ns_steps": -1}, "ns_steps"),
    ({"ns_steps": 2.5}, "ns_steps"),
    ({"ns_steps": True}, "ns_steps"),
    ({"momentum": 1.5}, "momentum"),
    ({"rms_rate": -0.1}, "rms_rate"),
    ({"adam_lr_ratio": "0.1"}, "adam_lr_ratio"),
    ({"exclude_layers": "output_dense"}, "list of strings"),
    ({"exclude_layers": [3]}, "list of strings"),
    ({"weight_decay": "0.1"}, "weight_decay"),
    ({"adam_weight_decay": [0.1]}, "adam_weight_decay"),
    ({"muon_d": 1.0}, "not recognized"),
])
def test_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        optimizers.Muon(**kwargs)


def test_newton_schulz_needs_a_matrix():
    opt = optimizers.Muon()
    with pytest.raises(ValueError, match="at least 2 dimensions"):
        opt.zeropower_via_newtonschulz5(kerasx.backends.current().asarray(np.ones(3)), 5)
