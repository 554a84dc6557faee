"""Interrupted saves keep the previous file; damaged and mismatched files give clear
errors and leave the model they were loaded into unchanged."""

import io
import os
import signal
import subprocess
import sys
import textwrap
import zipfile

import numpy as np
import pytest

import kerasx
from kerasx.saving import h5_weights, keras_archive

h5py = pytest.importorskip("h5py")

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def make_model(units=3, seed=0):
    kerasx.utils.set_random_seed(seed)
    model = kerasx.Sequential([kerasx.Input(shape=(4,)), kerasx.layers.Dense(5, activation="relu"),
                               kerasx.layers.Dense(units)])
    model.compile(optimizer="adam", loss="mse")
    rng = np.random.default_rng(seed)
    model.fit(rng.normal(size=(8, 4)).astype("float32"),
              rng.normal(size=(8, units)).astype("float32"), batch_size=4, epochs=1, verbose=0)
    return model


X = np.random.default_rng(1).normal(size=(3, 4)).astype("float32")


def state(model):
    weights = [w.copy() for w in model.get_weights()]
    opt = model.optimizer
    slots = [kerasx.backends.current().to_numpy(v.value).copy() for v in opt.variables] \
        if opt is not None else []
    return weights, slots, (opt.built if opt is not None else None)


def assert_state_equal(a, b):
    assert len(a[0]) == len(b[0]) and len(a[1]) == len(b[1]) and a[2] == b[2]
    for x, y in zip(a[0] + a[1], b[0] + b[1]):
        np.testing.assert_array_equal(x, y)


def leftovers(directory):
    return [n for n in os.listdir(directory) if n.startswith(".")]


# -- interrupted saves --------------------------------------------------------------------
def test_save_interrupted_while_writing_weights_keeps_the_previous_file(tmp_path, monkeypatch):
    path = str(tmp_path / "model.keras")
    first = make_model(seed=0)
    first.save(path)
    original = open(path, "rb").read()
    expected = first.predict(X, verbose=0)

    real = h5_weights.write_entries

    def failing(h5file, entries):
        real(h5file, entries[:1])
        raise OSError("No space left on device")

    monkeypatch.setattr(h5_weights, "write_entries", failing)
    with pytest.raises(OSError, match="No space left"):
        make_model(seed=1).save(path)
    assert open(path, "rb").read() == original
    np.testing.assert_array_equal(kerasx.models.load_model(path).predict(X, verbose=0), expected)
    assert leftovers(tmp_path) == []


def test_save_interrupted_while_writing_the_zip_keeps_the_previous_file(tmp_path, monkeypatch):
    path = str(tmp_path / "model.keras")
    first = make_model(seed=0)
    first.save(path)
    original = open(path, "rb").read()

    def half_written(tmp, metadata, config, weights):
        with zipfile.ZipFile(tmp, "w") as zf:
            zf.writestr("metadata.json", metadata)
            zf.writestr("config.json", config)
            raise KeyboardInterrupt  # the user pressed Ctrl-C mid-save

    monkeypatch.setattr(keras_archive, "write_zip", half_written)
    with pytest.raises(KeyboardInterrupt):
        make_model(seed=1).save(path)
    assert open(path, "rb").read() == original
    assert leftovers(tmp_path) == []
    monkeypatch.undo()
    np.testing.assert_array_equal(kerasx.models.load_model(path).predict(X, verbose=0),
                                  first.predict(X, verbose=0))


def test_save_weights_interrupted_keeps_the_previous_file(tmp_path, monkeypatch):
    path = str(tmp_path / "model.weights.h5")
    first = make_model(seed=0)
    first.save_weights(path)
    original = open(path, "rb").read()
    monkeypatch.setattr(h5_weights, "write_entries",
                        lambda h5file, entries: (_ for _ in ()).throw(RuntimeError("killed")))
    with pytest.raises(RuntimeError, match="killed"):
        make_model(seed=1).save_weights(path)
    assert open(path, "rb").read() == original
    assert leftovers(tmp_path) == []


_CHILD = textwrap.dedent("""
    import sys, time
    import kerasx
    from kerasx.saving import keras_archive

    path, mode = sys.argv[1], sys.argv[2]
    kerasx.utils.set_random_seed(5)
    model = kerasx.Sequential([kerasx.Input(shape=(4,)), kerasx.layers.Dense(64),
                               kerasx.layers.Dense(3)])
    if mode == "stall":
        real = keras_archive.write_zip

        def stalled(tmp, metadata, config, weights):
            with open(tmp, "wb") as f:
                f.write(b"PK" + weights[: len(weights) // 2])
                f.flush()
                print("WRITING", flush=True)
                time.sleep(60)

        keras_archive.write_zip = stalled
        model.save(path)
    else:
        print("WRITING", flush=True)
        while True:
            model.save(path)
""")


@pytest.mark.parametrize("mode", ["stall", "loop"])
def test_sigkill_during_save_keeps_a_loadable_file(tmp_path, mode):
    """SIGKILL of a process in the middle of saving: the file on disk is the previous
    complete one (`stall`: killed with half the file written; `loop`: killed at an
    arbitrary moment of back-to-back saves)."""
    path = str(tmp_path / "model.keras")
    first = make_model(seed=0)
    first.save(path)
    original = open(path, "rb").read()
    env = {**os.environ, "PYTHONPATH": REPO + os.pathsep + os.environ.get("PYTHONPATH", "")}
    child = subprocess.Popen([sys.executable, "-c", _CHILD, path, mode], stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True, env=env)
    try:
        line = child.stdout.readline()
        assert line.strip() == "WRITING", child.stderr.read()
        if mode == "loop":
            import time

            time.sleep(0.5)
        os.kill(child.pid, signal.SIGKILL)
        child.wait(timeout=30)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
    assert child.returncode == -signal.SIGKILL
    loaded = kerasx.models.load_model(path)  # complete: the old model or a newer full save
    if mode == "stall":
        assert open(path, "rb").read() == original
        np.testing.assert_array_equal(loaded.predict(X, verbose=0), first.predict(X, verbose=0))
        assert any(n.startswith(".tmp-") for n in os.listdir(tmp_path))  # died mid-write
    else:
        assert loaded.predict(X, verbose=0).shape == (3, 3)


# -- damaged files ------------------------------------------------------------------------
@pytest.fixture
def saved(tmp_path):
    model = make_model()
    path = str(tmp_path / "model.keras")
    model.save(path)
    return model, path


def _weights_data_offset(path):
    with zipfile.ZipFile(path) as zf:
        info = zf.getinfo("model.weights.h5")
    with open(path, "rb") as f:
        f.seek(info.header_offset + 26)
        name_len = int.from_bytes(f.read(2), "little")
        extra_len = int.from_bytes(f.read(2), "little")
    return info.header_offset + 30 + name_len + extra_len, info.compress_size


def test_corrupted_weights_are_detected(saved):
    _, path = saved
    start, size = _weights_data_offset(path)
    data = bytearray(open(path, "rb").read())
    data[start + size // 2] ^= 0xFF  # one flipped byte inside the weights
    open(path, "wb").write(bytes(data))
    with pytest.raises(ValueError, match="model.weights.h5 .*damaged"):
        kerasx.models.load_model(path)


def test_corrupted_config_is_detected(saved, tmp_path):
    model, path = saved
    bad = str(tmp_path / "bad.keras")
    with zipfile.ZipFile(path) as zf, zipfile.ZipFile(bad, "w") as out:
        out.writestr("metadata.json", zf.read("metadata.json"))
        out.writestr("config.json", zf.read("config.json")[:-20])
        out.writestr("model.weights.h5", zf.read("model.weights.h5"))
    with pytest.raises(ValueError, match="config.json .* not valid JSON"):
        kerasx.models.load_model(bad)


@pytest.mark.parametrize("fraction", [0.9, 0.5, 0.02])
def test_truncated_file(saved, fraction):
    _, path = saved
    data = open(path, "rb").read()
    open(path, "wb").write(data[: int(len(data) * fraction)])
    with pytest.raises(ValueError, match="truncated or corrupted"):
        kerasx.models.load_model(path)


def test_truncated_weights_file(tmp_path):
    path = str(tmp_path / "w.weights.h5")
    model = make_model()
    model.save_weights(path)
    data = open(path, "rb").read()
    open(path, "wb").write(data[: len(data) // 2])
    before = state(model)
    with pytest.raises(ValueError, match="truncated or corrupted"):
        model.load_weights(path)
    assert_state_equal(before, state(model))


def test_not_a_zip_file(tmp_path):
    path = tmp_path / "model.keras"
    path.write_text("this is not a model")
    with pytest.raises(ValueError, match="not a .keras archive: it is not a zip file"):
        kerasx.models.load_model(path)
    path.write_bytes(b"")
    with pytest.raises(ValueError, match="is empty"):
        kerasx.models.load_model(path)


def test_weights_file_passed_to_load_model(tmp_path):
    model = make_model()
    model.save_weights(tmp_path / "w.weights.h5")
    with pytest.raises(ValueError, match="load_weights"):
        kerasx.models.load_model(tmp_path / "w.weights.h5")
    os.rename(tmp_path / "w.weights.h5", tmp_path / "w.keras")
    with pytest.raises(ValueError, match="is an HDF5 file, not a .keras archive"):
        kerasx.models.load_model(tmp_path / "w.keras")


def test_zip_without_model_entries(tmp_path):
    path = str(tmp_path / "other.keras")
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("readme.txt", "hello")
    with pytest.raises(ValueError, match=r"lacks \['config.json', 'model.weights.h5'\]"):
        kerasx.models.load_model(path)


def test_missing_file():
    with pytest.raises(FileNotFoundError, match="No such file"):
        kerasx.models.load_model("/nonexistent/model.keras")
    with pytest.raises(FileNotFoundError, match="No such weights file"):
        make_model().load_weights("/nonexistent/model.weights.h5")


# -- config and weights that do not match -------------------------------------------------
def _swap_weights(config_from, weights_from, out):
    with zipfile.ZipFile(config_from) as a, zipfile.ZipFile(weights_from) as b, \
            zipfile.ZipFile(out, "w") as zf:
        zf.writestr("metadata.json", a.read("metadata.json"))
        zf.writestr("config.json", a.read("config.json"))
        zf.writestr("model.weights.h5", b.read("model.weights.h5"))


def test_weights_that_do_not_match_the_config(tmp_path):
    make_model(units=3).save(tmp_path / "a.keras")
    make_model(units=7).save(tmp_path / "b.keras")
    _swap_weights(tmp_path / "a.keras", tmp_path / "b.keras", tmp_path / "mixed.keras")
    with pytest.raises(ValueError, match=r"(?s)do not match.*Dense 'dense_1'.*"
                                         r"'/layers/dense_1/vars'.*\(5, 3\) in the model but "
                                         r"\(5, 7\) in the file"):
        kerasx.models.load_model(tmp_path / "mixed.keras")


def test_weights_with_variables_the_model_lacks(tmp_path):
    small = kerasx.Sequential([kerasx.Input(shape=(4,)), kerasx.layers.Dense(5)])
    small.save(tmp_path / "small.keras")
    make_model().save(tmp_path / "big.keras")
    _swap_weights(tmp_path / "small.keras", tmp_path / "big.keras", tmp_path / "mixed.keras")
    with pytest.raises(ValueError, match=r"belong to no object of the model \(/layers/dense_1"):
        kerasx.models.load_model(tmp_path / "mixed.keras", compile=False)


def test_failed_load_weights_leaves_the_model_unchanged(tmp_path):
    """The first layer fits, the second does not: nothing is assigned, not even the first."""
    make_model(units=7, seed=3).save_weights(tmp_path / "w.weights.h5")
    model = make_model(units=3)
    before = state(model)
    with pytest.raises(ValueError, match="skip_mismatch=True"):
        model.load_weights(tmp_path / "w.weights.h5")
    assert_state_equal(before, state(model))


def test_failed_load_weights_leaves_an_unbuilt_optimizer_unbuilt(tmp_path):
    make_model(units=7, seed=3).save_weights(tmp_path / "w.weights.h5")
    model = kerasx.Sequential([kerasx.Input(shape=(4,)), kerasx.layers.Dense(5, activation="relu"),
                               kerasx.layers.Dense(3)])
    model.compile(optimizer="adam", loss="mse")
    before = state(model)
    assert before[2] is False
    with pytest.raises(ValueError, match="do not match"):
        model.load_weights(tmp_path / "w.weights.h5")
    assert_state_equal(before, state(model))


def test_optimizer_of_another_kind_is_skipped_with_a_warning(tmp_path):
    model = make_model()
    model.save_weights(tmp_path / "w.weights.h5")
    other = kerasx.Sequential([kerasx.Input(shape=(4,)), kerasx.layers.Dense(5, activation="relu"),
                               kerasx.layers.Dense(3)])
    other.compile(optimizer=kerasx.optimizers.SGD(0.1), loss="mse")
    with pytest.warns(UserWarning, match="Skipping the optimizer state"):
        other.load_weights(tmp_path / "w.weights.h5")
    for a, b in zip(model.get_weights(), other.get_weights()):
        np.testing.assert_array_equal(a, b)


# -- HDF5 features that are refused -------------------------------------------------------
def _rewrite_weights(tmp_path, edit):
    """A weights file of `make_model()` changed by `edit(h5file)`."""
    model = make_model()
    path = str(tmp_path / "w.weights.h5")
    model.save_weights(path)
    with h5py.File(path, "a") as f:
        edit(f)
    return model, path


def test_external_link_is_refused(tmp_path):
    other = str(tmp_path / "other.h5")
    with h5py.File(other, "w") as f:
        f["secret"] = np.zeros((4, 5), "float32")

    def edit(f):
        del f["layers/dense/vars/0"]
        f["layers/dense/vars/0"] = h5py.ExternalLink(other, "secret")

    model, path = _rewrite_weights(tmp_path, edit)
    before = state(model)
    with pytest.raises(ValueError, match="ExternalLink, which is refused"):
        model.load_weights(path)
    assert_state_equal(before, state(model))


def test_soft_link_is_refused(tmp_path):
    def edit(f):
        del f["layers/dense_1/vars/1"]
        f["layers/dense_1/vars/1"] = h5py.SoftLink("/layers/dense/vars/1")

    model, path = _rewrite_weights(tmp_path, edit)
    with pytest.raises(ValueError, match="SoftLink, which is refused"):
        model.load_weights(path)


def test_non_numeric_dataset_is_refused(tmp_path):
    def edit(f):
        del f["layers/dense/vars/1"]
        f.create_dataset("layers/dense/vars/1", data=np.array([b"a", b"b", b"c", b"d", b"e"]))

    model, path = _rewrite_weights(tmp_path, edit)
    with pytest.raises(ValueError, match="non-numeric dtype"):
        model.load_weights(path)


def test_weights_bytes_in_memory_round_trip():
    model = make_model()
    data = keras_archive.weights_bytes(model)
    with h5py.File(io.BytesIO(data), "r") as f:
        assert f["layers/dense/vars"].attrs["name"] == "dense"
        assert f["optimizer/vars/0"][()] == 2  # iterations: 8 samples, batch 4


def test_unserializable_config_fails_before_touching_the_file(tmp_path):
    class Opaque(kerasx.layers.Layer):
        def get_config(self):
            return {**super().get_config(), "thing": object()}

    path = tmp_path / "m.keras"
    make_model().save(path)
    original = path.read_bytes()
    model = kerasx.Sequential([kerasx.Input(shape=(2,)), Opaque()])
    with pytest.raises(TypeError, match="Cannot save model .*could not be serialized"):
        model.save(path)
    assert path.read_bytes() == original
    assert leftovers(tmp_path) == []


def test_h5py_is_imported_only_when_saving_or_loading():
    code = ("import sys, kerasx, kerasx.saving.saving_api; "
            "assert 'h5py' not in sys.modules, 'h5py imported at import time'")
    env = {**os.environ, "PYTHONPATH": REPO + os.pathsep + os.environ.get("PYTHONPATH", "")}
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    assert run.returncode == 0, run.stderr
