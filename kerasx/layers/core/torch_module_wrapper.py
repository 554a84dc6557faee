"""`TorchModuleWrapper`: a `torch.nn.Module` as a kerasx layer."""

__all__ = ["TorchModuleWrapper"]

import base64
import io

from kerasx.autodiff.tape import is_recording, record, record_multi
from kerasx.autodiff.tensor import Tensor, TensorOps
from kerasx.autodiff.variable import Variable
from kerasx.backends import current
from kerasx.layers.core._torch_bridge import (dtype_name_of, from_torch, import_torch,
                                              to_torch, torch_device)
from kerasx.layers._layer_scopes import _SCOPE
from kerasx.layers.layer import Layer

_VALUE_SLOT = Variable.__dict__["_value"]


class TorchModuleWrapper(Layer):
    """Turns a `torch.nn.Module` into a layer whose state is kerasx variables.

    Each parameter of the module becomes a variable (trainable when the
    parameter `requires_grad`) and each buffer a non-trainable one, named by
    its `state_dict` key; they are the layer's weights, so optimizers train
    them and saving stores them. Module and variables share their values: the
    module always holds what the variables hold (without a copy on the NumPy
    and CuPy backends), so it can be used or saved with torch after training.

    A call runs the module's `forward` with torch autograd and becomes one node
    of the kerasx tape: gradients with respect to the inputs and the parameters
    are torch's. `training=False` (inference, `predict`, `evaluate`) puts the
    module in `eval()` mode, any other value in `train()` mode, as Keras does;
    buffers the module updates in training (BatchNorm's running statistics) are
    written back to their variables. Float inputs are cast to the module's
    float dtype (float32 or float64), which is also the layer's default dtype.
    The module is moved to the device of the backend's arrays (the CPU, or the
    CuPy backend's GPU); under `jit_compile` the steps that call it run eagerly.

    Args:
        module: a `torch.nn.Module` instance (a `LazyModule` must have been run
            once so that its parameters exist).
        name: the layer's name.
        output_shape: the output shape, used for symbolic calls in functional
            models instead of running the module on small zero arrays.

    The config holds the module pickled by `torch.save`, base64-encoded, as in
    Keras; loading it runs `torch.load`, which can execute arbitrary code, so it
    is refused unless `safe_mode=False` is passed or
    `kerasx.config.enable_unsafe_deserialization()` was called.

    Example:

        import torch
        model = kerasx.Sequential([
            kerasx.Input((8,)),
            kerasx.layers.TorchModuleWrapper(torch.nn.Linear(8, 4)),
            kerasx.layers.Dense(1),
        ])
    """

    def __init__(self, module, name=None, output_shape=None, **kwargs):
        torch = import_torch()
        if not isinstance(module, torch.nn.Module):
            raise ValueError(
                f"TorchModuleWrapper expects a torch.nn.Module instance (e.g. "
                f"torch.nn.Linear(8, 4)), received {module!r} of type {type(module).__name__}.")
        lazy = torch.nn.modules.lazy.LazyModuleMixin
        if isinstance(module, lazy) and module.has_uninitialized_params():
            raise ValueError(
                "TorchModuleWrapper: LazyModules are supported only once their parameters "
                f"exist; run the module once on an example input first. Received {module}.")
        floats = [t.dtype for t in module.parameters() if t.is_floating_point()]
        module_dtype = dtype_name_of(floats[0]) if floats else None
        if module_dtype is not None and "dtype" not in kwargs:
            kwargs["dtype"] = module_dtype
        super().__init__(name=name, **kwargs)
        self._set_untracked("_module_dtype", module_dtype)
        self._set_untracked("module", module.to(torch_device()))
        self._set_untracked("_declared_output_shape", output_shape)
        self.build()

    def build(self, input_shape=None):
        if "_params" in self.__dict__:  # the variables exist from construction on
            return
        module = self.module
        params = list(module.named_parameters())
        buffers = list(module.named_buffers())
        keys = _state_keys(module)
        self._set_untracked("_params", [(name, _track(self, keys, name, t, t.requires_grad))
                                        for name, t in params])
        self._set_untracked("_buffers", [(name, _track(self, keys, name, t, False))
                                         for name, t in buffers])
        self._set_untracked("_state_keys", keys)

    def parameters(self, recurse=True):
        """The module's parameters (as torch's `Module.parameters`)."""
        return self.module.parameters(recurse=recurse)

    def call(self, *args, training=None, **kwargs):
        torch = import_torch()
        module = self.module
        module.train(training is not False)
        recording = is_recording()
        # the tensors and variables handed to torch, and the torch leaf standing for each
        # (None where no gradient is wanted)
        tensors, leaves = [], []

        def convert(x):
            if isinstance(x, (list, tuple)):
                return type(x)(convert(v) for v in x)
            if isinstance(x, dict):
                return {k: convert(v) for k, v in x.items()}
            if not isinstance(x, TensorOps):
                if not current().is_native(x):
                    return x
                x = Tensor(x)
            x = self._as_module_dtype(x)
            t = to_torch(x.value)
            wants = recording and getattr(x, "tracked", False) and t.is_floating_point()
            if wants:
                t = t.detach().requires_grad_(True)
            tensors.append(x)
            leaves.append(t if wants else None)
            return t

        t_args, t_kwargs = convert(args), convert(kwargs)
        state = {}
        for name, var in self._params:
            t = to_torch(var.value)
            wants = recording and var.tracked and t.is_floating_point()
            state[name] = t.detach().requires_grad_(True) if wants else t
            tensors.append(var)
            leaves.append(state[name] if wants else None)
        buffers = {name: to_torch(var.value).clone() for name, var in self._buffers}
        state.update(buffers)
        with torch.set_grad_enabled(any(t is not None for t in leaves)):
            out = torch.func.functional_call(module, state, t_args, t_kwargs)
        if module.training:
            for name, var in self._buffers:
                var.assign(from_torch(buffers[name]))
        flat, rebuild = _flatten_tensors(torch, out)
        values = [from_torch(t) for t in flat]
        if not any(t is not None for t in leaves) or not flat:
            return rebuild([Tensor(v) for v in values])
        vjp = _torch_vjp(torch, flat, leaves, len(flat) > 1)
        if len(flat) == 1:
            return rebuild([record(values[0], tensors, vjp)])
        return rebuild(list(record_multi(values, tensors, vjp)))

    def _as_module_dtype(self, x):
        """A float input cast (recorded) to the module's float dtype."""
        from kerasx import ops

        backend, target = current(), self._module_dtype
        dtype = x.value.dtype
        if target is not None and backend.isdtype(dtype, "real floating") \
                and dtype != backend.dtype(target):
            return ops.cast(x, target)
        return x

    def compute_output_spec(self, *args, **kwargs):
        declared = self._declared_output_shape
        if declared is None:
            return super().compute_output_spec(*args, **kwargs)
        from kerasx.layers.core.keras_tensor import KerasTensor

        return KerasTensor(tuple(declared), self._module_dtype or self.compute_dtype)

    def compute_output_shape(self, input_shape):
        declared = self._declared_output_shape
        return super().compute_output_shape(input_shape) if declared is None else declared

    # -- saving: the module's state_dict keys, as Keras writes them -------------------------
    def save_own_variables(self, store):
        for key, var in self._state_keys.items():
            store[key] = var.numpy()

    def load_own_variables(self, store):
        keys = self._state_keys
        names = [k.decode() if isinstance(k, bytes) else k for k in store.keys()]
        missing = sorted(set(keys) - set(names))
        unexpected = sorted(set(names) - set(keys))
        if missing or unexpected:
            raise ValueError(
                f"Layer {self.name!r}: the saved state does not match the module's state_dict "
                f"(missing: {missing}, unexpected: {unexpected}); load weights saved from the "
                "same module architecture.")
        arrays = {}
        for key, raw in zip(names, store.keys()):
            value, var = store[raw], keys[key]
            if tuple(value.shape) != tuple(var.shape):
                raise ValueError(
                    f"Layer {self.name!r}: {key!r} has shape {tuple(var.shape)} in the module "
                    f"but {tuple(value.shape)} in the saved state.")
            arrays[key] = value
        for key, value in arrays.items():
            keys[key].assign(current().asarray(value, dtype=keys[key].dtype))

    # -- configuration ----------------------------------------------------------------------
    def get_config(self):
        torch = import_torch()
        buffer = io.BytesIO()
        torch.save(self.module, buffer)
        return {**super().get_config(),
                "module": base64.b64encode(buffer.getvalue()).decode("ascii"),
                "output_shape": self._declared_output_shape}

    @classmethod
    def from_config(cls, config, custom_objects=None, safe_mode=None):
        """Rebuilds the layer; the pickled module is loaded only when unsafe
        deserialization is enabled (`safe_mode=False`)."""
        from kerasx.saving.serialization import in_safe_mode

        config = dict(config)
        if isinstance(config.get("module"), str):
            safe = safe_mode if safe_mode is not None else in_safe_mode()
            if safe is not False:
                raise ValueError(
                    "Refusing to load a TorchModuleWrapper: its torch.nn.Module is stored "
                    "pickled by torch.save, and torch.load would execute code from the file. "
                    "If you trust its source, pass safe_mode=False to the loading function or "
                    "call kerasx.config.enable_unsafe_deserialization().")
            torch = import_torch()
            data = io.BytesIO(base64.b64decode(config["module"].encode("ascii")))
            config["module"] = torch.load(data, weights_only=False, map_location="cpu")
        if isinstance(config.get("output_shape"), list):
            config["output_shape"] = tuple(config["output_shape"])
        return cls(**config)


class _TorchStateVariable(Variable):
    """A variable whose torch tensor (a parameter or buffer of the wrapped module) is
    rebound to every new value, so that the module always holds the variable's value."""

    __slots__ = ("_torch_tensor",)

    @property
    def _value(self):
        return _VALUE_SLOT.__get__(self)

    @_value.setter
    def _value(self, value):
        _VALUE_SLOT.__set__(self, value)
        tensor = getattr(self, "_torch_tensor", None)
        if tensor is not None:
            # `.data`: the module's own Parameter object stays, holding the new memory
            tensor.data = to_torch(value, announce=False)


def _track(layer, keys, name, tensor, trainable):
    """The variable of one module tensor, bound to it."""
    var = _TorchStateVariable(from_torch(tensor), dtype=dtype_name_of(tensor),
                              trainable=trainable, name=name)
    scope = _SCOPE.get()
    if not scope or scope[-1] != layer.name:
        scope = scope + (layer.name,)
    var.path = "/".join(scope + (name,))
    var._torch_tensor = tensor
    var._value = var.value  # the module now reads the variable's memory
    layer._own_variables.append(var)
    for key, t in list(keys.items()):
        if t is tensor:
            keys[key] = var
    return var


def _state_keys(module):
    """`{state_dict key: tensor}` (tied weights appear under each of their keys)."""
    return dict(module.state_dict(keep_vars=True))


def _flatten_tensors(torch, out):
    """`(torch tensors in out, rebuild)`: `rebuild(values)` puts values in their place."""
    flat = []

    def walk(x):
        if isinstance(x, torch.Tensor):
            flat.append(x)
            return len(flat) - 1
        if isinstance(x, (list, tuple)):
            return type(x)(walk(v) for v in x) if not hasattr(x, "_fields") \
                else type(x)(*(walk(v) for v in x))
        if isinstance(x, dict):
            return {k: walk(v) for k, v in x.items()}
        return _Leaf(x)

    shape = walk(out)

    def rebuild(values):
        def fill(x):
            if isinstance(x, int) and not isinstance(x, bool):
                return values[x]
            if isinstance(x, _Leaf):
                return x.value
            if isinstance(x, (list, tuple)):
                return type(x)(fill(v) for v in x) if not hasattr(x, "_fields") \
                    else type(x)(*(fill(v) for v in x))
            return {k: fill(v) for k, v in x.items()}

        return fill(shape)

    return flat, rebuild


class _Leaf:
    """A non-tensor part of a module's output, returned as it is."""

    __slots__ = ("value",)

    def __init__(self, value):
        self.value = value


def _torch_vjp(torch, outputs, leaves, several):
    """The VJP of one module call: `torch.autograd.grad` of the outputs with respect to
    the leaves (None where no gradient is wanted), as backend arrays."""
    wanted = [i for i, t in enumerate(leaves) if t is not None]

    def vjp(g):
        gs = g if several else (g,)
        outs, seeds = [], []
        for o, gi in zip(outputs, gs):
            if gi is not None and o.requires_grad:
                outs.append(o)
                seeds.append(to_torch(gi, announce=False).to(o.dtype))
        grads = [None] * len(leaves)
        if not outs:
            return grads
        found = torch.autograd.grad(outs, [leaves[i] for i in wanted], seeds,
                                    retain_graph=True, allow_unused=True)
        for i, gt in zip(wanted, found):
            if gt is not None:
                grads[i] = from_torch(gt)
        return grads

    return vjp
