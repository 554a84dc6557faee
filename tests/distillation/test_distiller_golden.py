"""`Distiller` against Keras 3: fixed-weight teachers and students evaluated, stepped
once and trained two epochs, with the default replayed steps and eagerly."""

import os

import numpy as np
import pytest

import kerasx
from kerasx.distillation import Distiller
from tests.distillation.specs import distillation_loss, golden_models
from tests.golden.loader import GOLDEN_DIR, load_cases

if not os.path.exists(os.path.join(GOLDEN_DIR, "distillation.cases.json")):
    pytest.skip("tests/golden/distillation.* not generated yet", allow_module_level=True)

CASES = [case for case in load_cases("distillation") if case["kind"] == "distiller"]


def _distiller(case, jit_compile):
    a, config = case["arrays"], case["config"]
    teacher, student = golden_models(a)
    specs = config["distillation_losses"]
    losses = ([distillation_loss(*s) for s in specs] if isinstance(specs[0], list)
              else distillation_loss(*specs))
    distiller = Distiller(teacher, student, losses,
                          distillation_loss_weights=config["distillation_loss_weights"],
                          student_loss_weight=config["student_loss_weight"])
    distiller.compile(optimizer=kerasx.optimizers.SGD(case["optimizer"]["learning_rate"]),
                      loss="sparse_categorical_crossentropy", metrics=config["metrics"],
                      jit_compile=jit_compile)
    return distiller, teacher, student


def _assert_logs(got, expected):
    assert sorted(got) == sorted(expected)
    for key, value in expected.items():
        np.testing.assert_allclose(np.asarray(got[key], np.float64), value, rtol=2e-5,
                                   atol=2e-6, err_msg=key)


def _assert_weights(model, arrays, prefix):
    for i, w in enumerate(model.get_weights()):
        np.testing.assert_allclose(w, arrays[f"{prefix}_{i}"], rtol=1e-4, atol=2e-6,
                                   err_msg=f"{prefix}_{i}")


@pytest.mark.parametrize("jit_compile", ["auto", False])
@pytest.mark.parametrize("case", CASES, ids=lambda c: c["name"])
def test_distiller_matches_keras(case, jit_compile):
    a = case["arrays"]
    x, y = a["x"], a["y"]
    distiller, teacher, student = _distiller(case, jit_compile)
    teacher_before = [w.copy() for w in teacher.get_weights()]
    assert [m.name for m in distiller.metrics] == case["metrics_names"]
    _assert_logs(distiller.evaluate(x, y, batch_size=12, verbose=0, return_dict=True),
                 case["evaluate"])
    _assert_logs(distiller.train_on_batch(x, y, return_dict=True), case["train_on_batch"])
    _assert_weights(student, a, "student_after_step")
    fit = case["fit"]
    history = distiller.fit(x, y, batch_size=fit["batch_size"], epochs=fit["epochs"],
                            shuffle=fit["shuffle"], verbose=0).history
    _assert_logs({k: v for k, v in history.items()}, case["history"])
    _assert_weights(student, a, "student_after_fit")
    for before, after, keras_after in zip(teacher_before, teacher.get_weights(),
                                          [a[f"teacher_after_fit_{i}"] for i in range(6)]):
        np.testing.assert_array_equal(after, before)
        np.testing.assert_array_equal(after, keras_after)
    np.testing.assert_allclose(distiller.predict(x, verbose=0), a["predict"], rtol=1e-4,
                               atol=1e-5)


@pytest.mark.parametrize("case", CASES, ids=lambda c: c["name"])
def test_config_has_keras_keys(case):
    distiller, _, _ = _distiller(case, "auto")
    assert sorted(distiller.get_config()) == case["distiller_config_keys"]
