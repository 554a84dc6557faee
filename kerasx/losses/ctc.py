"""Connectionist temporal classification loss: `ctc` and `CTC`."""

from kerasx import ops
from kerasx.losses.loss import Loss, LossFunctionWrapper, as_tensor


def ctc(y_true, y_pred):
    """Per-sample CTC loss of integer label sequences under per-step logits.

    Every sample uses all `time` steps of `y_pred`; its label length is the
    number of non-zero entries of `y_true` (0 is the blank and the padding).

    Args:
        y_true: integer labels of shape `(batch, max_label_length)`, padded
            with 0; the classes are 1 to `num_classes - 1`.
        y_pred: logits of shape `(batch, time, num_classes)`, not normalized.
    """
    y_true, y_pred = as_tensor(y_true), as_tensor(y_pred)
    if len(y_true.shape) != 2:
        raise ValueError(
            "ctc expects y_true of shape (batch, max_label_length): integer labels padded "
            f"with 0. Received y_true of shape {tuple(y_true.shape)}.")
    if len(y_pred.shape) != 3:
        raise ValueError(
            "ctc expects y_pred of shape (batch, time, num_classes): logits, not "
            f"probabilities. Received y_pred of shape {tuple(y_pred.shape)}.")
    batch, steps = y_pred.shape[0], y_pred.shape[1]
    label_length = ops.sum(ops.cast(ops.not_equal(y_true, 0), "int32"), axis=-1)
    output_length = ops.full((batch,), steps, dtype="int32")
    return ops.ctc_loss(y_true, y_pred, label_length, output_length, mask_index=0)


ctc._takes_class_ids = True


class CTC(LossFunctionWrapper):
    """CTC (connectionist temporal classification) loss (see `ctc`).

    `y_true` holds integer label sequences padded with 0 (the blank class),
    `y_pred` the model's per-step logits.
    """

    def __init__(self, reduction="sum_over_batch_size", name="ctc", dtype=None):
        super().__init__(ctc, reduction=reduction, name=name, dtype=dtype)

    def get_config(self):
        return Loss.get_config(self)

    @classmethod
    def from_config(cls, config):
        return cls(**config)
