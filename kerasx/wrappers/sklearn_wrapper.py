"""`SKLearnClassifier`, `SKLearnRegressor` and `SKLearnTransformer`: a compiled kerasx
model (or a function building one) behind scikit-learn's estimator interface."""

import copy

from kerasx.wrappers.sklearn_utils import (BaseEstimator, ClassifierMixin, RegressorMixin,
                                           TargetReshaper, TransformerMixin, check_compiled,
                                           is_fitted, require_sklearn, type_of_target,
                                           validate_data)


class SKLBase(BaseEstimator):
    """The shared part of the wrappers: parameters, fit, predict.

    Args:
        model: a compiled `Model`, or a callable `model(X=X, y=y, **model_kwargs)`
            returning one, called at every `fit` (so it can size the model from
            the data; `y` is the encoded target: one-hot for a classifier).
            A `Model` is cloned (same architecture and compile configuration,
            new weights) before each fit, unless `warm_start=True`.
        warm_start: reuse the fitted model and its weights when `fit` is called
            again (and train the given `Model` itself, uncloned).
        model_kwargs: keyword arguments for `model` when it is a callable.
        fit_kwargs: keyword arguments for `Model.fit` (`epochs`,
            `batch_size`, ...); those passed to `fit` itself take precedence.

    Attributes:
        model_: the fitted model.
        history_: the `History.history` dict of the last fit.
        n_features_in_: the number of features seen by `fit`.
    """

    def __init__(self, model, warm_start=False, model_kwargs=None, fit_kwargs=None):
        require_sklearn(type(self).__name__)
        self.model = model
        self.warm_start = warm_start
        self.model_kwargs = model_kwargs
        self.fit_kwargs = fit_kwargs

    def _more_tags(self):
        return {"non_deterministic": True}

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.non_deterministic = True
        return tags

    def __sklearn_clone__(self):
        """An unfitted copy: a given `Model` is deep-copied, a callable is shared."""
        model = self.model if callable(self.model) and not _is_model(self.model) \
            else copy.deepcopy(self.model)
        return type(self)(model=model, warm_start=self.warm_start,
                          model_kwargs=copy.deepcopy(self.model_kwargs),
                          fit_kwargs=copy.deepcopy(self.fit_kwargs))

    @property
    def epoch_(self):
        """How many epochs the last fit trained."""
        return len(next(iter(getattr(self, "history_", {}).values()), []))

    def _get_model(self, X, y):
        if self.warm_start and hasattr(self, "model_"):
            return self.model_
        if _is_model(self.model):
            if self.warm_start:
                return self.model
            from kerasx.models import clone_model

            return clone_model(self.model)
        if not callable(self.model):
            raise TypeError(f"{type(self).__name__}: `model` must be a compiled kerasx Model or "
                            "a callable model(X=..., y=..., **model_kwargs) returning one; "
                            f"received {type(self.model).__name__}.")
        return self.model(X=X, y=y, **(self.model_kwargs or {}))

    def fit(self, X, y, **kwargs):
        """Fits the model to `X` (n_samples, n_features) and `y`; `kwargs` go to
        `Model.fit` over `fit_kwargs`. Returns the estimator."""
        X, y = validate_data(self, X, y, reset=not (self.warm_start and is_fitted(self)))
        y = self._process_target(y, reset=True)
        model = self._get_model(X, y)
        check_compiled(model)
        fit_kwargs = dict(self.fit_kwargs or {})
        fit_kwargs.update(kwargs)
        self.history_ = dict(model.fit(X, y, **fit_kwargs).history)
        self.model_ = model
        return self

    def predict(self, X):
        """The model's predictions for `X`, as targets (class labels for a classifier)."""
        from sklearn.utils.validation import check_is_fitted

        check_is_fitted(self)
        X = validate_data(self, X, reset=False)
        return self._reverse_process_target(self.model_.predict(X, verbose=0))

    def _process_target(self, y, reset=False):
        type_of_target(y, raise_unknown=True)
        if reset:
            self._target_encoder = TargetReshaper().fit(y)
        return self._target_encoder.transform(y)

    def _reverse_process_target(self, y):
        return self._target_encoder.inverse_transform(y)


class SKLearnClassifier(ClassifierMixin, SKLBase):
    """A kerasx classifier as a scikit-learn classifier (binary or multiclass targets).

    The labels are one-hot encoded for the model, which therefore needs one
    output per class (a softmax and `categorical_crossentropy`, for instance);
    `predict` gives the class of the largest output. See `SKLBase` for the
    arguments.

    Example:

    ```python
    def build(X, y, hidden=16):
        model = keras.Sequential([keras.Input((X.shape[1],)),
                                  keras.layers.Dense(hidden, activation="relu"),
                                  keras.layers.Dense(y.shape[1], activation="softmax")])
        model.compile(optimizer="adam", loss="categorical_crossentropy")
        return model

    clf = keras.wrappers.SKLearnClassifier(build, model_kwargs={"hidden": 32},
                                           fit_kwargs={"epochs": 20, "verbose": 0})
    clf.fit(X, y).score(X_test, y_test)
    ```

    Attributes:
        classes_: the sorted class labels.
    """

    def decision_function(self, X):
        """The model's raw outputs for `X`, one column per class."""
        from sklearn.utils.validation import check_is_fitted

        check_is_fitted(self)
        X = validate_data(self, X, reset=False)
        return self.model_.predict(X, verbose=0)

    def _process_target(self, y, reset=False):
        from sklearn.pipeline import make_pipeline
        from sklearn.preprocessing import OneHotEncoder
        from sklearn.utils.multiclass import unique_labels

        target_type = type_of_target(y, raise_unknown=True)
        if target_type not in ("binary", "multiclass"):
            raise ValueError("Only binary and multiclass target types are supported. "
                             f"Target type: {target_type}")
        if reset:
            self._target_encoder = make_pipeline(
                TargetReshaper(), OneHotEncoder(sparse_output=False)).fit(y)
            self.classes_ = unique_labels(y)
            if len(self.classes_) == 1:
                raise ValueError("Classifier can't train when only one class is present.")
        return self._target_encoder.transform(y)

    def _more_tags(self):
        return {"poor_score": True}

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.poor_score = True
        return tags


class SKLearnRegressor(RegressorMixin, SKLBase):
    """A kerasx regressor as a scikit-learn regressor: `y` of shape `(n,)` is given to
    the model as `(n, 1)` and predictions come back as `(n,)`. See `SKLBase` for the
    arguments."""

    def _more_tags(self):
        return {"poor_score": True}

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.regressor_tags.poor_score = True
        return tags


class SKLearnTransformer(TransformerMixin, SKLBase):
    """A kerasx model as a scikit-learn transformer: `fit` trains it on `(X, y)`,
    `transform` gives its outputs (an embedding, for instance). Wrap it in
    `sklearn.frozen.FrozenEstimator` to use a trained model without refitting
    it in a pipeline. See `SKLBase` for the arguments."""

    def transform(self, X):
        """The model's outputs for `X`."""
        from sklearn.utils.validation import check_is_fitted

        check_is_fitted(self)
        X = validate_data(self, X, reset=False)
        return self.model_.predict(X, verbose=0)

    def _more_tags(self):
        return {"preserves_dtype": []}

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.transformer_tags.preserves_dtype = []
        return tags


def _is_model(model):
    from kerasx.models import Model

    return isinstance(model, Model)
