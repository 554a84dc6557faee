"""`row_maxima`: the last axis's maxima of the NumPy softmax and cross-entropy kernels,
the same values whichever way they are reduced, and followed by a step recording."""

import numpy as np
import pytest

import kerasx as keras
from kerasx.backends import current

if current().name != "numpy":
    pytest.skip("a NumPy backend kernel", allow_module_level=True)

from kerasx.backends.numpy_kernels import row_maxima  # noqa: E402

rng = np.random.default_rng(8)


@pytest.mark.parametrize("shape", [(1024, 10), (4, 64, 10), (128, 32), (128, 33), (16, 10),
                                   (200, 1), (300, 3), (0, 5)])
@pytest.mark.parametrize("dtype", ["float32", "float64", "float16"])
def test_equals_numpy_max_over_the_last_axis(shape, dtype):
    x = rng.standard_normal(shape).astype(dtype)
    if x.size > 7:
        x.flat[7] = np.nan
        x.flat[-1] = np.inf
    out = row_maxima(x)
    expected = x.max(axis=-1, keepdims=True)
    assert out.shape == expected.shape and out.dtype == expected.dtype
    np.testing.assert_array_equal(out, expected)


def test_a_noncontiguous_input_gives_its_own_maxima():
    x = rng.standard_normal((10, 256)).astype("float32").T  # (256, 10), column-major
    np.testing.assert_array_equal(row_maxima(x), x.max(axis=-1, keepdims=True))


def test_a_step_with_many_short_rows_is_replayed():
    # 256 rows of 10 classes take the transposed reduction inside the recorded step
    x = rng.standard_normal((1024, 8)).astype("float32")
    y = rng.integers(0, 10, 1024)
    model = keras.Sequential([keras.Input((8,)), keras.layers.Dense(10, activation="softmax")])
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy", jit_compile=True)
    model.fit(x, y, batch_size=256, epochs=2, verbose=0)
    step = model._compiled_train_step
    assert step.reasons == {}
    (program,) = step.programs.values()
    assert program.verified and program.runs > 0
    assert ".transpose()" in program.replay.source
