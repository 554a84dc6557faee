"""Checks run once before training so mistakes fail early, with a fix in the message."""

from kerasx.backends import host
from kerasx.trainers.data_adapter import flatten


def check_fit_arguments(batch_size, epochs, validation_split, x_is_arrays, initial_epoch=0,
                        validation_freq=1):
    if batch_size is not None and (not isinstance(batch_size, int) or isinstance(batch_size, bool)
                                   or batch_size <= 0):
        raise ValueError(
            f"batch_size must be a positive integer, received batch_size={batch_size!r}. "
            "Typical values are 32, 64 or 128."
        )
    if not isinstance(epochs, int) or epochs < 0:
        raise ValueError(f"epochs must be a non-negative integer, received epochs={epochs!r}.")
    if not isinstance(initial_epoch, int) or initial_epoch < 0:
        raise ValueError(f"initial_epoch must be a non-negative integer, received {initial_epoch!r}.")
    if not 0.0 <= validation_split < 1.0:
        raise ValueError(
            f"validation_split must be in [0, 1), received validation_split={validation_split!r}. "
            "It is the fraction of the data held out for validation, e.g. 0.2."
        )
    if validation_split and not x_is_arrays:
        raise ValueError(
            "validation_split is only supported for arrays, not for generators or datasets, "
            "since kerasx cannot take 'the last fraction' of a stream. Pass validation_data instead."
        )
    if not isinstance(validation_freq, int) or validation_freq < 1:
        raise ValueError(f"validation_freq must be a positive integer, received {validation_freq!r}.")


def check_input_shape(model, x):
    """Compares the data's per-sample shape with the model's declared input shape."""
    expected = getattr(model, "_declared_input_shape", lambda: None)()
    if expected is None:
        return
    leaves = flatten(x)
    if len(leaves) != 1 or not isinstance(expected, tuple):
        return
    got = tuple(leaves[0].shape)
    if len(got) != len(expected) or any(e is not None and e != g for e, g in zip(expected[1:], got[1:])):
        raise ValueError(
            f"Input data has shape {got} (samples, features...) but model {model.name!r} expects "
            f"inputs of shape {expected} (None is the batch size). Reshape the data or change "
            "the input shape of the first layer."
        )
    if expected[0] is not None and got[0] % expected[0] and got[0] != expected[0]:
        raise ValueError(
            f"The model's input has a fixed batch size of {expected[0]} (batch_shape={expected}) "
            f"but the data has {got[0]} samples, which is not a multiple of it. "
            "Use batch_size equal to the fixed batch size and a sample count divisible by it."
        )


def check_labels(loss, y, y_pred_shape):
    """Checks that labels `y` (host array) fit `loss` and the model's output shape."""
    if loss is None or not host.is_host_array(y) or y.size == 0:
        return
    name = _loss_name(loss)
    n_classes = y_pred_shape[-1] if y_pred_shape else None
    if "sparse_categorical" in name:
        if y.ndim == len(y_pred_shape) and y.shape[-1] == n_classes and n_classes > 1:
            raise ValueError(
                f"Loss {name!r} expects integer class ids of shape (batch,) but received labels of "
                f"shape {y.shape}, which look one-hot encoded. Use loss='categorical_crossentropy' "
                "for one-hot labels, or pass y.argmax(axis=-1)."
            )
        if host.is_float_dtype(y) and not bool((y == y.round()).all()):
            raise ValueError(
                f"Loss {name!r} expects integer class ids, but the labels contain non-integer values "
                f"(e.g. {y[(y != y.round())].flat[0]!r}). Use a regression loss or integer labels."
            )
        low, high = y.min(), y.max()
        if low < 0 or (n_classes is not None and high >= n_classes):
            raise ValueError(
                f"Received a label value of {high if high >= (n_classes or 0) else low}, which is "
                f"outside the valid range [0, {n_classes - 1}] for a model with {n_classes} output "
                f"classes. Check the labels or make the last layer Dense({int(high) + 1})."
            )
    elif name.startswith("categorical_crossentropy") or name == "categorical_hinge":
        if n_classes and n_classes > 1 and (y.ndim < len(y_pred_shape) or y.shape[-1] != n_classes):
            raise ValueError(
                f"Loss {name!r} expects one-hot labels of shape (batch, {n_classes}) but received "
                f"labels of shape {y.shape}. Use loss='sparse_categorical_crossentropy' for integer "
                "class ids, or one-hot encode them with kerasx.utils.to_categorical."
            )
    elif name.startswith("binary_crossentropy") or name.startswith("binary_focal"):
        low, high = float(y.min()), float(y.max())
        if low < 0.0 or high > 1.0:
            raise ValueError(
                f"Loss {name!r} expects labels in [0, 1], but received values from {low} to {high}. "
                "For several classes use sparse_categorical_crossentropy."
            )
    if y_pred_shape and y.ndim >= 2 and len(y_pred_shape) == y.ndim and "sparse" not in name:
        if y.shape[-1] != y_pred_shape[-1] and y_pred_shape[-1] is not None:
            raise ValueError(
                f"Labels of shape {y.shape} do not match the model output of shape {y_pred_shape} "
                f"for loss {name!r}: the last dimensions differ ({y.shape[-1]} vs {y_pred_shape[-1]}). "
                "Check the size of the last layer and the encoding of the labels."
            )


def _loss_name(loss):
    fn = getattr(loss, "fn", None)
    if fn is not None:
        return fn.__name__
    return getattr(loss, "name", None) or getattr(loss, "__name__", "") or ""


def class_weights_to_sample_weights(class_weight, y, n_classes):
    """Per-sample weights `class_weight[label]` (labels as ids or one-hot rows)."""
    if not isinstance(class_weight, dict):
        raise TypeError(
            f"class_weight must be a dict mapping class ids to weights, received {type(class_weight).__name__}."
        )
    if not host.is_host_array(y):
        raise ValueError("class_weight needs labels as arrays (not a generator). Use sample_weight instead.")
    labels = y.argmax(axis=-1) if y.ndim >= 2 and y.shape[-1] > 1 else y.reshape(len(y), -1)[:, 0]
    bad = [k for k in class_weight if not isinstance(k, int) or k < 0
           or (n_classes is not None and k >= max(n_classes, 2))]
    if bad:
        raise ValueError(
            f"class_weight has keys {bad} that are not class ids of this model "
            f"(expected integers in [0, {max(n_classes or 2, 2) - 1}])."
        )
    table = host.to_host([float(class_weight.get(c, 1.0)) for c in range(max(max(class_weight) + 1,
                                                                            int(labels.max()) + 1))],
                         dtype="float32")
    return table[labels.astype("int64")]
