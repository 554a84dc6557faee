"""Optimizers, by class and by the names `compile(optimizer=...)` accepts.

    model.compile(optimizer="rmsprop")                                   # compile's default
    model.compile(optimizer=kerasx.optimizers.Adam(learning_rate=1e-3, clipnorm=1.0))
    lr = kerasx.optimizers.schedules.CosineDecay(1e-3, decay_steps=10_000)
    model.compile(optimizer=kerasx.optimizers.AdamW(learning_rate=lr))

Names are case-insensitive class names (`"adam"`, `"SGD"`, `"rmsprop"`, ...).
"""

from kerasx.optimizers import schedules
from kerasx.optimizers.adadelta import Adadelta
from kerasx.optimizers.adafactor import Adafactor
from kerasx.optimizers.adagrad import Adagrad
from kerasx.optimizers.adam import Adam
from kerasx.optimizers.adamax import Adamax
from kerasx.optimizers.adamw import AdamW
from kerasx.optimizers.ftrl import Ftrl
from kerasx.optimizers.lamb import Lamb
from kerasx.optimizers.lion import Lion
from kerasx.optimizers.loss_scale_optimizer import LossScaleOptimizer
from kerasx.optimizers.multi_optimizer import MultiOptimizer, OptimizerMap
from kerasx.optimizers.muon import Muon
from kerasx.optimizers.nadam import Nadam
from kerasx.optimizers.optimizer import Optimizer
from kerasx.optimizers.rmsprop import RMSprop
from kerasx.optimizers.schedule_free_adamw import ScheduleFreeAdamW
from kerasx.optimizers.sgd import SGD

ALL_OBJECTS = (Optimizer, SGD, RMSprop, Adagrad, Adadelta, Adam, AdamW, Adamax, Nadam, Lion, Ftrl,
               Lamb, Adafactor)
ALL_OBJECTS += (Muon, ScheduleFreeAdamW, MultiOptimizer, OptimizerMap)
ALL_OBJECTS += (LossScaleOptimizer,)
ALL_OBJECTS_DICT = {cls.__name__.lower(): cls for cls in ALL_OBJECTS}

__all__ = ["Adadelta", "Adafactor", "Adagrad", "Adam", "AdamW", "Adamax", "Ftrl", "Lamb", "Lion",
           "Nadam", "Optimizer", "RMSprop", "SGD", "deserialize", "get", "schedules", "serialize"]
__all__ += ["MultiOptimizer", "Muon", "OptimizerMap", "ScheduleFreeAdamW"]
__all__ += ["LossScaleOptimizer"]
from kerasx.optimizers import legacy  # noqa: E402  (Keras 2 names, refused as in Keras 3)


def get(identifier):
    """An optimizer from a name (`"adam"`), a config dict, a class or an instance."""
    if identifier is None:
        return None
    if isinstance(identifier, Optimizer):
        return identifier
    if isinstance(identifier, str):
        return deserialize({"class_name": identifier, "config": {}})
    if isinstance(identifier, dict):
        return deserialize(identifier)
    if isinstance(identifier, type) and issubclass(identifier, Optimizer) \
            and identifier is not Optimizer:
        return identifier()
    raise ValueError(
        f"Could not interpret optimizer identifier {identifier!r}: expected a name such as "
        "'adam', an Optimizer object or a config dict."
    )


def serialize(optimizer):
    """The Keras 3 config dict of an optimizer."""
    from kerasx.saving.serialization import serialize_keras_object

    return serialize_keras_object(optimizer)


def deserialize(config, custom_objects=None):
    """An optimizer from `serialize`'s output (class names are case-insensitive)."""
    from kerasx.saving.serialization import deserialize_keras_object, get_registered_object

    config = dict(config)
    name = config.get("class_name")
    if isinstance(name, str) and name.lower() in ALL_OBJECTS_DICT and name.lower() != "optimizer":
        config["class_name"] = name.lower()
    elif isinstance(name, str) and config.get("registered_name") is None \
            and get_registered_object(name, custom_objects) is None:
        from kerasx.utils.suggest import unknown_identifier

        raise unknown_identifier("optimizer", name,
                                 [k for k in ALL_OBJECTS_DICT if k != "optimizer"])
    return deserialize_keras_object(config, custom_objects=custom_objects,
                                    module_objects=ALL_OBJECTS_DICT)
