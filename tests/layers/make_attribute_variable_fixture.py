"""Writes fixtures/attribute_variables.{weights.h5,keras,npz} with real Keras 3:
`KERAS_BACKEND=jax JAX_PLATFORMS=cpu /work/kvenv/bin/python make_attribute_variable_fixture.py`."""

import os
import sys

import keras
import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from attribute_variable_layer import KERAS_WEIGHT_NAMES, define  # noqa: E402


def main(out_dir=os.path.join(HERE, "fixtures")):
    attr_vars = define(keras)
    model = keras.Sequential([keras.Input((4,)), attr_vars(3, name="attr_vars"),
                              keras.layers.Dense(2, name="head")])
    assert [v.name for v in model.layers[0].weights] == KERAS_WEIGHT_NAMES
    rng = np.random.default_rng(0)
    for v in model.weights:
        v.assign(rng.normal(size=v.shape).astype("float32"))
    x = rng.normal(size=(5, 4)).astype("float32")
    model.save_weights(os.path.join(out_dir, "attribute_variables.weights.h5"))
    model.save(os.path.join(out_dir, "attribute_variables.keras"))
    np.savez(os.path.join(out_dir, "attribute_variables.npz"), x=x,
             y=model.predict(x, verbose=0),
             **{f"w{i}": v.numpy() for i, v in enumerate(model.weights)})


if __name__ == "__main__":
    main(*sys.argv[1:])
