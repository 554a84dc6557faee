"""`kerasx.ops.image`: Keras goldens (values, dtypes and JAX gradients), gradients
against finite differences in float64, NumPy references, and errors."""

import math

import numpy as np
import pytest

import kerasx
from kerasx import ops
from kerasx.backends import current
from kerasx.testing import OpCase
from tests.golden.loader import case_ids, load_cases
from tests.sampled_gradcheck import check_op_case

CASES = [c for c in load_cases("image") if c["kind"] == "op"]
GRADIENT_CASES = [c for c in CASES if "proj" in c["arrays"]]


def numpy(x):
    return ops.convert_to_numpy(x)


def _call(case, *arrays):
    return getattr(ops.image, case["class"])(*arrays, **case["config"])


def _config(case):
    config = dict(case["config"])
    for key in ("size", "output_shape", "spatial_dims", "kernel_size", "sigma", "strides"):
        if isinstance(config.get(key), list):
            config[key] = tuple(config[key])
    return config


@pytest.mark.parametrize("case", CASES, ids=case_ids(CASES))
def test_matches_keras_golden(case):
    a = case["arrays"]
    y = numpy(getattr(ops.image, case["class"])(*(a[k] for k in case["args"]),
                                                  **_config(case)))
    assert y.dtype == np.dtype(case["y_dtype"])
    assert y.shape == a["y"].shape
    # uint8 outputs are rounded: XLA's float sums may land on the other side of .5
    atol = 1 if case["y_dtype"] == "uint8" else 2e-5
    np.testing.assert_allclose(y.astype(np.float64), a["y"].astype(np.float64), rtol=2e-5,
                               atol=atol)


@pytest.mark.parametrize("case", GRADIENT_CASES, ids=case_ids(GRADIENT_CASES))
def test_gradient_matches_jax(case):
    a = case["arrays"]
    config = _config(case)
    variable = kerasx.Variable(a[case["args"][0]])
    rest = [a[k] for k in case["args"][1:]]
    with kerasx.GradientTape() as tape:
        y = getattr(ops.image, case["class"])(variable, *rest, **config)
        total = ops.sum(ops.multiply(y, a["proj"]))
    grad, expected = numpy(tape.gradient(total, variable)), a["dx0"]
    if case["class"] == "rgb_to_hsv":
        # where channels tie, max and min have no derivative: JAX splits the gradient
        # between the tied channels, kerasx gives it to one; compare the other pixels
        x = a["images"]
        ties = (x[..., 0] == x[..., 1]) | (x[..., 1] == x[..., 2]) | (x[..., 0] == x[..., 2])
        assert ties.sum() == 3
        grad, expected = grad[~ties], expected[~ties]
    np.testing.assert_allclose(grad, expected, rtol=1e-4, atol=1e-4)


rng = np.random.default_rng(5)
IMG = rng.normal(size=(2, 4, 5, 3))
UNIT = rng.uniform(0.05, 0.95, (1, 3, 4, 3))
HSV = np.stack([rng.uniform(0.05, 0.95, (1, 3, 4)), rng.uniform(0.1, 0.9, (1, 3, 4)),
                rng.uniform(0.1, 0.9, (1, 3, 4))], axis=-1)
ROTATE = [math.cos(0.4), -math.sin(0.4), 1.3, math.sin(0.4), math.cos(0.4), -0.6, 0.0, 0.0]
COORDS = rng.uniform(-2.3, 6.4, (2, 3, 4))


def _self_case(name, fn, inputs, **kwargs):
    with kerasx.testing.float64():
        backend = current()
        reference = backend.to_numpy(fn(*[backend.asarray(x) for x in inputs]).value)
    return OpCase(name, fn, lambda *_: reference, inputs, **kwargs)


# gradients by central finite differences in float64; the forward values are pinned by
# the goldens, so each case's reference is kerasx's own float64 output
GRADIENT_TABLE = [
    ("resize_bilinear", lambda x: ops.image.resize(x, (3, 7)), [IMG]),
    ("resize_bicubic_antialias", lambda x: ops.image.resize(
        x, (2, 3), interpolation="bicubic", antialias=True), [IMG]),
    ("resize_lanczos3_channels_first", lambda x: ops.image.resize(
        x, (6, 2), interpolation="lanczos3", data_format="channels_first"), [IMG]),
    ("resize_pad_to_aspect_ratio", lambda x: ops.image.resize(
        x, (4, 2), pad_to_aspect_ratio=True, fill_value=1.0), [IMG]),
    ("rgb_to_grayscale", ops.image.rgb_to_grayscale, [UNIT]),
    ("rgb_to_hsv", ops.image.rgb_to_hsv, [UNIT]),
    ("hsv_to_rgb", ops.image.hsv_to_rgb, [HSV]),
    ("crop_images", lambda x: ops.image.crop_images(x, 1, 1, target_height=2,
                                                    target_width=3), [IMG]),
    ("pad_images", lambda x: ops.image.pad_images(x, 1, 2, 0, 1), [IMG]),
    ("extract_patches", lambda x: ops.image.extract_patches(x, 2, strides=1), [IMG]),
    ("affine_transform_constant", lambda x: ops.image.affine_transform(
        x, ROTATE, fill_value=0.5), [IMG]),
    ("affine_transform_reflect_channels_first", lambda x: ops.image.affine_transform(
        x, ROTATE, fill_mode="reflect", data_format="channels_first"), [IMG]),
    ("affine_transform_nearest_mirror", lambda x: ops.image.affine_transform(
        x, ROTATE, interpolation="nearest", fill_mode="mirror"), [IMG]),
    ("map_coordinates_wrap", lambda x: ops.image.map_coordinates(
        x, COORDS, 1, fill_mode="wrap"), [IMG[0, :, :, 0]]),
    ("perspective_transform", lambda x: ops.image.perspective_transform(
        x, [[0, 0], [0, 4], [5, 0], [5, 4]], [[0.3, 0.1], [0.2, 3.6], [4.6, -0.2], [5.1, 4.2]]),
     [IMG]),
    ("gaussian_blur", lambda x: ops.image.gaussian_blur(x, (3, 5), (0.9, 1.4)), [IMG]),
    ("sobel_edges", ops.image.sobel_edges, [IMG]),
    ("ssim", lambda a, b: ops.image.ssim(a, b, filter_size=3), [UNIT, HSV]),
    ("scale_and_translate", lambda x: ops.image.scale_and_translate(
        x, (2, 6, 3, 3), [1.4, 0.55], [0.3, -0.2], (1, 2), "cubic"), [IMG]),
]


@pytest.mark.parametrize("name, fn, inputs", GRADIENT_TABLE, ids=[c[0] for c in GRADIENT_TABLE])
def test_gradients_match_finite_differences(name, fn, inputs):
    check_op_case(_self_case(name, fn, inputs, rtol32=1e-4, atol32=1e-5))


# -- references ----------------------------------------------------------------------------------
def test_crop_and_pad_match_numpy_slicing_and_padding():
    x = IMG
    np.testing.assert_array_equal(
        numpy(ops.image.crop_images(x, 1, 2, bottom_cropping=1, right_cropping=0)),
        x[:, 1:3, 2:5])
    np.testing.assert_array_equal(
        numpy(ops.image.pad_images(x, 2, 0, target_height=7, target_width=6)),
        np.pad(x, ((0, 0), (2, 1), (0, 1), (0, 0))))
    first = np.ascontiguousarray(x.transpose(0, 3, 1, 2))
    np.testing.assert_array_equal(
        numpy(ops.image.pad_images(first, 0, 1, 1, 0, data_format="channels_first")),
        np.pad(first, ((0, 0), (0, 0), (0, 1), (1, 0))))


def test_extract_patches_against_a_loop():
    out = numpy(ops.image.extract_patches(IMG, (2, 3), strides=(2, 1)))
    assert out.shape == (2, 2, 3, 18)
    for i in range(2):
        for j in range(3):
            np.testing.assert_array_equal(out[:, i, j], IMG[:, 2 * i:2 * i + 2, j:j + 3]
                                          .reshape(2, -1))


def test_affine_whole_pixel_shifts_match_numpy():
    shift = [1.0, 0.0, 2.0, 0.0, 1.0, -1.0, 0.0, 0.0]  # x' = x + 2, y' = y - 1
    for mode, pad in (("wrap", "wrap"), ("nearest", "edge"), ("reflect", "symmetric"),
                      ("mirror", "reflect")):
        out = numpy(ops.image.affine_transform(IMG, shift, fill_mode=mode))
        padded = np.pad(IMG, ((0, 0), (1, 1), (2, 2), (0, 0)), mode=pad)
        np.testing.assert_allclose(out, padded[:, 0:4, 4:9], atol=1e-12, err_msg=mode)
    identity = [1.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0]
    np.testing.assert_allclose(numpy(ops.image.affine_transform(IMG, identity)), IMG,
                               atol=1e-12)


def test_map_coordinates_at_whole_coordinates_indexes():
    plane = IMG[0, :, :, 0]
    rows, cols = np.array([[0, 3], [2, 1]]), np.array([[4, 0], [2, 3]])
    for order in (0, 1):
        out = numpy(ops.image.map_coordinates(plane, np.stack([rows, cols]).astype(float),
                                              order))
        np.testing.assert_allclose(out, plane[rows, cols], atol=1e-12)


def test_hsv_round_trip_and_resize_identity():
    np.testing.assert_allclose(numpy(ops.image.hsv_to_rgb(ops.image.rgb_to_hsv(UNIT))), UNIT,
                               atol=1e-12)
    np.testing.assert_array_equal(numpy(ops.image.resize(IMG, (4, 5))), IMG)
    np.testing.assert_array_equal(numpy(ops.image.resize(IMG, (8, 10), interpolation="nearest")),
                                  IMG.repeat(2, axis=1).repeat(2, axis=2))


def test_image_namespace():
    import kerasx.ops.image as image

    assert ops.image is image
    assert set(image.__all__) == {
        "affine_transform", "crop_images", "elastic_transform", "extract_patches",
        "extract_patches_3d",
        "gaussian_blur", "hsv_to_rgb", "map_coordinates", "pad_images",
        "perspective_transform", "resize", "rgb_to_grayscale", "rgb_to_hsv",
        "scale_and_translate", "sobel_edges", "ssim"}


# -- errors ----------------------------------------------------------------------------------
@pytest.mark.parametrize("call, match", [
    (lambda: ops.image.resize(IMG, (3,)), "size"),
    (lambda: ops.image.resize(IMG, (0, 3)), "height"),
    (lambda: ops.image.resize(IMG, (3, 3), interpolation="area"), "interpolation"),
    (lambda: ops.image.resize(IMG, (3, 3), crop_to_aspect_ratio=True,
                              pad_to_aspect_ratio=True), "choose one"),
    (lambda: ops.image.resize(IMG, (3, 3), fill_mode="reflect"), "fill_mode"),
    (lambda: ops.image.resize(IMG[0, 0], (3, 3)), "rank 3 or 4"),
    (lambda: ops.image.resize(IMG, (3, 3), data_format="NHWC"), "data_format"),
    (lambda: ops.image.rgb_to_grayscale(IMG[..., :2]), "channels"),
    (lambda: ops.image.rgb_to_hsv(IMG.astype("int32")), "float"),
    (lambda: ops.image.hsv_to_rgb(IMG[..., :2]), "3 channels"),
    (lambda: ops.image.crop_images(IMG, 1, 1), "exactly two"),
    (lambda: ops.image.crop_images(IMG, 1, 1, target_height=4, target_width=2), "fit"),
    (lambda: ops.image.crop_images(IMG, -1, 0, target_height=2, target_width=2),
     "non-negative"),
    (lambda: ops.image.pad_images(IMG, 1, 1, target_height=3, target_width=9), ">= 0"),
    (lambda: ops.image.extract_patches(IMG, (2, 2, 2, 2)), "size"),
    (lambda: ops.image.extract_patches(IMG[0, 0], 2), "rank"),
    (lambda: ops.image.affine_transform(IMG, [1.0, 0.0, 0.0]), "transform"),
    (lambda: ops.image.affine_transform(IMG, np.zeros((3, 8))), "one per image"),
    (lambda: ops.image.affine_transform(IMG, ROTATE, fill_mode="edge"), "fill_mode"),
    (lambda: ops.image.affine_transform(IMG, ROTATE, interpolation="bicubic"),
     "interpolation"),
    (lambda: ops.image.map_coordinates(IMG, COORDS, 1), "coordinates"),
    (lambda: ops.image.map_coordinates(IMG[0, :, :, 0], COORDS, 3), "order"),
    (lambda: ops.image.map_coordinates(IMG[0, :, :, 0], COORDS, 1, "edge"), "fill_mode"),
    (lambda: ops.image.perspective_transform(IMG, np.zeros((3, 2)), np.zeros((3, 2))),
     "start_points"),
    (lambda: ops.image.perspective_transform(IMG, np.zeros((4, 2)), np.zeros((2, 4, 2))),
     "same shape"),
    (lambda: ops.image.gaussian_blur(IMG, kernel_size=(0, 3)), "kernel_size"),
    (lambda: ops.image.gaussian_blur(IMG, sigma=(1.0, 0.0)), "sigma"),
    (lambda: ops.image.sobel_edges(IMG[0]), "rank 4"),
    (lambda: ops.image.ssim(IMG, IMG[:1]), "same shape"),
    (lambda: ops.image.ssim(IMG, IMG), "filter_size"),
    (lambda: ops.image.scale_and_translate(IMG, (2, 3, 3, 3), [1.0, 1.0], [0.0, 0.0],
                                           (1, 2), "nearest"), "method"),
    (lambda: ops.image.scale_and_translate(IMG, (2, 3, 3, 4), [1.0, 1.0], [0.0, 0.0],
                                           (1, 2), "linear"), "spatial_dims"),
    (lambda: ops.image.scale_and_translate(IMG, (2, 3, 3, 3), [1.0], [0.0, 0.0],
                                           (1, 2), "linear"), "same length"),
])
def test_bad_arguments_are_refused(call, match):
    with pytest.raises(ValueError, match=match):
        call()


@pytest.mark.parametrize("direct", [True, False])
def test_symbolic_inputs_record_a_node_as_a_lambda_does(direct):
    inputs = kerasx.Input((4, 5, 3))
    if direct:  # as in Keras, a `Resize` operation node of the functional graph
        outputs = ops.image.resize(inputs, (2, 3))
        assert tuple(outputs.shape) == (None, 2, 3, 3)
    else:
        outputs = kerasx.layers.Lambda(lambda x: ops.image.resize(x, (2, 3)))(inputs)
    model = kerasx.Model(inputs, outputs)
    np.testing.assert_allclose(model.predict(IMG.astype("float32"), verbose=0),
                               numpy(ops.image.resize(IMG.astype("float32"), (2, 3))),
                               rtol=1e-6)


def test_elastic_transform_displaces_by_smooth_independent_fields():
    height = width = 40
    sigma, alpha = 2.0, 1.5
    ys, xs = np.meshgrid(np.arange(height), np.arange(width), indexing="ij")
    ramps = np.stack([xs, ys], axis=-1)[None].repeat(3, axis=0).astype(np.float64)
    out = numpy(ops.image.elastic_transform(ramps, alpha, sigma, fill_mode="nearest", seed=4))
    # bilinear sampling of a ramp returns the sampled position: the displacement itself
    dx, dy = (out[..., 0] - xs) / alpha, (out[..., 1] - ys) / alpha
    size = int(6 * sigma) | 1
    taps = np.exp(-0.5 * ((np.arange(size) - size // 2) / sigma) ** 2)
    taps /= taps.sum()
    expected_std = sigma * (taps ** 2).sum()  # of blurred N(0, sigma^2) noise, inside
    inside = (slice(None), slice(size, height - size), slice(size, width - size))
    for field in (dx, dy):
        assert abs(field[inside].std() / expected_std - 1) < 0.15
        assert abs(field[inside].mean()) < 0.3 * expected_std
    assert abs(np.corrcoef(dx[inside].ravel(), dy[inside].ravel())[0, 1]) < 0.2
    # neighbours move together: the fields are smooth
    assert np.corrcoef(dx[:, :, :-1][inside].ravel(), dx[:, :, 1:][inside].ravel())[0, 1] > 0.9


def test_elastic_transform_seeds_identity_and_gradients():
    x = IMG.astype("float32")
    first = numpy(ops.image.elastic_transform(x, seed=1, data_format="channels_first"))
    np.testing.assert_array_equal(
        numpy(ops.image.elastic_transform(x, seed=1, data_format="channels_first")), first)
    generator = kerasx.random.SeedGenerator(3)
    a = numpy(ops.image.elastic_transform(x, seed=generator))
    assert not np.allclose(a, numpy(ops.image.elastic_transform(x, seed=generator)))
    np.testing.assert_allclose(numpy(ops.image.elastic_transform(x, alpha=0.0, seed=2)), x,
                               atol=1e-6)
    check_op_case(_self_case("elastic_transform", lambda v: ops.image.elastic_transform(
        v, alpha=3.0, sigma=1.0, fill_mode="constant", seed=5), [IMG], rtol32=1e-4,
        atol32=1e-5))
    with pytest.raises(ValueError, match="sigma"):
        ops.image.elastic_transform(x, sigma=0.0)
    with pytest.raises(ValueError, match="fill_mode"):
        ops.image.elastic_transform(x, fill_mode="edge")
