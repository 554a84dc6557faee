"""Losses as functions (`mean_squared_error`) and classes (`MeanSquaredError`), by name.

    model.compile(loss="sparse_categorical_crossentropy")           # by name
    model.compile(loss=kerasx.losses.Huber(delta=0.5))              # configured object
    model.compile(loss=my_loss)                                     # f(y_true, y_pred)

A loss object maps `(y_true, y_pred, sample_weight=None)` to a scalar:
per-sample values from the loss function, multiplied by `sample_weight`
(shape `(batch,)` or anything broadcastable to the per-sample values), then
reduced with `reduction` (`"sum_over_batch_size"` by default; `"sum"`,
`"mean"`, `"mean_with_sample_weight"` or `"none"`). Any function of
`(y_true, y_pred)` written with `kerasx.ops` and Python operators is a valid,
differentiable custom loss.

Weighting classes (imbalanced data). A "weighted categorical cross-entropy"
that penalises mistakes on rare classes more needs no special loss: give each
sample the weight of its class. `fit` does it for you with `class_weight`,
which becomes a per-sample `sample_weight`::

    counts = np.bincount(y_train)                       # e.g. [900, 100]
    class_weight = {c: len(y_train) / (len(counts) * n) for c, n in enumerate(counts)}
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy",
                  weighted_metrics=["accuracy"])
    model.fit(x_train, y_train, class_weight=class_weight)   # {0: 0.56, 1: 5.0}

which is the same as passing `sample_weight=np.array([class_weight[c] for c
in y_train])` to `fit`, or calling a loss directly with it::

    loss = kerasx.losses.SparseCategoricalCrossentropy()
    loss(y, y_pred, sample_weight=weights[y])            # weights: one per class

With the default reduction the weighted sum is divided by the number of
samples, so the weights also scale the loss; use
`reduction="mean_with_sample_weight"` to divide by the sum of the weights.
"""

from kerasx.losses.circle import Circle, circle
from kerasx.losses.ctc import CTC, ctc
from kerasx.losses.hinge import (CategoricalHinge, Hinge, SquaredHinge, categorical_hinge, hinge,
                                 squared_hinge)
from kerasx.losses.loss import Loss, LossFunctionWrapper, reduce_weighted_values
from kerasx.losses.probabilistic import (BinaryCrossentropy, BinaryFocalCrossentropy,
                                         CategoricalCrossentropy, CategoricalFocalCrossentropy,
                                         CategoricalGeneralizedCrossEntropy, KLDivergence, Poisson,
                                         SparseCategoricalCrossentropy, binary_crossentropy,
                                         binary_focal_crossentropy, categorical_crossentropy,
                                         categorical_focal_crossentropy,
                                         categorical_generalized_cross_entropy, kl_divergence,
                                         poisson, sparse_categorical_crossentropy)
from kerasx.losses.regression import (CosineSimilarity, Huber, LogCosh, MeanAbsoluteError,
                                      MeanAbsolutePercentageError, MeanSquaredError,
                                      MeanSquaredLogarithmicError, cosine_similarity, huber,
                                      log_cosh, mean_absolute_error, mean_absolute_percentage_error,
                                      mean_squared_error, mean_squared_logarithmic_error)
from kerasx.losses.segmentation import Dice, Tversky, dice, tversky

# Short and legacy names, as Keras (and Keras 2) accept them.
mse = MSE = mean_squared_error
mae = MAE = mean_absolute_error
mape = MAPE = mean_absolute_percentage_error
msle = MSLE = mean_squared_logarithmic_error
kld = KLD = kullback_leibler_divergence = kl_divergence
logcosh = log_cosh
bce = BCE = binary_crossentropy
cosine_proximity = cosine_similarity
huber_loss = huber

LOSS_CLASSES = (Loss, LossFunctionWrapper, MeanSquaredError, MeanAbsoluteError,
                MeanAbsolutePercentageError, MeanSquaredLogarithmicError, CosineSimilarity, Huber,
                LogCosh, Hinge, SquaredHinge, CategoricalHinge, BinaryCrossentropy,
                BinaryFocalCrossentropy, CategoricalCrossentropy, CategoricalFocalCrossentropy,
                SparseCategoricalCrossentropy, KLDivergence, Poisson,
                CategoricalGeneralizedCrossEntropy, Dice, Tversky, CTC)
LOSS_FUNCTIONS = (mean_squared_error, mean_absolute_error, mean_absolute_percentage_error,
                  mean_squared_logarithmic_error, cosine_similarity, huber, log_cosh, hinge,
                  squared_hinge, categorical_hinge, binary_crossentropy, binary_focal_crossentropy,
                  categorical_crossentropy, categorical_focal_crossentropy,
                  sparse_categorical_crossentropy, kl_divergence, poisson,
                  categorical_generalized_cross_entropy, dice, tversky, ctc)

ALL_OBJECTS_DICT = {obj.__name__: obj for obj in LOSS_CLASSES + LOSS_FUNCTIONS}
ALIASES = {
    "mse": mean_squared_error, "MSE": mean_squared_error,
    "mae": mean_absolute_error, "MAE": mean_absolute_error,
    "mape": mean_absolute_percentage_error, "MAPE": mean_absolute_percentage_error,
    "msle": mean_squared_logarithmic_error, "MSLE": mean_squared_logarithmic_error,
    "kld": kl_divergence, "KLD": kl_divergence, "kullback_leibler_divergence": kl_divergence,
    "bce": binary_crossentropy, "BCE": binary_crossentropy,
    "logcosh": log_cosh, "huber_loss": huber, "cosine_proximity": cosine_similarity,
}
ALL_OBJECTS_DICT.update(ALIASES)
ALL_OBJECTS_DICT.update({"Circle": Circle, "circle": circle})

__all__ = sorted({name for name in ALL_OBJECTS_DICT} | {
    "get", "serialize", "deserialize", "reduce_weighted_values", "mse", "mae", "mape", "msle",
    "kld", "logcosh", "bce", "cosine_proximity", "huber_loss", "kullback_leibler_divergence"})


def get(identifier):
    """A loss from a name, a class name, a config dict, a class, an object or a function.

    Names of functions (`"mse"`, `"categorical_crossentropy"`) give the
    function; class names (`"MeanSquaredError"`) give a fresh object.
    """
    if identifier is None:
        return None
    if isinstance(identifier, dict):
        obj = deserialize(identifier)
    elif isinstance(identifier, str):
        obj = ALL_OBJECTS_DICT.get(identifier)
        if obj is None:
            from kerasx.utils.suggest import unknown_identifier

            raise unknown_identifier("loss", identifier, ALL_OBJECTS_DICT)
    else:
        obj = identifier
    if isinstance(obj, type):
        return obj()
    if callable(obj):
        return obj
    raise ValueError(
        f"Could not interpret loss identifier {identifier!r} of type {type(identifier).__name__}: "
        "expected a loss name such as 'mse', a Loss object, or a function f(y_true, y_pred)."
    )


def serialize(loss):
    """The Keras 3 config dict of a loss object or function."""
    from kerasx.saving.serialization import serialize_keras_object

    return serialize_keras_object(loss)


def deserialize(name, custom_objects=None):
    """A loss from `serialize`'s output (or a name)."""
    from kerasx.saving.serialization import deserialize_keras_object

    return deserialize_keras_object(name, custom_objects=custom_objects,
                                    module_objects=ALL_OBJECTS_DICT)
