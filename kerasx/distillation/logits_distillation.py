"""`LogitsDistillation`: the student's temperature-scaled logits matched to the teacher's."""

from kerasx import ops
from kerasx.distillation.distillation_loss import (DistillationLoss, deserialize_losses,
                                                   loss_functions, per_output,
                                                   summed)


class LogitsDistillation(DistillationLoss):
    """Distills the teacher's final outputs (logits) into the student's.

    Both models' logits are divided by `temperature` before they are compared.
    A `keras.losses.KLDivergence` instance compares the softmax distributions of
    the scaled logits, teacher as `y_true`, and its mean is multiplied by
    `temperature ** 2` (which keeps the gradients' scale independent of the
    temperature, as in Hinton et al.). Every other loss, the names
    `"kl_divergence"` and `"categorical_crossentropy"` included (they resolve to
    loss functions, not instances), receives the scaled logits themselves, as in
    Keras; pass e.g. `CategoricalCrossentropy(from_logits=True)` to compare
    distributions with it.

    Args:
        temperature: positive number; higher values soften the distributions.
            Defaults to 3.0.
        loss: a loss name, function or `keras.losses.Loss` instance, or a
            list/dict of them (one per output of a model with several outputs,
            None for an output not to distill; at least one not None).
            Defaults to `"kl_divergence"`.

    Example:

        distiller = keras.distillation.Distiller(
            teacher, student,
            distillation_losses=LogitsDistillation(
                temperature=4.0, loss=keras.losses.KLDivergence()))
    """

    def __init__(self, temperature=3.0, loss="kl_divergence"):
        self.temperature = temperature
        self.loss = loss_functions(loss, "LogitsDistillation")
        if not isinstance(temperature, (int, float)):
            raise ValueError(
                f"LogitsDistillation: temperature must be a number, received "
                f"{type(temperature).__name__} {temperature!r}. Pass e.g. temperature=3.0."
            )
        if temperature <= 0.0:
            raise ValueError(
                f"LogitsDistillation: temperature must be positive, received {temperature!r}. "
                "Typical values are 2 to 5."
            )

    def compute_loss(self, teacher_outputs, student_outputs, **kwargs):
        """The summed loss over the outputs, each the mean of its loss's values."""
        return summed(per_output(self._one_output, self.loss, teacher_outputs, student_outputs))

    def _one_output(self, loss, teacher_logits, student_logits):
        from kerasx.losses import KLDivergence

        teacher = ops.divide(teacher_logits, self.temperature)
        student = ops.divide(student_logits, self.temperature)
        if isinstance(loss, KLDivergence):
            value = ops.mean(loss(ops.softmax(teacher, axis=-1), ops.softmax(student, axis=-1)))
            return ops.multiply(value, self.temperature ** 2)
        return ops.mean(loss(teacher, student))

    def get_config(self):
        from kerasx.saving.serialization import serialize_keras_object

        return {"temperature": self.temperature, "loss": serialize_keras_object(self.loss)}

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        config["loss"] = deserialize_losses(config["loss"])
        return cls(**config)
