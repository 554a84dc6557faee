"""Learning-rate schedules: pass one as an optimizer's `learning_rate`.

    lr = kerasx.optimizers.schedules.ExponentialDecay(0.1, decay_steps=1000, decay_rate=0.9)
    model.compile(optimizer=kerasx.optimizers.SGD(learning_rate=lr), ...)
"""

from kerasx.optimizers.schedules.cosine_decay import CosineDecay
from kerasx.optimizers.schedules.cosine_decay_restarts import CosineDecayRestarts
from kerasx.optimizers.schedules.exponential_decay import ExponentialDecay
from kerasx.optimizers.schedules.inverse_time_decay import InverseTimeDecay
from kerasx.optimizers.schedules.learning_rate_schedule import LearningRateSchedule
from kerasx.optimizers.schedules.piecewise_constant_decay import PiecewiseConstantDecay
from kerasx.optimizers.schedules.polynomial_decay import PolynomialDecay

ALL_OBJECTS_DICT = {cls.__name__: cls for cls in (
    LearningRateSchedule, ExponentialDecay, PiecewiseConstantDecay, PolynomialDecay,
    InverseTimeDecay, CosineDecay, CosineDecayRestarts)}

__all__ = ["CosineDecay", "CosineDecayRestarts", "ExponentialDecay", "InverseTimeDecay",
           "LearningRateSchedule", "PiecewiseConstantDecay", "PolynomialDecay", "deserialize",
           "serialize"]


def serialize(learning_rate_schedule):
    """The Keras 3 config dict of a schedule."""
    from kerasx.saving.serialization import serialize_keras_object

    return serialize_keras_object(learning_rate_schedule)


def deserialize(config, custom_objects=None):
    """A schedule from `serialize`'s output."""
    from kerasx.saving.serialization import deserialize_keras_object

    return deserialize_keras_object(config, custom_objects=custom_objects,
                                    module_objects=ALL_OBJECTS_DICT)
