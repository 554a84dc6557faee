"""Formats kerasx cannot write, layers the ONNX export cannot convert, and bad arguments."""

import pytest

import kerasx as keras
from kerasx import layers, ops
from kerasx.export.converters import UnsupportedLayerError

pytest.importorskip("onnx")


def small_model(*extra):
    return keras.Sequential([keras.Input((4, 3)), *extra, layers.Flatten(), layers.Dense(2)])


@pytest.mark.parametrize("fmt", ["tf_saved_model", "litert", "torch"])
def test_keras_formats_kerasx_cannot_write(fmt, tmp_path):
    with pytest.raises(ValueError, match=f"cannot export format='{fmt}'.*format='onnx'"):
        small_model().export(tmp_path / "out", format=fmt)
    assert not (tmp_path / "out").exists()


def test_unknown_format(tmp_path):
    with pytest.raises(ValueError, match=r"Unrecognized format='h5'.*\['onnx', 'openvino'\]"):
        small_model().export(tmp_path / "out", format="h5")


class Cumulative(layers.Layer):
    def call(self, inputs):
        return ops.cumsum(inputs, axis=-1)


def test_unsupported_layer_names_the_layer_and_format(tmp_path):
    model = small_model(Cumulative(name="cumulative"))
    with pytest.raises(UnsupportedLayerError,
                       match=r"'cumulative' \(Cumulative\) cannot be exported to ONNX.*cumsum"):
        model.export(tmp_path / "m.onnx", verbose=False)
    assert not (tmp_path / "m.onnx").exists()


def test_untraceable_layer(tmp_path):
    class ToHost(layers.Layer):
        def call(self, inputs):
            return ops.convert_to_tensor(ops.convert_to_numpy(inputs) * 2)

    model = keras.Sequential([keras.Input((3,)), ToHost(name="to_host")])
    with pytest.raises(UnsupportedLayerError, match=r"'to_host' \(ToHost\).*tracing its `call`"):
        model.export(tmp_path / "m.onnx", verbose=False)


def test_unsupported_activation(tmp_path):
    model = keras.Sequential([keras.Input((3,)), layers.Dense(2, activation=lambda x: x * 3,
                                                              name="custom")])
    with pytest.raises(UnsupportedLayerError, match="'custom' uses the activation"):
        model.export(tmp_path / "m.onnx", verbose=False)


def test_subclass_with_its_own_call_is_not_taken_for_its_base(tmp_path):
    class Doubled(layers.Dense):
        def call(self, inputs):
            return super().call(inputs) * 2.0

    model = keras.Sequential([keras.Input((3,)), Doubled(2, name="doubled")])
    with pytest.raises(UnsupportedLayerError, match=r"'doubled' \(Doubled\)"):
        model.export(tmp_path / "m.onnx", verbose=False)


def test_masks_are_refused(tmp_path):
    model = keras.Sequential([keras.Input((5,), dtype="int32"),
                              layers.Embedding(10, 4, mask_zero=True, name="emb"),
                              layers.LSTM(3)])
    with pytest.raises(UnsupportedLayerError, match="'emb' has mask_zero=True"):
        model.export(tmp_path / "m.onnx", verbose=False)


def test_masking_layer_is_refused(tmp_path):
    model = keras.Sequential([keras.Input((5, 2)), layers.Masking(name="mask"),
                              layers.LSTM(3)])
    with pytest.raises(UnsupportedLayerError, match="Masking layer 'mask'.*masks"):
        model.export(tmp_path / "m.onnx", verbose=False)


def test_stateful_rnn_is_refused(tmp_path):
    model = keras.Sequential([keras.Input((5, 2), batch_size=4),
                              layers.SimpleRNN(3, stateful=True, name="rnn")])
    with pytest.raises(UnsupportedLayerError, match="'rnn' is stateful"):
        model.export(tmp_path / "m.onnx", verbose=False)


def test_unsupported_op_node(tmp_path):
    x = keras.Input((4,))
    model = keras.Model(x, ops.cumsum(x, axis=-1))
    with pytest.raises(UnsupportedLayerError, match="kerasx.ops.cumsum"):
        model.export(tmp_path / "m.onnx", verbose=False)


def test_unbuilt_models(tmp_path):
    with pytest.raises(ValueError, match="has not been built"):
        keras.Sequential([layers.Dense(2)]).export(tmp_path / "m.onnx")

    class Net(keras.Model):
        def call(self, x):
            return x

    with pytest.raises(ValueError, match="has never been called.*input_signature"):
        Net().export(tmp_path / "m.onnx")


def test_bad_input_signature(tmp_path):
    model = small_model()
    with pytest.raises(ValueError, match=r"shape \(None, 5, 3\).*model's input shape"):
        model.export(tmp_path / "m.onnx",
                     input_signature=[keras.InputSpec(shape=(None, 5, 3), dtype="float32")])
    with pytest.raises(ValueError, match="describes 2 input"):
        spec = keras.InputSpec(shape=(None, 4, 3), dtype="float32")
        model.export(tmp_path / "m.onnx", input_signature=[spec, spec])
    with pytest.raises(ValueError, match="dtype 'int32'"):
        model.export(tmp_path / "m.onnx",
                     input_signature=[keras.InputSpec(shape=(None, 4, 3), dtype="int32")])
    with pytest.raises(TypeError, match="InputSpec, KerasTensor or arrays"):
        model.export(tmp_path / "m.onnx", input_signature=["float32"])


def test_bad_opset_and_keywords(tmp_path):
    with pytest.raises(ValueError, match="opset_version must be an int from 17"):
        small_model().export(tmp_path / "m.onnx", opset_version=9)
    with pytest.raises(TypeError, match=r"unexpected keyword arguments \['is_static'\]"):
        small_model().export(tmp_path / "m.onnx", is_static=True)


def test_mixed_precision_layers_are_refused(tmp_path):
    from kerasx.backends import current

    if current().name == "array_api_strict":
        pytest.skip("array_api_strict has no float16, so no mixed-precision policy")
    model = keras.Sequential([keras.Input((3,)), layers.Dense(2, dtype="mixed_float16",
                                                              name="half")])
    with pytest.raises(UnsupportedLayerError, match="'half' .*mixed-precision"):
        model.export(tmp_path / "m.onnx", verbose=False)


def test_quantized_layers_are_refused(tmp_path):
    model = keras.Sequential([keras.Input((3,)), layers.Dense(2, name="q")])
    model.quantize("int8")
    with pytest.raises(UnsupportedLayerError, match=r"'q' \(Dense\) is quantized \(int8\)"):
        model.export(tmp_path / "m.onnx", verbose=False)
