"""`image_dataset_from_directory`: indexing, class order, labels, splits (the files Keras
3 selects for a seed), shuffling, decoding and resizing, training on it, and errors."""

import os

import numpy as np
import pytest

import kerasx as keras

Image = pytest.importorskip("PIL.Image", reason="image datasets need Pillow")

# The order in which Keras 3.15.1 (`keras.src.utils.dataset_utils.index_directory`)
# lists the tree `_tree` writes, for `shuffle=True` and these seeds; the validation
# split is the end of this order.
KERAS_ORDER = {
    ("inferred", 7): ["dogs/d1.bmp", "dogs/sub/e0.png", "cats/c2.png", "cats/c5.JPG",
                      "cats/c0.png", "cats/c1.png", "dogs/sub/e1.png", "dogs/d2.gif",
                      "cats/c3.png", "dogs/d0.png", "dogs/d3.jpeg", "cats/c4.png"],
    ("inferred", 1337): ["cats/c5.JPG", "cats/c3.png", "cats/c1.png", "cats/c0.png",
                         "cats/c4.png", "dogs/d0.png", "dogs/sub/e0.png", "cats/c2.png",
                         "dogs/d3.jpeg", "dogs/sub/e1.png", "dogs/d2.gif", "dogs/d1.bmp"],
    (None, 7): ["dogs/sub/e0.png", "dogs/d3.jpeg", "cats/c0.png", "cats/c3.png", "top.png",
                ".hidden/h.png", "dogs/sub/e1.png", "dogs/d0.png", "cats/c5.JPG",
                "dogs/d2.gif", "cats/c1.png", "cats/c4.png", "dogs/d1.bmp", "cats/c2.png"],
}
CLASS_FILES = {"cats": ["c0.png", "c1.png", "c2.png", "c3.png", "c4.png", "c5.JPG"],
               "dogs": ["d0.png", "d1.bmp", "d2.gif", "d3.jpeg", "sub/e0.png", "sub/e1.png"]}
COLORS = {"cats": (200, 0, 0), "dogs": (0, 0, 200), ".hidden": (0, 200, 0), "": (90, 90, 90)}


def _tree(root):
    """Two classes of flat-colored images of several sizes and formats, a text file, a
    hidden folder and a top-level image (the last two only seen with labels=None)."""
    files = [(c, name) for c, names in CLASS_FILES.items() for name in names]
    files += [(".hidden", "h.png"), ("", "top.png")]
    for i, (folder, name) in enumerate(files):
        path = os.path.join(root, folder, name)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        pixels = np.empty((5 + i % 3, 7 + i % 4, 3), np.uint8)
        pixels[...] = COLORS[folder]
        Image.fromarray(pixels).save(path)
    (root / "cats" / "notes.txt").write_text("not an image")
    return str(root)


def _relative(paths, root):
    return [os.path.relpath(p, root).replace(os.sep, "/") for p in paths]


def _load(root, **kwargs):
    kwargs.setdefault("image_size", (4, 4))
    kwargs.setdefault("verbose", False)
    return keras.utils.image_dataset_from_directory(root, **kwargs)


def test_unshuffled_files_are_sorted_with_classes_from_the_subdirectories(tmp_path, capsys):
    root = _tree(tmp_path)
    ds = keras.utils.image_dataset_from_directory(root, image_size=(4, 4), batch_size=5,
                                                  shuffle=False)
    assert capsys.readouterr().out == "Found 12 files belonging to 2 classes.\n"
    assert ds.class_names == ["cats", "dogs"]
    expected = [f"{c}/{n}" for c in ("cats", "dogs") for n in CLASS_FILES[c]]
    assert _relative(ds.file_paths, root) == expected
    batches = list(ds)
    assert len(ds) == len(batches) == 3 and [len(b[1]) for b in batches] == [5, 5, 2]
    images = np.concatenate([b[0] for b in batches])
    labels = np.concatenate([b[1] for b in batches])
    assert images.shape == (12, 4, 4, 3) and images.dtype == np.float32
    assert labels.dtype == np.int32 and labels.tolist() == [0] * 6 + [1] * 6
    # flat images stay flat through the resize, JPEG's loss aside
    np.testing.assert_allclose(images[labels == 0], np.broadcast_to([200, 0, 0], (6, 4, 4, 3)),
                               atol=3)
    np.testing.assert_allclose(images[labels == 1], np.broadcast_to([0, 0, 200], (6, 4, 4, 3)),
                               atol=3)


@pytest.mark.parametrize("seed", [7, 1337])
def test_a_seed_keeps_the_files_keras_keeps_for_validation(tmp_path, seed):
    root = _tree(tmp_path)
    order = KERAS_ORDER[("inferred", seed)]
    train, val = _load(root, validation_split=0.25, subset="both", seed=seed)
    assert _relative(train.file_paths, root) == order[:9]
    assert _relative(val.file_paths, root) == order[9:]
    assert train.class_names == val.class_names == ["cats", "dogs"]
    only_val = _load(root, validation_split=0.25, subset="validation", seed=seed)
    assert _relative(only_val.file_paths, root) == order[9:]
    x, y = val[0]
    assert x.shape == (3, 4, 4, 3)
    assert y.tolist() == [0 if p.startswith("cats") else 1 for p in order[9:]]


def test_without_labels_every_image_below_the_directory_is_read(tmp_path):
    root = _tree(tmp_path)
    ds = _load(root, labels=None, seed=7, batch_size=4)
    assert _relative(ds.file_paths, root) == KERAS_ORDER[(None, 7)]
    assert ds.class_names is None
    batch = ds[0]
    assert isinstance(batch, np.ndarray) and batch.shape == (4, 4, 4, 3)
    assert sum(len(b) for b in ds) == 14


def test_class_names_choose_and_order_the_classes(tmp_path):
    root = _tree(tmp_path)
    ds = _load(root, class_names=["dogs", "cats"], shuffle=False, batch_size=None)
    assert ds.class_names == ["dogs", "cats"]
    assert _relative(ds.file_paths, root)[0] == "dogs/d0.png"
    image, label = ds[0]
    assert image.shape == (4, 4, 3) and label.shape == () and int(label) == 0
    np.testing.assert_allclose(image[0, 0], [0, 0, 200], atol=3)
    only = _load(root, class_names=["dogs"], shuffle=False)
    assert len(only.file_paths) == 6
    with pytest.raises(ValueError, match="did not match the names of the subdirectories"):
        _load(root, class_names=["cats", "birds"])


def test_explicit_labels_follow_the_sorted_paths(tmp_path):
    root = _tree(tmp_path)
    labels = [3, 1, 4, 1, 5, 9, 2, 6, 5, 3, 5, 8, 9, 7]
    ds = _load(root, labels=labels, shuffle=False, batch_size=None)
    assert ds.class_names == ["1", "2", "3", "4", "5", "6", "7", "8", "9"]
    assert [int(ds[i][1]) for i in range(14)] == labels
    with pytest.raises(ValueError, match="len\\(labels\\) is 3 while we found 14 files"):
        _load(root, labels=[0, 1, 2])
    with pytest.raises(ValueError, match="list/tuple of integer labels"):
        _load(root, labels="folders")


@pytest.mark.parametrize("label_mode, shape, dtype", [
    ("int", (6,), "int32"), ("binary", (6, 1), "float32"), ("categorical", (6, 2), "float32")])
def test_label_modes(tmp_path, label_mode, shape, dtype):
    ds = _load(_tree(tmp_path), label_mode=label_mode, shuffle=False, batch_size=12)
    _, labels = ds[0]
    assert labels[:6].shape == shape and labels.dtype == dtype
    classes = [0] * 6 + [1] * 6
    if label_mode == "categorical":
        np.testing.assert_array_equal(labels, np.eye(2)[classes])
    else:
        np.testing.assert_array_equal(labels.reshape(-1), classes)
    assert isinstance(_load(str(tmp_path), label_mode=None, seed=1)[0], np.ndarray)


def test_color_modes_and_channels_first(tmp_path):
    root = _tree(tmp_path)
    gray = _load(root, color_mode="grayscale", shuffle=False)[0][0]
    assert gray.shape == (12, 4, 4, 1)
    # Pillow's luminance: 299/1000 R + 587/1000 G + 114/1000 B, rounded
    np.testing.assert_allclose(gray[0, 0, 0, 0], 60, atol=1)
    rgba = _load(root, color_mode="rgba", shuffle=False)[0][0]
    assert rgba.shape == (12, 4, 4, 4) and np.all(rgba[..., 3] == 255)
    first = _load(root, image_size=(3, 5), data_format="channels_first", shuffle=False)[0][0]
    assert first.shape == (12, 3, 3, 5)


def _write(path, pixels):
    Image.fromarray(np.asarray(pixels, np.uint8)).save(path)
    return path


def _half_pixel_linear(n_in, n_out):
    """The (n_out, n_in) matrix of bilinear resizing with half-pixel centers
    (`tf.image.resize` without antialiasing)."""
    m = np.zeros((n_out, n_in))
    for i in range(n_out):
        src = min(max((i + 0.5) * n_in / n_out - 0.5, 0), n_in - 1)
        lo = int(np.floor(src))
        hi = min(lo + 1, n_in - 1)
        m[i, lo] += 1 - (src - lo)
        m[i, hi] += src - lo
    return m


def test_resizing_interpolations_crop_and_pad(tmp_path):
    (tmp_path / "a").mkdir()
    pixels = np.arange(24).reshape(4, 6) * 10
    _write(tmp_path / "a" / "x.png", pixels)

    def image(**kwargs):
        ds = _load(str(tmp_path), color_mode="grayscale", shuffle=False, batch_size=None,
                   verbose=False, **kwargs)
        return ds[0][0][:, :, 0]

    expected = _half_pixel_linear(4, 6) @ pixels @ _half_pixel_linear(6, 9).T
    np.testing.assert_allclose(image(image_size=(6, 9)), expected, rtol=1e-5, atol=1e-3)
    np.testing.assert_array_equal(image(image_size=(2, 3), interpolation="nearest"),
                                  pixels[1::2, 1::2])
    np.testing.assert_allclose(image(image_size=(2, 3), interpolation="area"),
                               pixels.reshape(2, 2, 3, 2).mean(axis=(1, 3)), rtol=1e-6)
    # the centered 4 x 4 window, kept as it is
    np.testing.assert_array_equal(image(image_size=(4, 4), crop_to_aspect_ratio=True),
                                  pixels[:, 1:5])
    # one zero row above and below, then kept as it is at 6 x 6
    padded = image(image_size=(6, 6), pad_to_aspect_ratio=True)
    np.testing.assert_array_equal(padded[1:5], pixels)
    assert not padded[0].any() and not padded[5].any()
    assert image(image_size=(4, 6)).tolist() == pixels.tolist()


def test_shuffling_draws_a_new_repeatable_order_each_pass(tmp_path):
    root = _tree(tmp_path)

    def passes(seed):
        ds = _load(root, seed=seed, batch_size=5)
        out = []
        for _ in range(3):
            images, labels = zip(*ds)  # one pass; iterating starts the next order
            colors = np.concatenate(images)[:, 0, 0, 2]
            labels = np.concatenate(labels)
            np.testing.assert_array_equal(colors > 100, labels == 1)
            out.append(labels.tolist())
        return ds, out

    ds, first = passes(3)
    _, again = passes(3)
    assert first == again
    assert sorted(first[0]) == [0] * 6 + [1] * 6
    assert len({tuple(p) for p in first}) > 1
    assert sorted(ds.file_paths) == sorted(_load(root, shuffle=False).file_paths)


def test_fit_evaluate_and_predict_take_the_datasets(tmp_path):
    root = _tree(tmp_path)
    train, val = _load(root, validation_split=0.25, subset="both", seed=1, batch_size=4,
                       label_mode="binary")
    model = keras.Sequential([keras.Input((4, 4, 3)), keras.layers.Rescaling(1 / 255),
                              keras.layers.GlobalAveragePooling2D(),
                              keras.layers.Dense(1, activation="sigmoid")])
    model.compile(optimizer=keras.optimizers.Adam(0.1), loss="binary_crossentropy",
                  metrics=["accuracy"])
    history = model.fit(train, validation_data=val, epochs=15, verbose=0).history
    assert history["loss"][-1] < history["loss"][0]
    assert history["accuracy"][-1] == 1.0
    assert model.evaluate(val, verbose=0, return_dict=True)["accuracy"] == 1.0
    assert model.predict(val, verbose=0).shape == (3, 1)


def test_validation_split_messages(tmp_path, capsys):
    root = _tree(tmp_path)
    keras.utils.image_dataset_from_directory(root, image_size=4, validation_split=0.2,
                                             subset="both", seed=2)
    assert capsys.readouterr().out == ("Found 12 files belonging to 2 classes.\n"
                                       "Using 10 files for training.\n"
                                       "Using 2 files for validation.\n")


@pytest.mark.parametrize("kwargs, message", [
    ({"validation_split": 0.2, "subset": "training"}, "you must provide a `seed`"),
    ({"subset": "training"}, "`validation_split` must be set"),
    ({"validation_split": 1.5, "subset": "both", "seed": 1}, "between 0 and 1"),
    ({"validation_split": 0.2, "subset": "train", "seed": 1}, '"training", "validation"'),
    ({"validation_split": 0.01, "subset": "both", "seed": 1}, "leaves 0 for validation"),
    ({"color_mode": "cmyk"}, "`color_mode` must be one of"),
    ({"label_mode": "sparse"}, "`label_mode` argument must be one of"),
    ({"image_size": (4, 4, 3)}, "Expected a tuple of 2 integers"),
    ({"interpolation": "cubic"}, "`interpolation` should be one of"),
    ({"interpolation": "gaussian"}, "not available in kerasx"),
    ({"crop_to_aspect_ratio": True, "pad_to_aspect_ratio": True}, "Only one of"),
    ({"labels": None, "class_names": ["cats"]}, "argument `class_names` cannot be"),
    ({"labels": [0] * 14, "class_names": ["cats"]}, "`class_names` if `labels=\"inferred\"`"),
    ({"format": "torch"}, '`format` should be either "tf" or "grain"'),
    ({"batch_size": 0}, "`batch_size` must be a positive integer"),
    ({"data_format": "channels_middle"}, "data_format"),
])
def test_bad_arguments_are_rejected(tmp_path, kwargs, message):
    with pytest.raises(ValueError, match=message):
        _load(_tree(tmp_path), **kwargs)


def test_binary_labels_need_two_classes_and_folders_need_images(tmp_path):
    root = _tree(tmp_path)
    (tmp_path / "birds").mkdir()
    with pytest.raises(ValueError, match="exactly 2 class_names"):
        _load(root, label_mode="binary")
    with pytest.raises(ValueError, match="No images found"):
        _load(str(tmp_path / "birds"), labels=None)
    with pytest.raises(ValueError, match="Could not find directory"):
        _load(str(tmp_path / "fish"))
