"""`keras.wrappers`: Keras models as scikit-learn estimators (scikit-learn is imported
when a wrapper is first used)."""

__all__ = ["SKLearnClassifier", "SKLearnRegressor", "SKLearnTransformer"]


def __getattr__(name):
    # the wrappers subclass scikit-learn's base classes: importing them here would
    # import scikit-learn with every `import kerasx`
    if name in __all__:
        from kerasx.wrappers import sklearn_wrapper

        return getattr(sklearn_wrapper, name)
    raise AttributeError(f"module 'kerasx.wrappers' has no attribute {name!r}")
