"""`Model.quantize`: quantizes every leaf layer of a built model that supports the
mode, as Keras walks them; for "gptq" and "awq", then calibrates the blocks of the
model's quantization layer structure (`kerasx.quantizers.calibration`)."""

import re
import warnings
from collections.abc import Callable

from kerasx.quantizers.quantization_config import (QUANTIZATION_MODES,
                                                   validate_and_resolve_config)


def quantize_model(model, mode=None, config=None, filters=None, **kwargs):
    """Quantizes the leaf layers of `model` (see `Model.quantize`)."""
    from kerasx.layers.core._quantization import check_quantizable

    config = validate_and_resolve_config(mode, config)
    mode = config.mode
    check_quantizable(model, mode, quantized=False)
    type_check = kwargs.pop("type_check", True)
    if kwargs:
        raise ValueError(f"Unrecognized keyword arguments passed to {type(model).__name__}: "
                         f"{kwargs}")
    if filters is not None and not isinstance(filters, (str, Callable, list, tuple)):
        raise ValueError("The `filters` argument must be a regex string, a list of regex "
                         f"strings, or a callable. Received: {type(filters)}")
    structure = None
    if mode in ("gptq", "awq"):
        # checked before any layer changes (Keras raises these after preparing the layers)
        from kerasx.quantizers.calibration import check_calibration_inputs

        structure = config.quantization_layer_structure
        if structure is None:
            structure = model.get_quantization_layer_structure(mode)
        check_calibration_inputs(config, structure, mode)
    modified = False
    for layer in model._flatten_layers():
        if layer._tracked_layers or not should_quantize_layer(layer, filters):
            continue
        if not hasattr(layer, "_quantize_weights"):
            warnings.warn(f"Layer {type(layer).__name__} does not have a `quantize` method "
                          "implemented.", stacklevel=3)
            continue
        try:
            layer.quantize(mode, type_check=type_check, config=config)
            modified = True
        except NotImplementedError as e:
            warnings.warn(str(e), stacklevel=3)
    if mode in ("gptq", "awq"):
        from kerasx.quantizers.calibration import calibrated_quantize

        calibrated_quantize(config, structure, filters=filters)
    if modified:
        for step in ("train", "test", "predict"):
            setattr(model, f"_compiled_{step}_step", None)


def should_quantize_layer(layer, filters):
    """Whether `filters` (None, a regular expression searched in the layer's name, a
    list of them, or a predicate of the layer) selects `layer`."""
    if filters is None:
        return True
    if isinstance(filters, str):
        return bool(re.search(filters, layer.name))
    if isinstance(filters, (list, tuple)):
        return any(re.search(pattern, layer.name) for pattern in filters)
    return bool(filters(layer))


__all__ = ["QUANTIZATION_MODES", "quantize_model", "should_quantize_layer"]
