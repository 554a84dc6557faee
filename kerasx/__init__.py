"""kerasx: the Keras 3 API over the Python array API — NumPy on CPU, CuPy on CUDA.

    import kerasx as keras
    model = keras.Sequential([keras.Input(shape=(64,)),
                              keras.layers.Dense(32, activation="relu"),
                              keras.layers.Dense(10, activation="softmax")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(x, y, epochs=5)
"""

__version__ = "0.1.0"

from kerasx import (activations, backends, callbacks, config, constraints, initializers, layers,
                    losses, metrics, models, ops, optimizers, regularizers, saving, utils)
from kerasx.autodiff import GradientTape, Variable
from kerasx.layers import Input, InputSpec, Layer
from kerasx.models import Model, Sequential

backend = config

__all__ = ["GradientTape", "Input", "InputSpec", "Layer", "Model", "Sequential", "Variable", "activations",
           "backends", "callbacks", "config", "constraints", "initializers", "layers", "losses",
           "metrics", "models", "ops", "optimizers", "regularizers", "saving", "utils"]
