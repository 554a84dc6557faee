"""`keras.backend.result_type` / `get_uid` and the `keras.utils` helpers `is_keras_tensor`,
`standardize_dtype`, `get_source_inputs`, `split_dataset`, `Config` and `get_file`, against
what Keras 3.15.1 gives for the same calls."""

import hashlib
import io
import os
import random
import tarfile
import zipfile

import numpy as np
import pytest

import kerasx as keras
from kerasx.utils import file_download

# (arguments, Keras 3.15.1's keras.backend.result_type with floatx float32)
RESULT_TYPES = [
    ((), "float32"), (("float64",), "float32"), (("float64", "float64"), "float32"),
    (("int64",), "int32"), (("int32", "float32"), "float32"), (("int64", "float16"), "float16"),
    (("uint8", "int8"), "int16"), (("uint32", "int32"), "int32"),
    (("uint64", "int64"), "float32"), (("bfloat16", "float16"), "float32"),
    (("bfloat16", int), "bfloat16"), (("bfloat16", float), "bfloat16"),
    (("int8", float), "float32"), (("int8", int), "int8"), ((int, float), "float32"),
    ((int,), "int32"), ((float,), "float32"), ((bool,), "bool"), ((bool, int), "int32"),
    (("bool", "int8"), "int8"), (("complex64", int), "complex64"),
    (("complex64", "float64"), "complex64"), (("float32", "complex128"), "complex64"),
    ((None,), "float32"), ((None, "int8"), "float32"), (("uint8", "uint16"), "uint16"),
    (("uint16", "int8"), "int32"), (("int16", "float16"), "float16"), (("bool", "bool"), "bool"),
    (("bool", float), "float32"), ((np.float64, "int32"), "float32"),
    ((np.dtype("int16"), "uint8"), "int16"), (("string",), "string"),
    (("float16", float), "float16"), (("float64", int), "float32"), ((complex,), "complex64"),
    ((int, int), "int32"), ((float, float), "float32"), ((bool, bool), "bool"),
]


@pytest.mark.parametrize("dtypes, expected", RESULT_TYPES)
def test_result_type_matches_keras(dtypes, expected):
    assert keras.backend.result_type(*dtypes) == expected


def test_result_type_with_float64_floatx_still_gives_32_bit_types():
    keras.config.set_floatx("float64")
    try:
        assert keras.backend.result_type() == "float64"
        assert keras.backend.result_type(None) == "float32"
        assert keras.backend.result_type(int, float) == "float32"
        assert keras.backend.result_type(int) == "int32"
        assert keras.backend.result_type("int8", float) == "float32"
    finally:
        keras.config.set_floatx("float32")


@pytest.mark.parametrize("dtypes, match", [
    (("float8_e4m3fn",), "float8"),
    (("string", "int32"), "not a valid dtype for Keras type promotion"),
    (("xyz",), "Invalid dtype"),
])
def test_result_type_errors(dtypes, match):
    with pytest.raises(ValueError, match=match):
        keras.backend.result_type(*dtypes)


def test_get_uid_shares_the_layer_name_counter():
    keras.backend.clear_session()
    assert keras.backend.get_uid("thing") == 1 and keras.backend.get_uid("thing") == 2
    assert keras.backend.get_uid() == 1
    keras.layers.Dense(2)
    assert keras.backend.get_uid("dense") == 2
    assert keras.layers.Dense(2).name == "dense_2"
    keras.backend.clear_session()
    assert keras.backend.get_uid("thing") == 1


def test_utils_reexports_backend_dtype_helpers():
    assert keras.utils.is_keras_tensor is keras.backend.is_keras_tensor
    assert keras.utils.standardize_dtype is keras.backend.standardize_dtype
    assert keras.utils.is_keras_tensor(keras.Input((2,)))
    assert not keras.utils.is_keras_tensor(np.ones(2))
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        keras.utils.nope


def test_get_source_inputs_follows_the_graph_in_order():
    a, b = keras.Input((2,)), keras.Input((3,))
    y = keras.layers.Concatenate()([a, keras.layers.Dense(2)(b)])
    z = keras.layers.Add()([keras.layers.Dense(4)(b), y])
    assert keras.utils.get_source_inputs(y) == [a, b]
    assert keras.utils.get_source_inputs(z) == [b, a]
    assert keras.utils.get_source_inputs(a) == [a]
    doubled = keras.layers.Add()([y, y])
    assert keras.utils.get_source_inputs(doubled) == [a, b]
    model = keras.Model([a, b], z)
    assert keras.utils.get_source_inputs(model.outputs[0]) == [b, a]
    value = np.ones(3)
    assert keras.utils.get_source_inputs(value) is value


def test_split_dataset_of_an_array_by_fraction_and_count():
    data = np.arange(20).reshape(10, 2)
    left, right = keras.utils.split_dataset(data, left_size=0.8)
    np.testing.assert_array_equal(left, data[:8])
    np.testing.assert_array_equal(right, data[8:])
    left, right = keras.utils.split_dataset(data, right_size=3)
    assert len(left) == 7 and len(right) == 3
    left, right = keras.utils.split_dataset(data, left_size=2, right_size=3)
    np.testing.assert_array_equal(left, data[:2])
    np.testing.assert_array_equal(right, data[7:])


def test_split_dataset_keeps_structures_and_shuffles_as_keras():
    x, y = np.arange(12).reshape(6, 2), np.arange(6)
    (xl, yl), (xr, yr) = keras.utils.split_dataset([x, y], left_size=4, shuffle=True, seed=7)
    order = list(range(6))
    random.seed(7)  # Keras: random.seed(seed), then random.shuffle of the samples
    random.shuffle(order)
    np.testing.assert_array_equal(yl, order[:4])
    np.testing.assert_array_equal(yr, order[4:])
    np.testing.assert_array_equal(xl, x[order[:4]])
    np.testing.assert_array_equal(xr, x[order[4:]])
    left, right = keras.utils.split_dataset({"a": x, "b": (y, y * 2)}, right_size=0.5)
    assert set(left) == {"a", "b"} and isinstance(left["b"], tuple)
    np.testing.assert_array_equal(right["b"][1], y[3:] * 2)
    again = keras.utils.split_dataset((x, y), left_size=4, shuffle=True, seed=7)
    np.testing.assert_array_equal(again[0][1], yl)


@pytest.mark.parametrize("kwargs, error, match", [
    ({}, ValueError, "At least one of"),
    ({"left_size": 1.0}, ValueError, "float in the range"),
    ({"left_size": 10}, ValueError, "smaller than 10"),
    ({"right_size": 0}, ValueError, "positive integer"),
    ({"left_size": "3"}, TypeError, "int, a float or None"),
    ({"left_size": np.int64(3)}, TypeError, "int, a float or None"),
    ({"left_size": 0.6, "right_size": 0.5}, ValueError, "greater than 1"),
    ({"left_size": 6, "right_size": 5}, ValueError, "more than the 10"),
    ({"left_size": 0.01}, ValueError, "left part would be empty"),
])
def test_split_dataset_size_errors(kwargs, error, match):
    with pytest.raises(error, match=match):
        keras.utils.split_dataset(np.zeros((10, 2)), **kwargs)


def test_split_dataset_needs_arrays_of_one_length():
    with pytest.raises(ValueError, match="same number of samples"):
        keras.utils.split_dataset((np.zeros(4), np.zeros(5)), left_size=2)
    with pytest.raises(TypeError, match="expects an array"):
        keras.utils.split_dataset(7, left_size=2)


def test_config_is_a_freezable_attribute_dict():
    config = keras.utils.Config(b=1, a=2)
    config.c = 3
    config["d"] = 4
    assert config.c == 3 and config["a"] == 2 and config.get("zz", 9) == 9
    assert list(config) == ["a", "b", "c", "d"] and len(config) == 4 and "d" in config
    assert config.as_dict() == {"b": 1, "a": 2, "c": 3, "d": 4}
    assert config.to_json() == '{"b": 1, "a": 2, "c": 3, "d": 4}'
    assert repr(config) == "<Config {'b': 1, 'a': 2, 'c': 3, 'd': 4}>"
    assert config.pop("d") == 4
    config.update(learning_rate=5)
    with pytest.raises(AttributeError, match="'learning_rat'. Did you mean 'learning_rate'"):
        config.learning_rat
    config.freeze()
    assert config.frozen
    for mutate in (lambda: setattr(config, "f", 1), lambda: config.__setitem__("f", 1),
                   lambda: config.pop("a"), lambda: config.update(f=1),
                   lambda: config.__delitem__("a")):
        with pytest.raises(ValueError, match="frozen"):
            mutate()
    config.unfreeze()
    del config["a"]
    assert "a" not in config


@pytest.fixture
def sources(tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    (src / "a.txt").write_bytes(b"hello")
    with tarfile.open(src / "arch.tar.gz", "w:gz") as archive:
        archive.add(src / "a.txt", arcname="inner/a.txt")
    with zipfile.ZipFile(src / "arch.zip", "w") as archive:
        archive.write(src / "a.txt", arcname="a.txt")
    return src


def _url(path):
    return "file://" + os.fspath(path)


def test_get_file_caches_under_keras_home(sources, tmp_path, monkeypatch):
    monkeypatch.setenv("KERAS_HOME", os.fspath(tmp_path / "home"))
    path = keras.utils.get_file(origin=_url(sources / "a.txt"))
    assert path == os.fspath(tmp_path / "home" / "datasets" / "a.txt")
    (sources / "a.txt").write_bytes(b"changed")  # the cached copy is used from now on
    assert open(keras.utils.get_file(origin=_url(sources / "a.txt")), "rb").read() == b"hello"
    forced = keras.utils.get_file(origin=_url(sources / "a.txt"), force_download=True)
    assert open(forced, "rb").read() == b"changed"
    named = keras.utils.get_file("b.txt", _url(sources / "a.txt"), cache_subdir="sub",
                                 cache_dir=tmp_path / "other")
    assert named == os.fspath(tmp_path / "other" / "sub" / "b.txt")


def test_get_file_checks_md5_and_sha256(sources, tmp_path):
    url, cache = _url(sources / "a.txt"), tmp_path / "cache"
    sha = hashlib.sha256(b"hello").hexdigest()
    md5 = hashlib.md5(b"hello").hexdigest()
    assert keras.utils.get_file("s.txt", url, file_hash=sha, cache_dir=cache)
    assert keras.utils.get_file("m.txt", url, file_hash=md5, cache_dir=cache)
    assert keras.utils.get_file("m2.txt", url, md5_hash=md5, cache_dir=cache)
    assert keras.utils.get_file("m3.txt", url, file_hash=md5, hash_algorithm="md5",
                                cache_dir=cache)
    with pytest.raises(ValueError, match="file hash does not match"):
        keras.utils.get_file("bad.txt", url, file_hash="0" * 64, cache_dir=cache)
    assert not os.path.exists(cache / "datasets" / "bad.txt")
    assert not [n for n in os.listdir(cache / "datasets") if n.startswith(".tmp")]


def test_get_file_downloads_again_when_the_cached_hash_differs(sources, tmp_path, capsys):
    cache = tmp_path / "cache"
    (cache / "datasets").mkdir(parents=True)
    (cache / "datasets" / "a.txt").write_bytes(b"stale")
    path = keras.utils.get_file("a.txt", _url(sources / "a.txt"), cache_dir=cache,
                                file_hash=hashlib.sha256(b"hello").hexdigest())
    assert open(path, "rb").read() == b"hello"
    assert "hash does not match" in capsys.readouterr().out


def test_get_file_fetch_failures(tmp_path):
    with pytest.raises(Exception, match="URL fetch failure on file://"):
        keras.utils.get_file("x.txt", _url(tmp_path / "missing.txt"), cache_dir=tmp_path)
    assert not os.path.exists(tmp_path / "datasets" / "x.txt")
    with pytest.raises(ValueError, match='specify the "origin"'):
        keras.utils.get_file("x.txt")
    with pytest.raises(ValueError, match="cache_dir"):
        keras.utils.get_file(os.path.join("a", "b.txt"), "file:///x", cache_dir=tmp_path)
    with pytest.raises(ValueError, match="file name from the origin"):
        keras.utils.get_file(origin="file:///", cache_dir=tmp_path)


def test_get_file_extracts_tar_and_zip_archives(sources, tmp_path):
    cache = tmp_path / "cache"
    folder = keras.utils.get_file("named", _url(sources / "arch.tar.gz"), extract=True,
                                  cache_dir=cache)
    assert folder == os.fspath(cache / "datasets" / "named")
    assert open(os.path.join(folder, "inner", "a.txt"), "rb").read() == b"hello"
    assert os.path.isfile(cache / "datasets" / "named_archive")
    dotted = keras.utils.get_file("d.tar.gz", _url(sources / "arch.tar.gz"), extract=True,
                                  cache_dir=cache)
    assert dotted == os.fspath(cache / "datasets" / "d_extracted")
    assert os.path.isfile(cache / "datasets" / "d.tar.gz")
    unnamed = keras.utils.get_file(origin=_url(sources / "arch.zip"), extract=True,
                                   cache_dir=cache)
    assert unnamed == os.fspath(cache / "datasets" / "arch.zip")
    assert open(os.path.join(unnamed, "a.txt"), "rb").read() == b"hello"
    untarred = keras.utils.get_file("u", _url(sources / "arch.tar.gz"), untar=True,
                                    cache_dir=cache)
    assert os.path.isfile(os.path.join(untarred, "inner", "a.txt"))
    with pytest.warns(UserWarning, match="Could not extract"):
        keras.utils.get_file("plain", _url(sources / "a.txt"), extract=True, cache_dir=cache)


def test_extraction_skips_members_outside_the_folder(tmp_path):
    archive_path = tmp_path / "evil.tar"
    with tarfile.open(archive_path, "w") as archive:
        for name in ("ok.txt", "../escape.txt"):
            info = tarfile.TarInfo(name)
            info.size = 2
            archive.addfile(info, io.BytesIO(b"hi"))
    with pytest.warns(UserWarning, match="Skipping invalid path"):
        assert file_download.extract_archive(archive_path, tmp_path / "out")
    assert os.listdir(tmp_path / "out") == ["ok.txt"]
    assert not os.path.exists(tmp_path / "escape.txt")
    assert not file_download.extract_archive(archive_path, tmp_path / "none", None)
    assert not file_download.extract_archive(archive_path, tmp_path / "zip", "zip")


def test_split_dataset_takes_keras_argument_names():
    x = np.arange(10, dtype="float32")
    left, right = keras.utils.split_dataset(x, left_size=0.6, preferred_backend="numpy")
    assert left.shape == (6,) and right.shape == (4,)
    with pytest.raises(ValueError, match="preferred_backend='torch'.*host arrays"):
        keras.utils.split_dataset(x, left_size=0.6, preferred_backend="torch")
    assert type(keras.losses.deserialize(name="mse")).__name__ == "function"
    config = keras.quantizers.serialize(initializer=keras.quantizers.AbsMaxQuantizer(axis=-1))
    assert config["class_name"] == "AbsMaxQuantizer"
