"""`Functional`: a model defined by calling layers on symbolic `Input` tensors."""

from kerasx.layers.core._call_node import CallNode, inbound_nodes
from kerasx.layers.core._nested_structure import flatten, map_structure, replace
from kerasx.layers.core.input_layer import InputLayer
from kerasx.layers.core.keras_tensor import KerasTensor
from kerasx.layers.core.op_layer import OpLayer
from kerasx.models._functional_inputs import (adjust_rank, adjust_string_rank, cast,
                                              input_mismatch_error, size_mismatch, to_tensor)
from kerasx.models._functional_masks import attach_masks, restore_masks
from kerasx.models._functional_structure import (as_kind, check_structure, is_nested_dict,
                                                 leaf_paths, warn_dict_key_names)
from kerasx.models._graph_plan import clone_intermediate_inputs, consumer_counts, map_graph
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
        check_structure(inputs, "inputs")
        check_structure(outputs, "outputs")
        warn_dict_key_names(inputs)
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
        self._set_untracked("_input_aliases", clone_intermediate_inputs(flat_in))
        graph = map_graph(flat_in, flat_out, self._input_aliases)
        self._set_untracked("_nodes", graph.nodes)
        self._set_untracked("_execution_nodes", graph.execution)
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
        from kerasx.layers._layer_scopes import _SCOPE

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
        return as_kind(self.__dict__.get("_inputs_kind"), self._inputs_struct)

    @property
    def output(self):
        """The outputs in the structure given to the constructor."""
        return as_kind(self.__dict__.get("_outputs_kind"), self._outputs_struct)

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
            if is_nested_dict(self._outputs_struct):
                return leaf_paths(self._outputs_struct)  # "b/c": losses name them so
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
            if is_nested_dict(self._inputs_struct):
                return leaf_paths(self._inputs_struct)
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
        mismatch = size_mismatch(self, values)
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
        return as_kind(self.__dict__.get("_outputs_kind"), result)

    def _plan(self):
        """Per layer call: (layer, id of its single input or None, node, ids of its outputs)."""
        plan = self.__dict__.get("_call_plan")
        if plan is None:
            plan = []
            for node in self._execution_nodes:
                if node.is_input:
                    continue
                single = (id(node.inputs) if isinstance(node.inputs, KerasTensor)
                          and not node.args and not node.kwargs else None)
                plan.append((node.layer, single, node,
                             tuple(id(t) for t in node.output_tensors())))
            plan = fuse_plan(plan, {id(t) for t in flatten(self._outputs_struct)},
                             consumer_counts(plan))
            self._set_untracked("_call_plan", plan)
        return plan

    def _standardize_inputs(self, inputs):
        """The call's inputs as a flat list matching `self.inputs`, converted to their dtypes."""
        from kerasx.autodiff.tensor import TensorOps
        flat_in = self.inputs
        names = self.input_names
        if isinstance(inputs, dict) and is_nested_dict(self._inputs_struct):
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
                out.append(adjust_string_rank(v, t))
                continue
            v = to_tensor(v, t.dtype) if not isinstance(v, TensorOps) else cast(v, t.dtype)
            v = adjust_rank(v, t, n, self.name)
            carried = getattr(given, "_keras_mask", None)
            if carried is not None and v is not given:
                v._keras_mask = carried  # a new tensor of ours: the caller's mask goes along
            out.append(v)
        return out

    def compute_output_shape(self, input_shape):
        """The output shapes for `input_shape` (shapes in the structure of the inputs), in
        the structure of the outputs (as Keras: a one-output list gives a list)."""
        from kerasx.layers.layer import DECLARED_ONLY

        shapes = _flat_shapes(input_shape)
        if len(shapes) != len(self.inputs):
            raise ValueError(f"Model {self.name!r} has {len(self.inputs)} input(s); received "
                             f"input_shape={input_shape!r}.")
        if shapes == [tuple(t.shape) for t in self.inputs]:
            if DECLARED_ONLY[0]:  # a shape probe compares it with its call's outputs
                return self.output_shape
            return map_structure(self.output, lambda t: tuple(t.shape))
        if DECLARED_ONLY[0]:
            raise NotImplementedError(f"Model {self.name!r} runs its layers to tell the "
                                      "output shape for other input shapes")
        specs = {id(t): KerasTensor(s, t.dtype) for s, t in zip(shapes, self.inputs)}
        probe = as_kind(self.__dict__.get("_inputs_kind"), replace(self._inputs_struct, specs))
        out = flatten(self.compute_output_spec(probe))
        found = {id(t): tuple(o.shape) for t, o in zip(self.outputs, out)}
        return map_structure(self.output, lambda t: found[id(t)])

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
        from kerasx.models.functional_config import functional_from_config

        return functional_from_config(cls, config, custom_objects=custom_objects)


def _functional_like_constructor(cls):
    """Whether `cls(inputs=..., outputs=..., name=..., trainable=...)` rebuilds the model."""
    import inspect

    init = inspect.getfullargspec(cls.__init__)
    if init.args[1:] == inspect.getfullargspec(Functional.__init__).args[1:]:
        return True
    return init.varargs is not None and init.varkw is not None


def _serialize_values(value, serialize):
    if isinstance(value, dict) and value.get("class_name") == "__keras_tensor__":
        return value
    if isinstance(value, (list, tuple)):
        return [_serialize_values(v, serialize) for v in value]
    if isinstance(value, dict):
        return {k: _serialize_values(v, serialize) for k, v in value.items()}
    return serialize(value)


def _flat_shapes(shapes):
    """The shapes in a structure of shapes (tuples or lists of sizes), dicts in sorted key
    order (the order of `Functional.inputs`)."""
    if isinstance(shapes, dict):
        return [s for k in sorted(shapes) for s in _flat_shapes(shapes[k])]
    if isinstance(shapes, (list, tuple)):
        if all(d is None or hasattr(d, "__index__") for d in shapes):
            return [tuple(None if d is None else int(d) for d in shapes)]
        return [s for item in shapes for s in _flat_shapes(item)]
    raise ValueError(f"Expected shapes (tuples of sizes), received {shapes!r}.")
