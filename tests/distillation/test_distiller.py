"""`Distiller`: the frozen teacher, training a student, the replayed steps against eager
ones, the logs, argument checks, configs and saving."""

import numpy as np
import pytest

import kerasx
from kerasx.distillation import Distiller, FeatureDistillation, LogitsDistillation
from tests.distillation.specs import functional, small_problem


def _pair(student_widths=(6, 4)):
    return functional("teacher", [12, 6, 4]), functional("student", list(student_widths))


def test_teacher_is_frozen_and_only_the_student_trains():
    teacher, student = _pair()
    distiller = Distiller(teacher, student, LogitsDistillation())
    assert not teacher.trainable and student.trainable
    assert {id(v) for v in distiller.trainable_weights} == {
        id(v) for v in student.trainable_weights}
    distiller.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    x, y = small_problem()
    before = [w.copy() for w in teacher.get_weights()]
    student_before = [w.copy() for w in student.get_weights()]
    distiller.fit(x, y, epochs=2, batch_size=16, verbose=0)
    for b, a in zip(before, teacher.get_weights()):
        np.testing.assert_array_equal(a, b)
    assert any(not np.array_equal(b, a) for b, a in zip(student_before, student.get_weights()))


def test_student_learns_from_a_trained_teacher():
    x, y = small_problem(n=128)
    teacher = functional("teacher", [16, 4])
    teacher.compile(optimizer=kerasx.optimizers.Adam(0.05),
                    loss=kerasx.losses.SparseCategoricalCrossentropy(from_logits=True),
                    metrics=["accuracy"])
    teacher.fit(x, y, epochs=30, batch_size=32, verbose=0)
    assert teacher.evaluate(x, y, verbose=0)[1] > 0.9
    student = functional("student", [4])
    distiller = Distiller(teacher, student,
                          LogitsDistillation(temperature=2.0, loss=kerasx.losses.KLDivergence()),
                          student_loss_weight=0.0)
    distiller.compile(optimizer=kerasx.optimizers.Adam(0.05),
                      loss=kerasx.losses.SparseCategoricalCrossentropy(from_logits=True),
                      metrics=["accuracy"])
    before = distiller.evaluate(x, y, verbose=0, return_dict=True)
    history = distiller.fit(x, y, epochs=30, batch_size=32, verbose=0).history
    after = distiller.evaluate(x, y, verbose=0, return_dict=True)
    # trained on the teacher alone (student_loss_weight=0), the student learns the labels
    assert after["distillation_loss"] < 0.25 * before["distillation_loss"]
    assert history["distillation_loss"][-1] < history["distillation_loss"][0]
    assert after["accuracy"] > 0.85 and after["accuracy"] > before["accuracy"] + 0.2


def _fit_history(losses, jit_compile, loss, epochs=2):
    kerasx.utils.set_random_seed(7)
    teacher, student = functional("teacher", [6, 4]), functional("student", [6, 4])
    distiller = Distiller(teacher, student, losses(), distillation_loss_weights=None)
    distiller.compile(optimizer="adam", loss=loss, metrics=["accuracy"], jit_compile=jit_compile)
    x, y = small_problem()
    history = distiller.fit(x, y, epochs=epochs, batch_size=16, verbose=0,
                            validation_data=(x[:20], y[:20])).history
    return distiller, history, [w.copy() for w in student.get_weights()]


FROM_LOGITS = kerasx.losses.SparseCategoricalCrossentropy(from_logits=True)


@pytest.mark.parametrize("losses, loss", [
    (lambda: [FeatureDistillation("mse", "dense_0", "dense_0"), FeatureDistillation()],
     FROM_LOGITS),
    (lambda: [LogitsDistillation(2.0, kerasx.losses.KLDivergence()),
              FeatureDistillation("cosine_similarity", "dense_0", "dense_0")],
     "sparse_categorical_crossentropy"),
    (lambda: LogitsDistillation(), FROM_LOGITS),
], ids=["features", "kl_and_cosine", "default_logits"])
def test_replayed_steps_give_the_eager_results(losses, loss):
    eager, eager_history, eager_weights = _fit_history(losses, False, loss)
    replayed, history, weights = _fit_history(losses, "auto", loss)
    assert history == eager_history
    for a, b in zip(weights, eager_weights):
        np.testing.assert_array_equal(a, b)


def test_feature_distillation_steps_are_replayed():
    from kerasx.backends import current

    distiller, _, _ = _fit_history(
        lambda: [FeatureDistillation("mse", "dense_0", "dense_0"), FeatureDistillation()],
        "auto", FROM_LOGITS)
    compiled = distiller._compiled_train_step
    assert compiled.reasons == {}
    replayed = [p for p in compiled.programs.values() if getattr(p, "verified", False)]
    # a backend that cannot record its array work runs every step eagerly
    assert len(replayed) == (0 if current().step_recorder() is None else 1)


def test_logs_metrics_and_evaluate_order():
    teacher, student = _pair()
    distiller = Distiller(teacher, student, LogitsDistillation())
    assert [m.name for m in distiller.metrics] == [
        "student_loss", "distillation_loss", "total_loss"]
    distiller.compile(loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    assert distiller.metrics_names == [
        "loss", "compile_metrics", "student_loss", "distillation_loss", "total_loss"]
    x, y = small_problem(n=20)
    history = distiller.fit(x, y, epochs=1, batch_size=8, verbose=0,
                            validation_data=(x, y)).history
    assert sorted(history) == sorted(
        ["loss", "accuracy", "student_loss", "distillation_loss", "total_loss",
         "val_loss", "val_accuracy", "val_student_loss", "val_distillation_loss",
         "val_total_loss"])
    results = distiller.evaluate(x, y, batch_size=20, verbose=0)
    logs = distiller.evaluate(x, y, batch_size=20, verbose=0, return_dict=True)
    assert results == [logs[k] for k in
                       ("loss", "accuracy", "student_loss", "distillation_loss", "total_loss")]
    np.testing.assert_allclose(
        logs["total_loss"], 0.5 * logs["student_loss"] + 0.5 * logs["distillation_loss"],
        rtol=1e-6)


def test_call_and_predict_run_the_student():
    teacher, student = _pair()
    distiller = Distiller(teacher, student, LogitsDistillation())
    x, _ = small_problem(n=10)
    np.testing.assert_array_equal(distiller(x).numpy(), student(x).numpy())
    np.testing.assert_array_equal(distiller.predict(x, verbose=0), student.predict(x, verbose=0))


def test_subclassed_models_distill_final_outputs():
    class Net(kerasx.Model):
        def __init__(self, width, **kwargs):
            super().__init__(**kwargs)
            self.hidden = kerasx.layers.Dense(width, activation="relu")
            self.out = kerasx.layers.Dense(4)

        def call(self, x, training=None):
            return self.out(self.hidden(x))

    teacher, student = Net(12), Net(3)
    x, y = small_problem(n=32)
    teacher(x[:2])
    distiller = Distiller(teacher, student,
                          [LogitsDistillation(2.0), FeatureDistillation("mae")], [0.5, 2.0])
    distiller.compile(loss="sparse_categorical_crossentropy")
    before = [w.copy() for w in teacher.get_weights()]
    history = distiller.fit(x, y, epochs=2, batch_size=8, verbose=0).history
    assert np.all(np.isfinite(history["total_loss"]))
    for b, a in zip(before, teacher.get_weights()):
        np.testing.assert_array_equal(a, b)
    with pytest.raises(ValueError, match="subclassed"):
        Distiller(teacher, student, FeatureDistillation(teacher_layer_name="dense"))


def test_a_single_loss_takes_weight_one_and_a_list_its_weights():
    teacher, student = _pair()
    single = Distiller(teacher, student, LogitsDistillation(), distillation_loss_weights=[5.0])
    assert single.distillation_loss_weights == [1.0]
    assert isinstance(single.distillation_losses, list)
    pair = Distiller(teacher, student, [LogitsDistillation(), FeatureDistillation()])
    assert pair.distillation_loss_weights == [1.0, 1.0]
    assert pair.student_loss_weight == 0.5 and pair.name == "distiller"


def test_distillation_loss_weights_and_student_weight_combine_as_documented():
    teacher, student = _pair()
    x, y = small_problem(n=8)
    logits, feature = LogitsDistillation(2.0), FeatureDistillation("mae")
    distiller = Distiller(teacher, student, [logits, feature], [0.25, 3.0],
                          student_loss_weight=0.3)
    distiller.compile(loss="sparse_categorical_crossentropy")
    logs = distiller.test_on_batch(x, y, return_dict=True)
    t, s = teacher(x), student(x)
    distill = 0.25 * logits.compute_loss(t, s).numpy() + 3.0 * feature.compute_loss(t, s).numpy()
    student_loss = np.mean(kerasx.losses.sparse_categorical_crossentropy(y, s).numpy())
    np.testing.assert_allclose(logs["distillation_loss"], distill, rtol=1e-5)
    np.testing.assert_allclose(logs["student_loss"], student_loss, rtol=1e-5)
    np.testing.assert_allclose(logs["loss"], 0.3 * student_loss + 0.7 * distill, rtol=1e-5)


def test_custom_distillation_loss():
    class MeanGap(kerasx.distillation.DistillationLoss):
        def compute_loss(self, teacher_outputs, student_outputs, **kwargs):
            return kerasx.ops.abs(kerasx.ops.mean(teacher_outputs)
                                  - kerasx.ops.mean(student_outputs))

    class PerSample(kerasx.distillation.DistillationLoss):
        def compute_loss(self, teacher_outputs, student_outputs, **kwargs):
            return kerasx.ops.mean(teacher_outputs - student_outputs, axis=-1)

    teacher, student = _pair()
    x, y = small_problem(n=8)
    distiller = Distiller(teacher, student, MeanGap(), student_loss_weight=0.0)
    distiller.compile(loss="sparse_categorical_crossentropy")
    logs = distiller.test_on_batch(x, y, return_dict=True)
    gap = abs(teacher(x).numpy().mean() - student(x).numpy().mean())
    np.testing.assert_allclose(logs["total_loss"], gap, rtol=1e-5)
    distiller = Distiller(teacher, student, PerSample())
    distiller.compile(loss="sparse_categorical_crossentropy")
    with pytest.raises(ValueError, match="non-scalar|must return a scalar"):
        distiller.test_on_batch(x, y)


@pytest.mark.parametrize("make, match", [
    (lambda t, s: Distiller("teacher", s, LogitsDistillation()), "teacher must be a keras Model"),
    (lambda t, s: Distiller(t, 3, LogitsDistillation()), "student must be a keras Model"),
    (lambda t, s: Distiller(t, s, None), "cannot be None"),
    (lambda t, s: Distiller(t, s, LogitsDistillation(), student_loss_weight=1.5),
     "between 0.0 and 1.0"),
    (lambda t, s: Distiller(t, s, LogitsDistillation(), student_loss_weight=-0.1),
     "between 0.0 and 1.0"),
    (lambda t, s: Distiller(t, s, LogitsDistillation(), student_loss_weight="0.5"),
     "must be a number"),
    (lambda t, s: Distiller(t, s, [LogitsDistillation(), FeatureDistillation()], [1.0]),
     "1 weights but there are 2"),
    (lambda t, s: Distiller(t, s, FeatureDistillation(teacher_layer_name="missing")),
     "In teacher model: No such layer: 'missing'"),
    (lambda t, s: Distiller(t, s, FeatureDistillation(student_layer_name="missing")),
     "In student model: No such layer: 'missing'"),
    (lambda t, s: Distiller(t, _other_input(), LogitsDistillation()),
     "input shapes are incompatible"),
    (lambda t, s: Distiller(t, functional("s", [6, 3]), LogitsDistillation()),
     "output shapes are incompatible"),
    (lambda t, s: Distiller(t, functional("s", [6, 4], dtype="float64"), LogitsDistillation()),
     "dtypes must match"),
    (lambda t, s: Distiller(t, _rank3_input(), LogitsDistillation()), "different ranks"),
])
def test_bad_arguments_are_explained(make, match):
    teacher, student = _pair()
    with pytest.raises(ValueError, match=match):
        make(teacher, student)


def _other_input():
    inputs = kerasx.Input((7,))
    return kerasx.Model(inputs, kerasx.layers.Dense(4)(inputs))


def _rank3_input():
    inputs = kerasx.Input((3, 5))
    return kerasx.Model(inputs, kerasx.layers.Dense(4)(kerasx.layers.Flatten()(inputs)))


def test_compile_checks_its_arguments():
    teacher, student = _pair()
    distiller = Distiller(teacher, student, LogitsDistillation())
    with pytest.raises(ValueError, match="'loss' cannot be None"):
        distiller.compile(optimizer="adam")
    with pytest.raises(ValueError, match="metrics must be a list or tuple"):
        distiller.compile(loss="mse", metrics="accuracy")
    distiller.compile(loss="sparse_categorical_crossentropy")
    assert distiller.optimizer.__class__.__name__ == "Adam"


def test_config_round_trip():
    teacher, student = _pair()
    distiller = Distiller(teacher, student,
                          [LogitsDistillation(4.0, kerasx.losses.KLDivergence()),
                           FeatureDistillation(["cosine_similarity"], "dense_1", "dense_0")],
                          [0.6, 0.4], student_loss_weight=0.2, name="kd")
    config = distiller.get_config()
    assert config["distillation_loss_weights"] == [0.6, 0.4]
    assert config["student_loss_weight"] == 0.2 and config["name"] == "kd"
    assert [c["class_name"] for c in config["distillation_losses"]] == [
        "LogitsDistillation", "FeatureDistillation"]
    again = Distiller.from_config(config)
    assert again.get_config() == config
    assert not again.teacher.trainable
    x, _ = small_problem(n=6)
    assert again(x).shape == (6, 4)


def test_save_and_load_keeps_weights_losses_and_compile(tmp_path):
    teacher, student = _pair()
    distiller = Distiller(teacher, student,
                          [LogitsDistillation(2.0), FeatureDistillation("mse", "dense_1",
                                                                       "dense_0")],
                          [0.7, 0.3], student_loss_weight=0.4)
    distiller.compile(optimizer="adam", loss="sparse_categorical_crossentropy",
                      metrics=["accuracy"])
    x, y = small_problem(n=32)
    distiller.fit(x, y, epochs=1, batch_size=8, verbose=0)
    path = tmp_path / "distiller.keras"
    distiller.save(path)
    loaded = kerasx.saving.load_model(path, custom_objects={"Distiller": Distiller})
    assert isinstance(loaded, Distiller)
    assert loaded.get_config() == distiller.get_config()
    for a, b in zip(loaded.get_weights(), distiller.get_weights()):
        np.testing.assert_array_equal(a, b)
    assert loaded.evaluate(x, y, verbose=0) == distiller.evaluate(x, y, verbose=0)
    loaded.fit(x, y, epochs=1, batch_size=8, verbose=0, shuffle=False)
    distiller.fit(x, y, epochs=1, batch_size=8, verbose=0, shuffle=False)
    for a, b in zip(loaded.student.get_weights(), distiller.student.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7)
