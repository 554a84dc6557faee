"""Every application builder makes exactly Keras's model: the same layers (class,
name, order, output shape, parameter count), the same model name, and for
`weights="imagenet"` the same weights file (name, URL, cache folder, hash).

The cases and Keras's results come from `tests/interop/make_app_fixtures.py`
(`app_cases.py`). Each case builds one model once, with a small input.
"""

import os
import warnings

import pytest

import kerasx
from tests.interop.app_cases import APP_CASES


def describe(model):
    return [[type(layer).__name__, layer.name, list(layer.output.shape),
             int(layer.count_params())] for layer in model.layers]


def build(case):
    kwargs = dict(case["kwargs"])
    if kwargs.get("input_shape") is not None:
        kwargs["input_shape"] = tuple(kwargs["input_shape"])
    kerasx.utils.clear_session(free_memory=False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # MobileNet's "224 weights" notice
        return getattr(kerasx.applications, case["builder"])(**kwargs)


@pytest.mark.parametrize("case", APP_CASES, ids=[c["id"] for c in APP_CASES])
def test_builder_makes_keras_architecture(case, keras_architectures, weight_requests):
    if case.get("heavy") and os.environ.get("KERASX_HEAVY_APP_TESTS") != "1":
        pytest.skip("a heavy variant (seconds to build; its family's smaller variants run the "
                    "same code): set KERASX_HEAVY_APP_TESTS=1 to check it too")
    expected = keras_architectures[case["id"]]
    model = build(case)
    got = describe(model)
    first_difference = next((i for i, (a, b) in enumerate(zip(got, expected["layers"]))
                             if a != b), None)
    assert first_difference is None, (
        f"layer {first_difference}: kerasx {got[first_difference]} != Keras "
        f"{expected['layers'][first_difference]}")
    assert len(got) == len(expected["layers"])
    assert model.count_params() == expected["params"]
    assert model.name == expected["name"]
    assert weight_requests == expected["get_file"]
