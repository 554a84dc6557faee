"""`DistillationLoss`: the base class of the ways a student is compared to its teacher."""

from kerasx import ops, tree


class DistillationLoss:
    """Base class of distillation losses.

    A distillation loss receives the teacher's and the student's outputs (or
    intermediate features) and returns one scalar. Subclasses implement
    `compute_loss`; `validate_outputs` and `validate_model_compatibility` are
    checks the `Distiller` runs before using the loss, and may be extended.
    """

    def compute_loss(self, teacher_outputs, student_outputs, **kwargs):
        """The scalar loss between the teacher's and the student's outputs (each one
        tensor, or a list/tuple/dict of tensors for models with several outputs)."""
        raise NotImplementedError(
            f"{type(self).__name__} must implement compute_loss(teacher_outputs, "
            "student_outputs, **kwargs), returning a scalar tensor."
        )

    def validate_outputs(self, teacher_outputs, student_outputs):
        """Raises ValueError unless the two outputs have the same structure."""
        try:
            tree.assert_same_structure(teacher_outputs, student_outputs)
        except ValueError as e:
            raise ValueError(
                f"{type(self).__name__}: the teacher's and the student's outputs must have "
                f"the same structure (one tensor each, or lists/dicts of the same length and "
                f"keys). Received teacher outputs {structure_of(teacher_outputs)} and "
                f"student outputs {structure_of(student_outputs)}. {e}"
            ) from None

    def validate_model_compatibility(self, teacher, student):
        """Raises ValueError when this loss cannot be used with these two models (the
        base class accepts any)."""


def loss_function(identifier):
    """A loss name resolved to Keras's loss (a function for a lower-case name), any
    other loss passed through; None stays None (that output is not distilled)."""
    if identifier is None or not isinstance(identifier, str):
        return identifier
    from kerasx import losses

    return losses.get(identifier)


def loss_functions(structure, owner):
    """`loss_function` over a nested structure of losses, at least one not None."""
    resolved = tree.map_structure(loss_function, structure)
    if all(fn is None for fn in tree.flatten(resolved)):
        raise ValueError(
            f"{owner}: `loss` must hold at least one loss that is not None; received "
            f"loss={structure!r}. Pass e.g. loss='mse', or a list with a loss for the outputs "
            "to distill and None for the others."
        )
    return resolved


def summed(values):
    """The sum of a structure of scalar losses, skipping the outputs left out (None)."""
    kept = [v for v in tree.flatten(values) if v is not None]
    return kept[0] if len(kept) == 1 else ops.sum(ops.stack(kept))


def per_output(fn, losses, teacher_outputs, student_outputs):
    """`fn(loss, teacher, student)` for each output with a loss (None elsewhere)."""
    def apply(loss, teacher, student):
        return None if loss is None else fn(loss, teacher, student)

    return tree.map_structure(apply, losses, teacher_outputs, student_outputs)


def structure_of(structure):
    """A structure's containers with `*` for each leaf, for error messages."""
    return tree.map_structure(lambda _: "*", structure)


def deserialize_losses(config):
    """The losses of a `get_config()` rebuilt, whatever their structure (a dict of
    losses too, which Keras cannot read back)."""
    from kerasx import losses

    if config is None:
        return None
    if isinstance(config, dict) and "class_name" not in config:
        return {key: deserialize_losses(value) for key, value in config.items()}
    if isinstance(config, (list, tuple)):
        return [deserialize_losses(value) for value in config]
    return losses.deserialize(config)
