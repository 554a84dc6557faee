"""The checks a `Distiller` runs on its teacher and student before training them."""

from kerasx import tree


def check_models(teacher, student):
    """Raises ValueError unless both are Models whose declared inputs and outputs
    (when they have them: functional and Sequential models) agree in rank, in every
    known size and in dtype."""
    from kerasx.models.model import Model

    for role, model in (("teacher", teacher), ("student", student)):
        if not isinstance(model, Model):
            raise ValueError(
                f"Distiller: the {role} must be a keras Model, received "
                f"{type(model).__name__} {model!r}. Wrap the layers in a keras.Model or "
                "keras.Sequential."
            )
    for side in ("inputs", "outputs"):
        teacher_tensors = getattr(teacher, side, None)
        student_tensors = getattr(student, side, None)
        if teacher_tensors is None or student_tensors is None:
            continue
        context = side[:-1]
        tree.map_structure(lambda t, s: _check_shapes(t.shape, s.shape, context),
                           teacher_tensors, student_tensors)
        tree.map_structure(lambda t, s: _check_dtypes(t.dtype, s.dtype, context),
                           teacher_tensors, student_tensors)


def _check_shapes(teacher_shape, student_shape, context):
    if len(teacher_shape) != len(student_shape):
        raise ValueError(
            f"Teacher and student {context} shapes have different ranks: teacher "
            f"{tuple(teacher_shape)}, student {tuple(student_shape)}. A student distilled from "
            f"a teacher takes the same inputs and produces outputs of the same shape."
        )
    for t, s in zip(teacher_shape, student_shape):
        if t is not None and s is not None and t != s:
            raise ValueError(
                f"Teacher and student {context} shapes are incompatible: teacher "
                f"{tuple(teacher_shape)}, student {tuple(student_shape)}. Every known size "
                "must match."
            )


def _check_dtypes(teacher_dtype, student_dtype, context):
    if teacher_dtype != student_dtype:
        raise ValueError(
            f"Teacher and student {context} dtypes must match: teacher {teacher_dtype}, "
            f"student {student_dtype}. Build both models with the same dtype."
        )


def feature_extractor(model, layer_names):
    """A functional model returning `{"final_output": ..., name: layer output}` for
    the named layers of `model` in one forward pass (None when there are none)."""
    from kerasx.models.model import Model
    from kerasx.models.sequential import Sequential

    if not layer_names:
        return None
    if getattr(model, "inputs", None) is None:
        raise ValueError(
            f"Cannot extract the features of model {model.name!r}: it has no symbolic inputs "
            "(a subclassed model). Use a functional or Sequential model."
        )
    final = model.layers[-1].output if isinstance(model, Sequential) else model.output
    outputs = {"final_output": final}
    for name in layer_names:
        outputs[name] = model.get_layer(name=name).output
    return Model(inputs=model.inputs, outputs=outputs,
                 name=f"{model.name}_multi_feature_extractor")
