"""`text_dataset_from_directory`: texts and labels, order and split, max_length in bytes,
single samples, training a TextVectorization model on it, and errors."""

import os

import numpy as np
import pytest

import kerasx as keras

TEXTS = {"neg": ["bad movie", "awful plot", "boring"], "pos": ["great film", "loved it",
                                                                 "superb acting", "fun"]}


def _tree(root):
    for label, texts in TEXTS.items():
        (root / label).mkdir()
        for i, text in enumerate(texts):
            (root / label / f"{i}.txt").write_text(text, encoding="utf-8")
    (root / "pos" / "skip.md").write_text("not a txt file")
    return str(root)


def test_texts_and_labels_in_sorted_order(tmp_path, capsys):
    root = _tree(tmp_path)
    ds = keras.utils.text_dataset_from_directory(root, shuffle=False, batch_size=4)
    assert capsys.readouterr().out == "Found 7 files belonging to 2 classes.\n"
    texts, labels = zip(*ds)
    assert [t.tolist() for t in texts] == [TEXTS["neg"] + TEXTS["pos"][:1], TEXTS["pos"][1:]]
    assert np.concatenate(labels).tolist() == [0, 0, 0, 1, 1, 1, 1]
    assert ds.class_names == ["neg", "pos"] and len(ds.file_paths) == 7
    assert [os.path.basename(p) for p in ds.file_paths][:3] == ["0.txt", "1.txt", "2.txt"]


def test_split_shuffle_and_single_samples(tmp_path):
    root = _tree(tmp_path)
    train, val = keras.utils.text_dataset_from_directory(
        root, validation_split=0.3, subset="both", seed=5, batch_size=None, verbose=False,
        label_mode="categorical")
    assert len(train) == 5 and len(val) == 2
    assert not set(train.file_paths) & set(val.file_paths)
    for ds in (train, val):
        for text, label in ds:
            assert label.shape == (2,) and label.dtype == np.float32
            assert str(text) in TEXTS[ds.class_names[int(label.argmax())]]
    texts = keras.utils.text_dataset_from_directory(root, labels=None, seed=3, verbose=False)
    batch = texts[0]
    assert sorted(batch.tolist()) == sorted(sum(TEXTS.values(), []))


def test_max_length_counts_bytes_and_drops_a_cut_character(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "x.txt").write_text("héllo wörld", encoding="utf-8")
    read = lambda n: keras.utils.text_dataset_from_directory(  # noqa: E731
        str(tmp_path), max_length=n, labels=None, shuffle=False, verbose=False)[0][0]
    assert read(None) == "héllo wörld"
    assert read(3) == "hé" and read(2) == "h" and read(0) == ""


def test_a_text_model_trains_on_it(tmp_path):
    root = _tree(tmp_path)
    ds = keras.utils.text_dataset_from_directory(root, seed=1, batch_size=3, verbose=False,
                                                 label_mode="binary")
    vectorize = keras.layers.TextVectorization(output_mode="multi_hot")
    vectorize.adapt(np.concatenate([x for x, _ in ds]))
    model = keras.Sequential([keras.Input((), dtype="string"), vectorize,
                              keras.layers.Dense(1, activation="sigmoid")])
    model.compile(optimizer=keras.optimizers.Adam(0.1), loss="binary_crossentropy",
                  metrics=["accuracy"])
    history = model.fit(ds, epochs=20, verbose=0).history
    assert history["accuracy"][-1] == 1.0


@pytest.mark.parametrize("kwargs, message", [
    ({"max_length": -1}, "`max_length` must be None or a non-negative integer"),
    ({"label_mode": "onehot"}, "`label_mode` argument must be one of"),
    ({"labels": "names"}, "number of text files"),
    ({"label_mode": "binary", "class_names": ["neg"]}, "exactly 2 class_names"),
    ({"format": "pandas"}, '`format` should be either "tf" or "grain"'),
])
def test_bad_arguments_are_rejected(tmp_path, kwargs, message):
    with pytest.raises(ValueError, match=message):
        keras.utils.text_dataset_from_directory(_tree(tmp_path), verbose=False, **kwargs)
