"""What a user feeds a model, compared with Keras 3.15.1.

`test_golden_case` replays the `fuzz_data` golden family: `keras.utils` data functions
(`pad_sequences`, `to_categorical`, `normalize`, `split_dataset`,
`timeseries_dataset_from_array`, the `*_dataset_from_directory` functions on trees written
by the recipe) and small models fed by arrays, generators and `PyDataset`s, which Keras
ran; kerasx must give the same outputs, batches, histories, weights and predictions. The
other tests pin what the comparison found.
"""

import numpy as np
import pytest

import kerasx as keras
from tests.golden.fuzz_data_recipe import differences, run_case, unflatten
from tests.golden.loader import load_cases
from tests.golden.training_recipe import flatten_results

GOLDEN = load_cases("fuzz_data")


@pytest.mark.parametrize("case", GOLDEN, ids=[c["name"] for c in GOLDEN])
def test_golden_case(case, tmp_path):
    recipe = case["config"]
    if recipe["kind"] == "image_dir":
        pytest.importorskip("PIL.Image", reason="image datasets need Pillow")
    expected = unflatten(case["skeleton"], case["arrays"])
    keras.utils.set_random_seed(0)
    run_case.last_error = None
    got = run_case(keras, recipe, str(tmp_path))
    skeleton, arrays = flatten_results(got)
    found = differences(expected, unflatten(skeleton, arrays))
    assert found == [], f"{found}; kerasx raised: {run_case.last_error}"


def _area_mean(x, height, width):
    """Each output pixel: the mean of the input area it covers (float64 reference)."""
    rows, cols = x.shape
    out = np.zeros((height, width))
    for i in range(height):
        for j in range(width):
            y0, y1 = i * rows / height, (i + 1) * rows / height
            x0, x1 = j * cols / width, (j + 1) * cols / width
            wy = np.clip(np.minimum(y1, np.arange(1, rows + 1)) - np.maximum(y0, np.arange(rows)),
                         0, None)
            wx = np.clip(np.minimum(x1, np.arange(1, cols + 1)) - np.maximum(x0, np.arange(cols)),
                         0, None)
            out[i, j] = (wy[:, None] * wx[None, :] * x).sum() / (wy.sum() * wx.sum())
    return out


@pytest.mark.parametrize("size", [(2, 3), (3, 2), (3, 7), (1, 5)])
def test_area_interpolation_averages_the_covered_area(tmp_path, size):
    # "area" used Pillow's BOX filter, which does not weigh the cells cut by an output
    # pixel's edges by the part inside: 4x5 -> 3x2 was off by 1.55 (of 19) from the
    # area mean that `tf.image.resize(method="area")` (Keras's "tf" format) computes
    image = pytest.importorskip("PIL.Image", reason="image datasets need Pillow")
    pixels = (np.arange(20).reshape(4, 5) * 12).astype("uint8")
    (tmp_path / "c").mkdir()
    image.fromarray(pixels).save(tmp_path / "c" / "i.png")
    ds = keras.utils.image_dataset_from_directory(
        str(tmp_path), labels=None, color_mode="grayscale", image_size=size,
        interpolation="area", batch_size=None, shuffle=False, verbose=False)
    got = np.asarray(ds[0])[:, :, 0]
    np.testing.assert_allclose(got, _area_mean(pixels.astype("float64"), *size), rtol=1e-6,
                               atol=1e-4)


@pytest.mark.parametrize("order", [np.inf, -np.inf, 0, 1.5, 3])
def test_normalize_of_an_array_takes_numpy_vector_norms(order):
    # the NumPy path computed (sum |x| ** order) ** (1 / order) for every order: `inf`
    # returned x unchanged (Keras 3.15.1: [[0.75, 0, 1], [0.5, -1, 0]]) and 0 raised
    # ZeroDivisionError (Keras: [[1.5, 0, 2], [0.5, -1, 0]], x / the non-zero count)
    x = np.array([[3.0, 0.0, 4.0], [1.0, -2.0, 0.0]], "float32")
    norm = np.linalg.norm(x.astype("float64"), ord=order, axis=-1, keepdims=True)
    expected = x / np.where(norm == 0, 1.0, norm)
    np.testing.assert_allclose(keras.utils.normalize(x, axis=-1, order=order), expected,
                               rtol=1e-6)
