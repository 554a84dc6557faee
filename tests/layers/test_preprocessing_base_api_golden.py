"""Keras 3 golden values of the public methods of the image preprocessing layers
(`transform_*` and `transform_single_*`, in training and inference) and of
Discretization's streaming adapt (`reset_state`, `update_state`, `finalize_state`)."""

import numpy as np
import pytest

from kerasx import layers, ops
from kerasx.backends import current
from kerasx.layers.preprocessing._transformation import Transformation
from tests.conftest import to_numpy
from tests.golden.loader import case_ids, load_cases

CASES = load_cases("preprocessing_api")
METHOD_CASES = [c for c in CASES if c["kind"] == "method"]
STREAMING_CASES = [c for c in CASES if c["kind"] == "streaming"]


def _array(x):
    return current().asarray(np.asarray(x))


def _transformation(layer, case, single):
    """kerasx's transformation of the case: the layer's own for a deterministic
    layer, else built from the golden arrays as Keras's was."""
    a = case["arrays"]
    images = a["data_images"] if "data_images" in a else None
    if case["class"] == "RandomFlip":
        shape = images.shape[1:] if single else images.shape
        flips = a["flips"][:1] if single else a["flips"]
        return Transformation(input_shape=tuple(shape), draws=_array(flips))
    if case["class"] == "MixUp":
        return _array(a["mix_weight"].astype("float64")), _array(a["permutation_order"])
    if case["class"] == "CutMix":
        return None, _array(a["permutation_order"]), _array(a["mix_weight"].astype("float64"))
    if case["class"] == "MaxNumBoundingBoxes":
        return None
    data = images[0] if single else images
    return layer.get_random_transformation(data, training=case["training"])


def _check(actual, expected):
    actual = to_numpy(actual)
    assert actual.shape == expected.shape
    if np.issubdtype(expected.dtype, np.floating):
        np.testing.assert_allclose(actual, expected, rtol=1e-5, atol=1e-3)
    else:
        np.testing.assert_array_equal(actual, expected)
        assert actual.dtype == expected.dtype


@pytest.mark.parametrize("case", METHOD_CASES, ids=case_ids(METHOD_CASES))
def test_public_methods_match_keras(case):
    a = case["arrays"]
    layer = getattr(layers, case["class"])(**case["config"])
    for method, source, target in case["calls"]:
        transformation = _transformation(layer, case, "single" in method)
        if source + "_boxes" in a:
            x = {"boxes": a[source + "_boxes"], "labels": a[source + "_labels"]}
            out = getattr(layer, method)(x, transformation, training=case["training"])
            _check(out["boxes"], a[target + "_boxes"])
            _check(out["labels"], a[target + "_labels"])
        else:
            out = getattr(layer, method)(a[source], transformation, training=case["training"])
            _check(out, a[target])
    if "labels_inference_out" in a:  # the mixing layers leave labels alone in inference
        out = layer.transform_labels(a["labels"], _transformation(layer, case, False),
                                     training=False)
        _check(out, a["labels_inference_out"])


@pytest.mark.parametrize("case", STREAMING_CASES, ids=case_ids(STREAMING_CASES))
def test_discretization_streaming_matches_keras(case):
    a = case["arrays"]
    layer = layers.Discretization(**case["config"])
    layer.reset_state()
    for name in case["batches"]:
        layer.update_state(a[name])
    layer.finalize_state()
    np.testing.assert_allclose(layer.bin_boundaries, a["boundaries"], rtol=1e-6, atol=1e-6)
    assert layer.output_dtype == case["output_dtype"]
    y = layer(ops.convert_to_tensor(a["x"]))
    np.testing.assert_array_equal(to_numpy(y), a["y"])
