"""Safe loading: code stored in a file (a Lambda layer's lambda) runs only with
`safe_mode=False`, and names in a config never reach arbitrary Python modules."""

import json
import os
import warnings
import zipfile

import numpy as np
import pytest

import kerasx

pytest.importorskip("h5py")

FIXTURES = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "interop",
                        "fixtures")
X = np.arange(6, dtype="float32").reshape(2, 3) / 6.0


def lambda_model(marker):
    """A model whose Lambda creates `marker` when it runs."""

    fn = lambda x: (open(marker, "w").close(), x * 2.0)[1]  # noqa: E731 - stored as bytecode
    kerasx.utils.set_random_seed(0)
    return kerasx.Sequential([kerasx.Input(shape=(3,)), kerasx.layers.Lambda(fn),
                              kerasx.layers.Dense(2)])


def save_lambda_model(tmp_path):
    marker = str(tmp_path / "lambda_ran")
    model = lambda_model(marker)
    expected = model.predict(X, verbose=0)
    path = str(tmp_path / "lambda.keras")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "the object being serialized includes a lambda"
        model.save(path)
    os.remove(marker)
    return path, marker, expected


def test_lambda_is_refused_in_safe_mode(tmp_path):
    path, marker, _ = save_lambda_model(tmp_path)
    with pytest.raises(ValueError, match=r"(?s)Refusing to load .*Lambda 'lambda'.*"
                                         r"bytecode.*safe_mode=False"):
        kerasx.models.load_model(path)
    assert not os.path.exists(marker)


def test_lambda_loads_with_safe_mode_false(tmp_path):
    path, marker, expected = save_lambda_model(tmp_path)
    loaded = kerasx.models.load_model(path, safe_mode=False)
    np.testing.assert_array_equal(loaded.predict(X, verbose=0), expected)
    assert os.path.exists(marker)  # the stored code did run, as asked


def test_enable_unsafe_deserialization_allows_lambdas(tmp_path):
    from kerasx.saving import serialization

    path, _, expected = save_lambda_model(tmp_path)
    saved = list(serialization._GLOBAL_SAFE_MODE)
    try:
        kerasx.saving.enable_unsafe_deserialization()
        loaded = kerasx.models.load_model(path)
    finally:
        serialization._GLOBAL_SAFE_MODE[:] = saved
    np.testing.assert_array_equal(loaded.predict(X, verbose=0), expected)
    with pytest.raises(ValueError, match="safe_mode=False"):
        kerasx.models.load_model(path)


def test_keras_written_lambda_is_refused_in_safe_mode():
    """The fixture saved by real Keras 3 (bytecode in Keras's format)."""
    path = os.path.join(FIXTURES, "lambda.keras")
    with pytest.raises(ValueError, match="safe_mode=False"):
        kerasx.models.load_model(path)


def test_lambda_hidden_elsewhere_in_the_config_is_refused(tmp_path):
    """A `__lambda__` entry anywhere (here as a Dense activation) is refused before
    anything is built."""
    model = kerasx.Sequential([kerasx.Input(shape=(3,)), kerasx.layers.Dense(2)])
    path = str(tmp_path / "m.keras")
    model.save(path)
    evil = {"class_name": "__lambda__",
            "config": {"code": "AAAA", "defaults": None, "closure": None}}
    _edit_config(path, lambda c: c["config"]["layers"][1]["config"].update(activation=evil))
    with pytest.raises(ValueError, match=r"Refusing to load .*Dense 'dense'.*Python lambda"):
        kerasx.models.load_model(path)


@pytest.mark.parametrize("entry", [
    {"module": "os", "class_name": "function", "config": "system", "registered_name": "function"},
    {"module": "builtins", "class_name": "function", "config": "eval",
     "registered_name": "function"},
    {"module": "subprocess", "class_name": "Popen", "config": {"args": ["true"]},
     "registered_name": None},
])
def test_names_do_not_reach_arbitrary_modules(tmp_path, entry):
    model = kerasx.Sequential([kerasx.Input(shape=(3,)), kerasx.layers.Dense(2)])
    path = str(tmp_path / "m.keras")
    model.save(path)
    _edit_config(path, lambda c: c["config"]["layers"][1]["config"].update(activation=entry))
    with pytest.raises(ValueError, match=r"Could not (locate|rebuild)"):
        kerasx.models.load_model(path)


def test_custom_objects_are_the_way_to_supply_functions(tmp_path):
    def twice(x):
        return x * 2.0

    model = kerasx.Sequential([kerasx.Input(shape=(3,)), kerasx.layers.Lambda(twice),
                               kerasx.layers.Dense(2)])
    path = str(tmp_path / "m.keras")
    model.save(path)
    with pytest.raises(ValueError, match="custom_objects"):
        kerasx.models.load_model(path)
    loaded = kerasx.models.load_model(path, custom_objects={"twice": twice})
    np.testing.assert_array_equal(loaded.predict(X, verbose=0), model.predict(X, verbose=0))


def _edit_config(path, edit):
    with zipfile.ZipFile(path) as zf:
        entries = {n: zf.read(n) for n in zf.namelist()}
    config = json.loads(entries["config.json"])
    edit(config)
    entries["config.json"] = json.dumps(config).encode()
    with zipfile.ZipFile(path, "w") as zf:
        for name, data in entries.items():
            zf.writestr(name, data)
