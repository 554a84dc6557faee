"""kerasx: the Keras 3 API over the Python array API — NumPy on CPU, CuPy on CUDA.

    import kerasx as keras
    model = keras.Sequential([keras.Input(shape=(64,)),
                              keras.layers.Dense(32, activation="relu"),
                              keras.layers.Dense(10, activation="softmax")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(x, y, epochs=5)
"""

__version__ = "0.1.0"

from kerasx import (activations, backend, backends, callbacks, config, constraints, initializers,
                    layers, losses, metrics, models, ops, optimizers, random, regularizers, saving,
                    utils)
from kerasx import datasets, tree
from kerasx import preprocessing, wrappers
from kerasx import dtype_policies, mixed_precision
from kerasx import distribution, legacy, quantizers
from kerasx.dtype_policies import DTypePolicy, FloatDTypePolicy
from kerasx.graph import Function, Operation
from kerasx.quantizers import Quantizer
from kerasx.scopes import RematScope, StatelessScope, SymbolicScope, device, name_scope, remat
from kerasx.autodiff import GradientTape, Variable
from kerasx.initializers import Initializer
from kerasx.layers import Input, InputSpec, KerasTensor, Layer
from kerasx.losses import Loss
from kerasx.metrics import Metric
from kerasx.models import Model, Sequential
from kerasx.optimizers import Optimizer
from kerasx.regularizers import Regularizer


def version():
    """The version of kerasx, as `keras.version()`."""
    return __version__


__all__ = ["GradientTape", "Initializer", "Input", "InputSpec", "KerasTensor", "Layer", "Loss",
           "Metric", "Model", "Optimizer", "Regularizer", "Sequential", "Variable", "activations",
           "backend", "backends", "callbacks", "config", "constraints", "datasets", "initializers",
           "layers", "losses", "metrics", "models", "ops", "optimizers", "random", "regularizers",
           "saving", "tree", "utils", "version"]
__all__ += ["preprocessing", "wrappers"]
__all__ += ["DTypePolicy", "FloatDTypePolicy", "dtype_policies", "mixed_precision"]
__all__ += ["Function", "Operation", "Quantizer", "RematScope", "StatelessScope",
            "SymbolicScope", "device", "distribution", "legacy", "name_scope", "quantizers",
            "remat"]


# imported on first use: most programs never build an application, export or plot
_ON_FIRST_USE = ("applications", "distillation", "export", "visualization")


def __getattr__(name):
    if name in _ON_FIRST_USE:
        import importlib

        return importlib.import_module(f"kerasx.{name}")
    raise AttributeError(f"module 'kerasx' has no attribute {name!r}")
