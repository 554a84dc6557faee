"""The ONNX converter of each layer class.

A converter is `fn(graph, layer, call)`: it adds the ONNX nodes computing
`layer` on `call.inputs` (tensor names) to `graph` (an `OnnxGraph`) and
returns the name(s) of the output tensor(s). `call` also carries the static
shapes and dtypes of the call's inputs and outputs, as the symbolic graph
recorded them (None for sizes known only at run time, such as the batch).
"""

import collections

LayerCall = collections.namedtuple(
    "LayerCall", ["inputs", "shapes", "dtypes", "out_shapes", "out_dtypes", "node", "hint"])

_CONVERTERS = {}


class UnsupportedLayerError(ValueError):
    """A layer, or one of its settings, has no ONNX equivalent in the exporter."""


def register(*layer_classes):
    """Registers the decorated function as the converter of `layer_classes`."""
    def decorate(fn):
        for cls in layer_classes:
            _CONVERTERS[cls] = fn
        return fn
    return decorate


def converter_for(layer):
    """The converter of `layer`'s class, or of the base class whose `call` it runs; None if
    there is none (a subclass with its own `call` computes something else)."""
    _load()
    cls = type(layer)
    if cls in _CONVERTERS:
        return _CONVERTERS[cls]
    for base in cls.__mro__[1:]:
        if base in _CONVERTERS and cls.call is base.call:
            return _CONVERTERS[base]
    return None


def supported_layer_names():
    """The classes with a converter, leaving out those registered only to be refused."""
    _load()
    return sorted({cls.__name__ for cls, fn in _CONVERTERS.items()
                   if not getattr(fn, "refuses", False)})


_FAMILIES = ("activation_layers", "conv", "core", "merging", "normalization", "pooling",
             "reshaping", "rnn", "wrappers")


def _load():
    """Imports the converter modules, which register themselves."""
    if not _CONVERTERS:
        import importlib

        for family in _FAMILIES:
            importlib.import_module(f"kerasx.export.converters.{family}")
