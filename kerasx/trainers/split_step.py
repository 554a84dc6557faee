"""Steps split in two halves of the batch, whose replays run the halves on two
threads at once.

On two cores, the BLAS runs each large product on both, but a convolution's
training step also spends about a third of its time in single-threaded passes
(im2col copies, pooling, the input gradient's strided adds, element-wise work); the
MNIST convnet's step gained 0-20% from a second BLAS thread where PyTorch's gains
70%. A split training step computes the loss and the gradient of each half of the
batch separately, as segments of its recording (`Recorder.segment`), then adds the
halves' gradients and makes one optimizer update; the replay runs the two segments
on two threads, each with the BLAS at one thread (`numpy_trace_segments`), so every
pass of the step uses both cores. Evaluation steps split the same way (the halves'
losses and metric updates), prediction steps compute the halves' outputs and join
them.

The sum of the halves' gradients is the full batch's gradient: the loss of the batch
(a mean over its samples, `reduction="sum_over_batch_size"`) is the halves' losses
weighted by their share of the batch. Only the order of the additions changes, so a
split step's values differ from the whole step's in the last bits, as XLA's do from
eager TensorFlow's (random layers draw as in the whole step, and each half takes its
rows of the whole batch's masks and noise: `split_draws`); `jit_compile=False` (eager
steps) or `KERASX_SPLIT_STEPS=0` keeps whole steps (`=1` splits every step that may be split, small ones too). A
model is split only where the halves cannot see each other: a Sequential or
functional model of the layers in `_PER_SAMPLE` (no batch normalization in training,
masks, activity regularizers or stateful recurrent layers), the default step methods, and,
for training and evaluation, one output whose loss is a built-in one averaged over
the batch and built-in metrics; and only where the step is large enough to gain
(`MIN_MULTIPLY_ADDS`) and has no recurrent layer (`_STEPWISE`), on NumPy with a BLAS
running two threads.
"""

import os

from kerasx import ops, tree
from kerasx.autodiff.tape import GradientTape
from kerasx.autodiff.tensor import Tensor, TensorOps
from kerasx.backends import current
from kerasx.losses.loss import Loss, LossFunctionWrapper
from kerasx.models.functional import Functional
from kerasx.models.sequential import Sequential
from kerasx.trainers.split_draws import WholeBatchDraws
from kerasx.trainers.trainer import Trainer, _batch_size, _training_argument, _unpack

# batches of fewer multiply-adds (forward pass) run whole: two hand-offs between the
# threads and the halves' smaller products cost more than a second core wins there (the
# `mlp` benchmark's step, 86M: 6.4-8.6 against 5.2-7.9 ms whole; at batch 256, 171M,
# even; at 512 split 14-17 against 19-22 ms)
MIN_MULTIPLY_ADDS = 100_000_000
# recurrent layers loop over time steps in Python, a few small NumPy calls each: two
# halves take turns holding the interpreter (the `lstm` benchmark's step 38.5-42.3 ms
# split against 32.9-45.9 whole on an idle machine), so they are split only when asked
_STEPWISE = frozenset({"LSTM", "GRU", "SimpleRNN", "LSTMCell", "GRUCell", "SimpleRNNCell"})

_PER_SAMPLE = frozenset({
    "InputLayer", "Dense", "EinsumDense", "Conv1D", "Conv2D", "Conv3D", "Conv1DTranspose",
    "Conv2DTranspose", "Conv3DTranspose", "SeparableConv1D", "SeparableConv2D",
    "DepthwiseConv1D", "DepthwiseConv2D", "MaxPooling1D", "MaxPooling2D", "MaxPooling3D",
    "AveragePooling1D", "AveragePooling2D", "AveragePooling3D", "GlobalMaxPooling1D",
    "GlobalMaxPooling2D", "GlobalMaxPooling3D", "GlobalAveragePooling1D",
    "GlobalAveragePooling2D", "GlobalAveragePooling3D", "Flatten", "Reshape", "Permute",
    "RepeatVector", "Dropout", "SpatialDropout1D", "SpatialDropout2D", "SpatialDropout3D",
    "Activation", "ReLU", "LeakyReLU", "PReLU", "ELU", "Softmax", "Identity",
    "Add", "Subtract", "Multiply", "Average", "Maximum", "Minimum", "Concatenate",
    "LayerNormalization", "GroupNormalization", "UnitNormalization", "RMSNormalization",
    "GaussianNoise", "GaussianDropout", "AlphaDropout", "Rescaling", "Normalization",
    "CenterCrop", "Resizing", "ZeroPadding1D", "ZeroPadding2D", "ZeroPadding3D", "Cropping1D",
    "Cropping2D", "Cropping3D", "UpSampling1D", "UpSampling2D", "UpSampling3D",
    "Embedding", "LSTM", "GRU", "SimpleRNN", "LSTMCell", "GRUCell", "SimpleRNNCell",
    "Bidirectional", "TimeDistributed", "MultiHeadAttention", "HeadProjection",
})

# layers whose split halves gain in inference too: their single-threaded passes (im2col,
# pooling) run on both cores; dense layers' products already do, on the BLAS's threads
# (the `mlp` benchmark's prediction at batch 1024: 70.6k-94.8k samples/s split against
# 101.7k-103.0k whole, the MNIST convnet's 10.1k-13.4k against 7.2k-15.0k)
_CONVOLUTIONS = frozenset({
    "Conv1D", "Conv2D", "Conv3D", "Conv1DTranspose", "Conv2DTranspose", "Conv3DTranspose",
    "SeparableConv1D", "SeparableConv2D", "DepthwiseConv1D", "DepthwiseConv2D"})

# evaluation and prediction steps run these with their moving statistics: per sample
# (the model's steps pass `training=False` down to every layer, over any a functional
# model's graph was built with)
_PER_SAMPLE_IN_INFERENCE = _PER_SAMPLE | {"BatchNormalization"}


def step_for(model, batch_size, mode="train", compiled=None):
    """The split step of `mode` ("train", "test", "predict") for batches of
    `batch_size` of `model`, or None where the whole step is to run (see the module).
    `compiled`: the `CompiledStep` a split predict step tells its outputs' structure."""
    wanted = os.environ.get("KERASX_SPLIT_STEPS", "auto")
    if wanted == "0" or batch_size < 2 or split_reason(model, mode) is not None:
        return None
    if wanted != "1" and (multiply_adds(model) * batch_size < MIN_MULTIPLY_ADDS or any(
            type(layer).__name__ in _STEPWISE for layer in model._flatten_layers())):
        return None
    if mode == "predict":
        return SplitPredictStep(model, compiled)
    return (SplitTrainStep if mode == "train" else SplitTestStep)(model)


# the methods a mode's split step stands for: a model overriding one keeps whole steps
_METHODS = {"train": ("train_step", "compute_loss", "_compute_loss", "compute_metrics",
                      "_update_weights"),
            "test": ("test_step", "compute_loss", "_compute_loss", "compute_metrics"),
            "predict": ("predict_step",)}


def split_reason(model, mode="train"):
    """Why `model`'s `mode` step cannot be split in halves of the batch, or None."""
    if type(model) not in (Sequential, Functional):
        return "only Sequential and functional models are split"
    kind = type(model)
    for name in _METHODS[mode]:
        if getattr(kind, name) is not getattr(Trainer, name) or name in vars(model):
            return f"the model's {name} is its own"
    for layer in model._flatten_layers():
        reason = _layer_reason(layer, mode)
        if reason is not None:
            return reason
    if mode == "predict":
        return None
    return _loss_reason(model) or _metrics_reason(model)


def _layer_reason(layer, mode):
    name = type(layer).__name__
    if name in ("Sequential", "Functional") and type(layer).__module__.startswith(
            "kerasx.models."):
        return None  # a nested model: its layers are checked one by one
    per_sample = _PER_SAMPLE if mode == "train" else _PER_SAMPLE_IN_INFERENCE
    if name not in per_sample or not type(layer).__module__.startswith("kerasx.layers."):
        return f"layer {layer.name!r} ({name}) may mix the samples of a batch"
    if getattr(layer, "activity_regularizer", None) is not None:
        return f"layer {layer.name!r} has an activity regularizer"
    if getattr(layer, "stateful", False):
        return f"layer {layer.name!r} is stateful"
    if getattr(layer, "mask_zero", False):
        return f"layer {layer.name!r} makes masks"
    return None


def _loss_reason(model):
    compiled = model._compile_loss
    if compiled is None or compiled.structured is not None or compiled.metrics \
            or len([s for s in compiled._specs if s is not None]) != 1:
        return "the model has not one compiled loss for one output"
    for loss in compiled.losses:
        if loss is None or isinstance(loss, str):
            continue  # a built-in loss named, made at the first call
        if not isinstance(loss, Loss) or not type(loss).__module__.startswith("kerasx.losses."):
            return "the loss is the model's own"
        if type(loss) is LossFunctionWrapper and not getattr(
                loss.fn, "__module__", "").startswith("kerasx.losses."):
            return "the loss is the model's own"
        if loss.reduction != "sum_over_batch_size":
            return f"the loss's reduction is {loss.reduction!r}"
        if getattr(loss, "_fn_kwargs", {}).get("ignore_class") is not None:
            # masked values: the mean is over the others, whose count varies by half
            return "the loss ignores a class"
    return None


def _metrics_reason(model):
    compiled = model._compile_metrics
    if compiled is None:
        return None
    if compiled.built:
        given = compiled.flat_metrics
    else:  # names, functions and objects as given to `compile`
        given = tree.flatten([compiled._user_metrics, compiled._user_weighted_metrics])
    for metric in given:
        if metric is None or isinstance(metric, str):
            continue
        fn = getattr(metric, "_fn", metric if callable(metric) and not hasattr(
            metric, "update_state") else None)
        own = not (type(metric).__module__.startswith("kerasx.metrics.") or fn is metric)
        if own or fn is not None and not getattr(fn, "__module__", "").startswith(
                ("kerasx.losses.", "kerasx.metrics.")):
            return f"metric {getattr(metric, 'name', metric)!r} is the model's own"
    return None


def has_convolution(model):
    """Whether `model` (nested models too) holds a convolution layer."""
    return any(type(layer).__name__ in _CONVOLUTIONS for layer in model._flatten_layers())


def multiply_adds(model):
    """An estimate of the multiply-adds of one sample's forward pass: each layer's
    weight matrices times the positions (pixels, time steps) they are applied at."""
    total = 0
    for layer in model._flatten_layers():
        matrices = sum(int(w.value.size) for w in layer.trainable_weights
                       if len(w.shape) >= 2)
        if not matrices or type(layer).__name__ == "Embedding":
            continue
        try:
            shape = layer.input.shape if hasattr(layer, "cell") else layer.output.shape
        except (AttributeError, ValueError):
            continue  # a layer called more than once (shared): left out of the estimate
        positions = 1
        for size in tuple(shape)[1:-1]:
            positions *= size or 1
        total += matrices * positions
    return total


class _SplitStep:
    """A step of `model` computed on the two halves of the batch (see the module)."""

    whole = None  # the model's step that runs batches without targets, whole

    def __init__(self, model, compiled=None):
        self.model, self.compiled = model, compiled

    def __call__(self, data):
        x, y, sample_weight = _unpack(data)
        if y is None and self.whole is not None:
            return getattr(self.model, self.whole)(data)
        return self._split(x, y, sample_weight)


class SplitTrainStep(_SplitStep):
    """`model.train_step` on the two halves of the batch: one update from the sum of
    their gradients."""

    whole = "train_step"

    def _split(self, x, y, sample_weight):
        model = self.model
        variables = model.trainable_weights
        scale = getattr(model.optimizer, "scale_loss", None)
        grads, halves = [], []
        for k, (xk, yk, wk, share) in _halves(x, y, sample_weight):
            with GradientTape() as tape:
                y_pred = model(xk, **_training_argument(model, True))
                loss = _half_loss(model, k, yk, y_pred, wk, share)
                scaled = scale(loss) if scale is not None else loss
            grads.append(tape.gradient(scaled, variables))
            halves.append((xk, yk, y_pred, wk, loss))
        model._update_weights([_added(a, b) for a, b in zip(*grads)], variables)
        return _track(model, x, halves)


class SplitTestStep(_SplitStep):
    """`model.test_step` on the two halves of the batch."""

    whole = "test_step"

    def _split(self, x, y, sample_weight):
        model = self.model
        halves = []
        for k, (xk, yk, wk, share) in _halves(x, y, sample_weight):
            y_pred = model(xk, **_training_argument(model, False))
            halves.append((xk, yk, y_pred, wk, _half_loss(model, k, yk, y_pred, wk, share)))
        return _track(model, x, halves)


class SplitPredictStep(_SplitStep):
    """The predictions of the two halves of the batch, joined (as the `CompiledStep`'s
    flat predict step returns them, telling it their structure)."""

    def _split(self, x, y, sample_weight):
        model = self.model
        parts = [model(xk, **_training_argument(model, False))
                 for _, (xk, _, _, _) in _halves(x, None, None)]
        outputs = tree.pack_sequence_as(parts[0], [
            ops.concatenate([a, b], axis=0)
            for a, b in zip(tree.flatten(parts[0]), tree.flatten(parts[1]))])
        self.compiled.structure = outputs
        return {str(i): leaf for i, leaf in enumerate(tree.flatten(outputs))}


def _halves(x, y, sample_weight):
    """For each half of the batch, inside its recording segment: `(k, (x, y,
    sample_weight, share))`, `share` the half's fraction of the batch. The halves'
    random draws are the whole batch's (`split_draws`)."""
    backend = current()
    tracer = backend.step_recorder()
    size = _batch_size(x)
    middle = size // 2
    draws = backend.rng = WholeBatchDraws(backend.rng, (middle, size - middle))
    try:
        for k, (start, stop) in enumerate(((0, middle), (middle, size))):
            draws.half(k)
            with tracer.segment(k):
                yield k, tuple(_rows(part, start, stop) for part in (x, y, sample_weight)) + (
                    (stop - start) / size,)
    finally:
        backend.rng = draws.wrapped


def _half_loss(model, k, y, y_pred, sample_weight, share):
    """The half's share of the batch's loss (a mean over the samples), with the
    model's weight penalties in the first half's."""
    loss = model._compile_loss(y, y_pred, sample_weight) * share
    if k == 0:
        for penalty in model.losses:
            loss = loss + penalty
    return loss


def _track(model, x, halves):
    """The loss tracker and the metrics updated as by the whole step; its results."""
    model._loss_tracker.update_state(halves[0][4] + halves[1][4], sample_weight=_batch_size(x))
    for xk, yk, y_pred, wk, _ in halves:
        results = model.compute_metrics(xk, yk, y_pred, wk)
    return results


def _rows(structure, start, stop):
    def rows(leaf):
        if leaf is None:
            return None
        if isinstance(leaf, TensorOps):
            return Tensor(leaf.value[start:stop])
        return leaf[start:stop]

    return tree.map_structure(rows, structure)


def _added(a, b):
    if a is None or b is None:
        return a if b is None else b
    return a + b
