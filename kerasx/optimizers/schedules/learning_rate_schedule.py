"""`LearningRateSchedule`: the base class of learning-rate schedules."""

import struct

_FLOAT32 = struct.Struct("f")


class LearningRateSchedule:
    """A learning rate that depends on the optimizer step.

    Pass a schedule as an optimizer's `learning_rate`; the optimizer calls it
    with its step count (`iterations`) before every update. `schedule(step)`
    returns the rate as a float32 scalar tensor, as in Keras.

    Subclasses implement `__call__(step)` and `get_config()`. The built-in
    schedules instead implement `host_rate(step)` (host arithmetic returning
    a Python float); the base `__call__` wraps it in a tensor, and optimizers
    read `host_rate` directly so a training step costs no device work. The
    built-ins follow Keras's float32 formulas operation by operation (each
    intermediate rounded with `float32`), so their rates are Keras's float32
    values, not float64 values rounded once.

    Example:

        class Halving(LearningRateSchedule):
            def __init__(self, initial):
                self.initial = initial

            def __call__(self, step):
                return self.initial * 0.5 ** (as_step(step) // 1000)

            def get_config(self):
                return {"initial": self.initial}
    """

    def __call__(self, step):
        if type(self).host_rate is LearningRateSchedule.host_rate:
            raise NotImplementedError(
                f"Learning rate schedule {type(self).__name__!r} must override "
                "`__call__(self, step)`."
            )
        from kerasx import ops

        return ops.convert_to_tensor(self.host_rate(step), dtype="float32")

    def host_rate(self, step):
        """The rate at `step` as a Python float (built-in schedules override this)."""
        raise NotImplementedError(
            f"Learning rate schedule {type(self).__name__!r} does not implement `host_rate`."
        )

    def get_config(self):
        raise NotImplementedError(
            f"Learning rate schedule {type(self).__name__!r} must override `get_config()` to be "
            "serializable."
        )

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __repr__(self):
        return f"<{type(self).__name__} {self.get_config()}>"

    def _float32_setup(self, build, *arguments):
        """`build(*arguments)`: the float32 constants of the formula, computed once and
        recomputed only when an argument attribute is replaced (steps stay cheap)."""
        cached = self.__dict__.get("_float32_constants")
        if cached is None or cached[0] != arguments:
            cached = (arguments, build(*arguments))
            self.__dict__["_float32_constants"] = cached
        return cached[1]


def host_learning_rate(schedule, step):
    """`schedule(step)` as a Python float, without a device round trip for built-ins."""
    if type(schedule).__call__ is LearningRateSchedule.__call__:
        return float(schedule.host_rate(step))
    from kerasx.autodiff.tensor import value_of

    return float(value_of(schedule(step)))


def as_step(step):
    """The step as a Python float, from an int, a float, a 0-d array, a Tensor or a Variable."""
    if isinstance(step, (int, float)):
        return float(step)
    return float(getattr(step, "value", step))


def as_float32_step(step):
    """The step as a float32 value (a Python float), as Keras casts `iterations`."""
    step = as_step(step)
    if step.is_integer() and -16777216.0 <= step <= 16777216.0:
        return step  # exactly representable: skip the rounding
    return float32(step)


def float32(value, _pack=_FLOAT32.pack, _unpack=_FLOAT32.unpack):
    """`value` rounded to the nearest float32, as a Python float (overflow gives inf)."""
    try:
        return _unpack(_pack(value))[0]
    except OverflowError:  # older Pythons refuse to pack a value beyond float32's range
        return value * float("inf")


def float32s(*values):
    """Each value rounded to float32 (the constants of a formula)."""
    return tuple(float32(v) for v in values)


def check_positive_steps(name, value):
    if value <= 0:
        raise ValueError(f"Argument `{name}` must be > 0. Received: {name}={value}.")
