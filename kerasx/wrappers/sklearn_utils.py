"""The scikit-learn helpers of the wrappers: data validation across scikit-learn
versions, target checks and the 1-D / 2-D target reshaper."""

try:
    import sklearn
    from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin, TransformerMixin
except ImportError:
    sklearn = None

    class BaseEstimator:
        pass

    class ClassifierMixin:
        pass

    class RegressorMixin:
        pass

    class TransformerMixin:
        pass


def require_sklearn(name):
    if sklearn is None:
        raise ImportError(f"{name} needs scikit-learn, which is not installed. Install it with "
                          "`pip install scikit-learn`.")


def validate_data(estimator, *args, **kwargs):
    """scikit-learn's `validate_data` (1.6+) or `BaseEstimator._validate_data` (older)."""
    try:
        from sklearn.utils.validation import validate_data as validate
    except ImportError:
        return estimator._validate_data(*args, **kwargs)
    return validate(estimator, *args, **kwargs)


def type_of_target(y, raise_unknown=False):
    """scikit-learn's `type_of_target`, raising for an unknown target type when asked."""
    from sklearn.utils.multiclass import type_of_target as sklearn_type_of_target

    target_type = sklearn_type_of_target(y)
    if raise_unknown and target_type == "unknown":
        raise ValueError(f"Unknown label type for data: {y!r}")
    return target_type


def is_fitted(estimator):
    return hasattr(estimator, "model_")


def check_compiled(model):
    """Raises unless `model` is a compiled kerasx model with a loss and an optimizer."""
    if not getattr(model, "compiled", False) or not getattr(model, "loss", None) or \
            not getattr(model, "optimizer", None):
        raise RuntimeError("Given model needs to be compiled, and have a loss and an optimizer. "
                           f"Received {model!r}: call model.compile(optimizer=..., loss=...) "
                           "before passing it (or return it compiled from the model function).")


class TargetReshaper(TransformerMixin, BaseEstimator):
    """Turns a 1-D target into a column for the model, and the model's column back.

    Attributes:
        ndim_: the rank of the target it was fitted on.
    """

    def fit(self, y):
        self.ndim_ = y.ndim
        return self

    def transform(self, y):
        return y.reshape(-1, 1) if y.ndim == 1 else y

    def inverse_transform(self, y):
        from sklearn.utils.validation import check_is_fitted

        check_is_fitted(self)
        return y[:, 0] if self.ndim_ == 1 and y.ndim == 2 and y.shape[1] == 1 else y
