"""`LearningRateSchedule`: the base class of learning-rate schedules."""


class LearningRateSchedule:
    """A learning rate that depends on the optimizer step.

    Pass a schedule as an optimizer's `learning_rate`; the optimizer calls it
    with its step count (`iterations`) before every update. A schedule is
    host arithmetic: `schedule(step)` returns a Python float and costs no
    device work.

    Subclasses implement `__call__(step)` and `get_config()`.

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
        raise NotImplementedError(
            f"Learning rate schedule {type(self).__name__!r} must override `__call__(self, step)`."
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


def as_step(step):
    """The step as a Python float, from an int, a float, a 0-d array, a Tensor or a Variable."""
    if isinstance(step, (int, float)):
        return float(step)
    return float(getattr(step, "value", step))


def check_positive_steps(name, value):
    if value <= 0:
        raise ValueError(f"Argument `{name}` must be > 0. Received: {name}={value}.")
