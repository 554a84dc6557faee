"""`TFSMLayer`: a TensorFlow SavedModel's endpoint as a kerasx layer."""

__all__ = ["TFSMLayer"]

from kerasx.autodiff.tape import is_recording, record, record_multi
from kerasx.autodiff.tensor import Tensor, TensorOps
from kerasx.backends import current, host
from kerasx.layers.layer import Layer


def _import_tensorflow():
    try:
        import tensorflow as tf
    except ImportError:
        raise ImportError("TFSMLayer needs TensorFlow, which is not installed. Install it with "
                          "`pip install tensorflow-cpu` (or `tensorflow`).") from None
    return tf


class TFSMLayer(Layer):
    """Reloads a TensorFlow SavedModel (from `model.export` in Keras, or
    `tf.saved_model.save`) and calls one of its endpoints, as Keras 3's `TFSMLayer`;
    kerasx runs it on every backend.

    The variables the endpoints use become the layer's weights (trainable as they were
    saved, unless `trainable=False`); before each call their values are written into the
    SavedModel's variables, and the state a call changes (a training endpoint's moving
    statistics) is read back. In a recorded (training) call the endpoint runs under
    `tf.GradientTape`, so gradients reach the inputs and the trainable weights: the layer
    fine-tunes. Under `jit_compile`, the steps that call it run eagerly.

    Args:
        filepath: the SavedModel directory.
        call_endpoint: the endpoint used by `call` (`"serve"` for `model.export`,
            `"serving_default"` in other SavedModels).
        call_training_endpoint: the endpoint used by `call(..., training=True)`.
        trainable: whether the weights saved as trainable train.
        name, dtype: as for every layer.

    Only endpoints taking one `inputs` argument (an array, or a list / dict of them) are
    supported, as in Keras. The config holds the path; loading it runs the SavedModel's
    graph, so it is refused unless `safe_mode=False` or unsafe deserialization is enabled.
    """

    def __init__(self, filepath, call_endpoint="serve", call_training_endpoint=None,
                 trainable=True, name=None, dtype=None):
        tf = _import_tensorflow()
        super().__init__(trainable=trainable, name=name, dtype=dtype)
        self._set_untracked("_tf", tf)
        self._set_untracked("_reloaded_obj", tf.saved_model.load(str(filepath)))
        self.filepath = str(filepath)
        self.call_endpoint = call_endpoint
        self.call_training_endpoint = call_training_endpoint
        self._set_untracked("call_endpoint_fn", self._endpoint(call_endpoint))
        self._set_untracked("call_training_endpoint_fn",
                            self._endpoint(call_training_endpoint)
                            if call_training_endpoint else None)
        fns = [self.call_endpoint_fn] + ([self.call_training_endpoint_fn]
                                         if call_training_endpoint else [])
        pairs = []
        for saved in _variables_used_by(fns):
            value = _host(saved.numpy())
            pairs.append((saved, self.add_weight(
                tuple(value.shape), initializer=value, dtype=saved.dtype.name,
                trainable=saved.trainable, name=saved.name.replace("/", "_"))))
        self._set_untracked("_pairs", pairs)
        self.built = True

    def _endpoint(self, name):
        obj = self._reloaded_obj
        if hasattr(obj, name):
            return getattr(obj, name)
        if name in obj.signatures:
            return obj.signatures[name]
        raise ValueError(
            f"The endpoint '{name}' is neither an attribute of the reloaded SavedModel, nor an "
            "entry in the `signatures` field of the reloaded SavedModel. Select another "
            "endpoint via the `call_endpoint` argument. Available endpoints for this "
            f"SavedModel: {list(obj.signatures.keys())}")

    def call(self, inputs, training=False, **kwargs):
        tf = self._tf
        fn = self.call_training_endpoint_fn if training and self.call_training_endpoint \
            else self.call_endpoint_fn
        for saved, variable in self._pairs:
            saved.assign(_to_tf(tf, variable.value))
        recording = is_recording()
        leaves = tf.nest.flatten(inputs, expand_composites=False)
        sources = [x for x in leaves if recording and getattr(x, "tracked", False)
                   and _is_float(x)]
        tf_leaves = [_to_tf(tf, x.value if isinstance(x, TensorOps) else x) for x in leaves]
        trainable = [(saved, variable) for saved, variable in self._pairs
                     if recording and variable.trainable and getattr(variable, "tracked", True)
                     and _is_float(variable)]
        tf_inputs = tf.nest.pack_sequence_as(inputs, tf_leaves)
        watched = [t for x, t in zip(leaves, tf_leaves) if any(x is s for s in sources)]
        if not sources and not trainable:
            outputs = fn(tf_inputs, **kwargs)
            self._read_back()
            return tf.nest.map_structure(lambda t: Tensor(_from_tf(t)), outputs)
        tape = tf.GradientTape(persistent=True, watch_accessed_variables=False)
        with tape:
            for t in watched:
                tape.watch(t)
            for saved, _ in trainable:
                tape.watch(saved)
            outputs = fn(tf_inputs, **kwargs)
        self._read_back()
        flat = tf.nest.flatten(outputs)
        values = [_from_tf(t) for t in flat]
        targets = watched + [saved for saved, _ in trainable]
        parents = sources + [variable for _, variable in trainable]

        def vjp(g):
            gs = g if len(flat) > 1 else (g,)
            pairs = [(o, tf.cast(_to_tf(tf, gi), o.dtype)) for o, gi in zip(flat, gs)
                     if gi is not None and o.dtype.is_floating]
            if not pairs:
                return [None] * len(parents)
            found = tape.gradient([o for o, _ in pairs], targets,
                                  output_gradients=[c for _, c in pairs],
                                  unconnected_gradients=tf.UnconnectedGradients.NONE)
            return [None if d is None else _from_tf(tf.convert_to_tensor(d)) for d in found]

        if len(values) == 1:
            tensors = [record(values[0], parents, vjp)]
        else:
            tensors = list(record_multi(values, parents, vjp))
        return tf.nest.pack_sequence_as(outputs, tensors)

    def _read_back(self):
        """The SavedModel's non-trainable state, as the call left it, into the layer."""
        for saved, variable in self._pairs:
            if not saved.trainable:
                variable.assign(_from_tf(saved.read_value()))

    def get_config(self):
        return {**super().get_config(), "filepath": self.filepath,
                "call_endpoint": self.call_endpoint,
                "call_training_endpoint": self.call_training_endpoint}

    @classmethod
    def from_config(cls, config, custom_objects=None, safe_mode=None):
        """Rebuilds the layer; refused in safe mode (the SavedModel's graph runs), as in
        Keras."""
        from kerasx.saving.serialization import in_safe_mode

        safe = safe_mode if safe_mode is not None else in_safe_mode()
        if safe is not False:
            raise ValueError(
                "Requested the deserialization of a `TFSMLayer`, which loads an external "
                "SavedModel. This carries a potential risk of arbitrary code execution and thus "
                "it is disallowed by default. If you trust the source of the artifact, you can "
                "override this error by passing `safe_mode=False` to the loading function, or "
                "calling `kerasx.config.enable_unsafe_deserialization()`.")
        return cls(**config)


def _variables_used_by(fns):
    """The variables of the endpoints' concrete functions: trainable ones first, in the
    order Keras lists them, each once."""
    trainable, other, seen = [], [], set()
    concrete = []
    for fn in fns:
        if hasattr(fn, "concrete_functions"):
            concrete.extend(fn.concrete_functions)
        elif hasattr(fn, "get_concrete_function"):
            concrete.append(fn.get_concrete_function())
        else:
            concrete.append(fn)
    for fn in concrete:
        for v in fn.trainable_variables:
            if id(v) not in seen:
                seen.add(id(v))
                trainable.append(v)
    for fn in concrete:
        for v in fn.variables:
            if id(v) not in seen:
                seen.add(id(v))
                other.append(v)
    return trainable + other


def _is_float(x):
    name = str(getattr(x, "dtype", "")).rsplit(".", 1)[-1]
    return name.startswith(("float", "bfloat"))


def _host(array):
    return array if array.flags.writeable else array.copy()


def _to_tf(tf, value):
    backend = current()
    if backend.name == "numpy" and hasattr(value, "ctypes"):
        value.ctypes  # a recorded step: TensorFlow's work is invisible to the recorder
        return tf.convert_to_tensor(value)
    if backend.is_native(value):
        return tf.convert_to_tensor(backend.to_numpy(value))
    return tf.convert_to_tensor(value)


def _from_tf(tensor):
    return current().asarray(_host(host.to_host(tensor.numpy())))
