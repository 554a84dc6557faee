"""`load_img`, `img_to_array`, `array_to_img`, `save_img`, `smart_resize`, and the
`keras.preprocessing` names."""

import io

import numpy as np
import pytest

import kerasx as keras
from kerasx.utils import array_to_img, img_to_array, load_img, save_img

Image = pytest.importorskip("PIL.Image", reason="image utilities need Pillow")


def test_array_to_img_scales_to_the_byte_range_by_default():
    x = np.arange(12, dtype="float32").reshape(2, 2, 3) - 5.0
    img = array_to_img(x)
    assert img.mode == "RGB" and img.size == (2, 2)
    np.testing.assert_array_equal(np.asarray(img), ((x + 5) / 11 * 255).astype("uint8"))
    unscaled = array_to_img(np.full((2, 3, 1), 7.0), scale=False)
    assert unscaled.mode == "L" and np.asarray(unscaled).tolist() == [[7] * 3] * 2
    assert array_to_img(np.full((1, 1, 1), 300.0), scale=False).mode == "I"
    assert array_to_img(np.zeros((4, 2, 2)), data_format="channels_first").mode == "RGBA"
    assert array_to_img(np.zeros((3, 2, 5)), data_format="channels_first").size == (5, 2)


def test_img_to_array_dtype_and_layout():
    img = Image.fromarray(np.arange(24, dtype=np.uint8).reshape(2, 4, 3))
    x = img_to_array(img)
    assert x.shape == (2, 4, 3) and x.dtype == np.float32 and x[1, 3, 2] == 23
    assert img_to_array(img, data_format="channels_first").shape == (3, 2, 4)
    assert img_to_array(img, dtype="uint8").dtype == np.uint8
    gray = Image.fromarray(np.zeros((2, 4), np.uint8))
    assert img_to_array(gray).shape == (2, 4, 1)
    assert img_to_array(gray, data_format="channels_first").shape == (1, 2, 4)
    keras.config.set_floatx("float64")
    assert img_to_array(gray).dtype == np.float64


def test_save_then_load_round_trips(tmp_path):
    x = np.random.default_rng(0).integers(0, 256, (5, 6, 3)).astype("float32")
    path = tmp_path / "x.png"
    save_img(path, x, scale=False)
    np.testing.assert_array_equal(img_to_array(load_img(path)), x)
    np.testing.assert_array_equal(img_to_array(load_img(str(path), color_mode="rgba"))[..., 3],
                                  255)
    gray = img_to_array(load_img(path, color_mode="grayscale"))
    assert gray.shape == (5, 6, 1)
    buffer = io.BytesIO()
    save_img(buffer, x, file_format="png", scale=False)
    buffer.seek(0)
    np.testing.assert_array_equal(img_to_array(load_img(buffer)), x)
    with pytest.warns(UserWarning, match="JPEG format does not support RGBA"):
        save_img(tmp_path / "x.jpg", np.zeros((4, 4, 4)))
    assert load_img(tmp_path / "x.jpg").mode == "RGB"


def test_load_img_resizes_and_keeps_the_aspect_ratio(tmp_path):
    pixels = np.repeat(np.arange(8, dtype=np.uint8)[None, :] * 30, 4, axis=0)
    path = tmp_path / "wide.png"
    Image.fromarray(pixels).save(path)
    img = load_img(path, color_mode="grayscale", target_size=(2, 4))
    np.testing.assert_array_equal(np.asarray(img), pixels[::2, 1::2])  # nearest, centers
    kept = load_img(path, color_mode="grayscale", target_size=(4, 4), keep_aspect_ratio=True)
    np.testing.assert_array_equal(np.asarray(kept), pixels[:, 2:6])  # the centered window
    with pytest.raises(ValueError, match="Invalid interpolation method"):
        load_img(path, target_size=(2, 2), interpolation="lanczos3")
    with pytest.raises(ValueError, match="color_mode must be"):
        load_img(path, color_mode="cmyk")
    with pytest.raises(TypeError, match="path should be path-like"):
        load_img(42)


def test_smart_resize_crops_the_centered_window():
    x = np.arange(2 * 4 * 8 * 1, dtype="float32").reshape(2, 4, 8, 1)
    out = keras.preprocessing.image.smart_resize(x, (4, 4))
    assert isinstance(out, np.ndarray)
    np.testing.assert_array_equal(out, x[:, :, 2:6])
    one = keras.preprocessing.image.smart_resize(x[0], (2, 2), interpolation="nearest")
    assert one.shape == (2, 2, 1)
    with pytest.raises(ValueError, match="incorrect rank"):
        keras.preprocessing.image.smart_resize(np.zeros((4, 4)), (2, 2))


def test_bad_images_are_rejected():
    with pytest.raises(ValueError, match="rank 3"):
        array_to_img(np.zeros((2, 2)))
    with pytest.raises(ValueError, match="Unsupported channel number: 2"):
        array_to_img(np.zeros((2, 2, 2)))
    with pytest.raises(ValueError, match="data_format"):
        img_to_array(Image.new("L", (2, 2)), data_format="channels_middle")


def test_preprocessing_has_the_keras_3_names():
    p = keras.preprocessing
    assert p.image_dataset_from_directory is keras.utils.image_dataset_from_directory
    assert p.text_dataset_from_directory is keras.utils.text_dataset_from_directory
    assert p.timeseries_dataset_from_array is keras.utils.timeseries_dataset_from_array
    assert p.sequence.pad_sequences is keras.utils.pad_sequences
    assert p.image.load_img is load_img and p.image.save_img is save_img
    assert p.image.img_to_array is img_to_array and p.image.array_to_img is array_to_img
    import kerasx.preprocessing.image as image_module

    assert image_module.smart_resize is p.image.smart_resize
