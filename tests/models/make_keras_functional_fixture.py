"""Writes keras_functional_fixture.json: a functional model's config, weights, inputs and
outputs from real Keras 3, so the tests can check that kerasx rebuilds Keras's graph format.

Needs keras only when regenerating (see tests/golden/README.md for the environment):

    KERAS_BACKEND=jax JAX_PLATFORMS=cpu /work/kvenv/bin/python tests/models/make_keras_functional_fixture.py
"""

import json
import os

import keras
import numpy as np


def main():
    keras.utils.set_random_seed(11)
    rng = np.random.default_rng(11)
    a = keras.Input((4,), name="a")
    b = keras.Input((4,), name="b")
    shared = keras.layers.Dense(3, activation="relu", name="shared")
    xa, xb = shared(a), shared(b)
    summed = keras.layers.Add(name="sum")([xa, xb])
    joined = keras.layers.Concatenate(name="joined")([summed, xa])
    dropped = keras.layers.Dropout(0.5, name="drop")(joined)
    score = keras.layers.Dense(1, activation="sigmoid", name="score")(dropped)
    sim = keras.layers.Dot(axes=1, normalize=True, name="sim")([xa, xb])
    model = keras.Model([a, b], {"score": score, "sim": sim}, name="siamese")
    inputs = [rng.normal(size=(3, 4)).astype("float32") for _ in range(2)]
    outputs = model.predict(inputs, verbose=0)
    fixture = {
        "keras_version": keras.__version__,
        "backend": keras.backend.backend(),
        "config": model.get_config(),
        "serialized": keras.saving.serialize_keras_object(model),
        "weights": [w.tolist() for w in model.get_weights()],
        "inputs": [x.tolist() for x in inputs],
        "outputs": {k: np.asarray(v).tolist() for k, v in outputs.items()},
        "layer_names": [layer.name for layer in model.layers],
    }
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "keras_functional_fixture.json")
    with open(path, "w") as f:
        json.dump(fixture, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
