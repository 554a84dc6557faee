"""`FeatureDistillation`: an intermediate layer of the student matched to one of the teacher."""

from kerasx import ops, tree
from kerasx.distillation.distillation_loss import (DistillationLoss, deserialize_losses,
                                                   loss_functions, per_output,
                                                   structure_of, summed)


class FeatureDistillation(DistillationLoss):
    """Distills the output of a teacher layer into the output of a student layer.

    The features are compared as they are, teacher as `y_true`: the two layers'
    outputs must have shapes the loss accepts (the same shape for `"mse"` and
    `"mae"`, the same last axis for `"cosine_similarity"`). Intermediate layers
    can be named only in functional and `Sequential` models.

    Args:
        loss: a loss name (`"mse"`, `"mae"`, `"cosine_similarity"`, ...),
            function or `keras.losses.Loss` instance, or a list/dict of them
            (one per output, None for an output not to distill; at least one
            not None). Defaults to `"mse"`.
        teacher_layer_name: the teacher layer whose output is distilled; None
            (the default) for the teacher's final output.
        student_layer_name: the student layer that learns it; None (the default)
            for the student's final output.

    Example:

        FeatureDistillation(loss="mse", teacher_layer_name="dense_1",
                            student_layer_name="dense_1")
    """

    def __init__(self, loss="mse", teacher_layer_name=None, student_layer_name=None):
        self.teacher_layer_name = teacher_layer_name
        self.student_layer_name = student_layer_name
        self.loss = loss_functions(loss, "FeatureDistillation")

    def validate_model_compatibility(self, teacher, student):
        """Checks that the named layers exist, in models whose layers' outputs are known."""
        if self.teacher_layer_name is not None or self.student_layer_name is not None:
            subclassed = [role for role, model in (("teacher", teacher), ("student", student))
                          if getattr(model, "inputs", None) is None]
            if subclassed:
                raise ValueError(
                    f"FeatureDistillation with teacher_layer_name/student_layer_name needs "
                    f"functional or Sequential models (whose layers' outputs are known); the "
                    f"{' and '.join(subclassed)} model(s) are subclassed or not built. Use "
                    "functional/Sequential models, FeatureDistillation without layer names "
                    "(final outputs), or LogitsDistillation."
                )
        for role, model, name in (("teacher", teacher, self.teacher_layer_name),
                                  ("student", student, self.student_layer_name)):
            if name is not None:
                try:
                    model.get_layer(name=name)
                except ValueError as e:
                    raise ValueError(f"In {role} model: {e}") from None

    def validate_outputs(self, teacher_outputs, student_outputs):
        """Also checks that the loss structure matches the outputs."""
        super().validate_outputs(teacher_outputs, student_outputs)
        try:
            tree.assert_same_structure(self.loss, teacher_outputs)
        except ValueError as e:
            raise ValueError(
                f"FeatureDistillation: the loss structure {structure_of(self.loss)} does not "
                f"match the features' structure {structure_of(teacher_outputs)}. Pass one loss "
                f"per feature tensor. {e}"
            ) from None

    def compute_loss(self, teacher_outputs, student_outputs, **kwargs):
        """The summed loss over the features, each the mean of its loss's values."""
        return summed(per_output(lambda loss, t, s: ops.mean(loss(t, s)), self.loss,
                                 teacher_outputs, student_outputs))

    def get_config(self):
        from kerasx.saving.serialization import serialize_keras_object

        return {"loss": serialize_keras_object(self.loss),
                "teacher_layer_name": self.teacher_layer_name,
                "student_layer_name": self.student_layer_name}

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        config["loss"] = deserialize_losses(config["loss"])
        return cls(**config)
