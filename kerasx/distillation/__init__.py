"""`keras.distillation`: knowledge distillation, training a small student model to
match a larger, frozen teacher model.

`Distiller` is a `Model` whose `fit` trains the student on a weighted sum of its
supervised loss and one or more distillation losses: `LogitsDistillation` compares
the two models' temperature-scaled outputs, `FeatureDistillation` the outputs of
two named intermediate layers (or the final outputs). Subclass `DistillationLoss`
for another way of comparing them.
"""

from kerasx.distillation.distillation_loss import DistillationLoss
from kerasx.distillation.distiller import Distiller
from kerasx.distillation.feature_distillation import FeatureDistillation
from kerasx.distillation.logits_distillation import LogitsDistillation

__all__ = ["DistillationLoss", "Distiller", "FeatureDistillation", "LogitsDistillation"]
