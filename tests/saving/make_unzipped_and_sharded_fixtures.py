"""Writes the Keras-made files that test_saving_unzipped_and_sharded.py reads, into
`fixtures/`, so the default suite checks reading Keras's files without Keras.

- `keras_model_dir/`: `model.save(path, zipped=False)` of a small trained MLP
  (`config.json`, `metadata.json`, `model.weights.h5`, and an empty `assets/`, which
  Keras creates for an absolute path and git does not keep).
- `keras_sharded/mlp.weights.json` and its shards `mlp_0000k.weights.h5`:
  `model.save_weights(path, max_shard_size=MAX_SHARD_SIZE)` of the same model.
- `keras_unzipped_and_sharded.json`: the inputs, the model's predictions, its
  optimizer's step count, the predictions after one more training step on
  `step_x` / `step_y`, and Keras's error messages for bad arguments.

Only this script imports keras. Run it from the repository root:
    KERAS_BACKEND=jax JAX_PLATFORMS=cpu /work/kvenv/bin/python \
        tests/saving/make_unzipped_and_sharded_fixtures.py
"""

import json
import os
import shutil

import numpy as np

import keras

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "fixtures")
MAX_SHARD_SIZE = 1e-7  # GB: about 107 bytes, so the optimizer's variables span shards


def build_model():
    """The architecture both libraries build for these files."""
    return keras.Sequential([keras.Input((3,)), keras.layers.Dense(4, activation="relu"),
                             keras.layers.Activation("tanh"), keras.layers.Dense(2)],
                            name="mlp")


def error_of(fn):
    try:
        fn()
    except ValueError as e:
        return str(e)
    raise AssertionError("expected a ValueError")


def main():
    keras.utils.set_random_seed(0)
    rng = np.random.default_rng(0)
    model = build_model()
    model.compile(optimizer="adam", loss="mse")
    model.fit(rng.normal(size=(8, 3)).astype("float32"),
              rng.normal(size=(8, 2)).astype("float32"), batch_size=4, epochs=1, verbose=0)
    model_dir = os.path.join(OUT, "keras_model_dir")
    sharded = os.path.join(OUT, "keras_sharded")
    for path in (model_dir, sharded):
        shutil.rmtree(path, ignore_errors=True)
    os.makedirs(sharded)
    model.save(model_dir, zipped=False)
    model.save_weights(os.path.join(sharded, "mlp.weights.json"), max_shard_size=MAX_SHARD_SIZE)

    x = rng.normal(size=(5, 3)).astype("float32")
    step_x = rng.normal(size=(4, 3)).astype("float32")
    step_y = rng.normal(size=(4, 2)).astype("float32")
    predictions = model.predict(x, verbose=0)
    iterations = int(model.optimizer.iterations)
    model.train_on_batch(step_x, step_y)
    after_step = model.predict(x, verbose=0)

    scratch = os.path.join(OUT, "scratch")
    os.makedirs(scratch, exist_ok=True)
    cwd = os.getcwd()
    os.chdir(scratch)  # relative paths, so the messages hold no machine's directories
    try:
        errors = {
            "zipped_false_keras_path": error_of(
                lambda: model.save("m.keras", zipped=False)),
            "weights_suffix": error_of(
                lambda: model.save_weights("m.h5")),
            "sharded_suffix": error_of(
                lambda: model.save_weights("m.bin", max_shard_size=1.0)),
            "variable_larger_than_shard": error_of(
                lambda: model.save_weights("m.weights.json", max_shard_size=1e-9)),
        }
    finally:
        os.chdir(cwd)
        shutil.rmtree(scratch, ignore_errors=True)
    record = {
        "keras_version": keras.__version__, "max_shard_size": MAX_SHARD_SIZE,
        "x": x.tolist(), "predictions": predictions.tolist(), "iterations": iterations,
        "step_x": step_x.tolist(), "step_y": step_y.tolist(),
        "after_step": after_step.tolist(), "errors": errors,
    }
    with open(os.path.join(OUT, "keras_unzipped_and_sharded.json"), "w") as f:
        json.dump(record, f, indent=1)
    print("wrote", model_dir, sharded, sorted(os.listdir(sharded)))


if __name__ == "__main__":
    main()
