"""More patterns from the keras.io generative and keras_recipes examples and the developer
guides that once behaved differently from Keras 3.

Each test is a small program of its own reproducing what one example or guide does (a
DCGAN stepping two optimizers of its own, a model with dict outputs and a dict of losses,
metrics of several outputs read back from `evaluate`, a KID metric keeping its state in a
`Mean`, a custom step returning every metric's result), checked against what Keras 3 does
with the same code.
"""

import numpy as np
import pytest

import kerasx as keras
from kerasx import layers, ops
from tests.conftest import to_numpy


# -- dcgan_overriding_train_step: the compiled optimizer is built though a GAN never uses it ----

class _TwoOptimizerGAN(keras.Model):
    def __init__(self):
        super().__init__()
        self.discriminator = keras.Sequential([keras.Input((4,)), layers.Dense(1)])
        self.generator = keras.Sequential([keras.Input((2,)), layers.Dense(4)])

    def compile(self, d_optimizer, g_optimizer):
        super().compile()
        self.d_optimizer, self.g_optimizer = d_optimizer, g_optimizer

    def train_step(self, real):
        with keras.GradientTape() as tape:
            loss = ops.mean(self.discriminator(real) ** 2)
        grads = tape.gradient(loss, self.discriminator.trainable_weights)
        self.d_optimizer.apply_gradients(zip(grads, self.discriminator.trainable_weights))
        return {"d_loss": loss}


def test_fit_builds_the_compiled_optimizer_of_a_gan_stepping_its_own(capsys):
    gan = _TwoOptimizerGAN()
    gan.compile(keras.optimizers.Adam(), keras.optimizers.Adam())
    gan.fit(np.ones((4, 4), "float32"), batch_size=2, verbose=0)
    # compile()'s default RMSprop: one velocity per weight, plus iterations and learning rate
    assert gan.optimizer.built and len(gan.optimizer.variables) == 4 + 2
    gan.summary()
    assert "Optimizer params: 19 (76.00 B)" in capsys.readouterr().out


@pytest.mark.parametrize("run", ["evaluate", "test_on_batch"])
def test_evaluating_builds_the_optimizer_as_keras(run):
    model = keras.Sequential([keras.Input((3,)), layers.Dense(2, name="dense")],
                             name="sequential")
    model.compile("adam", "mse")
    getattr(model, run)(np.ones((4, 3), "float32"), np.ones((4, 2), "float32"), **(
        {"verbose": 0} if run == "evaluate" else {}))
    assert model.optimizer.built
    assert [v.name for v in model.optimizer.variables] == [
        "iteration", "learning_rate", "sequential_dense_kernel_momentum",
        "sequential_dense_kernel_velocity", "sequential_dense_bias_momentum",
        "sequential_dense_bias_velocity"]


def test_an_unbuilt_subclassed_model_builds_its_optimizer_after_evaluating():
    class Net(keras.Model):
        def __init__(self):
            super().__init__()
            self.dense = layers.Dense(2)

        def call(self, x):
            return self.dense(x)

    model = Net()
    model.compile("sgd", "mse")
    model.evaluate(np.ones((4, 3), "float32"), np.ones((4, 2), "float32"), verbose=0)
    assert model.optimizer.built
    model.fit(np.ones((4, 3), "float32"), np.ones((4, 2), "float32"), verbose=0)


# -- functional_api: a model with dict outputs ---------------------------------------------------

def _dict_output_model():
    x = keras.Input((3,), name="x")
    return keras.Model(x, {"zeta": layers.Dense(1, name="zz")(x),
                           "alpha": layers.Dense(2, name="aa")(x)})


def test_per_output_losses_follow_the_order_of_the_loss_dict():
    model = _dict_output_model()
    model.compile("sgd", {"zeta": "mse", "alpha": "mae"})
    x = np.ones((2, 3), "float32")
    y = {"zeta": np.zeros((2, 1), "float32"), "alpha": np.zeros((2, 2), "float32")}
    loss, zeta_loss, alpha_loss = model.evaluate(x, y, verbose=0)
    assert model.metrics_names == ["loss", "zeta_loss", "alpha_loss"]
    out = model.predict(x, verbose=0)
    assert zeta_loss == pytest.approx(float(np.mean(out["zeta"] ** 2)), rel=1e-5)
    assert alpha_loss == pytest.approx(float(np.mean(np.abs(out["alpha"]))), rel=1e-5)
    assert loss == pytest.approx(zeta_loss + alpha_loss, rel=1e-5)


def test_losses_given_as_a_list_or_one_loss_follow_the_sorted_output_names():
    model = _dict_output_model()
    model.compile("sgd", "mse")
    model.evaluate(np.ones((2, 3), "float32"),
                   {"zeta": np.zeros((2, 1)), "alpha": np.zeros((2, 2))}, verbose=0)
    assert model.metrics_names == ["loss", "alpha_loss", "zeta_loss"]


def test_predictions_of_dict_outputs_come_back_with_sorted_keys():
    model = _dict_output_model()
    x = np.ones((2, 3), "float32")
    assert list(model(x)) == ["zeta", "alpha"]
    assert list(model.predict(x, verbose=0)) == ["alpha", "zeta"]
    assert list(model.predict_on_batch(x)) == ["alpha", "zeta"]


def test_output_names_of_dict_outputs_are_the_layer_names_in_sorted_key_order():
    x = keras.Input((3,))
    model = keras.Model(x, {"b": layers.Dense(1, name="d1")(x), "a": layers.Dense(1, name="d0")(x)})
    assert model.output_names == ["d0", "d1"]


# -- training_with_built_in_methods: metrics of a model with several outputs -----------------------

def _two_output_model():
    x = keras.Input((3,))
    return keras.Model(x, [layers.Dense(1, name="score")(x), layers.Dense(2, name="cls")(x)])


def test_compiled_metric_objects_keep_their_names_and_log_under_output_prefixes():
    model = _two_output_model()
    mae = keras.metrics.MeanAbsoluteError()
    model.compile("sgd", ["mse", "mse"], metrics=[[mae], ["mae"]])
    logs = model.evaluate(np.ones((4, 3), "float32"), [np.ones((4, 1)), np.ones((4, 2))],
                          verbose=0, return_dict=True)
    assert mae.name == "mean_absolute_error"
    assert sorted(logs) == ["cls_loss", "cls_mae", "loss", "score_loss",
                            "score_mean_absolute_error"]


def test_evaluate_lists_the_losses_then_the_prefixed_metrics_in_sorted_order():
    model = _two_output_model()
    model.compile("sgd", ["mse", "mse"],
                  metrics=[[keras.metrics.MeanAbsolutePercentageError(), "mae"], ["mae"]])
    x, y = np.ones((4, 3), "float32"), [np.ones((4, 1)), np.ones((4, 2))]
    values = model.evaluate(x, y, verbose=0)
    logs = model.evaluate(x, y, verbose=0, return_dict=True)
    order = ["loss", "score_loss", "cls_loss", "cls_mae", "score_mae",
             "score_mean_absolute_percentage_error"]
    assert values == pytest.approx([logs[k] for k in order])


def test_repeated_metric_names_are_listed_as_keras_lists_them():
    model = keras.Sequential([keras.Input((3,)), layers.Dense(2)])
    model.compile("sgd", "mse", metrics=["mae", "mae"], weighted_metrics=["mae"])
    x, y = np.ones((4, 3), "float32"), np.ones((4, 2), "float32")
    logs = model.evaluate(x, y, verbose=0, return_dict=True)
    values = model.evaluate(x, y, verbose=0)
    # Keras 3.15.1 lists six values: each metric's own name looks up the first "mae", then
    # the renamed entries follow in sorted order
    keys = ["loss", "mae", "mae", "mae", "mae_1", "weighted_mae"]
    assert values == pytest.approx([logs[k] for k in keys])


# -- gan_ada / ddim: a KID metric keeping its state in a Mean held as an attribute --------------------

class _KID(keras.metrics.Metric):
    def __init__(self, name="kid", **kwargs):
        super().__init__(name=name, **kwargs)
        self.kid_tracker = keras.metrics.Mean(name="kid_tracker")

    def update_state(self, real, generated, sample_weight=None):
        self.kid_tracker.update_state(ops.mean(ops.square(real - generated)))

    def result(self):
        return self.kid_tracker.result()

    def reset_state(self):
        self.kid_tracker.reset_state()


def test_a_metric_held_by_a_metric_is_part_of_its_state():
    kid = _KID()
    assert [v.path for v in kid.variables] == ["kid_tracker/total", "kid_tracker/count"]
    kid.update_state(np.ones((2, 3), "float32"), np.zeros((2, 3), "float32"))
    assert float(kid.result()) == 1.0
    values = kid.stateless_reset_state()
    assert [float(to_numpy(v)) for v in values] == [0.0, 0.0]


def test_variables_held_as_attributes_are_metric_state_once():
    class Counter(keras.metrics.Metric):
        def __init__(self):
            super().__init__(name="counter")
            self.count = self.add_variable((), initializer="zeros", name="count")
            self.extra = keras.Variable(3.0, name="extra", trainable=False)

        def update_state(self, *args):
            self.count.assign_add(1.0)

        def result(self):
            return self.count + self.extra

    counter = Counter()
    assert [v.name for v in counter.variables] == ["count", "extra"]
    counter.update_state()
    counter.reset_state()
    assert float(counter.result()) == 0.0


# -- customizing_what_happens_in_fit: a step returning {m.name: m.result() for m in self.metrics} --

class _StepReturningMetrics(keras.Model):
    def train_step(self, data):
        x, y = data
        with keras.GradientTape() as tape:
            y_pred = self(x, training=True)
            loss = self.compute_loss(y=y, y_pred=y_pred)
        grads = tape.gradient(loss, self.trainable_variables)
        self.optimizer.apply_gradients(zip(grads, self.trainable_variables))
        for metric in self.metrics:
            if metric.name == "loss":
                metric.update_state(loss)
            else:
                metric.update_state(y, y_pred)
        return {m.name: m.result() for m in self.metrics}


def test_logs_of_nested_compiled_metrics_sit_where_keras_sorts_their_parent(capsys):
    x = keras.Input((4,))
    model = _StepReturningMetrics(x, layers.Dense(1)(x))
    model.compile(optimizer="adam", loss="mse", metrics=["mae"])
    data = np.ones((8, 4), "float32"), np.ones((8, 1), "float32")
    history = model.fit(*data, batch_size=4, verbose=2)
    # "compile_metrics" (holding mae) sorts before "loss", as Keras flattens the logs
    assert list(history.history) == ["mae", "loss"]
    assert capsys.readouterr().out.split("step - ")[1].startswith("mae: ")
    assert list(model.evaluate(*data, verbose=0, return_dict=True)) == ["loss", "mae"]


# -- gan_ada: an augmenter Sequential starting with InputLayer(input_shape=...) --------------------

def test_input_layer_takes_input_shape_with_keras_deprecation_warning():
    with pytest.warns(UserWarning, match="Argument `input_shape` is deprecated. Use `shape`"):
        layer = layers.InputLayer(input_shape=(8, 8, 3))
    assert layer.batch_shape == (None, 8, 8, 3)
    model = keras.Sequential([layer, layers.RandomFlip("horizontal")])
    assert model.output_shape == (None, 8, 8, 3)
