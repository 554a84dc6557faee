"""Writes keras_functional_ops_fixture.json: a functional model made of `keras.ops` calls and
Python operators (no weights), its config, inputs and outputs from real Keras 3, so the tests
can check that kerasx reads Keras's operation nodes and writes the same format.

Needs keras only when regenerating (see tests/golden/README.md for the environment):

    KERAS_BACKEND=jax JAX_PLATFORMS=cpu /work/kvenv/bin/python tests/models/make_keras_functional_ops_fixture.py
"""

import json
import os

import keras
import numpy as np
from keras import ops


def main():
    x = keras.Input((4,), name="x")
    y = x * 2 + ops.exp(x)
    z = ops.concatenate([y, x[:, 1:3]], axis=-1)
    w = 3.0 - ops.mean(z, axis=-1, keepdims=True)
    r = ops.transpose(ops.reshape(x, (-1, 2, 2)), (0, 2, 1))
    u = ops.where(x > 0.3, x, -x) ** 2 / (1.0 + abs(x))
    s = ops.sum(ops.square(x), axis=1) + ops.max(x, axis=-1)
    q = ops.clip(ops.expand_dims(x, -1), 0.1, 0.5)
    outputs = [z, w, ops.softmax(x), r, u, s, q, ops.log_softmax(x, axis=-1), ops.relu(x - 0.3),
               ops.take(x, [0, 2], axis=1), ops.squeeze(x[:, None, :], axis=1), -x, x[..., 0],
               ops.cast(x > 0.2, "float32")]
    model = keras.Model(x, outputs, name="ops_graph")
    data = (np.arange(8, dtype="float32").reshape(2, 4) - 3.0) / 10
    result = model.predict(data, verbose=0)
    path = os.path.join(os.path.dirname(__file__), "keras_functional_ops_fixture.json")
    with open(path, "w") as f:
        json.dump({"keras_version": keras.__version__, "config": model.get_config(),
                   "inputs": data.tolist(), "outputs": [np.asarray(o).tolist() for o in result]},
                  f, indent=1)


if __name__ == "__main__":
    main()
