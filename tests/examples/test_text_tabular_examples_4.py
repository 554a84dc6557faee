"""A fourth set of patterns from the keras.io NLP, structured-data, timeseries and recipe
examples that once behaved differently from Keras 3.

Each test is a small program of its own reproducing one pattern of an example (second-order
gradients of a list of gradients, a nested functional model called twice and saved, a
float16 attention mask, a shape bug found by calling a layer on test data), checked against
what Keras 3 does with the same code.
"""

import os
import warnings

import numpy as np
import pytest

import kerasx as keras
from kerasx import layers, ops
from kerasx.backends import current
from tests.conftest import to_numpy

_NEEDS_FLOAT16 = pytest.mark.skipif(not hasattr(current().xp, "float16"),
                                    reason="the backend has no float16")


# -- debugging_tips: differentiating a list of gradients -------------------------------------

def _tanh_sum_problem():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(5, 3))
    w = rng.normal(size=(3,)) * 0.5
    return x, w


def test_the_gradient_of_a_list_of_targets_is_the_gradient_of_their_sum():
    """The example's `tape2.gradient(dl_dw, trainable_vars)` differentiates a list of
    gradients: TensorFlow's tapes (whose API kerasx's follows) sum a list of targets."""
    x, w0 = _tanh_sum_problem()
    w = keras.Variable(w0, dtype="float64")
    with keras.GradientTape() as outer:
        with keras.GradientTape() as inner:
            loss = ops.sum(ops.tanh(ops.matmul(ops.convert_to_tensor(x), w)))
        (dl_dw,) = inner.gradient(loss, [w])
        halves = [dl_dw[:2], dl_dw[2:]]
    d2 = outer.gradient(halves, w)
    # closed form: d/dw_k sum_j sum_i x_ij (1 - t_i^2) = sum_i (sum_j x_ij) (-2 t_i (1 - t_i^2)) x_ik
    t = np.tanh(x @ w0)
    expected = ((x.sum(axis=1) * -2 * t * (1 - t ** 2))[:, None] * x).sum(axis=0)
    np.testing.assert_allclose(to_numpy(d2), expected, rtol=1e-10)


def test_a_list_target_takes_one_output_gradient_per_target_and_skips_none():
    a = keras.Variable(np.array([1.0, 2.0]), dtype="float64")
    with keras.GradientTape(persistent=True) as tape:
        y1, y2 = a * 3.0, a * a
    g = tape.gradient([y1, None, y2], a)
    np.testing.assert_allclose(to_numpy(g), 3.0 + 2 * np.array([1.0, 2.0]))
    seeds = [ops.convert_to_tensor(np.array(s)) for s in ([1.0, 0.0], [0.5, 0.5])]
    g = tape.gradient({"first": y1, "second": y2}, a,
                      output_gradients={"first": seeds[0], "second": seeds[1]})
    np.testing.assert_allclose(to_numpy(g), [3.0 + 1.0, 0.0 + 2.0])
    with pytest.raises(ValueError, match="2 targets but 1 output_gradients"):
        tape.gradient([y1, y2], a, output_gradients=[seeds[0]])


def test_the_examples_second_order_train_step_runs_in_fit():
    """The example's `MyModel.train_step` (normalized first- and second-order gradients)
    trained in `fit` moves the weights as the same step taken by hand."""

    def step(model, inputs, targets):
        tv = model.trainable_variables
        with keras.GradientTape() as tape2:
            with keras.GradientTape() as tape1:
                preds = model(inputs, training=True)
                loss = ops.mean(keras.losses.sparse_categorical_crossentropy(targets, preds))
            dl_dw = tape1.gradient(loss, tv)
        d2l_dw2 = tape2.gradient(dl_dw, tv)
        dl_dw = [ops.divide(g, ops.norm(ops.reshape(g, (-1,)))) for g in dl_dw]
        d2l_dw2 = [ops.divide(g, ops.norm(ops.reshape(g, (-1,)))) for g in d2l_dw2]
        return [ops.add(ops.multiply(0.5, a), ops.multiply(0.5, b))
                for a, b in zip(d2l_dw2, dl_dw)], preds

    class MyModel(keras.Model):
        def train_step(self, data):
            inputs, targets = data
            grads, preds = step(self, inputs, targets)
            self.optimizer.apply_gradients(zip(grads, self.trainable_variables))
            self.compiled_metrics.update_state(targets, preds)
            return {m.name: m.result() for m in self.metrics}

    def make(cls):
        inputs = keras.Input((4,))
        hidden = layers.Dense(5, activation="relu", kernel_initializer="ones")(inputs)
        return cls(inputs, layers.Dense(3, activation="softmax",
                                        kernel_initializer="glorot_uniform")(hidden))

    rng = np.random.default_rng(1)
    x, y = rng.normal(size=(8, 4)).astype("float32"), rng.integers(0, 3, 8)
    model, by_hand = make(MyModel), make(keras.Model)
    by_hand.set_weights(model.get_weights())
    model.compile(optimizer=keras.optimizers.SGD(0.1), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # compiled_loss / compiled_metrics are deprecated
        model.fit(x, y, batch_size=8, epochs=1, verbose=0)
    grads, _ = step(by_hand, x, y)
    for variable, g in zip(by_hand.trainable_variables, grads):
        variable.assign(ops.subtract(variable, ops.multiply(0.1, g)))
    for a, b in zip(model.get_weights(), by_hand.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


# -- debugging_tips: a product of mismatched shapes says so ------------------------------------

class _MyAntirectifier(layers.Layer):
    """The example's buggy layer: the halves are concatenated along the batch axis."""

    def build(self, input_shape):
        d = input_shape[-1]
        self.kernel = self.add_weight(shape=(d * 2, d), initializer="he_normal", name="kernel")

    def call(self, inputs):
        both = ops.concatenate([ops.relu(inputs), ops.relu(-inputs)], axis=0)
        return ops.matmul(both, self.kernel)


def test_a_product_of_mismatched_shapes_names_the_axes_and_shapes():
    with pytest.raises(ValueError, match=r"differ: 5 and 10 \(received shapes \(4, 5\) and "
                                         r"\(10, 5\)\)"):
        _MyAntirectifier()(np.ones((2, 5), "float32"))
    with pytest.raises(ValueError, match=r"cannot be called .*differ: 5 and 10"):
        _MyAntirectifier()(keras.Input((5,)))
    with pytest.raises(ValueError, match=r"leading \(batch\) axes .* \(2,\) and \(3,\)"):
        ops.matmul(np.ones((2, 3, 4), "float32"), np.ones((3, 4, 6), "float32"))


# -- eikonal: a nested functional model called twice, saved ------------------------------------

def _reciprocal_model():
    """The example's traveltime model, reduced: a functional model built on the outer
    model's own Inputs, called on them in both orders."""
    src, rcv = layers.Input((2,), name="src"), layers.Input((2,), name="rcv")
    both = layers.Concatenate(name="both")([src, rcv])
    inner = keras.Model([src, rcv], layers.Dense(1, name="time")(both), name="no_reciprocity")
    forward, backward = inner([src, rcv]), inner([rcv, src])
    mean = layers.Average(name="reciprocity")([forward, backward])
    return keras.Model([src, rcv], [mean, backward], name="traveltime")


def _history(config, layer_name):
    entry = next(c for c in config["layers"] if c["name"] == layer_name)
    return [t["config"]["keras_history"] for t in entry["inbound_nodes"][0]["args"][0]]


def test_calls_of_a_nested_functional_model_are_counted_from_zero_in_configs():
    model = _reciprocal_model()
    config = model.get_config()
    # Keras 3.15.1: the layer calls count the nested model's calls from 0, while
    # `output_layers` keeps Keras 2's count, which starts at the model's own node
    assert _history(config, "reciprocity") == [["no_reciprocity", 0, 0],
                                               ["no_reciprocity", 1, 0]]
    assert config["output_layers"] == [["reciprocity", 0, 0], ["no_reciprocity", 2, 0]]


def test_a_nested_functional_model_called_twice_reloads_wired_as_saved(tmp_path):
    model = _reciprocal_model()
    rng = np.random.default_rng(0)
    x = [rng.normal(size=(3, 2)).astype("float32") for _ in range(2)]
    expected = model.predict(x, verbose=0)
    path = os.path.join(tmp_path, "traveltime.keras")
    model.save(path)
    loaded = keras.models.load_model(path)
    for got, want in zip(loaded.predict(x, verbose=0), expected):
        np.testing.assert_allclose(got, want, rtol=1e-6)
    assert not np.allclose(expected[0], expected[1])  # the two calls are told apart


def _ref(layer, node=0):
    return {"class_name": "__keras_tensor__", "config": {"keras_history": [layer, node, 0]}}


def _entry(class_name, config, calls=(), module="keras.layers"):
    return {"module": module, "class_name": class_name, "config": config,
            "name": config["name"], "inbound_nodes": list(calls)}


def _keras_reciprocal_config():
    """`_reciprocal_model().get_config()` as Keras 3.15.1 writes it (initializers, dtypes
    and build configs left out)."""
    inputs = [_entry("InputLayer", {"batch_shape": [None, 2], "name": n}) for n in ("src", "rcv")]
    inner = {"name": "no_reciprocity", "layers": inputs + [
        _entry("Concatenate", {"name": "both", "axis": -1},
               [{"args": [[_ref("src"), _ref("rcv")]], "kwargs": {}}]),
        _entry("Dense", {"name": "time", "units": 1},
               [{"args": [_ref("both")], "kwargs": {}}]),
    ], "input_layers": [["src", 0, 0], ["rcv", 0, 0]], "output_layers": ["time", 0, 0]}
    calls = [{"args": [[_ref(a), _ref(b)]], "kwargs": {"mask": [None, None]}}
             for a, b in (("src", "rcv"), ("rcv", "src"))]
    return {"name": "traveltime", "layers": inputs + [
        _entry("Functional", inner, calls, module="keras.src.models.functional"),
        _entry("Average", {"name": "reciprocity"},
               [{"args": [[_ref("no_reciprocity", 0), _ref("no_reciprocity", 1)]],
                 "kwargs": {}}]),
    ], "input_layers": [["src", 0, 0], ["rcv", 0, 0]],
        "output_layers": [["reciprocity", 0, 0], ["no_reciprocity", 2, 0]]}


def test_a_keras_config_calling_a_nested_model_twice_loads_wired_as_written():
    model = keras.Model.from_config(_keras_reciprocal_config())
    kernel, bias = model.get_layer("no_reciprocity").get_weights()
    rng = np.random.default_rng(0)
    src, rcv = (rng.normal(size=(3, 2)).astype("float32") for _ in range(2))
    forward = np.concatenate([src, rcv], axis=1) @ kernel + bias
    backward = np.concatenate([rcv, src], axis=1) @ kernel + bias
    mean, second = model.predict([src, rcv], verbose=0)
    np.testing.assert_allclose(mean, (forward + backward) / 2, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(second, backward, rtol=1e-5, atol=1e-6)


def test_configs_of_earlier_versions_counting_nested_calls_from_one_still_load():
    model = _reciprocal_model()
    config = model.get_config()
    entry = next(c for c in config["layers"] if c["name"] == "reciprocity")
    for tensor in entry["inbound_nodes"][0]["args"][0]:
        tensor["config"]["keras_history"][1] += 1
    rebuilt = keras.Model.from_config(config)
    rebuilt.set_weights(model.get_weights())
    x = [np.ones((2, 2), "float32"), np.zeros((2, 2), "float32")]
    for got, want in zip(rebuilt.predict(x, verbose=0), model.predict(x, verbose=0)):
        np.testing.assert_allclose(got, want, rtol=1e-6)


# -- text_generation_transformer_decoder: masks under a float16 policy --------------------------

@_NEEDS_FLOAT16
def test_a_masked_softmax_in_float16_neither_overflows_nor_returns_nan():
    """Masked logits take -3e4 in float16 as in Keras (-1e9 rounds to -inf)."""
    x = np.array([[1.0, 2.0, 3.0], [0.5, -1.0, 2.0]], "float16")
    mask = np.array([[True, False, True], [False, False, False]])
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        out = to_numpy(layers.Softmax(dtype="float16")(x, mask=mask)).astype("float64")
    kept = np.exp([1.0, 3.0]) / np.exp([1.0, 3.0]).sum()
    np.testing.assert_allclose(out, [[kept[0], 0.0, kept[1]], [0.0, 0.0, 0.0]], atol=1e-3)


@_NEEDS_FLOAT16
def test_attention_in_float16_over_fully_masked_keys_stays_finite():
    rng = np.random.default_rng(0)
    q = rng.normal(size=(1, 3, 4)).astype("float16")
    none_kept = np.zeros((1, 3), bool)
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        _, scores = layers.Attention(dtype="float16")(
            [q, q], mask=[None, none_kept], return_attention_scores=True)
        mha = layers.MultiHeadAttention(2, 2, dtype="float16")
        out = mha(q, q, attention_mask=np.array([[[0, 0, 0], [1, 1, 0], [1, 0, 0]]], bool))
    # Keras 3.15.1's Attention subtracts 65000 in float16: a fully masked row is uniform
    np.testing.assert_allclose(to_numpy(scores).astype("float64"), np.full((1, 3, 3), 1 / 3),
                               atol=1e-3)
    assert np.isfinite(to_numpy(out).astype("float64")).all()


# -- feature_preprocessing_layer: a model on an intermediate tensor, tensor names -------------

def _summary_text(model):
    lines = []
    model.summary(print_fn=lambda line, **kwargs: lines.append(line), line_length=100)
    return "\n".join(lines)


def test_a_chain_built_on_an_intermediate_tensor_has_no_connected_to_column():
    """The example trains `Model(inputs=preprocessed_inputs, outputs=...)`: Keras 3.15.1
    prints that chain as a plain table, as any chain of single calls."""
    inputs = keras.Input((3,))
    hidden = layers.Dense(4)(inputs)
    head = keras.Model(hidden, layers.Dense(1)(layers.Dense(2)(hidden)))
    assert head.layers[0].name.endswith("CLONE")
    assert "Connected to" not in _summary_text(head)
    branched = keras.Model(hidden, layers.Add()([layers.Dense(4)(hidden), hidden]))
    assert "Connected to" in _summary_text(branched)


def test_layers_built_by_tracing_take_tensor_names_as_in_keras():
    """Keras builds a layer without its own `build` whose sublayers are unbuilt by tracing
    its `call`, which names one tensor per output before the call's own outputs; a
    subclassed model's placeholder inputs take no names."""

    class WithSublayer(layers.Layer):
        def __init__(self):
            super().__init__()
            self.dense = layers.Dense(2)

        def call(self, x):
            return self.dense(x)

    class Plain(layers.Layer):
        def call(self, x):
            return x * 2

    class TwoOutputs(WithSublayer):
        def call(self, x):
            return self.dense(x), self.dense(x)

    class Sub(keras.Model):
        def __init__(self):
            super().__init__()
            self.dense = layers.Dense(2)

        def call(self, x):
            return self.dense(x), self.dense(x) * 2

    class OwnBuild(Sub):
        def build(self, shape):
            self.dense.build(shape)

        def call(self, x):
            return self.dense(x)

    keras.backend.clear_session()
    x = keras.Input((3,), name="x")
    names = [WithSublayer()(x).name, Plain()(x).name, TwoOutputs()(x)[1].name,
             Sub()(x)[1].name, OwnBuild()(x).name, keras.Input((1,)).name]
    # Keras 3.15.1, in a fresh session
    assert names == ["keras_tensor_1", "keras_tensor_2", "keras_tensor_6", "keras_tensor_10",
                     "keras_tensor_11", "keras_tensor_12"]
    before = keras.Input((1,))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        Sub().build((None, 3))
    after = keras.Input((1,))
    assert int(after.name.rpartition("_")[2]) == int(before.name.rpartition("_")[2]) + 1


def test_expanded_summary_shows_the_top_level_calls_of_layers_shared_with_a_nested_model():
    """In the eikonal example the coordinate concatenations belong to the traveltime model
    and to the nested model built on the same Inputs: Keras 3.15.1's expanded summary
    lists their calls in the top graph on the nested rows too, and "-" for the others."""
    src = [keras.Input((1,), name=f"s{i}") for i in range(2)]
    rcv = [keras.Input((1,), name=f"r{i}") for i in range(2)]
    sc = layers.Concatenate(name="sc")(src)
    rc = layers.Concatenate(name="rc")(rcv)
    hidden = layers.Dense(3, name="hidden")(layers.Concatenate(name="sr")([sc, rc]))
    inner = keras.Model(src + rcv, layers.Dense(1, name="time")(hidden), name="inner")
    mean = layers.Average(name="avg")([inner(src + rcv), inner(rcv + src)])
    model = keras.Model(src + rcv, layers.Multiply(name="mul")(
        [mean, layers.Subtract(name="diff")([rc, sc])]))
    printed = []
    model.summary(print_fn=lambda text, **kwargs: printed.append(text), line_length=120,
                  expand_nested=True)
    lines = "\n".join(printed).splitlines()
    nested_sc = next(line for line in lines if "└ sc (Concatenate)" in line)
    assert "s0[0][0], s1[0][0]" in nested_sc
    nested_hidden = next(line for line in lines if "└ hidden (Dense)" in line)
    assert nested_hidden.rstrip(" │").endswith("-")
