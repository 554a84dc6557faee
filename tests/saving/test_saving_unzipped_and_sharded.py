"""`model.save(path, zipped=False)` (a directory of the `.keras` entries) and
`model.save_weights(path, max_shard_size=...)` (a `.weights.json` index and its
shards): round trips, the layouts real Keras writes (fixtures written by Keras with
make_unzipped_and_sharded_fixtures.py, and live with `KERASX_KERAS_PYTHON`), the
errors Keras gives, and saves that fail midway leaving the previous files loadable."""

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
import warnings
import zipfile

import numpy as np
import pytest

import kerasx
from kerasx.saving import h5_weights, sharded_weights, unzipped_dir

h5py = pytest.importorskip("h5py")

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURES = os.path.join(HERE, "fixtures")
KERAS_DIR = os.path.join(FIXTURES, "keras_model_dir")
KERAS_SHARDED = os.path.join(FIXTURES, "keras_sharded", "mlp.weights.json")
with open(os.path.join(FIXTURES, "keras_unzipped_and_sharded.json")) as _f:
    KERAS = json.load(_f)
ENTRIES = ["assets", "config.json", "metadata.json", "model.weights.h5"]


def keras_dir_entries():
    """The entries of Keras's directory; git keeps no empty directory, so its empty
    `assets/` is restored here when a checkout lacks it."""
    return sorted(set(os.listdir(KERAS_DIR)) | {"assets"})


def to_numpy(variable):
    return np.asarray(kerasx.backends.current().to_numpy(variable.value))


def trained(seed=0, width=6):
    """A small compiled MLP after two training steps (the optimizer is built)."""
    kerasx.utils.set_random_seed(seed)
    model = kerasx.Sequential([kerasx.Input(shape=(5,)), kerasx.layers.Dense(width, "relu"),
                               kerasx.layers.Activation("tanh"), kerasx.layers.Dense(2)])
    model.compile(optimizer="adam", loss="mse")
    rng = np.random.default_rng(seed)
    model.fit(rng.normal(size=(8, 5)).astype("float32"),
              rng.normal(size=(8, 2)).astype("float32"), batch_size=4, epochs=1,
              shuffle=False, verbose=0)
    return model


def fresh(width=6):
    """The same architecture, compiled, with other weights and an unbuilt optimizer."""
    kerasx.utils.set_random_seed(99)
    model = kerasx.Sequential([kerasx.Input(shape=(5,)), kerasx.layers.Dense(width, "relu"),
                               kerasx.layers.Activation("tanh"), kerasx.layers.Dense(2)])
    model.compile(optimizer="adam", loss="mse")
    return model


X = np.random.default_rng(1).normal(size=(4, 5)).astype("float32")
STEP = (np.random.default_rng(2).normal(size=(4, 5)).astype("float32"),
        np.random.default_rng(3).normal(size=(4, 2)).astype("float32"))


def assert_same_model(a, b):
    np.testing.assert_array_equal(a.predict(X, verbose=0), b.predict(X, verbose=0))
    for x, y in zip(a.get_weights(), b.get_weights(), strict=True):
        np.testing.assert_array_equal(x, y)
    assert int(a.optimizer.iterations) == int(b.optimizer.iterations)
    for x, y in zip(a.optimizer.variables, b.optimizer.variables, strict=True):
        np.testing.assert_array_equal(to_numpy(x), to_numpy(y))


def assert_trains_on_the_same(a, b):
    for model in (a, b):
        model.train_on_batch(*STEP)
    assert_same_model(a, b)


def h5_structure(path):
    """`[(object path, attributes, dataset shape or None)]` of an HDF5 file."""
    out = []
    with h5py.File(path, "r") as f:
        def visit(name, obj):
            attrs = {k: (v.decode() if isinstance(v, bytes) else str(v))
                     for k, v in obj.attrs.items()}
            out.append((name, attrs, tuple(obj.shape) if isinstance(obj, h5py.Dataset) else None))
        f.visititems(visit)
    return out


def leftovers(directory):
    return sorted(n for n in os.listdir(directory) if n.startswith("."))


def files_of(directory):
    return {n: open(os.path.join(directory, n), "rb").read() for n in sorted(os.listdir(directory))
            if os.path.isfile(os.path.join(directory, n))}


# -- unzipped directories ------------------------------------------------------------------
def test_unzipped_round_trip_restores_weights_and_optimizer_state(tmp_path):
    model = trained()
    path = tmp_path / "saved_model"
    model.save(path, zipped=False)
    assert sorted(os.listdir(path)) == ENTRIES
    loaded = kerasx.saving.load_model(path)
    assert loaded.compiled
    assert_same_model(model, loaded)
    assert_trains_on_the_same(model, loaded)


def test_directory_holds_the_entries_of_the_keras_archive(tmp_path):
    model = trained()
    kerasx.saving.save_model(model, tmp_path / "m.keras")
    kerasx.saving.save_model(model, tmp_path / "m_dir", zipped=False)
    with zipfile.ZipFile(tmp_path / "m.keras") as zf:
        assert sorted(zf.namelist()) == ENTRIES[1:]
        assert sorted(os.listdir(tmp_path / "m_dir")) == ENTRIES
        assert json.loads(zf.read("config.json")) == \
            json.loads((tmp_path / "m_dir" / "config.json").read_bytes())
        metadata = json.loads((tmp_path / "m_dir" / "metadata.json").read_bytes())
        assert metadata.keys() == json.loads(zf.read("metadata.json")).keys()
    assert h5_structure(tmp_path / "m_dir" / "model.weights.h5") == \
        h5_structure(_extract_weights(tmp_path / "m.keras", tmp_path))


def _extract_weights(archive, tmp_path):
    with zipfile.ZipFile(archive) as zf:
        out = tmp_path / "extracted.weights.h5"
        out.write_bytes(zf.read("model.weights.h5"))
    return out


def test_keras_directory_loads_and_trains_on_like_keras():
    assert keras_dir_entries() == ENTRIES
    model = kerasx.saving.load_model(KERAS_DIR)
    x = np.asarray(KERAS["x"], dtype="float32")
    np.testing.assert_allclose(model.predict(x, verbose=0), KERAS["predictions"], rtol=1e-5,
                               atol=1e-6)
    assert int(model.optimizer.iterations) == KERAS["iterations"]
    model.train_on_batch(np.asarray(KERAS["step_x"], "float32"),
                         np.asarray(KERAS["step_y"], "float32"))
    np.testing.assert_allclose(model.predict(x, verbose=0), KERAS["after_step"], rtol=1e-5,
                               atol=1e-5)


def test_directory_has_the_layout_keras_writes(tmp_path):
    keras_model = kerasx.saving.load_model(KERAS_DIR)
    keras_model.save(tmp_path / "again", zipped=False)
    assert sorted(os.listdir(tmp_path / "again")) == keras_dir_entries()
    assert os.listdir(tmp_path / "again" / "assets") == []
    ours = h5_structure(tmp_path / "again" / "model.weights.h5")
    theirs = h5_structure(os.path.join(KERAS_DIR, "model.weights.h5"))
    assert [(p, a) for p, a, _ in ours] == [(p, a) for p, a, _ in theirs]
    assert [s for *_, s in ours] == [s for *_, s in theirs]


def test_unzipped_errors_match_keras(tmp_path, monkeypatch):
    model = trained()
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ValueError) as e:
        model.save("m.keras", zipped=False)
    assert str(e.value) == KERAS["errors"]["zipped_false_keras_path"]
    with pytest.raises(ValueError, match="Invalid filepath extension.*zipped=False"):
        model.save("m_dir")
    with pytest.raises(ValueError, match="Hugging Face"):
        model.save("hf://user/model", zipped=False)
    (tmp_path / "a_file").write_text("not a directory")
    with pytest.raises(FileExistsError, match="a file with that name exists"):
        model.save("a_file", zipped=False)
    (tmp_path / "empty_dir").mkdir()
    with pytest.raises(ValueError, match="not an unzipped .keras model"):
        kerasx.saving.load_model("empty_dir")
    model.save("m_dir", zipped=False)
    with pytest.raises(FileExistsError, match="overwrite=False"):
        model.save("m_dir", zipped=False, overwrite=False)
    assert not os.path.exists("m.keras")


def test_replacing_a_directory_swaps_it_whole(tmp_path, monkeypatch):
    path = tmp_path / "m_dir"
    trained(seed=0).save(path, zipped=False)
    (path / "assets" / "vocabulary.txt").write_text("a Keras entry: the new save drops it")
    second = trained(seed=1)
    second.save(path, zipped=False)
    assert sorted(os.listdir(path)) == ENTRIES and leftovers(tmp_path) == []
    # where the system cannot exchange two directories, the old one is moved aside
    monkeypatch.setattr(unzipped_dir, "_exchange", lambda a, b: False)
    third = trained(seed=2)
    third.save(path, zipped=False)
    assert leftovers(tmp_path) == []
    assert_same_model(third, kerasx.saving.load_model(path))


def test_a_directory_with_other_files_keeps_them(tmp_path):
    project = tmp_path / "project"
    project.mkdir()
    (project / "notes.txt").write_text("mine")
    model = trained()
    model.save(project, zipped=False)
    assert sorted(os.listdir(project)) == ENTRIES + ["notes.txt"]
    assert (project / "notes.txt").read_text() == "mine"
    assert_same_model(model, kerasx.saving.load_model(project))


@pytest.mark.parametrize("with_other_files", [False, True])
def test_failed_directory_save_keeps_the_previous_directory(tmp_path, monkeypatch,
                                                            with_other_files):
    path = tmp_path / "m_dir"
    path.mkdir()
    if with_other_files:
        (path / "notes.txt").write_text("mine")
    first = trained(seed=0)
    first.save(path, zipped=False)
    before = files_of(path)
    real = unzipped_dir._write_file
    written = []

    def disk_full(target, data):
        if written:
            raise OSError("No space left on device")
        written.append(target)
        real(target, data)

    monkeypatch.setattr(unzipped_dir, "_write_file", disk_full)
    with pytest.raises(OSError, match="No space left"):
        trained(seed=1).save(path, zipped=False)
    assert written  # the failure came after part of the new directory was written
    assert files_of(path) == before
    assert leftovers(tmp_path) == [] and leftovers(path) == []
    monkeypatch.undo()
    assert_same_model(first, kerasx.saving.load_model(path))


def test_failed_swap_without_exchange_puts_the_previous_directory_back(tmp_path, monkeypatch):
    path = tmp_path / "m_dir"
    first = trained(seed=0)
    first.save(path, zipped=False)
    before = files_of(path)
    monkeypatch.setattr(unzipped_dir, "_exchange", lambda a, b: False)
    real_replace = os.replace

    def second_rename_fails(src, dst):
        if os.path.basename(str(src)).startswith(".tmp-"):
            raise OSError("Input/output error")
        real_replace(src, dst)

    monkeypatch.setattr(unzipped_dir.os, "replace", second_rename_fails)
    with pytest.raises(OSError, match="Input/output"):
        trained(seed=1).save(path, zipped=False)
    monkeypatch.undo()
    assert files_of(path) == before and leftovers(tmp_path) == []
    assert_same_model(first, kerasx.saving.load_model(path))


_SAVING_CHILD = textwrap.dedent("""
    import sys
    import numpy as np
    import kerasx

    path, work = sys.argv[1], sys.argv[2]
    x = np.linspace(-1, 1, 20, dtype="float32").reshape(4, 5)
    models = []
    for seed in (5, 6):
        kerasx.utils.set_random_seed(seed)
        model = kerasx.Sequential([kerasx.Input(shape=(5,)), kerasx.layers.Dense(256),
                                   kerasx.layers.Dense(3)])
        np.save(f"{work}/pred_{seed}.npy", model.predict(x, verbose=0))
        models.append(model)
    models[0].save(path, zipped=False)
    print("SAVING", flush=True)
    while True:
        for model in models:
            model.save(path, zipped=False)
""")


def test_sigkill_during_back_to_back_directory_saves_leaves_a_complete_one(tmp_path):
    path = tmp_path / "m_dir"
    repo = os.path.dirname(os.path.dirname(HERE))
    env = {**os.environ, "PYTHONPATH": repo + os.pathsep + os.environ.get("PYTHONPATH", "")}
    child = subprocess.Popen([sys.executable, "-c", _SAVING_CHILD, str(path), str(tmp_path)],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        assert child.stdout.readline().strip() == "SAVING", child.stderr.read()
        time.sleep(0.7)
        os.kill(child.pid, signal.SIGKILL)
        child.wait(timeout=30)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
    assert child.returncode == -signal.SIGKILL
    loaded = kerasx.saving.load_model(path)
    x = np.linspace(-1, 1, 20, dtype="float32").reshape(4, 5)
    got = loaded.predict(x, verbose=0)
    matches = [np.array_equal(got, np.load(tmp_path / f"pred_{seed}.npy")) for seed in (5, 6)]
    assert any(matches)


def test_failed_weights_serialization_leaves_the_directory_alone(tmp_path, monkeypatch):
    path = tmp_path / "m_dir"
    first = trained(seed=0)
    first.save(path, zipped=False)
    before = files_of(path)
    monkeypatch.setattr(h5_weights, "write_entries",
                        lambda h5file, entries: (_ for _ in ()).throw(RuntimeError("killed")))
    with pytest.raises(RuntimeError, match="killed"):
        trained(seed=1).save(path, zipped=False)
    assert files_of(path) == before and leftovers(tmp_path) == []


def test_load_weights_from_a_directory(tmp_path):
    model = trained()
    model.save(tmp_path / "m_dir", zipped=False)
    other = fresh()
    other.load_weights(tmp_path / "m_dir")
    assert_same_model(model, other)


# -- sharded weights -----------------------------------------------------------------------
SMALL = 0.00001  # GB: 10737 bytes, less than the model's state below
WIDE = 256  # Dense(256) on 5 inputs: 5 kB of kernel, about 25 kB of state with Adam's


def big(seed=0):
    return trained(seed=seed, width=WIDE)


def read_index(path):
    with open(path) as f:
        return json.load(f)


def test_sharded_round_trip_restores_weights_and_optimizer_state(tmp_path):
    model = big()
    path = tmp_path / "model.weights.json"
    model.save_weights(path, max_shard_size=SMALL)
    shards = sorted(n for n in os.listdir(tmp_path) if n.endswith(".weights.h5"))
    assert len(shards) > 2
    assert shards == [f"model_{i:05d}.weights.h5" for i in range(len(shards))]
    other = fresh(width=WIDE)
    other.load_weights(path)
    assert_same_model(model, other)
    assert_trains_on_the_same(model, other)


def test_shards_follow_the_size_limit(tmp_path):
    model = big()
    path = tmp_path / "m.weights.json"
    kerasx.saving.save_weights(model, path, max_shard_size=SMALL)
    index = read_index(path)
    assert list(index) == ["metadata", "weight_map"]
    limit = SMALL * 1024**3
    sizes, per_shard, order = {}, {}, []
    for name in sorted(n for n in os.listdir(tmp_path) if n.endswith(".weights.h5")):
        with h5py.File(tmp_path / name, "r") as f:
            def visit(key, obj, name=name):
                if isinstance(obj, h5py.Dataset):
                    size = obj.size * obj.dtype.itemsize
                    per_shard.setdefault(name, []).append(size)
                    sizes["/" + key] = size
                    order.append((name, "/" + key.rsplit("/", 1)[0]))
            f.visititems(visit)
    assert index["metadata"]["total_size"] == sum(sizes.values())
    totals = [sum(per_shard[n]) for n in sorted(per_shard)]
    assert all(t <= limit for t in totals)
    # each shard was closed only because its next variable did not fit
    names = sorted(per_shard)
    for i in range(len(names) - 1):
        assert totals[i] + per_shard[names[i + 1]][0] > limit
    for name, group in order:
        listed = index["weight_map"][group]
        assert name in (listed if isinstance(listed, list) else [listed])


class _Entry(h5_weights.Entry):
    """An entry of `h5_weights` whose values come from a Keras file."""

    def __init__(self, entry, arrays):
        slots = [h5_weights.Slot(s.label, a.shape, str(a.dtype), lambda a=a: a, None)
                 for s, a in zip(entry.slots, arrays)]
        super().__init__(entry.path, entry.name, slots, entry.owner)


def test_keras_sharding_is_reproduced_exactly(tmp_path):
    """Given the very arrays Keras saved (its step count is int32 under JAX), the shards
    kerasx builds are Keras's: same index, same groups, attributes and datasets."""
    model = kerasx.saving.load_model(KERAS_DIR)
    with sharded_weights.merged_weights(KERAS_SHARDED) as merged:
        entries = []
        for entry in h5_weights.collect_entries(model):
            group = merged.get(entry.vars_path)
            arrays = [group[str(i)][()] for i in range(len(entry.slots))] if group else []
            entries.append(_Entry(entry, arrays))
    index, shards = sharded_weights.build_shards(entries, "mlp", KERAS["max_shard_size"])
    assert index == read_index(KERAS_SHARDED)
    keras_dir = os.path.dirname(KERAS_SHARDED)
    assert sorted(n for n, _ in shards) == sorted(
        n for n in os.listdir(keras_dir) if n.endswith(".weights.h5"))
    for name, data in shards:
        (tmp_path / name).write_bytes(data)
        assert h5_structure(tmp_path / name) == h5_structure(os.path.join(keras_dir, name))


def test_sharded_layout_matches_keras_for_the_same_model(tmp_path):
    model = kerasx.saving.load_model(KERAS_DIR)
    model.save_weights(tmp_path / "mlp.weights.json", max_shard_size=KERAS["max_shard_size"])
    ours, theirs = read_index(tmp_path / "mlp.weights.json"), read_index(KERAS_SHARDED)
    assert list(ours["weight_map"]) == list(theirs["weight_map"])
    assert {n for v in ours["weight_map"].values() for n in v} <= set(os.listdir(tmp_path))


def test_keras_shards_load(tmp_path):
    model = kerasx.saving.load_model(KERAS_DIR)
    x = np.asarray(KERAS["x"], dtype="float32")
    model.set_weights([np.zeros_like(w) for w in model.get_weights()])
    model.optimizer.iterations.assign(0)
    model.load_weights(KERAS_SHARDED)
    np.testing.assert_allclose(model.predict(x, verbose=0), KERAS["predictions"], rtol=1e-5,
                               atol=1e-6)
    assert int(model.optimizer.iterations) == KERAS["iterations"]
    model.train_on_batch(np.asarray(KERAS["step_x"], "float32"),
                         np.asarray(KERAS["step_y"], "float32"))
    np.testing.assert_allclose(model.predict(x, verbose=0), KERAS["after_step"], rtol=1e-5,
                               atol=1e-5)


def test_a_group_with_one_variable_is_mapped_to_a_single_name(tmp_path):
    kerasx.utils.set_random_seed(0)
    model = kerasx.Sequential([kerasx.Input(shape=(5,)),
                               kerasx.layers.Dense(3, use_bias=False, name="no_bias")])
    path = tmp_path / "m.weights.json"
    model.save_weights(path, max_shard_size=1.0)
    index = read_index(path)
    assert index == {"metadata": {"total_size": 60.0},
                     "weight_map": {"/layers/dense/vars": "m_00000.weights.h5"}}
    other = kerasx.Sequential([kerasx.Input(shape=(5,)), kerasx.layers.Dense(3, use_bias=False)])
    other.load_weights(path)
    np.testing.assert_array_equal(other.predict(X, verbose=0), model.predict(X, verbose=0))


def test_a_weights_h5_path_becomes_the_json_index(tmp_path):
    model = big()
    with pytest.warns(UserWarning, match="renamed to .*m.weights.json"):
        model.save_weights(tmp_path / "m.weights.h5", max_shard_size=SMALL)
    assert not (tmp_path / "m.weights.h5").exists()
    other = fresh(width=WIDE)
    other.load_weights(tmp_path / "m.weights.json")
    assert_same_model(model, other)


def test_sharded_errors_match_keras(tmp_path, monkeypatch):
    model = kerasx.saving.load_model(KERAS_DIR)  # Keras's model, for the same sizes
    monkeypatch.chdir(tmp_path)
    for call, key in ((lambda: model.save_weights("m.h5"), "weights_suffix"),
                      (lambda: model.save_weights("m.bin", max_shard_size=1.0), "sharded_suffix")):
        with pytest.raises(ValueError) as e:
            call()
        assert str(e.value) == KERAS["errors"][key]
    with pytest.raises(ValueError) as e:
        model.save_weights("m.weights.json", max_shard_size=1e-9)
    assert str(e.value).startswith(KERAS["errors"]["variable_larger_than_shard"])
    assert os.listdir(tmp_path) == []  # nothing was written
    for bad in (0, -1.0, float("nan"), float("inf")):
        with pytest.raises(ValueError, match="positive, finite"):
            model.save_weights("m.weights.json", max_shard_size=bad)
    for bad in ("1", True):
        with pytest.raises(TypeError, match="number of gigabytes"):
            model.save_weights("m.weights.json", max_shard_size=bad)
    with pytest.raises(ValueError, match="File format not supported"):
        model.load_weights("m.json")
    model.save_weights("m.weights.json", max_shard_size=1.0)
    with pytest.raises(FileExistsError, match="overwrite=False"):
        model.save_weights("m.weights.json", max_shard_size=1.0, overwrite=False)
    with pytest.raises(FileExistsError, match="overwrite=False"):
        model.save_weights("m.weights.h5", max_shard_size=1.0, overwrite=False)


def _write_index(path, weight_map):
    with open(path, "w") as f:
        json.dump({"metadata": {"total_size": 0}, "weight_map": weight_map}, f)


def test_damaged_indexes_are_refused(tmp_path):
    model = trained()
    path = tmp_path / "m.weights.json"
    model.save_weights(path, max_shard_size=1.0)
    before = model.get_weights()
    (tmp_path / "m_00000.weights.h5").rename(tmp_path / "gone.h5")
    with pytest.raises(FileNotFoundError, match="m_00000.weights.h5.*does not exist"):
        model.load_weights(path)
    _write_index(path, {"/vars": "../gone.h5"})
    with pytest.raises(ValueError, match="file names in the index's directory"):
        model.load_weights(path)
    _write_index(path, {"layers": "gone.h5"})
    with pytest.raises(ValueError, match="not the path of a 'vars' group"):
        model.load_weights(path)
    path.write_text("{not json")
    with pytest.raises(ValueError, match="not valid JSON"):
        model.load_weights(path)
    path.write_text("[]")
    with pytest.raises(ValueError, match="no 'weight_map'"):
        model.load_weights(path)
    with pytest.raises(FileNotFoundError, match="No such sharded weights index"):
        model.load_weights(tmp_path / "missing.weights.json")
    for x, y in zip(before, model.get_weights(), strict=True):
        np.testing.assert_array_equal(x, y)


def test_shards_of_another_model_leave_the_model_unchanged(tmp_path):
    big().save_weights(tmp_path / "big.weights.json", max_shard_size=SMALL)
    model = trained()
    before = model.get_weights()
    with pytest.raises(ValueError, match="do not match"):
        model.load_weights(tmp_path / "big.weights.json")
    for x, y in zip(before, model.get_weights(), strict=True):
        np.testing.assert_array_equal(x, y)


def test_a_smaller_save_removes_the_shards_it_no_longer_uses(tmp_path):
    path = tmp_path / "m.weights.json"
    model = big()
    model.save_weights(path, max_shard_size=SMALL)
    assert len(os.listdir(tmp_path)) > 3
    (tmp_path / "unrelated_00009.weights.h5").write_bytes(b"someone else's")
    (tmp_path / "notes.txt").write_text("mine")
    index = read_index(path)
    index["weight_map"]["/vars"] = "notes.txt"  # listed, but not named like a shard
    path.write_text(json.dumps(index))
    model.save_weights(path, max_shard_size=1.0)
    assert sorted(os.listdir(tmp_path)) == ["m.weights.json", "m_00000.weights.h5",
                                            "notes.txt", "unrelated_00009.weights.h5"]
    other = fresh(width=WIDE)
    other.load_weights(path)
    assert_same_model(model, other)


def test_failed_sharded_save_keeps_the_previous_files(tmp_path, monkeypatch):
    path = tmp_path / "m.weights.json"
    first = big(seed=0)
    first.save_weights(path, max_shard_size=SMALL)
    before = files_of(tmp_path)
    # a variable that does not fit a shard is found before anything is written
    with pytest.raises(ValueError, match="exceeds the maximum shard size"):
        big(seed=1).save_weights(path, max_shard_size=1e-6)
    assert files_of(tmp_path) == before
    # the disk fills up while the new shards are written
    calls = []
    real_fsync = os.fsync

    def disk_full(fd):
        calls.append(fd)
        if len(calls) == 2:
            raise OSError("No space left on device")
        real_fsync(fd)

    monkeypatch.setattr(sharded_weights.os, "fsync", disk_full)
    with pytest.raises(OSError, match="No space left"):
        big(seed=1).save_weights(path, max_shard_size=SMALL)
    monkeypatch.undo()
    assert files_of(tmp_path) == before and leftovers(tmp_path) == []
    other = fresh(width=WIDE)
    other.load_weights(path)
    assert_same_model(first, other)


# -- real Keras, live ----------------------------------------------------------------------
_KERAS_SIDE = textwrap.dedent("""
    import json, sys
    import numpy as np
    import keras

    work = sys.argv[1]
    data = np.load(work + "/data.npz")
    model = keras.saving.load_model(work + "/kerasx_dir")
    out = {"dir": model.predict(data["x"], verbose=0)}
    model.set_weights([np.zeros_like(w) for w in model.get_weights()])
    model.load_weights(work + "/kerasx_sharded/w.weights.json")
    out["sharded"] = model.predict(data["x"], verbose=0)
    out["iterations"] = np.asarray(int(model.optimizer.iterations))
    model.train_on_batch(data["step_x"], data["step_y"])
    out["after_step"] = model.predict(data["x"], verbose=0)
    model.save(work + "/keras_dir", zipped=False)
    model.save_weights(work + "/keras_sharded/w.weights.json", max_shard_size=0.00001)
    np.savez(work + "/keras_out.npz", **out)
""")


def _keras_python():
    python = os.environ.get("KERASX_KERAS_PYTHON")
    if not python:
        pytest.skip("set KERASX_KERAS_PYTHON to a Python with keras 3 and jax to check "
                    "directories and shards against real Keras")
    return python


def test_real_keras_reads_and_writes_the_same_files(tmp_path):
    python = _keras_python()
    model = big()
    model.save(tmp_path / "kerasx_dir", zipped=False)
    (tmp_path / "kerasx_sharded").mkdir()
    (tmp_path / "keras_sharded").mkdir()
    model.save_weights(tmp_path / "kerasx_sharded" / "w.weights.json", max_shard_size=SMALL)
    np.savez(tmp_path / "data.npz", x=X, step_x=STEP[0], step_y=STEP[1])
    env = {**os.environ, "KERAS_BACKEND": "jax", "JAX_PLATFORMS": "cpu"}
    run = subprocess.run([python, "-c", _KERAS_SIDE, str(tmp_path)], env=env,
                         capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr[-3000:]
    keras_out = np.load(tmp_path / "keras_out.npz")
    expected = model.predict(X, verbose=0)
    np.testing.assert_allclose(keras_out["dir"], expected, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(keras_out["sharded"], expected, rtol=1e-5, atol=1e-6)
    assert int(keras_out["iterations"]) == int(model.optimizer.iterations)
    # Keras's files, written after its training step, load here with that step's result
    assert sorted(os.listdir(tmp_path / "keras_dir")) == ENTRIES == \
        sorted(os.listdir(tmp_path / "kerasx_dir"))
    from_dir = kerasx.saving.load_model(tmp_path / "keras_dir")
    np.testing.assert_allclose(from_dir.predict(X, verbose=0), keras_out["after_step"],
                               rtol=1e-5, atol=1e-6)
    assert len(os.listdir(tmp_path / "keras_sharded")) > 2
    other = fresh(width=WIDE)
    other.load_weights(tmp_path / "keras_sharded" / "w.weights.json")
    assert_same_model(from_dir, other)
    model.train_on_batch(*STEP)
    np.testing.assert_allclose(model.predict(X, verbose=0), keras_out["after_step"],
                               rtol=1e-5, atol=1e-5)


def test_a_json_path_saves_without_warnings(tmp_path):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        trained().save_weights(tmp_path / "m.weights.json", max_shard_size=1.0)
