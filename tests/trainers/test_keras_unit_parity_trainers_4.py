"""compile()'s losses, loss weights and metrics on subclassed models whose `call` returns a
dict or a list, and functional configs whose layer entries have no `module` (Keras 2
style), as Keras 3.15.1 reads them (its trainers / models unit tests)."""

import copy
import json

import numpy as np
import pytest

import kerasx as keras

X = (np.arange(24).reshape(8, 3) % 5 / 4).astype("float32")
Y_A = np.ones((8, 1), "float32")
Y_B = np.zeros((8, 1), "float32")


class DictOutputs(keras.Model):
    """Returns {"b": 3 * dense_b(x), "a": dense_a(x)}, keys not in sorted order."""

    def __init__(self):
        super().__init__()
        self.dense_a = keras.layers.Dense(1, kernel_initializer="ones")
        self.dense_b = keras.layers.Dense(1, kernel_initializer=keras.initializers.Constant(-0.5))

    def call(self, x):
        return {"b": self.dense_b(x) * 3.0, "a": self.dense_a(x)}


class ListOutputs(DictOutputs):
    """Returns [3 * dense_b(x), dense_a(x)]: "b" before "a"."""

    def call(self, x):
        outputs = super().call(x)
        return [outputs["b"], outputs["a"]]


def _assert_logs(logs, expected):
    assert sorted(logs) == sorted(expected)
    for key, value in expected.items():
        np.testing.assert_allclose(logs[key], value, rtol=1e-5, err_msg=key)


# -- call() returns a dict, compile() gets lists: paired with the sorted keys -------------

def test_a_list_of_losses_follows_the_sorted_keys_of_dict_outputs():
    model = DictOutputs()
    model.compile(optimizer=keras.optimizers.SGD(0.1), loss=["mse", "mae"],
                  loss_weights=[1.0, 2.0], metrics=[["mae"], ["mse"]])
    y = {"a": Y_A, "b": Y_B}
    history = model.fit(X, y, epochs=2, batch_size=4, shuffle=False, verbose=0).history
    # Keras 3.15.1 gives these logs (JAX backend, same data and initial weights)
    _assert_logs(history, {
        "a_loss": [0.35079, 0.19305], "a_mae": [0.52393, 0.37183],
        "b_loss": [1.31719, 1.32422], "b_mse": [2.38485, 2.6122],
        "loss": [2.98517, 2.84149]})
    logs = model.evaluate(X, y, verbose=0, return_dict=True)
    # Keras 3.15.1 gives: loss 1.67325, a_loss 0.159188, b_loss 0.757031, a_mae 0.324668,
    # b_mse 0.912436
    np.testing.assert_allclose(
        [logs[k] for k in ("loss", "a_loss", "b_loss", "a_mae", "b_mse")],
        [1.67325, 0.159188, 0.757031, 0.324668, 0.912436], rtol=1e-5)


def test_evaluate_with_a_list_of_losses_on_dict_outputs_before_training():
    model = DictOutputs()
    model.compile(optimizer="sgd", loss=["mse", "mae"])
    logs = model.evaluate(X, {"a": Y_A, "b": Y_B}, verbose=0, return_dict=True)
    # Keras 3.15.1 gives {'a_loss': 0.421875, 'b_loss': 2.15625, 'loss': 2.578125}
    _assert_logs(logs, {"a_loss": 0.421875, "b_loss": 2.15625, "loss": 2.578125})
    # independently: mse of output a against 1, mae of output b against 0
    pred = model.predict(X, verbose=0)
    assert logs["a_loss"] == pytest.approx(float(np.mean((pred["a"] - 1.0) ** 2)), rel=1e-6)
    assert logs["b_loss"] == pytest.approx(float(np.mean(np.abs(pred["b"]))), rel=1e-6)


# -- call() returns a list, compile() gets dicts: the keys name no output ------------------

@pytest.mark.parametrize("argument, kwargs", [
    ("loss", {"loss": {"a": "mse", "b": "mae"}}),
    ("loss", {"loss": {"a": "mse"}}),
    ("loss_weights", {"loss": ["mse", "mae"], "loss_weights": {"a": 1.0, "b": 2.0}}),
    ("metrics", {"loss": ["mse", "mae"], "metrics": {"a": ["mae"], "b": ["mse"]}}),
    ("weighted_metrics", {"loss": ["mse", "mae"], "weighted_metrics": {"a": ["mae"]}}),
])
def test_a_dict_keyed_by_names_cannot_pair_with_unnamed_list_outputs(argument, kwargs):
    # Keras 3.15.1 fails here too (a TypeError for `loss`, a ValueError for the metrics);
    # pairing the sorted keys with the list would give output "b" the loss meant for "a"
    model = ListOutputs()
    model.compile(optimizer="sgd", **kwargs)
    with pytest.raises(ValueError) as info:
        model.evaluate(X, [Y_B, Y_A], verbose=0)
    message = str(info.value)
    assert f"`{argument}` is a dict with keys" in message
    assert "['output_1', 'output_2']" in message
    assert "list" in message and "return a dict from `call()`" in message


def test_placeholder_keys_name_list_outputs_in_their_order():
    model = ListOutputs()
    model.compile(optimizer="sgd", loss={"output_1": "mse", "output_2": "mae"})
    logs = model.evaluate(X, [Y_B, Y_A], verbose=0, return_dict=True)
    pred_b, pred_a = model.predict(X, verbose=0)
    # logged as Keras logs a list of losses: by the loss's name
    assert sorted(logs) == ["loss", "mae_loss", "mse_loss"]
    assert logs["mse_loss"] == pytest.approx(float(np.mean(pred_b ** 2)), rel=1e-6)
    assert logs["mae_loss"] == pytest.approx(float(np.mean(np.abs(pred_a - 1.0))), rel=1e-6)


def test_placeholder_keys_of_loss_weights_log_as_keras_does():
    model = ListOutputs()
    model.compile(optimizer="sgd", loss=["mse", "mae"],
                  loss_weights={"output_1": 1.0, "output_2": 3.0})
    logs = model.evaluate(X, [Y_A, Y_B], verbose=0, return_dict=True)
    # Keras 3.15.1 gives {'loss': 14.79296875, 'mae_loss': 1.4375, 'mse_loss': 10.48046875}
    _assert_logs(logs, {"loss": 14.79296875, "mae_loss": 1.4375, "mse_loss": 10.48046875})


def test_functional_list_outputs_still_take_a_dict_keyed_by_layer_names():
    inputs = keras.Input((3,))
    first = keras.layers.Dense(1, kernel_initializer="ones", name="first")(inputs)
    second = keras.layers.Dense(1, kernel_initializer="zeros", name="second")(inputs)
    model = keras.Model(inputs, [first, second])
    model.compile(optimizer="sgd", loss={"second": "mae", "first": "mse"})
    logs = model.evaluate(X, [Y_A, Y_B], verbose=0, return_dict=True)
    expected_first = float(np.mean((X.sum(axis=1) - 1.0) ** 2))
    assert logs["first_loss"] == pytest.approx(expected_first, rel=1e-6)
    assert logs["second_loss"] == pytest.approx(0.0, abs=1e-7)


# -- functional configs without `module` ---------------------------------------------------

_CONFIG = {
    "name": "legacy_style", "trainable": True,
    "layers": [
        {"class_name": "InputLayer", "name": "features",
         "config": {"batch_shape": [None, 3], "dtype": "float32", "name": "features"},
         "inbound_nodes": []},
        {"class_name": "Dense", "name": "hidden",
         "config": {"name": "hidden", "units": 2,
                    "kernel_initializer": {"class_name": "Ones", "config": {}}},
         "inbound_nodes": [[["features", 0, 0, {}]]]},
        {"class_name": "Dense", "name": "score",
         "config": {"name": "score", "units": 1, "activation": "relu",
                    "kernel_initializer": "ones"},
         "inbound_nodes": [[["hidden", 0, 0, {}]]]},
    ],
    "input_layers": [["features", 0, 0]],
    "output_layers": [["score", 0, 0]],
}


def _check_rebuilt(model):
    # Keras 3.15.1 rebuilds it: Functional "legacy_style", layers features / hidden / score
    assert type(model).__name__ == "Functional"
    assert model.name == "legacy_style"
    assert [layer.name for layer in model.layers] == ["features", "hidden", "score"]
    assert [type(layer).__name__ for layer in model.layers] == ["InputLayer", "Dense", "Dense"]
    # all-ones kernels, zero biases: 2 * sum(x)
    np.testing.assert_allclose(model.predict(X, verbose=0), 2 * X.sum(axis=1, keepdims=True),
                               rtol=1e-6)


def test_model_from_config_reads_layer_entries_without_module():
    _check_rebuilt(keras.Model.from_config(copy.deepcopy(_CONFIG)))


def test_deserialize_and_model_from_json_read_layer_entries_without_module():
    entry = {"module": "keras.src.models.functional", "class_name": "Functional",
             "config": copy.deepcopy(_CONFIG), "registered_name": "Functional"}
    _check_rebuilt(keras.saving.deserialize_keras_object(copy.deepcopy(entry)))
    _check_rebuilt(keras.models.model_from_json(json.dumps(entry)))


def test_an_unknown_class_without_module_still_says_how_to_fix_it():
    config = copy.deepcopy(_CONFIG)
    config["layers"][2]["class_name"] = "NoSuchLayer"
    # Keras 3.15.1 raises ValueError "Unknown layer: 'NoSuchLayer'"
    with pytest.raises((TypeError, ValueError), match="NoSuchLayer"):
        keras.Model.from_config(config)
