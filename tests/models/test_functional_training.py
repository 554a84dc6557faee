"""Training functional models with several inputs and outputs: per-output losses, loss
weights and metrics, and the History / evaluate keys Keras 3 produces."""

import os
import sys

import numpy as np
import pytest

import kerasx
from kerasx import layers

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "golden"))
GOLDEN = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "golden",
                      "history_keys.json")

rng = np.random.default_rng(8)
X = rng.normal(0, 1, (16, 4)).astype(np.float32)
YA = rng.integers(0, 3, (16,)).astype(np.int32)
YB = rng.normal(0, 1, (16, 1)).astype(np.float32)
Y_BIN = rng.integers(0, 2, (16, 1)).astype(np.float32)
XV = rng.normal(0, 1, (8, 4)).astype(np.float32)
YV = rng.integers(0, 2, (8, 1)).astype(np.float32)


def _two_output_graph():
    inputs = kerasx.Input((4,), name="features")
    hidden = layers.Dense(8, activation="relu", name="hidden")(inputs)
    out_a = layers.Dense(3, activation="softmax", name="out_a")(hidden)
    out_b = layers.Dense(1, name="out_b")(hidden)
    return inputs, out_a, out_b


def _run_golden_case(name):
    """Builds, compiles and fits the model a golden case describes; returns (history, eval)."""
    if name.startswith("functional_two_outputs"):
        inputs, out_a, out_b = _two_output_graph()
        if name.endswith("dict"):
            model = kerasx.Model(inputs, {"out_a": out_a, "out_b": out_b})
            loss = {"out_a": "sparse_categorical_crossentropy", "out_b": "mse"}
            metrics = {"out_a": ["accuracy"], "out_b": ["mae"]}
            ys = {"out_a": YA, "out_b": YB}
        else:
            model = kerasx.Model(inputs, [out_a, out_b])
            loss = ["sparse_categorical_crossentropy", "mse"]
            metrics = [["accuracy"], ["mae"]]
            ys = [YA, YB]
        model.compile(optimizer="adam", loss=loss, metrics=metrics)
        history = model.fit(X, ys, epochs=1, batch_size=4, validation_split=0.25, verbose=0)
        return history, model.evaluate(X, ys, verbose=0, return_dict=True), model
    model = kerasx.Sequential([kerasx.Input((4,)), layers.Dense(1, activation="sigmoid")])
    metrics = {"sequential_accuracy": ["accuracy"],
               "sequential_accuracy_mse_auc": ["accuracy", "mse", "AUC"],
               "sequential_no_metrics": None,
               "sequential_metric_objects": [kerasx.metrics.AUC(name="my_auc"),
                                             kerasx.metrics.BinaryAccuracy(),
                                             kerasx.metrics.Precision()]}[name]
    model.compile(optimizer="sgd", loss="binary_crossentropy", metrics=metrics)
    if name == "sequential_metric_objects":
        history = model.fit(X, Y_BIN, epochs=2, batch_size=4, verbose=0)
    else:
        history = model.fit(X, Y_BIN, epochs=1, batch_size=4, validation_data=(XV, YV), verbose=0)
    return history, model.evaluate(X, Y_BIN, verbose=0, return_dict=True), model


def _golden_cases():
    if not os.path.exists(GOLDEN):
        return []
    from loader import load_history_keys

    return load_history_keys()["cases"]


@pytest.mark.parametrize("case", _golden_cases(), ids=lambda c: c["name"])
def test_history_and_evaluate_keys_match_keras(case):
    history, logs, model = _run_golden_case(case["name"])
    assert list(history.history) == case["history_keys"]
    assert list(logs) == case["evaluate_return_dict_keys"]
    if "compile_metrics" in case["metrics_names"]:
        # (Without compiled metrics, Keras lists no `compile_metrics` entry; which entries
        # `Model.metrics` lists is the trainer's choice.)
        assert model.metrics_names == case["metrics_names"]
    assert all(len(v) == case["history_epochs"] for v in history.history.values())


def test_golden_history_keys_file_exists():
    if not os.path.exists(GOLDEN):
        pytest.skip("tests/golden/history_keys.json has not been generated yet")
    assert {c["name"] for c in _golden_cases()} >= {"functional_two_outputs_dict",
                                                    "functional_two_outputs_list"}


def test_loss_weights_weight_each_output():
    inputs, out_a, out_b = _two_output_graph()
    model = kerasx.Model(inputs, [out_a, out_b])
    model.compile(optimizer="sgd", loss=["sparse_categorical_crossentropy", "mse"],
                  loss_weights=[0.3, 2.0])
    logs = model.evaluate(X, [YA, YB], batch_size=16, verbose=0, return_dict=True)
    assert logs["loss"] == pytest.approx(0.3 * logs["out_a_loss"] + 2.0 * logs["out_b_loss"],
                                         rel=1e-5)
    probs, reg = model.predict(X, verbose=0)
    ce = -np.log(probs[np.arange(16), YA]).mean()
    assert logs["out_a_loss"] == pytest.approx(ce, rel=1e-5)
    assert logs["out_b_loss"] == pytest.approx(((reg - YB) ** 2).mean(), rel=1e-5)
    model.compile(optimizer="sgd", loss={"out_a": "sparse_categorical_crossentropy",
                                         "out_b": "mse"}, loss_weights={"out_b": 0.5})
    logs = model.evaluate(X, {"out_a": YA, "out_b": YB}, batch_size=16, verbose=0,
                          return_dict=True)
    assert logs["loss"] == pytest.approx(logs["out_a_loss"] + 0.5 * logs["out_b_loss"], rel=1e-5)


@pytest.mark.filterwarnings("ignore:Gradients do not exist")
def test_one_loss_for_every_output_and_outputs_without_loss():
    inputs = kerasx.Input((4,))
    p = layers.Dense(1, name="p")(inputs)
    q = layers.Dense(1, name="q")(inputs)
    model = kerasx.Model(inputs, [p, q])
    model.compile(optimizer="sgd", loss="mse")
    logs = model.evaluate(X, [YB, 2 * YB], verbose=0, return_dict=True)
    assert set(logs) == {"loss", "p_loss", "q_loss"}
    assert logs["loss"] == pytest.approx(logs["p_loss"] + logs["q_loss"], rel=1e-5)
    model.compile(optimizer="sgd", loss=[None, "mse"], metrics=[["mae"], None])
    history = model.fit(X, [YB, YB], epochs=1, verbose=0)
    assert sorted(history.history) == ["loss", "p_mae"]  # one loss: no per-output loss keys


def test_metric_naming_rules():
    inputs, out_a, out_b = _two_output_graph()
    model = kerasx.Model(inputs, {"out_a": out_a, "out_b": out_b})
    model.compile(optimizer="sgd",
                  loss={"out_a": "sparse_categorical_crossentropy", "out_b": "mse"},
                  metrics={"out_a": ["accuracy", "acc"], "out_b": ["mae", "mae"]},
                  weighted_metrics={"out_b": ["mae"]})
    history = model.fit(X, {"out_a": YA, "out_b": YB}, epochs=1, verbose=0)
    assert sorted(history.history) == sorted([
        "loss", "out_a_loss", "out_b_loss", "out_a_accuracy", "out_a_acc", "out_b_mae",
        "out_b_mae_1", "out_b_weighted_mae"])
    single = kerasx.Sequential([kerasx.Input((4,)), layers.Dense(1, activation="sigmoid")])
    single.compile(optimizer="sgd", loss="binary_crossentropy", metrics=["accuracy"],
                   weighted_metrics=["accuracy", "mse"])
    history = single.fit(X, Y_BIN, sample_weight=np.ones(16, np.float32), epochs=1, verbose=0)
    assert sorted(history.history) == ["accuracy", "loss", "mse", "weighted_accuracy"]


def test_accuracy_follows_the_label_shapes():
    inputs, out_a, out_b = _two_output_graph()
    binary = layers.Dense(1, activation="sigmoid", name="binary")(inputs)
    model = kerasx.Model(inputs, [out_a, binary])
    model.compile(optimizer="sgd", loss=["sparse_categorical_crossentropy", "binary_crossentropy"],
                  metrics=[["accuracy"], ["accuracy"]])
    logs = model.evaluate(X, [YA, Y_BIN], batch_size=16, verbose=0, return_dict=True)
    probs, p_bin = model.predict(X, verbose=0)
    assert logs["out_a_accuracy"] == pytest.approx((probs.argmax(-1) == YA).mean())
    assert logs["binary_accuracy"] == pytest.approx(((p_bin > 0.5) == Y_BIN).mean())


def test_per_output_sample_weights():
    inputs = kerasx.Input((4,))
    model = kerasx.Model(inputs, [layers.Dense(1, name="p")(inputs), layers.Dense(1, name="q")(inputs)])
    model.compile(optimizer="sgd", loss="mse")
    zeros, ones = np.zeros(16, np.float32), np.ones(16, np.float32)
    logs = model.evaluate(X, [YB, YB], sample_weight=[ones, zeros], batch_size=16, verbose=0,
                          return_dict=True)
    assert logs["q_loss"] == 0.0 and logs["p_loss"] > 0.0
    assert logs["loss"] == pytest.approx(logs["p_loss"], rel=1e-6)


def test_two_inputs_two_outputs_learn(digits):
    x_train, y_train, _, _ = digits
    x_train, y_train = x_train[:512], y_train[:512]
    top, bottom = kerasx.Input((32,), name="top"), kerasx.Input((32,), name="bottom")
    encoder = layers.Dense(32, activation="relu", name="encoder")  # shared by both halves
    merged = layers.concatenate([encoder(top), encoder(bottom)])
    digit = layers.Dense(10, activation="softmax", name="digit")(merged)
    large = layers.Dense(1, activation="sigmoid", name="large")(merged)
    model = kerasx.Model({"top": top, "bottom": bottom}, {"digit": digit, "large": large})
    model.compile(optimizer=kerasx.optimizers.Adam(0.01),
                  loss={"digit": "sparse_categorical_crossentropy", "large": "binary_crossentropy"},
                  loss_weights={"digit": 1.0, "large": 0.5},
                  metrics={"digit": ["accuracy"], "large": ["accuracy"]})
    inputs = {"top": x_train[:, :32], "bottom": x_train[:, 32:]}
    targets = {"digit": y_train, "large": (y_train >= 5).astype(np.float32)[:, None]}
    history = model.fit(inputs, targets, epochs=8, batch_size=32, verbose=0)
    assert history.history["digit_accuracy"][-1] > 0.85
    assert history.history["large_accuracy"][-1] > 0.85
    assert history.history["loss"][-1] < history.history["loss"][0] / 3


def test_compile_errors_name_the_outputs():
    inputs, out_a, out_b = _two_output_graph()
    model = kerasx.Model(inputs, {"out_a": out_a, "out_b": out_b})
    with pytest.raises(ValueError, match=r"`loss` has keys \['out_c'\] that do not correspond.*"
                                         r"\['out_a', 'out_b'\]"):
        model.compile(optimizer="sgd", loss={"out_a": "mse", "out_c": "mse"})
    with pytest.raises(ValueError, match=r"`loss` is a list of 3 entries but the model has 2"):
        model.compile(optimizer="sgd", loss=["mse", "mse", "mse"])
    with pytest.raises(ValueError, match=r"list `metrics` must have one entry per output.*has 1"):
        model.compile(optimizer="sgd", loss="mse", metrics=["mae"])
    with pytest.raises(ValueError, match=r"`metrics` must be a list, tuple or dict.*'accuracy'"):
        model.compile(optimizer="sgd", loss="mse", metrics="accuracy")
    with pytest.raises(ValueError, match=r"`loss_weights` is a single number but the model has 2"):
        model.compile(optimizer="sgd", loss="mse", loss_weights=0.5)
    with pytest.raises(ValueError, match=r"in the dict argument `metrics`, the keys \['nope'\]"):
        model.compile(optimizer="sgd", loss="mse", metrics={"nope": ["mae"]})


def test_fit_errors_on_target_structure():
    inputs, out_a, out_b = _two_output_graph()
    model = kerasx.Model(inputs, [out_a, out_b])
    model.compile(optimizer="sgd", loss=["sparse_categorical_crossentropy", "mse"])
    with pytest.raises(ValueError, match=r"2 outputs? \['out_a', 'out_b'\], but y is a single array"):
        model.fit(X, YA, epochs=1, verbose=0)


def test_crossentropy_alias_follows_the_label_shapes():
    inputs, out_a, out_b = _two_output_graph()
    binary = layers.Dense(1, activation="sigmoid", name="binary")(inputs)
    model = kerasx.Model(inputs, [out_a, binary])
    model.compile(optimizer="sgd", loss="crossentropy")
    logs = model.evaluate(X, [YA, Y_BIN], batch_size=16, verbose=0, return_dict=True)
    probs, p_bin = model.predict(X, verbose=0)
    assert logs["out_a_loss"] == pytest.approx(-np.log(probs[np.arange(16), YA]).mean(), rel=1e-5)
    p = np.clip(p_bin, 1e-7, 1 - 1e-7)
    bce = -(Y_BIN * np.log(p) + (1 - Y_BIN) * np.log(1 - p)).mean()
    assert logs["binary_loss"] == pytest.approx(bce, rel=1e-4)


def test_compile_loss_splits_targets_by_output():
    from kerasx.trainers.compile_loss import CompileLoss

    loss = CompileLoss({"a": "mse", "b": "mae"}, output_names=["a", "b"])
    trues, preds = loss.per_output({"b": 2, "a": 1}, [10, 20])
    assert trues == [1, 2] and preds == [10, 20]
    with pytest.raises(ValueError, match=r"2 output\(s\) \['a', 'b'\], but y is a list of 3"):
        loss.per_output([1, 2, 3], [10, 20])
