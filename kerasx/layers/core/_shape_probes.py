"""The output shapes of a built layer called on KerasTensors, found by running it.

`infer_outputs` runs the layer on small zero arrays standing for the KerasTensors
twice, with different sizes for the unknown dimensions; output dimensions that change
between the runs are unknown (None). One run is enough when every input size is known,
or when only batch sizes are unknown and the layer's own `compute_output_shape` agrees
with the run. A layer that cannot run on such arrays is probed with other sizes, or
answers with its own `compute_output_shape`. The probes leave
the layer's weights, losses and random seed counters as they were; `PROBING` is above
0 while they run.
"""

import math
import warnings

from kerasx import tree
from kerasx.layers._build_shapes import _is_shape, _merge_shapes
from kerasx.layers.core._nested_structure import flatten, map_structure, replace
from kerasx.layers.core.keras_tensor import KerasTensor
from kerasx.layers.layer import DECLARED_ONLY, Layer
from kerasx.per_thread import ThreadCounter
from kerasx.random.counted_seed import counter_states, restore_counters


_PROBE_FILLS = ((1, 8), (2, 9))  # (batch axis, other unknown axes) sizes of the two probes
_SHORT_PROBE_FILLS = ((1, 2), (2, 3))
_WIDE_PROBE_FILLS = (1, 41)  # a third probe for layers with no compute_output_shape
_LONG_PROBE_FILLS = ((1, 41), (2, 67))


def infer_outputs(layer, inputs, args, kwargs, with_masks=False):
    """`(shapes, dtypes)` of a built `layer`'s outputs on KerasTensor arguments, from two
    runs on small zero arrays (output dimensions that differ between them are None; one
    run where `_one_probe_enough`), or from the layer's own `compute_output_shape` when
    it cannot run on such arrays.

    A KerasTensor argument with a `_keras_mask` gets an all-True mask of that shape on
    its zero array, so mask-consuming layers run as they will on data. `with_masks=True`
    adds a third entry: the shapes of the output masks (None where an output has none),
    or None when the outputs carry no mask or came from `compute_output_shape`."""
    from kerasx.autodiff.tape import _Paused
    from kerasx.models.input_structure import STRUCTURE_WARNING

    flat = [t for t in flatten((inputs, list(args), kwargs)) if isinstance(t, KerasTensor)]
    in_shapes = map_structure(inputs, lambda t: t.shape)
    # The probes run real code: keep any state they assign (statistics, the seed counters
    # of random layers: a symbolic call draws nothing in Keras) unchanged.
    saved = [(v, v.value) for v in layer.weights]
    counters = counter_states()
    try:
        with _Paused(), warnings.catch_warnings():
            # zero-filled probes may divide by zero or take log(0); that is not the user's data
            warnings.simplefilter("ignore", RuntimeWarning)
            # a symbolic call checks no input structure in Keras: its probes warn of none
            warnings.filterwarnings("ignore", message=STRUCTURE_WARNING)
            try:
                probes = _probe_runs(layer, flat, inputs, args, kwargs, _PROBE_FILLS[:1])
                if not _one_probe_enough(layer, flat, in_shapes, probes[0]):
                    probes += _probe_runs(layer, flat, inputs, args, kwargs, _PROBE_FILLS[1:])
            except (ValueError, TypeError, IndexError) as error:
                first = error  # kept past the except clause, which unbinds its name
                probes = _batch_multiple_probes(layer, flat, inputs, args, kwargs, first)
                if probes is None and not _unknown_inner_dims(flat):
                    raise
            if probes is None:
                # some layers take only short unknown axes (a position embedding of a few
                # steps, as Keras's symbolic shapes never index): probe again with short ones
                try:
                    probes = _probe_runs(layer, flat, inputs, args, kwargs, _SHORT_PROBE_FILLS)
                except (ValueError, TypeError, IndexError):
                    # and others only long ones (a frame of 16 samples or more)
                    try:
                        probes = _probe_runs(layer, flat, inputs, args, kwargs,
                                             _LONG_PROBE_FILLS)
                    except (ValueError, TypeError, IndexError):
                        raise first from None
        if len(probes) == 1:
            probes.append(_batch_unknown(probes[0], flat))
        out_shape = _merge_shapes(probes[0][0], probes[1][0])
        if _unknown_inner_dims(flat):
            declared = _declared_output_shape(layer, in_shapes)
            if declared is None:
                out_shape = _widened(out_shape, layer, flat, inputs, args, kwargs)
            else:
                out_shape = _unknown_where_declared(out_shape, declared)
        out_dtypes = probes[0][1]
        out_masks = [None if a is None or b is None or len(a) != len(b) else _merge_shapes(a, b)
                     for a, b in zip(probes[0][2], probes[1][2])]
        if not any(m is not None for m in out_masks):
            out_masks = None
    except (ValueError, TypeError, IndexError) as e:
        out_shape = _declared_output_shape(layer, in_shapes) if _unknown_inner_dims(flat) else None
        if out_shape is None:
            raise _call_error(layer, in_shapes, e) from None
        out_dtypes = map_structure(out_shape, lambda s: layer.dtype, _is_shape)
        out_masks = None
    finally:
        _restore_after_probes(layer, saved, counters)
    if with_masks:
        return out_shape, out_dtypes, out_masks
    return out_shape, out_dtypes


# > 0 while a layer runs on probe arrays standing for KerasTensors (in this thread)
PROBING = ThreadCounter()


def _one_probe_enough(layer, flat, in_shapes, probe):
    """Whether the first probe's `(shapes, dtypes, mask shapes)` tell the output shapes
    without a second run: no input size is unknown, or only batch sizes are and the
    layer's own `compute_output_shape` gives each output the probe's shape with an
    unknown batch. (A big model's symbolic build spends most of its time in probes:
    a second probe at full image size doubles it.)"""
    if not any(d is None for t in flat for d in t.shape):
        return True
    if _unknown_inner_dims(flat) or any(m is not None for m in probe[2]):
        return False
    DECLARED_ONLY[0] += 1  # a declaration that would run the layer does not count
    try:
        declared = _declared_output_shape(layer, in_shapes)
    finally:
        DECLARED_ONLY[0] -= 1
    return declared is not None and _batch_declared(probe[0], declared)


def _batch_declared(probed, declared):
    """Whether `declared` (a layer's own output shapes) is `probed` (one probe's, at
    batch 1) with an unknown batch size in every output."""
    if _is_shape(probed):
        return (isinstance(declared, (tuple, list)) and len(probed) > 0
                and tuple(declared) == (None,) + probed[1:])
    if isinstance(probed, dict):
        return (isinstance(declared, dict) and set(declared) == set(probed)
                and all(_batch_declared(probed[k], declared[k]) for k in probed))
    return (isinstance(declared, (tuple, list)) and len(declared) == len(probed)
            and all(_batch_declared(p, d) for p, d in zip(probed, declared)))


def _batch_unknown(probe, flat):
    """The probe's `(shapes, dtypes, mask shapes)` as a second probe would have given
    them: unchanged when every input size is known, else each output's batch size
    changed (so that merging the two marks it unknown)."""
    if not any(d is None for t in flat for d in t.shape):
        return probe
    return (map_structure(probe[0], lambda s: (-1,) + s[1:] if s else s, _is_shape),) + probe[1:]


def _probe_with_fixed_size_reshapes(layer, inputs, args, kwargs, error):
    """The layer's output on a stand-in batch when its call reshapes to a size fixed for
    one batch size (a mixture of experts over `tokens_per_batch` rows), which no stand-in
    batch fits: Keras's symbolic reshape, whose batch is unknown, does not check sizes, so
    here a reshape of another size gives zeros of the asked shape. `error` (the checked
    run's) is raised if the call fails even so."""
    from kerasx.ops.shape import reshape_sizes_unchecked

    try:
        with reshape_sizes_unchecked():
            return layer(inputs, *args, **kwargs)
    except (ValueError, TypeError, IndexError):
        raise error from None


def _batch_multiple_probes(layer, flat, inputs, args, kwargs, error):
    """Probes whose batch sizes are multiples of 2 ... 8, for a call that reshapes the
    batch axis into several (`ops.reshape(x, (-1, k, units))` on a batch of unknown size,
    whose symbolic shape Keras gives as `(None, k, units)`), or None when `error` is not
    such a reshape's or no multiple fits."""
    if "reshape" not in str(error) or not any(t.shape[:1] == (None,) for t in flat):
        return None
    for k in range(2, 9):
        try:
            return _probe_runs(layer, flat, inputs, args, kwargs, ((k, 8), (2 * k, 9)))
        except (ValueError, TypeError, IndexError):
            continue
    return None


def _probe_runs(layer, flat, inputs, args, kwargs, fill_sets):
    """`(shapes, dtypes, mask shapes)` of the layer's outputs on zero arrays standing for
    the KerasTensors `flat`, one run per `(batch, other unknown axes)` sizes in `fill_sets`."""
    probes = []
    for fills in fill_sets:
        lookup = {id(t): _masked_zeros(t, fills) for t in flat}
        p_inputs, p_args, p_kwargs = (replace(s, lookup) for s in (inputs, args, kwargs))
        if _accepts_training(layer) and "training" not in p_kwargs:
            p_kwargs = {**p_kwargs, "training": _probe_training(layer)}
        PROBING[0] += 1
        try:
            out = layer(p_inputs, *p_args, **p_kwargs)
        except ValueError as e:
            if "Cannot reshape" not in str(e):
                raise
            out = _probe_with_fixed_size_reshapes(layer, p_inputs, p_args, p_kwargs, e)
        finally:
            PROBING[0] -= 1
        probes.append((map_structure(out, lambda o: tuple(o.shape), _is_array),
                       map_structure(out, lambda o: o.dtype, _is_array),
                       [_mask_shape(o) for o in flatten(out)]))
    return probes


def _call_error(layer, in_shapes, error):
    message = _symbolic_sizes_shown(str(error), in_shapes)
    if message.startswith(f"Layer {layer.name!r}") or (
            message.startswith("Input ") and f"of layer {layer.name!r}" in message):
        text = message  # already names the layer
    else:
        text = (f"Layer {layer.name!r} ({type(layer).__name__}) cannot be called on inputs of "
                f"shape {_format(in_shapes)}: {message}")
    kind = type(error) if type(error) in (ValueError, TypeError) else ValueError
    return kind(text)


def _symbolic_sizes_shown(message, in_shapes):
    """`message` with the shapes of the first probe arrays written as the symbolic shapes
    they stand for (`(None, 4)`, not `(1, 4)`): the user never made the probes."""
    for shape in _flat_shapes(in_shapes):
        if None in shape:
            message = message.replace(str(_probe_dims(shape, _PROBE_FILLS[0])),
                                      str(tuple(shape)))
    return message


def _format(shapes):
    if not isinstance(shapes, (tuple, list, dict)):
        return repr(shapes)
    if isinstance(shapes, tuple):
        return str(shapes)
    if isinstance(shapes, dict):
        return "{" + ", ".join(f"{k!r}: {_format(v)}" for k, v in shapes.items()) + "}"
    return "[" + ", ".join(_format(s) for s in shapes) + "]"


def _unknown_inner_dims(tensors):
    return any(d is None for t in tensors for d in t.shape[1:])


def _widened(out_shape, layer, flat, inputs, args, kwargs):
    """`out_shape` with None where one more probe, with long unknown axes, changes a size:
    a layer that frames or strides its input (8 and 9 samples give one frame of 64 both
    times) and declares no output shape of its own. A layer that cannot take the long
    probe keeps `out_shape`."""
    from kerasx.autodiff.tape import _Paused

    try:
        with _Paused(), warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            wide = _probe_runs(layer, flat, inputs, args, kwargs, (_WIDE_PROBE_FILLS,))
        return _merge_shapes(out_shape, wide[0][0])
    except Exception:  # an optional refinement: any failure keeps the two probes' answer
        return out_shape


def probe_once(layer, flat, args, kwargs, fills):
    """The flattened output shapes of one more probe of a built `layer` on `args` /
    `kwargs` (KerasTensors `flat` filled as `fills` says), or None when it fails. Weights
    and random seed counters are kept unchanged, as for the first probes."""
    from kerasx.autodiff.tape import _Paused

    saved = [(v, v.value) for v in layer.weights]
    counters = counter_states()
    try:
        with _Paused(), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            probe = _probe_runs(layer, flat, args[0] if args else None, args[1:], kwargs,
                                (fills,))
        return [tuple(s) for s in _flat_shapes(probe[0][0])]
    except Exception:  # an optional refinement: any failure keeps the first probes' answer
        return None
    finally:
        _restore_after_probes(layer, saved, counters)


def _flat_shapes(shapes):
    if _is_shape(shapes):
        return [shapes]
    values = [shapes[k] for k in sorted(shapes)] if isinstance(shapes, dict) else shapes
    return [s for v in values for s in _flat_shapes(v)]  # in `flatten`'s order


def _unknown_where_declared(probed, declared):
    """`probed` with None wherever the layer's own output shape (`declared`, or None) has
    an unknown size: two probe sizes can give one output size (pooling 8 or 9 steps by 2
    gives 4 both times), so a size the probes agree on is not known for every input."""
    if declared is None:
        return probed
    if _is_shape(probed):
        if not _is_shape(declared) or len(declared) != len(probed):
            return probed
        return tuple(None if d is None else p for p, d in zip(probed, declared))
    if isinstance(probed, dict) and isinstance(declared, dict):
        return {k: _unknown_where_declared(v, declared.get(k)) for k, v in probed.items()}
    if isinstance(probed, (list, tuple)) and isinstance(declared, (list, tuple)) \
            and len(probed) == len(declared):
        return tree.sequence_like(probed, [_unknown_where_declared(p, d)
                                       for p, d in zip(probed, declared)])
    return probed


def _declared_output_shape(layer, in_shapes):
    """The layer's own `compute_output_shape`, when its class defines one (else None)."""
    if type(layer).compute_output_shape is Layer.compute_output_shape:
        return None
    try:
        shape = layer.compute_output_shape(in_shapes)
    except Exception:
        return None
    return shape if isinstance(shape, (tuple, list, dict)) else None


def _restore_after_probes(layer, saved, counters):
    """Drops the losses that probes of `layer` added and puts back its weights' arrays
    (`saved`, pairs of variable and array) and the seed counters (`counters`)."""
    _clear_probe_losses(layer)
    for variable, value in saved:
        if variable.value is not value:
            variable.assign(value)
    restore_counters(counters)


def _clear_probe_losses(layer):
    for sub in [layer] + layer._flatten_layers():
        if sub._activity_losses:
            sub._activity_losses = []


def _probe_dims(shape, fills, groups=None):
    """`shape` with each None replaced by a probe size: the batch one for axis 0, the
    other one elsewhere, or as `groups` says (per axis 0 or 1, or `(0 or 1, k)`: k times
    that size)."""
    if groups is None:
        return tuple((fills[0] if axis == 0 else fills[1]) if d is None else d
                     for axis, d in enumerate(shape))
    return tuple(d if d is not None else fills[g] if isinstance(g, int) else fills[g[0]] * g[1]
                 for d, g in zip(shape, groups))


def _zeros(tensor, fills):
    from kerasx import ops

    if tensor.dtype == "string":  # text stays on the host; lookups see PROBING and pass
        from kerasx.backends.host import to_host

        dims = _probe_dims(tensor.shape, fills)
        return to_host([""] * math.prod(dims)).reshape(dims)
    # stand-ins of aligned operands (kerasx.ops._symbolic_alignment) carry probe groups
    groups = getattr(tensor, "_probe_groups", None)
    return ops.zeros(_probe_dims(tensor.shape, fills, groups), dtype=tensor.dtype)


def _masked_zeros(tensor, fills):
    """`_zeros`, with an all-True mask when the KerasTensor carries a mask."""
    from kerasx import ops

    probe = _zeros(tensor, fills)
    mask = getattr(tensor, "_keras_mask", None)
    if mask is not None and hasattr(probe, "_keras_mask"):
        probe._keras_mask = ops.ones(_probe_dims(mask.shape, fills), dtype="bool")
    return probe


def _mask_shape(output):
    mask = getattr(output, "_keras_mask", None)
    return None if mask is None else tuple(mask.shape)


def _probe_training(layer):
    """The training phase of the probe runs: the default of the layer's `call` (a layer
    written `call(self, x, training=True)` shows its training-time outputs, as in Keras),
    else inference."""
    from kerasx.layers._call_arguments import training_default

    return bool(training_default(type(layer)))


def _accepts_training(layer):
    from kerasx.layers._call_arguments import _call_signature

    return _call_signature(type(layer))[0]


def _is_array(x):
    return hasattr(x, "shape") and hasattr(x, "dtype") and not isinstance(x, (list, tuple, dict))
