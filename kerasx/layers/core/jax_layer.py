"""`JaxLayer` and `FlaxLayer`: a JAX function or a Flax module as a kerasx layer.

Keras offers them on its JAX and TensorFlow backends; kerasx runs them on every
backend. A call converts the inputs and the layer's variables to JAX arrays (DLPack
on CuPy when JAX has the GPU, a copy otherwise), runs the function compiled with
`jax.jit` (each `training` value, input structure and set of differentiated arguments
compiled once; the function as given when it cannot be traced), and becomes one node
of the kerasx tape whose gradients come from `jax.vjp`. Under `jit_compile`, the steps
that call such a layer run eagerly (JAX's work is invisible to kerasx's step recorder).
"""

__all__ = ["FlaxLayer", "JaxLayer"]

import inspect

from kerasx.autodiff.tape import is_recording, record, record_multi
from kerasx.autodiff.tensor import TensorOps, Tensor
from kerasx.autodiff.variable import Variable
from kerasx.backends import current
from kerasx.layers.core._jax_bridge import from_jax, import_jax, is_float_dtype, to_jax
from kerasx.layers.layer import Layer

_CALL_ARGUMENTS = {"params", "state", "rng", "inputs", "training"}
_INIT_ARGUMENTS = {"rng", "inputs", "training"}


class JaxLayer(Layer):
    """Wraps a JAX model given as functions, with Keras's conventions.

    `call_fn` takes arguments with these exact names, in any order: `params`
    (trainable parameters, a pytree), `state` (non-trainable state; then `call_fn`
    returns `(outputs, new_state)`), `rng` (a `jax.random` key, in training only),
    `inputs` (required: an array or a pytree of arrays) and `training`. Parameters come
    from `params` / `state`, or from `init_fn(rng, inputs[, training])` at build time,
    which then returns `params` or `(params, state)`. Each array leaf becomes a
    variable of the layer (float leaves in the layer's dtype), trainable in `params`;
    other leaves stay configuration passed to the function as they are.

        def init(rng, inputs):
            return {"w": jax.random.normal(rng, (inputs.shape[-1], 4)), "b": jnp.zeros(4)}

        def call(params, inputs):
            return jax.nn.relu(inputs @ params["w"] + params["b"])

        layer = kerasx.layers.JaxLayer(call, init)

    Args:
        call_fn: the model's function (see above).
        init_fn: builds `params` (and `state`) from a key and ones shaped like the inputs.
        params: a pytree of initial trainable parameters.
        state: a pytree of initial non-trainable state.
        seed: seed of the layer's `SeedGenerator`, which gives the keys of `rng`.
        native_serialization_platforms: kept in the config for Keras's TensorFlow path;
            unused here.
    """

    def __init__(self, call_fn, init_fn=None, params=None, state=None, seed=None,
                 native_serialization_platforms=None, **kwargs):
        self._jax = import_jax()
        super().__init__(**kwargs)
        self._set_untracked("call_fn", call_fn)
        self._set_untracked("init_fn", init_fn)
        self._set_untracked("params", None)
        self._set_untracked("state", None)
        self._set_untracked("_compiled", {})
        self.tracked_params = self._create_variables(params, trainable=True)
        self.tracked_state = self._create_variables(state, trainable=False)
        if self.params is not None or self.state is not None:
            self.built = True
        self.call_fn_arguments = _validate_signature(call_fn, "call_fn", _CALL_ARGUMENTS,
                                                     {"inputs"})
        self.call_fn_has_params = "params" in self.call_fn_arguments
        self.call_fn_has_state = "state" in self.call_fn_arguments
        if "rng" in self.call_fn_arguments:
            from kerasx.random import SeedGenerator

            self.seed_generator = SeedGenerator(seed)
        else:
            self.seed_generator = None
        if init_fn is None and params is None and state is None and (
                self.call_fn_has_params or self.call_fn_has_state):
            raise ValueError("`init_fn`, `params` and `state` cannot all be `None` when "
                             "`call_fn` takes a `params` or a `state` argument.")
        if init_fn is not None:
            self.init_fn_arguments = _validate_signature(init_fn, "init_fn", _INIT_ARGUMENTS,
                                                         {"inputs"})
        self.jax2tf_native_serialization_platforms = native_serialization_platforms

    # -- variables ----------------------------------------------------------------------
    def _create_variables(self, values, trainable):
        """Variables for the array (and bool / int / float) leaves of the pytree
        `values`, stored as `self.params` or `self.state`; returns them flat."""
        from kerasx.backend import standardize_dtype

        jax, backend = self._jax, current()

        def create(value):
            if isinstance(value, jax.Array):
                array = from_jax(value)
            elif isinstance(value, TensorOps) or backend.is_native(value) or (
                    hasattr(value, "shape") and hasattr(value, "dtype")):
                array = backend.asarray(value.value if isinstance(value, TensorOps) else value)
            elif isinstance(value, (bool, int, float)):
                dtype = standardize_dtype(type(value))
                array = backend.asarray(value, dtype=dtype)
            else:
                return value
            dtype = standardize_dtype(array.dtype)
            return self.add_weight(tuple(array.shape), initializer=array,
                                   dtype=None if is_float_dtype(dtype) else dtype,
                                   trainable=trainable)

        variables = jax.tree_util.tree_map(create, values)
        self._set_untracked("params" if trainable else "state", variables)
        return [v for v in jax.tree_util.tree_leaves(variables) if isinstance(v, Variable)]

    def build(self, input_shape):
        if self.params is None and self.state is None and (
                self.call_fn_has_params or self.call_fn_has_state):
            self._initialize_weights(input_shape)
        self.built = True

    def _initialize_weights(self, input_shape):
        from kerasx.tree import map_shape_structure

        jnp = self._jax.numpy
        inputs = map_shape_structure(
            lambda shape: jnp.ones([1 if d is None else d for d in shape]), input_shape)
        args = {"rng": self._get_init_rng(), "inputs": inputs, "training": True}
        result = self.init_fn(*[args[name] for name in self.init_fn_arguments])
        params, state = result if self.call_fn_has_state else (result, None)
        self.tracked_params = self._create_variables(params, trainable=True)
        self.tracked_state = self._create_variables(state, trainable=False)

    # -- random keys (Keras's overridable hooks) -------------------------------------------
    def _get_init_seed(self):
        """A key from the global generator (`kerasx.utils.set_random_seed` seeds it)."""
        from kerasx import random

        seed = random.randint((2,), 0, 2 ** 31 - 1, dtype="int32")
        return self._key(current().to_numpy(seed.value).tolist())

    def _get_init_rng(self):
        """The `rng` of `init_fn`: one key by default."""
        return self._get_init_seed()

    def _get_call_seed(self):
        """The next key of the layer's `SeedGenerator`."""
        return self._key(self.seed_generator.next())

    def _get_call_rng(self, training):
        """The `rng` of `call_fn`: a key in training, None in inference."""
        return self._get_call_seed() if training else None

    def _key(self, pair):
        jnp = self._jax.numpy
        return jnp.asarray([int(pair[0]) % 2 ** 32, int(pair[1]) % 2 ** 32], dtype=jnp.uint32)

    # -- the call -----------------------------------------------------------------------
    def call(self, inputs, training=False):
        jax = self._jax
        recording = is_recording()
        in_leaves, in_tree = jax.tree_util.tree_flatten(inputs)
        p_leaves, p_tree = jax.tree_util.tree_flatten(self.params)
        s_leaves, s_tree = jax.tree_util.tree_flatten(self.state)

        def wants(x):
            return recording and getattr(x, "tracked", False) and is_float_dtype(_value(x).dtype)

        in_diff = tuple(_is_array(x) and wants(x) for x in in_leaves)
        p_diff = tuple(isinstance(v, Variable) and wants(v) for v in p_leaves)
        diff, sources = [], []
        consts = []
        for leaves, marks in ((in_leaves, in_diff), (p_leaves, p_diff)):
            for x, d in zip(leaves, marks):
                if d:
                    diff.append(to_jax(_value(x)))
                    sources.append(x)
                elif _is_array(x):
                    consts.append(to_jax(_value(x)))
        states = [to_jax(v.value) for v in s_leaves if isinstance(v, Variable)]
        rng = self._get_call_rng(training) if self.seed_generator is not None else None
        key = (bool(training), in_tree, p_tree, s_tree, in_diff, p_diff,
               tuple(_is_array(x) for x in in_leaves), tuple(_static(p_leaves)),
               tuple(_static(s_leaves)))
        fns = self._compiled.get(key)
        if fns is None:
            fns = self._compiled[key] = _Compiled(self, key, in_leaves, p_leaves, s_leaves)
        floats, others, new_state, vjp = fns.forward(tuple(diff), tuple(consts), tuple(states),
                                                     rng)
        if self.call_fn_has_state:
            self._assign_state(s_leaves, new_state)
        values = [from_jax(o) for o in floats]
        if vjp is None or not values:
            tensors = [Tensor(v) for v in values]
        elif len(values) == 1:
            tensors = [record(values[0], sources, _tape_vjp(fns, vjp, floats, False))]
        else:
            tensors = list(record_multi(values, sources, _tape_vjp(fns, vjp, floats, True)))
        return fns.rebuild(tensors, [Tensor(from_jax(o)) for o in others])

    def compute_output_spec(self, inputs, training=False):
        """The outputs' KerasTensors from `jax.eval_shape` (tracing `call_fn` twice, with
        1 and 2 for the unknown sizes, which are unknown where the two differ), so that a
        symbolic call compiles nothing; the call's keys are not drawn (as in Keras)."""
        from kerasx.backend import standardize_dtype
        from kerasx.layers.core.keras_tensor import KerasTensor
        from kerasx.tree import map_structure

        jax = self._jax
        if not self.built:
            self.build(map_structure(lambda t: tuple(t.shape), inputs))
        draws = None if self.seed_generator is None else self.seed_generator.draws
        rng = self._get_call_rng(training) if self.seed_generator is not None else None
        if draws is not None:
            self.seed_generator.draws = draws

        def struct(shape, dtype, fill):
            return jax.ShapeDtypeStruct(tuple(fill if d is None else d for d in shape),
                                        jax.numpy.dtype(standardize_dtype(dtype)))

        def unwrap(tree, fill):
            return jax.tree_util.tree_map(
                lambda v: struct(v.shape, v.dtype, fill) if isinstance(v, Variable) else v,
                tree)

        def outputs(fill):
            args = {"params": unwrap(self.params, fill), "state": unwrap(self.state, fill),
                    "rng": rng, "training": bool(training),
                    "inputs": map_structure(lambda t: struct(t.shape, t.dtype, fill), inputs)}
            names = self.call_fn_arguments
            arrays = [n for n in names if n in ("params", "state", "rng", "inputs")]

            def run(*values):
                given = dict(zip(arrays, values))
                result = self.call_fn(*[given.get(n, args[n]) for n in names])
                return result[0] if self.call_fn_has_state else result

            return jax.eval_shape(run, *[args[n] for n in arrays])

        first, second = outputs(1), outputs(2)
        return jax.tree_util.tree_map(
            lambda a, b: KerasTensor(tuple(x if x == y else None
                                           for x, y in zip(a.shape, b.shape)),
                                     standardize_dtype(a.dtype)), first, second)

    def _assign_state(self, leaves, new_state):
        jax = self._jax
        new_leaves, new_tree = jax.tree_util.tree_flatten(new_state)
        variables = [v for v in leaves if isinstance(v, Variable)]
        if len(new_leaves) != len(variables):
            raise ValueError(
                f"Layer {self.name!r}: the state `call_fn` returned has {len(new_leaves)} "
                f"arrays ({new_tree}) but the state at initialization has {len(variables)}; "
                "return the new state in the structure of the initial one.")
        for variable, value in zip(variables, new_leaves):
            variable.assign(from_jax(value))

    # -- configuration ------------------------------------------------------------------
    def get_config(self):
        from kerasx.saving.serialization import serialize_keras_object

        return {**super().get_config(),
                "call_fn": serialize_keras_object(self.call_fn),
                "init_fn": serialize_keras_object(self.init_fn),
                "native_serialization_platforms": self.jax2tf_native_serialization_platforms}

    @classmethod
    def from_config(cls, config, custom_objects=None):
        from kerasx.saving.serialization import deserialize_keras_object

        config = dict(config)
        for name in ("call_fn", "init_fn"):
            config[name] = deserialize_keras_object(config.get(name),
                                                    custom_objects=custom_objects)
        return cls(**config)


class FlaxLayer(JaxLayer):
    """Wraps a `flax.linen.Module`, as Keras's `FlaxLayer`.

    `method` (default `module.__call__`) takes `inputs` and optionally `training`; a
    function outside the module takes the module first. The "params" collection
    holds the trainable variables, every other collection (batch statistics...)
    non-trainable ones that calls update. Keys: "params" and "dropout" at
    initialization, "dropout" in training calls.

    Args:
        module: a `flax.linen.Module` instance.
        method: the method (or function) to run, for `init` and `apply`.
        variables: the module's variables as `module.init` returns them; None
            initializes them at build time.
    """

    def __init__(self, module, method=None, variables=None, **kwargs):
        try:
            from flax.linen import DenyList
        except ImportError:
            raise ImportError("FlaxLayer needs Flax, which is not installed. Install it with "
                              "`pip install flax`.") from None
        self._set_untracked("module", module)
        self._set_untracked("method", method)
        mutable = DenyList(["params"])
        takes_training = "training" in inspect.signature(method or module.__call__).parameters

        def call_fn(params, state, rng, inputs, training):
            extra = {"training": training} if takes_training else {}
            return module.apply(_merge(params, state), inputs, rngs=rng, method=method,
                                mutable=mutable, **extra)

        def init_fn(rng, inputs, training):
            extra = {"training": training} if takes_training else {}
            return _split(module.init(rng, inputs, method=method, **extra))

        params, state = _split(variables)
        super().__init__(call_fn=call_fn, init_fn=init_fn, params=params, state=state, **kwargs)

    def _get_init_rng(self):
        return {"params": self._get_init_seed(), "dropout": self._get_init_seed()}

    def _get_call_rng(self, training):
        return {"dropout": self._get_call_seed()} if training else {}

    def get_config(self):
        from kerasx.saving.serialization import serialize_keras_object

        method = self.method
        if getattr(method, "__self__", None) is self.module:
            method = method.__name__  # a bound method is saved by name
        config = super().get_config()
        del config["call_fn"], config["init_fn"]
        return {**config, "module": serialize_keras_object(self.module),
                "method": serialize_keras_object(method)}

    @classmethod
    def from_config(cls, config, custom_objects=None):
        from kerasx.saving.serialization import deserialize_keras_object

        config = dict(config)
        module = deserialize_keras_object(config["module"], custom_objects=custom_objects)
        method = config.get("method")
        if isinstance(method, str):
            method = getattr(module, method)
        elif method is not None:
            method = deserialize_keras_object(method, custom_objects=custom_objects)
        config["module"], config["method"] = module, method
        return cls(**config)


def _merge(params, state):
    """Flax's variables dict from the layer's params and state."""
    return {**(params or {}), **(state or {})}


def _split(variables):
    """`(params, state)` of Flax's variables dict: the "params" collection and the rest."""
    if variables is None:
        return None, None
    if "params" not in variables:
        return {}, dict(variables)
    return ({"params": variables["params"]},
            {k: v for k, v in variables.items() if k != "params"})


class _Compiled:
    """The jitted forward (with its VJP when arguments are differentiated) of one call
    signature of a JaxLayer; falls back to running `call_fn` as it is when JAX cannot
    trace it."""

    def __init__(self, layer, key, in_leaves, p_leaves, s_leaves):
        jax = layer._jax
        self.jax = jax
        training, in_tree, p_tree, s_tree, in_diff, p_diff, in_arrays = key[:7]
        statics_in = [None if a else x for x, a in zip(in_leaves, in_arrays)]
        statics_p = [None if isinstance(v, Variable) else v for v in p_leaves]
        statics_s = [None if isinstance(v, Variable) else v for v in s_leaves]
        self.out = {}  # the output structure, known once the function has run

        def assemble(diff, consts, states):
            diff, consts, states = iter(diff), iter(consts), iter(states)
            ins = [next(diff) if d else next(consts) if a else s
                   for d, a, s in zip(in_diff, in_arrays, statics_in)]
            ps = [next(diff) if d else next(consts) if s is None else s
                  for d, s in zip(p_diff, statics_p)]
            ss = [next(states) if s is None else s for s in statics_s]
            return (in_tree.unflatten(ins), p_tree.unflatten(ps), s_tree.unflatten(ss))

        def apply(diff, consts, states, rng):
            inputs, params, state = assemble(diff, consts, states)
            args = {"params": params, "state": state, "rng": rng, "inputs": inputs,
                    "training": training}
            result = layer.call_fn(*[args[name] for name in layer.call_fn_arguments])
            outputs, new_state = result if layer.call_fn_has_state else (result, None)
            leaves, tree = jax.tree_util.tree_flatten(outputs)
            marks = tuple(is_float_dtype(getattr(o, "dtype", None)) for o in leaves)
            self.out["tree"], self.out["marks"] = tree, marks
            floats = tuple(o for o, m in zip(leaves, marks) if m)
            others = tuple(o for o, m in zip(leaves, marks) if not m)
            return floats, (others, new_state)

        self.differentiates = any(in_diff) or any(p_diff)

        def forward(diff, consts, states, rng):
            if not self.differentiates:
                floats, (others, new_state) = apply(diff, consts, states, rng)
                return floats, others, new_state, None
            floats, vjp, (others, new_state) = jax.vjp(
                lambda d: apply(d, consts, states, rng), diff, has_aux=True)
            return floats, others, new_state, vjp

        self._plain_forward = forward
        self._jitted_forward = jax.jit(forward)
        self._jitted_backward = jax.jit(lambda vjp, cotangents: vjp(cotangents)[0])
        self.jitted = True

    def forward(self, diff, consts, states, rng):
        if self.jitted:
            try:
                return self._jitted_forward(diff, consts, states, rng)
            except self.jax.errors.JAXTypeError:
                self.jitted = False  # Python control flow on values: run it as it is
        return self._plain_forward(diff, consts, states, rng)

    def backward(self, vjp, cotangents):
        if self.jitted:
            return self._jitted_backward(vjp, cotangents)
        return vjp(cotangents)[0]

    def rebuild(self, floats, others):
        floats, others = iter(floats), iter(others)
        leaves = [next(floats) if m else next(others) for m in self.out["marks"]]
        return self.out["tree"].unflatten(leaves)


def _tape_vjp(fns, vjp, floats, several):
    """The tape's VJP of one call: cotangents to JAX, `vjp`, gradients back."""
    jnp = fns.jax.numpy

    def tape_vjp(g):
        gs = g if several else (g,)
        cotangents = tuple(jnp.zeros(o.shape, o.dtype) if gi is None
                           else to_jax(gi).astype(o.dtype) for o, gi in zip(floats, gs))
        return [from_jax(d) for d in fns.backward(vjp, cotangents)]

    return tape_vjp


def _value(x):
    return x.value if isinstance(x, (TensorOps, Variable)) else x


def _is_array(x):
    return isinstance(x, (TensorOps, Variable)) or current().is_native(x)


def _static(leaves):
    """The non-variable leaves of a params / state pytree (part of a call's signature)."""
    return [repr(v) for v in leaves if not isinstance(v, Variable)]


def _validate_signature(fn, fn_name, allowed, required):
    """The parameter names of `fn`, checked against Keras's rules."""
    parameters = inspect.signature(fn).parameters
    for name in sorted(required):
        if name not in parameters:
            raise ValueError(f"Missing required argument in `{fn_name}`: `{name}`")
    names = []
    for parameter in parameters.values():
        if parameter.name not in allowed:
            raise ValueError(
                f"Unsupported argument in `{fn_name}`: `{parameter.name}`, supported "
                f"arguments are `{'`, `'.join(sorted(allowed))}`")
        names.append(parameter.name)
    return names
