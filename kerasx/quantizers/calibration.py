"""The calibration of `model.quantize("gptq" | "awq", ...)`: the dataset cut into
token windows (`get_dataloader`), passed through the pre-block layers, then through
each sequential block in turn, whose `Dense` / `EinsumDense` layers collect their
input statistics (GPTQ's Hessian, AWQ's input magnitudes) and are quantized before
the block's (now quantized) outputs feed the next block."""

import contextlib
import logging
import zlib

from kerasx import ops
from kerasx.autodiff.tensor import Tensor
from kerasx.backends import current
from kerasx.quantizers.gptq import GPTQ

_log = logging.getLogger(__name__)


def get_dataloader(tokenizer, sequence_length, dataset, num_samples=128, *, strategy="strided",
                   seed=42, stride=None, eos_id=None):
    """`num_samples` windows of `sequence_length` tokens, int32 of shape
    `(num_samples, 1, sequence_length)`.

    The tokens of `dataset` (strings through `tokenizer.tokenize`, `eos_id` between
    documents when given; anything else read as integers) are joined and repeated
    until they hold `num_samples * sequence_length` tokens. The windows start
    `"strided"` (evenly spaced from an offset fixed by `seed`), `"linspace"` (evenly
    from the first to the last possible start) or `"random"` (drawn with `seed`).
    """
    if not hasattr(dataset, "__iter__") or isinstance(dataset, (str, bytes)):
        raise TypeError("The `dataset` argument must be an iterable (e.g., a list of strings, "
                        "a generator, or a NumPy array). Got type: "
                        f"{type(dataset).__name__}. Please pass the loaded dataset directly.")
    items = list(dataset)
    if not items:
        raise ValueError("Provided dataset is empty.")
    backend = current()
    xp = backend.xp
    pieces = []
    for i, item in enumerate(items):
        text = isinstance(items[0], str)
        tokens = ops.convert_to_tensor(tokenizer.tokenize(item) if text else item).value
        pieces.append(xp.astype(xp.reshape(tokens, (-1,)), xp.int32))
        if text and eos_id is not None and i < len(items) - 1:
            pieces.append(xp.asarray([eos_id], dtype=xp.int32, device=backend.device))
    tokens = xp.concat(pieces) if len(pieces) > 1 else pieces[0]
    required = num_samples * sequence_length
    if tokens.shape[0] < required:
        tokens = xp.tile(tokens, (-(-required // max(1, tokens.shape[0])),))
    max_start = tokens.shape[0] - sequence_length
    if max_start < 0:
        raise ValueError(f"Not enough tokens to form one sample of length {sequence_length} "
                         f"(have {tokens.shape[0]}).")
    starts = _window_starts(strategy, num_samples, max_start, seed, stride)
    index = starts[:, None] + xp.arange(sequence_length, dtype=xp.int64, device=backend.device)
    windows = xp.reshape(xp.take(tokens, xp.reshape(index, (-1,)), axis=0),
                         (num_samples, 1, sequence_length))
    return Tensor(windows)


def _window_starts(strategy, count, max_start, seed, stride):
    backend = current()
    xp = backend.xp
    positions = xp.arange(count, dtype=xp.int64, device=backend.device)
    if strategy == "random":
        draws = backend.rng.uniform((count,), 0.0, 1.0, seed=seed, dtype="float64")
        return xp.astype(xp.floor(draws * (max_start + 1)), xp.int64)
    if strategy == "linspace":
        step = max_start / (count - 1) if count > 1 else 0.0
        return xp.astype(xp.astype(positions, xp.float64) * step, xp.int64)
    if strategy == "strided":
        if stride is None:
            stride = max(1, (max_start + 1) // count)
        # a stable hash: the offset is the same in every process (Python's `hash` of a
        # string is salted per process)
        offset = zlib.crc32(f"gptq-calib/{seed}".encode()) % (max_start + 1) if max_start else 0
        return (offset + positions * stride) % (max_start + 1)
    raise ValueError(f"Unknown strategy: {strategy}. Expected 'strided', 'linspace' or "
                     "'random'.")


def find_layers_in_block(block):
    """The leaf `Dense` and `EinsumDense` layers of `block` (the block itself if it is
    one), by path."""
    from kerasx.layers.core.dense import Dense
    from kerasx.layers.core.einsum_dense import EinsumDense

    return {layer.path: layer for layer in [block, *block._flatten_layers()]
            if not layer._tracked_layers and isinstance(layer, (Dense, EinsumDense))}


@contextlib.contextmanager
def stream_inputs(layers, states, observe):
    """Within the block, each layer of `layers` (a dict by name) passes its inputs,
    flattened to `(-1, rows)`, to `states[name].<observe>` (the Hessian of GPTQ, the
    input magnitudes of AWQ) before computing as usual.

    Keras 3.15.1 hooks `layer.call`, which a layer in a quantized mode never runs, so
    its statistics stay zero; the hook here wraps the call the layer does run."""

    def hook(name, call):
        def observed(*args, **kwargs):
            inputs = args[0] if args else kwargs["inputs"]
            state = states[name]
            getattr(state, observe)(ops.reshape(inputs, (-1, state.rows)))
            return call(*args, **kwargs)

        return observed

    try:
        for name, layer in layers.items():
            layer._set_untracked("call", hook(name, layer.call))
        yield
    finally:
        for layer in layers.values():
            layer.__dict__.pop("call", None)


def _as_batch(x):
    return ops.expand_dims(x, 0) if len(x.shape) == 2 else x


def _algorithm(mode):
    """The per-layer state of `mode`, the method that takes a batch of its inputs, and
    the one that quantizes it."""
    if mode == "awq":
        from kerasx.quantizers.awq import AWQ

        return AWQ, "update_activation_magnitudes", "quantize_layer"
    return GPTQ, "update_hessian_with_batch", "quantize_and_correct_layer"


def apply_layerwise(dataloader, config, structure, filters=None):
    """Quantizes the blocks of `structure` (`{"pre_block_layers": [...],
    "sequential_blocks": [...]}`) one after the other on the calibration windows, with
    the algorithm of `config.mode` ("gptq" or "awq")."""
    from kerasx.autodiff.tape import _Paused
    from kerasx.quantizers.model_quantization import should_quantize_layer

    state_class, observe, quantize = _algorithm(config.mode)
    pre_layers = structure.get("pre_block_layers", [])
    blocks = structure.get("sequential_blocks", [])
    if not blocks:
        raise ValueError("No sequential blocks found in the provided structure to quantize.")
    with _Paused():
        inputs = []
        for i in range(dataloader.shape[0]):
            batch = ops.cast(dataloader[i], "int32")
            for layer in pre_layers:
                batch = layer(batch)
            inputs.append(batch)
        count = min(config.num_samples, len(inputs))
        for index, block in enumerate(blocks):
            layers = {name: layer for name, layer in find_layers_in_block(block).items()
                      if should_quantize_layer(layer, filters)
                      and getattr(layer, f"is_{config.mode}_calibrated", True) is False}
            if layers:
                _log.info("Quantizing block %d: %s", index, list(layers))
                states = {name: state_class(layer, config) for name, layer in layers.items()}
                with stream_inputs(layers, states, observe):
                    for sample in inputs[:count]:
                        block(_as_batch(sample))
                for state in states.values():
                    getattr(state, quantize)()
            if index < len(blocks) - 1:
                inputs = [block(_as_batch(sample))[0] for sample in inputs[:count]]


def calibrated_quantize(config, quantization_layer_structure, filters=None):
    """Calibrates and quantizes the "gptq" / "awq" layers of the structure's blocks."""
    check_calibration_inputs(config, quantization_layer_structure, config.mode)
    windows = get_dataloader(config.tokenizer, config.sequence_length, config.dataset,
                             num_samples=config.num_samples)
    apply_layerwise(windows[:config.num_samples], config, quantization_layer_structure,
                    filters=filters)


def check_calibration_inputs(config, structure, mode):
    """The errors of a calibrated quantization without data or without a structure."""
    if config.dataset is None or config.tokenizer is None:
        raise ValueError("GPTQ quantization requires a dataset and a tokenizer. Please "
                         "provide them in the `GPTQConfig`." if mode == "gptq" else
                         "AWQ quantization requires a dataset and tokenizer. Please provide "
                         "them in the AWQConfig.")
    if structure is None:
        raise ValueError(
            f"For mode='{mode}', a valid quantization structure must be provided either via "
            "`config.quantization_layer_structure` or by overriding "
            "`model.get_quantization_layer_structure(mode)`. The structure should be a "
            "dictionary with keys 'pre_block_layers' and 'sequential_blocks'.")
