"""ZeroPadding1D/2D/3D, Cropping1D/2D/3D and UpSampling1D/2D/3D: Keras goldens, NumPy
references in both data formats, gradients by finite differences, shapes, configs and
bad-input errors."""

import json

import numpy as np
import pytest

from kerasx import layers, ops
from kerasx.testing import check_gradients, float64
from tests.golden.loader import case_ids, load_cases

CLASSES = tuple(f"{kind}{n}D" for kind in ("ZeroPadding", "Cropping", "UpSampling")
                for n in (1, 2, 3))
GOLDEN = [c for c in load_cases("layers") if c["class"] in CLASSES]
rng = np.random.default_rng(21)


@pytest.mark.parametrize("case", GOLDEN, ids=case_ids(GOLDEN))
def test_matches_keras_golden(case):
    layer = getattr(layers, case["class"])(**case["config"])
    x = case["arrays"]["x"]
    y = layer(x)
    np.testing.assert_allclose(ops.convert_to_numpy(y), case["arrays"]["y"], rtol=1e-4, atol=1e-4)
    assert layer.compute_output_shape(x.shape) == case["arrays"]["y"].shape
    config = json.loads(json.dumps(layer.get_config()))
    assert set(config) == set(case["keras_config"])
    for key in set(config) - {"name"}:
        assert config[key] == case["keras_config"][key], key


def _spatial_first(x, data_format):
    return np.moveaxis(x, 1, -1) if data_format == "channels_first" else x


def _back(y, data_format):
    return np.moveaxis(y, -1, 1) if data_format == "channels_first" else y


def pad_ref(x, pairs, data_format="channels_last"):
    x = _spatial_first(x, data_format)
    return _back(np.pad(x, [(0, 0)] + list(pairs) + [(0, 0)]), data_format)


def crop_ref(x, pairs, data_format="channels_last"):
    x = _spatial_first(x, data_format)
    index = tuple(slice(a, x.shape[i + 1] - b) for i, (a, b) in enumerate(pairs))
    return _back(x[(slice(None),) + index], data_format)


def upsample_ref(x, sizes, data_format="channels_last"):
    x = _spatial_first(x, data_format)
    for i, s in enumerate(sizes):
        x = np.repeat(x, s, axis=i + 1)
    return _back(x, data_format)


def bilinear_ref(x, sizes, data_format="channels_last"):
    """Half-pixel-center bilinear upsampling with clamped edges, one pixel at a time."""
    x = _spatial_first(x, data_format)
    n, h, w, c = x.shape
    out = np.zeros((n, h * sizes[0], w * sizes[1], c))
    for i in range(h * sizes[0]):
        for j in range(w * sizes[1]):
            sy = min(max((i + 0.5) / sizes[0] - 0.5, 0), h - 1)
            sx = min(max((j + 0.5) / sizes[1] - 0.5, 0), w - 1)
            y0, x0 = int(np.floor(sy)), int(np.floor(sx))
            y1, x1 = min(y0 + 1, h - 1), min(x0 + 1, w - 1)
            fy, fx = sy - y0, sx - x0
            out[:, i, j] = ((1 - fy) * (1 - fx) * x[:, y0, x0] + (1 - fy) * fx * x[:, y0, x1]
                            + fy * (1 - fx) * x[:, y1, x0] + fy * fx * x[:, y1, x1])
    return _back(out, data_format)


TABLE = [
    ("ZeroPadding1D", {}, (2, 4, 3), lambda x: pad_ref(x, [(1, 1)])),
    ("ZeroPadding1D", dict(padding=(2, 0), data_format="channels_first"), (2, 3, 4),
     lambda x: pad_ref(x, [(2, 0)], "channels_first")),
    ("ZeroPadding2D", dict(padding=(1, 2)), (1, 3, 2, 2), lambda x: pad_ref(x, [(1, 1), (2, 2)])),
    ("ZeroPadding2D", dict(padding=((0, 1), (2, 1)), data_format="channels_first"), (1, 2, 3, 2),
     lambda x: pad_ref(x, [(0, 1), (2, 1)], "channels_first")),
    ("ZeroPadding3D", dict(padding=1), (1, 2, 2, 2, 1), lambda x: pad_ref(x, [(1, 1)] * 3)),
    ("Cropping1D", dict(cropping=(1, 2)), (2, 6, 3), lambda x: crop_ref(x, [(1, 2)])),
    ("Cropping2D", dict(cropping=1), (1, 4, 5, 2), lambda x: crop_ref(x, [(1, 1), (1, 1)])),
    ("Cropping2D", dict(cropping=((1, 0), (0, 2)), data_format="channels_first"), (1, 2, 4, 5),
     lambda x: crop_ref(x, [(1, 0), (0, 2)], "channels_first")),
    ("Cropping3D", dict(cropping=((1, 0), (0, 1), (1, 1))), (1, 3, 3, 4, 2),
     lambda x: crop_ref(x, [(1, 0), (0, 1), (1, 1)])),
    ("UpSampling1D", dict(size=3), (2, 3, 2), lambda x: upsample_ref(x, (3,))),
    ("UpSampling2D", dict(size=(2, 3), data_format="channels_first"), (1, 2, 2, 3),
     lambda x: upsample_ref(x, (2, 3), "channels_first")),
    ("UpSampling2D", dict(size=(3, 2), interpolation="bilinear"), (1, 3, 4, 2),
     lambda x: bilinear_ref(x, (3, 2))),
    ("UpSampling2D", dict(interpolation="bilinear", data_format="channels_first"), (1, 2, 3, 2),
     lambda x: bilinear_ref(x, (2, 2), "channels_first")),
    ("UpSampling3D", dict(size=(1, 2, 2)), (1, 2, 2, 2, 1), lambda x: upsample_ref(x, (1, 2, 2))),
]


@pytest.mark.parametrize("row", TABLE, ids=[r[0] + str(r[1]) for r in TABLE])
def test_layer_forward_and_gradients(row):
    cls, config, shape, reference = row
    x = rng.standard_normal(shape)
    with float64():
        layer = getattr(layers, cls)(**config)
        y = ops.convert_to_numpy(layer(x))
    np.testing.assert_allclose(y, reference(x), rtol=1e-12, atol=1e-12)
    assert y.shape == layer.compute_output_shape(shape)
    assert layer.compute_output_shape((None,) * len(shape))[0] is None
    check_gradients(layer, [x])


@pytest.mark.parametrize("layer", [
    layers.ZeroPadding3D(((1, 2), (0, 0), (3, 1)), data_format="channels_first"),
    layers.Cropping1D(2), layers.Cropping3D(1),
    layers.UpSampling1D(4), layers.UpSampling2D(3, interpolation="bilinear"),
    layers.UpSampling3D((1, 2, 3)),
], ids=lambda layer: type(layer).__name__)
def test_config_round_trip(layer):
    config = json.loads(json.dumps(layer.get_config()))
    clone = type(layer).from_config(config)
    assert json.loads(json.dumps(clone.get_config())) == config


def test_padding_forms():
    assert layers.ZeroPadding2D(2).padding == ((2, 2), (2, 2))
    assert layers.ZeroPadding2D((1, 3)).padding == ((1, 1), (3, 3))
    assert layers.ZeroPadding3D((1, 2, 3)).padding == ((1, 1), (2, 2), (3, 3))
    assert layers.Cropping2D(((1, 2), 3)).cropping == ((1, 2), (3, 3))
    assert layers.ZeroPadding1D(3).padding == (3, 3)


@pytest.mark.parametrize("make,match", [
    (lambda: layers.ZeroPadding2D((1, 2, 3)), r"padding.*tuple of 2 ints.*\(1, 2, 3\)"),
    (lambda: layers.ZeroPadding2D(-1), r"cannot be negative"),
    (lambda: layers.Cropping3D(((1, 2), (1, 2))), r"cropping.*tuple of 3"),
    (lambda: layers.UpSampling2D(interpolation="lanczos7"),
     r"interpolation must be one of \['nearest', 'bilinear', 'bicubic', 'lanczos3', "
     r"'lanczos5'\].*'lanczos7'"),
    (lambda: layers.UpSampling2D(size=0), r"size.*positive"),
])
def test_bad_arguments(make, match):
    with pytest.raises(ValueError, match=match):
        make()


def test_bad_input():
    with pytest.raises(ValueError, match=r"Cropping2D layer .*cropping \(3, 2\) removes everything "
                                         r"along spatial axis 0 of size 5"):
        layers.Cropping2D(((3, 2), (0, 0)))(np.zeros((1, 5, 5, 1), np.float32))
    with pytest.raises(ValueError, match=r"UpSampling2D layer .* rank 4 with 2 spatial axes.*"
                                         r"\(4, 4, 1\)"):
        layers.UpSampling2D()(np.zeros((4, 4, 1), np.float32))
    with pytest.raises(ValueError, match=r"ZeroPadding1D layer .* rank 3"):
        layers.ZeroPadding1D()(np.zeros((2, 4, 4, 1), np.float32))
    with pytest.raises(TypeError, match=r"UpSampling1D: `size` must be a positive int.*\(2,\)"):
        layers.UpSampling1D((2,))
