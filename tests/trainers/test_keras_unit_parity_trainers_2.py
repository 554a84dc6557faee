"""Compiled losses and metrics as Keras 3.15.1 reads them (its trainers / models unit tests):
log names of subclassed models returning lists, losses given as structures ("struct
losses": several losses for one output, a loss over a part of the output structure,
namedtuples, nested weights), metrics of nested outputs, and labels with one column
broadcast over several output units."""

from collections import namedtuple

import numpy as np
import pytest

import kerasx as keras
from kerasx import layers, losses, ops, tree
from kerasx.backends import current

X = np.ones((4, 3), "float32")
Y1, Y2 = np.zeros((4, 2), "float32"), np.ones((4, 2), "float32")
T1 = np.array([[0.1, 0.2], [0.3, 0.4], [0.5, 0.6]], "float32")
T2 = T1 + 0.6
P1 = np.array([[1.2, 1.1], [1.0, 0.9], [0.8, 0.7]], "float32")
P2 = P1 - 0.6


def _np(x):
    return current().to_numpy(getattr(x, "value", x))


def _mse(t, p):
    return float(np.mean((np.asarray(t, "float64") - p) ** 2))


def _mae(t, p):
    return float(np.mean(np.abs(np.asarray(t, "float64") - p)))


class _TwoHeads(keras.Model):
    """A subclassed model whose `call` returns a list: outputs 3.0 (ones kernel on
    ones) and 0.0 (zeros kernel)."""

    def __init__(self):
        super().__init__()
        self.d1 = layers.Dense(2, kernel_initializer="ones")
        self.d2 = layers.Dense(2, kernel_initializer="zeros")

    def call(self, x):
        return [self.d1(x), self.d2(x)]


def _evaluate(model, x, y):
    return model.evaluate(x, y, verbose=0, return_dict=True)


# -- 1. subclassed models returning lists ------------------------------------------------------------
def test_unnamed_outputs_log_losses_by_loss_name_and_metrics_unprefixed():
    model = _TwoHeads()
    model.compile(loss=["mse", "mse"], metrics=["mse", "mae"])
    logs = _evaluate(model, X, [Y1, Y2])
    # Keras 3.15.1 gives {'loss': 10.0, 'mae': 1.0, 'mse': 9.0, 'mse_loss': 1.0}: both
    # per-output means are named `mse_loss`, the second one's value wins in the logs
    assert sorted(logs) == ["loss", "mae", "mse", "mse_loss"]
    assert logs["mse"] == pytest.approx(_mse(Y1, 3.0))
    assert logs["mae"] == pytest.approx(_mae(Y2, 0.0))
    assert logs["mse_loss"] == pytest.approx(_mse(Y2, 0.0))
    assert logs["loss"] == pytest.approx(_mse(Y1, 3.0) + _mse(Y2, 0.0))
    assert model.metrics_names == ["loss", "compile_metrics", "mse_loss", "mse_loss"]


def test_unnamed_outputs_with_loss_objects_metric_lists_and_weighted_metrics():
    model = _TwoHeads()
    model.compile(loss=[losses.MeanSquaredError(), losses.MeanAbsoluteError()],
                  metrics=[["mse", "mae"], ["mse"]], weighted_metrics=["mse", "mae"])
    logs = _evaluate(model, X, [Y1, Y2])
    # Keras 3.15.1 gives {'loss': 10.0, 'mae': 3.0, 'mean_absolute_error_loss': 1.0,
    # 'mean_squared_error_loss': 9.0, 'mse': 9.0, 'mse_1': 1.0, 'weighted_mae': 1.0,
    # 'weighted_mse': 9.0}
    expected = {"loss": _mse(Y1, 3.0) + _mae(Y2, 0.0), "mae": _mae(Y1, 3.0),
                "mean_absolute_error_loss": _mae(Y2, 0.0),
                "mean_squared_error_loss": _mse(Y1, 3.0), "mse": _mse(Y1, 3.0),
                "mse_1": _mse(Y2, 0.0), "weighted_mae": _mae(Y2, 0.0),
                "weighted_mse": _mse(Y1, 3.0)}
    assert sorted(logs) == sorted(expected)
    for key, value in expected.items():
        assert logs[key] == pytest.approx(value), key


def test_unnamed_outputs_in_fit_history():
    model = _TwoHeads()
    model.compile(optimizer="sgd", loss=["mse", "mae"])
    history = model.fit(X, [Y1, Y2], verbose=0).history
    assert sorted(history) == ["loss", "mae_loss", "mse_loss"]  # as Keras 3.15.1


def test_custom_compute_loss_splitting_one_output_names_losses_by_loss():
    inputs = keras.Input((3,))
    outputs = layers.Dense(2, kernel_initializer="ones", name="head")(inputs)

    class Doubled(keras.Model):
        def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
            return super().compute_loss(x, y, [y_pred, y_pred], sample_weight, training)

    model = Doubled(inputs, outputs)
    model.compile(loss=["mean_squared_error", "mean_absolute_error"])
    logs = _evaluate(model, X, [Y1, Y2])
    # Keras 3.15.1 gives {'loss': 11.0, 'mean_absolute_error_loss': 2.0,
    # 'mean_squared_error_loss': 9.0}
    assert logs == pytest.approx({"loss": _mse(Y1, 3.0) + _mae(Y2, 3.0),
                                  "mean_absolute_error_loss": _mae(Y2, 3.0),
                                  "mean_squared_error_loss": _mse(Y1, 3.0)})


class _NestedDict(_TwoHeads):
    def call(self, x):
        return {"a": self.d1(x), "b": {"c": self.d2(x), "d": self.d1(x)}}


def test_unnamed_nested_outputs_log_metrics_unprefixed():
    model = _NestedDict()
    model.compile(loss="mse", metrics={"a": "mae", "b": {"c": "mae", "d": "mse"}})
    logs = _evaluate(model, X, {"a": Y1, "b": {"c": Y2, "d": Y1}})
    # Keras 3.15.1 gives {'a_loss': 9, 'b/c_loss': 1, 'b/d_loss': 9, 'loss': 19, 'mae': 3,
    # 'mae_1': 1, 'mse': 9}
    assert logs == pytest.approx({"a_loss": _mse(Y1, 3.0), "b/c_loss": _mse(Y2, 0.0),
                                  "b/d_loss": _mse(Y1, 3.0), "loss": 19.0, "mae": _mae(Y1, 3.0),
                                  "mae_1": _mae(Y2, 0.0), "mse": _mse(Y1, 3.0)})


# -- 2. struct losses --------------------------------------------------------------------------------
def _identity_model(structure):
    """A functional model whose outputs are its inputs, in `structure` (a tree of
    output names)."""
    names = tree.flatten(structure)
    inputs = [keras.Input((2,), name=f"in_{name}") for name in names]
    outs = [layers.Activation("linear", name=name)(i) for name, i in zip(names, inputs)]
    return keras.Model(inputs, tree.pack_sequence_as(structure, outs))


def _abs_sum(y_true, y_pred):
    """A loss over a structure of outputs: the per-sample mean absolute errors, summed."""
    return sum(ops.mean(ops.abs(t - p), axis=-1)
               for t, p in zip(tree.flatten(y_true), tree.flatten(y_pred)))


def test_several_losses_for_one_output_are_summed():
    model = _identity_model(["out_a", "out_b"])
    model.compile(loss=["mse", ["mse", "mae"]])
    logs = _evaluate(model, [P1, P2], [T1, T2])
    # Keras 3.15.1 gives {'loss': 1.5533, 'out_a_loss': 0.4767, 'out_b_loss': 0.6}: the
    # two means of out_b share a name, the last (mae) is logged
    assert sorted(logs) == ["loss", "out_a_loss", "out_b_loss"]
    assert logs["loss"] == pytest.approx(_mse(T1, P1) + _mse(T2, P2) + _mae(T2, P2), rel=1e-5)
    assert logs["out_a_loss"] == pytest.approx(_mse(T1, P1), rel=1e-5)
    assert logs["out_b_loss"] == pytest.approx(_mae(T2, P2), rel=1e-5)


def test_several_losses_per_output_with_nested_weights():
    model = _identity_model({"p": "out_a", "q": "out_b"})
    model.compile(loss={"p": "mse", "q": ["mse", "mae"]},
                  loss_weights={"p": 1.0, "q": [2.0, 3.0]})
    logs = _evaluate(model, [P1, P2], {"p": T1, "q": T2})
    # Keras 3.15.1 gives {'loss': 3.23, 'p_loss': 0.4767, 'q_loss': 0.6}
    assert sorted(logs) == ["loss", "p_loss", "q_loss"]
    expected = _mse(T1, P1) + 2.0 * _mse(T2, P2) + 3.0 * _mae(T2, P2)
    assert logs["loss"] == pytest.approx(expected, rel=1e-5)


def test_a_loss_over_the_whole_output_structure_beside_per_output_losses():
    model = _identity_model(("out_a", "out_b"))
    model.compile(loss=[_abs_sum, (losses.mean_squared_error, losses.mean_absolute_error)])
    logs = _evaluate(model, [P1, P2], (T1, T2))
    # Keras 3.15.1 gives {'loss': 2.2767, 'out_a_loss': 0.4767, 'out_a_out_b_loss': 1.2,
    # 'out_b_loss': 0.6}
    whole = _mae(T1, P1) + _mae(T2, P2)
    assert logs == pytest.approx({"loss": whole + _mse(T1, P1) + _mae(T2, P2),
                                  "out_a_loss": _mse(T1, P1), "out_a_out_b_loss": whole,
                                  "out_b_loss": _mae(T2, P2)}, rel=1e-5)


def test_a_dict_key_naming_a_part_of_the_outputs():
    model = _identity_model({"a": ("out_a", "out_b"), "b": "out_c"})
    model.compile(loss={"a": _abs_sum, "b": "mse"})
    logs = _evaluate(model, [P1, P2, P1], {"a": (T1, T2), "b": T1})
    # Keras 3.15.1 gives {'a_loss': 1.2, 'b_loss': 0.4767, 'loss': 1.6767}
    whole = _mae(T1, P1) + _mae(T2, P2)
    assert logs == pytest.approx({"a_loss": whole, "b_loss": _mse(T1, P1),
                                  "loss": whole + _mse(T1, P1)}, rel=1e-5)


def test_tuple_and_namedtuple_paths_inside_a_dict():
    Point = namedtuple("Point", ["x", "y"])
    for spec in (["mse", "mae"], Point("mse", "mae")):
        model = _identity_model({"a": Point("out_a", "out_b"), "b": "out_c"})
        model.compile(loss={"a": spec})
        logs = _evaluate(model, [P1, P2, P1], {"a": Point(T1, T2), "b": T1})
        # Keras 3.15.1 gives {'a/out_a_loss': 0.4767, 'a/out_b_loss': 0.6, 'loss': 1.0767}
        assert logs == pytest.approx({"a/out_a_loss": _mse(T1, P1), "a/out_b_loss": _mae(T2, P2),
                                      "loss": _mse(T1, P1) + _mae(T2, P2)}, rel=1e-5)


def test_deeply_nested_struct_losses_log_names():
    # Keras's test_functional_deeply_nested_outputs_struct_losses
    model = _identity_model({"a": ("y1", "y2"), "b": {"b1": "y3", "b2": "y4"}, "d": "y5"})
    model.compile(optimizer="sgd", loss={"a": [_abs_sum, (None, _abs_sum)],
                                         "b": [_abs_sum, {"b1": _abs_sum}], "d": _abs_sum})
    data = [P1, P2, P1, P2, P1]
    labels = {"a": (T1, T2), "b": {"b1": T1, "b2": T2}, "d": T1}
    history = model.fit(data, labels, batch_size=3, verbose=0).history
    assert sorted(history) == ["a/y2_loss", "a_loss", "b/b1_loss", "b_loss", "d_loss", "loss"]


def test_list_items_of_dict_outputs_are_named_by_their_layers():
    model = _identity_model({"a": "out_a", "b": {"c": "out_c", "d": ["out_b", "out_a2"]}})
    model.compile(loss="mse", metrics={"a": "mae", "b": {"c": "mae", "d": ["mae", "mse"]}})
    logs = _evaluate(model, [P1, P1, P2, P1], {"a": T1, "b": {"c": T1, "d": [T2, T1]}})
    # Keras 3.15.1 names them so (its output layers are out_a, out_c, out_b, out_a2):
    # losses by path with a list index replaced by the layer's name, metrics of nested
    # outputs prefixed with the layers' names
    assert sorted(logs) == ["a_loss", "b/c_loss", "b/d/out_a2_loss", "b/d/out_b_loss", "loss",
                            "out_a2_mse", "out_a_mae", "out_b_mae", "out_c_mae"]
    assert logs["out_b_mae"] == pytest.approx(_mae(T2, P2), rel=1e-5)
    assert logs["out_a2_mse"] == pytest.approx(_mse(T1, P1), rel=1e-5)


def test_a_loss_path_missing_from_the_outputs_fails_at_compile():
    model = _identity_model({"a": {"c": "out_a", "d": "out_b"}, "b": "out_c"})
    # Keras 3.15.1 raises KeyError "The path: ('b',) in the `loss` argument, can't be found
    # in the model's output (`y_pred`)." (in fit); kerasx's error is also a ValueError
    with pytest.raises(KeyError, match=r"The path \('b',\) in the `loss` argument can't be found"):
        model.compile(loss={"a": {"c": "mse"}, "b": {"d": "mae"}})
    with pytest.raises(ValueError, match="a single tensor"):
        model.compile(loss={"a": {"c": "mse"}, "b": {"d": "mae"}})


def test_struct_loss_trains():
    model = _identity_model(("out_a", "out_b"))
    inputs = model.inputs
    dense = layers.Dense(2, name="dense_a")
    trainable = keras.Model(inputs, (dense(inputs[0]), model(inputs)[1]))
    trainable.compile(optimizer="sgd", loss=[_abs_sum, ("mse", None)])
    before = _np(dense.kernel).copy()
    trainable.fit([P1, P2], (T1, T2), batch_size=3, verbose=0)
    assert not np.allclose(before, _np(dense.kernel))


# -- 3. labels with one column against several output units -------------------------------------------
def _softmax_model(loss):
    model = keras.Sequential([keras.Input((3,)),
                              layers.Dense(2, activation="softmax", kernel_initializer="ones")])
    model.compile(loss=loss)
    return model


@pytest.mark.parametrize("loss, per_sample", [
    ("mse", lambda y: (y - 0.5) ** 2),
    ("mae", lambda y: np.abs(y - 0.5)),
    ("hinge", lambda y: np.maximum(1.0 - (2 * y - 1) * 0.5, 0.0)),
])
def test_one_label_column_broadcasts_over_the_units_for_elementwise_losses(loss, per_sample):
    y = np.array([[1.0], [0.0], [1.0], [0.0]], "float32")
    value = _softmax_model(loss).evaluate(np.ones((4, 3), "float32"), y, verbose=0)
    # the model outputs 0.5 per unit; Keras 3.15.1 gives 0.25 (mse) and 1.0 (hinge)
    assert value == pytest.approx(float(np.mean(per_sample(y))), rel=1e-6)


@pytest.mark.parametrize("loss", ["categorical_crossentropy", "kl_divergence",
                                  "cosine_similarity"])
def test_one_label_column_stays_an_error_for_distribution_losses(loss):
    y = np.array([[1.0], [0.0], [1.0], [0.0]], "float32")
    with pytest.raises(ValueError, match=r"\(4, 1\)"):
        _softmax_model(loss).evaluate(np.ones((4, 3), "float32"), y, verbose=0)


def test_struct_loss_labels_keyed_otherwise_are_refused_not_paired_by_position():
    model = _identity_model({"p": "out_a", "q": "out_b"})
    model.compile(loss={"p": "mse", "q": ["mse", "mae"]})
    # Keras 3.15.1 fails too ("could not convert string to float: 'p'")
    with pytest.raises(ValueError, match="different structures"):
        model.evaluate([P1, P2], {"p": T1, "r": T2}, verbose=0)
    logs = _evaluate(model, [P1, P2], [T1, T2])  # a list in the outputs' order is paired
    assert logs["loss"] == pytest.approx(_mse(T1, P1) + _mse(T2, P2) + _mae(T2, P2), rel=1e-5)
