"""The weights of a model in HDF5, laid out exactly as Keras 3 lays them out.

Keras 3 walks a model and gives every object that owns state (layers, nested
models, the optimizer) a group `<path>/vars` holding datasets `"0"`, `"1"`,
... in variable order. Paths are built from attribute names (`layers`,
`optimizer`, `cell`, ...) and, inside a list of layers, from the snake-cased
class name made unique (`dense`, `dense_1`, `max_pooling2d`, ...) — never
from layer names, which change between runs. A layer's variables are its own
trainable variables followed by its own non-trainable ones, each in creation
order; the optimizer's are `iterations`, `learning_rate` (unless it is a
schedule) and then its slots in creation order.

Loading is all-or-nothing: every count, shape and dtype is checked and every
array read before the first variable is assigned, so a bad file leaves the
model exactly as it was. HDF5 features that could read other files or blow up
memory (links, external and virtual datasets) are refused.

h5py is imported only here, and only when a file is written or read.
"""

import functools
import re
import warnings

from kerasx.backends.base import dtype_name

_NUMERIC_KINDS = "biuf"  # bool, signed, unsigned, float


def import_h5py():
    """h5py, or an ImportError that says how to install it."""
    try:
        import h5py
    except ImportError:
        raise ImportError(
            "Saving and loading weights needs the h5py package, which is not installed. "
            "Install it with `pip install h5py` (or `pip install kerasx[h5]`)."
        ) from None
    return h5py


def keras_snake_case(name):
    """Keras 3's `to_snake_case` (`Conv2D` -> `conv2d`, `RMSprop` -> `rm_sprop`),
    which names the groups of a list of layers."""
    name = re.sub(r"\W+", "", name)
    name = re.sub("(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub("([a-z])([A-Z])", r"\1_\2", name).lower()


# -- what a model holds ------------------------------------------------------------------
class Slot:
    """One saved value: its shape and dtype, how to read it and how to set it, and the
    name of its dataset when that is not its position ("0", "1", ...)."""

    __slots__ = ("label", "shape", "dtype", "get", "set", "key")

    def __init__(self, label, shape, dtype, get, set, key=None):
        self.label, self.shape, self.dtype, self.get, self.set = label, tuple(shape), dtype, get, set
        self.key = key


class Entry:
    """One object with state: the h5 path of its `vars` group and its slots in order."""

    __slots__ = ("path", "name", "slots", "owner", "is_optimizer", "is_copy", "is_custom")

    def __init__(self, path, name, slots, owner, is_optimizer=False, is_copy=False,
                 is_custom=False):
        self.path, self.name, self.slots, self.owner = path, name, slots, owner
        self.is_optimizer = is_optimizer
        # a group Keras writes twice (a MultiOptimizer's sub-optimizers): written, never read
        self.is_copy = is_copy
        # a layer with its own `save_own_variables` / `load_own_variables`: its group holds
        # whatever it writes, and it reads the group itself
        self.is_custom = is_custom

    def dataset_names(self):
        """The dataset name of each slot, in order."""
        return [slot.key or str(i) for i, slot in enumerate(self.slots)]

    @property
    def vars_path(self):
        return f"{self.path}/vars" if self.path else "vars"

    def describe(self):
        kind = "optimizer" if self.is_optimizer else type(self.owner).__name__
        return f"{kind} {self.name!r} (file group '/{self.vars_path}')"


def _variable_slot(var):
    from kerasx.backends import current

    def get():
        return current().to_numpy(var.value)

    def set(array):
        var.assign(current().asarray(array, dtype=var.dtype))

    return Slot(var.path, var.shape, dtype_name(var.dtype), get, set)


def _custom_slots(layer):
    """The values `layer.save_own_variables` writes, as slots named by their keys."""
    from kerasx.backends import current

    store = {}
    layer.save_own_variables(store)
    slots = []
    for key, value in store.items():
        array = current().to_numpy(getattr(value, "value", value))
        slots.append(Slot(f"{layer.name}/{key}", array.shape, dtype_name(array.dtype),
                          lambda array=array: array, None, key=str(key)))
    return slots


def _saves_itself(obj):
    """Whether `obj` is a layer whose class overrides `save_own_variables` or
    `load_own_variables` (Keras's hooks for state beyond its variables)."""
    layer = _layer_class()
    return isinstance(obj, layer) and (
        type(obj).save_own_variables is not layer.save_own_variables
        or type(obj).load_own_variables is not layer.load_own_variables)


def _variable_class():
    from kerasx.autodiff.variable import Variable

    return Variable


def _layer_class():
    from kerasx.layers.layer import Layer

    return Layer


def _own_variables(obj):
    saved = getattr(obj, "_saved_variables", None)
    if saved is not None:  # a layer that lists its variables in Keras's order (quantized)
        return saved()
    own = getattr(obj, "_own_variables", [])
    return [v for v in own if v.trainable] + [v for v in own if not v.trainable]


_SKIP_CACHE = []


def _skipped_attributes():
    """Attribute names every kerasx layer or model has: not children to walk
    (Keras skips the attributes of a plain `Layer()` the same way)."""
    if not _SKIP_CACHE:
        from kerasx.models.model import Model

        names = set(vars(_layer_class()(name="kerasx_saving_probe")))
        names |= set(vars(Model(name="kerasx_saving_probe")))
        # Sequential / Functional bookkeeping; their layers are walked as `layers`.
        names |= {"_stack", "_input_layer", "_all_layers", "_nodes", "_execution_nodes",
                  "_inputs_struct", "_outputs_struct", "_input_aliases", "_node_ids"}
        names.discard("optimizer")
        _SKIP_CACHE.append(frozenset(names))
    return _SKIP_CACHE[0]


def _name_key(name):
    # Keras visits private attributes last.
    return f"~{name}" if name.startswith("_") else name


def _is_saveable(obj):
    from kerasx.optimizers.optimizer import Optimizer

    return isinstance(obj, (_layer_class(), Optimizer))


def _holds_saveable(container):
    for item in container.values() if isinstance(container, dict) else container:
        if _is_saveable(item) or (isinstance(item, (list, tuple, dict)) and _holds_saveable(item)):
            return True
    return False


def _children(obj):
    """`(attribute, child)` pairs in Keras 3's visiting order."""
    from kerasx.models.functional import Functional
    from kerasx.models.sequential import Sequential
    from kerasx.optimizers.optimizer import Optimizer

    if isinstance(obj, Optimizer):
        return
    from kerasx.models.model import Model

    attributes = dict(vars(obj))
    if isinstance(obj, (Sequential, Functional)):
        yield "layers", obj.layers
    elif isinstance(obj, Model):
        # Keras walks `dir(model)`: a subclassed model's `layers` property comes in its
        # sorted place, so sublayers not yet visited by then are saved under `layers/`
        attributes["layers"] = obj.layers
    skip = _skipped_attributes()
    for attr in sorted(attributes, key=_name_key):
        if attr.startswith("__") or (attr in skip and attr != "layers"):
            continue
        child = attributes[attr]
        if _is_saveable(child) or (isinstance(child, (list, tuple, dict)) and _holds_saveable(child)):
            yield attr, child
    optimizer = getattr(obj, "optimizer", None) if "optimizer" not in vars(obj) else None
    if optimizer is not None and _is_saveable(optimizer):
        yield "optimizer", optimizer


def _join(path, name):
    return f"{path}/{name}" if path else name


def collect_entries(model, include_optimizer=True):
    """Every object with state in `model`, with its h5 path, in Keras 3's order."""
    entries, visited = [], set()

    def visit(obj, path):
        if id(obj) in visited:
            return
        visited.add(id(obj))
        from kerasx.optimizers.optimizer import Optimizer

        if isinstance(obj, Optimizer):
            if include_optimizer:
                entries.append(Entry(path, obj.name, optimizer_slots(obj), obj, True))
                # a MultiOptimizer's group holds every sub-optimizer's variables, and Keras
                # also writes each sub-optimizer's own group under `optimizers/`
                used = {}
                for inner in getattr(obj, "optimizers", None) or ():
                    inner_path = _join(path, "optimizers/" + _unique(
                        keras_snake_case(type(inner).__name__), used))
                    entries.append(Entry(inner_path, inner.name, optimizer_slots(inner), inner,
                                         is_copy=True))
            return
        if _saves_itself(obj):
            entries.append(Entry(path, obj.name, _custom_slots(obj), obj, is_custom=True))
        else:
            entries.append(Entry(path, obj.name, [_variable_slot(v) for v in _own_variables(obj)],
                                 obj))
        for attr, child in _children(obj):
            if isinstance(child, (list, tuple, dict)):
                visit_container(child, _join(path, attr), set())
            else:
                visit(child, _join(path, attr))

    def visit_container(container, path, seen):
        if id(container) in seen:
            return
        seen.add(id(container))
        used = {}
        for item in container.values() if isinstance(container, dict) else container:
            if _is_saveable(item):
                visit(item, _join(path, _unique(keras_snake_case(type(item).__name__), used)))
            elif isinstance(item, (list, tuple, dict)):
                visit_container(item, _join(path, _unique("container", used)), seen)

    visit(model, "")
    return entries


def _unique(name, used):
    if name in used:
        used[name] += 1
        return f"{name}_{used[name]}"
    used[name] = 0
    return name


# -- the optimizer -----------------------------------------------------------------------
def optimizer_slots(optimizer):
    """`iterations`, the learning rate (when it is a number) and the slot variables."""
    Variable = _variable_class()
    slots, own = [], set()
    iterations = getattr(optimizer, "_iterations", None)
    if not isinstance(iterations, Variable):
        iterations = optimizer.iterations
    if isinstance(iterations, Variable):
        slots.append(_variable_slot(iterations))
        own.add(id(iterations))
    else:
        def set_iterations(array):
            optimizer.iterations = int(array)

        slots.append(Slot("iterations", (), "int64", lambda: _host_scalar(optimizer.iterations,
                                                                        "int64"),
                          set_iterations))
    lr = getattr(optimizer, "_learning_rate", None)
    if isinstance(lr, Variable):
        slots.append(_variable_slot(lr))
        own.add(id(lr))
    elif not callable(lr):
        def set_lr(array):
            optimizer.learning_rate = float(array)

        slots.append(Slot("learning_rate", (), "float32",
                          lambda: _host_scalar(optimizer.learning_rate, "float32"), set_lr))
    for var in optimizer.variables:
        if id(var) not in own:
            slots.append(_variable_slot(var))
    return slots


def _host_scalar(value, dtype):
    from kerasx.backends.host import to_host

    return to_host(value, dtype=dtype)


def optimizer_is_built(optimizer):
    built = getattr(optimizer, "built", None)
    if isinstance(built, bool):
        return built
    return getattr(optimizer, "_built_for", None) is not None


def _header_size(optimizer):
    """How many of `optimizer_slots` come before the slot variables."""
    lr = getattr(optimizer, "_learning_rate", None)
    return 2 if isinstance(lr, _variable_class()) or not callable(lr) else 1


# -- writing -----------------------------------------------------------------------------
def write_entries(h5file, entries):
    """Writes each entry's `vars` group (with its `name` attribute) and datasets."""
    for entry in entries:
        group = h5file.create_group(entry.vars_path)
        group.attrs["name"] = entry.name
        for key, slot in zip(entry.dataset_names(), entry.slots):
            write_dataset(group, key, slot.get())


def write_dataset(group, key, value):
    """Writes one variable's array; bfloat16 (which HDF5 stores as 2 opaque bytes) is
    marked with the attribute `dtype="bfloat16"`, as Keras writes and reads it."""
    dataset = group.create_dataset(key, data=value)
    if getattr(getattr(value, "dtype", None), "name", None) == "bfloat16":
        dataset.attrs["dtype"] = "bfloat16"
    return dataset


def _is_bfloat16(dataset):
    marked = dataset.attrs.get("dtype")
    marked = marked.decode("utf-8") if isinstance(marked, bytes) else marked
    return marked == "bfloat16" and dataset.dtype.kind == "V" and dataset.dtype.itemsize == 2


def decode_dataset(dataset, value):
    """`value` read from `dataset`, as bfloat16 where the file marks it so."""
    if not _is_bfloat16(dataset):
        return value
    try:
        import ml_dtypes
    except ImportError:
        raise ImportError(f"The dataset {dataset.name!r} holds bfloat16 weights; reading them "
                          "needs the `ml_dtypes` package (pip install ml_dtypes).") from None
    return value.view(ml_dtypes.bfloat16)


def save_weights_to_h5(model, h5file, include_optimizer=True):
    """Writes `model`'s state into an open, empty `h5py.File`."""
    write_entries(h5file, collect_entries(model, include_optimizer))


# -- reading -----------------------------------------------------------------------------
class WeightsMismatchError(ValueError):
    """The weights in a file do not fit the model (counts or shapes differ)."""


def load_weights_from_h5(model, h5file, skip_mismatch=False, source="the file"):
    """Loads `model`'s state from an open `h5py.File`, all or nothing.

    Every group is matched, every shape checked and every array read before
    the first assignment; on any problem a `WeightsMismatchError` naming each
    one is raised and the model is left unchanged. With `skip_mismatch=True`
    the objects whose weights do not fit are skipped with a warning instead.

    When the model has an optimizer and the file holds its slot variables,
    the optimizer is built for the model's trainable variables (if it was not
    yet) and restored, so training resumes exactly where it stopped.
    """
    h5py = import_h5py()
    entries = collect_entries(model, include_optimizer=True)
    problems, plan, consumed = [], [], set()
    optimizer_entries, custom_loads = [], []
    for entry in entries:
        if entry.is_copy:
            consumed.add(entry.vars_path)
            continue
        if entry.is_custom:
            datasets, entry_problems = _read_group(h5py, h5file, entry.vars_path)
            consumed.add(entry.vars_path)
            if entry_problems:
                problems.append((entry, entry_problems))
            else:
                custom_loads.append((entry.owner, datasets))
            continue
        if entry.is_optimizer:
            optimizer_entries.append(entry)
            continue
        datasets, entry_problems = _read_group(h5py, h5file, entry.vars_path)
        consumed.add(entry.vars_path)
        entry_problems = entry_problems or _match(entry, entry.slots, datasets)
        if entry_problems:
            problems.append((entry, entry_problems))
        else:
            plan.extend((slot, datasets[str(i)]) for i, slot in enumerate(entry.slots))
    # a nested model compiled before it was nested keeps its own optimizer (Keras saves it
    # under the nested model's group), built for that model's variables
    builds = []
    for entry in optimizer_entries:
        consumed.add(entry.vars_path)
        holder = next((e.owner for e in entries if not e.is_optimizer
                       and getattr(e.owner, "optimizer", None) is entry.owner), model)
        opt_plan, deferred, build = _plan_optimizer(h5py, h5file, holder, entry, problems)
        plan.extend(opt_plan)
        if build is not None:
            builds.append((entry, deferred, build))
    top_optimizer = any(entry.path == "optimizer" for entry in optimizer_entries)
    # Keras writes a LossScaleOptimizer's inner optimizer twice: its variables among the
    # outer one's, and again under `optimizer/inner_optimizer`
    extra = [p for p in _dataset_paths(h5py, h5file) if p.rsplit("/", 1)[0] not in consumed
             and not (not top_optimizer and p.startswith("optimizer/"))
             and not p.startswith("optimizer/inner_optimizer/")]
    if extra:
        problems.append((None, [
            f"{len(extra)} variable(s) belong to no object of the model "
            f"({', '.join('/' + p for p in extra[:4])}{', ...' if len(extra) > 4 else ''}): "
            "the file was saved from a different architecture"]))
    if problems:
        message = _mismatch_message(model, problems, source)
        if not skip_mismatch:
            raise WeightsMismatchError(message)
        warnings.warn(message + "\nThese objects were skipped (skip_mismatch=True).",
                      stacklevel=3)
    arrays = [(slot, _read_dataset(ds, slot)) for slot, ds in plan]
    stores = [(layer, {key: _read_dataset(ds, None) for key, ds in datasets.items()})
              for layer, datasets in custom_loads]
    builds = [(entry, [_read_dataset(ds, None) for ds in deferred], build)
              for entry, deferred, build in builds]
    for entry, deferred_arrays, build in builds:
        build()
        fresh = optimizer_slots(entry.owner)[_header_size(entry.owner):]
        arrays.extend(zip(fresh, deferred_arrays))
    for layer, store in stores:  # first: a layer's own checks may still refuse its values
        layer.load_own_variables(store)
    for slot, array in arrays:
        slot.set(array)


def _plan_optimizer(h5py, h5file, model, entry, problems):
    """`(plan, deferred datasets, build)` for the optimizer's group.

    When the file holds slot variables for an optimizer that is not built yet,
    their shapes are checked against a throwaway copy built for the model;
    the real optimizer is built (`build`) only once everything is known to fit,
    and the `deferred` datasets are then assigned to its new slots.
    """
    optimizer = entry.owner
    datasets, group_problems = _read_group(h5py, h5file, entry.vars_path)
    if group_problems:
        problems.append((entry, group_problems))
        return [], [], None
    if not datasets:
        return [], [], None
    slots, header, build = entry.slots, _header_size(optimizer), None
    if len(datasets) > len(slots) and not optimizer_is_built(optimizer):
        probe = _probe_optimizer(optimizer, model)
        if probe is not None:
            slots = slots[:header] + optimizer_slots(probe)[header:]
            build = functools.partial(optimizer.build, model.trainable_weights)
    if len(datasets) != len(slots):
        # Keras does the same: an optimizer of another shape starts afresh.
        never_trained = len(datasets) == header < len(slots)
        why = ("the file was saved before any training, so it holds no optimizer slots"
               if never_trained else
               f"optimizer {optimizer.name!r} is "
               f"{'built' if optimizer_is_built(optimizer) else 'not built yet'}")
        warnings.warn(
            f"Skipping variable loading for optimizer {optimizer.name!r}, because it has "
            f"{len(slots)} variables whereas the saved optimizer has {len(datasets)} variables "
            f"({why}). Skipping the optimizer state of model {model.name!r}: training will "
            "continue from a fresh optimizer state.", stacklevel=4)
        return [], [], None
    entry_problems = _match(entry, slots, datasets)
    if entry_problems:
        problems.append((entry, entry_problems))
        return [], [], None
    if build is None:
        return [(slot, datasets[str(i)]) for i, slot in enumerate(slots)], [], None
    plan = [(slot, datasets[str(i)]) for i, slot in enumerate(slots[:header])]
    deferred = [datasets[str(i)] for i in range(header, len(slots))]
    return plan, deferred, build


def _probe_optimizer(optimizer, model):
    config = optimizer.get_config()
    if _header_size(optimizer) == 1:
        # a schedule is shared, not rebuilt: a custom one is known only to the
        # custom_objects of the load_model call that is reading this file
        config["learning_rate"] = optimizer._learning_rate
    try:
        probe = type(optimizer).from_config(config)
        probe.build(model.trainable_weights)
    except Exception:  # noqa: BLE001 - an optimizer that cannot be copied is not probed
        return None
    return probe


def _match(entry, slots, datasets):
    """Problems matching `slots` (of `entry`) to the datasets of its group."""
    expected = len(slots)
    if len(datasets) != expected:
        if expected == 0 and isinstance(entry.owner, _layer_class()) and not entry.owner.built:
            return [f"the layer was never built, so it has no variables, but the file holds "
                    f"{len(datasets)} for it; build the model first (call it on data, or "
                    "model.build(input_shape))"]
        return [f"expected {expected} variables "
                f"{[list(s.shape) for s in slots]}, found {len(datasets)} "
                f"{[list(datasets[k].shape) for k in sorted(datasets, key=_int_key)]}"]
    problems = []
    for i, slot in enumerate(slots):
        ds = datasets.get(str(i))
        if ds is None:
            problems.append(f"variable {i} ({slot.label}) is missing (dataset names "
                            f"{sorted(datasets, key=_int_key)})")
            continue
        if tuple(ds.shape) != slot.shape:
            problems.append(f"variable {i} ({slot.label}) has shape {slot.shape} in the model "
                            f"but {tuple(ds.shape)} in the file")
        elif ds.dtype.kind not in _NUMERIC_KINDS and not _is_bfloat16(ds):
            problems.append(f"variable {i} ({slot.label}) is stored with the non-numeric dtype "
                            f"{ds.dtype}")
    return problems


def _int_key(name):
    return (0, int(name)) if name.isdigit() else (1, name)


def _read_group(h5py, h5file, vars_path):
    """`({name: dataset}, problems)` for the `vars` group at `vars_path` (empty if absent)."""
    current, parts = h5file, vars_path.split("/")
    for part in parts:
        if part not in current:
            return {}, []
        link = current.get(part, getlink=True)
        if isinstance(link, (h5py.SoftLink, h5py.ExternalLink)):
            return {}, [f"'/{vars_path}' goes through a {type(link).__name__}, which is refused"]
        current = current[part]
        if not isinstance(current, h5py.Group):
            return {}, [f"'/{vars_path}' is not a group"]
    datasets = {}
    for name in current:
        link = current.get(name, getlink=True)
        if isinstance(link, (h5py.SoftLink, h5py.ExternalLink)):
            return {}, [f"'/{vars_path}/{name}' is a {type(link).__name__}, which is refused"]
        ds = current[name]
        if not isinstance(ds, h5py.Dataset):
            return {}, [f"'/{vars_path}/{name}' is not a dataset"]
        if ds.external or ds.is_virtual:
            return {}, [f"'/{vars_path}/{name}' is an external or virtual dataset, which could "
                        "read other files, and is refused"]
        datasets[name] = ds
    return datasets, []


def _read_dataset(dataset, slot):
    try:
        return decode_dataset(dataset, dataset[()])
    except ImportError:
        raise
    except Exception as e:  # h5py raises OSError / KeyError subclasses for damaged data
        raise ValueError(
            f"Could not read dataset {dataset.name!r} from the weights file: {e}. The file is "
            "damaged or truncated; nothing was loaded."
        ) from None


def _dataset_paths(h5py, h5file):
    paths = []

    def visit(name, obj):
        if isinstance(obj, h5py.Dataset):
            paths.append(name)

    h5file.visititems(visit)
    return paths


def _mismatch_message(model, problems, source):
    lines = [f"The weights in {source} do not match model {model.name!r}:"]
    for entry, messages in problems:
        where = entry.describe() if entry is not None else "the file"
        for message in messages:
            lines.append(f"  - {where}: {message}")
    lines.append("Load weights into a model with the same architecture as the one that saved "
                 "them, or pass skip_mismatch=True to skip the objects that do not fit.")
    return "\n".join(lines)
