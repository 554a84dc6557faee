"""`losses.CTC` / `losses.ctc`: Keras 3 golden values for every reduction, lengths derived
from the labels, names and configs, and a small model trained with it whose greedy
decoding recovers its targets."""

import os

import numpy as np
import pytest

import kerasx
from kerasx import losses, ops
from kerasx.testing import check_gradients
from tests.golden.loader import GOLDEN_DIR, load_case

if not os.path.exists(os.path.join(GOLDEN_DIR, "ctc.cases.json")):
    pytest.skip("tests/golden/ctc.* not generated yet", allow_module_level=True)

CASE = load_case("ctc", "CTC")


@pytest.mark.parametrize("reduction", CASE["reductions"])
@pytest.mark.parametrize("weighted", [False, True])
def test_matches_keras_for_every_reduction(reduction, weighted):
    a = CASE["arrays"]
    key = f"loss__{reduction}" + ("__sw" if weighted else "")
    loss = losses.CTC(reduction=reduction)
    got = loss(a["y_true"], a["y_pred"], sample_weight=a["sample_weight"] if weighted else None)
    assert got.shape == a[key].shape
    np.testing.assert_allclose(got.numpy(), a[key], rtol=1e-5, atol=1e-6)


def test_function_derives_the_lengths_from_the_labels():
    a = CASE["arrays"]
    values = losses.ctc(a["y_true"], a["y_pred"])
    np.testing.assert_allclose(values.numpy(), a["fn_values"], rtol=1e-5)
    batch, steps = a["y_pred"].shape[:2]
    explicit = ops.ctc_loss(a["y_true"], a["y_pred"], (a["y_true"] != 0).sum(-1),
                            np.full(batch, steps))
    np.testing.assert_array_equal(values.numpy(), explicit.numpy())


def test_float_labels_read_as_class_ids():
    a = CASE["arrays"]
    values = losses.CTC(reduction="none")(a["y_true"].astype(np.float32), a["y_pred"])
    np.testing.assert_allclose(values.numpy(), a["fn_values"], rtol=1e-5)


def test_name_config_serialization_and_lookup():
    loss = losses.CTC()
    assert loss.name == CASE["default_name"]
    assert loss.get_config() == CASE["keras_config"]
    assert losses.serialize(loss) == CASE["serialized"]
    again = losses.deserialize(losses.serialize(losses.CTC(reduction="sum", name="seq")))
    assert isinstance(again, losses.CTC)
    assert again.get_config() == {"name": "seq", "reduction": "sum"}
    assert losses.CTC.from_config(loss.get_config()).get_config() == loss.get_config()
    assert losses.get(CASE["get_ctc"]) is losses.ctc
    assert isinstance(losses.get("CTC"), losses.CTC)


def test_gradient_of_the_reduced_loss():
    a = CASE["arrays"]
    y_true = a["y_true"]
    # made inside: the loss computes in floatx, float64 during the check
    check_gradients(lambda z: losses.CTC()(y_true, z), [a["y_pred"].astype(np.float64)])


def test_bad_ranks_are_rejected():
    a = CASE["arrays"]
    with pytest.raises(ValueError, match="max_label_length"):
        losses.ctc(a["y_true"][:, :, None], a["y_pred"])
    with pytest.raises(ValueError, match="num_classes"):
        losses.ctc(a["y_true"], a["y_pred"][:, 0])


def _toy_sequences(rng, n, steps, classes, features, max_labels):
    """Label sequences of 1 to `max_labels` classes, and per-frame inputs: each label
    lasts two frames (a blank frame between repeats), blanks fill the rest; a frame's
    input is the one-hot of its class plus noise."""
    x = np.zeros((n, steps, features), np.float32)
    y = np.zeros((n, max_labels), np.int32)
    for i in range(n):
        labels = rng.integers(1, classes, rng.integers(1, max_labels + 1))
        frames = []
        for j, k in enumerate(labels):
            frames += ([0] if j and k == labels[j - 1] else []) + [k, k]
        frames += [0] * (steps - len(frames))
        x[i] = np.eye(features)[frames] + rng.normal(0.0, 0.1, (steps, features))
        y[i, :len(labels)] = labels
    return x, y


def test_a_model_trained_with_ctc_decodes_its_targets():
    rng = np.random.default_rng(0)
    steps, classes = 8, 4
    x, y = _toy_sequences(rng, 64, steps, classes, features=6, max_labels=3)
    model = kerasx.Sequential([kerasx.Input((steps, 6)), kerasx.layers.Dense(classes)])
    model.compile(optimizer=kerasx.optimizers.Adam(0.05), loss="ctc")
    history = model.fit(x, y, epochs=30, batch_size=16, verbose=0).history["loss"]
    assert history[-1] < 0.2 * history[0]
    assert all(later < earlier for earlier, later in zip(history[::5], history[5::5]))
    decoded, _ = ops.ctc_decode(model.predict(x, verbose=0), np.full(len(x), steps))
    recovered = np.maximum(decoded.numpy()[0, :, :y.shape[1]], 0)
    assert np.mean(np.all(recovered == y, axis=1)) > 0.95
