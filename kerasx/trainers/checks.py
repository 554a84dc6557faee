"""Checks run once before training so mistakes fail early, with a fix in the message."""

import operator

from kerasx.backends import host
from kerasx.trainers.data_adapter import flatten


def _is_int(value):
    return isinstance(value, int) and not isinstance(value, bool)


def plain_ints(*values):
    """`values` with NumPy integers (anything with `__index__` but bool) as Python ints,
    as Keras takes `batch_size=np.int64(64)`; other values unchanged for the checks."""
    return tuple(_plain_int(value) for value in values)


def _plain_int(value):
    if value is None or isinstance(value, (int, float, str, list, tuple)):
        return value
    try:
        return operator.index(value)
    except TypeError:
        return value


def check_positive_int(name, value, allow_none=True, hint=""):
    if value is None and allow_none:
        return
    if not _is_int(value) or value <= 0:
        shape = getattr(value, "shape", None)
        received = (f"an array of shape {tuple(shape)}" if shape is not None and len(shape)
                    else f"{name}={value!r}")
        raise ValueError(
            f"{name} must be a positive integer, received {received}.{hint}"
            + (" Pass None for the default." if allow_none else "")
        )


def check_verbose(verbose):
    """`verbose` as 0, 1 or 2 ("auto" is 1, as in Keras)."""
    if verbose == "auto":
        return 1
    if isinstance(verbose, bool) or verbose not in (0, 1, 2):
        raise ValueError(
            f"verbose must be 0 (silent), 1 (progress bar), 2 (one line per epoch) or 'auto', "
            f"received verbose={verbose!r}."
        )
    return int(verbose)


def check_fit_arguments(batch_size, epochs, validation_split, x_is_arrays, initial_epoch=0,
                        validation_freq=1, shuffle=True, steps_per_epoch=None,
                        validation_steps=None, validation_batch_size=None):
    check_positive_int("batch_size", batch_size, hint=" Typical values are 32, 64 or 128.")
    if not _is_int(epochs) or epochs < 0:
        raise ValueError(
            f"epochs must be a non-negative integer (the number of passes over the data), "
            f"received epochs={epochs!r}."
        )
    if not _is_int(initial_epoch) or initial_epoch < 0:
        raise ValueError(
            f"initial_epoch must be a non-negative integer (the epoch to resume from), received "
            f"initial_epoch={initial_epoch!r}."
        )
    if isinstance(validation_split, bool) or not isinstance(validation_split, (int, float)) \
            or not 0.0 <= validation_split < 1.0:
        raise ValueError(
            f"validation_split must be in [0, 1), received validation_split={validation_split!r}. "
            "It is the fraction of the data held out for validation, e.g. 0.2."
        )
    if validation_split and not x_is_arrays:
        raise ValueError(
            f"validation_split={validation_split} is only supported when x is arrays, not a "
            "generator or dataset, since kerasx cannot take 'the last fraction' of a stream. "
            "Pass validation_data=... instead."
        )
    if isinstance(validation_freq, (list, tuple)):
        if not validation_freq or not all(_is_int(e) and e >= 1 for e in validation_freq):
            raise ValueError(
                f"validation_freq as a list must hold the 1-based epochs to validate after, "
                f"received {validation_freq!r}."
            )
    elif not _is_int(validation_freq) or validation_freq < 1:
        raise ValueError(
            f"validation_freq must be a positive integer (validate every N epochs) or a list of "
            f"epochs, received validation_freq={validation_freq!r}."
        )
    if shuffle not in (True, False, "batch"):
        raise ValueError(
            f"shuffle must be True, False or 'batch', received shuffle={shuffle!r}."
        )
    check_positive_int("steps_per_epoch", steps_per_epoch)
    check_positive_int("validation_steps", validation_steps)
    check_positive_int("validation_batch_size", validation_batch_size)


def check_input_shape(model, x):
    """Compares the data's structure and per-sample shapes with the model's declared inputs."""
    inputs = _declared_inputs(model)
    if inputs is None:
        return
    leaves = flatten(x)
    names = [name for name, _ in inputs]
    nested = isinstance(x, dict) and any(isinstance(v, (dict, list, tuple)) for v in x.values())
    if isinstance(x, dict) and not nested and (len(inputs) > 1 or names[0] in x):
        # (a dict may hold other arrays too: Keras warns and leaves them out)
        missing = [n for n in names if n not in x]
        if missing:
            raise ValueError(
                f"Model {model.name!r} has inputs named {names}, but x is a dict with keys "
                f"{sorted(x)}; missing {missing}. Key the input arrays by input name."
            )
        pairs = [(n, s, x[n]) for n, s in inputs]
    elif isinstance(x, (list, tuple)) and len(x) == len(inputs) and any(v is None for v in x):
        # None for an optional input, as in a dict
        _refuse_none_for_required_inputs(model, x, names)
        pairs = [(n, s, value) for (n, s), value in zip(inputs, x)]
    elif len(leaves) != len(inputs):
        raise ValueError(
            f"Model {model.name!r} expects {len(inputs)} input array(s) {names} but x holds "
            f"{len(leaves)}. Pass "
            + ("a single array." if len(inputs) == 1
               else "a list or dict with one array per input.")
        )
    else:
        pairs = [(n, s, leaf) for (n, s), leaf in zip(inputs, leaves)]
    runs = []
    for name, expected, data in pairs:
        if data is None:
            continue  # an optional input left out
        got = _rank_adjusted(tuple(data.shape), expected)
        if len(got) != len(expected) or any(e is not None and e != g
                                            for e, g in zip(expected[1:], got[1:])):
            failure = None
            if len(got) == len(expected):
                runs = runs or [_failure_on(model, x)]
                failure = runs[0]
                if failure is None:
                    # as in Keras, the layers decide: a layer that is the identity at
                    # inference (a feature front end) lets the model take its output's shape
                    continue
            which = f"input {name!r} of " if len(inputs) > 1 else ""
            # any batch size runs (a model built by its first batch keeps that batch's size)
            shown = (None,) + tuple(expected[1:]) if expected else expected
            raise ValueError(
                f"Input data has shape {got} (samples, features...) but {which}model "
                f"{model.name!r} expects inputs of shape {shown} (None is the batch size). "
                "Reshape the data (e.g. x.reshape(len(x), -1) to flatten images) or change the "
                "input shape of the model." + _failure_note(failure)
            )
        # Keras runs a fixed-batch Input on any batch; only stateful layers need that size
        if expected[0] is not None and got[0] % expected[0] and _has_stateful_layer(model):
            raise ValueError(
                f"The model's input {name!r} has a fixed batch size of {expected[0]} "
                f"(batch_shape={expected}) but the data has {got[0]} samples, which is not a "
                "multiple of it. Use batch_size equal to the fixed batch size and a sample count "
                "divisible by it."
            )


def _refuse_none_for_required_inputs(model, x, names):
    """Keras's error for None given (in a list or tuple with one entry per input) for an
    input that is not optional."""
    input_layer_of = getattr(model, "_input_layer_of", None)
    for tensor, value, name in zip(getattr(model, "inputs", None) or [], x, names):
        layer = input_layer_of(tensor) if input_layer_of is not None else None
        if value is None and not getattr(layer, "optional", False):
            raise ValueError(
                f"The input {name!r} of model {model.name!r} is not optional, but None was "
                "passed. Provide an array for it, or build the model on "
                "kerasx.Input(..., optional=True) to let it take None.")


def _failure_on(model, x):
    """The error `model` raises running (at inference) on the first sample of `x`, or
    None when it runs."""
    from kerasx.autodiff.tape import _Paused
    from kerasx.trainers.data_adapter import slice_rows, to_device

    try:
        with _Paused():
            model(to_device(slice_rows(x, 0, 1)), training=False)
    except Exception as error:  # noqa: BLE001 - any failure means the data does not fit
        return error
    return None


def _failure_note(failure):
    """Where running the model on the data failed: the first error of the chain (a
    model's own message wraps its layer's), with the layer call that raised it."""
    from kerasx.layers.call_context import failure_detail

    if failure is None:
        return ""
    while failure.__cause__ is not None:
        failure = failure.__cause__
    return f" Run on the first sample: {failure_detail(failure)}"


def _has_stateful_layer(model):
    return any(getattr(layer, "stateful", False) for layer in model._flatten_layers())


def _rank_adjusted(got, expected):
    """`got` as the model will see it: a trailing axis of size 1 added or dropped when that
    is the only difference in rank (Keras's functional models do so)."""
    if len(got) == len(expected) - 1 and expected[-1] == 1:
        return got + (1,)
    if len(got) == len(expected) + 1 and got[-1] == 1:
        return got[:-1]
    return got


def _declared_inputs(model):
    """[(name, batch_shape)] of the model's inputs, or None when it does not declare them."""
    symbolic = None
    try:
        symbolic = getattr(model, "inputs", None)
    except AttributeError:
        symbolic = None
    if symbolic:
        # a model built on a dict of tensors takes data keyed as that dict, whatever the
        # tensors' layers are called (they need not be Inputs)
        struct = getattr(model, "_inputs_struct", None)
        keys = sorted(struct) if isinstance(struct, dict) else None
        if keys is not None and len(keys) != len(symbolic):
            keys = list(getattr(model, "input_names", None) or []) or None  # nested dicts
            keys = keys if keys is not None and len(keys) == len(symbolic) else None
        out = []
        for i, t in enumerate(symbolic):
            shape = getattr(t, "shape", None)
            if shape is None:
                return None
            layer = getattr(getattr(t, "node", None), "layer", None)
            name = keys[i] if keys else (getattr(layer, "name", None) or getattr(t, "name", "input"))
            out.append((name, tuple(shape)))
        return out
    declared = getattr(model, "_declared_input_shape", lambda: None)()
    if isinstance(declared, tuple) and all(d is None or isinstance(d, int) for d in declared):
        return [("input", declared)]
    return None


def _weights_with_targets(sample_weight, y):
    """[(weights, target)]: each output's weights with that output's target where
    `sample_weight` follows y's structure (dicts by key), else with the first target."""
    if isinstance(sample_weight, dict) and isinstance(y, dict) and set(sample_weight) <= set(y):
        return [pair for key, sw in sample_weight.items() if sw is not None
                for pair in _weights_with_targets(sw, y[key])]
    if (isinstance(sample_weight, (list, tuple)) and isinstance(y, (list, tuple))
            and len(sample_weight) == len(y)):
        return [pair for sw, t in zip(sample_weight, y) if sw is not None
                for pair in _weights_with_targets(sw, t)]
    targets = flatten(y)
    return [(sw, targets[0] if targets else None) for sw in flatten(sample_weight)]


def check_sample_weight(sample_weight, y):
    """One weight per sample (or per sample and timestep, matching y's leading axes)."""
    for sw, target in _weights_with_targets(sample_weight, y):
        if sw.ndim == 1:
            continue
        if target is not None and tuple(sw.shape) == tuple(target.shape[:sw.ndim]):
            continue
        if sw.ndim == 2 and sw.shape[1] == 1:
            continue
        raise ValueError(
            f"sample_weight must hold one weight per sample, shape (samples,), or per sample and "
            f"timestep matching y's leading axes; received shape {tuple(sw.shape)} for y of shape "
            f"{None if target is None else tuple(target.shape)}. Pass a 1-D array of weights."
        )


def check_one_sample_weight_for_outputs(sample_weight, y):
    """A single `sample_weight` array given for several targets holds one weight per
    sample (it is used for every output), as Keras's array data requires."""
    if sample_weight is None or not isinstance(y, (list, tuple, dict)):
        return
    if isinstance(sample_weight, (list, tuple, dict)):
        return
    shape = tuple(sample_weight.shape)
    if len(shape) == 1 or (len(shape) == 2 and shape[1] == 1):
        return
    raise ValueError(
        f"For a model with multiple outputs, a single `sample_weight` array must hold one "
        f"weight per sample, shape (samples,); received shape {shape}. For per-timestep or "
        f"other non-scalar weights, pass one sample_weight array per output (a list or dict "
        f"in the structure of y)."
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
                f"Loss {name!r} expects integer class ids, but the labels contain non-integer "
                f"values (e.g. {y[(y != y.round())].flat[0]!r}). Use a regression loss or integer "
                "labels."
            )
        ignored = _ignore_class(loss)
        kept = y if ignored is None else y[y != ignored]
        if kept.size == 0:
            return
        low, high = kept.min(), kept.max()
        if low < 0 or (n_classes is not None and high >= n_classes):
            bad = low if low < 0 else high
            raise ValueError(
                f"Received a label value of {bad}, which is outside the valid range "
                f"[0, {n_classes - 1}] for a model with {n_classes} output classes (loss "
                f"{name!r}). Check the labels, or make the last layer Dense({int(high) + 1}) if "
                "there really are that many classes."
            )
    elif name.startswith(("categorical_crossentropy", "categorical_focal_crossentropy")) \
            or name == "categorical_hinge":
        if n_classes and n_classes > 1 and (y.ndim < len(y_pred_shape) or y.shape[-1] != n_classes):
            raise ValueError(
                f"Loss {name!r} expects one-hot labels of shape (batch, {n_classes}) but received "
                f"labels of shape {y.shape}. Use loss='sparse_categorical_crossentropy' for "
                "integer class ids, or one-hot encode them with kerasx.utils.to_categorical."
            )
    elif name.startswith("binary_crossentropy") or name.startswith("binary_focal"):
        low, high = float(y.min()), float(y.max())
        if low < 0.0 or high > 1.0:
            raise ValueError(
                f"Loss {name!r} expects labels in [0, 1], but received values from {low} to "
                f"{high}. For several classes use sparse_categorical_crossentropy with a softmax "
                "output."
            )
    if (name in _ELEMENTWISE_LOSSES and len(y_pred_shape) == 2 and y.ndim == 1
            and (y_pred_shape[-1] or 1) > 1):
        raise ValueError(
            f"Loss {name!r} compares each label with the output unit it belongs to, but "
            f"received one label per sample (shape {y.shape}) for a model output of shape "
            f"{(None,) + tuple(y_pred_shape[1:])}. Give one target per output unit (labels "
            f"of shape (samples, {y_pred_shape[-1]})), or make the last layer output one unit "
            "(Dense(1)); for class ids use sparse_categorical_crossentropy."
        )
    # a loss of the user's own may read labels of another shape (a mixture density loss)
    if (y_pred_shape and y.ndim >= 2 and len(y_pred_shape) == y.ndim and "sparse" not in name
            and _is_builtin_loss(loss)):
        broadcast = y.shape[-1] == 1 and name in _BROADCASTING_LOSSES
        if y.shape[-1] != y_pred_shape[-1] and y_pred_shape[-1] is not None and not broadcast:
            raise ValueError(
                f"Labels of shape {y.shape} do not match the model output of shape "
                f"{(None,) + tuple(y_pred_shape[1:])} "
                f"for loss {name!r}: the last dimensions differ ({y.shape[-1]} vs "
                f"{y_pred_shape[-1]}). Check the size of the last layer and the encoding of the "
                "labels."
            )


# built-in losses whose labels have the predictions' shape, value for value (where Keras
# broadcasts one label per sample against several units only to fail on the shapes)
_ELEMENTWISE_LOSSES = frozenset((
    "mean_squared_error", "mean_absolute_error", "mean_absolute_percentage_error",
    "mean_squared_logarithmic_error", "huber", "log_cosh", "poisson", "kl_divergence", "hinge",
    "squared_hinge", "cosine_similarity", "binary_crossentropy", "binary_focal_crossentropy"))


# elementwise losses that compare one target per sample with every output unit when the
# labels' last axis has size 1, as Keras broadcasts them: each unit regresses (or, for the
# hinges, classifies) towards the same target. The others keep the error: categorical
# losses, KL divergence and cosine similarity read a label row as a distribution or a
# direction over the units (a single column is then almost always class ids given by
# mistake), and the overlap losses (dice, tversky) compare masks channel by channel.
_BROADCASTING_LOSSES = frozenset((
    "mean_squared_error", "mean_absolute_error", "mean_absolute_percentage_error",
    "mean_squared_logarithmic_error", "huber", "log_cosh", "poisson", "hinge",
    "squared_hinge"))


def _ignore_class(loss):
    """The `ignore_class` label of a sparse cross-entropy (None when unset)."""
    kwargs = getattr(loss, "_fn_kwargs", None) or {}
    return kwargs.get("ignore_class", getattr(loss, "ignore_class", None))


def _is_builtin_loss(loss):
    fn = getattr(loss, "fn", None)
    module = getattr(fn, "__module__", None) if fn is not None else type(loss).__module__
    return (module or "").startswith("kerasx.")


def _loss_name(loss):
    fn = getattr(loss, "fn", None)
    if fn is not None:
        return getattr(fn, "__name__", "") or ""
    return getattr(loss, "name", None) or getattr(loss, "__name__", "") or ""


def class_weights_to_sample_weights(class_weight, y, n_classes):
    """Per-sample weights `class_weight[label]` (labels as ids or one-hot rows), as float32.

    Classes missing from `class_weight` get weight 1, as in Keras.
    """
    if not isinstance(class_weight, dict):
        raise TypeError(
            f"class_weight must be a dict mapping class ids to weights, e.g. {{0: 1.0, 1: 5.0}}; "
            f"received {type(class_weight).__name__}."
        )
    if not host.is_host_array(y):
        raise ValueError(
            "class_weight needs the labels y as an array; received "
            f"{type(y).__name__}. Pass y, or use sample_weight."
        )
    if y.ndim > 2:
        raise ValueError(
            f"class_weight is not supported for targets with more than 2 dimensions (received y "
            f"of shape {y.shape}). Use sample_weight with one weight per sample and timestep."
        )
    limit = max(n_classes, 2) if n_classes is not None else None
    bad = [k for k in class_weight if not _is_int(getattr(k, "item", lambda: k)()) or k < 0
           or (limit is not None and k >= limit)]
    if bad:
        valid = f"integers in [0, {limit - 1}]" if limit is not None else "non-negative integers"
        raise ValueError(
            f"class_weight has keys {bad} that are not class ids of this model (expected "
            f"{valid}, one per output class). Remove them or check the number of classes."
        )
    for k, w in class_weight.items():
        try:
            float(w)
        except (TypeError, ValueError):
            raise ValueError(f"class_weight[{k!r}] must be a number, received {w!r}.") from None
    if y.ndim == 2 and y.shape[-1] > 1:
        labels = y.argmax(axis=-1)
    else:
        labels = y.reshape(len(y))
    labels = labels.round().astype("int64")
    size = max(max(int(k) for k in class_weight) + 1, int(labels.max()) + 1 if labels.size else 1)
    table = host.to_host([float(class_weight.get(c, 1.0)) for c in range(size)], dtype="float32")
    return table[labels]
