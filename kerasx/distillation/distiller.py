"""`Distiller`: a model that trains a student on its labels and on a frozen teacher."""

from kerasx import ops, tree
from kerasx.distillation.distillation_loss import loss_function
from kerasx.distillation.model_checks import check_models, feature_extractor
from kerasx.metrics.reduction_metrics import Mean
from kerasx.models.model import Model


class Distiller(Model):
    """Knowledge distillation: trains `student` to match both the labels and a
    frozen `teacher`.

    `fit` minimizes, for each batch,

        student_loss_weight * student_loss
            + (1 - student_loss_weight) * sum(w_i * distillation_loss_i)

    where `student_loss` is the loss given to `compile` between the labels and the
    student's predictions, and each distillation loss compares the teacher's
    outputs (or features) with the student's. The teacher is set non-trainable
    here and runs in inference mode. Calling the distiller (and `predict`) runs
    the student. Besides `loss`, the logs hold `student_loss`,
    `distillation_loss` and `total_loss` (per-batch means; `loss` is weighted by
    batch size). Regularization losses of the student are not added, as in Keras.

    Args:
        teacher: a trained `keras.Model`.
        student: the `keras.Model` to train; with functional or Sequential
            models, inputs and outputs must agree in rank, known sizes and dtype.
        distillation_losses: a `DistillationLoss` (e.g. `LogitsDistillation`,
            `FeatureDistillation`) or a list of them.
        distillation_loss_weights: one weight per distillation loss (a list of
            the same length); None for 1.0 each. Ignored (1.0) when
            `distillation_losses` is a single loss.
        student_loss_weight: weight of the supervised loss, between 0 and 1.
            Defaults to 0.5.
        name: the model's name. Defaults to `"distiller"`.

    Example:

        distiller = keras.distillation.Distiller(
            teacher=teacher, student=student,
            distillation_losses=[
                keras.distillation.LogitsDistillation(temperature=3.0),
                keras.distillation.FeatureDistillation(
                    teacher_layer_name="dense_1", student_layer_name="dense_1")],
            distillation_loss_weights=[1.0, 0.5])
        distiller.compile(optimizer="adam", loss="sparse_categorical_crossentropy",
                          metrics=["accuracy"])
        distiller.fit(x_train, y_train, epochs=10)
        trained = distiller.student
    """

    def __init__(self, teacher, student, distillation_losses, distillation_loss_weights=None,
                 student_loss_weight=0.5, name="distiller", **kwargs):
        super().__init__(name=name, **kwargs)
        check_models(teacher, student)
        self.teacher = teacher
        self.student = student
        if not isinstance(student_loss_weight, (int, float)):
            raise ValueError(
                f"Distiller: student_loss_weight must be a number between 0 and 1, received "
                f"{type(student_loss_weight).__name__} {student_loss_weight!r}."
            )
        if not 0.0 <= student_loss_weight <= 1.0:
            raise ValueError(
                f"Distiller: student_loss_weight must be between 0.0 and 1.0, received "
                f"{student_loss_weight!r}. 0 trains on the teacher alone, 1 on the labels alone."
            )
        self.student_loss_weight = student_loss_weight
        self.distillation_losses, self.distillation_loss_weights = _losses_and_weights(
            distillation_losses, distillation_loss_weights)
        for distillation_loss in self.distillation_losses:
            distillation_loss.validate_model_compatibility(teacher, student)
        self._teacher_feature_extractor = feature_extractor(
            teacher, _layer_names(self.distillation_losses, "teacher_layer_name"))
        self._student_feature_extractor = feature_extractor(
            student, _layer_names(self.distillation_losses, "student_layer_name"))
        self.teacher.trainable = False
        self.student_loss_tracker = Mean(name="student_loss")
        self.distillation_loss_tracker = Mean(name="distillation_loss")
        self.total_loss_tracker = Mean(name="total_loss")

    def compile(self, optimizer="adam", loss=None, metrics=None, **kwargs):
        """Configures training: `loss` (required) is the student's supervised loss
        (a name, function, `Loss`, or one per output), `metrics` a list of the
        student's metrics; other arguments as `Model.compile`."""
        if loss is None:
            raise ValueError(
                "Distiller.compile(): 'loss' cannot be None; pass the student's supervised "
                "loss, e.g. loss='sparse_categorical_crossentropy'."
            )
        if metrics is not None and not isinstance(metrics, (list, tuple)):
            raise ValueError(
                f"Distiller.compile(): metrics must be a list or tuple, received "
                f"{type(metrics).__name__} {metrics!r}. Pass e.g. metrics=['accuracy']."
            )
        self._student_loss = tree.map_structure(loss_function, loss)
        self._student_loss_for_serialization = loss
        super().compile(optimizer=optimizer, loss=None, metrics=metrics, **kwargs)

    def get_compile_config(self):
        """As `Model`'s, with the student's loss (so that a loaded distiller can be
        compiled again)."""
        config = super().get_compile_config()
        if config:
            from kerasx.saving.serialization import serialize_keras_object

            config["loss"] = serialize_keras_object(self._student_loss_for_serialization)
        return config

    def call(self, inputs, training=None, **kwargs):
        return self.student(inputs, training=training, **kwargs)

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        """The weighted sum of the student's loss and the distillation losses
        (`sample_weight` is not used); also updates the three loss trackers."""
        if y_pred is None:
            y_pred = self(x, training=training)
        student_loss = _zero()
        if self.student_loss_weight > 0.0 and y is not None:
            student_loss = self._student_supervised_loss(y, y_pred)
        distillation_loss = _zero()
        if self.student_loss_weight < 1.0:
            teacher_features = self._teacher_features(x)
            student_features = self._student_features(x, y_pred)
            for loss, weight in zip(self.distillation_losses, self.distillation_loss_weights):
                teacher_out, student_out = _features_for(loss, teacher_features,
                                                         student_features, y_pred)
                loss.validate_outputs(teacher_out, student_out)
                value = loss.compute_loss(teacher_out, student_out)
                if len(getattr(value, "shape", ())) > 0:
                    raise ValueError(
                        f"Distillation loss {type(loss).__name__} returned a loss of shape "
                        f"{tuple(value.shape)}; compute_loss must return a scalar (reduce it, "
                        "e.g. with keras.ops.mean)."
                    )
                distillation_loss = ops.add(distillation_loss, ops.multiply(weight, value))
        total_loss = ops.add(
            ops.multiply(self.student_loss_weight, student_loss),
            ops.multiply(1.0 - self.student_loss_weight, distillation_loss))
        self.student_loss_tracker.update_state(student_loss)
        self.distillation_loss_tracker.update_state(distillation_loss)
        self.total_loss_tracker.update_state(total_loss)
        return total_loss

    def _student_supervised_loss(self, y, y_pred):
        values = tree.flatten(tree.map_structure(lambda loss, t, p: loss(t, p),
                                                 self._student_loss, y, y_pred))
        value = values[0] if len(values) == 1 else ops.sum(ops.stack(values))
        return ops.mean(value) if len(getattr(value, "shape", ())) > 0 else value

    def _teacher_features(self, x):
        if self._teacher_feature_extractor is not None:
            return self._teacher_feature_extractor(x, training=False)
        return {"final_output": self.teacher(x, training=False)}

    def _student_features(self, x, y_pred):
        if self._student_feature_extractor is not None:
            return self._student_feature_extractor(x, training=True)
        return {"final_output": y_pred}

    def get_config(self):
        from kerasx.saving.serialization import serialize_keras_object

        config = super().get_config()
        config.update(
            dtype=self._dtype_config(),
            teacher=serialize_keras_object(self.teacher),
            student=serialize_keras_object(self.student),
            distillation_losses=[serialize_keras_object(loss)
                                 for loss in self.distillation_losses],
            distillation_loss_weights=self.distillation_loss_weights,
            student_loss_weight=self.student_loss_weight)
        return config

    @classmethod
    def from_config(cls, config, custom_objects=None):
        from kerasx.distillation import FeatureDistillation, LogitsDistillation
        from kerasx.saving.serialization import deserialize_keras_object

        known = {"LogitsDistillation": LogitsDistillation,
                 "FeatureDistillation": FeatureDistillation}
        config = dict(config)
        for key in ("teacher", "student"):
            config[key] = deserialize_keras_object(config[key], custom_objects=custom_objects)
        config["distillation_losses"] = [
            deserialize_keras_object(loss, custom_objects=custom_objects, module_objects=known,
                                     kind="distillation loss")
            for loss in config["distillation_losses"]]
        return cls(**config)


def _zero():
    return ops.zeros(())


def _losses_and_weights(losses, weights):
    if losses is None:
        raise ValueError(
            "Distiller: 'distillation_losses' cannot be None. Pass a distillation loss (e.g. "
            "keras.distillation.LogitsDistillation()) or a list of them."
        )
    if not isinstance(losses, (list, tuple)):
        return [losses], [1.0]
    if weights is None:
        return losses, [1.0] * len(losses)
    if len(weights) != len(losses):
        raise ValueError(
            f"Distiller: distillation_loss_weights has {len(weights)} weights but there are "
            f"{len(losses)} distillation_losses; pass one weight per loss (or None for 1.0 "
            "each)."
        )
    return losses, weights


def _layer_names(losses, attribute):
    names = []
    for loss in losses:
        name = getattr(loss, attribute, None)
        if name and name not in names:
            names.append(name)
    return names


def _features_for(loss, teacher_features, student_features, y_pred):
    """The (teacher, student) tensors a distillation loss compares: the named layers'
    outputs for a loss with a teacher layer name, else the final outputs."""
    if getattr(loss, "teacher_layer_name", None) is None:
        return teacher_features["final_output"], y_pred
    teacher_key = loss.teacher_layer_name
    student_key = getattr(loss, "student_layer_name", None) or "final_output"
    for key, features in ((teacher_key, teacher_features), (student_key, student_features)):
        if key not in features:
            raise RuntimeError(
                f"Failed to extract features for {type(loss).__name__} targeting teacher layer "
                f"{loss.teacher_layer_name!r} and student layer {loss.student_layer_name!r}: "
                f"layer {key!r} not found in the extracted features "
                f"{sorted(features)}."
            )
    return teacher_features[teacher_key], student_features[student_key]
