"""Whole models exported to ONNX: convnets, MLPs, functional graphs, recurrent classifiers,
nested and subclassed models, graphs with `kerasx.ops` calls."""

import numpy as np
import pytest

import kerasx as keras
from kerasx import layers, ops
from tests.conftest import to_numpy
from tests.export.onnx_check import assert_export_matches, run_onnx


def mnist_convnet():
    return keras.Sequential([
        keras.Input(shape=(28, 28, 1)),
        layers.Conv2D(32, kernel_size=(3, 3), activation="relu"),
        layers.MaxPooling2D(pool_size=(2, 2)),
        layers.Conv2D(64, kernel_size=(3, 3), activation="relu"),
        layers.MaxPooling2D(pool_size=(2, 2)),
        layers.Flatten(),
        layers.Dropout(0.5),
        layers.Dense(10, activation="softmax"),
    ])


def mlp():
    return keras.Sequential([keras.Input((20,)), layers.Dense(64, activation="relu"),
                             layers.Dropout(0.2), layers.BatchNormalization(),
                             layers.Dense(32, activation="gelu"), layers.Dense(3)])


def two_input_residual():
    a = keras.Input((8,), name="a")
    b = keras.Input((6,), name="b")
    x = layers.Dense(8, activation="relu")(layers.Concatenate()([a, b]))
    x = layers.Add()([x, a])
    x = layers.LayerNormalization()(x)
    return keras.Model([a, b], [layers.Dense(2, name="head")(x),
                                layers.Dense(1, activation="sigmoid", name="score")(x)])


def lstm_classifier():
    return keras.Sequential([keras.Input((12,), dtype="int32"), layers.Embedding(50, 8),
                             layers.LSTM(16, return_sequences=True), layers.LSTM(8),
                             layers.Dense(4, activation="softmax")])


def resnet_block():
    inputs = keras.Input((16, 16, 3))
    x = layers.Conv2D(8, 3, padding="same", use_bias=False)(inputs)
    x = layers.BatchNormalization()(x)
    x = layers.Activation("relu")(x)
    y = layers.DepthwiseConv2D(3, padding="same")(x)
    y = layers.BatchNormalization()(y)
    x = layers.ReLU()(layers.Add()([x, y]))
    x = layers.AveragePooling2D()(x)
    x = layers.GlobalAveragePooling2D()(x)
    return keras.Model(inputs, layers.Dense(5, activation="softmax")(x))


MODEL_CASES = {"mnist_convnet": mnist_convnet, "mlp": mlp,
               "two_input_residual": two_input_residual, "lstm_classifier": lstm_classifier,
               "resnet_block": resnet_block}


@pytest.mark.parametrize("case", sorted(MODEL_CASES))
def test_model_export_matches_predict(case, tmp_path):
    assert_export_matches(MODEL_CASES[case](), tmp_path, int_high=50)


def test_trained_mlp_export_matches_predict(tmp_path):
    model = mlp()
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    rng = np.random.default_rng(3)
    x = rng.standard_normal((64, 20)).astype("float32")
    model.fit(x, rng.integers(0, 3, 64), epochs=2, batch_size=16, verbose=0)
    assert_export_matches(model, tmp_path)


@pytest.mark.parametrize("kind", ["lstm", "gru", "gru_reset_before", "simple_rnn"])
@pytest.mark.parametrize("return_sequences", [False, True])
@pytest.mark.parametrize("go_backwards", [False, True])
def test_recurrent_layers(kind, return_sequences, go_backwards, tmp_path):
    kwargs = dict(return_sequences=return_sequences, go_backwards=go_backwards,
                  bias_initializer="random_normal")
    layer = {"lstm": lambda: layers.LSTM(6, **kwargs),
             "gru": lambda: layers.GRU(6, **kwargs),
             "gru_reset_before": lambda: layers.GRU(6, reset_after=False, **kwargs),
             "simple_rnn": lambda: layers.SimpleRNN(6, **kwargs)}[kind]()
    model = keras.Sequential([keras.Input((5, 3)), layer])
    assert_export_matches(model, tmp_path)


@pytest.mark.parametrize("kind", ["lstm", "gru"])
def test_recurrent_return_state_and_initial_state(kind, tmp_path):
    cls = layers.LSTM if kind == "lstm" else layers.GRU
    seq = keras.Input((4, 3))
    outputs = cls(5, return_state=True, return_sequences=True)(seq)
    states = outputs[1:]
    second = cls(5, activation="relu", recurrent_activation="hard_sigmoid")(
        seq, initial_state=states)
    model = keras.Model(seq, [outputs[0], second] + list(states))
    assert_export_matches(model, tmp_path)


def test_nested_models_are_inlined(tmp_path):
    encoder = keras.Sequential([keras.Input((6,)), layers.Dense(4, activation="tanh")],
                               name="encoder")
    inner_in = keras.Input((4,))
    head = keras.Model(inner_in, layers.Dense(2)(inner_in), name="head")
    x = keras.Input((6,))
    model = keras.Model(x, head(encoder(x)) + encoder(x)[:, :2])
    assert_export_matches(model, tmp_path)


def test_graph_with_ops_calls(tmp_path):
    x = keras.Input((4, 6))
    y = ops.exp(x * 0.5) - 1.0
    y = ops.mean(ops.square(y), axis=-1, keepdims=True) + ops.reshape(x, (-1, 6, 4))[:, :4, 1:2]
    z = ops.concatenate([ops.transpose(y, (0, 2, 1)), 2.0 / (ops.abs(x[:, 0:1, :]) + 1.0)],
                        axis=-1)
    z = ops.softmax(ops.expand_dims(ops.squeeze(z, axis=1), 1), axis=-1)
    model = keras.Model(x, ops.matmul(z, ops.ones((10, 3))))
    assert_export_matches(model, tmp_path)


class TwoLayerNet(keras.Model):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.hidden = layers.Dense(8, activation="relu")
        self.out = layers.Dense(3)

    def call(self, inputs, training=None):
        return self.out(self.hidden(inputs) * 2.0)


def test_subclassed_model_is_traced(tmp_path):
    model = TwoLayerNet()
    x = np.random.default_rng(0).standard_normal((4, 5)).astype("float32")
    want = to_numpy(model.predict(x, verbose=0))
    path = tmp_path / "sub.onnx"
    model.export(path, verbose=False)
    np.testing.assert_allclose(run_onnx(path, [x])[0], want, rtol=1e-5, atol=1e-6)
    bigger = np.concatenate([x, x, x])
    np.testing.assert_allclose(run_onnx(path, [bigger])[0], np.concatenate([want] * 3),
                               rtol=1e-5, atol=1e-6)


def test_onnx_file_structure(tmp_path):
    import onnx

    model = two_input_residual()
    path = assert_export_matches(model, tmp_path, opset_version=17)
    proto = onnx.load(str(path))
    assert [i.name for i in proto.graph.input] == ["a", "b"]
    assert [o.name for o in proto.graph.output] == ["head", "score"]
    assert proto.opset_import[0].version == 17
    batch = proto.graph.input[0].type.tensor_type.shape.dim[0]
    assert batch.dim_param == "batch"
    stored = sum(int(np.prod(t.dims)) for t in proto.graph.initializer
                 if t.data_type == onnx.TensorProto.FLOAT)
    assert stored >= model.count_params()


def test_input_signature_fixes_the_batch(tmp_path):
    model = mlp()
    path = tmp_path / "fixed.onnx"
    model.export(path, verbose=False,
                 input_signature=[keras.InputSpec(shape=(3, 20), dtype="float32")])
    import onnx

    dims = onnx.load(str(path)).graph.input[0].type.tensor_type.shape.dim
    assert [d.dim_value for d in dims] == [3, 20]
    x = np.random.default_rng(0).standard_normal((3, 20)).astype("float32")
    np.testing.assert_allclose(run_onnx(path, [x])[0], to_numpy(model.predict(x, verbose=0)),
                               rtol=1e-5, atol=1e-5)


def test_verbose_prints_the_path(tmp_path, capsys):
    mlp().export(tmp_path / "m.onnx")
    assert f"Saved artifact at '{tmp_path / 'm.onnx'}'." in capsys.readouterr().out


@pytest.mark.parametrize("merge_mode", ["concat", "sum", "ave", "mul", None])
@pytest.mark.parametrize("return_sequences", [False, True])
def test_bidirectional(merge_mode, return_sequences, tmp_path):
    seq = keras.Input((5, 3))
    out = layers.Bidirectional(layers.LSTM(4, return_sequences=return_sequences),
                               merge_mode=merge_mode)(seq)
    assert_export_matches(keras.Model(seq, out), tmp_path)


def test_bidirectional_gru_states(tmp_path):
    seq = keras.Input((5, 3))
    outputs = layers.Bidirectional(layers.GRU(4, return_state=True, return_sequences=True))(seq)
    assert_export_matches(keras.Model(seq, outputs), tmp_path)


class Scale(layers.Layer):
    """A custom layer with a weight, written with kerasx ops: exported by tracing its call."""

    def build(self, input_shape):
        self.w = self.add_weight((input_shape[-1],), "random_normal", name="w")

    def call(self, inputs):
        return inputs * self.w + ops.tanh(inputs)


def test_custom_layer_is_traced(tmp_path):
    model = keras.Sequential([keras.Input((4,)), layers.Dense(4), Scale(), layers.Dense(2)])
    assert_export_matches(model, tmp_path)


def test_variable_length_sequences(tmp_path):
    model = keras.Sequential([keras.Input((None, 3)),
                              layers.Conv1D(4, 3, padding="same", activation="relu"),
                              layers.MaxPooling1D(2, padding="same"), layers.GRU(5),
                              layers.Dense(2)])
    path = tmp_path / "var.onnx"
    model.export(path, verbose=False)
    rng = np.random.default_rng(0)
    for steps in (4, 9):
        x = rng.standard_normal((3, steps, 3)).astype("float32")
        np.testing.assert_allclose(run_onnx(path, [x])[0], to_numpy(model.predict(x, verbose=0)),
                                   rtol=1e-5, atol=1e-5)


def test_subclassed_model_inside_a_functional_model(tmp_path):
    inner = TwoLayerNet()
    inner(np.zeros((1, 5), "float32"))
    x = keras.Input((5,))
    model = keras.Model(x, layers.Softmax()(inner(x)))
    assert_export_matches(model, tmp_path)


@pytest.mark.parametrize("opset", [17, 18])
def test_opset_dependent_operators(opset, tmp_path):
    """Reductions take their axes as an attribute before opset 18 and as an input from it on;
    Split takes `num_outputs` from 18."""
    model = keras.Sequential([keras.Input((4, 6)), layers.Dense(6, activation="glu"),
                              layers.LayerNormalization(), layers.GlobalMaxPooling1D()])
    assert_export_matches(model, tmp_path, opset_version=opset)
