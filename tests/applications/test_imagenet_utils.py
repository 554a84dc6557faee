"""`applications.imagenet_utils` and each family's `preprocess_input` /
`decode_predictions`: values against Keras's (`preprocess.npz`, from
`tests/interop/make_app_fixtures.py`), the class-index download and the errors."""

import json

import numpy as np
import pytest

import kerasx
from kerasx import applications, ops
from kerasx.applications import imagenet_utils
from tests.applications.conftest import fixture_path
from tests.conftest import to_numpy

PREPROCESS = np.load(fixture_path("preprocess.npz"))
CASES = [(mode, fmt, rank) for mode in ("caffe", "tf", "torch")
         for fmt in ("channels_last", "channels_first") for rank in ("4d", "3d")]


def images(fmt, rank):
    x = PREPROCESS["images"]
    x = x if fmt == "channels_last" else x.transpose(0, 3, 1, 2)
    return np.array(x if rank == "4d" else x[0])


@pytest.mark.parametrize("mode,fmt,rank", CASES)
def test_preprocess_numpy_matches_keras(mode, fmt, rank):
    out = imagenet_utils.preprocess_input(images(fmt, rank), data_format=fmt, mode=mode)
    assert isinstance(out, np.ndarray) and out.dtype == np.float32
    np.testing.assert_allclose(out, PREPROCESS[f"np_{mode}_{fmt}_{rank}"], rtol=1e-6, atol=1e-5)


@pytest.mark.parametrize("mode,fmt,rank", CASES)
def test_preprocess_tensor_matches_keras(mode, fmt, rank):
    out = imagenet_utils.preprocess_input(ops.convert_to_tensor(images(fmt, rank)),
                                          data_format=fmt, mode=mode)
    np.testing.assert_allclose(to_numpy(out), PREPROCESS[f"tensor_{mode}_{fmt}_{rank}"],
                               rtol=1e-6, atol=1e-5)


def test_preprocess_numpy_works_in_place_and_casts_integers():
    x = images("channels_last", "4d")
    out = imagenet_utils.preprocess_input(x, mode="tf")
    assert out is x  # Keras writes over a float input
    ints = PREPROCESS["ints"].copy()
    out = imagenet_utils.preprocess_input(ints, mode="caffe")
    assert out.dtype == np.float32
    np.testing.assert_allclose(out, PREPROCESS["np_ints_caffe"], atol=1e-5)
    np.testing.assert_array_equal(ints, PREPROCESS["ints"])  # integer input left alone


def test_preprocess_inside_a_functional_model():
    inputs = kerasx.Input((4, 5, 3))
    model = kerasx.Model(inputs, applications.resnet.preprocess_input(inputs))
    x = images("channels_last", "4d")
    np.testing.assert_allclose(model.predict(x, verbose=0),
                               PREPROCESS["tensor_caffe_channels_last_4d"], atol=1e-5)


def test_preprocess_follows_image_data_format():
    x = images("channels_first", "4d")
    kerasx.config.set_image_data_format("channels_first")
    try:
        out = imagenet_utils.preprocess_input(x.copy(), mode="torch")
    finally:
        kerasx.config.set_image_data_format("channels_last")
    np.testing.assert_allclose(out, PREPROCESS["np_torch_channels_first_4d"], atol=1e-5)


@pytest.mark.parametrize("module,mode", [
    ("vgg16", "caffe"), ("vgg19", "caffe"), ("resnet", "caffe"), ("resnet50", "caffe"),
    ("resnet_v2", "tf"), ("mobilenet", "tf"), ("mobilenet_v2", "tf"), ("densenet", "torch")])
def test_family_preprocess_uses_keras_mode(module, mode):
    out = getattr(applications, module).preprocess_input(images("channels_last", "4d"))
    np.testing.assert_allclose(out, PREPROCESS[f"np_{mode}_channels_last_4d"], atol=1e-5)


@pytest.mark.parametrize("kwargs,match", [
    ({"mode": "pytorch"}, "Expected mode to be one of `caffe`, `tf` or `torch`"),
    ({"data_format": "NHWC"}, "Expected data_format to be one of")])
def test_preprocess_rejects_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        imagenet_utils.preprocess_input(images("channels_last", "4d"), **kwargs)


@pytest.fixture
def fake_class_index(tmp_path, monkeypatch):
    """A 1000-class index file standing in for Keras's download."""
    index = {str(i): [f"n{i:08d}", f"class_{i}"] for i in range(1000)}
    path = tmp_path / "imagenet_class_index.json"
    path.write_text(json.dumps(index))
    calls = []

    def fake_get_file(fname, origin, cache_subdir="datasets", file_hash=None, **kwargs):
        calls.append((fname, origin, cache_subdir, file_hash))
        return str(path)

    monkeypatch.setattr(imagenet_utils, "get_file", fake_get_file)
    monkeypatch.setattr(imagenet_utils, "CLASS_INDEX", None)
    return calls


def test_decode_predictions_top_classes(fake_class_index):
    rng = np.random.default_rng(0)
    preds = rng.uniform(size=(2, 1000)).astype("float32")
    preds[0, 7], preds[0, 3], preds[1, 999] = 5.0, 4.0, 9.0
    result = applications.vgg16.decode_predictions(preds, top=2)
    assert [r[:2] for r in result[0]] == [("n00000007", "class_7"), ("n00000003", "class_3")]
    assert result[0][0][2] == pytest.approx(5.0)
    assert result[1][0][:2] == ("n00000999", "class_999") and len(result[1]) == 2
    assert fake_class_index == [("imagenet_class_index.json", imagenet_utils.CLASS_INDEX_PATH,
                                 "models", "c2c37ea517e94d9795004a39431a14cb")]
    applications.resnet.decode_predictions(ops.convert_to_tensor(preds))  # tensors too
    assert len(fake_class_index) == 1  # the index is read once


@pytest.mark.parametrize("shape", [(1000,), (2, 10), (1, 1, 1000)])
def test_decode_predictions_rejects_other_shapes(shape, fake_class_index):
    with pytest.raises(ValueError, match=r"shape \(samples, 1000\)"):
        imagenet_utils.decode_predictions(np.zeros(shape, "float32"))
    assert fake_class_index == []  # nothing downloaded for a bad call


def test_obtain_input_shape():
    obtain = imagenet_utils.obtain_input_shape
    assert obtain(None, 224, 32, "channels_last", True) == (224, 224, 3)
    assert obtain(None, 224, 32, "channels_first", False) == (3, None, None)
    assert obtain((64, 48, 3), 224, 32, "channels_last", True) == (64, 48, 3)
    with pytest.raises(ValueError, match=r"`input_shape` should be \(224, 224, 3\)"):
        obtain((64, 64, 3), 224, 32, "channels_last", True, weights="imagenet")
    with pytest.raises(ValueError, match="at least 32x32"):
        obtain((31, 64, 3), 224, 32, "channels_last", False)
    with pytest.raises(ValueError, match="must have 3 channels"):
        obtain((64, 64, 1), 224, 32, "channels_last", False, weights="imagenet")
    with pytest.raises(ValueError, match="three integers"):
        obtain((64, 64), 224, 32, "channels_last", False)
    with pytest.raises(ValueError, match="static `input_shape`"):
        obtain((None, 64, 3), 224, 32, "channels_last", True)
    with pytest.warns(UserWarning, match="1 or 3 input channels"):
        assert obtain((64, 64, 5), 224, 32, "channels_last", False) == (64, 64, 5)


def test_correct_pad():
    assert imagenet_utils.correct_pad(kerasx.Input((32, 33, 3)), 3) == ((0, 1), (1, 1))
    assert imagenet_utils.correct_pad(kerasx.Input((None, None, 3)), (5, 3)) == ((1, 2), (0, 1))


def test_validate_activation():
    imagenet_utils.validate_activation("relu", None)
    imagenet_utils.validate_activation(None, "imagenet")
    imagenet_utils.validate_activation("softmax", "imagenet")
    with pytest.raises(ValueError, match="Only `None` and `softmax`"):
        imagenet_utils.validate_activation("sigmoid", "imagenet")
