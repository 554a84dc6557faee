"""`model.export(path, format="openvino")`: an OpenVINO IR that OpenVINO's runtime runs with
kerasx's outputs (where openvino is installed)."""

import os

import numpy as np
import pytest

import kerasx as keras
from kerasx import layers

pytest.importorskip("onnx")
ov = pytest.importorskip("openvino")


def _run(path, *inputs):
    # the CPU plugin computes in bfloat16 where the processor can, unless told otherwise
    compiled = ov.Core().compile_model(str(path), "CPU", {"INFERENCE_PRECISION_HINT": "f32"})
    result = compiled(list(inputs))
    return [result[out] for out in compiled.outputs]


def test_ir_runs_with_the_models_outputs_and_float32_weights(tmp_path, capsys):
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((8, 8, 3)), layers.Conv2D(4, 3, activation="relu"),
                              layers.BatchNormalization(), layers.MaxPooling2D(),
                              layers.Flatten(), layers.Dense(5, activation="softmax")])
    x = np.random.default_rng(1).standard_normal((3, 8, 8, 3)).astype("float32")
    model.compile("adam", "sparse_categorical_crossentropy")
    model.fit(x, np.arange(3) % 5, epochs=2, verbose=0)  # moving statistics away from 0 / 1
    path = tmp_path / "model.xml"
    model.export(path, format="openvino")
    assert f"Saved OpenVINO IR at '{path}'" in capsys.readouterr().out
    assert os.path.exists(tmp_path / "model.bin")
    (out,) = _run(path, x)
    np.testing.assert_allclose(out, model.predict(x, verbose=0), rtol=1e-5, atol=1e-6)
    # weights are not compressed to float16: 4 bytes per parameter at least
    assert os.path.getsize(tmp_path / "model.bin") >= 4 * model.count_params() - 64
    (batch_of_seven,) = _run(path, np.concatenate([x, x, x[:1]]))  # the batch stays dynamic
    assert batch_of_seven.shape == (7, 5)


def test_two_inputs_and_two_outputs(tmp_path):
    a, b = keras.Input((4,), name="a"), keras.Input((2,), name="b")
    joined = layers.Concatenate()([layers.Dense(3)(a), b])
    model = keras.Model([a, b], [layers.Dense(1)(joined), layers.Dense(2)(joined)])
    xa = np.ones((2, 4), "float32")
    xb = np.full((2, 2), 0.5, "float32")
    model.export(tmp_path / "m.xml", format="openvino", verbose=False)
    got = _run(tmp_path / "m.xml", xa, xb)
    for g, want in zip(got, model.predict([xa, xb], verbose=0)):
        np.testing.assert_allclose(g, want, rtol=1e-5, atol=1e-6)


def test_the_path_must_end_in_xml(tmp_path):
    model = keras.Sequential([keras.Input((4,)), layers.Dense(2)])
    with pytest.raises(ValueError, match="end with '.xml'"):
        model.export(tmp_path / "model.ir", format="openvino")
