"""`Functional`: a model defined by calling layers on symbolic `Input` tensors."""

import collections

from kerasx.layers.call_context import failure_detail, mark_context_given
from kerasx.layers.core.input_layer import (CallNode, InputLayer, KerasTensor, flatten,
                                            inbound_nodes, map_structure, replace)
from kerasx.layers.core.op_layer import OpLayer, is_op_entry
from kerasx.models.fusion import fuse_plan
from kerasx.models.input_structure import check_input_structure
from kerasx.models.model import Model


class Functional(Model):
    """A directed acyclic graph of layer calls from `inputs` to `outputs`.

    Made by `kerasx.Model(inputs, outputs)`:

        inputs = kerasx.Input(shape=(16,), name="features")
        x = kerasx.layers.Dense(32, activation="relu")(inputs)
        outputs = kerasx.layers.Dense(3, activation="softmax")(x)
        model = kerasx.Model(inputs, outputs, name="classifier")

    `inputs` and `outputs` may be one tensor, a list or a dict of tensors; the
    model is then called with (and returns) the same structure. A layer called
    several times shares its weights between the calls; a model can be called
    like a layer inside another model. Inputs may also be intermediate tensors
    of a bigger graph, to reuse part of it (`Model(x, y)` with `x` not an
    `Input`).

    Shapes are checked while the graph is written: calling a layer on a
    symbolic tensor it cannot take raises there, not at `fit`; so do graphs
    whose outputs need an input that is not in `inputs`, and layers that share
    a name.

    Args:
        inputs: the model's input tensor(s) (from `kerasx.Input`).
        outputs: the model's output tensor(s).
        name: the model's name.
        trainable: whether its weights are trained.
    """

    def __init__(self, inputs, outputs, name=None, trainable=True, **kwargs):
        _check_structure(inputs, "inputs")
        _check_structure(outputs, "outputs")
        _warn_dict_key_names(inputs)
        inputs_kind = type(inputs) if isinstance(inputs, tuple) else None
        if inputs_kind:
            inputs = list(inputs)
        outputs_kind = type(outputs) if isinstance(outputs, tuple) else None
        if outputs_kind:
            outputs = list(outputs)
        Model.__init__(self, name=name, trainable=trainable, **kwargs)
        # as Keras, calls return a tuple for a tuple of outputs (Siamese networks' distances),
        # a namedtuple of the same type for a namedtuple
        self._set_untracked("_outputs_kind", outputs_kind)
        self._set_untracked("_inputs_kind", inputs_kind)
        flat_in, flat_out = flatten(inputs), flatten(outputs)
        for i, t in enumerate(flat_in):
            if any(t is u for u in flat_in[:i]):
                raise ValueError(
                    f"The tensor {t.name!r} appears more than once in `inputs`; each model input "
                    "must be a different tensor."
                )
        self._set_untracked("_inputs_struct", inputs)
        self._set_untracked("_outputs_struct", outputs)
        self._set_untracked("_input_aliases", _clone_intermediate_inputs(flat_in))
        graph = _map_graph(flat_in, flat_out, self._input_aliases)
        self._set_untracked("_nodes", graph.nodes)
        self._set_untracked("_node_ids", {id(n) for n in graph.nodes})
        self._set_untracked("_all_layers", graph.layers)
        names = [layer.name for layer in graph.layers]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise ValueError(
                f"The layer names {duplicates} are used by more than one layer of model "
                f"{self.name!r}; every layer in a model needs a unique name because saved "
                "models refer to layers by name. Pass distinct `name=` arguments."
            )
        for layer in graph.layers:
            if not isinstance(layer, (InputLayer, OpLayer)):
                self._tracked_layers.append(layer)
        if not trainable:
            self.trainable = False  # freezes every layer of the graph, as in Keras
        # The model's own node, as in Keras's configs: calls of the model as a layer count
        # from 1 there (summaries, which read Keras's call history, count them from 0).
        CallNode(self, inputs, (), {}, outputs).is_model_own = True
        self.built = True
        from kerasx.layers.layer import _SCOPE

        object.__setattr__(self, "_path", "/".join(_SCOPE.get() + (self.name,)))

    # -- structure -------------------------------------------------------------------------
    @property
    def layers(self):
        """The model's layers; operation nodes (`x * 2`, `kerasx.ops.*` calls) are not layers
        (as in Keras: they are in `operations`)."""
        return [layer for layer in self._all_layers if not isinstance(layer, OpLayer)]

    @layers.setter
    def layers(self, value):
        Model.layers.fset(self, value)  # refused, as in Keras

    @property
    def operations(self):
        """Every node of the graph: the layers and the recorded `kerasx.ops` calls."""
        return list(self._all_layers)

    @property
    def inputs(self):
        """The input tensors, as a flat list (dicts in sorted key order)."""
        return flatten(self._inputs_struct)

    @property
    def outputs(self):
        """The output tensors, as a flat list (dicts in sorted key order)."""
        return flatten(self._outputs_struct)

    @property
    def input(self):
        """The inputs in the structure given to the constructor."""
        return _as_kind(self.__dict__.get("_inputs_kind"), self._inputs_struct)

    @property
    def output(self):
        """The outputs in the structure given to the constructor."""
        return _as_kind(self.__dict__.get("_outputs_kind"), self._outputs_struct)

    @property
    def input_shape(self):
        shapes = [t.shape for t in self.inputs]
        return shapes[0] if len(shapes) == 1 else shapes

    @property
    def output_shape(self):
        shapes = [t.shape for t in self.outputs]
        return shapes[0] if len(shapes) == 1 else shapes

    def _output_names(self):
        if isinstance(self._outputs_struct, dict):
            if _is_nested_dict(self._outputs_struct):
                return _leaf_paths(self._outputs_struct)  # "b/c": losses name them so
            return sorted(self._outputs_struct)
        return [t.node.layer.name for t in self.outputs]

    @property
    def output_names(self):
        """The names of the layers producing the outputs (for dict outputs, in the order
        of the sorted keys, as Keras 3 lists them; losses and metrics still take the keys)."""
        return [t.node.layer.name for t in self.outputs]

    @property
    def input_names(self):
        if isinstance(self._inputs_struct, dict):
            if _is_nested_dict(self._inputs_struct):
                return _leaf_paths(self._inputs_struct)
            return sorted(self._inputs_struct)
        return [self._input_layer_of(t).name for t in self.inputs]

    def _input_layer_of(self, tensor):
        return self._input_aliases.get(id(tensor), tensor).node.layer

    def _declared_input_shape(self):
        inputs = self.inputs
        return inputs[0].shape if len(inputs) == 1 else None

    # -- running ---------------------------------------------------------------------------
    def build(self, input_shape=None):
        self.built = True

    def _build_for(self, inputs):
        self.built = True

    def __call__(self, *args, **kwargs):
        if args or "inputs" in kwargs:
            check_input_structure(self, args[0] if args else kwargs["inputs"])
        return super().__call__(*args, **kwargs)

    def call(self, inputs, training=None, mask=None):
        """Runs the graph on `inputs`.

        Args:
            inputs: arrays in the structure of the model's inputs.
            training: whether layers run in training mode (dropout...).
            mask: None, or masks in the structure of the inputs (one for a
                single input, a list or a dict keyed by input name for
                several; None entries leave an input unmasked). Each mask is
                a boolean array with the leading dimensions of its input
                (`(batch, timesteps)` for sequences) and reaches the layers
                that read the input exactly as a `Masking` layer's mask would.
        """
        values = self._standardize_inputs(inputs)
        mismatch = _size_mismatch(self, values)
        if mismatch is None:
            return self._run_masked(values, training, mask)
        try:
            # as Keras, the layers decide: a front end that is the identity at inference
            # lets the model take its output's shape
            return self._run_masked(values, training, mask)
        except (ValueError, TypeError) as error:
            raise input_mismatch_error(mismatch, error) from error

    def _run_masked(self, values, training, mask):
        masked = attach_masks(self.name, self.input_names, values, mask)
        if not masked:
            return self._run_graph(values, training)
        result = None
        try:
            result = self._run_graph(values, training)
        finally:
            restore_masks(masked, result)
        return result

    def _run_graph(self, values, training):
        lookup = {id(t): v for t, v in zip(self.inputs, values)}
        for layer, single, node, out_ids in self._plan():
            if single is not None:  # the common case (or a fused chain): one tensor in
                kwargs = {} if training is None else {"training": training}
                out = layer(lookup[single], **kwargs)
            else:
                kwargs = replace(node.kwargs, lookup)
                if training is not None:
                    kwargs["training"] = training
                out = layer(replace(node.inputs, lookup), *replace(node.args, lookup), **kwargs)
            if len(out_ids) == 1 and not isinstance(out, (list, tuple, dict)):
                lookup[out_ids[0]] = out
                continue
            got = flatten(out)
            if len(got) != len(out_ids):
                raise ValueError(
                    f"Layer {layer.name!r} returned {len(got)} tensor(s) but returned "
                    f"{len(out_ids)} when the model was built; a layer must return the same "
                    "structure on every call."
                )
            lookup.update(zip(out_ids, got))
        result = replace(self._outputs_struct, lookup)
        if isinstance(result, list) and len(result) == 1:
            return result[0]
        return _as_kind(self.__dict__.get("_outputs_kind"), result)

    def _plan(self):
        """Per layer call: (layer, id of its single input or None, node, ids of its outputs)."""
        plan = self.__dict__.get("_call_plan")
        if plan is None:
            plan = []
            for node in self._nodes:
                if node.is_input:
                    continue
                single = (id(node.inputs) if isinstance(node.inputs, KerasTensor)
                          and not node.args and not node.kwargs else None)
                plan.append((node.layer, single, node,
                             tuple(id(t) for t in node.output_tensors())))
            plan = fuse_plan(plan, {id(t) for t in flatten(self._outputs_struct)},
                             _consumer_counts(plan))
            self._set_untracked("_call_plan", plan)
        return plan

    def _standardize_inputs(self, inputs):
        """The call's inputs as a flat list matching `self.inputs`, converted to their dtypes."""
        from kerasx.autodiff.tensor import TensorOps
        flat_in = self.inputs
        names = self.input_names
        if isinstance(inputs, dict) and _is_nested_dict(self._inputs_struct):
            values = flatten(inputs)  # nested as the model's inputs: the same leaf order
        elif isinstance(inputs, dict):
            missing = [n for n in names if n not in inputs]
            if missing:
                raise ValueError(
                    f"Model {self.name!r} expects inputs named {names}; the dict given is "
                    f"missing {missing} (it has keys {sorted(inputs)}). Key each array by the "
                    "`name` of its Input."
                )
            values = [inputs[n] for n in names]
        elif isinstance(inputs, (list, tuple)):
            values = flatten(list(inputs))
        else:
            values = [inputs]
        if len(values) != len(flat_in):
            raise ValueError(
                f"Model {self.name!r} expects {len(flat_in)} input(s) {names} but received "
                f"{len(values)}. Pass a list with one array per input, in this order, or a dict "
                "keyed by input name."
            )
        out = []
        for t, v, n in zip(flat_in, values, names):
            if v is None:
                if not getattr(self._input_layer_of(t), "optional", False):
                    raise ValueError(
                        f"Input {n!r} of model {self.name!r} is not optional, but None was "
                        "passed. Provide an array for it."
                    )
                out.append(v)
                continue
            given = v
            if t.dtype == "string":
                out.append(_adjust_string_rank(v, t))
                continue
            v = _to_tensor(v, t.dtype) if not isinstance(v, TensorOps) else _cast(v, t.dtype)
            v = _adjust_rank(v, t, n, self.name)
            carried = getattr(given, "_keras_mask", None)
            if carried is not None and v is not given:
                v._keras_mask = carried  # a new tensor of ours: the caller's mask goes along
            out.append(v)
        return out

    def compute_output_shape(self, input_shape):
        return self.output_shape

    def get_build_config(self):
        """`{"input_shape": None}`, as Keras writes for a functional model (its inputs,
        not a build shape, define it)."""
        return {"input_shape": None}

    # -- configuration ---------------------------------------------------------------------
    def get_config(self):
        """The graph in Keras 3's format: `layers` (each with its `inbound_nodes`),
        `input_layers` and `output_layers`."""
        from kerasx.saving.serialization import serialize_keras_object

        if not _functional_like_constructor(type(self)):
            # A subclass with its own constructor rebuilds its graph itself (as in Keras).
            return Model.get_config(self)
        kept = self._kept_node_indices()
        calls = self._kept_node_indices(own_node=False)
        layer_configs = []
        for layer in self._all_layers:
            config = layer.serialize() if isinstance(layer, OpLayer) else \
                serialize_keras_object(layer)
            config["name"] = layer.name
            config["inbound_nodes"] = [
                self._serialize_node(node, calls) for node in inbound_nodes(layer)
                if id(node) in self._node_ids and not node.is_input
            ] if not isinstance(layer, InputLayer) else []
            layer_configs.append(config)
        return {
            "name": self.name,
            "trainable": self.trainable,
            "layers": layer_configs,
            # tuples stay tuples (as in Keras), so from_config rebuilds the same structures
            "input_layers": map_structure(self.input, lambda t: self._tensor_ref(t, kept)),
            "output_layers": map_structure(self.output, lambda t: self._tensor_ref(t, kept)),
        }

    def _kept_node_indices(self, own_node=True):
        """Each node's index among its layer's nodes that belong to this model (Keras's
        re-indexing). With `own_node`, nested Functional models keep index 0 for their
        own node, as Keras 3 counts in `input_layers` / `output_layers`; the tensors that
        layer calls read (`inbound_nodes`) count a nested model's calls from 0."""
        kept = {}
        for layer in self._all_layers:
            count = 1 if own_node and isinstance(layer, Functional) else 0
            for node in inbound_nodes(layer):
                if id(node) in self._node_ids:
                    kept[id(node)] = count
                    count += 1
        return kept

    def _tensor_ref(self, tensor, kept):
        tensor = self._input_aliases.get(id(tensor), tensor)
        return [tensor.node.layer.name, kept.get(id(tensor.node), 0), tensor.index]

    def _serialize_node(self, node, kept):
        from kerasx.saving.serialization import serialize_keras_object

        def tensor(t):
            layer, index, position = self._tensor_ref(t, kept)
            return {"class_name": "__keras_tensor__",
                    "config": {"shape": list(t.shape), "dtype": t.dtype,
                               "keras_history": [layer, index, position]}}

        args = [map_structure(node.inputs, tensor)] + [map_structure(a, tensor) for a in node.args]
        kwargs = {k: map_structure(v, tensor) for k, v in node.kwargs.items()}
        return {"args": _serialize_values(args, serialize_keras_object),
                "kwargs": _serialize_values(kwargs, serialize_keras_object)}

    @classmethod
    def from_config(cls, config, custom_objects=None):
        """Rebuilds the graph from `get_config()` output (or a Keras 3 `config.json` entry)."""
        if "layers" not in config:  # a subclass that rebuilds itself from its own arguments
            return cls(**config)
        return functional_from_config(cls, config, custom_objects=custom_objects)


# -- graph analysis ---------------------------------------------------------------------------
_Graph = collections.namedtuple("_Graph", ["nodes", "layers"])


def _as_kind(kind, items):
    """The list `items` as the tuple or namedtuple type `kind` (None: left a list)."""
    if kind is None:
        return items
    return kind(*items) if hasattr(kind, "_fields") else kind(items)


def _map_graph(flat_in, flat_out, aliases):
    """The nodes between inputs and outputs in execution order, and the model's layers in
    Keras's order (by decreasing depth, ties by order of first traversal from the outputs)."""
    input_ids = {id(t) for t in flat_in}

    def source(tensor):  # the node producing `tensor` inside this model
        clone = aliases.get(id(tensor))
        return clone.node if clone is not None else tensor.node

    finished, active = set(), set()
    ordered, first_seen = [], {}

    def visit(tensor, consumer):
        node = source(tensor)
        if node is None:
            raise ValueError(f"The tensor {tensor!r} was not produced by a layer call.")
        if id(node) in finished:
            return
        if id(node) in active:
            raise ValueError(f"The layer graph has a cycle through layer {node.layer.name!r}.")
        if node.is_input and id(tensor) not in input_ids:
            used_by = f" (used by layer {consumer!r})" if consumer else ""
            raise ValueError(
                f"Graph disconnected: the outputs depend on Input {tensor.name!r}{used_by}, "
                f"which is not one of the model's inputs {[t.name for t in flat_in]}. Pass "
                "every Input the outputs are computed from in `inputs`."
            )
        first_seen.setdefault(id(node.layer), len(first_seen))
        active.add(id(node))
        for t in node.input_tensors():
            visit(t, node.layer.name)
        active.discard(id(node))
        finished.add(id(node))
        ordered.append(node)

    for t in flat_out:
        visit(t, None)
    for t in flat_in:  # inputs no output depends on still belong to the model (Keras)
        node = source(t)
        if id(node) not in finished:
            finished.add(id(node))
            first_seen[id(node.layer)] = -1
            ordered.insert(0, node)

    depth_of_node, depth_of_layer = {}, {}
    for node in reversed(ordered):
        depth = max(depth_of_node.setdefault(id(node), 0), depth_of_layer.get(id(node.layer), 0))
        depth_of_layer[id(node.layer)] = depth
        depth_of_node[id(node)] = depth
        for t in node.input_tensors():
            parent = source(t)
            depth_of_node[id(parent)] = max(depth + 1, depth_of_node.get(id(parent), 0))
    layers = list({id(n.layer): n.layer for n in ordered}.values())
    layers.sort(key=lambda l: (-depth_of_layer[id(l)], first_seen[id(l)]))
    _check_computable(flat_in, ordered)
    return _Graph(ordered, layers)


def _consumer_counts(plan):
    """How many call steps read each symbolic tensor (by id)."""
    counts = collections.Counter()
    for _, single, node, _ in plan:
        if single is not None:
            counts[single] += 1
            continue
        for value in flatten([node.inputs, list(node.args), node.kwargs]):
            if isinstance(value, KerasTensor):
                counts[id(value)] += 1
    return counts


def _check_computable(flat_in, ordered):
    known = {id(t) for t in flat_in}
    for node in ordered:
        if node.is_input:
            known.update(id(t) for t in node.output_tensors())
            continue
        for t in node.input_tensors():
            if id(t) not in known:
                raise ValueError(
                    f"Graph disconnected: layer {node.layer.name!r} needs tensor {t.name!r}, "
                    "which cannot be computed from the model's inputs. Add the Input it comes "
                    "from to `inputs`."
                )
        known.update(id(t) for t in node.output_tensors())


def _clone_intermediate_inputs(flat_in):
    """New Input layers standing for inputs that are intermediate tensors (Keras's clones)."""
    aliases = {}
    for t in flat_in:
        if not t.node.is_input:
            layer = InputLayer(batch_shape=t.shape, dtype=t.dtype, sparse=t.sparse,
                               name=f"{t.name}CLONE")
            aliases[id(t)] = layer.output
    return aliases


def _functional_like_constructor(cls):
    """Whether `cls(inputs=..., outputs=..., name=..., trainable=...)` rebuilds the model."""
    import inspect

    init = inspect.getfullargspec(cls.__init__)
    if init.args[1:] == inspect.getfullargspec(Functional.__init__).args[1:]:
        return True
    return init.varargs is not None and init.varkw is not None


def _is_nested_dict(struct):
    """Whether a dict of inputs holds further dicts or lists (`{"1": x, "others": {...}}`)."""
    return isinstance(struct, dict) and any(isinstance(v, (dict, list, tuple))
                                            for v in struct.values())


def _leaf_paths(struct, prefix=""):
    """"/"-joined key paths of a nested structure's leaves, in `flatten`'s order."""
    if isinstance(struct, dict):
        items = [(str(k), struct[k]) for k in sorted(struct)]
    elif isinstance(struct, (list, tuple)):
        items = [(str(i), v) for i, v in enumerate(struct)]
    else:
        return [prefix]
    return [path for key, value in items
            for path in _leaf_paths(value, f"{prefix}/{key}" if prefix else key)]


def _warn_dict_key_names(inputs):
    """Keras's warning for a dict of inputs whose keys are not the names of their `Input`s
    (the model is then called with the keys; the tensors' names go unused)."""
    if not isinstance(inputs, dict):
        return
    import warnings

    for key, tensor in inputs.items():
        name = getattr(tensor, "name", None)
        if isinstance(tensor, KerasTensor) and name != key:
            warnings.warn(
                "When providing `inputs` as a dict, all keys in the dict must match the names "
                f"of the corresponding tensors. Received key {key!r} mapping to a tensor which "
                f"has name {name!r}. Change the tensor name to {key!r} (via "
                f"`Input(..., name={key!r})`)", stacklevel=3)


def _check_structure(structure, what):
    leaves = flatten(structure)
    if not leaves and what == "inputs":
        raise ValueError("Model(inputs, outputs) needs at least one input; received inputs=[].")
    for leaf in leaves:
        if not isinstance(leaf, KerasTensor):
            raise ValueError(
                f"Model(inputs, outputs) expects symbolic tensors (from kerasx.Input and layer "
                f"calls) in `{what}`, but received {type(leaf).__name__}: {leaf!r}. Build the "
                "graph by calling layers on kerasx.Input(...) tensors."
            )


def _serialize_values(value, serialize):
    if isinstance(value, dict) and value.get("class_name") == "__keras_tensor__":
        return value
    if isinstance(value, (list, tuple)):
        return [_serialize_values(v, serialize) for v in value]
    if isinstance(value, dict):
        return {k: _serialize_values(v, serialize) for k, v in value.items()}
    return serialize(value)


def _to_tensor(value, dtype):
    from kerasx.autodiff.tensor import Tensor
    from kerasx.backends import current

    backend = current()
    array = backend.asarray(value)
    if backend.dtype(dtype) != array.dtype:
        array = backend.xp.astype(array, backend.dtype(dtype))
    return Tensor(array)


def _cast(tensor, dtype):
    from kerasx import ops

    return tensor if tensor.dtype == dtype else ops.cast(tensor, dtype)


def attach_masks(model_name, names, values, mask):
    """Attaches the masks of a model call to its input tensors (`values`, a flat list;
    an input that cannot carry a mask, a Variable, is replaced by a Tensor of it).

    Returns what `restore_masks` needs to give each input tensor its previous
    mask back once the call is over (an input tensor may be the caller's own).
    """
    if mask is None:
        return []
    from kerasx.autodiff.tensor import Tensor

    masks = _flat_masks(model_name, names, mask)
    if len(masks) != len(values):
        raise ValueError(
            f"Model {model_name!r} has {len(values)} input(s) {names} but received "
            f"{len(masks)} mask(s). Pass `mask` in the structure of the inputs: one mask for "
            "one input, a list with one entry per input (None for an input without a mask), "
            "or a dict keyed by input name."
        )
    attached = []
    for i, (value, m, name) in enumerate(zip(values, masks, names)):
        if m is None:
            continue
        if value is None:
            raise ValueError(
                f"A mask was given for input {name!r} of model {model_name!r}, but the input "
                "itself is None. Pass None as its mask too."
            )
        m = _to_mask(m, value, name, model_name)
        if not isinstance(value, Tensor):
            value = values[i] = _tensor_view(value)
        attached.append((value, value._keras_mask))
        value._keras_mask = m
    return attached


def _tensor_view(variable):
    """A Tensor holding `variable`'s value, through which gradients reach the variable."""
    from kerasx.autodiff.tape import record, tracked
    from kerasx.autodiff.tensor import Tensor

    if tracked(variable):
        return record(variable.value, (variable,), lambda g: (g,))
    return Tensor(variable.value)


def restore_masks(attached, outputs=None):
    """Undoes `attach_masks`, except on a tensor the call returns (its mask is the output's)."""
    if not attached:
        return
    returned = {id(t) for t in flatten(outputs)} if outputs is not None else set()
    for tensor, previous in attached:
        if id(tensor) not in returned:
            tensor._keras_mask = previous


def _flat_masks(model_name, names, mask):
    if isinstance(mask, dict):
        unknown = sorted(set(mask) - set(names))
        if unknown:
            raise ValueError(
                f"Model {model_name!r} received masks for {unknown}, which are not among its "
                f"input names {names}. Key each mask by the `name` of its Input."
            )
        return [mask.get(n) for n in names]
    if isinstance(mask, (list, tuple)) and all(m is None or hasattr(m, "shape") or
                                               isinstance(m, (list, tuple, dict)) and
                                               _is_mask_structure(m) for m in mask):
        return flatten(list(mask))
    return [mask]  # one mask, possibly written as nested Python lists of booleans


def _is_mask_structure(value):
    items = value.values() if isinstance(value, dict) else value
    return all(m is None or hasattr(m, "shape") for m in items)


def _to_mask(mask, value, name, model_name):
    """`mask` as a boolean Tensor on the backend, checked against its input `value`."""
    from kerasx.autodiff.tensor import Tensor, TensorOps

    if isinstance(mask, TensorOps):
        tensor = mask if mask.dtype == "bool" else _cast(mask, "bool")
    elif hasattr(mask, "shape") or isinstance(mask, (list, tuple)):
        tensor = _to_tensor(mask, "bool")
    else:
        raise TypeError(
            f"The mask for input {name!r} of model {model_name!r} must be a boolean array, but "
            f"received {type(mask).__name__}: {mask!r}. Pass an array of shape (batch, "
            "timesteps) with True for the steps to keep."
        )
    got, want = tuple(tensor.shape), tuple(value.shape)
    if not 1 <= len(got) <= len(want) or got != want[:len(got)]:
        raise ValueError(
            f"The mask for input {name!r} of model {model_name!r} has shape {got}, which does "
            f"not match the input's shape {want}: a mask has the input's leading dimensions "
            f"(e.g. {want[:2]} for this input). Pass one boolean per batch entry and timestep."
        )
    return tensor if isinstance(tensor, Tensor) else Tensor(tensor.value)


def _size_mismatch(model, values):
    """The message for the first input whose sizes after the batch axis differ from its
    Input's, or None. (As in Keras, an Input's static batch size is not enforced:
    `Input(shape, batch_size=128)` still predicts on a batch of 4.)"""
    for tensor, value, name in zip(model.inputs, values, model.input_names):
        if value is None or tensor.dtype == "string":
            continue
        mismatch = input_size_mismatch(model.name, name, tuple(tensor.shape), tuple(value.shape))
        if mismatch is not None:
            return mismatch
    return None


def input_size_mismatch(model_name, input_name, want, got):
    """The message for an input of shape `got` whose sizes after the batch axis differ
    from its Input's `want`, or None."""
    if any(w is not None and g != w for g, w in zip(got[1:], want[1:])):
        # any batch size runs (a model built by its first batch keeps that batch's size)
        shown = (None,) + tuple(want[1:]) if want else want
        return (f"Input {input_name!r} of model {model_name!r} is incompatible with the model: "
                f"expected shape {shown}, found shape {got}. The data's dimensions after the "
                "batch axis must match the Input's shape")
    return None


def input_mismatch_error(mismatch, error):
    """The error for a model whose layers failed on an input of the wrong size: the
    model's input is what to fix, so no layer adds its call context to it."""
    return mark_context_given(ValueError(f"{mismatch} ({failure_detail(error)})"))


def _adjust_rank(value, expected, name, model_name):
    """Squeezes or adds a trailing axis of size 1 when that is the only difference (as Keras)."""
    from kerasx import ops

    want = expected.shape
    got = tuple(value.shape)
    if len(got) == len(want) + 1 and got[-1] == 1:
        value, got = ops.squeeze(value, axis=-1), got[:-1]
    elif len(got) == len(want) - 1 and want[-1] == 1:
        value, got = ops.expand_dims(value, axis=-1), got + (1,)
    if len(got) != len(want):
        raise ValueError(
            f"Input {name!r} of model {model_name!r} is incompatible with the model: expected "
            f"shape {want}, found shape {got}. The data's dimensions after the batch axis must "
            "match the Input's shape."
        )
    return value


def _adjust_string_rank(value, expected):
    """`_adjust_rank` for host string arrays (a string column of shape (n,) for an
    `Input(shape=(1,), dtype="string")` becomes (n, 1))."""
    from kerasx.backends import host

    if isinstance(value, (list, tuple)):
        value = host.to_host(value)
    if not host.is_string_array(value):
        return value
    shape, want = tuple(value.shape), expected.shape
    if len(shape) == len(want) - 1 and want[-1] == 1:
        return value.reshape(shape + (1,))
    if len(shape) == len(want) + 1 and shape[-1] == 1:
        return value.reshape(shape[:-1])
    return value


# -- rebuilding from a config -----------------------------------------------------------------
def functional_from_config(cls, config, custom_objects=None):
    """A `cls` model (Functional or a subclass) rebuilt from a Keras 3 functional config
    (or a Keras 2 one, from a legacy `.h5` file)."""
    from kerasx.legacy.saving.serialization import upgrade_layer_entry
    from kerasx.saving.serialization import deserialize_keras_object

    config = dict(config)
    created = {}
    pending = []
    for layer_data in config.pop("layers"):
        if is_op_entry(layer_data):
            layer = OpLayer.from_serialized(layer_data)
        else:
            layer = deserialize_keras_object(upgrade_layer_entry(layer_data),
                                             custom_objects=custom_objects)
        name = layer_data.get("name") or layer_data.get("config", {}).get("name")
        created[name] = layer
        pending.append((layer, list(layer_data.get("inbound_nodes") or [])))

    call_offset = _nested_call_offset(pending, created)

    def lookup(ref, in_call=False):
        layer_name, node_index, tensor_index = ref[0], ref[1], ref[2]
        if layer_name not in created:
            raise ValueError(
                f"The config refers to layer {layer_name!r}, which is not among its layers "
                f"{sorted(created)}."
            )
        nodes = inbound_nodes(created[layer_name])
        if in_call and isinstance(created[layer_name], Functional):
            node_index += call_offset  # past the nested model's own node
        if node_index >= len(nodes):
            raise IndexError(layer_name)
        return nodes[node_index].output_tensors()[tensor_index]

    # Nodes wait until every tensor they read exists (a shared layer may be called at
    # different depths), so sweep the layers until all their calls are made.
    while any(nodes for _, nodes in pending):
        progressed = False
        for layer, nodes in pending:
            while nodes:
                try:
                    args, kwargs = _deserialize_node(nodes[0], lookup)
                except IndexError:
                    break
                layer(*args, **kwargs)
                nodes.pop(0)
                progressed = True
        if not progressed:
            raise ValueError("The model config's layer calls refer to each other in a cycle.")

    def tensors(spec):
        if isinstance(spec, list) and len(spec) == 3 and isinstance(spec[0], str):
            return lookup(spec)
        if isinstance(spec, dict):
            return {k: tensors(v) for k, v in spec.items()}
        if isinstance(spec, tuple):
            return tuple(tensors(s) for s in spec)
        return [tensors(s) for s in spec]

    inputs = tensors(config.pop("input_layers"))
    outputs = tensors(config.pop("output_layers"))
    name = config.pop("name", None)
    trainable = config.pop("trainable", True)
    config.pop("dtype", None)
    if cls is Model:
        cls = Functional
    return cls(inputs=inputs, outputs=outputs, name=name, trainable=trainable, **config)


def _nested_call_offset(pending, created):
    """How far the layer calls of a Keras 3 config (dict entries) refer past the own node
    of a nested Functional model: 1, as Keras 3 counts that model's calls from 0; 0 for
    configs written by earlier kerasx versions, which counted them from 1 (seen when a
    reference reaches past the model's recorded calls)."""
    calls = {}
    for layer, nodes in pending:
        if isinstance(layer, Functional):
            calls[layer.name] = sum(isinstance(n, dict) for n in nodes)
    if not calls:
        return 1
    highest = {}

    def scan(value):
        if isinstance(value, dict) and value.get("class_name") == "__keras_tensor__":
            name, index = value["config"]["keras_history"][:2]
            if name in calls:
                highest[name] = max(highest.get(name, -1), index)
        elif isinstance(value, dict):
            for v in value.values():
                scan(v)
        elif isinstance(value, (list, tuple)):
            for v in value:
                scan(v)

    for _, nodes in pending:
        scan([n for n in nodes if isinstance(n, dict)])
    return 0 if any(i >= calls[name] for name, i in highest.items()) else 1


def _deserialize_node(node_data, lookup):
    from kerasx.saving.serialization import deserialize_keras_object

    if isinstance(node_data, list):  # Keras 2 style: [[layer, node, tensor, kwargs], ...]
        tensors = [lookup(ref) for ref in node_data]
        kwargs = node_data[0][3] if node_data and len(node_data[0]) > 3 else {}
        return [tensors[0] if len(tensors) == 1 else tensors], dict(kwargs or {})

    def revive(value):
        if isinstance(value, dict) and value.get("class_name") == "__keras_tensor__":
            return lookup(value["config"]["keras_history"], in_call=True)
        if isinstance(value, dict) and "class_name" in value:
            return deserialize_keras_object(value)
        if isinstance(value, (list, tuple)):
            return [revive(v) for v in value]
        if isinstance(value, dict):
            return {k: revive(v) for k, v in value.items()}
        return value

    args = revive(node_data.get("args", []))
    kwargs = revive(node_data.get("kwargs", {}))
    return args, kwargs
