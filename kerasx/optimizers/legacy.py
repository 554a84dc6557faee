"""`kerasx.optimizers.legacy`: the Keras 2 optimizer names, which Keras 3 refuses.

As in Keras 3, `Adagrad`, `Adam`, `Ftrl`, `Optimizer`, `RMSprop` and `SGD` here
are one placeholder class, and making one raises an `ImportError` that points
to the current optimizers.
"""


class LegacyOptimizerWarning:
    """The placeholder behind every `keras.optimizers.legacy` name."""

    def __init__(self, *args, **kwargs):
        raise ImportError(
            "`keras.optimizers.legacy` is not supported in Keras 3, nor in kerasx. Use the "
            "optimizers of `keras.optimizers` instead (e.g. `keras.optimizers.Adam("
            "learning_rate=1e-3)` for `keras.optimizers.legacy.Adam`). With `tf.keras`, "
            "Keras 2's legacy optimizers remain in the `tf_keras` package (set "
            "`TF_USE_LEGACY_KERAS=True`).")


Adagrad = Adam = Ftrl = Optimizer = RMSprop = SGD = LegacyOptimizerWarning

__all__ = ["Adagrad", "Adam", "Ftrl", "Optimizer", "RMSprop", "SGD"]
