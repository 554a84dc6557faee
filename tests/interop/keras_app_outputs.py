"""Builds `keras.applications` models in real Keras 3 and writes their weights and
outputs, for `tests/applications/test_app_numerics_keras.py`.

Run with an interpreter that has keras (never imported by the tests themselves)::

    python keras_app_outputs.py OUT_DIR

For each case of `NUMERIC_CASES` (random weights, batch-norm statistics made
non-trivial, small input, no classifier) it writes `<id>.weights.h5` (Keras 3
layout), `<id>.h5` (legacy Keras 2 layout, as the pretrained files) and
`<id>.npz` (input `x`, Keras's prediction `pred`), then prints `DONE`.
"""

import os
import sys

os.environ.setdefault("KERAS_BACKEND", "jax")
os.environ.setdefault("JAX_PLATFORMS", "cpu")

import numpy as np  # noqa: E402

import keras  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from app_cases import NUMERIC_CASES  # noqa: E402


def randomize_statistics(model, rng):
    for layer in model.layers:
        if isinstance(layer, keras.layers.BatchNormalization):
            n = layer.moving_mean.shape[0]
            layer.moving_mean.assign(rng.normal(0, 0.1, n).astype("float32"))
            layer.moving_variance.assign(rng.uniform(0.5, 1.5, n).astype("float32"))
            if layer.gamma is not None:  # None with scale=False
                layer.gamma.assign(rng.uniform(0.5, 1.5, n).astype("float32"))
            if layer.beta is not None:
                layer.beta.assign(rng.normal(0, 0.1, n).astype("float32"))


def main(out_dir):
    import h5py
    from keras.src.legacy.saving import legacy_h5_format

    for case in NUMERIC_CASES:
        keras.utils.clear_session()
        keras.utils.set_random_seed(3)
        kwargs = dict(case["kwargs"], input_shape=tuple(case["kwargs"]["input_shape"]))
        model = getattr(keras.applications, case["builder"])(weights=None, **kwargs)
        rng = np.random.default_rng(3)
        randomize_statistics(model, rng)
        base = os.path.join(out_dir, case["id"])
        model.save_weights(base + ".weights.h5")
        with h5py.File(base + ".h5", "w") as f:
            legacy_h5_format.save_weights_to_hdf5_group(f, model)
        x = rng.uniform(0, 255, size=(2,) + kwargs["input_shape"]).astype("float32")
        x = getattr(keras.applications, case["family"]).preprocess_input(x)
        np.savez(base + ".npz", x=x, pred=model.predict(x, verbose=0))
    print("DONE")


if __name__ == "__main__":
    main(sys.argv[1])
