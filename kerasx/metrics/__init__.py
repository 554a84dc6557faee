"""Stateful metrics, by class and by the names `compile(metrics=[...])` accepts.

    model.compile(..., metrics=["accuracy", "mse", kerasx.metrics.AUC(curve="PR")])

    m = kerasx.metrics.Precision()
    m.update_state(y_true, y_pred)          # batch after batch, state stays on the device
    float(m.result())
    m.reset_state()

Every loss is also a metric: `get("huber")` averages the Huber loss per sample.
Metrics whose constructor needs arguments (`MeanIoU(num_classes)`, ...) are
passed as objects, not by name.
`confusion_matrix(labels, predictions, num_classes)` builds a confusion matrix.
"""

import inspect

from kerasx.losses.hinge import categorical_hinge, hinge, squared_hinge
from kerasx.losses.probabilistic import (binary_crossentropy, binary_focal_crossentropy,
                                         categorical_crossentropy, categorical_focal_crossentropy,
                                         kl_divergence, poisson, sparse_categorical_crossentropy)
from kerasx.losses.regression import (huber, log_cosh, mean_absolute_error,
                                      mean_absolute_percentage_error, mean_squared_error,
                                      mean_squared_logarithmic_error)
from kerasx.metrics.accuracy_metrics import (Accuracy, BinaryAccuracy, CategoricalAccuracy,
                                             SparseCategoricalAccuracy,
                                             SparseTopKCategoricalAccuracy,
                                             TopKCategoricalAccuracy, accuracy, binary_accuracy,
                                             categorical_accuracy, sparse_categorical_accuracy,
                                             sparse_top_k_categorical_accuracy,
                                             top_k_categorical_accuracy)
from kerasx.metrics.confusion_metrics import (AUC, FalseNegatives, FalsePositives, Precision,
                                              PrecisionAtRecall, Recall, RecallAtPrecision,
                                              SensitivityAtSpecificity, SpecificityAtSensitivity,
                                              TrueNegatives, TruePositives)
from kerasx.metrics.correlation_metrics import (ConcordanceCorrelation, PearsonCorrelation,
                                                concordance_correlation, pearson_correlation)
from kerasx.metrics.f_score_metrics import F1Score, FBetaScore
from kerasx.metrics.hinge_metrics import CategoricalHinge, Hinge, SquaredHinge
from kerasx.metrics.iou_metrics import BinaryIoU, IoU, MeanIoU, OneHotIoU, OneHotMeanIoU
from kerasx.metrics.metric import Metric
from kerasx.metrics.metrics_utils import confusion_matrix
from kerasx.metrics.probabilistic_metrics import (BinaryCrossentropy, CategoricalCrossentropy,
                                                  KLDivergence, Poisson,
                                                  SparseCategoricalCrossentropy)
from kerasx.metrics.reduction_metrics import Mean, MeanMetricWrapper, Sum
from kerasx.metrics.regression_metrics import (CosineSimilarity, LogCoshError, MeanAbsoluteError,
                                               MeanAbsolutePercentageError, MeanSquaredError,
                                               MeanSquaredLogarithmicError, R2Score,
                                               RootMeanSquaredError, cosine_similarity)
from kerasx.utils.naming import to_snake_case as _snake

mse = MSE = mean_squared_error
mae = MAE = mean_absolute_error
mape = MAPE = mean_absolute_percentage_error
msle = MSLE = mean_squared_logarithmic_error
kld = KLD = kullback_leibler_divergence = kl_divergence
logcosh = log_cosh
cosine_proximity = cosine_similarity

METRIC_CLASSES = (
    Metric, Mean, Sum, MeanMetricWrapper,
    MeanSquaredError, RootMeanSquaredError, MeanAbsoluteError, MeanAbsolutePercentageError,
    MeanSquaredLogarithmicError, CosineSimilarity, LogCoshError, R2Score,
    AUC, FalseNegatives, FalsePositives, Precision, PrecisionAtRecall, Recall, RecallAtPrecision,
    SensitivityAtSpecificity, SpecificityAtSensitivity, TrueNegatives, TruePositives,
    ConcordanceCorrelation, PearsonCorrelation,
    Hinge, SquaredHinge, CategoricalHinge,
    KLDivergence, Poisson, BinaryCrossentropy, CategoricalCrossentropy,
    SparseCategoricalCrossentropy,
    Accuracy, BinaryAccuracy, CategoricalAccuracy, SparseCategoricalAccuracy,
    TopKCategoricalAccuracy, SparseTopKCategoricalAccuracy,
    F1Score, FBetaScore,
    IoU, BinaryIoU, MeanIoU, OneHotIoU, OneHotMeanIoU,
)
ALL_OBJECTS_DICT = {cls.__name__: cls for cls in METRIC_CLASSES}
ALL_OBJECTS_DICT.update({_snake(cls.__name__): cls for cls in METRIC_CLASSES})
ALL_OBJECTS_DICT.update({
    "bce": BinaryCrossentropy, "BCE": BinaryCrossentropy,
    "mse": MeanSquaredError, "MSE": MeanSquaredError,
    "mae": MeanAbsoluteError, "MAE": MeanAbsoluteError,
    "mape": MeanAbsolutePercentageError, "MAPE": MeanAbsolutePercentageError,
    "msle": MeanSquaredLogarithmicError, "MSLE": MeanSquaredLogarithmicError,
    # names from Keras 2 and common spellings
    "acc": Accuracy, "rmse": RootMeanSquaredError, "RMSE": RootMeanSquaredError,
    "logcosh": LogCoshError, "log_cosh": LogCoshError, "cosine_proximity": CosineSimilarity,
    "kld": KLDivergence, "KLD": KLDivergence, "kullback_leibler_divergence": KLDivergence,
    "fbeta_score": FBetaScore, "r_squared": R2Score,
})

__all__ = sorted({cls.__name__ for cls in METRIC_CLASSES} | {
    "accuracy", "binary_accuracy", "categorical_accuracy", "sparse_categorical_accuracy",
    "top_k_categorical_accuracy", "sparse_top_k_categorical_accuracy", "binary_crossentropy",
    "binary_focal_crossentropy", "categorical_crossentropy", "categorical_focal_crossentropy",
    "sparse_categorical_crossentropy", "kl_divergence", "poisson", "hinge", "squared_hinge",
    "categorical_hinge", "huber", "log_cosh", "pearson_correlation", "concordance_correlation",
    "mean_squared_error", "mean_absolute_error",
    "mean_absolute_percentage_error", "mean_squared_logarithmic_error", "cosine_similarity",
    "mse", "MSE", "mae", "MAE", "mape", "MAPE", "msle", "MSLE", "kld", "KLD",
    "kullback_leibler_divergence", "logcosh", "cosine_proximity",
    "confusion_matrix", "get", "serialize", "deserialize"})


def get(identifier):
    """A metric object from a name, a class, a config dict, a Metric or a function.

    Names are class names (`"AUC"`), their snake-case forms (`"auc"`,
    `"binary_accuracy"`), the short names `"mse"`, `"mae"`, ... or the name
    of any loss (`"huber"`), which is then averaged per sample. Functions
    `f(y_true, y_pred)` are wrapped in `MeanMetricWrapper`.
    """
    if identifier is None:
        return None
    if isinstance(identifier, Metric):
        return identifier
    if isinstance(identifier, dict):
        return deserialize(identifier)
    if isinstance(identifier, str):
        cls = ALL_OBJECTS_DICT.get(identifier)
        if cls is not None and cls not in (Metric, MeanMetricWrapper):
            return _instantiate_by_name(identifier, cls)
        return _loss_as_metric(identifier)
    if isinstance(identifier, type) and issubclass(identifier, Metric):
        return identifier()
    if callable(identifier):
        from kerasx.losses.loss import LossFunctionWrapper

        if isinstance(identifier, LossFunctionWrapper):
            return MeanMetricWrapper(identifier.fn, name=identifier.name, **identifier._fn_kwargs)
        return MeanMetricWrapper(identifier, name=getattr(identifier, "__name__", None))
    raise ValueError(
        f"Could not interpret metric identifier {identifier!r} of type "
        f"{type(identifier).__name__}: expected a metric name such as 'accuracy', a Metric "
        "object, or a function f(y_true, y_pred)."
    )


def _instantiate_by_name(name, cls):
    """`cls()`, or an error naming the arguments a metric such as `MeanIoU` requires."""
    required = [p.name for p in inspect.signature(cls.__init__).parameters.values()
                if p.name != "self" and p.default is inspect.Parameter.empty
                and p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)]
    if required:
        args = ", ".join(f"{r}=..." for r in required)
        raise TypeError(
            f"The metric name {name!r} stands for {cls.__name__}, which needs the argument(s) "
            f"{required} and cannot be built from its name alone. Pass an object instead, "
            f"e.g. metrics=[kerasx.metrics.{cls.__name__}({args})]."
        )
    return cls()


def _loss_as_metric(name):
    from kerasx import losses
    from kerasx.losses.loss import LossFunctionWrapper

    found = losses.ALL_OBJECTS_DICT.get(name)
    if isinstance(found, type) and issubclass(found, LossFunctionWrapper) \
            and found is not LossFunctionWrapper:
        loss = found()
        return MeanMetricWrapper(loss.fn, name=loss.name, **loss._fn_kwargs)
    if found is not None and not isinstance(found, type):
        return MeanMetricWrapper(found, name=name)
    from kerasx.utils.suggest import unknown_identifier

    known = {k for k in ALL_OBJECTS_DICT if k not in ("Metric", "MeanMetricWrapper")}
    known |= {k for k, v in losses.ALL_OBJECTS_DICT.items() if not isinstance(v, type)}
    raise unknown_identifier("metric", name, known)


def serialize(metric):
    """The Keras 3 config dict of a metric."""
    from kerasx.saving.serialization import serialize_keras_object

    return serialize_keras_object(metric)


def deserialize(config, custom_objects=None):
    """A metric from `serialize`'s output (or a name)."""
    from kerasx.saving.serialization import deserialize_keras_object

    return deserialize_keras_object(config, custom_objects=custom_objects,
                                    module_objects=ALL_OBJECTS_DICT)
