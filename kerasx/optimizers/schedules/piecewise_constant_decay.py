"""`PiecewiseConstantDecay`: constant learning rates between step boundaries."""

from kerasx.optimizers.schedules.learning_rate_schedule import (LearningRateSchedule, as_step,
                                                                 float32)


class PiecewiseConstantDecay(LearningRateSchedule):
    """`values[0]` up to and including step `boundaries[0]`, `values[1]` up to
    `boundaries[1]`, ..., and `values[-1]` after the last boundary.

    Args:
        boundaries: increasing step numbers (one fewer than `values`).
        values: the learning rates of the intervals.
        name: a name for the schedule.

    Example:

        PiecewiseConstantDecay(boundaries=[1000, 5000], values=[1e-2, 1e-3, 1e-4])
    """

    def __init__(self, boundaries, values, name="PiecewiseConstant"):
        if len(boundaries) != len(values) - 1:
            raise ValueError(
                "The length of boundaries should be 1 less than the length of values. Received: "
                f"boundaries={boundaries} of length {len(boundaries)}, and values={values} of "
                f"length {len(values)}."
            )
        if any(b2 < b1 for b1, b2 in zip(boundaries, boundaries[1:])):
            raise ValueError(f"boundaries must be increasing, received {boundaries}.")
        self.boundaries = boundaries
        self.values = values
        self.name = name

    def host_rate(self, step):
        step = as_step(step)
        for boundary, value in zip(self.boundaries, self.values):
            if step <= boundary:
                return float32(value)
        return float32(self.values[-1])

    def get_config(self):
        return {"boundaries": self.boundaries, "values": self.values, "name": self.name}
