"""Circle loss for metric learning (Sun et al., 2020): `circle` and `Circle`."""

from kerasx import ops
from kerasx.losses.loss import Loss, LossFunctionWrapper, as_tensor, set_mask


def circle(y_true, y_pred, ref_labels=None, ref_embeddings=None, remove_diagonal=True, gamma=80,
           margin=0.4):
    """Per-sample Circle loss of L2-normalized embeddings and their integer labels.

    Pairs of the same label are positives, the others negatives; with cosine
    distances `d = max(1 - y_pred @ ref_embeddings.T, 0)`, a sample's loss is
    `softplus(logsumexp_pos(-gamma * relu(margin + d) * (margin - d))
    + logsumexp_neg(gamma * relu(1 + margin - d) * (1 - margin - d)))`.
    A sample with no positive (or no negative) pair gets 0. The values carry
    the mask `loss > 0`, so the averaging reductions average over the samples
    that have a loss.

    Args:
        y_true: integer labels, shape `(batch,)` or `(batch, 1)`.
        y_pred: L2-normalized embeddings, shape `(batch, dim)`.
        ref_labels: labels of the reference embeddings (default `y_true`).
        ref_embeddings: L2-normalized reference embeddings, shape `(refs, dim)`
            (default `y_pred`).
        remove_diagonal: whether a sample paired with reference of the same
            index (itself, by default) is left out of the positives.
        gamma: the scale of the similarity scores.
        margin: the relaxation: below it negatives weigh more and positives less.
    """
    y_pred = as_tensor(y_pred)
    labels = _labels(y_true, "y_true")
    refs = y_pred if ref_embeddings is None else ops.cast(as_tensor(ref_embeddings), y_pred.dtype)
    ref_labels = labels if ref_labels is None else _labels(ref_labels, "ref_labels")
    if len(y_pred.shape) != 2 or len(refs.shape) != 2 or y_pred.shape[-1] != refs.shape[-1]:
        raise ValueError(
            "circle expects y_pred of shape (batch, dim) and ref_embeddings of shape "
            f"(refs, dim). Received y_pred of shape {tuple(y_pred.shape)} and "
            f"ref_embeddings of shape {tuple(refs.shape)}.")
    if labels.shape[0] != y_pred.shape[0] or ref_labels.shape[0] != refs.shape[0]:
        raise ValueError(
            "circle expects one label per embedding. Received "
            f"{labels.shape[0]} labels for {y_pred.shape[0]} embeddings and "
            f"{ref_labels.shape[0]} reference labels for {refs.shape[0]} references.")
    positive = ops.equal(ops.expand_dims(labels, 1), ops.expand_dims(ref_labels, 0))
    negative = ops.logical_not(positive)
    if remove_diagonal:
        off_diagonal = ops.logical_not(ops.eye(labels.shape[0], ref_labels.shape[0],
                                               dtype="bool"))
        positive = ops.logical_and(positive, off_diagonal)
    distances = ops.maximum(1.0 - ops.matmul(y_pred, ops.transpose(refs)), 0.0)
    pos_weights = ops.maximum((margin + distances) * ops.cast(positive, distances.dtype), 0.0)
    neg_weights = ops.maximum((1.0 + margin - distances) * ops.cast(negative, distances.dtype),
                              0.0)
    pos_scores = -gamma * pos_weights * (margin - distances)
    neg_scores = gamma * neg_weights * (1.0 - margin - distances)
    values = ops.softplus(_masked_logsumexp(pos_scores, positive)
                          + _masked_logsumexp(neg_scores, negative))
    return set_mask(values, ops.greater(values, 0.0))


circle._takes_class_ids = True


def _labels(labels, name):
    labels = as_tensor(labels)
    if len(labels.shape) == 2 and labels.shape[1] == 1:
        labels = ops.reshape(labels, (-1,))
    if len(labels.shape) != 1:
        raise ValueError(f"circle expects {name} of shape (batch,) or (batch, 1): one integer "
                         f"label per embedding. Received {name} of shape {tuple(labels.shape)}.")
    return ops.cast(labels, "int32")


def _masked_logsumexp(scores, mask):
    """`logsumexp` of each row over the entries where `mask` is set; -inf for a row with
    none, with a zero gradient (a plain logsumexp of an all -inf row is NaN)."""
    row_max = ops.max(ops.where(mask, ops.stop_gradient(scores), float("-inf")), axis=1,
                      keepdims=True)
    has_any = ops.any(mask, axis=1, keepdims=True)
    shift = ops.where(has_any, row_max, 0.0)
    exps = ops.where(mask, ops.exp(ops.where(mask, scores, shift) - shift), 0.0)
    total = ops.sum(exps, axis=1, keepdims=True)
    lse = ops.log(ops.where(has_any, total, 1.0)) + shift
    return ops.squeeze(ops.where(has_any, lse, float("-inf")), axis=1)


class Circle(LossFunctionWrapper):
    """Circle loss between integer labels and L2-normalized embeddings (see `circle`).

    The model should output embeddings with no activation followed by a
    `UnitNormalization` layer.

    Args:
        gamma: the scale of the similarity scores (default 80).
        margin: the relaxation factor (default 0.4).
        remove_diagonal: whether self-similarities are left out of the positives.
        reduction, name, dtype: as in `Loss`.
    """

    def __init__(self, gamma=80.0, margin=0.4, remove_diagonal=True,
                 reduction="sum_over_batch_size", name="circle", dtype=None):
        super().__init__(circle, reduction=reduction, name=name, dtype=dtype, gamma=gamma,
                         margin=margin, remove_diagonal=remove_diagonal)
        self.gamma, self.margin, self.remove_diagonal = gamma, margin, remove_diagonal

    def get_config(self):
        return {**Loss.get_config(self), "gamma": self.gamma, "margin": self.margin,
                "remove_diagonal": self.remove_diagonal}
