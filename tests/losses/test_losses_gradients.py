"""Gradients of every loss (with its reduction) against float64 finite differences."""

import numpy as np
import pytest

from kerasx import losses, ops
from kerasx.testing import check_gradients

RNG = np.random.default_rng(7)
B, C = 3, 4


def _probs(shape):
    p = RNG.uniform(0.1, 1.0, shape)
    return p / p.sum(-1, keepdims=True)


ONE_HOT = np.eye(C)[[0, 2, 3]]
SPARSE = np.array([0, 2, 3])
BINARY = RNG.integers(0, 2, (B, C)).astype(np.float64)
# away from every kink: |error| not near 0 or delta, margins not near 1
REG_TRUE = np.array([[0.5, -1.0, 2.0, 0.3], [1.5, 0.2, -0.7, 1.1], [-2.0, 0.4, 0.9, -0.5]])
REG_PRED = REG_TRUE + np.array([[0.3, -0.6, 1.7, -0.25], [-1.4, 0.45, 0.8, 0.35],
                                [0.7, -2.2, 0.15, 0.55]])
POS_TRUE = RNG.uniform(0.5, 3.0, (B, C))
POS_PRED = RNG.uniform(0.2, 3.0, (B, C))
PM1 = np.where(BINARY > 0, 1.0, -1.0)
MARGIN_PRED = PM1 * np.array([[0.3, 1.6, -0.4, 0.2], [1.9, 0.1, 0.6, -0.8], [0.45, -0.3, 1.4, 0.7]])

CASES = [
    ("mean_squared_error", losses.MeanSquaredError, {}, REG_TRUE, REG_PRED),
    ("mean_absolute_error", losses.MeanAbsoluteError, {}, REG_TRUE, REG_PRED),
    ("mean_absolute_percentage_error", losses.MeanAbsolutePercentageError, {}, REG_TRUE, REG_PRED),
    ("mean_squared_logarithmic_error", losses.MeanSquaredLogarithmicError, {}, POS_TRUE, POS_PRED),
    ("cosine_similarity", losses.CosineSimilarity, {}, REG_TRUE, REG_PRED),
    ("huber", losses.Huber, {"delta": 0.5}, REG_TRUE, REG_PRED),
    ("log_cosh", losses.LogCosh, {}, REG_TRUE, REG_PRED),
    ("hinge", losses.Hinge, {}, BINARY, MARGIN_PRED),
    ("squared_hinge", losses.SquaredHinge, {}, PM1, MARGIN_PRED),
    ("categorical_hinge", losses.CategoricalHinge, {}, ONE_HOT, REG_PRED),
    ("categorical_crossentropy", losses.CategoricalCrossentropy, {}, ONE_HOT, _probs((B, C))),
    ("categorical_crossentropy_logits", losses.CategoricalCrossentropy,
     {"from_logits": True, "label_smoothing": 0.1}, ONE_HOT, REG_PRED),
    ("sparse_categorical_crossentropy", losses.SparseCategoricalCrossentropy, {}, SPARSE,
     _probs((B, C))),
    ("sparse_categorical_crossentropy_logits", losses.SparseCategoricalCrossentropy,
     {"from_logits": True, "ignore_class": 2}, SPARSE, REG_PRED),
    ("binary_crossentropy", losses.BinaryCrossentropy, {"label_smoothing": 0.1}, BINARY,
     RNG.uniform(0.05, 0.95, (B, C))),
    ("binary_crossentropy_logits", losses.BinaryCrossentropy, {"from_logits": True}, BINARY,
     REG_PRED),
    ("binary_focal_crossentropy", losses.BinaryFocalCrossentropy,
     {"apply_class_balancing": True}, BINARY, RNG.uniform(0.05, 0.95, (B, C))),
    ("binary_focal_crossentropy_logits", losses.BinaryFocalCrossentropy,
     {"from_logits": True, "gamma": 1.5}, BINARY, REG_PRED),
    ("categorical_focal_crossentropy", losses.CategoricalFocalCrossentropy, {}, ONE_HOT,
     _probs((B, C))),
    ("categorical_focal_crossentropy_logits", losses.CategoricalFocalCrossentropy,
     {"from_logits": True}, ONE_HOT, REG_PRED),
    ("kl_divergence", losses.KLDivergence, {}, _probs((B, C)), _probs((B, C))),
    ("poisson", losses.Poisson, {}, POS_TRUE, POS_PRED),
    ("dice", losses.Dice, {}, BINARY, RNG.uniform(0.05, 0.95, (B, C))),
    ("tversky", losses.Tversky, {"alpha": 0.3, "beta": 0.7}, BINARY,
     RNG.uniform(0.05, 0.95, (B, C))),
    ("categorical_generalized_cross_entropy", losses.CategoricalGeneralizedCrossEntropy,
     {"q": 0.5}, SPARSE, _probs((B, C))),
]


@pytest.mark.parametrize("name,cls,config,y_true,y_pred", CASES, ids=[c[0] for c in CASES])
def test_loss_gradient_matches_finite_differences(name, cls, config, y_true, y_pred):
    weights = np.array([1.0, 0.5, 2.0])

    def fn(t, p):
        return cls(**config)(t, p, sample_weight=weights)

    check_gradients(fn, [y_true, y_pred], wrt=[1])


@pytest.mark.parametrize("reduction", ["sum", "mean_with_sample_weight", "none"])
def test_gradient_through_each_reduction(reduction):
    def fn(t, p):
        return losses.Huber(reduction=reduction)(t, p, sample_weight=np.array([0.5, 1.0, 3.0]))

    check_gradients(fn, [REG_TRUE, REG_PRED], wrt=[1])


def test_fused_softmax_path_gradient():
    """A softmax output feeding the cross-entropy takes the fused logits route."""
    def fn(t, z):
        return losses.CategoricalCrossentropy()(t, ops.softmax(z))

    check_gradients(fn, [ONE_HOT, REG_PRED], wrt=[1])
